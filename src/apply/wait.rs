//! Readiness: composable conditions over an observed object, and polling until one holds.
//!
//! As in kube-runtime's `wait`: a condition looks at the latest observation (`None` when the
//! object does not exist), conditions combine with `and`, `or` and `not`, and a wait never hides
//! its timeout — the caller passes one in a [`WaitSpec`].
//!
//! Poll intervals follow the kind's time estimate: the first look comes after a fraction of it (a
//! NAT gateway that takes ~105 s is first checked after ~40 s, a route after a second), then every
//! twentieth of it, and every eightieth of it from 85% to 120% of it — readiness usually comes
//! near the estimate, and a step on the critical path is then found ready at most 1.25% late
//! there (5% elsewhere) — until it is half again overdue; only then does the interval grow
//! geometrically up to a cap. Each delay is jittered so that many waiters spread out. A time scale
//! (the emulator) scales the whole schedule, floors included.

use std::future::Future;
use std::time::Duration;

use tokio::time::Instant;

use super::backoff::Jitter;
use super::limits::positive_or;
use super::schedule::Operation;
use super::step::{ErrorClass, StepError};
use crate::plan::ResourceKind;

/// A readiness condition over the latest observation of an object of type `T`.
pub(crate) trait Condition<T> {
    fn matches(&self, observed: Option<&T>) -> bool;

    #[cfg(test)]
    fn and<Other: Condition<T>>(self, other: Other) -> And<Self, Other>
    where
        Self: Sized,
    {
        And(self, other)
    }

    #[cfg(test)]
    fn or<Other: Condition<T>>(self, other: Other) -> Or<Self, Other>
    where
        Self: Sized,
    {
        Or(self, other)
    }

    #[cfg(test)]
    fn not(self) -> Not<Self>
    where
        Self: Sized,
    {
        Not(self)
    }
}

impl<T, F: Fn(Option<&T>) -> bool> Condition<T> for F {
    fn matches(&self, observed: Option<&T>) -> bool {
        self(observed)
    }
}

#[cfg(test)]
pub(crate) struct And<A, B>(A, B);
#[cfg(test)]
pub(crate) struct Or<A, B>(A, B);
#[cfg(test)]
pub(crate) struct Not<A>(A);

#[cfg(test)]
impl<T, A: Condition<T>, B: Condition<T>> Condition<T> for And<A, B> {
    fn matches(&self, observed: Option<&T>) -> bool {
        self.0.matches(observed) && self.1.matches(observed)
    }
}

#[cfg(test)]
impl<T, A: Condition<T>, B: Condition<T>> Condition<T> for Or<A, B> {
    fn matches(&self, observed: Option<&T>) -> bool {
        self.0.matches(observed) || self.1.matches(observed)
    }
}

#[cfg(test)]
impl<T, A: Condition<T>> Condition<T> for Not<A> {
    fn matches(&self, observed: Option<&T>) -> bool {
        !self.0.matches(observed)
    }
}

/// Holds once the object exists.
#[cfg(test)]
pub(crate) fn exists<T>() -> impl Condition<T> {
    |observed: Option<&T>| observed.is_some()
}

/// Holds once the object is gone (what a delete waits for).
pub(crate) fn is_gone<T>() -> impl Condition<T> {
    |observed: Option<&T>| observed.is_none()
}

/// Holds once the object exists and `predicate` holds for it.
pub(crate) fn has<T>(predicate: impl Fn(&T) -> bool) -> impl Condition<T> {
    move |observed: Option<&T>| observed.is_some_and(&predicate)
}

/// When to look, by the time since the wait began: the first look after `first`; then every
/// `interval`, except every `near_interval` between `near_from` and `near_until` (around the
/// estimate, where readiness usually comes); after `steady_until` the interval grows by `factor`
/// up to `max_interval`. Each delay is spread by ±`jitter` (a fraction). The bands are times, not
/// look counts, so jitter never moves them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PollSchedule {
    pub(crate) first: Duration,
    pub(crate) interval: Duration,
    pub(crate) near_from: Duration,
    pub(crate) near_until: Duration,
    pub(crate) near_interval: Duration,
    pub(crate) steady_until: Duration,
    pub(crate) max_interval: Duration,
    pub(crate) factor: f64,
    pub(crate) jitter: f64,
}

