//! Whole-command snapshots of the `shinyctl` binary: exit code, stdout and stderr.
//!
//! Plans against observed state use the fixtures in `tests/observed/`: `demo.yaml` is the
//! blueprint, and each `demo.*.json` is an observed state for it (see docs/observed-state.md).

use insta::assert_snapshot;
use serde_json::Value;

use crate::support::{Scratch, repo_root, shinyctl, shinyctl_with_env, shipped_blueprints};

const DEMO: &str = "tests/observed/demo.yaml";
/// Everything the demo asks for, exactly as asked: all no-ops.
const MATCHING: &str = "tests/observed/demo.matching.json";
/// One of each: create, update in place, replace, delete (of a data-holding resource) and no-op.
const CHANGED: &str = "tests/observed/demo.changed.json";

const INVALID: &str = "\
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: Bad_Name
  region: us-east-1
  colour: blue
network:
  cidr: 10.0.0.0/33
";

#[test]
fn version() {
    let run = shinyctl(&["--version"]).expect_code(0);
    assert_eq!(
        run.stdout,
        format!("shinyctl {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn usage_errors_exit_1_not_2() {
    // 2 means "changes" under --detailed-exitcode, so a typo must never look like it.
    let run = shinyctl(&["plan", "--offlin", "-f", DEMO]);
    assert_eq!(run.code, 1, "{run}");
    assert!(run.stderr.contains("--offline"), "suggests the flag: {run}");
}

#[test]
fn validate_valid() {
    assert_snapshot!(
        shinyctl(&["validate", "-f", DEMO])
            .expect_code(0)
            .to_string()
    );
}

#[test]
fn validate_valid_json() {
    assert_snapshot!(
        shinyctl(&["validate", "-f", DEMO, "--json"])
            .expect_code(0)
            .to_string()
    );
}

#[test]
fn validate_invalid() {
    let scratch = Scratch::new();
    let file = scratch.write("bad.yaml", INVALID);
    let run = shinyctl(&["validate", "-f", &file]).expect_code(1);
    assert!(run.stdout.is_empty(), "diagnostics go to stderr: {run}");
    scratch.bind(|| assert_snapshot!(run.to_string()));
}

#[test]
fn validate_invalid_json() {
    let scratch = Scratch::new();
    let file = scratch.write("bad.yaml", INVALID);
    let run = shinyctl(&["validate", "-f", &file, "--json"]).expect_code(1);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(doc["valid"], false);
    scratch.bind(|| assert_snapshot!(run.to_string()));
}

#[test]
fn validate_missing_file() {
    assert_snapshot!(
        shinyctl(&["validate", "-f", "no/such/blueprint.yaml"])
            .expect_code(1)
            .to_string()
    );
}

#[test]
fn colour_follows_no_color_and_the_flag() {
    // Not a terminal here, so never colour; NO_COLOR and --no-color must not break anything.
    let scratch = Scratch::new();
    let file = scratch.write("bad.yaml", INVALID);
    for env in [&[("NO_COLOR", "1")][..], &[]] {
        let run = shinyctl_with_env(&["validate", "--no-color", "-f", &file], env).expect_code(1);
        assert!(!run.stderr.contains('\u{1b}'), "{run}");
    }
}

#[test]
fn live_plan_without_aws_says_what_to_check() {
    // Without --offline/--observed, plan reads AWS; nothing answers at this endpoint.
    let run = shinyctl_with_env(
        &["plan", "-f", DEMO, "--endpoint-url", "http://127.0.0.1:9"],
        &[
            ("AWS_ACCESS_KEY_ID", "x"),
            ("AWS_SECRET_ACCESS_KEY", "x"),
            ("AWS_EC2_METADATA_DISABLED", "true"),
        ],
    )
    .expect_code(1);
    // Nothing answers: the endpoint is what to check, not the credentials.
    assert!(run.stderr.contains("cannot reach AWS"), "{run}");
    assert!(run.stderr.contains("--endpoint-url"), "{run}");
}

#[test]
fn plan_offline_and_observed_conflict() {
    let run = shinyctl(&["plan", "-f", DEMO, "--offline", "--observed", MATCHING]);
    assert_eq!(run.code, 1, "{run}");
}

#[test]
fn plan_offline_human() {
    assert_snapshot!(
        shinyctl(&["plan", "-f", DEMO, "--offline"])
            .expect_code(0)
            .to_string()
    );
}

#[test]
fn plan_offline_json() {
    let run = shinyctl(&["plan", "-f", DEMO, "--offline", "--json"]).expect_code(0);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    assert_eq!(doc["format_version"], "1.0");
    assert!(doc["changes"].as_array().is_some_and(|c| {
        c.iter()
            .all(|c| c["action"] == serde_json::json!(["create"]))
    }));
    assert_snapshot!(run.to_string());
}

#[test]
fn plan_observed_matching_is_no_changes() {
    assert_snapshot!(
        shinyctl(&["plan", "-f", DEMO, "--observed", MATCHING])
            .expect_code(0)
            .to_string()
    );
}

#[test]
fn plan_observed_every_action_human() {
    assert_snapshot!(
        shinyctl(&["plan", "-f", DEMO, "--observed", CHANGED])
            .expect_code(0)
            .to_string()
    );
}

#[test]
fn plan_observed_every_action_json() {
    let run = shinyctl(&["plan", "-f", DEMO, "--observed", CHANGED, "--json"]).expect_code(0);
    let doc: Value = serde_json::from_str(&run.stdout).expect("JSON on stdout");
    let actions: Vec<String> = doc["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["action"].to_string())
        .collect();
    for action in [
        r#"["create"]"#,
        r#"["update"]"#,
        r#"["delete","create"]"#,
        r#"["delete"]"#,
        r#"["no-op"]"#,
    ] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} missing: {actions:?}"
        );
    }
    assert!(doc["data_loss"].as_array().is_some_and(|d| !d.is_empty()));
    assert_snapshot!(run.to_string());
}

