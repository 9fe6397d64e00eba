//! The live measurements, against one emulator: per blueprint, apply → no-change plan → destroy
//! in one account (timed, calls counted), the same apply with `--parallelism 1` in a second
//! account, and the apply under throttling and transient errors in a third.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::emulator::{CallCount, Emulator, account};
use super::measure;
use super::report::{BlueprintResult, FailedStep, Throttled, Timed};
use super::round_trips::{self, RoundTrips};

/// The default profile is AWS's times divided by 60: shinyctl's waits scale the same way.
const TIME_SCALE: f64 = 1.0 / 60.0;

/// The emulator answers one call at a time (one Python process): calls in flight beyond two
/// queue inside it, in arrival order, where shinyctl's priorities cannot reach them
/// (`--calls-in-flight`).
pub const CALLS_IN_FLIGHT: usize = 2;

/// Whether this shinyctl has a working `apply` (the live issue may not have landed yet).
pub fn available(shinyctl: &Path) -> bool {
    Command::new(shinyctl)
        .args(["apply", "--help"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// 20% throttling plus transient 5xx errors, for `account` only.
pub fn throttling_faults(account: &str) -> Value {
    json!({
        "seed": 7,
        "rules": [
            {"kind": "throttle", "rate": 0.2, "account": account},
            {"kind": "error", "status": 503, "rate": 0.03, "account": account},
            {"kind": "error", "status": 500, "rate": 0.02, "account": account},
        ]
    })
}

struct Runner<'a> {
    shinyctl: &'a Path,
    emulator: &'a Emulator,
    logs: &'a Path,
    next_account: u64,
}

/// How one shinyctl run ended.
struct Outcome {
    timed: Timed,
    exit: Option<i32>,
}

impl Runner<'_> {
    fn fresh_account(&mut self) -> String {
        self.next_account += 1;
        account(self.next_account)
    }

    /// Runs shinyctl as `account`, JSON events to a log file; times it. Past `limit` it is
    /// interrupted (a stuck run must not hold up the whole bench).
    fn shinyctl(
        &self,
        account: &str,
        label: &str,
        args: &[&str],
        limit: Duration,
    ) -> Result<Outcome> {
        let calls_in_flight = std::env::var("SHINYCTL_CALLS_IN_FLIGHT")
            .unwrap_or_else(|_| CALLS_IN_FLIGHT.to_string());
        self.shinyctl_with(account, label, args, limit, &calls_in_flight)
    }

    /// [`Runner::shinyctl`] with `calls_in_flight` (`--calls-in-flight`).
    fn shinyctl_with(
        &self,
        account: &str,
        label: &str,
        args: &[&str],
        limit: Duration,
        calls_in_flight: &str,
    ) -> Result<Outcome> {
        let stdout = self.logs.join(format!("{label}.out"));
        let stderr = self.logs.join(format!("{label}.err"));
        self.emulator.collect_garbage()?;
        let mut command = Command::new(self.shinyctl);
        command
            .args(args)
            // Every run's own view of its AWS calls (`--call-log`): the round-trip run counts
            // from it, and with `BENCH_KEEP_LOGS` it is kept for tracing an excess.
            .env("SHINYCTL_CALL_LOG", call_log(self.logs, label))
            .env("AWS_ENDPOINT_URL", &self.emulator.endpoint)
            .env("SHINYCTL_EMULATOR_ACCOUNT", account)
            .env(
                "SHINYCTL_TIME_SCALE",
                std::env::var("SHINYCTL_TIME_SCALE").unwrap_or_else(|_| TIME_SCALE.to_string()),
            )
            .env("SHINYCTL_CALLS_IN_FLIGHT", calls_in_flight)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&stdout)?)
            .stderr(std::fs::File::create(&stderr)?);
        let run = measure::run_with_limit(&mut command, Some(limit))?;
        let events = std::fs::read_to_string(&stdout).unwrap_or_default();
        let failed = failed_resources(&events);
        let failures = failed_steps(&events);
        let ok = run.code == Some(0) && failed.unwrap_or(0) == 0 && !run.timed_out;
        for failure in &failures {
            eprintln!("    {label}: failed: {failure}");
        }
        Ok(Outcome {
            timed: Timed {
                seconds: run.wall.as_secs_f64(),
                ok,
                failed,
                timed_out: run.timed_out,
                failures,
            },
            exit: run.code,
        })
    }

    /// An untimed live plan in `account`: the emulator creates its per-account, per-region
    /// backends on first use (seconds for EC2), which is no part of what AWS or shinyctl costs.
    /// The services only destroy's sweep calls are warmed too.
    fn warm_up(&self, account: &str, blueprint: &str) -> Result<()> {
        self.shinyctl(
            account,
            &format!("warm-up-{account}"),
            &["plan", "-f", blueprint],
            Duration::from_secs(120),
        )?;
        let text =
            std::fs::read_to_string(blueprint).with_context(|| format!("reading {blueprint}"))?;
        self.emulator
            .warm_sweep_services(&blueprint_region(&text)?, account)?;
        self.emulator.clear_calls(account)
    }

    /// An apply as a user who follows its advice: when it stops before the workload because the
    /// images its pods pull are not in the blueprint's ECR (the first apply in a fresh account of
    /// a blueprint that pulls from its own ECR), the images it names are put there as `shinyctl
    /// images mirror` would copy them, and apply runs again. The time is both runs' (the mirror
    /// itself is a user's step, not shinyctl's); the label is the last run's (its logs).
    fn apply(
        &self,
        account: &str,
        label: &str,
        args: &[&str],
        limit: Duration,
    ) -> Result<(Outcome, String)> {
        let first = self.shinyctl(account, label, args, limit)?;
        if first.timed.ok {
            return Ok((first, label.to_string()));
        }
        let said = ["out", "err"]
            .iter()
            .map(|ext| std::fs::read_to_string(self.logs.join(format!("{label}.{ext}"))))
            .collect::<std::io::Result<Vec<String>>>()?
            .join("\n");
        let images = crate::mirror_stand_in::missing_images(&said, account);
        if images.is_empty() {
            return Ok((first, label.to_string()));
        }
        crate::mirror_stand_in::put_images(
            &self.emulator.python,
            &self.emulator.endpoint,
            account,
            &images,
        )?;
        let again = format!("{label}-after-mirror");
        let mut second = self.shinyctl(account, &again, args, limit)?;
        second.timed.seconds += first.timed.seconds;
        Ok((second, again))
    }

    fn calls(&self, account: &str) -> Result<CallCount> {
        Ok(CallCount::of(&self.emulator.calls(account)?))
    }
}

