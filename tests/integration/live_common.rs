//! What the live suites (`live`, `live_services`) share: an engine configuration for the
//! zero-latency emulator and readable assertions on summaries and plans.

use std::time::Duration;

use shinyctl::apply::backoff::{Retries, RetryPolicy};
use shinyctl::apply::wait::WaitPolicy;
use shinyctl::apply::{Config, Summary};
use shinyctl::plan::{Action, Plan};

/// Short retries and scaled-down waits for the zero-latency emulator; `seed` fixes the jitter.
pub fn fast_config(seed: u64) -> Config {
    let quick = |attempts| RetryPolicy {
        base: Duration::from_millis(50),
        cap: Duration::from_millis(500),
        max_attempts: attempts,
        max_elapsed: Duration::from_secs(60),
    };
    Config {
        retries: Retries {
            throttled: quick(10),
            transient: quick(5),
            conflict: quick(40),
            propagating: quick(40),
        },
        waits: WaitPolicy {
            time_scale: 0.01,
            ..WaitPolicy::default()
        },
        seed: Some(seed),
        ..Config::default()
    }
}

pub fn assert_complete(summary: &Summary) {
    assert!(
        summary.is_complete(),
        "failed: {:#?}\nskipped: {}",
        summary.failed,
        summary.skipped.len()
    );
}

/// The changes of a plan that are not no-ops, as `address action property: before -> after`.
pub fn pending(plan: &Plan) -> Vec<String> {
    plan.changes
        .iter()
        .filter(|c| c.action != Action::NoOp)
        .map(|c| {
            let details: Vec<String> = c
                .changes
                .iter()
                .map(|p| format!("{}: {:?} -> {:?}", p.name, p.before, p.after))
                .collect();
            format!("{} {:?} {}", c.address, c.action, details.join("; "))
        })
        .collect()
}
