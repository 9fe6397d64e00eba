//! The manifest validators' virtualenv (`kubernetes-validate`, `checkov`; see docs/workload.md):
//! `<repo>/.cache/validators-venv`, built with `python3 -m venv` from the pinned
//! `tests/workload/requirements.txt` and rebuilt whenever that file changes (a copy of the file the
//! venv was built from is kept inside it). `cargo xtask ci` calls [`ensure_venv`] before the Rust
//! tests, whose workload suite runs the validators from this venv.

use anyhow::Result;
use std::path::PathBuf;

fn requirements_path() -> PathBuf {
    crate::project_root()
        .join("tests")
        .join("workload")
        .join("requirements.txt")
}

/// Creates `<repo>/.cache/validators-venv` (or reuses it when it was built from the current
/// requirements.txt) and returns the venv's directory.
pub fn ensure_venv() -> Result<PathBuf> {
    crate::venv::ensure("validators-venv", &requirements_path())
}
