//! Retry delays: capped exponential backoff with full jitter, and the shared random source.
//!
//! Full jitter (a uniform delay between zero and the exponential ceiling) spreads retries of many
//! throttled steps apart instead of letting them hit AWS again in lockstep.
//!
//! Two layers retry, and both take their policy from here: each API call retries quickly inside
//! itself ([`call_retries`]: the AWS SDK's retry configuration, the Kubernetes client's retries),
//! and the executor retries a whole step more slowly ([`Retries`]) when a call still fails.

use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use std::sync::Mutex;
use std::time::Duration;

use super::step::ErrorClass;

/// How one class of errors is retried.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Ceiling of the first retry's delay; it doubles with each retry.
    pub base: Duration,
    /// No delay ceiling grows beyond this.
    pub cap: Duration,
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// No retry starts once the step has been trying for this long.
    pub max_elapsed: Duration,
}

impl RetryPolicy {
    /// The delay ceiling before retry number `retry` (0 for the first retry).
    pub(crate) fn ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.min(31));
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before retry number `retry`: uniform in [0, ceiling].
    pub(crate) fn delay(&self, retry: u32, jitter: &Jitter) -> Duration {
        self.ceiling(retry).mul_f64(jitter.unit())
    }

    /// Whether a step that has made `attempts` attempts over `elapsed` may try again.
    pub(crate) fn allows(&self, attempts: u32, elapsed: Duration) -> bool {
        attempts < self.max_attempts && elapsed < self.max_elapsed
    }

    /// Every delay multiplied by `factor` (below 1 for the emulator's scaled latency profile, where
    /// AWS's seconds pass 60 times faster); attempts unchanged. Delays never drop below 10 ms, nor
    /// the time budget below 30 s, so a loaded machine is not hammered. A factor of 1 or more (or
    /// nonsense) changes nothing.
    pub(crate) fn scaled(self, factor: f64) -> RetryPolicy {
        if !factor.is_finite() || factor <= 0.0 || factor >= 1.0 {
            return self;
        }
        RetryPolicy {
            base: self.base.mul_f64(factor).max(MIN_DELAY),
            cap: self.cap.mul_f64(factor).max(MIN_DELAY),
            max_attempts: self.max_attempts,
            max_elapsed: self.max_elapsed.mul_f64(factor).max(MIN_BUDGET),
        }
    }
}

/// No scaled delay is shorter.
const MIN_DELAY: Duration = Duration::from_millis(10);
/// No scaled time budget is shorter.
const MIN_BUDGET: Duration = Duration::from_secs(30);

/// Retries inside one API call, for throttling, 5xx answers and lost connections (never for other
/// 4xx answers): the AWS SDK's retry configuration and the Kubernetes client's retry layer.
///
/// The SDK's standard mode (1 s doubling to 20 s) with more attempts than its default three: a
/// call that still fails surfaces to the step — or, for reads, the lock and the workload, which
/// have no step around them, to the whole command — so under sustained throttling (AWS's
/// account-wide limits are shared with everything else in the account) each call tries up to 8
/// times. At a 25% fault rate a call then fails once in 65,536 tries instead of once in 256 with
/// four attempts; at AWS's pace its seven delays are at most 71 s together (35 s on average).
pub(crate) const CALL_RETRIES: RetryPolicy = RetryPolicy {
    base: Duration::from_secs(1),
    cap: Duration::from_secs(20),
    max_attempts: 8,
    max_elapsed: Duration::from_secs(5 * 60),
};

/// [`CALL_RETRIES`] at the time scale (`SHINYCTL_TIME_SCALE`): on the emulator's profile, 60
/// times faster than AWS, a first retry waits up to 17 ms instead of a second, so a throttled
/// run keeps the pace of a clean one.
pub(crate) fn call_retries(time_scale: f64) -> RetryPolicy {
    CALL_RETRIES.scaled(time_scale)
}

/// The retry policy for each retryable error class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Retries {
    pub throttled: RetryPolicy,
    pub transient: RetryPolicy,
    pub conflict: RetryPolicy,
    pub propagating: RetryPolicy,
}

impl Default for Retries {
    /// Throttling and transient faults clear within seconds: short delays, a dozen attempts over
    /// at most five minutes (on top of the SDK's own three quick retries). Conflicts wait for
    /// something else to finish — ENIs a load balancer or Lambda leaves behind can take twenty
    /// minutes to go — so they retry slowly for longer. IAM propagation usually takes seconds;
    /// the Terraform AWS provider waits up to two minutes for it (`propagationTimeout` in
    /// `internal/service/eks/consts.go`) and twice that for a canary's Lambda
    /// (`internal/service/synthetics/canary.go`), so four minutes bound it here.
    fn default() -> Self {
        Retries {
            throttled: RetryPolicy {
                base: Duration::from_millis(500),
                cap: Duration::from_secs(20),
                max_attempts: 12,
                max_elapsed: Duration::from_secs(5 * 60),
            },
            transient: RetryPolicy {
                base: Duration::from_secs(1),
                cap: Duration::from_secs(30),
                max_attempts: 8,
                max_elapsed: Duration::from_secs(5 * 60),
            },
            conflict: RetryPolicy {
                base: Duration::from_secs(5),
                cap: Duration::from_secs(60),
                max_attempts: 60,
                max_elapsed: Duration::from_secs(25 * 60),
            },
            propagating: RetryPolicy {
                base: Duration::from_secs(2),
                cap: Duration::from_secs(15),
                max_attempts: 30,
                max_elapsed: Duration::from_secs(4 * 60),
            },
        }
    }
}

