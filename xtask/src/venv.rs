//! Project-local Python virtualenvs under `<repo>/.cache/<name>`, built with `python3 -m venv` from
//! a pinned requirements file and rebuilt whenever that file changes (a copy of the file the venv
//! was built from is kept inside it). Nothing is installed by hand: a fresh machine gets the same.

use anyhow::{Context, Result, bail};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The copy of the requirements the venv was built from.
const STAMP: &str = "shinyctl-requirements.txt";

pub fn dir(name: &str) -> PathBuf {
    crate::project_root().join(".cache").join(name)
}

/// Creates (or reuses) the venv `name` for `requirements` and returns its directory.
/// All output goes to stderr: callers may own stdout (the emulator's `endpoint:` line).
pub fn ensure(name: &str, requirements: &Path) -> Result<PathBuf> {
    let wanted = fs::read_to_string(requirements)
        .with_context(|| format!("reading {}", requirements.display()))?;
    let venv = dir(name);
    let python = venv.join("bin").join("python");
    let stamp = venv.join(STAMP);
    if python.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(wanted.as_str()) {
        return Ok(venv);
    }
    if venv.exists() {
        eprintln!(
            "{name}: requirements changed, rebuilding {}",
            venv.display()
        );
        fs::remove_dir_all(&venv).with_context(|| format!("removing {}", venv.display()))?;
    } else {
        eprintln!("{name}: creating {}", venv.display());
    }
    if let Some(parent) = venv.parent() {
        fs::create_dir_all(parent)?;
    }
    run_quiet(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        "python3 -m venv",
    )?;
    run_quiet(
        Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                "--no-input",
                "--quiet",
                "-r",
            ])
            .arg(requirements),
        &format!("pip install -r {}", requirements.display()),
    )?;
    fs::write(&stamp, &wanted).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(venv)
}

fn run_quiet(cmd: &mut Command, what: &str) -> Result<()> {
    let status = cmd
        .stdin(Stdio::null())
        .stdout(std::io::stderr())
        .status()
        .with_context(|| format!("could not start {what}"))?;
    if !status.success() {
        bail!("{what} failed ({status})");
    }
    Ok(())
}
