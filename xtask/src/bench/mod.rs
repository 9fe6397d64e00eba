//! `cargo xtask bench`: how fast shinyctl is, against the targets (issue 5).
//!
//! Offline: plan time and peak memory for generated blueprints with 10, 100 and 1,000 apps, and
//! start-up time. Live, against the emulator with the default scaled latency profile: for every
//! blueprint in `blueprints/` (and a generated one with 100 apps and repositories) apply, a
//! no-change live plan, destroy, the same apply with `--parallelism 1`, and the apply under
//! throttling and transient errors; wall times beside the critical path computed from the
//! profile, and API calls per service from the emulator's call log. Writes docs/benchmarks.md,
//! docs/benchmarks.json and docs/benchmarks.svg. Never run by CI, and tests never time anything.

mod budget;
mod emulator;
mod generate;
mod live;
mod measure;
mod profile;
mod report;
mod round_trips;

// The demo runs the emulator and readies its account for a blueprint as the bench does.
pub(crate) use emulator::Emulator;
pub(crate) use live::prepare;

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use profile::{PlanGraph, Profile};
use report::{BlueprintResult, OfflinePlan, Report, Startup};

const USAGE: &str = "\
usage: cargo xtask bench [--offline-only | --throttled-only | --round-trips-only] [--blueprint NAME]...
                         [--profile FILE]
                         [--no-write] [--shinyctl PATH]

Builds shinyctl in release mode (slow the first time), measures it and writes
docs/benchmarks.md, docs/benchmarks.json and docs/benchmarks.svg.
  --offline-only    only offline plan scaling and start-up (no emulator)
  --throttled-only  only the clean apply and the apply under throttling and transient errors,
                    each in its own account; prints that section of the report with every failed
                    resource's error, and writes nothing (a partial run)
                    e.g. cargo xtask bench --throttled-only --blueprint shinyproxy-eks
  --round-trips-only
                    only the apply and the no-change plan with 100 ms per AWS call, each in
                    its own account; prints the round trips and writes nothing (a partial run)
                    e.g. cargo xtask bench --round-trips-only --blueprint minimal
  --blueprint NAME  only this blueprint of blueprints/ (repeatable; `generated-100` for the
                    generated one); the others are left out of the report
  --profile FILE    latency profile (default: tests/emulator/profiles/default.json)
  --no-write        print the JSON instead of writing docs/
  --shinyctl PATH   measure this binary instead of building the release one