impl Retries {
    /// Every delay multiplied by `factor` (below 1 for the emulator's scaled latency profile, where
    /// AWS's seconds pass 60 times faster): backoff keeps its proportion to the resources' own
    /// times instead of dominating them (see [`RetryPolicy::scaled`] for the floors).
    pub(crate) fn scaled(self, factor: f64) -> Retries {
        Retries {
            throttled: self.throttled.scaled(factor),
            transient: self.transient.scaled(factor),
            conflict: self.conflict.scaled(factor),
            propagating: self.propagating.scaled(factor),
        }
    }

    /// The policy for `class`, or None for errors that are not retried.
    pub(crate) fn policy(&self, class: ErrorClass) -> Option<&RetryPolicy> {
        match class {
            ErrorClass::Throttled => Some(&self.throttled),
            ErrorClass::Transient => Some(&self.transient),
            ErrorClass::Conflict => Some(&self.conflict),
            ErrorClass::Propagating => Some(&self.propagating),
            ErrorClass::Fatal => None,
        }
    }
}

/// The random source for retry and poll jitter, shared by all steps; seeded in tests.
#[derive(Debug)]
pub(crate) struct Jitter(Mutex<StdRng>);

impl Jitter {
    pub(crate) fn seeded(seed: u64) -> Self {
        Jitter(Mutex::new(StdRng::seed_from_u64(seed)))
    }

    pub(crate) fn from_entropy() -> Self {
        Jitter::seeded(rand::random())
    }

    /// A uniform number in [0, 1).
    pub(crate) fn unit(&self) -> f64 {
        // A poisoned lock only means another step panicked mid-draw; the generator is still usable.
        let mut rng = self.0.lock().unwrap_or_else(|e| e.into_inner());
        rng.random_range(0.0..1.0)
    }

    /// `duration` scaled by a uniform factor in [1 - spread, 1 + spread].
    pub(crate) fn spread(&self, duration: Duration, spread: f64) -> Duration {
        let spread = spread.clamp(0.0, 1.0);
        duration.mul_f64(1.0 - spread + 2.0 * spread * self.unit())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(10),
        max_attempts: 5,
        max_elapsed: Duration::from_secs(60),
    };

    #[test]
    fn ceiling_doubles_up_to_the_cap() {
        let ceilings: Vec<u64> = (0..6).map(|r| POLICY.ceiling(r).as_secs()).collect();
        assert_eq!(ceilings, [1, 2, 4, 8, 10, 10]);
        assert_eq!(POLICY.ceiling(u32::MAX), Duration::from_secs(10));
    }

    #[test]
    fn full_jitter_stays_within_the_ceiling_and_varies() {
        let jitter = Jitter::seeded(7);
        let delays: Vec<Duration> = (0..50).map(|_| POLICY.delay(3, &jitter)).collect();
        assert!(delays.iter().all(|d| *d <= Duration::from_secs(8)));
        assert!(delays.iter().any(|d| *d < Duration::from_secs(4)));
        assert!(delays.iter().any(|d| *d > Duration::from_secs(4)));
    }

    #[test]
    fn attempts_and_time_are_bounded() {
        assert!(POLICY.allows(1, Duration::ZERO));
        assert!(!POLICY.allows(5, Duration::ZERO));
        assert!(!POLICY.allows(1, Duration::from_secs(60)));
        assert!(Retries::default().policy(ErrorClass::Fatal).is_none());
        // IAM propagation is retried, for minutes at most.
        let propagating = Retries::default()
            .policy(ErrorClass::Propagating)
            .copied()
            .expect("retried");
        assert!(propagating.max_elapsed <= Duration::from_secs(4 * 60));
    }

    #[test]
    fn spread_is_symmetric_around_the_duration() {
        let jitter = Jitter::seeded(1);
        for _ in 0..50 {
            let d = jitter.spread(Duration::from_secs(10), 0.2);
            assert!(d >= Duration::from_secs(8) && d <= Duration::from_secs(12));
        }
    }
}

#[cfg(test)]
mod scaled_tests {
    use super::*;

    #[test]
    fn scaling_shrinks_delays_with_floors_and_keeps_attempts() {
        let retries = Retries::default();
        let fast = retries.scaled(1.0 / 60.0);
        assert_eq!(fast.throttled.base, Duration::from_millis(10));
        assert_eq!(
            fast.throttled.cap,
            retries.throttled.cap.mul_f64(1.0 / 60.0)
        );
        assert_eq!(fast.conflict.max_attempts, retries.conflict.max_attempts);
        assert_eq!(fast.transient.max_elapsed, Duration::from_secs(30));
        assert_eq!(fast.conflict.max_elapsed, Duration::from_secs(30));
    }

    #[test]
    fn call_retries_scale_like_the_steps_and_keep_their_attempts() {
        assert_eq!(call_retries(1.0), CALL_RETRIES);
        let fast = call_retries(1.0 / 60.0);
        assert_eq!(fast.max_attempts, CALL_RETRIES.max_attempts);
        assert_eq!(fast.base, Duration::from_secs(1).mul_f64(1.0 / 60.0));
        assert_eq!(fast.cap, Duration::from_secs(20).mul_f64(1.0 / 60.0));
        assert_eq!(call_retries(0.0001).base, Duration::from_millis(10));
        assert!(fast.max_elapsed >= Duration::from_secs(30));
    }

    #[test]
    fn factors_of_one_or_nonsense_change_nothing() {
        let retries = Retries::default();
        for factor in [1.0, 2.0, 0.0, -1.0, f64::NAN] {
            assert_eq!(
                retries.scaled(factor).throttled.base,
                retries.throttled.base
            );
        }
    }
}