/// How long a run may take before the bench interrupts it: generous (half a minute plus four
/// times the critical path), so only a stuck run is stopped.
fn limit(critical_path_seconds: f64) -> Duration {
    Duration::from_secs_f64(30.0 + 4.0 * critical_path_seconds.max(0.0))
}

/// The number of failed steps in the `finished` event of `--output json`, if there is one.
fn failed_resources(events: &str) -> Option<usize> {
    events
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|e| e["type"] == "finished")
        .and_then(|e| e["summary"]["failed"].as_array().map(Vec::len))
}

/// The failed steps of a run's JSON events: those of its `finished` event, or, when it never
/// finished (interrupted, killed), every `step_failed` event.
fn failed_steps(events: &str) -> Vec<FailedStep> {
    let events: Vec<Value> = events
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .collect();
    let step = |e: &Value| FailedStep {
        address: e["address"].as_str().unwrap_or("?").to_string(),
        operation: e["operation"].as_str().unwrap_or("?").to_string(),
        code: e["error"]["code"].as_str().unwrap_or("?").to_string(),
        message: e["error"]["message"].as_str().unwrap_or("").to_string(),
        attempts: e["attempts"].as_u64(),
    };
    match events.iter().find(|e| e["type"] == "finished") {
        Some(finished) => finished["summary"]["failed"]
            .as_array()
            .into_iter()
            .flatten()
            .map(step)
            .collect(),
        None => events
            .iter()
            .filter(|e| e["type"] == "step_failed")
            .map(step)
            .collect(),
    }
}

/// A run's failure: each failed resource with its error, else the last lines shinyctl wrote on
/// stderr (an error before or after the steps: connecting, reading, the lock).
fn failure(logs: &Path, label: &str, outcome: &Outcome) -> String {
    let exit = outcome.exit.map_or("a signal".into(), |c| c.to_string());
    let stopped = if outcome.timed.timed_out {
        " (stopped at the bench's time limit)"
    } else {
        ""
    };
    if !outcome.timed.failures.is_empty() {
        let failures: Vec<String> = outcome
            .timed
            .failures
            .iter()
            .map(FailedStep::to_string)
            .collect();
        return format!(
            "{label} exited with {exit}{stopped}; failed: {}",
            failures.join("; ")
        );
    }
    let stderr = std::fs::read_to_string(logs.join(format!("{label}.err"))).unwrap_or_default();
    let tail: Vec<&str> = stderr
        .lines()
        .filter(|line| !line.trim().is_empty())
        .rev()
        .take(3)
        .collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    format!("{label} exited with {exit}{stopped} — {}", tail.join(" / "))
}