#[test]
fn detailed_exitcode_2_when_there_are_changes() {
    shinyctl(&["plan", "-f", DEMO, "--offline", "--detailed-exitcode"]).expect_code(2);
    shinyctl(&[
        "plan",
        "-f",
        DEMO,
        "--observed",
        CHANGED,
        "--detailed-exitcode",
    ])
    .expect_code(2);
}

#[test]
fn detailed_exitcode_0_when_there_are_none() {
    shinyctl(&[
        "plan",
        "-f",
        DEMO,
        "--observed",
        MATCHING,
        "--detailed-exitcode",
    ])
    .expect_code(0);
}

#[test]
fn detailed_exitcode_1_on_errors() {
    let scratch = Scratch::new();
    let bad = scratch.write("bad.yaml", INVALID);
    shinyctl(&["plan", "-f", &bad, "--offline", "--detailed-exitcode"]).expect_code(1);
    let broken = scratch.write("state.json", "{\"format_version\": \"1\",");
    let run = shinyctl(&[
        "plan",
        "-f",
        DEMO,
        "--observed",
        &broken,
        "--detailed-exitcode",
    ])
    .expect_code(1);
    scratch.bind(|| assert_snapshot!(run.to_string()));
}

#[test]
fn observed_state_of_another_blueprint_is_refused() {
    let scratch = Scratch::new();
    let text = std::fs::read_to_string(repo_root().join(MATCHING)).expect("fixture");
    let other = text.replacen("\"blueprint\": \"demo\"", "\"blueprint\": \"other\"", 1);
    assert_ne!(text, other, "the fixture names blueprint demo");
    let file = scratch.write("other.json", &other);
    let run = shinyctl(&["plan", "-f", DEMO, "--observed", &file]).expect_code(1);
    scratch.bind(|| assert_snapshot!(run.to_string()));
}

#[test]
fn out_saves_the_same_json() {
    let scratch = Scratch::new();
    let out = scratch.file("plan.json");
    let human =
        shinyctl(&["plan", "-f", DEMO, "--observed", CHANGED, "--out", &out]).expect_code(0);
    let saved = scratch.read("plan.json");
    let printed = shinyctl(&["plan", "-f", DEMO, "--observed", CHANGED, "--json"]).expect_code(0);
    assert_eq!(saved, printed.stdout);
    assert!(human.stdout.starts_with("Plan for blueprint"), "{human}");
    assert!(human.stderr.contains("Saved the plan to"), "{human}");
}

#[test]
fn graph_dot() {
    assert_snapshot!(
        shinyctl(&["graph", "-f", DEMO, "--format", "dot"])
            .expect_code(0)
            .to_string()
    );
}

#[test]
fn graph_mermaid() {
    assert_snapshot!(
        shinyctl(&["graph", "-f", DEMO, "--format", "mermaid"])
            .expect_code(0)
            .to_string()
    );
}

#[test]
fn schema_is_a_valid_json_schema_that_every_blueprint_conforms_to() {
    let run = shinyctl(&["schema"]).expect_code(0);
    let schema: Value = serde_json::from_str(&run.stdout).expect("the schema is JSON");
    assert!(
        jsonschema::meta::is_valid(&schema),
        "not a valid JSON Schema"
    );
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    let mut files = shipped_blueprints();
    files.push(repo_root().join(DEMO));
    for file in files {
        let loaded = shinyctl::load::load_file(&file)
            .unwrap_or_else(|e| panic!("{} does not load: {e}", file.display()));
        // The loaded model (defaults filled in) must be a document the schema accepts.
        let document = serde_json::to_value(&loaded.blueprint).expect("the model serialises");
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| format!("{}: {e}", e.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
    }
}

#[test]
fn completions_cover_every_verb_for_each_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let run = shinyctl(&["completions", shell]).expect_code(0);
        for verb in ["plan", "apply", "destroy", "kubeconfig", "token"] {
            assert!(run.stdout.contains(verb), "{shell} completes {verb}");
        }
    }
    assert_eq!(shinyctl(&["completions", "tcsh"]).code, 1);
}

#[test]
fn the_manual_page_is_roff_naming_every_verb() {
    let run = shinyctl(&["man"]).expect_code(0);
    assert!(
        run.stdout.starts_with(".ie \\n(.g .ds Aq"),
        "{}",
        &run.stdout[..80]
    );
    assert!(run.stdout.contains(".TH shinyctl 1"));
    for verb in ["plan", "apply", "destroy", "kubeconfig", "completions"] {
        assert!(run.stdout.contains(verb), "the page names {verb}");
    }
}
