//! Client-side limits: token buckets per AWS API, and keyed locks for operations AWS serialises.
//!
//! AWS throttles each account per region with token buckets (EC2 per API action: a burst capacity
//! and a refill rate). Spending our own tokens first keeps a large apply under AWS's limits instead
//! of discovering them through `RequestLimitExceeded` and backoff.
//!
//! Under a time scale (`SHINYCTL_TIME_SCALE`: an emulator that runs AWS's lifecycles that many
//! times faster) the buckets refill that many times faster too ([`RateLimits::scaled`]), for the
//! reason retry delays and poll schedules are scaled: the whole AWS schedule is compressed, and a
//! bucket is a rate, calls per AWS second. Left at real-time rates, 100 repositories at 5 creates
//! a second take 20 real seconds — 20 minutes of the emulator's compressed world, against the
//! 20 seconds of a 13-minute apply they cost at AWS's pace — and the benchmark would measure our
//! own throttle instead of the engine. Burst capacities are counts, not times, and stay. Scales
//! of 1 and above change nothing: against AWS itself the published rates hold.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// A bucket's shape: `capacity` tokens at most, `refill_per_second` added back each second.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct BucketSpec {
    pub(crate) capacity: f64,
    pub(crate) refill_per_second: f64,
}

impl BucketSpec {
    pub(crate) const fn new(capacity: f64, refill_per_second: f64) -> Self {
        BucketSpec {
            capacity,
            refill_per_second,
        }
    }
}

/// The token bucket algorithm, with time passed in so the arithmetic is testable.
#[derive(Debug, Clone)]
pub(crate) struct TokenBucket {
    spec: BucketSpec,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub(crate) fn new(spec: BucketSpec, now: Instant) -> Self {
        let spec = BucketSpec {
            capacity: positive_or(spec.capacity, 1.0),
            refill_per_second: positive_or(spec.refill_per_second, 1.0),
        };
        TokenBucket {
            spec,
            tokens: spec.capacity,
            updated: now,
        }
    }

    /// Tokens available at `now`.
    #[cfg(test)]
    pub(crate) fn available(&mut self, now: Instant) -> f64 {
        self.refill(now);
        self.tokens
    }

    /// Takes a token, or says how long until one is available.
    pub(crate) fn try_take(&mut self, now: Instant) -> Result<(), Duration> {
        self.refill(now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            Ok(())
        } else {
            let missing = 1.0 - self.tokens;
            Err(Duration::from_secs_f64(
                missing / self.spec.refill_per_second,
            ))
        }
    }

    fn refill(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.spec.refill_per_second).min(self.spec.capacity);
        self.updated = self.updated.max(now);
    }
}

/// `x` when it is a finite positive number, else `fallback` (a time scale or factor given as 0,
/// a negative number or NaN means none).
pub(crate) fn positive_or(x: f64, fallback: f64) -> f64 {
    if x.is_finite() && x > 0.0 {
        x
    } else {
        fallback
    }
}

/// Limits of one AWS service: per-action overrides, else read or mutating by the action's name.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceLimits {
    /// `Describe*`, `List*`, `Get*`.
    pub(crate) read: BucketSpec,
    /// Everything else.
    pub(crate) mutating: BucketSpec,
    /// Actions with their own published bucket, by exact action name.
    pub(crate) actions: BTreeMap<String, BucketSpec>,
}

impl ServiceLimits {
    pub(crate) fn new(read: BucketSpec, mutating: BucketSpec) -> Self {
        ServiceLimits {
            read,
            mutating,
            actions: BTreeMap::new(),
        }
    }

    pub(crate) fn with_action(mut self, action: &str, spec: BucketSpec) -> Self {
        self.actions.insert(action.to_string(), spec);
        self
    }

    /// The bucket shape for `action`.
    pub(crate) fn spec(&self, action: &str) -> BucketSpec {
        if let Some(spec) = self.actions.get(action) {
            return *spec;
        }
        let reads = ["Describe", "List", "Get"];
        if reads.iter().any(|prefix| action.starts_with(prefix)) {
            self.read
        } else {
            self.mutating
        }
    }
}

/// Bucket shapes for every service; buckets are per (service, action), as EC2's are.
#[derive(Debug, Clone, PartialEq)]
pub struct RateLimits {
    pub(crate) services: BTreeMap<String, ServiceLimits>,
    /// For services not listed.
    pub(crate) default: ServiceLimits,
}