/// The first look comes at this fraction of the estimate ...
const FIRST_LOOK: f64 = 0.4;
/// ... then one every this fraction of it ...
const STEADY_INTERVAL: f64 = 0.05;
/// ... but one every this fraction of it between these two fractions, where readiness is due ...
const NEAR_INTERVAL: f64 = 0.0125;
const NEAR_FROM: f64 = 0.85;
const NEAR_UNTIL: f64 = 1.2;
/// ... until this multiple of the estimate has passed; then the interval grows.
const STEADY_UNTIL: f64 = 1.5;

impl PollSchedule {
    /// A schedule for something expected to take `estimate` (at AWS's pace): first look at 40% of
    /// it (between half a second and three minutes), then every 5% of it (between half a second
    /// and thirty seconds), every 1.25% of it from 85% to 120% of it (at least half a second),
    /// and after 150% of it growing by half each time up to a quarter of it (between one and
    /// thirty seconds).
    pub(crate) fn for_estimate(estimate: Duration) -> Self {
        let first = estimate
            .mul_f64(FIRST_LOOK)
            .clamp(Duration::from_millis(500), Duration::from_secs(180));
        let max_interval = estimate
            .mul_f64(0.25)
            .clamp(Duration::from_secs(1), Duration::from_secs(30));
        let interval = estimate
            .mul_f64(STEADY_INTERVAL)
            .clamp(Duration::from_millis(500), max_interval);
        let near_interval = estimate
            .mul_f64(NEAR_INTERVAL)
            .clamp(Duration::from_millis(500), interval);
        PollSchedule {
            first,
            interval,
            near_from: estimate.mul_f64(NEAR_FROM),
            near_until: estimate.mul_f64(NEAR_UNTIL),
            near_interval,
            steady_until: estimate.mul_f64(STEADY_UNTIL),
            max_interval,
            factor: 1.5,
            jitter: 0.2,
        }
    }

    /// A look every `interval`, from the first.
    pub fn every(interval: Duration) -> Self {
        PollSchedule {
            first: interval,
            interval,
            near_from: Duration::ZERO,
            near_until: Duration::ZERO,
            near_interval: interval,
            steady_until: Duration::MAX,
            max_interval: interval,
            factor: 1.0,
            jitter: 0.0,
        }
    }

    /// The same schedule with every delay multiplied by `scale` (an emulator that runs `1/scale`
    /// times faster than AWS is polled at the same points of its shorter transitions).
    pub(crate) fn scaled(self, scale: f64) -> Self {
        if !(scale.is_finite() && scale > 0.0) {
            return self;
        }
        PollSchedule {
            first: self.first.mul_f64(scale),
            interval: self.interval.mul_f64(scale),
            near_from: self.near_from.mul_f64(scale),
            near_until: self.near_until.mul_f64(scale),
            near_interval: self.near_interval.mul_f64(scale),
            steady_until: self.steady_until.mul_f64(scale),
            max_interval: self.max_interval.mul_f64(scale),
            ..self
        }
    }

    /// The un-jittered delay before the next look, `elapsed` into the wait (the first look when
    /// `poll` is 0).
    pub(crate) fn delay(&self, poll: u32, elapsed: Duration) -> Duration {
        if poll == 0 {
            return self.first;
        }
        if elapsed < self.near_from {
            // Never stride past the start of the near band.
            let to_band = (self.near_from - elapsed).max(self.near_interval);
            return self.interval.min(to_band);
        }
        if elapsed < self.near_until {
            return self.near_interval;
        }
        if elapsed < self.steady_until {
            return self.interval;
        }
        // Past the steady band each delay is (factor - 1) times the time spent past it: the
        // interval grows geometrically, from `interval` up to `max_interval`.
        let factor = if self.factor.is_finite() && self.factor >= 1.0 {
            self.factor
        } else {
            1.0
        };
        let overdue = (elapsed - self.steady_until).as_secs_f64();
        let grown = (overdue * (factor - 1.0)).max(self.interval.as_secs_f64());
        Duration::from_secs_f64(
            grown.min(
                self.max_interval
                    .as_secs_f64()
                    .max(self.interval.as_secs_f64()),
            ),
        )
    }
}

