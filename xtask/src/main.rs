//! The project's own development tasks, run as `cargo xtask <task>` (matklad's cargo-xtask pattern):
//! nothing but cargo is needed to build, test, or start the emulator.

mod bench;
mod ci;
mod demo;
mod emulator;
mod mirror_stand_in;
// `ci` calls `validators::ensure_venv` before the Rust tests (the workload suite needs the venv).
mod validators;
mod venv;

use std::process::ExitCode;

const USAGE: &str = "\
usage: cargo xtask <task> [args]

tasks:
  bench      measure apply/destroy vs the critical path, API calls, plan scaling; write docs/benchmarks.*
  ci         fmt check, clippy -D warnings, every test (Rust and the emulator's pytest suite)
  fmt        cargo fmt, and rustfmt over the kinds' adapter files (which build.rs declares)
  emulator   start the local AWS emulator: [--port P] [--profile FILE] [--faults FILE]
  demo       plan, apply, plan, destroy blueprints/shinyproxy-eks.yaml against the emulator
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((task, rest)) = args.split_first() else {
        eprint!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = match task.as_str() {
        "bench" => bench::run(rest),
        "ci" => ci::run(rest),
        "fmt" => ci::fmt(rest),
        "emulator" => emulator::run(rest),
        "demo" => demo::run(rest),
        "help" | "--help" | "-h" => {
            print!("{USAGE}");
            Ok(())
        }
        other => {
            eprintln!("error: unknown task `{other}`\n\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask {task}: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root: xtask lives one level below it. Cargo tells xtask its manifest directory
/// when it runs it; the one compiled in is only the fallback, as a target directory shared by
/// clones in other places (CI's warm cache) keeps the binary built for the first of them.
pub fn project_root() -> std::path::PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")))
        .parent()
        .expect("xtask sits inside the workspace")
        .to_path_buf()
}

/// Where cargo puts binaries: `CARGO_TARGET_DIR` (relative to `root` unless absolute) or
/// `<root>/target`.
pub fn target_dir(root: &std::path::Path) -> std::path::PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"))
}
