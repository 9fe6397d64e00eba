//! Versions against the emulator through the real binary and SDK (issue 11, items 2 and 11):
//! the live plan refuses a version AWS does not offer, naming the ones it does; a cache pinned
//! `7.1` that AWS reports as `7.1.0` plans no change; a database AWS moved to a newer minor
//! version is not planned back down. Each test has its own emulator account.

use serde_json::Value;

use super::e2e::{Account, FAULTS};

/// Two zones of network with one NAT gateway, plus `rest`.
fn blueprint(name: &str, rest: &str) -> String {
    format!(
        "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: {name}\n  \
         region: us-east-1\nnetwork:\n  cidr: 10.40.0.0/16\n  availabilityZones: 2\n  \
         natGateway: single\n{rest}"
    )
}

fn notes(plan: &Value) -> Vec<String> {
    plan["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|n| {
            format!(
                "{}: {}",
                n["about"].as_str().unwrap_or(""),
                n["message"].as_str().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn the_live_plan_refuses_versions_aws_does_not_offer_naming_the_ones_it_does() {
    let account = Account::new();
    // 1.36 is newer than shinyctl's table (a warning offline); EKS does not offer it.
    let text = blueprint(
        "verrefuse",
        "cluster:\n  version: \"1.36\"\n  nodeGroups:\n    - {name: proxy, instanceTypes: [m6i.large], desired: 1, min: 1, max: 2}\n\
         database:\n  engine: mysql\n  version: \"8.4.99\"\n  instanceClass: db.t3.medium\n",
    );
    let file = account.write("refuse.yaml", &text);
    let run = account.run(&["plan", "-f", &file]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("AWS does not support the blueprint's versions"),
        "{run}"
    );
    assert!(
        run.stderr
            .contains("cluster.version: EKS 1.36 is not offered (according to EKS)"),
        "{run}"
    );
    assert!(run.stderr.contains("1.35 (standard support)"), "{run}");
    assert!(
        run.stderr
            .contains("database.version: RDS mysql 8.4.99 is not offered (according to RDS)"),
        "{run}"
    );
    assert!(run.stderr.contains("8.4"), "{run}");
    // Refused before anything was planned or made (the read goes beside the version check,
    // issue 18: it changes nothing).
    let apply = account.apply(&file);
    assert_eq!(apply.code, 1, "{apply}");
    assert_eq!(account.successful_calls("CreateVpc"), 0);
}

#[test]
fn a_cache_pinned_7_1_that_runs_7_1_0_plans_no_change_and_shows_what_runs() {
    let account = Account::new();
    let text = blueprint(
        "vercache",
        "cache:\n  engine: redis\n  version: \"7.1\"\n  nodeType: cache.t3.medium\n  clusterMode: disabled\n  replicasPerShard: 1\n",
    );
    let file = account.write("cache.yaml", &text);
    let applied = account.apply(&file);
    assert_eq!(applied.code, 0, "{applied}");
    let (code, plan) = account.plan(&file);
    assert_eq!(code, 0, "no changes: {plan:#}");
    let notes = notes(&plan);
    assert!(
        notes
            .iter()
            .any(|n| n.starts_with("cache.cache_replication_group: runs engine version 7.1.")),
        "{notes:?}"
    );
    let destroyed = account.destroy(&file);
    assert_eq!(destroyed.code, 0, "{destroyed}");
}

#[test]
fn a_minor_version_upgrade_by_aws_is_not_planned_back_down() {
    let _faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
    let account = Account::new();
    let text = blueprint(
        "verminor",
        "database:\n  engine: mysql\n  version: \"8.4.5\"\n  instanceClass: db.t3.medium\n  deletionProtection: false\n",
    );
    let file = account.write("db.yaml", &text);
    let applied = account.apply(&file);
    assert_eq!(applied.code, 0, "{applied}");
    // AWS applies a minor version in the maintenance window.
    account.faults(serde_json::json!([
        {"kind": "minor_upgrade", "service": "rds", "operation": "DescribeDBInstances", "count": 1}
    ]));
    let (code, plan) = account.plan(&file);
    account.faults(serde_json::json!([]));
    assert_eq!(code, 0, "no downgrade planned: {plan:#}");
    let notes = notes(&plan);
    assert!(
        notes.iter().any(
            |n| n.starts_with("database.db_instance: runs engine version 8.4.")
                && n.contains("newer than the blueprint's 8.4.5")
        ),
        "{notes:?}"
    );
    let destroyed = account.destroy(&file);
    assert_eq!(destroyed.code, 0, "{destroyed}");
}
