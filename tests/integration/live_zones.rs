//! Availability zones against the emulator through the real binary and SDK (issue 11, item 6):
//! a live plan puts the subnets in the zones EC2 lists for the account (Tokyo's a, c and d, not
//! the a, b and c an offline plan assumes), leaves out the zone EKS refuses, and stops on zones
//! the account does not have, naming the ones it does. Each test has its own emulator account.

use std::collections::BTreeSet;

use serde_json::Value;

use super::e2e::Account;

fn blueprint(name: &str, region: &str, zones: &str, cluster: bool) -> String {
    let cluster = if cluster {
        "cluster:\n  version: \"1.35\"\n  nodeGroups:\n    - {name: proxy, instanceTypes: [m6i.large], \
         desired: 1, min: 1, max: 2}\n"
    } else {
        ""
    };
    format!(
        "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: {name}\n  \
         region: {region}\nnetwork:\n  cidr: 10.50.0.0/16\n  availabilityZones: {zones}\n  \
         natGateway: single\n{cluster}"
    )
}

/// The zones of the plan's subnets.
fn subnet_zones(plan: &Value) -> BTreeSet<String> {
    plan["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["kind"] == "subnet")
        .filter_map(|c| c["after"]["availabilityZone"].as_str().map(str::to_string))
        .collect()
}

fn zone_notes(plan: &Value) -> Vec<String> {
    plan["notes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|n| n["about"] == "network.availabilityZones")
        .filter_map(|n| n["message"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_live_plan_uses_the_zones_the_account_has() {
    let account = Account::new();
    let file = account.write(
        "tokyo.yaml",
        &blueprint("zonestokyo", "ap-northeast-1", "3", true),
    );
    let offline = account.run(&["plan", "--offline", "-f", &file, "--json"]);
    assert_eq!(offline.code, 0, "{offline}");
    let offline: Value = serde_json::from_str(&offline.stdout).expect("json");
    assert!(
        subnet_zones(&offline).contains("ap-northeast-1b"),
        "assumed"
    );
    assert_eq!(
        zone_notes(&offline),
        ["zones assumed, not asked of AWS: ap-northeast-1a, ap-northeast-1b, ap-northeast-1c"]
    );

    let (_, live) = account.plan(&file);
    assert_eq!(
        subnet_zones(&live),
        BTreeSet::from(["ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d"].map(String::from))
    );
    assert!(zone_notes(&live).is_empty(), "{live:#}");
    let addresses: Vec<&str> = live["changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["kind"] == "subnet")
        .filter_map(|c| c["address"].as_str())
        .collect();
    assert!(
        addresses.contains(&"network.subnet.private[d]"),
        "{addresses:?}"
    );
}

#[test]
fn a_live_plan_for_a_cluster_leaves_out_the_zone_eks_refuses() {
    let account = Account::new();
    let five = account.write("five.yaml", &blueprint("zoneseks", "us-east-1", "5", true));
    let (_, live) = account.plan(&five);
    assert!(!subnet_zones(&live).contains("us-east-1e"), "{live:#}");
    assert!(subnet_zones(&live).contains("us-east-1f"));
    let notes = zone_notes(&live);
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].ends_with("left out: us-east-1e (use1-az3): EKS does not support it for clusters"),
        "{notes:?}"
    );

    let six = account.write("six.yaml", &blueprint("zoneseks", "us-east-1", "6", true));
    let run = account.run(&["plan", "-f", &six]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr
            .contains("availability zones do not fit this account; nothing was planned"),
        "{run}"
    );
    assert!(
        run.stderr.contains(
            "6 availability zones asked, but us-east-1 has 5 this account can use for an EKS cluster"
        ),
        "{run}"
    );
    // Without a cluster the sixth zone serves.
    let plain = account.write(
        "plain.yaml",
        &blueprint("zonesplain", "us-east-1", "6", false),
    );
    let (_, live) = account.plan(&plain);
    assert!(subnet_zones(&live).contains("us-east-1e"));
}

#[test]
fn a_listed_zone_the_account_lacks_stops_plan_and_apply_but_not_destroy() {
    let account = Account::new();
    let file = account.write(
        "china.yaml",
        &blueprint(
            "zoneschina",
            "cn-north-1",
            "[cn-north-1a, cn-north-1c]",
            false,
        ),
    );
    let run = account.run(&["plan", "-f", &file]);
    assert_eq!(run.code, 1, "{run}");
    assert!(
        run.stderr.contains(
            "network.availabilityZones[1]: cn-north-1c is not an availability zone of cn-north-1 \
             for this account (its zones: cn-north-1a (cnn1-az1), cn-north-1b (cnn1-az2), \
             cn-north-1d (cnn1-az4))"
        ),
        "{run}"
    );
    let apply = account.apply(&file);
    assert_eq!(apply.code, 1, "{apply}");
    assert_eq!(account.successful_calls("CreateVpc"), 0);
    let destroy = account.destroy(&file);
    assert_eq!(destroy.code, 0, "{destroy}");
}
