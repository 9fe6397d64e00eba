//! Round trips of a no-change live plan (issue 18): the plan run again with every AWS call of
//! its account answered [`DELAY_SECONDS`] late (the emulator's `slow` fault rule), so AWS latency,
//! not the emulator's own few milliseconds, is what the read waits for.
//!
//! **Counting.** From shinyctl's own call log (`--call-log`: each request's service, operation,
//! when it was sent and when its answer came): the longest chain of AWS calls in which each was
//! sent after the one before it was answered. A call that waited for an answer, or for a free
//! slot behind the calls in flight (`--calls-in-flight`), or for a rate-limit token, starts a
//! round trip of its own; calls in flight together share one. The bound is the read's declared
//! bound on its dependency depth (`src/aws/services/stages.rs`, compiled in here; a test of
//! shinyctl holds the kinds' declared reads to it).
//!
//! **Why the caller's times.** The emulator is one Python interpreter: a hundred calls sent
//! together are served one after another, so the last of them starts being served (the
//! emulator's `started`) after the first was answered, and the emulator's own log would chain
//! calls that shinyctl sent together. AWS serves them in parallel. The caller's log tells what
//! shinyctl waited for; the emulator's count (`served`) is printed beside it.
//!
//! **Calls in flight.** The other live runs hold shinyctl to 2 calls in flight (the emulator
//! answers one call at a time, see `live::CALLS_IN_FLIGHT`); at 2, a 50-call read would be 25
//! round trips, whatever its shape. Delayed calls sleep in the emulator's threads instead of
//! holding its one interpreter, so this run uses shinyctl's default ([`CALLS_IN_FLIGHT`]), as a
//! user against AWS does; the emulator's own work (a few milliseconds a call, one call at a
//! time) still adds to the read's seconds, not to its round trips.

use serde_json::{Value, json};

use std::path::Path;

use anyhow::{Context, Result};

use super::emulator::Call;

#[path = "../../../src/aws/services/stages.rs"]
#[allow(dead_code)]
mod stages;

/// The latency every AWS call gets in this run: 100 ms, a round trip to a distant region.
pub const DELAY_SECONDS: f64 = 0.1;

/// `--calls-in-flight` of this run: shinyctl's default (`aws::config::DEFAULT_CALLS_IN_FLIGHT`).
pub const CALLS_IN_FLIGHT: usize = 256;

/// The calls the timeline counts: AWS's, not the Kubernetes stand-in's.
const NOT_DELAYED: &str = "kubernetes";

/// Every AWS call of `account` answered [`DELAY_SECONDS`] late.
pub fn slow_faults(account: &str) -> Value {
    json!({
        "rules": [
            {"kind": "slow", "delay_seconds": DELAY_SECONDS, "account": account},
        ]
    })
}

/// What one delayed no-change plan took.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundTrips {
    /// The longest chain of AWS calls, each started after the previous one was answered.
    pub round_trips: usize,
    /// The read's declared dependency depth: the bound.
    pub bound: usize,
    /// From the first AWS call's start to the last one's answer.
    pub read_seconds: f64,
    /// The whole `shinyctl plan` process.
    pub seconds: f64,
    /// AWS calls made.
    pub calls: usize,
    /// Whether the plan ran and showed no changes.
    pub ok: bool,
    /// The calls of the longest chain, `service:Operation`, first first.
    pub chain: Vec<String>,
    /// The longest chain in the emulator's own log (by when it began serving each call): more
    /// than `round_trips` where calls sent together queued in the emulator.
    pub served: usize,
}

impl RoundTrips {
    /// The measure of a delayed plan that made `calls` (its own log) and took `seconds`;
    /// `served`: the same calls in the emulator's log.
    pub fn measured(calls: &[Call], served: &[Call], seconds: f64, ok: bool) -> RoundTrips {
        let served_aws: Vec<&Call> = served.iter().filter(|c| c.service != NOT_DELAYED).collect();
        RoundTrips {
            served: longest_chain(&served_aws).len(),
            ..RoundTrips::of(calls, seconds, ok)
        }
    }

    /// The measure of a delayed plan that made `calls` and took `seconds`.
    pub fn of(calls: &[Call], seconds: f64, ok: bool) -> RoundTrips {
        let aws: Vec<&Call> = calls.iter().filter(|c| c.service != NOT_DELAYED).collect();
        let first = aws.iter().map(|c| c.started).fold(f64::INFINITY, f64::min);
        let last = aws.iter().map(|c| c.answered).fold(0.0, f64::max);
        let chain = longest_chain(&aws);
        RoundTrips {
            round_trips: chain.len(),
            chain,
            bound: read_depth(),
            read_seconds: if aws.is_empty() { 0.0 } else { last - first },
            seconds,
            calls: aws.len(),
            ok,
            served: 0,
        }
    }

