//! Versions left out (issue 17): the plan shows the version chosen, and once the resource exists
//! an unset version is the one it runs, so removing a pin never plans an upgrade.

use serde_json::Value;

use super::e2e::Account;

const NETWORK: &str =
    "network:\n  cidr: 10.42.0.0/16\n  availabilityZones: 2\n  natGateway: single\n";

fn blueprint(cache_version: &str) -> String {
    format!(
        "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: unpinned\n  \
         region: us-east-1\n{NETWORK}cache:\n  engine: redis\n{cache_version}  nodeType: cache.t3.medium\n  \
         clusterMode: disabled\n  replicasPerShard: 1\n"
    )
}

#[test]
fn removing_a_pin_keeps_the_running_version() {
    let account = Account::new();
    let pinned = account.write("pinned.yaml", &blueprint("  version: \"7.0\"\n"));
    let applied = account.apply(&pinned);
    assert_eq!(applied.code, 0, "{applied}");

    let unpinned = account.write("unpinned.yaml", &blueprint(""));
    // Offline (nothing exists), the newest shinyctl supports is chosen, with a warning.
    let offline = account.run(&["plan", "--offline", "--json", "-f", &unpinned]);
    assert_eq!(offline.code, 0, "{offline}");
    let plan: Value = serde_json::from_str(&offline.stdout).expect("JSON plan");
    let group = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "cache.cache_replication_group")
        .expect("the cache");
    assert_eq!(group["after"]["engineVersion"], "7.1");
    assert!(
        plan["notes"].to_string().contains("pinning is recommended"),
        "{plan}"
    );

    // Live, the existing cache runs 7.0.x: no upgrade is planned.
    let live = account.run(&["plan", "--json", "--detailed-exitcode", "-f", &unpinned]);
    assert_eq!(live.code, 0, "no changes\n{live}");
    assert!(
        live.stdout.contains("the existing resource runs 7.0"),
        "{live}"
    );
    let destroyed = account.destroy(&pinned);
    assert_eq!(destroyed.code, 0, "{destroyed}");
}

#[test]
fn validate_warns_that_pinning_is_recommended() {
    let account = Account::new();
    let file = account.write("v.yaml", &blueprint(""));
    let run = account.run(&["validate", "-f", &file]);
    assert_eq!(run.code, 0, "{run}");
    assert!(run.stderr.contains("`cache.version` is not set"), "{run}");
    assert!(run.stderr.contains("pinning is recommended"), "{run}");
}

#[test]
fn the_live_plan_chooses_from_what_aws_offers() {
    let account = Account::new();
    let file = account.write("live.yaml", &blueprint(""));
    let run = account.run(&["plan", "--json", "-f", &file]);
    assert_eq!(run.code, 0, "{run}");
    let plan: Value = serde_json::from_str(&run.stdout).expect("JSON plan");
    let notes = plan["notes"].to_string();
    assert!(
        notes.contains("ElastiCache for Redis OSS 7.1 is chosen, the newest shinyctl supports (according to ElastiCache)"),
        "{notes}"
    );
}

/// A platform with the proxy at `version` (a `proxy:` line, or none).
fn proxy_platform(version: &str) -> String {
    format!(
        "apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: unpinproxy
  region: us-east-1
{NETWORK}cluster:
  version: \"1.35\"
  fargateProfiles:
    - name: apps
      selectors: [{{namespace: shinyproxy}}, {{namespace: shiny-apps}}]
ingress:
  type: alb
  listeners:
    - {{port: 80, protocol: HTTP}}
proxy:
  kind: shinyproxy
{version}  namespace: shinyproxy
  authentication:
    type: none
  apps:
    - id: hello
      image: openanalytics/shinyproxy-demo:latest
      port: 3838
"
    )
}

/// `proxy.version` left out once the proxy runs: the plan keeps the version its Deployment runs
/// (no new image, no rollout), as an unset AWS version keeps what the resource runs.
#[test]
fn an_unpinned_proxy_keeps_the_version_it_runs() {
    let account = Account::new();
    let pinned = account.write("pinned.yaml", &proxy_platform("  version: \"3.1.1\"\n"));
    let applied = account.apply(&pinned);
    assert_eq!(applied.code, 0, "{applied}");

    let unpinned = account.write("unpinned.yaml", &proxy_platform(""));
    // Offline nothing runs: the newest ShinyProxy shinyctl supports.
    let offline = account.run(&["plan", "--offline", "--json", "-f", &unpinned]);
    assert_eq!(offline.code, 0, "{offline}");
    assert!(
        !offline.stdout.contains("openanalytics/shinyproxy:3.1.1"),
        "offline, the chosen version"
    );
    // Live, the Deployment runs 3.1.1: nothing changes.
    let live = account.run(&["plan", "--json", "--detailed-exitcode", "-f", &unpinned]);
    assert_eq!(live.code, 0, "no changes\n{live}");
    assert!(
        live.stdout.contains("the existing resource runs 3.1.1"),
        "{live}"
    );
    // A pin is what the blueprint says: a newer one rolls out.
    let newer = account.write("newer.yaml", &proxy_platform("  version: \"3.2.0\"\n"));
    let plan = account.run(&["plan", "--json", "--detailed-exitcode", "-f", &newer]);
    assert_eq!(plan.code, 2, "the new version rolls out\n{plan}");
    assert!(
        plan.stdout.contains("openanalytics/shinyproxy:3.2.0"),
        "{plan}"
    );
    let destroyed = account.destroy(&pinned);
    assert_eq!(destroyed.code, 0, "{destroyed}");
}
