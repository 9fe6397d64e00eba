//! `cargo xtask ci`: everything a submission must pass, in the order that fails fastest.

use anyhow::{Context, Result, bail};
use std::process::Command;

pub fn run(_args: &[String]) -> Result<()> {
    let root = crate::project_root();
    step(
        "cargo fmt --check",
        Command::new("cargo")
            .args(["fmt", "--all", "--check"])
            .current_dir(&root),
    )?;
    step(
        "cargo clippy",
        Command::new("cargo")
            .args([
                "clippy",
                "--workspace",
                "--all-targets",
                "--locked",
                "--",
                "-D",
                "warnings",
            ])
            .current_dir(&root),
    )?;
    // The live suites start the emulator and the workload suite runs the manifest validators:
    // both virtualenvs must exist (pinned versions, created on a fresh machine) before the tests.
    eprintln!("==> python virtualenvs (emulator, manifest validators)");
    crate::emulator::ensure_venv()?;
    crate::validators::ensure_venv()?;
    step(
        "cargo test",
        Command::new("cargo")
            .args(["test", "--workspace", "--locked"])
            .current_dir(&root),
    )?;
    crate::emulator::run_pytest()?;
    Ok(())
}

pub fn step(name: &str, cmd: &mut Command) -> Result<()> {
    eprintln!("==> {name}");
    let status = cmd
        .status()
        .with_context(|| format!("could not start {name}"))?;
    if !status.success() {
        bail!("{name} failed ({status})");
    }
    Ok(())
}
