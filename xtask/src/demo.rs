//! `cargo xtask demo`: the whole product in a few minutes, against the local emulator.
//!
//! Starts the emulator with the default latency profile (AWS's published times divided by 60),
//! builds shinyctl, then runs plan -> apply -> plan (no changes) -> destroy on
//! `blueprints/shinyproxy-eks.yaml`, showing the live progress. The emulator is stopped at the end,
//! also when a step fails.
//!
//! shinyctl talks to it through its ordinary flags and environment: `AWS_ENDPOINT_URL` (the
//! endpoint), `SHINYCTL_EMULATOR_ACCOUNT` (a fresh emulator account per demo) and
//! `SHINYCTL_TIME_SCALE` (1/60, matching the profile, so waits poll at the emulator's pace).

use crate::bench::{self, Emulator};
use crate::mirror_stand_in;
use anyhow::{Context, Result, bail};
use std::process::{Command, Stdio};

const USAGE: &str = "\
usage: cargo xtask demo [--blueprint FILE] [--profile FILE]

Starts the emulator, then runs shinyctl plan, apply, plan and destroy on the blueprint
(default: blueprints/shinyproxy-eks.yaml) with the latency profile
(default: tests/emulator/profiles/default.json, AWS's times divided by 60).
";

/// The default profile's durations are AWS's divided by this.
const PROFILE_SPEEDUP: f64 = 60.0;

pub fn run(args: &[String]) -> Result<()> {
    let root = crate::project_root();
    let mut blueprint = root.join("blueprints/shinyproxy-eks.yaml");
    let mut profile = root.join("tests/emulator/profiles/default.json");
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            "--blueprint" | "--profile" => {
                let value = it.next().with_context(|| format!("{arg} needs a value"))?;
                let path = std::fs::canonicalize(value).with_context(|| value.clone())?;
                if arg == "--blueprint" {
                    blueprint = path;
                } else {
                    profile = path;
                }
            }
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }

    banner("building shinyctl");
    crate::ci::step(
        "cargo build --bin shinyctl",
        Command::new("cargo")
            .args(["build", "--quiet", "--bin", "shinyctl"])
            .current_dir(&root),
    )?;
    let shinyctl = crate::target_dir(&root).join("debug").join("shinyctl");

    banner("starting the emulator (latency profile: AWS's times / 60)");
    let emulator = Emulator::start(&profile)?;
    eprintln!("emulator: {}", emulator.endpoint);

    let account = format!("{:012}", 100_000_000_000 + u64::from(std::process::id()));
    // The account made ready for the blueprint, as a team would before its first apply: the
    // secrets it refers to (`secretsmanager:NAME`, e.g. the OIDC client secret) exist, and an
    // HTTPS listener names a certificate the emulator issued (the demo then runs on a copy of the
    // blueprint that names it; blueprints without `certificateArn` are used as they are).
    let dir = std::env::temp_dir().join(format!("shinyctl-demo-{}", std::process::id()));
    let prepared = bench::prepare(&emulator, &blueprint, &account, &dir)?;
    if prepared != blueprint {
        eprintln!(
            "demo: using {} (its certificate issued by the emulator)",
            prepared.display()
        );
    }
    let blueprint = prepared.to_string_lossy().into_owned();
    let time_scale = format!("{}", 1.0 / PROFILE_SPEEDUP);
    let command = |args: &[&str]| {
        let mut command = Command::new(&shinyctl);
        command
            .args(args)
            .env("AWS_ENDPOINT_URL", &emulator.endpoint)
            .env("SHINYCTL_EMULATOR_ACCOUNT", &account)
            .env("SHINYCTL_TIME_SCALE", &time_scale)
            .current_dir(&root);
        command
    };
    let shinyctl = |title: &str, args: &[&str], ok: &[i32]| -> Result<()> {
        banner(title);
        eprintln!("$ shinyctl {}", args.join(" "));
        let status = command(args).status().context("could not run shinyctl")?;
        match status.code() {
            Some(code) if ok.contains(&code) => Ok(()),
            _ => bail!("shinyctl {} ended with {status}", args[0]),
        }
    };
    shinyctl(
        "1/4 plan: what would be created",
        &["plan", "-f", &blueprint, "--detailed-exitcode"],
        &[2],
    )?;
    let apply = ["apply", "-f", &blueprint, "--auto-approve"];
    if shinyctl("2/4 apply", &apply, &[0]).is_err() {
        // A blueprint that pulls from its own ECR stops before the workload until the images are
        // there (apply names `shinyctl images mirror`); the plan's warning lists them all.
        let planned = command(&["plan", "-f", &blueprint, "--json"])
            .stderr(Stdio::inherit())
            .output()
            .context("could not run shinyctl plan")?;
        let images =
            mirror_stand_in::missing_images(&String::from_utf8_lossy(&planned.stdout), &account);
        if images.is_empty() {
            bail!("shinyctl apply failed");
        }
        banner(
            "2/4 the images are not in the blueprint's ECR yet: mirrored (stand-in), apply again",
        );
        mirror_stand_in::put_images(&emulator.python, &emulator.endpoint, &account, &images)?;
        shinyctl("2/4 apply again", &apply, &[0])?;
    }
    shinyctl(
        "3/4 plan again: AWS matches the blueprint",
        &["plan", "-f", &blueprint, "--detailed-exitcode"],
        &[0],
    )?;
    shinyctl(
        "4/4 destroy (the demo's data may go: --allow-data-loss --skip-final-snapshot)",
        &[
            "destroy",
            "-f",
            &blueprint,
            "--auto-approve",
            "--allow-data-loss",
            "--skip-final-snapshot",
        ],
        &[0],
    )?;
    banner("demo complete; stopping the emulator");
    Ok(())
}

fn banner(text: &str) {
    eprintln!("\n==> {text}\n");
}