impl Default for RateLimits {
    /// EC2's published request-rate buckets (describe 100 burst / 20 per s, mutating 50 / 5 per s,
    /// CreateNatGateway 10 / 1 per s). Other services publish less or per-account totals; 50 / 10
    /// reads and 20 / 5 writes stay under every figure we know of while never being what limits an
    /// apply of one blueprint (a few hundred calls in all).
    ///
    /// ECR's reads: ECR gives every API operation a token bucket of its own and publishes rates
    /// only for the image push and pull operations (Amazon ECR user guide, "Amazon ECR service
    /// quotas": reads from 200 to 3,000 a second). The one bucket shape it describes is
    /// "20 transactions per second, with up to a 200 TPS burst" ("Troubleshooting Amazon ECR
    /// error messages", HTTP 429 / ThrottleException), below every read rate it publishes: its
    /// unpublished reads (GetLifecyclePolicy once per repository, DescribeImages) get that shape,
    /// so a 100-app blueprint's policies are read at once instead of over five seconds.
    fn default() -> Self {
        let ec2 = ServiceLimits::new(BucketSpec::new(100.0, 20.0), BucketSpec::new(50.0, 5.0))
            .with_action("CreateNatGateway", BucketSpec::new(10.0, 1.0))
            .with_action("DeleteNatGateway", BucketSpec::new(10.0, 1.0));
        let ecr = ServiceLimits::new(BucketSpec::new(200.0, 20.0), BucketSpec::new(20.0, 5.0));
        let mut services = BTreeMap::new();
        services.insert("ec2".to_string(), ec2);
        services.insert("ecr".to_string(), ecr);
        RateLimits {
            services,
            default: ServiceLimits::new(BucketSpec::new(50.0, 10.0), BucketSpec::new(20.0, 5.0)),
        }
    }
}

impl RateLimits {
    /// The same limits for a world running `1 / time_scale` times faster than AWS: every refill
    /// rate divided by `time_scale` (0 < `time_scale` < 1), capacities unchanged. Other values
    /// (1, above 1, not a number) leave the limits as they are.
    pub(crate) fn scaled(mut self, time_scale: f64) -> RateLimits {
        if !(time_scale.is_finite() && time_scale > 0.0 && time_scale < 1.0) {
            return self;
        }
        let faster = |spec: &mut BucketSpec| spec.refill_per_second /= time_scale;
        let service = |limits: &mut ServiceLimits| {
            faster(&mut limits.read);
            faster(&mut limits.mutating);
            limits.actions.values_mut().for_each(faster);
        };
        self.services.values_mut().for_each(service);
        service(&mut self.default);
        self
    }

    pub(crate) fn spec(&self, service: &str, action: &str) -> BucketSpec {
        self.services
            .get(service)
            .unwrap_or(&self.default)
            .spec(action)
    }
}

/// The live buckets of one run, shared by all steps.
#[derive(Debug)]
pub struct RateLimiter {
    limits: RateLimits,
    buckets: Mutex<HashMap<(String, String), TokenBucket>>,
    /// Tokens spent per (service, action), for accounting in tests and reports.
    spent: Mutex<BTreeMap<(String, String), u64>>,
}

impl RateLimiter {
    pub(crate) fn new(limits: RateLimits) -> Self {
        RateLimiter {
            limits,
            buckets: Mutex::new(HashMap::new()),
            spent: Mutex::new(BTreeMap::new()),
        }
    }

    /// Waits until a call of `service`'s `action` may be made, and spends its token.
    pub(crate) async fn acquire(&self, service: &str, action: &str) {
        loop {
            let wait = {
                let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let bucket = buckets
                    .entry((service.to_string(), action.to_string()))
                    .or_insert_with(|| TokenBucket::new(self.limits.spec(service, action), now));
                match bucket.try_take(now) {
                    Ok(()) => break,
                    Err(wait) => wait,
                }
            };
            tokio::time::sleep(wait).await;
        }
        let mut spent = self.spent.lock().unwrap_or_else(|e| e.into_inner());
        *spent
            .entry((service.to_string(), action.to_string()))
            .or_insert(0) += 1;
    }