    /// A no-change plan within the bound. Judged on round trips, not seconds: the emulator
    /// serves its calls' own work one at a time (one Python interpreter), which AWS does not,
    /// so at 60 calls its few milliseconds each add a trip's worth of seconds that AWS would not.
    pub fn within_bound(&self) -> bool {
        self.ok && self.round_trips <= self.bound
    }
}

/// Set (to anything), the round-trip run also prints every AWS call of the delayed plan: when
/// it started and was answered (ms after the first call's start) and its round trip (the
/// longest chain ending with it), so a chain longer than the read's depth can be traced.
pub const TIMELINE_VAR: &str = "BENCH_TIMELINE";

/// The delayed plan's AWS calls, one line each, by start: `start–answer ms  trip  call`.
pub fn timeline(calls: &[Call]) -> String {
    let mut aws: Vec<&Call> = calls.iter().filter(|c| c.service != NOT_DELAYED).collect();
    aws.sort_by(|a, b| a.started.total_cmp(&b.started));
    let first = aws.first().map_or(0.0, |c| c.started);
    let mut trip: Vec<usize> = Vec::with_capacity(aws.len());
    let mut out = String::new();
    for (i, call) in aws.iter().enumerate() {
        let level = (0..i)
            .filter(|&j| aws[j].answered <= call.started)
            .map(|j| trip[j])
            .max()
            .unwrap_or(0)
            + 1;
        trip.push(level);
        out.push_str(&format!(
            "      {:>5.0}–{:<5.0} ms  {level}  {}:{}\n",
            (call.started - first) * 1000.0,
            (call.answered - first) * 1000.0,
            call.service,
            call.operation
        ));
    }
    out
}

/// The calls of shinyctl's `--call-log` at `path`: one JSON object a line.
pub fn read_call_log(path: &Path) -> Result<Vec<Call>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the call log {}", path.display()))?;
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let c: Value = serde_json::from_str(line)
                .with_context(|| format!("a line of {} is not JSON: {line}", path.display()))?;
            Ok(Call {
                service: c["service"].as_str().unwrap_or("?").to_string(),
                operation: c["operation"].as_str().unwrap_or("?").to_string(),
                ok: c["status"].as_u64().is_some_and(|s| s < 400),
                fault: None,
                started: c["sent"].as_f64().unwrap_or(0.0),
                answered: c["answered"].as_f64().unwrap_or(0.0),
            })
        })
        .collect()
}

/// The most round trips the read may take, as shinyctl declares it.
pub fn read_depth() -> usize {
    stages::DEPTH_BOUND
}