/// A poll schedule and the timeout that ends the wait.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct WaitSpec {
    pub(crate) schedule: PollSchedule,
    pub(crate) timeout: Duration,
    /// How fast time passes compared with AWS (the policy's [`WaitPolicy::time_scale`]): what
    /// [`WaitSpec::longer`] scales an AWS duration by.
    pub(crate) time_scale: f64,
}

impl WaitSpec {
    /// The same wait with `aws` more time before it gives up, `aws` being at AWS's pace and
    /// scaled as the rest of the wait: for a step that AWS may hold far past its kind's
    /// estimate for a reason the step can name (an Auto Scaling lifecycle hook's heartbeat
    /// timeout, up to two hours).
    pub(crate) fn longer(self, aws: Duration) -> WaitSpec {
        let scale = positive_or(self.time_scale, 1.0);
        WaitSpec {
            timeout: self.timeout.saturating_add(aws.mul_f64(scale)),
            ..self
        }
    }
}

impl WaitSpec {
    /// The same wait for something the step knows to take `aws` (at AWS's pace) rather than its
    /// kind's estimate — an Auto Scaling group whose instances must also pass its target groups'
    /// health checks: the schedule laid out for `aws` and scaled as this one is, so readiness
    /// near `aws` is seen as promptly as readiness near a kind's estimate; the timeout never
    /// shorter than this one's, nor than [`EXPECTED_TIMEOUT_FACTOR`] times `aws`.
    pub(crate) fn expecting(self, aws: Duration) -> WaitSpec {
        let scale = positive_or(self.time_scale, 1.0);
        WaitSpec {
            schedule: PollSchedule::for_estimate(aws).scaled(scale),
            timeout: self
                .timeout
                .max(aws.mul_f64(EXPECTED_TIMEOUT_FACTOR * scale)),
            time_scale: self.time_scale,
        }
    }
}

/// [`WaitSpec::expecting`]'s timeout, in multiples of what the step expects: the default policy's
/// factor ([`WaitPolicy::default`]).
pub(crate) const EXPECTED_TIMEOUT_FACTOR: f64 = 6.0;

/// How long steps wait for readiness, derived from each kind's time estimates.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WaitPolicy {
    /// Multiplies every estimate: below 1 for an emulator that runs faster than AWS.
    pub time_scale: f64,
    /// The timeout is this many times the estimate ...
    pub timeout_factor: f64,
    /// ... but never less than this (scaled too).
    pub min_timeout: Duration,
}

impl Default for WaitPolicy {
    /// Six times the typical time, at least ten minutes: an EKS cluster (~10 min) gets an hour, an
    /// RDS instance (~4.5 min) 27 minutes, a NAT gateway 10 minutes — above the slow tails the
    /// published apply logs show (EFS mount targets over 10 minutes) and Terraform's own
    /// defaults, so a timeout means something is wrong rather than slow.
    fn default() -> Self {
        WaitPolicy {
            time_scale: 1.0,
            timeout_factor: EXPECTED_TIMEOUT_FACTOR,
            min_timeout: Duration::from_secs(600),
        }
    }
}

impl WaitPolicy {
    /// The typical time of `operation` on `kind`, scaled.
    pub(crate) fn estimate(&self, kind: ResourceKind, operation: Operation) -> Duration {
        secs(unscaled_seconds(kind, operation) * self.scale())
    }

    pub(crate) fn spec(&self, kind: ResourceKind, operation: Operation) -> WaitSpec {
        let estimate = self.estimate(kind, operation);
        // The schedule is laid out at AWS's pace and then scaled, floors included: a half-second
        // floor is 8 ms for an emulator running 60 times faster, not 30 "AWS seconds".
        let schedule = PollSchedule::for_estimate(secs(unscaled_seconds(kind, operation)))
            .scaled(self.scale());
        let timeout_factor = positive_or(self.timeout_factor, 1.0);
        WaitSpec {
            schedule,
            timeout: estimate
                .mul_f64(timeout_factor)
                .max(self.min_timeout.mul_f64(self.scale())),
            time_scale: self.scale(),
        }
    }

    fn scale(&self) -> f64 {
        positive_or(self.time_scale, 1.0)
    }
}

