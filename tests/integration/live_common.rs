//! What the live suites (`live`, `live_services`, …) share: a connection to the emulator, a read
//! and a run as `shinyctl` makes them, an engine configuration for the zero-latency emulator and
//! readable assertions on summaries and plans.

use std::collections::BTreeMap;
use std::time::Duration;

use shinyctl::apply::backoff::{Retries, RetryPolicy};
use shinyctl::apply::wait::WaitPolicy;
use shinyctl::apply::{Config, EventSink, Executor, Outputs, Schedule, Summary};
use shinyctl::aws::{AwsOperator, Connection, LiveState, Target};
use shinyctl::plan::{Action, Address, Plan, Resource};

use super::emulator;

/// A connection to the shared emulator as `account` in us-east-1.
pub async fn connect(account: &str) -> Connection {
    connect_in(account, "us-east-1").await
}

/// A connection to the shared emulator as `account` in `region`.
pub async fn connect_in(account: &str, region: &str) -> Connection {
    let emulator = emulator::shared();
    shinyctl::aws::connect(&Target::emulator(&emulator.endpoint, region, account))
        .await
        .expect("connects")
}

/// What blueprint `name` has in the connection's account, read as `shinyctl` reads it.
pub async fn read_as(conn: &Connection, name: &str, desired: &[Resource]) -> LiveState {
    shinyctl::aws::read(conn, name, desired)
        .await
        .expect("live read")
}

/// One run of `plan` (a new operator, as each `shinyctl apply` or `destroy` makes) with the
/// outputs already `known`; its events are discarded.
pub async fn execute(
    operator: AwsOperator,
    config: Config,
    plan: &Plan,
    catalog: &[Resource],
    known: BTreeMap<Address, Outputs>,
) -> Summary {
    let schedule = Schedule::from_plan(plan, catalog, true).expect("schedule");
    Executor::new(operator, config)
        .run(
            &schedule,
            known,
            &EventSink::discard(),
            std::future::pending(),
        )
        .await
}

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

/// Fails unless the plan's (in-place changes, replacements) are `counts`, naming its changes.
pub fn assert_counts(plan: &Plan, counts: (usize, usize)) {
    assert_eq!(
        (plan.summary.change, plan.summary.replace),
        counts,
        "{:?}",
        pending(plan)
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