/// The longest chain of `calls` in which each started after the one before it was answered, as
/// `service:Operation`, first first.
fn longest_chain(calls: &[&Call]) -> Vec<String> {
    let mut sorted: Vec<&Call> = calls.to_vec();
    sorted.sort_by(|a, b| a.started.total_cmp(&b.started));
    // For each call: the longest chain ending with it, and the call before it there.
    let mut length: Vec<usize> = Vec::with_capacity(sorted.len());
    let mut previous: Vec<Option<usize>> = Vec::with_capacity(sorted.len());
    for (i, call) in sorted.iter().enumerate() {
        let before = (0..i)
            .filter(|&j| sorted[j].answered <= call.started)
            .max_by_key(|&j| length[j]);
        length.push(before.map_or(0, |j| length[j]) + 1);
        previous.push(before);
    }
    let mut at = (0..sorted.len()).max_by_key(|&i| length[i]);
    let mut chain = Vec::new();
    while let Some(i) = at {
        chain.push(format!("{}:{}", sorted[i].service, sorted[i].operation));
        at = previous[i];
    }
    chain.reverse();
    chain
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(service: &str, started: f64, answered: f64) -> Call {
        Call {
            service: service.into(),
            operation: "Describe".into(),
            ok: true,
            fault: None,
            started,
            answered,
        }
    }

    #[test]
    fn calls_in_flight_together_are_one_round_trip() {
        let calls = [
            call("ec2", 0.00, 0.10),
            call("s3", 0.01, 0.11),
            call("rds", 0.02, 0.12),
        ];
        let measured = RoundTrips::of(&calls, 0.2, true);
        assert_eq!(measured.round_trips, 1);
        assert_eq!(measured.calls, 3);
        assert!((measured.read_seconds - 0.12).abs() < 1e-9);
    }

    #[test]
    fn a_call_after_an_answer_is_another_round_trip() {
        // A listing, two details after it, a rule read after one of them; an independent call
        // in flight meanwhile.
        let calls = [
            call("elbv2", 0.00, 0.10),
            call("elbv2", 0.101, 0.20),
            call("elbv2", 0.102, 0.20),
            call("iam", 0.05, 0.15),
            call("elbv2", 0.201, 0.30),
        ];
        let measured = RoundTrips::of(&calls, 0.4, true);
        assert_eq!(measured.round_trips, 3);
        assert_eq!(measured.chain.len(), 3);
    }

    #[test]
    fn the_call_log_is_read_as_calls() {
        let dir = std::env::temp_dir().join(format!("shinyctl-call-log-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("calls.jsonl");
        std::fs::write(
            &path,
            "{\"service\":\"ec2\",\"operation\":\"DescribeVpcs\",\"sent\":1.0,\"answered\":1.1,\"status\":200}\n\
             {\"service\":\"s3\",\"operation\":\"ListBuckets\",\"sent\":1.1,\"answered\":1.2,\"status\":null}\n",
        )
        .unwrap();
        let calls = read_call_log(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(calls.len(), 2);
        assert_eq!((calls[0].service.as_str(), calls[0].ok), ("ec2", true));
        assert!(!calls[1].ok);
        assert_eq!(RoundTrips::of(&calls, 0.3, true).round_trips, 2);
    }

    #[test]
    fn calls_queued_in_the_emulator_are_counted_as_sent() {
        // Sent together, answered one after another: one round trip for shinyctl, three as
        // the emulator served them.
        let sent = [
            call("ecr", 0.0, 0.10),
            call("ecr", 0.0, 0.11),
            call("ecr", 0.0, 0.12),
        ];
        let served = [
            call("ecr", 0.0, 0.10),
            call("ecr", 0.10, 0.11),
            call("ecr", 0.11, 0.12),
        ];
        let measured = RoundTrips::measured(&sent, &served, 0.2, true);
        assert_eq!((measured.round_trips, measured.served), (1, 3));
    }

    #[test]
    fn the_timeline_shows_each_calls_round_trip() {
        let calls = [
            call("elbv2", 0.00, 0.10),
            call("kubernetes", 0.05, 0.06),
            call("elbv2", 0.101, 0.20),
            call("iam", 0.05, 0.15),
        ];
        let lines: Vec<String> = timeline(&calls).lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].ends_with("  1  elbv2:Describe"), "{lines:?}");
        assert!(lines[1].ends_with("  1  iam:Describe"), "{lines:?}");
        assert!(lines[2].ends_with("  2  elbv2:Describe"), "{lines:?}");
    }

    #[test]
    fn the_stand_ins_calls_are_not_counted() {
        let calls = [
            call("eks", 0.0, 0.1),
            call("kubernetes", 0.11, 0.12),
            call("kubernetes", 0.13, 0.14),
        ];
        let measured = RoundTrips::of(&calls, 0.2, true);
        assert_eq!(measured.round_trips, 1);
        assert_eq!(measured.calls, 1);
    }

    #[test]
    fn the_bound_is_the_reads_declared_depth() {
        let within = RoundTrips {
            round_trips: 4,
            bound: read_depth(),
            read_seconds: 0.41,
            seconds: 0.6,
            calls: 50,
            ok: true,
            chain: Vec::new(),
            served: 5,
        };
        assert_eq!(within.bound, 4);
        assert!(within.within_bound());
        assert!(
            !RoundTrips {
                round_trips: 5,
                ..within.clone()
            }
            .within_bound()
        );
        assert!(
            !RoundTrips {
                ok: false,
                ..within
            }
            .within_bound()
        );
    }

    #[test]
    fn the_run_uses_shinyctls_default_calls_in_flight() {
        let config = include_str!("../../../src/aws/config.rs");
        let parallelism = include_str!("../../../src/apply/executor.rs");
        assert!(config.contains(
            "pub const DEFAULT_CALLS_IN_FLIGHT: usize = 8 * crate::apply::DEFAULT_PARALLELISM;"
        ));
        assert!(parallelism.contains("pub const DEFAULT_PARALLELISM: usize = 32;"));
        assert_eq!(CALLS_IN_FLIGHT, 8 * 32);
    }

    #[test]
    fn only_the_runs_account_is_slowed() {
        let faults = slow_faults("123456789012");
        let rules = faults["rules"].as_array().expect("rules");
        assert_eq!(rules.len(), 1);
        assert_eq!(rules[0]["kind"], "slow");
        assert_eq!(rules[0]["account"], "123456789012");
        assert_eq!(rules[0]["delay_seconds"], DELAY_SECONDS);
    }
}
