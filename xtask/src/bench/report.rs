//! The figures a bench run produced, and the three files written from them:
//! `docs/benchmarks.json` (machine-readable), `docs/benchmarks.md` (tables, targets, misses) and
//! `docs/benchmarks.svg` (apply vs critical path vs parallelism 1, per blueprint).

use std::collections::BTreeMap;
use std::fmt::Write;

use serde_json::{Value, json};

use super::budget;
use super::emulator::CallCount;
use super::round_trips::{self, RoundTrips};

/// The issue's targets.
pub const APPLY_RATIO_TARGET: f64 = 1.05;
pub const DESTROY_RATIO_TARGET: f64 = 1.10;
pub const THROTTLED_RATIO_TARGET: f64 = 1.25;
pub const PLAN_1000_APPS_MS_TARGET: f64 = 100.0;
pub const STARTUP_MS_TARGET: f64 = 10.0;

#[derive(Debug, Clone, Default)]
pub struct Report {
    /// e.g. "2 CPUs, Linux x86_64".
    pub machine: String,
    pub shinyctl_version: String,
    /// The latency profile, relative to the repository.
    pub profile: String,
    /// `--calls-in-flight` of every live run.
    pub calls_in_flight: String,
    pub blueprints: Vec<BlueprintResult>,
    pub offline: Vec<OfflinePlan>,
    pub startup: Option<Startup>,
    /// Why the live part did not run, when it did not.
    pub live_skipped: Option<String>,
    /// Hand-written analysis kept from the previous docs/benchmarks.md.
    pub analysis: Option<String>,
    /// The AWS kinds shinyctl reads, from its `kinds --json` (the plan budget's terms).
    pub kinds: Vec<budget::KindReads>,
}

/// Everything measured on one blueprint.
#[derive(Debug, Clone, Default)]
pub struct BlueprintResult {
    pub name: String,
    /// Made by the bench (100 apps and repositories), not a file in blueprints/.
    pub generated: bool,
    pub resources: usize,
    pub kinds: usize,
    /// The slowest chain of creates under the emulator's profile.
    pub critical_path_seconds: f64,
    pub critical_path: Vec<String>,
    /// The slowest chain of deletes under the profile.
    pub destroy_critical_path_seconds: f64,
    /// shinyctl's own estimate (AWS's published times), for scale.
    pub estimated_critical_path_seconds: f64,
    pub apply: Option<Timed>,
    pub sequential: Option<Timed>,
    pub destroy: Option<Timed>,
    pub plan_calls: Option<CallCount>,
    /// Whether the live plan after apply showed no changes.
    pub plan_clean: Option<bool>,
    pub apply_calls: Option<CallCount>,
    pub destroy_calls: Option<CallCount>,
    /// The most calls a no-change plan may make (see `plan_call_budget`).
    pub plan_call_budget: Option<usize>,
    pub throttled: Option<Throttled>,
    /// The no-change plan with 100 ms per AWS call: its round trips.
    pub plan_round_trips: Option<RoundTrips>,
    /// What went wrong in the live runs.
    pub errors: Vec<String>,
}

/// One timed shinyctl run.
#[derive(Debug, Clone, Default)]
pub struct Timed {
    pub seconds: f64,
    pub ok: bool,
    /// Resources the run reported as failed (from its JSON events), when known.
    pub failed: Option<usize>,
    /// Stopped at the bench's time limit: `seconds` is a lower bound.
    pub timed_out: bool,
    /// What failed, with AWS's error code and message (from its JSON events).
    pub failures: Vec<FailedStep>,
}

/// One step a run reported as failed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FailedStep {
    pub address: String,
    /// `create`, `update`, `delete`, ...
    pub operation: String,
    /// AWS's error code (`Throttling`, `InternalError`, ...) or shinyctl's.
    pub code: String,
    pub message: String,
    /// Attempts made, the first included, when the run said.
    pub attempts: Option<u64>,
}

impl std::fmt::Display for FailedStep {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}): {}: {}",
            self.address, self.operation, self.code, self.message
        )?;
        match self.attempts {
            Some(n) => write!(f, " (after {n} attempts)"),
            None => Ok(()),
        }
    }
}

