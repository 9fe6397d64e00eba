//! Version support through the real binary (issue 11, item 2): on the day asked (`--as-of`, or
//! `SHINYCTL_AS_OF` as every test run sets it), a version in paid extended support is a warning
//! that keeps `validate` at exit 0 and shows in the plan; one past support is an error naming
//! the supported versions.

use serde_json::Value;

use crate::support::{Scratch, repo_root, shinyctl};

/// The shipped reference blueprint with its Kubernetes version replaced.
fn with_kubernetes(scratch: &Scratch, version: &str) -> String {
    let text = std::fs::read_to_string(repo_root().join("blueprints/shinyproxy-eks.yaml"))
        .expect("blueprint");
    let changed = text.replace("version: \"1.35\"", &format!("version: \"{version}\""));
    assert_ne!(text, changed, "the reference blueprint pins 1.35");
    scratch.write("b.yaml", &changed)
}

#[test]
fn extended_support_warns_and_validate_still_succeeds() {
    let scratch = Scratch::new();
    let file = with_kubernetes(&scratch, "1.34");
    let run = shinyctl(&["validate", "-f", &file]).expect_code(0);
    assert!(run.stdout.contains("is valid"), "{run}");
    assert!(
        run.stderr.contains("⚠") && run.stderr.contains("EKS 1.34"),
        "{run}"
    );
    assert!(!run.stderr.contains("error"), "{run}");

    let json = shinyctl(&["validate", "-f", &file, "--json"]).expect_code(0);
    let doc: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["valid"], true);
    let warning = &doc["diagnostics"][0];
    assert_eq!(warning["severity"], "warning");
    assert_eq!(warning["path"], "cluster.version");
    assert_eq!(
        warning["message"],
        "EKS 1.34 is in extended support until 2027-12-02, which costs extra (shinyctl's table of 2026-12-05)"
    );
    assert_eq!(warning["hint"], "move to 1.35 (standard support)");
}

#[test]
fn the_plan_shows_the_warning_in_both_formats() {
    let scratch = Scratch::new();
    let file = with_kubernetes(&scratch, "1.33");
    let human = shinyctl(&["plan", "--offline", "-f", &file]).expect_code(0);
    assert!(
        human
            .stdout
            .contains("Warning: cluster.version: EKS 1.33 is in extended support until 2027-07-29"),
        "{human}"
    );
    let json = shinyctl(&["plan", "--offline", "-f", &file, "--json"]).expect_code(0);
    let doc: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(doc["notes"][0]["level"], "warning");
    assert_eq!(doc["notes"][0]["about"], "cluster.version");
}

#[test]
fn a_version_past_extended_support_is_an_error_naming_the_supported_ones() {
    let scratch = Scratch::new();
    let file = with_kubernetes(&scratch, "1.31");
    let json = shinyctl(&["validate", "-f", &file, "--json"]).expect_code(1);
    let doc: Value = serde_json::from_str(&json.stdout).expect("JSON");
    let error = &doc["diagnostics"][0];
    assert_eq!(error["severity"], "error");
    assert_eq!(
        error["message"],
        "EKS 1.31 is no longer supported since 2026-11-26 (shinyctl's table of 2026-12-05)"
    );
    assert_eq!(
        error["hint"],
        "use a supported version: 1.35 (standard support); 1.32, 1.33, 1.34 (extended support, costs extra)"
    );
    // The plan refuses it too, before planning anything.
    let plan = shinyctl(&["plan", "--offline", "-f", &file]).expect_code(1);
    assert!(
        plan.stderr.contains("EKS 1.31 is no longer supported"),
        "{plan}"
    );
    assert!(plan.stdout.is_empty(), "{plan}");
}

#[test]
fn as_of_moves_the_day() {
    let blueprint = "blueprints/shinyproxy-eks.yaml";
    shinyctl(&["validate", "-f", blueprint]).expect_code(0);
    // 1.35's standard support ends 2027-03-27.
    let later = shinyctl(&["--as-of", "2027-04-01", "validate", "-f", blueprint]).expect_code(0);
    assert!(later.stderr.contains("EKS 1.35 is in extended"), "{later}");
    let refused = shinyctl(&["validate", "--as-of", "tomorrow", "-f", blueprint]).expect_code(1);
    assert!(refused.stderr.contains("YYYY-MM-DD"), "{refused}");
}

#[test]
fn the_shipped_blueprints_are_supported_on_the_day_the_tables_were_taken() {
    for name in [
        "shinyproxy-eks",
        "lowcode-ha",
        "dolphinscheduler-fargate",
        "minimal",
    ] {
        let run = shinyctl(&["validate", "-f", &format!("blueprints/{name}.yaml")]).expect_code(0);
        assert!(!run.stderr.contains("warning"), "{name}: {run}");
    }
}