/// The blueprint as this account can apply it: the secrets it names (`secretsmanager:NAME`) are
/// created, and an HTTPS listener's certificate must exist in the account, so the emulator issues
/// one and a copy of the blueprint names it (written in `dir`, made when needed).
pub(crate) fn prepare(
    emulator: &Emulator,
    file: &Path,
    account: &str,
    dir: &Path,
) -> Result<PathBuf> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let region = blueprint_region(&text)?;
    for name in secret_names(&text) {
        emulator.create_secret(&region, account, &name)?;
    }
    if !text.contains("certificateArn:") {
        return Ok(file.to_path_buf());
    }
    let arn = emulator.request_certificate(&region, account)?;
    let copy: String = text
        .lines()
        .map(|line| match line.find("certificateArn:") {
            Some(at) => {
                let (head, rest) = line.split_at(at);
                let tail = rest.find('}').map_or("", |end| &rest[end..]);
                format!("{head}certificateArn: \"{arn}\"{tail}\n")
            }
            None => format!("{line}\n"),
        })
        .collect();
    let name = file.file_name().context("a blueprint file name")?;
    let path = dir.join(format!("{account}-{}", name.to_string_lossy()));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    std::fs::write(&path, copy).with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The blueprint's `metadata.region` (the first `region:` line).
fn blueprint_region(text: &str) -> Result<String> {
    text.lines()
        .find_map(|line| line.trim().strip_prefix("region:"))
        .and_then(|rest| rest.split('#').next())
        .map(|region| region.trim().to_string())
        .context("the blueprint has no metadata.region")
}

/// The names in `secretsmanager:NAME` references.
fn secret_names(text: &str) -> Vec<String> {
    let mut names: Vec<String> = text
        .split("secretsmanager:")
        .skip(1)
        .filter_map(|rest| {
            let name: String = rest
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '\'' | ',' | '}' | '#'))
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .collect();
    names.sort();
    names.dedup();
    names
}

/// What to run live for each blueprint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Apply, no-change plan, destroy, parallelism 1 and the throttled apply.
    Everything,
    /// The clean apply and the throttled apply only (`--throttled-only`).
    Throttled,
    /// The apply and the no-change plan with AWS latency only (`--round-trips-only`).
    RoundTrips,
}

/// Where the run `label` writes its call log.
fn call_log(logs: &Path, label: &str) -> PathBuf {
    logs.join(format!("{label}.calls.jsonl"))
}

/// Measures every blueprint in `files` (same order as `results`).
pub fn run(
    shinyctl: &Path,
    profile: &Path,
    files: &[&Path],
    results: &mut [BlueprintResult],
    work: &Path,
    scope: Scope,
) -> Result<()> {
    eprintln!("==> starting the emulator ({})", profile.display());
    let emulator = Emulator::start(profile)?;
    let logs = work.join("logs");
    std::fs::create_dir_all(&logs)?;
    let mut runner = Runner {
        shinyctl,
        emulator: &emulator,
        logs: &logs,
        next_account: 0,
    };
    for (file, result) in files.iter().zip(results.iter_mut()) {
        if let Err(e) = blueprint(&mut runner, file, result, scope) {
            result.errors.push(format!("{e:#}"));
        }
    }
    if let Ok(kept) = std::env::var("SHINYCTL_BENCH_KEEP_LOGS") {
        let _ = copy_dir(&logs, Path::new(&kept));
    }
    Ok(())
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        std::fs::copy(entry.path(), to.join(entry.file_name()))?;
    }
    Ok(())
}

fn blueprint(
    runner: &mut Runner,
    file: &Path,
    result: &mut BlueprintResult,
    scope: Scope,
) -> Result<()> {
    runner.emulator.set_faults(&json!({"rules": []}))?;
    let (account, bp) = clean_apply(runner, file, result)?;
    if scope == Scope::RoundTrips {
        return slow_plan(runner, &account, &bp, result);
    }
    if scope == Scope::Everything {
        plan_and_destroy(runner, &account, &bp, result)?;
    }
    if result.generated {
        // The generated blueprint is there for call counts; its wall times add nothing.
        return Ok(());
    }
    if scope == Scope::Everything {
        sequential(runner, file, result)?;
    }
    throttled(runner, file, result)
}

