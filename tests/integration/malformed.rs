//! The malformed-blueprint corpus: every file in `tests/malformed/` is a broken blueprint whose
//! leading comments say exactly what the load pipeline must report, one line per diagnostic:
//!
//! ```text
//! # expect: 7:9 network.cidr | not a valid IPv4 CIDR
//! ```
//!
//! `LINE[:COLUMN] PATH | MESSAGE-SUBSTRING`; the path `-` stands for the document itself (syntax
//! errors). Nothing may be missing and nothing extra. To see what a new file produces, run
//! `MALFORMED_SHOW=1 cargo test --test integration malformed -- --nocapture`.

use std::path::{Path, PathBuf};

use shinyctl::blueprint::{Diagnostic, Diagnostics};
use shinyctl::load::{LoadError, load_str};

use crate::support::{repo_root, shinyctl};

#[derive(Debug)]
struct Expectation {
    line: usize,
    column: Option<usize>,
    path: String,
    needle: String,
}

impl Expectation {
    fn matches(&self, d: &Diagnostic) -> bool {
        d.line == self.line
            && self.column.is_none_or(|c| c == d.column)
            && d.path == self.path
            && d.message.contains(&self.needle)
    }
}

impl std::fmt::Display for Expectation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let column = self.column.map(|c| format!(":{c}")).unwrap_or_default();
        write!(f, "{}{column} {} | {}", self.line, self.path, self.needle)
    }
}

fn show(d: &Diagnostic) -> String {
    let path = if d.path.is_empty() { "-" } else { &d.path };
    format!("{}:{} {path} | {}", d.line, d.column, d.message)
}

/// Parses `# expect: LINE[:COLUMN] PATH | NEEDLE` lines; panics on a malformed one (a broken test).
fn expectations(file: &str, text: &str) -> Vec<Expectation> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect:"))
        .map(|spec| {
            let (place, needle) = spec
                .split_once('|')
                .unwrap_or_else(|| panic!("{file}: `# expect:` needs `|`: {spec}"));
            let mut words = place.split_whitespace();
            let position = words
                .next()
                .unwrap_or_else(|| panic!("{file}: no position: {spec}"));
            let path = words
                .next()
                .unwrap_or_else(|| panic!("{file}: no path: {spec}"));
            let (line, column) = match position.split_once(':') {
                Some((l, c)) => (l, Some(c.parse().expect("a column number"))),
                None => (position, None),
            };
            Expectation {
                line: line.parse().expect("a line number"),
                column,
                path: if path == "-" {
                    String::new()
                } else {
                    path.to_string()
                },
                needle: needle.trim().to_string(),
            }
        })
        .collect()
}

fn corpus() -> Vec<PathBuf> {
    let dir = repo_root().join("tests/malformed");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("tests/malformed exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}

fn relative(path: &Path) -> String {
    path.strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string()
}

fn diagnostics(path: &Path) -> Diagnostics {
    let text = std::fs::read_to_string(path).expect("a readable corpus file");
    match load_str(&relative(path), &text) {
        Err(LoadError::Invalid(d)) => d,
        Err(e) => panic!("{}: {e}", relative(path)),
        Ok(_) => panic!("{} loaded without problems", relative(path)),
    }
}

#[test]
fn the_corpus_is_large_and_every_file_states_its_expectations() {
    let files = corpus();
    assert!(
        files.len() >= 35,
        "only {} malformed blueprints",
        files.len()
    );
    for file in &files {
        let text = std::fs::read_to_string(file).expect("readable");
        assert!(
            !expectations(&relative(file), &text).is_empty(),
            "{} has no `# expect:` line",
            relative(file)
        );
    }
}

#[test]
fn every_file_reports_exactly_its_expectations() {
    let show_all = std::env::var_os("MALFORMED_SHOW").is_some();
    let mut failures = Vec::new();
    for file in corpus() {
        let name = relative(&file);
        let text = std::fs::read_to_string(&file).expect("readable");
        let expected = expectations(&name, &text);
        let found = match load_str(&name, &text) {
            Err(LoadError::Invalid(d)) => d.items,
            Err(e) => {
                failures.push(format!("{name}: {e}"));
                continue;
            }
            Ok(_) => Vec::new(),
        };
        if show_all {
            println!("== {name}");
            for d in &found {
                println!("# expect: {}", show(d));
            }
        }
        let missing: Vec<String> = expected
            .iter()
            .filter(|e| !found.iter().any(|d| e.matches(d)))
            .map(|e| format!("  missing:    {e}"))
            .collect();
        let extra: Vec<String> = found
            .iter()
            .filter(|d| !expected.iter().any(|e| e.matches(d)))
            .map(|d| format!("  unexpected: {}", show(d)))
            .collect();
        if !missing.is_empty() || !extra.is_empty() || found.len() != expected.len() {
            failures.push(format!(
                "{name}: expected {} diagnostics, got {}\n{}",
                expected.len(),
                found.len(),
                [missing, extra].concat().join("\n")
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn the_binary_rejects_malformed_files_with_exit_code_1() {
    for name in [
        "02-unclosed-quote.yaml",
        "10-unknown-key-natt.yaml",
        "27-replicas-without-cache.yaml",
        "40-several-mistakes.yaml",
    ] {
        let file = format!("tests/malformed/{name}");
        let run = shinyctl(&["validate", "-f", &file]).expect_code(1);
        let text = std::fs::read_to_string(repo_root().join(&file)).expect("readable");
        // The renderer wraps long messages at 100 columns (also after `/`) behind a `│` gutter:
        // compare without whitespace.
        let squeeze = |s: &str| s.replace('│', "").split_whitespace().collect::<String>();
        let stderr = squeeze(&run.stderr);
        for e in expectations(&file, &text) {
            assert!(
                stderr.contains(&format!("{file}:{}:", e.line))
                    && stderr.contains(&squeeze(&e.needle)),
                "{file}: stderr lacks `{e}`\n{run}"
            );
        }
    }
}

/// Issue 17: structural mistakes hide no semantic ones elsewhere (the diagnostics as people see
/// them, both errors of each file).
#[test]
fn structural_mistakes_hide_no_semantic_ones() {
    for (name, file) in [
        (
            "missing_key_and_dangling_mount",
            "46-missing-key-hides-no-dangling-mount.yaml",
        ),
        (
            "enum_and_invalid_cidr",
            "47-enum-hides-no-invalid-cidr.yaml",
        ),
    ] {
        let d = diagnostics(&repo_root().join("tests/malformed").join(file));
        let rendered = shinyctl::render::diagnostics::human(&d, false);
        insta::assert_snapshot!(name, rendered);
    }
}

#[test]
fn several_mistakes_render_for_people() {
    let d = diagnostics(&repo_root().join("tests/malformed/40-several-mistakes.yaml"));
    let rendered = shinyctl::render::diagnostics::human(&d, false);
    insta::assert_snapshot!("several_mistakes_human", rendered);
}

#[test]
fn every_diagnostic_says_what_to_do() {
    let mut without_hint = Vec::new();
    for path in corpus() {
        for d in diagnostics(&path).items {
            if d.hint.as_deref().is_none_or(str::is_empty) {
                without_hint.push(format!("{}: {}", relative(&path), show(&d)));
            }
        }
    }
    assert!(
        without_hint.is_empty(),
        "diagnostics without a hint:\n{}",
        without_hint.join("\n")
    );
}