fn unscaled_seconds(kind: ResourceKind, operation: Operation) -> f64 {
    match operation {
        Operation::Create | Operation::Update => kind.create_seconds(),
        Operation::Delete => kind.delete_seconds(),
    }
}

fn secs(x: f64) -> Duration {
    Duration::try_from_secs_f64(x).unwrap_or(Duration::ZERO)
}

/// Why a wait ended without its condition holding.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum WaitError<T> {
    /// The condition did not hold within the timeout; `last` is the latest observation.
    Timeout { waited: Duration, last: Option<T> },
    /// Looking failed with an error that waiting longer will not fix.
    Probe(StepError),
}

/// Polls `probe` on `spec`'s schedule until `condition` holds, and returns that observation.
/// Throttled, transient and conflict errors from the probe count as "no news" and polling goes on;
/// a fatal one ends the wait. `observe` sees every observation (to report the state as it changes).
pub(crate) async fn until<T, P, F>(
    spec: &WaitSpec,
    jitter: &Jitter,
    mut probe: P,
    condition: impl Condition<T>,
    mut observe: impl FnMut(Option<&T>, Duration),
) -> Result<Option<T>, WaitError<T>>
where
    P: FnMut() -> F,
    F: Future<Output = Result<Option<T>, StepError>>,
{
    let start = Instant::now();
    let deadline = start + spec.timeout;
    let mut last: Option<T> = None;
    let mut poll = 0u32;
    loop {
        let now = Instant::now();
        let delay = jitter.spread(spec.schedule.delay(poll, now - start), spec.schedule.jitter);
        if now >= deadline {
            return Err(WaitError::Timeout {
                waited: now - start,
                last,
            });
        }
        // The last look happens at the deadline, so a wait never ends without a final answer.
        tokio::time::sleep_until((now + delay).min(deadline)).await;
        poll = poll.saturating_add(1);
        match probe().await {
            Ok(observed) => {
                observe(observed.as_ref(), start.elapsed());
                if condition.matches(observed.as_ref()) {
                    return Ok(observed);
                }
                last = observed;
            }
            Err(error) if error.class == ErrorClass::Fatal => return Err(WaitError::Probe(error)),
            Err(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    #[derive(Debug, Clone, PartialEq)]
    struct Status(&'static str);

    fn active() -> impl Condition<Status> {
        has(|s: &Status| s.0 == "active")
    }

    #[test]
    fn conditions_compose() {
        let creating = Status("creating");
        let ready = Status("active");
        assert!(active().matches(Some(&ready)));
        assert!(!active().matches(Some(&creating)));
        assert!(!active().matches(None));
        assert!(is_gone::<Status>().matches(None));
        assert!(exists::<Status>().matches(Some(&creating)));
        let failed = has(|s: &Status| s.0 == "failed");
        let settled = active().or(failed);
        assert!(settled.matches(Some(&Status("failed"))));
        assert!(!settled.matches(Some(&creating)));
        assert!(exists().and(active().not()).matches(Some(&creating)));
        assert!(!exists().and(active().not()).matches(None));
    }

    #[test]
    fn a_wait_can_expect_longer_than_its_kind() {
        let policy = WaitPolicy {
            time_scale: 1.0 / 60.0,
            ..WaitPolicy::default()
        };
        // An Auto Scaling group (60 s) whose instances also pass 3 × 30 s of health checks.
        let spec = policy.spec(ResourceKind::AutoScalingGroup, Operation::Create);
        let expecting = spec.expecting(Duration::from_secs(150));
        let at_aws = PollSchedule::for_estimate(Duration::from_secs(150)).scaled(1.0 / 60.0);
        assert_eq!(expecting.schedule, at_aws);
        assert_eq!(expecting.schedule.near_from, Duration::from_secs_f64(2.125));
        assert_eq!(
            expecting.timeout,
            Duration::from_secs(15),
            "six times 150 s, scaled"
        );
        assert_eq!(expecting.time_scale, spec.time_scale);
        let short = spec.expecting(Duration::from_secs(90));
        assert_eq!(
            short.timeout, spec.timeout,
            "ten minutes (scaled) is longer still"
        );
    }

    #[test]
    fn poll_schedule_scales_with_the_estimate() {
        let nat = PollSchedule::for_estimate(Duration::from_secs(105));
        assert_eq!(nat.first, Duration::from_secs(42));
        let at = |s: f64| Duration::from_secs_f64(s);
        assert_eq!(nat.delay(1, at(42.0)), at(5.25));
        assert_eq!(nat.delay(5, at(90.0)), at(1.3125), "near the estimate");
        assert_eq!(nat.delay(9, at(130.0)), at(5.25), "steady again");
        assert_eq!(nat.delay(20, at(160.0)), at(5.25), "then growing");
        assert_eq!(nat.delay(21, at(177.5)), at(10.0));
        assert_eq!(nat.delay(40, at(600.0)), at(26.25), "capped");
        let route = PollSchedule::for_estimate(Duration::from_secs(2));
        assert_eq!(route.first, Duration::from_millis(800));
        assert_eq!(route.delay(1, at(0.8)), Duration::from_millis(500));
        assert_eq!(route.delay(2, at(1.8)), Duration::from_millis(500));
        assert_eq!(route.delay(50, at(60.0)), Duration::from_secs(1));
        let eks = PollSchedule::for_estimate(Duration::from_secs(600));
        assert_eq!(eks.first, Duration::from_secs(180));
        assert_eq!(eks.delay(1, at(180.0)), at(30.0));
        assert_eq!(eks.delay(12, at(520.0)), at(7.5));
    }

    /// Un-jittered look times of `schedule`, until `until`.
    fn looks(schedule: &PollSchedule, until: Duration) -> Vec<Duration> {
        let mut at = Duration::ZERO;
        let mut out = Vec::new();
        for poll in 0.. {
            at += schedule.delay(poll, at);
            if at > until {
                break;
            }
            out.push(at);
        }
        out
    }

    /// How late readiness at `ready` (a fraction of `estimate`) is seen, as a fraction of it.
    fn lateness(schedule: &PollSchedule, estimate: f64, ready: f64) -> f64 {
        let times = looks(schedule, Duration::from_secs_f64(estimate * 3.0));
        let ready = Duration::from_secs_f64(estimate * ready);
        let seen = times.iter().find(|&&t| t >= ready).expect("a look after");
        (*seen - ready).as_secs_f64() / estimate
    }

    #[test]
    fn readiness_near_the_estimate_is_seen_at_most_an_eightieth_late() {
        for estimate in [60.0, 105.0, 150.0, 270.0, 330.0, 600.0] {
            let schedule = PollSchedule::for_estimate(Duration::from_secs_f64(estimate));
            for ready in [0.6, 0.8, 1.25, 1.45] {
                let late = lateness(&schedule, estimate, ready);
                assert!(
                    late <= 0.05 + 1e-9,
                    "{estimate} s, ready at {ready}: {late}"
                );
            }
            for ready in [0.86, 0.9, 1.0, 1.1, 1.19] {
                let late = lateness(&schedule, estimate, ready);
                assert!(
                    late <= 0.0125 + 1e-9,
                    "{estimate} s, ready at {ready}: {late}"
                );
            }
        }
    }

    #[test]
    fn a_time_scale_scales_the_whole_schedule_floors_included() {
        let policy = WaitPolicy {
            time_scale: 1.0 / 60.0,
            ..WaitPolicy::default()
        };
        // A node group (150 s at AWS) in an emulator 60 times faster: 2.5 s.
        let spec = policy.spec(ResourceKind::NodeGroup, Operation::Create);
        assert_eq!(spec.schedule.first, Duration::from_secs(1));
        assert_eq!(spec.schedule.interval, Duration::from_millis(125));
        // A route (2 s): the half-second floor becomes ~8 ms, not half a second.
        let route = policy.spec(ResourceKind::Route, Operation::Create);
        assert!(route.schedule.first < Duration::from_millis(15));
        assert_eq!(
            PollSchedule::for_estimate(Duration::from_secs(10)).scaled(f64::NAN),
            PollSchedule::for_estimate(Duration::from_secs(10))
        );
    }

    #[test]
    fn wait_policy_derives_timeouts_from_estimates() {
        let policy = WaitPolicy::default();
        let eks = policy.spec(ResourceKind::EksCluster, Operation::Create);
        assert_eq!(eks.timeout, Duration::from_secs(3600));
        let route = policy.spec(ResourceKind::Route, Operation::Delete);
        assert_eq!(route.timeout, Duration::from_secs(600));
        let fast = WaitPolicy {
            time_scale: 0.01,
            ..WaitPolicy::default()
        };
        assert_eq!(
            fast.spec(ResourceKind::EksCluster, Operation::Create)
                .timeout,
            Duration::from_secs(36)
        );
        let broken = WaitPolicy {
            time_scale: f64::NAN,
            timeout_factor: -1.0,
            ..WaitPolicy::default()
        };
        assert_eq!(
            broken
                .spec(ResourceKind::EksCluster, Operation::Create)
                .timeout,
            Duration::from_secs(600)
        );
    }

    fn spec(timeout: u64) -> WaitSpec {
        WaitSpec {
            schedule: PollSchedule::for_estimate(Duration::from_secs(10)),
            timeout: Duration::from_secs(timeout),
            time_scale: 1.0,
        }
    }

    #[test]
    fn a_longer_wait_adds_aws_time_at_the_policys_scale() {
        let fast = WaitPolicy {
            time_scale: 0.01,
            ..WaitPolicy::default()
        };
        let group = fast.spec(ResourceKind::AutoScalingGroup, Operation::Update);
        assert_eq!(group.timeout, Duration::from_secs(6));
        // A lifecycle hook's longest heartbeat timeout, two hours at AWS's pace: 72 s more here.
        let held = group.longer(Duration::from_secs(7200));
        assert_eq!(held.timeout, Duration::from_secs(78));
        assert_eq!(held.schedule, group.schedule);
        let aws = WaitPolicy::default().spec(ResourceKind::AutoScalingGroup, Operation::Update);
        assert_eq!(
            aws.longer(Duration::from_secs(300)).timeout,
            Duration::from_secs(900)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn waits_until_the_condition_holds() {
        let jitter = Jitter::seeded(3);
        let start = Instant::now();
        let ready_at = start + Duration::from_secs(12);
        let polls = Cell::new(0);
        let mut states = Vec::new();
        let result = until(
            &spec(60),
            &jitter,
            || {
                polls.set(polls.get() + 1);
                let now = Instant::now();
                async move {
                    Ok(Some(if now >= ready_at {
                        Status("active")
                    } else {
                        Status("creating")
                    }))
                }
            },
            active(),
            |s, _| states.push(s.map(|s| s.0)),
        )
        .await;
        assert_eq!(result, Ok(Some(Status("active"))));
        assert!(polls.get() >= 2, "first look at ~4s is too early");
        assert_eq!(states.last(), Some(&Some("active")));
        assert!(states.contains(&Some("creating")));
    }

    #[tokio::test(start_paused = true)]
    async fn transient_probe_errors_are_tolerated_and_fatal_ones_end_the_wait() {
        let jitter = Jitter::seeded(3);
        let calls = Cell::new(0);
        let result = until(
            &spec(60),
            &jitter,
            || {
                calls.set(calls.get() + 1);
                let n = calls.get();
                async move {
                    match n {
                        1 => Err(StepError::throttled("Throttling", "slow down")),
                        _ => Ok(Some(Status("active"))),
                    }
                }
            },
            active(),
            |_, _| {},
        )
        .await;
        assert_eq!(result, Ok(Some(Status("active"))));
        let fatal = until(
            &spec(60),
            &jitter,
            || async { Err::<Option<Status>, _>(StepError::fatal("AccessDenied", "no")) },
            active(),
            |_, _| {},
        )
        .await;
        assert_eq!(
            fatal,
            Err(WaitError::Probe(StepError::fatal("AccessDenied", "no")))
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_never_outlives_its_timeout() {
        let jitter = Jitter::seeded(3);
        let start = Instant::now();
        let result = until(
            &spec(30),
            &jitter,
            || async { Ok(Some(Status("creating"))) },
            active(),
            |_, _| {},
        )
        .await;
        match result {
            Err(WaitError::Timeout { waited, last }) => {
                assert_eq!(waited, Duration::from_secs(30));
                assert_eq!(last, Some(Status("creating")));
            }
            other => panic!("expected a timeout, got {other:?}"),
        }
        assert_eq!(start.elapsed(), Duration::from_secs(30));
    }
}
