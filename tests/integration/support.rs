//! Helpers shared by the suites: run the real `shinyctl` binary from the repository root (so
//! relative paths in its output are stable), capture exit code, stdout and stderr, and snapshot them
//! with temp paths filtered out.

#![allow(dead_code)] // Each suite uses a different subset.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The repository root: blueprints and fixtures are addressed relative to it. `cargo test` says
/// where it is; the directory compiled in is the fallback (a shared target directory can hold a
/// test binary built in another clone).
pub fn repo_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")))
}

/// One finished run of the binary.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Fails the test with the whole run shown unless the exit code is `code`.
    pub fn expect_code(self, code: i32) -> Run {
        assert_eq!(self.code, code, "unexpected exit code\n{self}");
        self
    }
}

/// The snapshot form: exit code, then both streams, each labelled.
impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "exit code: {}", self.code)?;
        writeln!(f, "----- stdout -----")?;
        write!(f, "{}", self.stdout)?;
        writeln!(f, "----- stderr -----")?;
        write!(f, "{}", self.stderr)
    }
}

/// Runs `shinyctl ARGS` in the repository root with colour forced off by the environment and no
/// terminal attached (so the colour decision does not depend on who runs the tests).
pub fn shinyctl(args: &[&str]) -> Run {
    shinyctl_with_env(args, &[])
}

pub fn shinyctl_with_env(args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_shinyctl"));
    command
        .args(args)
        .current_dir(repo_root())
        .env_remove("NO_COLOR")
        .env_remove("RUST_BACKTRACE")
        .env("COLUMNS", "100")
        // Version support is judged as on the day the support tables were taken, so snapshots
        // do not change with the calendar.
        .env("SHINYCTL_AS_OF", "2026-12-05")
        // Nothing a test runs may reach beyond loopback: no instance metadata, no real AWS
        // endpoints, no profile from the developer's machine. Tests that talk to the emulator
        // pass its endpoint explicitly.
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env_remove("AWS_PROFILE")
        .env("AWS_CONFIG_FILE", "/nonexistent/shinyctl-test-aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/shinyctl-test-aws-credentials",
        );
    for (key, value) in env {
        command.env(key, value);
    }
    let output = command.output().expect("the shinyctl binary runs");
    Run {
        // A signal (no code) shows as -1, which no test expects.
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// A scratch directory for files a test writes or the binary writes; removed on drop.
pub struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Scratch {
        Scratch {
            dir: tempfile::tempdir().expect("a temp dir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Path of `name` inside the scratch dir, as a string for argument lists.
    pub fn file(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Writes `name` and returns its path.
    pub fn write(&self, name: &str, text: &str) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).expect("write a scratch file");
        path.display().to_string()
    }

    pub fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(name)).expect("read a scratch file")
    }

    /// Runs `f` (snapshot assertions) with this dir shown as `[TEMP]`.
    pub fn bind<R>(&self, f: impl FnOnce() -> R) -> R {
        self.settings().bind(f)
    }

    /// insta settings that show this dir as `[TEMP]` (its path differs on every run).
    pub fn settings(&self) -> insta::Settings {
        let mut settings = insta::Settings::clone_current();
        let escaped = regex_escape(&self.dir.path().display().to_string());
        settings.add_filter(&escaped, "[TEMP]");
        settings
    }
}

/// The blueprints shipped in `blueprints/`, sorted, so a new file is covered automatically.
pub fn shipped_blueprints() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("blueprints"))
        .expect("blueprints/ exists")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")))
        .collect();
    files.sort();
    files
}

/// `blueprints/NAME.yaml` as the binary sees it (relative to the repository root).
pub fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