/// The apply, in a fresh account (timed, calls counted); answers the account and the blueprint
/// as that account applies it.
fn clean_apply(
    runner: &mut Runner,
    file: &Path,
    result: &mut BlueprintResult,
) -> Result<(String, String)> {
    let name = result.name.clone();
    let main = runner.fresh_account();
    let blueprint = prepare(runner.emulator, file, &main, runner.logs)?;
    let bp = blueprint.to_string_lossy().into_owned();
    runner.warm_up(&main, &bp)?;
    eprintln!("==> {name}: apply (account {main})");
    let label = format!("{name}-apply");
    let apply_args = ["apply", "-f", &bp, "--auto-approve", "--output", "json"];
    let (apply, label) = runner.apply(
        &main,
        &label,
        &apply_args,
        limit(result.critical_path_seconds),
    )?;
    result.apply_calls = Some(runner.calls(&main)?);
    if !apply.timed.ok {
        result.errors.push(failure(runner.logs, &label, &apply));
    }
    result.apply = Some(apply.timed);
    Ok((main, bp))
}

/// After the apply, in the same account: the no-change live plan and the destroy.
fn plan_and_destroy(
    runner: &mut Runner,
    main: &str,
    bp: &str,
    result: &mut BlueprintResult,
) -> Result<()> {
    let name = result.name.clone();
    let emulator = runner.emulator;
    emulator.clear_calls(main)?;
    eprintln!("==> {name}: live plan (no changes expected)");
    let label = format!("{name}-plan");
    let plan = runner.shinyctl(
        main,
        &label,
        &["plan", "-f", bp, "--detailed-exitcode"],
        Duration::from_secs(120),
    )?;
    result.plan_calls = Some(runner.calls(main)?);
    result.plan_clean = Some(plan.exit == Some(0));
    if plan.exit != Some(0) {
        result.errors.push(failure(runner.logs, &label, &plan));
    }
    slow_plan(runner, main, bp, result)?;

    emulator.clear_calls(main)?;
    eprintln!("==> {name}: destroy");
    let label = format!("{name}-destroy");
    let destroy = runner.shinyctl(
        main,
        &label,
        &[
            "destroy",
            "-f",
            bp,
            "--auto-approve",
            "--allow-data-loss",
            "--skip-final-snapshot",
            "--output",
            "json",
        ],
        limit(result.destroy_critical_path_seconds),
    )?;
    result.destroy_calls = Some(runner.calls(main)?);
    if !destroy.timed.ok {
        result.errors.push(failure(runner.logs, &label, &destroy));
    }
    result.destroy = Some(destroy.timed);
    Ok(())
}

/// The no-change plan again, with every AWS call of the account answered 100 ms late: its round
/// trips (see [`round_trips`]).
fn slow_plan(
    runner: &mut Runner,
    main: &str,
    bp: &str,
    result: &mut BlueprintResult,
) -> Result<()> {
    let name = result.name.clone();
    let emulator = runner.emulator;
    emulator.clear_calls(main)?;
    emulator.set_faults(&round_trips::slow_faults(main))?;
    eprintln!(
        "==> {name}: live plan with {} ms per AWS call",
        round_trips::DELAY_SECONDS * 1000.0
    );
    let label = format!("{name}-plan-latency");
    let plan = runner.shinyctl_with(
        main,
        &label,
        &["plan", "-f", bp, "--detailed-exitcode"],
        Duration::from_secs(120),
        &round_trips::CALLS_IN_FLIGHT.to_string(),
    );
    emulator.set_faults(&json!({"rules": []}))?;
    let plan = plan?;
    let served = emulator.calls(main)?;
    let calls = round_trips::read_call_log(&call_log(runner.logs, &label))?;
    let measured = RoundTrips::measured(&calls, &served, plan.timed.seconds, plan.exit == Some(0));
    eprintln!(
        "    {label}: {} round trips (bound {}; {} as the emulator served them), read {:.2} s, \
         plan {:.2} s, {} AWS calls",
        measured.round_trips,
        measured.bound,
        measured.served,
        measured.read_seconds,
        measured.seconds,
        measured.calls
    );
    eprintln!("    longest chain: {}", measured.chain.join(" → "));
    if std::env::var_os(round_trips::TIMELINE_VAR).is_some() {
        eprint!("{}", round_trips::timeline(&calls));
    }
    if plan.exit != Some(0) {
        result.errors.push(failure(runner.logs, &label, &plan));
    }
    result.plan_round_trips = Some(measured);
    emulator.clear_calls(main)
}