Environment: BENCH_KEEP_LOGS=1 keeps every run's output, errors and call log
(shinyctl's --call-log) and prints where; BENCH_TIMELINE=1 prints the delayed
plan's calls with their round trips.
";

/// Apps (and repositories) in the generated blueprints for offline plan scaling.
const OFFLINE_SIZES: [usize; 3] = [10, 100, 1000];
/// Apps (and repositories) in the generated blueprint measured live.
const LIVE_GENERATED_APPS: usize = 100;
const OFFLINE_RUNS: usize = 11;
const STARTUP_RUNS: usize = 31;

struct Options {
    offline_only: bool,
    throttled_only: bool,
    round_trips_only: bool,
    only: Vec<String>,
    profile: PathBuf,
    write: bool,
    shinyctl: Option<PathBuf>,
}

fn parse(args: &[String]) -> Result<Option<Options>> {
    let root = crate::project_root();
    let mut options = Options {
        offline_only: false,
        throttled_only: false,
        round_trips_only: false,
        only: Vec::new(),
        profile: root.join("tests/emulator/profiles/default.json"),
        write: true,
        shinyctl: None,
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(None);
            }
            "--offline-only" => options.offline_only = true,
            "--throttled-only" => options.throttled_only = true,
            "--round-trips-only" => options.round_trips_only = true,
            "--no-write" => options.write = false,
            "--blueprint" => {
                let name = it.next().context("--blueprint needs a name")?;
                options
                    .only
                    .push(name.trim_end_matches(".yaml").to_string());
            }
            "--shinyctl" => {
                let value = it.next().context("--shinyctl needs a path")?;
                options.shinyctl =
                    Some(std::fs::canonicalize(value).with_context(|| value.clone())?);
            }
            "--profile" => {
                let value = it.next().context("--profile needs a file")?;
                options.profile = std::fs::canonicalize(value).with_context(|| value.clone())?;
            }
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    let partial = [
        options.offline_only,
        options.throttled_only,
        options.round_trips_only,
    ];
    if partial.iter().filter(|&&on| on).count() > 1 {
        bail!(
            "--offline-only, --throttled-only and --round-trips-only exclude each other\n\n{USAGE}"
        );
    }
    Ok(Some(options))
}

pub fn run(args: &[String]) -> Result<()> {
    let Some(options) = parse(args)? else {
        return Ok(());
    };
    let root = crate::project_root();
    let shinyctl = match &options.shinyctl {
        Some(path) => path.clone(),
        None => build_release(&root)?,
    };
    let work = std::env::temp_dir().join(format!("shinyctl-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work)?;

    let profile = Profile::load(
        &options.profile,
        &root.join("tests/emulator/profiles/default.json"),
    )?;
    let mut report = Report {
        machine: machine(),
        shinyctl_version: version(&shinyctl),
        profile: options
            .profile
            .strip_prefix(&root)
            .unwrap_or(&options.profile)
            .display()
            .to_string(),
        calls_in_flight: std::env::var("SHINYCTL_CALLS_IN_FLIGHT")
            .unwrap_or_else(|_| live::CALLS_IN_FLIGHT.to_string()),
        kinds: aws_kinds(&shinyctl)?,
        ..Report::default()
    };

    let partial = options.throttled_only || options.round_trips_only;
    if !partial {
        eprintln!("==> start-up: shinyctl --version, {STARTUP_RUNS} runs");
        report.startup = Some(startup(&shinyctl)?);
        for apps in OFFLINE_SIZES {
            eprintln!("==> offline plan: {apps} apps and repositories, {OFFLINE_RUNS} runs");
            let file = generate::write(&work, apps)?;
            report.offline.push(offline_plan(&shinyctl, &file, apps)?);
        }
    }

    // The blueprints to run live: blueprints/*.yaml, then the generated one.
    let mut targets: Vec<(String, PathBuf, bool)> = Vec::new();
    let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("blueprints"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"))
        .collect();
    files.sort();
    for file in files {
        let name = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        targets.push((name, file, false));
    }
    if !options.throttled_only {
        // Measured for call counts and round trips only: it has no throttled run.
        targets.push((
            format!("generated-{LIVE_GENERATED_APPS}"),
            generate::write(&work, LIVE_GENERATED_APPS)?,
            true,
        ));
    }
    if !options.only.is_empty() {
        targets.retain(|(name, _, _)| options.only.contains(name));
    }
    for (name, file, generated) in &targets {
        let graph = plan_graph(&shinyctl, file)?;
        // The AWS side and what the workload waits for (its rollouts).
        let deployments = workload_deployments(&shinyctl, file, &work)?;
        let (critical, chain) = profile::apply_path(&profile, &graph, &deployments);
        let (destroy_critical, _) = graph.delete_path(&profile);
        report.blueprints.push(BlueprintResult {
            name: name.clone(),
            generated: *generated,
            resources: graph.len(),
            kinds: graph.kind_counts().len(),
            critical_path_seconds: critical,
            critical_path: chain,
            destroy_critical_path_seconds: destroy_critical,
            estimated_critical_path_seconds: graph.estimated_seconds,
            plan_call_budget: Some(report::plan_call_budget(
                &report.kinds,
                &graph.kind_counts(),
            )),
            ..BlueprintResult::default()
        });
    }

    if options.offline_only {
        report.live_skipped = Some("`--offline-only`".into());
    } else if !live::available(&shinyctl) {
        report.live_skipped = Some("this shinyctl has no `apply` yet".into());
    } else {
        let files: Vec<&Path> = targets.iter().map(|(_, f, _)| f.as_path()).collect();
        let scope = if options.throttled_only {
            live::Scope::Throttled
        } else if options.round_trips_only {
            live::Scope::RoundTrips
        } else {
            live::Scope::Everything
        };
        live::run(
            &shinyctl,
            &options.profile,
            &files,
            &mut report.blueprints,
            &work,
            scope,
        )?;
    }

    if options.round_trips_only {
        // A partial run: shown, never written over the full report.
        print!(
            "{}{}",
            report::round_trips_section(&report),
            report::errors_section(&report)
        );
        remove_work(&work);
        return Ok(());
    }
    if options.throttled_only {
        // A partial run: shown, never written over the full report.
        print!(
            "{}{}",
            report::throttled_section(&report),
            report::errors_section(&report)
        );
        remove_work(&work);
        return Ok(());
    }

    let docs = root.join("docs");
    let md_path = docs.join("benchmarks.md");
    report.analysis = std::fs::read_to_string(&md_path)
        .ok()
        .and_then(|text| report::kept_analysis(&text));
    let json = serde_json::to_string_pretty(&report::to_json(&report))? + "\n";
    if options.write {
        std::fs::write(docs.join("benchmarks.json"), &json)?;
        std::fs::write(&md_path, report::to_markdown(&report))?;
        std::fs::write(docs.join("benchmarks.svg"), report::to_svg(&report))?;
        eprintln!("==> wrote docs/benchmarks.md, docs/benchmarks.json, docs/benchmarks.svg");
    } else {
        print!("{json}");
    }
    remove_work(&work);
    Ok(())
}

/// Set (to anything): the bench keeps its work directory — each run's output, errors and call
/// log (`<label>.calls.jsonl`: shinyctl's `--call-log`) under `logs/` — and says where.
const KEEP_LOGS_VAR: &str = "BENCH_KEEP_LOGS";

fn remove_work(work: &Path) {
    if std::env::var_os(KEEP_LOGS_VAR).is_some() {
        eprintln!("==> kept the runs' logs in {}", work.join("logs").display());
    } else {
        let _ = std::fs::remove_dir_all(work);
    }
}

/// The Deployments of the blueprint's workload (`(namespace, name)`), from the manifests
/// `shinyctl render` writes; none when it has no workload (no `manifests` directory, or nothing
/// to render at all).
fn workload_deployments(
    shinyctl: &Path,
    file: &Path,
    work: &Path,
) -> Result<Vec<(String, String)>> {
    let out = work.join("render");
    let _ = std::fs::remove_dir_all(&out);
    let run = Command::new(shinyctl)
        .args(["render", "-f"])
        .arg(file)
        .arg("--out")
        .arg(&out)
        .output()
        .context("could not run shinyctl render")?;
    let stderr = String::from_utf8_lossy(&run.stderr);
    if !run.status.success() {
        if stderr.contains("nothing to render") {
            return Ok(Vec::new());
        }
        bail!("shinyctl render -f {} failed:\n{stderr}", file.display());
    }
    let mut found = Vec::new();
    if let Ok(entries) = std::fs::read_dir(out.join("manifests")) {
        for entry in entries {
            let text = std::fs::read_to_string(entry?.path())?;
            found.extend(profile::rendered_deployment(&text));
        }
    }
    found.sort();
    let _ = std::fs::remove_dir_all(&out);
    Ok(found)
}

/// `cargo build --release --locked`, and the binary's path.
fn build_release(root: &Path) -> Result<PathBuf> {
    eprintln!("==> cargo build --release --locked (the first release build takes several minutes)");
    crate::ci::step(
        "cargo build --release --locked --bin shinyctl",
        Command::new("cargo")
            .args(["build", "--release", "--locked", "--bin", "shinyctl"])
            .current_dir(root),
    )?;
    Ok(crate::target_dir(root).join("release").join("shinyctl"))
}

fn version(shinyctl: &Path) -> String {
    Command::new(shinyctl)
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .and_then(|v| v.split_whitespace().last().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn machine() -> String {
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    format!(
        "{cpus} CPUs, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}

fn ms(d: std::time::Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn startup(shinyctl: &Path) -> Result<Startup> {
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..STARTUP_RUNS {
        let run = measure::run_quiet(Command::new(shinyctl).arg("--version"))?;
        if run.code != Some(0) {
            bail!("shinyctl --version failed");
        }
        times.push(ms(run.wall));
        rss = rss.max(run.max_rss_kib);
    }
    Ok(Startup {
        median_ms: measure::median(&times),
        min_ms: times.iter().copied().fold(f64::INFINITY, f64::min),
        max_rss_mib: kib_to_mib(rss),
        runs: STARTUP_RUNS,
    })
}

fn offline_plan(shinyctl: &Path, file: &Path, apps: usize) -> Result<OfflinePlan> {
    let graph = plan_graph(shinyctl, file)?;
    let mut times = Vec::new();
    let mut rss = 0;
    for _ in 0..OFFLINE_RUNS {
        let run = measure::run_quiet(
            Command::new(shinyctl)
                .args(["plan", "--offline", "--json", "-f"])
                .arg(file),
        )?;
        // Exit 0: a plan without --detailed-exitcode.
        if run.code != Some(0) {
            bail!("shinyctl plan --offline failed on {}", file.display());
        }
        times.push(ms(run.wall));
        rss = rss.max(run.max_rss_kib);
    }
    Ok(OfflinePlan {
        apps,
        resources: graph.len(),
        median_ms: measure::median(&times),
        min_ms: times.iter().copied().fold(f64::INFINITY, f64::min),
        max_rss_mib: kib_to_mib(rss),
        runs: OFFLINE_RUNS,
    })
}

/// The AWS kinds the binary reads, with their reads and prices (its hidden `kinds --json`).
fn aws_kinds(shinyctl: &Path) -> Result<Vec<budget::KindReads>> {
    let out = Command::new(shinyctl)
        .args(["kinds", "--json"])
        .output()
        .context("could not run shinyctl")?;
    if !out.status.success() {
        bail!(
            "shinyctl kinds --json failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    budget::aws_kinds_from_json(&String::from_utf8_lossy(&out.stdout)).map_err(anyhow::Error::msg)
}

/// The plan's resources (`plan --offline --json`) and dependencies (`graph --format dot`).
fn plan_graph(shinyctl: &Path, file: &Path) -> Result<PlanGraph> {
    let output = |args: &[&str]| -> Result<String> {
        let out = Command::new(shinyctl)
            .args(args)
            .arg("-f")
            .arg(file)
            .output()
            .context("could not run shinyctl")?;
        if !out.status.success() {
            bail!(
                "shinyctl {} -f {} failed:\n{}",
                args.join(" "),
                file.display(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let plan = output(&["plan", "--offline", "--json"])?;
    let dot = output(&["graph", "--format", "dot"])?;
    PlanGraph::parse(&plan, &dot)
}
