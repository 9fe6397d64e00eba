//! The layering `docs/ARCHITECTURE.md` states, checked on the source text: a plain scan for the
//! paths a layer must not name, so a forbidden import fails here rather than in review.

use std::path::{Path, PathBuf};

use crate::support::repo_root;

/// Every `.rs` file under `src/<dir>`, with its production code only: test modules (`tests.rs`
/// files, and the `#[cfg(test)] mod tests` at the end of a file) may read fixtures from disk.
fn production_sources(dir: &str) -> Vec<(PathBuf, String)> {
    let mut out = Vec::new();
    let mut pending = vec![repo_root().join("src").join(dir)];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).expect("source directory is readable") {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs")
                && path.file_name().is_some_and(|n| n != "tests.rs")
            {
                let text = std::fs::read_to_string(&path).expect("source is UTF-8");
                let code = match text.find("#[cfg(test)]\nmod tests") {
                    Some(at) => text[..at].to_string(),
                    None => text,
                };
                out.push((path, code));
            }
        }
    }
    assert!(!out.is_empty(), "no sources under src/{dir}");
    out
}

/// `(file, line, needle)` for every line of `dirs`' production code that mentions a needle.
fn mentions(dirs: &[&str], needles: &[&str]) -> Vec<String> {
    let root = repo_root();
    let mut found = Vec::new();
    for dir in dirs {
        for (path, code) in production_sources(dir) {
            for (i, line) in code.lines().enumerate() {
                for needle in needles.iter().filter(|n| line.contains(*n)) {
                    let file = path.strip_prefix(&root).unwrap_or(Path::new(""));
                    found.push(format!("{}:{}: {needle}", file.display(), i + 1));
                }
            }
        }
    }
    found
}

#[test]
fn the_blueprint_knows_nothing_of_the_plan() {
    // `blueprint` returns a validated blueprint; `load` composes it with the catalog, the name
    // checks and reachability. A helper both need belongs to the blueprint.
    let found = mentions(&["blueprint"], &["crate::plan", "crate::load"]);
    assert!(
        found.is_empty(),
        "src/blueprint/ must not use these: {found:#?}"
    );
}

#[test]
fn planning_does_no_io() {
    let found = mentions(
        &["blueprint", "plan", "graph"],
        &[
            "aws_sdk",
            "aws_config",
            "aws_smithy",
            "std::fs",
            "tokio::fs",
            "std::net",
            "tokio::net",
            "std::process",
            "reqwest",
            "kube::",
        ],
    );
    assert!(found.is_empty(), "planning must not do IO: {found:#?}");
}

#[test]
fn the_engine_knows_nothing_of_aws() {
    // Error codes are AWS's (`aws::errors`); the engine sees classified step errors only.
    let found = mentions(
        &["apply"],
        &["aws_sdk", "aws_smithy", "use crate::aws", "classify_code"],
    );
    assert!(found.is_empty(), "src/apply/ must not know AWS: {found:#?}");
}

#[test]
fn only_the_gate_spends_rate_limit_tokens() {
    // Every request spends its token in `aws/gate.rs`; a token taken by hand elsewhere would be
    // spent twice (and a forgotten one is impossible).
    let found: Vec<String> = mentions(&["aws", "ops", "workload", "images"], &[".acquire("])
        .into_iter()
        .filter(|m| !m.starts_with("src/aws/gate.rs") && !m.contains("lock.rs"))
        .collect();
    assert!(
        found.is_empty(),
        "rate-limit tokens are the gate's to take: {found:#?}"
    );
}

#[test]
fn the_scan_sees_what_it_looks_for() {
    // The scan is only worth its silence if it finds a mention where there is one.
    assert!(!mentions(&["aws"], &["aws_sdk"]).is_empty());
    assert!(!mentions(&["load"], &["crate::plan"]).is_empty());
}