/// Step by step: `--parallelism 1`, in its own account.
fn sequential(runner: &mut Runner, file: &Path, result: &mut BlueprintResult) -> Result<()> {
    let name = result.name.clone();
    let account = runner.fresh_account();
    let blueprint = prepare(runner.emulator, file, &account, runner.logs)?;
    let bp = blueprint.to_string_lossy().into_owned();
    runner.warm_up(&account, &bp)?;
    eprintln!("==> {name}: apply --parallelism 1 (account {account})");
    let label = format!("{name}-sequential");
    let (run, label) = runner.apply(
        &account,
        &label,
        &[
            "apply",
            "-f",
            &bp,
            "--auto-approve",
            "--output",
            "json",
            "--parallelism",
            "1",
        ],
        Duration::from_secs(600),
    )?;
    if !run.timed.ok {
        result.errors.push(failure(runner.logs, &label, &run));
    }
    result.sequential = Some(run.timed);
    Ok(())
}

/// The apply under throttling and transient errors: in its own account, with faults for that
/// account only.
fn throttled(runner: &mut Runner, file: &Path, result: &mut BlueprintResult) -> Result<()> {
    let name = result.name.clone();
    let emulator = runner.emulator;
    let account = runner.fresh_account();
    let blueprint = prepare(emulator, file, &account, runner.logs)?;
    let bp = blueprint.to_string_lossy().into_owned();
    runner.warm_up(&account, &bp)?;
    emulator.set_faults(&throttling_faults(&account))?;
    eprintln!("==> {name}: apply with 20% throttling and transient errors (account {account})");
    let label = format!("{name}-throttled");
    let run = runner.apply(
        &account,
        &label,
        &["apply", "-f", &bp, "--auto-approve", "--output", "json"],
        limit(result.critical_path_seconds) * 2,
    );
    emulator.set_faults(&json!({"rules": []}))?;
    let (run, label) = run?;
    if !run.timed.ok {
        result.errors.push(failure(runner.logs, &label, &run));
    }
    let calls = runner.calls(&account)?;
    eprintln!(
        "    {label}: {:.1} s, {} of {} calls faulted",
        run.timed.seconds, calls.faulted, calls.total
    );
    result.throttled = Some(Throttled {
        seconds: run.timed.seconds,
        ok: run.timed.ok,
        failed: run.timed.failed,
        failures: run.timed.failures,
        calls,
        rules: "throttle 20%, HTTP 503 3%, HTTP 500 2% (every service)".into(),
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_resources_come_from_the_finished_event() {
        let events = "{\"type\":\"step_started\"}\n\
                      {\"type\":\"finished\",\"summary\":{\"failed\":[{\"address\":\"a\"}]}}\n";
        assert_eq!(failed_resources(events), Some(1));
        assert_eq!(failed_resources("not json\n"), None);
    }

    #[test]
    fn failed_steps_carry_their_error() {
        let events = "{\"type\":\"step_failed\",\"address\":\"x\",\"operation\":\"create\",\
                      \"error\":{\"code\":\"Throttling\",\"message\":\"m\"}}\n\
                      {\"type\":\"finished\",\"summary\":{\"failed\":[{\"address\":\"a\",\
                      \"operation\":\"create\",\"attempts\":12,\"error\":{\"class\":\"throttled\",\
                      \"code\":\"Throttling\",\"message\":\"Rate exceeded\"}}]}}\n";
        let failed = failed_steps(events);
        assert_eq!(failed.len(), 1, "the finished event's list wins");
        assert_eq!(
            failed[0].to_string(),
            "a (create): Throttling: Rate exceeded (after 12 attempts)"
        );
        let unfinished = "{\"type\":\"step_failed\",\"address\":\"x\",\"operation\":\"delete\",\
                          \"error\":{\"code\":\"InternalError\",\"message\":\"m\"}}\n";
        assert_eq!(
            failed_steps(unfinished)[0].to_string(),
            "x (delete): InternalError: m"
        );
        assert!(failed_steps("").is_empty());
    }

    #[test]
    fn secret_references_are_found() {
        let text = "clientSecretRef: secretsmanager:analytics/oidc-client-secret\n\
                    x: {ref: \"secretsmanager:b\"}\n";
        assert_eq!(secret_names(text), ["analytics/oidc-client-secret", "b"]);
    }

    #[test]
    fn throttling_is_scoped_to_the_account() {
        let faults = throttling_faults("123456789012");
        for rule in faults["rules"].as_array().expect("rules") {
            assert_eq!(rule["account"], "123456789012");
        }
    }
}
