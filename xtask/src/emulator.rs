//! `cargo xtask emulator`: the local AWS emulator (see tests/emulator/ and docs/emulator.md).
//!
//! The emulator is Python (moto plus the project's layer in tests/emulator/shinyemu). It runs
//! from a project-local virtualenv, `<repo>/.cache/emulator-venv`, built with `python3 -m venv`
//! from the pinned `tests/emulator/requirements.txt` and rebuilt whenever that file changes
//! (a copy of the file the venv was built from is kept inside it).

use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const USAGE: &str = "\
usage: cargo xtask emulator [--port P] [--profile FILE] [--faults FILE]

Starts the local AWS emulator on 127.0.0.1 (a free port unless --port) and prints
`endpoint: http://127.0.0.1:P` as the first line of stdout. Runs until SIGINT/SIGTERM.
  --port P        port to listen on (default: a free one)
  --profile FILE  latency profile JSON (default: tests/emulator/profiles/default.json)
  --faults FILE   faults JSON (default: none)
";

fn emulator_dir() -> PathBuf {
    crate::project_root().join("tests").join("emulator")
}

/// Creates `<repo>/.cache/emulator-venv` (or reuses it when it was built from the current
/// requirements.txt) and returns its python.
pub fn ensure_venv() -> Result<PathBuf> {
    let venv = crate::venv::ensure("emulator-venv", &emulator_dir().join("requirements.txt"))?;
    Ok(venv.join("bin").join("python"))
}

fn python_command(python: &Path) -> Command {
    let mut cmd = Command::new(python);
    let dir = emulator_dir();
    let pythonpath = match std::env::var_os("PYTHONPATH") {
        Some(existing) if !existing.is_empty() => {
            let mut p = dir.clone().into_os_string();
            p.push(":");
            p.push(existing);
            p
        }
        _ => dir.into_os_string(),
    };
    cmd.env("PYTHONPATH", pythonpath)
        .env("PYTHONUNBUFFERED", "1");
    cmd
}

pub fn run(args: &[String]) -> Result<()> {
    let mut forwarded: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                print!("{USAGE}");
                return Ok(());
            }
            "--port" | "--profile" | "--faults" => {
                let value = it
                    .next()
                    .with_context(|| format!("{arg} needs a value\n\n{USAGE}"))?;
                let value = if arg == "--port" {
                    value
                        .parse::<u16>()
                        .with_context(|| format!("--port {value}: not a port"))?;
                    value.clone()
                } else {
                    absolute(value)?
                };
                forwarded.push(arg.clone());
                forwarded.push(value);
            }
            other => bail!("unknown argument `{other}`\n\n{USAGE}"),
        }
    }
    let python = ensure_venv()?;
    let mut cmd = python_command(&python);
    cmd.args(["-m", "shinyemu"]).args(&forwarded);
    exec(cmd)
}

fn absolute(path: &str) -> Result<String> {
    let p = Path::new(path);
    if !p.exists() {
        bail!("{path}: no such file");
    }
    Ok(fs::canonicalize(p)?.to_string_lossy().into_owned())
}

/// Replaces this process with the emulator, so SIGINT/SIGTERM reach it directly.
#[cfg(unix)]
fn exec(mut cmd: Command) -> Result<()> {
    use std::os::unix::process::CommandExt;
    let err = cmd.exec();
    Err(err).context("could not start the emulator")
}

#[cfg(not(unix))]
fn exec(mut cmd: Command) -> Result<()> {
    let status = cmd.status().context("could not start the emulator")?;
    if !status.success() {
        bail!("emulator exited with {status}");
    }
    Ok(())
}

/// Runs `script` with boto3 from the emulator's virtualenv `python` as `account` in `region` of
/// the emulator at `endpoint`: the script gets `client(service)` and `args` (its own arguments).
/// Answers its stdout, trimmed; `what` says what it does, for errors.
pub fn boto3(
    python: &Path,
    endpoint: &str,
    region: &str,
    account: &str,
    script: &str,
    args: &[&str],
    what: &str,
) -> Result<String> {
    let output = Command::new(python)
        .arg("-c")
        .arg(format!("{BOTO3_PRELUDE}{script}"))
        .args([endpoint, region, account])
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("could not run python to {what}"))?;
    if !output.status.success() {
        bail!("could not {what} in the emulator");
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_string())
}

/// `client(service)` for the emulator account and `args`: see the file.
const BOTO3_PRELUDE: &str = include_str!("../../tests/emulator/boto3_prelude.py");

/// Runs the emulator's own pytest suite (called by `cargo xtask ci`).
pub fn run_pytest() -> Result<()> {
    let python = ensure_venv()?;
    eprintln!("==> emulator pytest (tests/emulator/tests)");
    let status = python_command(&python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"])
        .current_dir(emulator_dir())
        .status()
        .context("could not start pytest")?;
    match status.code() {
        Some(0) => Ok(()),
        Some(5) => bail!("emulator pytest collected no tests (exit code 5)"),
        _ => bail!("emulator pytest failed ({status})"),
    }
}
