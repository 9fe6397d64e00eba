//! The proxy workload of every blueprint in `blueprints/` that has a `proxy`: `shinyctl render`
//! output snapshotted, and every manifest validated against the upstream Kubernetes schemas of the
//! blueprint's cluster version (kubernetes-validate) and scanned by checkov with zero failed
//! checks. The validators run from `.cache/validators-venv`, which `cargo xtask ci` creates; without
//! it this suite fails (it never skips).

use std::path::PathBuf;
use std::process::Command;

use insta::assert_snapshot;

use crate::support::{Scratch, relative, repo_root, shinyctl, shipped_blueprints};

fn proxy_blueprints() -> Vec<(PathBuf, shinyctl::blueprint::Blueprint)> {
    shipped_blueprints()
        .into_iter()
        .filter_map(|file| {
            let loaded = shinyctl::blueprint::load_file(&file).expect("shipped blueprints load");
            loaded
                .blueprint
                .proxy
                .is_some()
                .then_some((file, loaded.blueprint))
        })
        .collect()
}

fn stem(file: &std::path::Path) -> String {
    file.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("blueprint")
        .to_string()
}

/// Every file under `dir`, sorted, as `=== path ===` sections.
fn listing(dir: &std::path::Path) -> String {
    let mut files = vec![dir.join("application.yml")];
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(dir.join("manifests"))
        .expect("render wrote manifests/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    manifests.sort();
    files.extend(manifests);
    files
        .iter()
        .map(|path| {
            let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
            let text = std::fs::read_to_string(path).expect("rendered file reads");
            format!("=== {name} ===\n{text}")
        })
        .collect()
}

fn validators_python() -> PathBuf {
    let python = repo_root().join(".cache/validators-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `cargo xtask ci` once (it creates the validators' virtualenv from tests/workload/requirements.txt)",
        python.display()
    );
    python
}

#[test]
fn there_is_a_blueprint_with_a_proxy() {
    assert!(!proxy_blueprints().is_empty());
}

#[test]
fn every_proxy_blueprint_renders_the_same_files() {
    for (file, _) in proxy_blueprints() {
        let out = Scratch::new();
        shinyctl(&["render", "-f", &relative(&file), "--out", &out.file("out")]).expect_code(0);
        let dir = out.path().join("out");
        let first = listing(&dir);
        assert_snapshot!(format!("render_{}", stem(&file)), first);
        // Rendering again into the same directory changes nothing.
        shinyctl(&["render", "-f", &relative(&file), "--out", &out.file("out")]).expect_code(0);
        assert_eq!(listing(&dir), first);
    }
}

#[test]
fn every_rendered_manifest_passes_kubernetes_validate_and_checkov() {
    let python = validators_python();
    for (file, bp) in proxy_blueprints() {
        let out = Scratch::new();
        shinyctl(&["render", "-f", &relative(&file), "--out", &out.file("out")]).expect_code(0);
        let version = bp
            .cluster
            .as_ref()
            .map(|c| c.version.clone())
            .expect("a proxy needs a cluster");
        let run = Command::new(&python)
            .arg(repo_root().join("tests/workload/validate.py"))
            .args(["--kubernetes-version", &version])
            .arg(out.path().join("out/manifests"))
            .output()
            .expect("the validators' python runs");
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            run.status.success(),
            "{}: manifests fail validation\n{stdout}\n{stderr}",
            relative(&file)
        );
        assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    }
}

#[test]
fn render_without_a_proxy_says_so() {
    let out = Scratch::new();
    let run = shinyctl(&[
        "render",
        "-f",
        "blueprints/minimal.yaml",
        "--out",
        &out.file("out"),
    ])
    .expect_code(1);
    assert!(run.stderr.contains("no `proxy` section"), "{run}");
}

#[test]
fn render_removes_manifests_the_blueprint_no_longer_has() {
    let (file, _) = proxy_blueprints().remove(0);
    let out = Scratch::new();
    let stale = out.path().join("out/manifests/99-configmap-old.yaml");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, "old").unwrap();
    shinyctl(&["render", "-f", &relative(&file), "--out", &out.file("out")]).expect_code(0);
    assert!(!stale.exists());
}
