//! The manifest validators' virtualenv (`kubernetes-validate`, `checkov`; see docs/workload.md):
//! `<repo>/.cache/validators-venv`, built with `python3 -m venv` from the pinned
//! `tests/workload/requirements.txt` and rebuilt whenever that file changes (a copy of the file the
//! venv was built from is kept inside it). `cargo xtask ci` calls [`ensure_venv`] before the Rust
//! tests, whose workload suite runs the validators from this venv.

use anyhow::{Context, Result, bail};
use std::fs;
use std::path::PathBuf;
use std::process::{Command, Stdio};

/// The copy of requirements.txt the venv was built from.
const STAMP: &str = "shinyctl-validators-requirements.txt";

fn requirements_path() -> PathBuf {
    crate::project_root()
        .join("tests")
        .join("workload")
        .join("requirements.txt")
}

pub fn venv_dir() -> PathBuf {
    crate::project_root().join(".cache").join("validators-venv")
}

/// Creates `<repo>/.cache/validators-venv` (or reuses it when it was built from the current
/// requirements.txt) and returns the venv's directory.
pub fn ensure_venv() -> Result<PathBuf> {
    let requirements_path = requirements_path();
    let requirements = fs::read_to_string(&requirements_path)
        .with_context(|| format!("reading {}", requirements_path.display()))?;
    let venv = venv_dir();
    let python = venv.join("bin").join("python");
    let stamp = venv.join(STAMP);
    if python.exists() && fs::read_to_string(&stamp).ok().as_deref() == Some(requirements.as_str())
    {
        return Ok(venv);
    }
    if venv.exists() {
        eprintln!(
            "validators: requirements changed, rebuilding {}",
            venv.display()
        );
        fs::remove_dir_all(&venv).with_context(|| format!("removing {}", venv.display()))?;
    } else {
        eprintln!("validators: creating {}", venv.display());
    }
    if let Some(parent) = venv.parent() {
        fs::create_dir_all(parent)?;
    }
    run(
        Command::new("python3").arg("-m").arg("venv").arg(&venv),
        "python3 -m venv",
    )?;
    run(
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
            .arg(&requirements_path),
        "pip install -r tests/workload/requirements.txt",
    )?;
    fs::write(&stamp, &requirements).with_context(|| format!("writing {}", stamp.display()))?;
    Ok(venv)
}

fn run(cmd: &mut Command, what: &str) -> Result<()> {
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