    /// Tokens spent so far, per (service, action).
    pub fn spent(&self) -> BTreeMap<(String, String), u64> {
        self.spent.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// One async lock per key: steps that declare the same serialisation key run one at a time, in
/// the order they asked (tokio's mutex is fair).
#[derive(Debug, Default)]
pub(crate) struct KeyedLocks {
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyedLocks {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    pub(crate) async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
            locks.entry(key.to_string()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_bursts_then_refills_at_its_rate() {
        let start = Instant::now();
        let mut bucket = TokenBucket::new(BucketSpec::new(10.0, 1.0), start);
        for _ in 0..10 {
            assert_eq!(bucket.try_take(start), Ok(()));
        }
        assert_eq!(bucket.try_take(start), Err(Duration::from_secs(1)));
        let half = start + Duration::from_millis(500);
        assert_eq!(bucket.try_take(half), Err(Duration::from_millis(500)));
        assert_eq!(bucket.try_take(start + Duration::from_secs(1)), Ok(()));
        // A long pause refills to capacity, never beyond.
        assert_eq!(bucket.available(start + Duration::from_secs(3600)), 10.0);
    }

    #[test]
    fn time_going_backwards_is_harmless() {
        let start = Instant::now();
        let later = start + Duration::from_secs(5);
        let mut bucket = TokenBucket::new(BucketSpec::new(1.0, 1.0), later);
        assert_eq!(bucket.try_take(later), Ok(()));
        assert!(bucket.try_take(start).is_err());
        assert_eq!(bucket.available(later), 0.0);
    }

    #[test]
    fn nonsense_specs_fall_back_to_one_per_second() {
        let now = Instant::now();
        let mut bucket = TokenBucket::new(BucketSpec::new(f64::NAN, -3.0), now);
        assert_eq!(bucket.try_take(now), Ok(()));
        assert_eq!(bucket.try_take(now), Err(Duration::from_secs(1)));
    }

    #[test]
    fn default_limits_are_ec2s_published_buckets() {
        let limits = RateLimits::default();
        assert_eq!(
            limits.spec("ec2", "DescribeVpcs"),
            BucketSpec::new(100.0, 20.0)
        );
        assert_eq!(limits.spec("ec2", "CreateVpc"), BucketSpec::new(50.0, 5.0));
        assert_eq!(
            limits.spec("ec2", "CreateNatGateway"),
            BucketSpec::new(10.0, 1.0)
        );
        assert_eq!(
            limits.spec("eks", "ListClusters"),
            BucketSpec::new(50.0, 10.0)
        );
        assert_eq!(
            limits.spec("eks", "CreateCluster"),
            BucketSpec::new(20.0, 5.0)
        );
    }

    #[test]
    fn ecr_reads_take_the_bucket_ecr_documents() {
        let limits = RateLimits::default();
        for read in [
            "GetLifecyclePolicy",
            "DescribeImages",
            "DescribeRepositories",
        ] {
            assert_eq!(limits.spec("ecr", read), BucketSpec::new(200.0, 20.0));
        }
        assert_eq!(
            limits.spec("ecr", "CreateRepository"),
            BucketSpec::new(20.0, 5.0)
        );
    }

    #[test]
    fn a_time_scale_speeds_refills_but_keeps_bursts() {
        let limits = RateLimits::default().scaled(1.0 / 60.0);
        let close = |a: BucketSpec, b: BucketSpec| {
            (a.capacity - b.capacity).abs() < 1e-9
                && (a.refill_per_second - b.refill_per_second).abs() < 1e-9
        };
        assert!(close(
            limits.spec("ec2", "CreateVpc"),
            BucketSpec::new(50.0, 300.0)
        ));
        assert!(close(
            limits.spec("ec2", "CreateNatGateway"),
            BucketSpec::new(10.0, 60.0)
        ));
        assert!(close(
            limits.spec("ecr", "CreateRepository"),
            BucketSpec::new(20.0, 300.0)
        ));
        for unchanged in [1.0, 2.0, 0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert_eq!(
                RateLimits::default().scaled(unchanged),
                RateLimits::default()
            );
        }
    }

    #[tokio::test(start_paused = true)]
    async fn limiter_spaces_calls_beyond_the_burst() {
        let limits = RateLimits {
            default: ServiceLimits::new(BucketSpec::new(2.0, 1.0), BucketSpec::new(2.0, 1.0)),
            ..RateLimits::default()
        };
        let limiter = RateLimiter::new(limits);
        let start = Instant::now();
        let mut times = Vec::new();
        for _ in 0..5 {
            limiter.acquire("sns", "CreateTopic").await;
            times.push(start.elapsed().as_secs_f64().round());
        }
        assert_eq!(times, [0.0, 0.0, 1.0, 2.0, 3.0]);
        assert_eq!(limiter.spent()[&("sns".into(), "CreateTopic".into())], 5);
        // Another action has its own bucket.
        limiter.acquire("sns", "Subscribe").await;
        assert_eq!(start.elapsed().as_secs_f64().round(), 3.0);
    }

    #[tokio::test(start_paused = true)]
    async fn keyed_locks_serialise_one_key_only() {
        let locks = KeyedLocks::new();
        let a = locks.lock("cluster-a").await;
        let other = tokio::time::timeout(Duration::from_secs(1), locks.lock("cluster-b")).await;
        assert!(other.is_ok(), "another key is free");
        let same = tokio::time::timeout(Duration::from_secs(1), locks.lock("cluster-a")).await;
        assert!(same.is_err(), "the same key waits");
        drop(a);
        assert!(
            tokio::time::timeout(Duration::from_secs(1), locks.lock("cluster-a"))
                .await
                .is_ok()
        );
    }
}
