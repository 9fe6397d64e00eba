//! `cargo xtask ci`: everything a submission must pass, in the order that fails fastest.

use anyhow::{Context, Result, bail};
use std::process::Command;

/// The kinds' adapter files, `src/aws/services/<service>/<kind>.rs`: `build.rs` declares them
/// as modules, where `cargo fmt` (which follows `mod` lines in the source) does not see them.
pub fn adapter_files(root: &std::path::Path) -> Result<Vec<std::path::PathBuf>> {
    let services = root.join("src/aws/services");
    let mut files = Vec::new();
    for service in std::fs::read_dir(&services).context("reading src/aws/services")? {
        let service = service?.path();
        if !service.is_dir() {
            continue;
        }
        for file in std::fs::read_dir(&service)? {
            let file = file?.path();
            if file.extension().is_some_and(|e| e == "rs") {
                files.push(file);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// `cargo xtask fmt`: `cargo fmt`, and rustfmt over the adapter files it does not reach.
pub fn fmt(_args: &[String]) -> Result<()> {
    let root = crate::project_root();
    step(
        "cargo fmt",
        Command::new("cargo")
            .args(["fmt", "--all"])
            .current_dir(&root),
    )?;
    step(
        "rustfmt (adapter files)",
        Command::new("rustfmt")
            .args(["--edition", "2024"])
            .args(adapter_files(&root)?)
            .current_dir(&root),
    )
}

pub fn run(_args: &[String]) -> Result<()> {
    let root = crate::project_root();
    step(
        "cargo fmt --check",
        Command::new("cargo")
            .args(["fmt", "--all", "--check"])
            .current_dir(&root),
    )?;
    step(
        "rustfmt --check (adapter files)",
        Command::new("rustfmt")
            .args(["--edition", "2024", "--check"])
            .args(adapter_files(&root)?)
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