impl FailedStep {
    fn to_json(&self) -> Value {
        json!({
            "address": self.address,
            "operation": self.operation,
            "code": self.code,
            "message": self.message,
            "attempts": self.attempts,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct Throttled {
    pub seconds: f64,
    pub ok: bool,
    pub failed: Option<usize>,
    /// The failed resources, with their errors.
    pub failures: Vec<FailedStep>,
    pub calls: CallCount,
    /// The fault rules, for the report.
    pub rules: String,
}

#[derive(Debug, Clone, Default)]
pub struct OfflinePlan {
    pub apps: usize,
    pub resources: usize,
    /// Whole process, `shinyctl plan --offline --json -f F > /dev/null`.
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_rss_mib: f64,
    pub runs: usize,
}

#[derive(Debug, Clone, Default)]
pub struct Startup {
    pub median_ms: f64,
    pub min_ms: f64,
    pub max_rss_mib: f64,
    pub runs: usize,
}

fn ratio(a: Option<f64>, b: f64) -> Option<f64> {
    a.filter(|_| b > 0.0).map(|a| a / b)
}

impl BlueprintResult {
    pub fn apply_ratio(&self) -> Option<f64> {
        ratio(
            self.apply.as_ref().map(|t| t.seconds),
            self.critical_path_seconds,
        )
    }
    pub fn destroy_ratio(&self) -> Option<f64> {
        ratio(
            self.destroy.as_ref().map(|t| t.seconds),
            self.destroy_critical_path_seconds,
        )
    }
    pub fn sequential_speedup(&self) -> Option<f64> {
        let apply = self.apply.as_ref().map(|t| t.seconds)?;
        ratio(self.sequential.as_ref().map(|t| t.seconds), apply)
    }
    pub fn throttled_ratio(&self) -> Option<f64> {
        let clean = self.apply.as_ref().map(|t| t.seconds)?;
        ratio(self.throttled.as_ref().map(|t| t.seconds), clean)
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn opt(x: Option<f64>, digits: i32) -> Value {
    x.map_or(Value::Null, |x| json!(round(x, digits)))
}

fn calls_json(calls: &Option<CallCount>, resources: usize) -> Value {
    match calls {
        None => Value::Null,
        Some(c) => json!({
            "total": c.total,
            "per_resource": round(c.total as f64 / resources.max(1) as f64, 2),
            "per_service": c.per_service,
            "faulted": c.faulted,
            "errors": c.errors,
        }),
    }
}

fn timed_ok(t: &Option<Timed>) -> Value {
    t.as_ref().map_or(Value::Null, |t| json!(t.ok))
}

/// `docs/benchmarks.json`.
pub fn to_json(report: &Report) -> Value {
    let blueprints: Vec<Value> = report
        .blueprints
        .iter()
        .map(|b| {
            let mut plan_calls = calls_json(&b.plan_calls, b.resources);
            if let (Some(obj), Some(budget)) = (plan_calls.as_object_mut(), b.plan_call_budget) {
                obj.insert("budget".into(), json!(budget));
                obj.insert("no_changes".into(), json!(b.plan_clean));
            }
            // Where a plan's calls go, operation by operation: what to batch next.
            if let (Some(obj), Some(calls)) = (plan_calls.as_object_mut(), &b.plan_calls) {
                obj.insert("per_operation".into(), json!(calls.per_operation));
            }
            json!({
                "name": b.name,
                "generated": b.generated,
                "resources": b.resources,
                "resource_kinds": b.kinds,
                "critical_path_seconds": round(b.critical_path_seconds, 2),
                "critical_path": b.critical_path,
                "estimated_aws_critical_path_seconds": round(b.estimated_critical_path_seconds, 0),
                "apply_seconds": opt(b.apply.as_ref().map(|t| t.seconds), 2),
                "apply_ok": timed_ok(&b.apply),
                "apply_ratio": opt(b.apply_ratio(), 3),
                "apply_beyond_critical_path_seconds": opt(
                    b.apply.as_ref().map(|t| t.seconds - b.critical_path_seconds),
                    2
                ),
                "sequential_seconds": opt(b.sequential.as_ref().map(|t| t.seconds), 2),
                "sequential_speedup": opt(b.sequential_speedup(), 2),
                "destroy_seconds": opt(b.destroy.as_ref().map(|t| t.seconds), 2),
                "destroy_ok": timed_ok(&b.destroy),
                "destroy_stopped_at_limit": b.destroy.as_ref().map(|t| t.timed_out),
                "destroy_critical_path_seconds": round(b.destroy_critical_path_seconds, 2),
                "destroy_ratio": opt(b.destroy_ratio(), 3),
                "plan_api_calls": plan_calls,
                "plan_round_trips": b.plan_round_trips.as_ref().map(|r| json!({
                    "round_trips": r.round_trips,
                    "bound": r.bound,
                    "read_seconds": round(r.read_seconds, 3),
                    "plan_seconds": round(r.seconds, 3),
                    "aws_calls": r.calls,
                    "no_changes": r.ok,
                    "within_bound": r.within_bound(),
                    "longest_chain": r.chain,
                    "served_round_trips": r.served,
                })),
                "apply_api_calls": calls_json(&b.apply_calls, b.resources),
                "destroy_api_calls": calls_json(&b.destroy_calls, b.resources),
                "throttled_apply_seconds": opt(b.throttled.as_ref().map(|t| t.seconds), 2),
                "throttled_ratio": opt(b.throttled_ratio(), 3),
                "throttled_failed_resources": b.throttled.as_ref().and_then(|t| t.failed),
                "throttled_failures": b.throttled.as_ref().map(|t| {
                    t.failures.iter().map(FailedStep::to_json).collect::<Vec<_>>()
                }),
                "throttled_ok": b.throttled.as_ref().map(|t| t.ok),
                "throttled_faulted_calls": b.throttled.as_ref().map(|t| t.calls.faulted),
                "throttled_api_calls": b.throttled.as_ref().map(|t| t.calls.total),
                "errors": b.errors,
            })
        })
        .collect();
    let offline: Vec<Value> = report
        .offline
        .iter()
        .map(|o| {
            json!({
                "apps": o.apps,
                "repositories": o.apps,
                "resources": o.resources,
                "median_ms": round(o.median_ms, 2),
                "min_ms": round(o.min_ms, 2),
                "peak_rss_mib": round(o.max_rss_mib, 1),
                "runs": o.runs,
            })
        })
        .collect();
    json!({
        "generated_by": "cargo xtask bench",
        "machine": report.machine,
        "shinyctl_version": report.shinyctl_version,
        "latency_profile": report.profile,
        "calls_in_flight": report.calls_in_flight,
        "targets": {
            "apply_ratio": APPLY_RATIO_TARGET,
            "destroy_ratio": DESTROY_RATIO_TARGET,
            "throttled_ratio": THROTTLED_RATIO_TARGET,
            "offline_plan_1000_apps_ms": PLAN_1000_APPS_MS_TARGET,
            "startup_ms": STARTUP_MS_TARGET,
            "plan_api_calls": "at most one call per resource kind (plus pagination) beyond what the tagging API cannot answer",
            "plan_round_trips": format!(
                "at most the read's dependency depth ({}) at {} ms per AWS call",
                round_trips::read_depth(),
                round_trips::DELAY_SECONDS * 1000.0
            ),
            "plan_round_trips_calls_in_flight": round_trips::CALLS_IN_FLIGHT,
        },
        "live_skipped": report.live_skipped,
        "blueprints": blueprints,
        "offline_plan": offline,
        "startup": report.startup.as_ref().map(|s| json!({
            "command": "shinyctl --version",
            "median_ms": round(s.median_ms, 2),
            "min_ms": round(s.min_ms, 2),
            "peak_rss_mib": round(s.max_rss_mib, 1),
            "runs": s.runs,
        })),
    })
}

fn secs(t: &Option<Timed>) -> String {
    match t {
        None => "–".into(),
        Some(t) if t.ok => format!("{:.1} s", t.seconds),
        Some(t) if t.timed_out => format!("> {:.0} s (stopped)", t.seconds),
        Some(t) => format!("{:.1} s (failed)", t.seconds),
    }
}

/// "1.03 ✅" or "1.21 ❌ (+15%)" against a ratio target.
fn verdict(value: Option<f64>, target: f64) -> String {
    match value {
        None => "–".into(),
        Some(v) if v <= target => format!("{v:.2} ✅"),
        Some(v) => format!("{v:.2} ❌ (+{:.0}% over)", (v / target - 1.0) * 100.0),
    }
}

fn calls_cell(c: &Option<CallCount>, resources: usize) -> String {
    match c {
        None => "–".into(),
        Some(c) => format!(
            "{} ({:.1}/resource)",
            c.total,
            c.total as f64 / resources.max(1) as f64
        ),
    }
}

fn services_cell(c: &Option<CallCount>) -> String {
    match c {
        None => "–".into(),
        Some(c) => c
            .per_service
            .iter()
            .map(|(s, n)| format!("{s} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Markers around the hand-written analysis, which a new run keeps.
pub const ANALYSIS_START: &str = "<!-- analysis: hand-written, kept by `cargo xtask bench` -->";
pub const ANALYSIS_END: &str = "<!-- /analysis -->";

/// The hand-written part of an existing report, if any.
pub fn kept_analysis(existing: &str) -> Option<String> {
    let start = existing.find(ANALYSIS_START)? + ANALYSIS_START.len();
    let end = existing[start..].find(ANALYSIS_END)? + start;
    Some(existing[start..end].trim().to_string())
}

/// `docs/benchmarks.md`.
pub fn to_markdown(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# Benchmarks\n");
    let _ = writeln!(
        md,
        "Written by `cargo xtask bench` (do not edit the tables by hand; the analysis section is \
         kept between runs). Machine: {}. shinyctl {} (release build). Latency profile: `{}` \
         (AWS's published times ÷ 60: a 10-minute EKS control plane takes 10 s). Every live run \
         uses its own emulator account and `--calls-in-flight {}`: the emulator is one Python \
         process that answers a call at a time, so more calls in flight would only queue inside \
         it in arrival order, where shinyctl cannot send the critical path's calls first. Figures are from one run each: expect a few percent of \
         noise. Run it again with `cargo xtask bench` (about 12 minutes on 2 CPUs after the \
         release build; `--offline-only` for plan scaling and start-up alone; `--throttled-only` \
         for the clean and throttled applies alone, printed with each failed resource's error \
         and not written here).\n",
        report.machine, report.shinyctl_version, report.profile, report.calls_in_flight
    );
    let _ = writeln!(md, "| target | |\n|---|---|");
    let _ = writeln!(
        md,
        "| apply | ≤ {APPLY_RATIO_TARGET} × critical path |\n\
         | destroy | ≤ {DESTROY_RATIO_TARGET} × its critical path |\n\
         | no-change live plan | ≤ one call per resource kind (plus pagination) beyond what the tagging API cannot answer |\n\
         | no-change live plan, {delay:.0} ms per AWS call | ≤ {depth} round trips (the read's dependency depth; {seconds:.1} s against AWS) |\n\
         | offline plan, 1,000 apps | < {PLAN_1000_APPS_MS_TARGET} ms |\n\
         | start-up (`shinyctl --version`) | < {STARTUP_MS_TARGET} ms |\n\
         | apply with 20% throttling and transient errors | ≤ {THROTTLED_RATIO_TARGET} × clean, no failed resource |\n",
        delay = round_trips::DELAY_SECONDS * 1000.0,
        depth = round_trips::read_depth(),
        seconds = round_trips::read_depth() as f64 * round_trips::DELAY_SECONDS,
    );

    let _ = writeln!(
        md,
        "## Apply and destroy at the speed of the critical path\n"
    );
    if let Some(why) = &report.live_skipped {
        let _ = writeln!(md, "Not measured in this run: {why}\n");
    }
    let _ = writeln!(
        md,
        "![apply vs critical path vs parallelism 1](benchmarks.svg)\n"
    );
    let _ = writeln!(
        md,
        "The critical path is the slowest chain of dependent resources, timed by the emulator's \
         profile over the plan's dependency graph: no apply can be faster. It counts every wait \
         the emulator imposes as AWS does: an Auto Scaling group's instances and an ECS service's \
         tasks passing their target groups' health checks (interval × healthy threshold, from \
         the plan), IAM propagation before what assumes a new role, an Auto Scaling group's \
         delete, and the workload's rollouts, each from when it can start (CoreDNS moved to \
         Fargate once its add-on is made, the controllers once the cluster has nodes and DNS, \
         ShinyProxy once every AWS resource and the controllers are up: \
         `xtask/src/bench/profile.rs`). *Parallelism 1* is the \
         same apply one resource at a time (`--parallelism 1`), the step-by-step guide's pace.\n"
    );
    let _ = writeln!(
        md,
        "| blueprint | resources | critical path | apply | apply ÷ critical path (≤ {APPLY_RATIO_TARGET}) | beyond the path | parallelism 1 | speed-up | destroy critical path | destroy | destroy ÷ critical path (≤ {DESTROY_RATIO_TARGET}) |\n|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---|"
    );
    for b in &report.blueprints {
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} s | {} | {} | {} | {} | {} | {:.1} s | {} | {} |",
            b.name,
            b.resources,
            b.critical_path_seconds,
            secs(&b.apply),
            verdict(b.apply_ratio(), APPLY_RATIO_TARGET),
            b.apply.as_ref().map_or("–".into(), |t| format!(
                "{:+.1} s",
                t.seconds - b.critical_path_seconds
            )),
            secs(&b.sequential),
            b.sequential_speedup()
                .map_or("–".into(), |x| format!("{x:.1}×")),
            b.destroy_critical_path_seconds,
            secs(&b.destroy),
            verdict(b.destroy_ratio(), DESTROY_RATIO_TARGET),
        );
    }
    let _ = writeln!(md, "\nCritical paths:\n");
    for b in &report.blueprints {
        if !b.critical_path.is_empty() {
            let _ = writeln!(
                md,
                "- **{}** ({:.1} s; {:.0} s at AWS's published times): {}",
                b.name,
                b.critical_path_seconds,
                b.estimated_critical_path_seconds,
                b.critical_path.join(" → ")
            );
        }
    }

    let _ = writeln!(md, "\n## API calls\n");
    let _ = writeln!(
        md,
        "From the emulator's call log, filtered by the run's account. The plan is a live `plan` \
         right after the apply (it must show no changes). Its budget: one call for each of the \
         {} AWS kinds shinyctl manages (a plan must also find what the blueprint no longer \
         describes) and, where the blueprint has a cluster, one for each of the {} Kubernetes \
         object kinds the workload reader lists; plus a page per further {} resources of a kind; \
         plus the tagging API's GetResources (one per {} tagged resources), which answers the tags \
         of every kind it covers; plus the reads below, each named with the reason AWS leaves no \
         batch form (per resource), or a kind's listing needs a second call (once):\n",
        report.kinds.len(),
        budget::KUBERNETES_KINDS.len(),
        budget::PAGE,
        budget::PAGE
    );
    for reason in budget::further_reads(&report.kinds) {
        let _ = writeln!(md, "- {reason}");
    }
    let _ = writeln!(md);
    let _ = writeln!(md, "{}", round_trips_note());
    let _ = writeln!(
        md,
        "| blueprint | resources | kinds | no-change plan | plan budget | round trips at {:.0} ms per call (≤ {}) | apply | destroy |\n|---|---:|---:|---|---:|---|---|---|",
        round_trips::DELAY_SECONDS * 1000.0,
        round_trips::read_depth()
    );
    for b in &report.blueprints {
        let plan = match (&b.plan_calls, b.plan_call_budget) {
            (Some(c), Some(budget)) => {
                let mark = if c.total <= budget { "✅" } else { "❌" };
                let clean = match b.plan_clean {
                    Some(false) => " (showed changes!)",
                    _ => "",
                };
                format!(
                    "{} ({:.1}/resource) {mark}{clean}",
                    c.total,
                    c.total as f64 / b.resources.max(1) as f64
                )
            }
            _ => calls_cell(&b.plan_calls, b.resources),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            b.name,
            b.resources,
            b.kinds,
            plan,
            b.plan_call_budget.map_or("–".into(), |n| n.to_string()),
            round_trips_cell(&b.plan_round_trips),
            calls_cell(&b.apply_calls, b.resources),
            calls_cell(&b.destroy_calls, b.resources),
        );
    }
    let _ = writeln!(md, "\nPer service:\n");
    let _ = writeln!(
        md,
        "| blueprint | no-change plan | apply | destroy |\n|---|---|---|---|"
    );
    for b in &report.blueprints {
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} |",
            b.name,
            services_cell(&b.plan_calls),
            services_cell(&b.apply_calls),
            services_cell(&b.destroy_calls)
        );
    }

    md.push_str(&throttled_section(report));

    let _ = writeln!(md, "\n## Offline plan scaling and start-up\n");
    let _ = writeln!(
        md,
        "Generated blueprints: the ShinyProxy-on-EKS platform with *n* apps and *n* repositories. \
         Whole-process time of `shinyctl plan --offline --json -f F > /dev/null` (median), peak \
         resident memory from `wait4`.\n"
    );
    let _ = writeln!(
        md,
        "| apps + repositories | resources | median | fastest | peak memory | target |\n|---:|---:|---:|---:|---:|---|"
    );
    for o in &report.offline {
        let target = if o.apps == 1000 {
            if o.median_ms < PLAN_1000_APPS_MS_TARGET {
                format!("< {PLAN_1000_APPS_MS_TARGET} ms ✅")
            } else {
                format!(
                    "< {PLAN_1000_APPS_MS_TARGET} ms ❌ (+{:.0}%)",
                    (o.median_ms / PLAN_1000_APPS_MS_TARGET - 1.0) * 100.0
                )
            }
        } else {
            String::new()
        };
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} ms | {:.1} ms | {:.1} MiB | {target} |",
            o.apps, o.resources, o.median_ms, o.min_ms, o.max_rss_mib
        );
    }
    if let Some(s) = &report.startup {
        let mark = if s.median_ms < STARTUP_MS_TARGET {
            "✅".to_string()
        } else {
            format!(
                "❌ (+{:.0}%)",
                (s.median_ms / STARTUP_MS_TARGET - 1.0) * 100.0
            )
        };
        let _ = writeln!(
            md,
            "\nStart-up, `shinyctl --version`: median {:.2} ms over {} runs (fastest {:.2} ms, \
             peak {:.1} MiB); target < {STARTUP_MS_TARGET} ms {mark}.",
            s.median_ms, s.runs, s.min_ms, s.max_rss_mib
        );
    }

    md.push_str(&errors_section(report));

    let _ = writeln!(md, "\n## Analysis\n\n{ANALYSIS_START}");
    let _ = writeln!(
        md,
        "{}",
        report
            .analysis
            .as_deref()
            .unwrap_or("(No analysis written yet.)")
    );
    let _ = writeln!(md, "{ANALYSIS_END}");
    md
}

/// The section on applies under throttling and transient errors (also what
/// `cargo xtask bench --throttled-only` prints).
/// How the round trips are counted, above the table that shows them.
fn round_trips_note() -> String {
    format!(
        "Round trips: the no-change plan again, with every AWS call of the account answered {:.0} ms \
         late (the emulator's `slow` fault rule) and `--calls-in-flight {}` (shinyctl's default; \
         at the other runs' 2, a 50-call read would be 25 round trips whatever its shape): the \
         longest chain of AWS calls in shinyctl's own call log (`--call-log`) in which each was \
         sent after the one before it was answered, with the time from the first call to the \
         last answer (which includes the emulator's own work, a few milliseconds a call served \
         one at a time, that AWS does in parallel: round trips are judged, seconds shown; the \
         emulator's log, by when it began serving each call, would chain calls sent together \
         that queued in it, and the JSON report gives that count as `served_round_trips`). The bound is the \
         read's declared depth bound (`DEPTH_BOUND` in `src/aws/services/stages.rs`, which a \
         test holds the kinds' declared reads to: identity → listings → per-resource details → \
         what only a detail names, such as a listener's rules; the emulator's account needs no \
         identity call, and the zones, the version check, the secrets' versions and the prices \
         are asked beside the read). `BENCH_TIMELINE=1` prints each call of the delayed plan \
         with its start, answer and round trip.\n",
        round_trips::DELAY_SECONDS * 1000.0,
        round_trips::CALLS_IN_FLIGHT
    )
}

/// "3 (0.31 s) ✅", judged against the read's depth.
fn round_trips_cell(measured: &Option<RoundTrips>) -> String {
    let Some(r) = measured else {
        return "–".into();
    };
    let mark = if r.within_bound() { "✅" } else { "❌" };
    let clean = if r.ok {
        ""
    } else {
        " (plan failed or showed changes)"
    };
    format!("{} ({:.2} s) {mark}{clean}", r.round_trips, r.read_seconds)
}

/// The round trips alone (`--round-trips-only`).
pub fn round_trips_section(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "\n## Round trips of a no-change plan\n");
    let _ = writeln!(md, "{}", round_trips_note());
    let _ = writeln!(
        md,
        "| blueprint | resources | AWS calls | round trips (≤ {}) | plan |\n|---|---:|---:|---|---:|",
        round_trips::read_depth()
    );
    for b in &report.blueprints {
        let Some(r) = &b.plan_round_trips else {
            continue;
        };
        let _ = writeln!(
            md,
            "| {} | {} | {} | {} | {:.2} s |",
            b.name,
            b.resources,
            r.calls,
            round_trips_cell(&b.plan_round_trips),
            r.seconds
        );
    }
    md
}

pub fn throttled_section(report: &Report) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "\n## Apply under throttling and transient errors\n");
    if let Some(rules) = report
        .blueprints
        .iter()
        .find_map(|b| b.throttled.as_ref().map(|t| t.rules.clone()))
    {
        let _ = writeln!(md, "Fault rules (for the run's account only): `{rules}`\n");
    }
    let _ = writeln!(
        md,
        "| blueprint | clean apply | throttled apply | ratio (≤ {THROTTLED_RATIO_TARGET}) | faulted calls | failed resources |\n|---|---:|---:|---|---:|---:|"
    );
    for b in &report.blueprints {
        let Some(t) = &b.throttled else { continue };
        let failed = match (t.ok, t.failed) {
            (_, Some(n)) if n > 0 => format!("{n} ❌"),
            (false, _) => "run failed ❌".into(),
            (true, _) => "0 ✅".into(),
        };
        let _ = writeln!(
            md,
            "| {} | {} | {:.1} s | {} | {} of {} | {} |",
            b.name,
            secs(&b.apply),
            t.seconds,
            throttled_verdict(b),
            t.calls.faulted,
            t.calls.total,
            failed
        );
    }
    md
}

/// The throttled ratio against its target, judged as the apply ratio is: only for a blueprint
/// with a critical path. Without one (`minimal`: one repository, created at once) the clean
/// apply is nothing but round trips, a tenth of a second, and each faulted call on it adds one
/// retry delay of the AWS SDKs' own size (up to 1 s at AWS's pace, 17 ms compressed), so the
/// ratio measures the retry policy's base, not the engine; it is shown, not judged.
fn throttled_verdict(b: &BlueprintResult) -> String {
    match b.throttled_ratio() {
        Some(v) if b.critical_path_seconds <= 0.0 => {
            format!("{v:.2} (no critical path: not judged)")
        }
        value => verdict(value, THROTTLED_RATIO_TARGET),
    }
}

/// What went wrong in the live runs: each failed resource with its error, each failed command.
pub fn errors_section(report: &Report) -> String {
    let errors: Vec<String> = report
        .blueprints
        .iter()
        .flat_map(|b| b.errors.iter().map(move |e| format!("- {}: {e}", b.name)))
        .collect();
    if errors.is_empty() {
        return String::new();
    }
    format!("\n## Errors in this run\n\n{}\n", errors.join("\n"))
}

/// `docs/benchmarks.svg`: per blueprint, three horizontal bars (critical path, apply,
/// parallelism 1) on one seconds axis.
pub fn to_svg(report: &Report) -> String {
    const WIDTH: f64 = 760.0;
    const LABEL: f64 = 190.0;
    const BAR: f64 = 16.0;
    const GROUP_GAP: f64 = 22.0;
    const TOP: f64 = 56.0;
    let series: [(&str, &str); 3] = [
        ("critical path", "#9e9e9e"),
        ("shinyctl apply", "#1f77b4"),
        ("parallelism 1", "#ff7f0e"),
    ];
    let rows: Vec<(&str, [Option<f64>; 3])> = report
        .blueprints
        .iter()
        .map(|b| {
            (
                b.name.as_str(),
                [
                    Some(b.critical_path_seconds),
                    b.apply.as_ref().map(|t| t.seconds),
                    b.sequential.as_ref().map(|t| t.seconds),
                ],
            )
        })
        .collect();
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().flatten().copied())
        .fold(1.0_f64, f64::max);
    let scale = (WIDTH - LABEL - 70.0) / max;
    let height = TOP + rows.len() as f64 * (3.0 * BAR + GROUP_GAP) + 30.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{height}\" \
         viewBox=\"0 0 {WIDTH} {height}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"
    );
    let _ = writeln!(
        svg,
        "  <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n  \
         <text x=\"10\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Apply wall time against the emulator (seconds; AWS's times ÷ 60)</text>"
    );
    let mut x = LABEL;
    for (name, colour) in series {
        let _ = writeln!(
            svg,
            "  <rect x=\"{x}\" y=\"30\" width=\"12\" height=\"12\" fill=\"{colour}\"/>\
             <text x=\"{}\" y=\"40\">{name}</text>",
            x + 16.0
        );
        x += 150.0;
    }
    let mut y = TOP;
    for (name, values) in &rows {
        let _ = writeln!(
            svg,
            "  <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            LABEL - 8.0,
            y + 1.5 * BAR + 4.0,
            xml_escape(name)
        );
        for (i, value) in values.iter().enumerate() {
            let top = y + i as f64 * BAR;
            match value {
                Some(v) => {
                    let w = (v * scale).max(1.0);
                    let _ = writeln!(
                        svg,
                        "  <rect x=\"{LABEL}\" y=\"{top}\" width=\"{w:.1}\" height=\"{}\" fill=\"{}\"/>\
                         <text x=\"{:.1}\" y=\"{}\">{v:.1} s</text>",
                        BAR - 2.0,
                        series[i].1,
                        LABEL + w + 4.0,
                        top + BAR - 4.0
                    );
                }
                None => {
                    let _ = writeln!(
                        svg,
                        "  <text x=\"{}\" y=\"{}\" fill=\"#777\">not measured</text>",
                        LABEL + 4.0,
                        top + BAR - 4.0
                    );
                }
            }
        }
        y += 3.0 * BAR + GROUP_GAP;
    }
    let _ = writeln!(
        svg,
        "  <line x1=\"{LABEL}\" y1=\"{}\" x2=\"{LABEL}\" y2=\"{}\" stroke=\"#333\"/>",
        TOP - 4.0,
        y - GROUP_GAP + 4.0
    );
    svg.push_str("</svg>\n");
    svg
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Budget for a no-change live plan, all services together (see [`super::budget`]: one call per
/// managed kind, Kubernetes kinds included, plus pagination, the tagging API's call, and
/// per-resource reads only where AWS offers no batch read).
pub fn plan_call_budget(
    kinds: &[budget::KindReads],
    kind_counts: &BTreeMap<String, usize>,
) -> usize {
    budget::plan_call_budget(kinds, kind_counts).total()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three kinds as `shinyctl kinds --json` has them: two with reads beyond their listing.
    fn sample_kinds() -> Vec<budget::KindReads> {
        let call = |service: &str, action: &str| (service.to_string(), action.to_string());
        vec![
            budget::KindReads {
                kind: "vpc".into(),
                service: "ec2".into(),
                per_resource: vec![
                    call("ec2", "DescribeVpcAttribute"),
                    call("ec2", "DescribeVpcAttribute"),
                ],
                why: "one VPC and one attribute per call".into(),
                ..Default::default()
            },
            budget::KindReads {
                kind: "internet_gateway".into(),
                service: "ec2".into(),
                ..Default::default()
            },
            budget::KindReads {
                kind: "ecr_repository".into(),
                service: "ecr".into(),
                per_resource: vec![call("ecr", "GetLifecyclePolicy")],
                why: "GetLifecyclePolicy takes one repository".into(),
                ..Default::default()
            },
        ]
    }

    fn sample() -> Report {
        Report {
            kinds: sample_kinds(),
            machine: "2 CPUs".into(),
            shinyctl_version: "0.1.0".into(),
            profile: "tests/emulator/profiles/default.json".into(),
            blueprints: vec![BlueprintResult {
                name: "minimal".into(),
                resources: 2,
                kinds: 2,
                critical_path_seconds: 10.0,
                destroy_critical_path_seconds: 5.0,
                apply: Some(Timed {
                    seconds: 11.0,
                    ok: true,
                    failed: Some(0),
                    timed_out: false,
                    failures: Vec::new(),
                }),
                sequential: Some(Timed {
                    seconds: 30.0,
                    ok: true,
                    failed: Some(0),
                    timed_out: false,
                    failures: Vec::new(),
                }),
                ..BlueprintResult::default()
            }],
            offline: vec![OfflinePlan {
                apps: 1000,
                resources: 2100,
                median_ms: 50.0,
                min_ms: 45.0,
                max_rss_mib: 20.0,
                runs: 5,
            }],
            startup: Some(Startup {
                median_ms: 2.0,
                min_ms: 1.5,
                max_rss_mib: 4.0,
                runs: 21,
            }),
            ..Report::default()
        }
    }

    #[test]
    fn json_has_the_issue_fields_per_blueprint() {
        let doc = to_json(&sample());
        let b = &doc["blueprints"][0];
        for key in [
            "apply_seconds",
            "critical_path_seconds",
            "sequential_seconds",
            "destroy_seconds",
            "plan_api_calls",
            "apply_api_calls",
            "destroy_api_calls",
            "throttled_ratio",
        ] {
            assert!(b.get(key).is_some(), "{key} missing");
        }
        assert_eq!(b["apply_ratio"], json!(1.1));
        assert_eq!(b["plan_api_calls"], Value::Null, "not measured");
        assert_eq!(doc["offline_plan"][0]["apps"], json!(1000));
    }

    #[test]
    fn round_trips_are_reported_beside_the_calls_against_the_reads_depth() {
        let mut report = sample();
        report.blueprints[0].plan_round_trips = Some(RoundTrips {
            round_trips: 3,
            bound: round_trips::read_depth(),
            read_seconds: 0.31,
            seconds: 0.45,
            calls: 40,
            ok: true,
            chain: Vec::new(),
            served: 3,
        });
        let md = to_markdown(&report);
        assert!(md.contains("round trips at 100 ms per call (≤ 4)"), "{md}");
        assert!(md.contains("| 3 (0.31 s) ✅ |"), "{md}");
        let doc = to_json(&report);
        assert_eq!(doc["blueprints"][0]["plan_round_trips"]["round_trips"], 3);
        assert_eq!(
            doc["blueprints"][0]["plan_round_trips"]["within_bound"],
            true
        );
        let section = round_trips_section(&report);
        assert!(
            section.contains("| minimal | 2 | 40 | 3 (0.31 s) ✅ | 0.45 s |"),
            "{section}"
        );
        report.blueprints[0]
            .plan_round_trips
            .as_mut()
            .unwrap()
            .round_trips = 6;
        assert!(to_markdown(&report).contains("| 6 (0.31 s) ❌ |"));
    }

    #[test]
    fn markdown_states_misses_by_how_much() {
        let md = to_markdown(&sample());
        assert!(md.contains("1.10 ❌ (+5% over)"), "{md}");
        assert!(md.contains("< 100 ms ✅"));
        assert!(md.contains("![apply vs critical path vs parallelism 1](benchmarks.svg)"));
    }

    #[test]
    fn throttled_failures_are_recorded_with_their_errors() {
        let mut report = sample();
        let failure = FailedStep {
            address: "cluster.eks_cluster".into(),
            operation: "create".into(),
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
            attempts: Some(12),
        };
        report.blueprints[0].throttled = Some(Throttled {
            seconds: 20.0,
            failed: Some(1),
            failures: vec![failure.clone()],
            ..Throttled::default()
        });
        report.blueprints[0].errors.push(format!(
            "minimal-throttled exited with 1; failed: {failure}"
        ));
        let doc = to_json(&report);
        assert_eq!(
            doc["blueprints"][0]["throttled_failures"][0]["code"],
            json!("Throttling")
        );
        let md = to_markdown(&report);
        assert!(md.contains("| 1 ❌ |"), "{md}");
        assert!(
            errors_section(&report).contains(
                "cluster.eks_cluster (create): Throttling: Rate exceeded (after 12 attempts)"
            ),
            "{md}"
        );
        assert!(throttled_section(&report).contains("| minimal | 11.0 s | 20.0 s |"));
    }

    #[test]
    fn analysis_survives_a_rewrite() {
        let mut report = sample();
        report.analysis = Some("Why EKS is slow.".into());
        let md = to_markdown(&report);
        assert_eq!(kept_analysis(&md).as_deref(), Some("Why EKS is slow."));
    }

    #[test]
    fn svg_draws_three_bars_per_blueprint() {
        let svg = to_svg(&sample());
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches(" s</text>").count(), 3);
    }

    #[test]
    fn plan_budget_is_the_sum_over_services() {
        let counts: BTreeMap<String, usize> =
            [("vpc".to_string(), 1), ("ecr_repository".to_string(), 3)].into();
        // every kind + GetResources + 2 VPC attributes + 3 lifecycle policies
        let kinds = sample().kinds;
        assert_eq!(plan_call_budget(&kinds, &counts), kinds.len() + 1 + 2 + 3);
    }

    #[test]
    fn markdown_names_every_per_resource_allowance() {
        let md = to_markdown(&sample());
        assert!(
            md.contains("`ecr_repository`: ecr:GetLifecyclePolicy per resource — "),
            "{md}"
        );
        assert!(
            !md.contains("`internet_gateway`"),
            "a kind read by its one call only"
        );
    }

    #[test]
    fn a_throttled_ratio_is_judged_only_with_a_critical_path() {
        let result = |critical_path_seconds: f64, clean: f64, throttled: f64| BlueprintResult {
            critical_path_seconds,
            apply: Some(Timed {
                seconds: clean,
                ok: true,
                ..Timed::default()
            }),
            throttled: Some(Throttled {
                seconds: throttled,
                ok: true,
                ..Throttled::default()
            }),
            ..BlueprintResult::default()
        };
        assert_eq!(
            throttled_verdict(&result(0.0, 0.1, 0.15)),
            "1.50 (no critical path: not judged)"
        );
        assert_eq!(throttled_verdict(&result(6.0, 6.2, 6.4)), "1.03 ✅");
        assert_eq!(
            throttled_verdict(&result(6.0, 6.0, 9.0)),
            "1.50 ❌ (+20% over)"
        );
    }
}
