//! The live plan's cost estimate against the emulator's Price List (`GetProducts`, issue 17):
//! prices asked once per product and cached per region, CNY from the China endpoint, and the
//! shipped table (with a warning) when the Price List cannot be reached.

use serde_json::Value;

use super::e2e::{Account, FAULTS};
use super::emulator;

/// A VPC of two zones with one NAT gateway (one NAT gateway hour and one public IPv4 address).
fn blueprint(name: &str, region: &str) -> String {
    format!(
        "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: {name}\n  \
         region: {region}\nnetwork:\n  cidr: 10.41.0.0/16\n  availabilityZones: 2\n  \
         natGateway: single\n"
    )
}

fn pricing_calls(account: &str) -> usize {
    emulator::calls(account)
        .iter()
        .filter(|c| c.service == "pricing")
        .count()
}

fn plan(account: &Account, file: &str) -> Value {
    let run = account.run(&["plan", "-f", file, "--json"]);
    assert_eq!(run.code, 0, "{run}");
    serde_json::from_str(&run.stdout).expect("JSON plan")
}

#[test]
fn the_live_plan_prices_by_the_price_list_and_caches_it() {
    let account = Account::new();
    let file = account.write("net.yaml", &blueprint("costnet", "us-east-1"));
    let first = plan(&account, &file);
    let cost = &first["cost"];
    assert_eq!(cost["currency"], "USD");
    assert!(
        cost["source"]
            .as_str()
            .unwrap()
            .starts_with("AWS Price List Query API (us-east-1)"),
        "{cost}"
    );
    // 730 h × $0.045 (NAT gateway) + 730 h × $0.005 (its public IPv4 address).
    assert_eq!(cost["monthly_after"], 36.5, "{cost}");
    assert_eq!(cost["monthly_change"], 36.5, "{cost}");
    let asked = pricing_calls(&account.id);
    assert_eq!(asked, 2, "one GetProducts per price");
    // The second plan reads the cache.
    let second = plan(&account, &file);
    assert_eq!(second["cost"], first["cost"]);
    assert_eq!(pricing_calls(&account.id), asked);
}

#[test]
fn china_is_priced_in_yuan_from_the_china_endpoint() {
    let account = Account::new();
    let file = account.write("cn.yaml", &blueprint("costcn", "cn-northwest-1"));
    let cost = &plan(&account, &file)["cost"];
    assert_eq!(cost["currency"], "CNY");
    assert!(
        cost["source"]
            .as_str()
            .unwrap()
            .starts_with("AWS Price List Query API (cn-northwest-1)"),
        "{cost}"
    );
    assert_eq!(cost["unpriced"], 0, "{cost}");
    let human = account.run(&["plan", "-f", &file]);
    assert!(human.stdout.contains("Total: ¥"), "{human}");
}

#[test]
fn without_the_price_list_the_shipped_table_prices_with_a_warning() {
    let _faults = FAULTS.lock().unwrap_or_else(|e| e.into_inner());
    let account = Account::new();
    let file = account.write("down.yaml", &blueprint("costdown", "us-east-1"));
    account.faults(serde_json::json!([
        {"kind": "error", "service": "pricing", "status": 503}
    ]));
    let run = account.run(&["plan", "-f", &file, "--json"]);
    account.faults(serde_json::json!([]));
    assert_eq!(run.code, 0, "{run}");
    assert!(
        run.stderr
            .contains("warning: could not ask the AWS Price List"),
        "{run}"
    );
    let plan: Value = serde_json::from_str(&run.stdout).expect("JSON plan");
    let cost = &plan["cost"];
    assert!(
        cost["source"]
            .as_str()
            .unwrap()
            .starts_with("shinyctl's price table of"),
        "{cost}"
    );
    assert_eq!(cost["monthly_after"], 36.5, "{cost}");
}

/// Seed 003 on Fargate and seed 002's servers, priced by the emulator's Price List: each ECS
/// service by its task definition's vCPU-hours and GB-hours at its minimum count (the x86
/// prices, not the ARM ones the same query's family holds), the server group by its launch
/// template's instance type and root volume, the generated secret by the month.
#[test]
fn fargate_services_server_groups_and_secrets_are_priced_by_the_price_list() {
    let account = Account::new();
    let root = super::support::repo_root();
    let fargate =
        std::fs::read_to_string(root.join("blueprints/saas-fargate.yaml")).expect("blueprint");
    let file = account.write("fargate.yaml", &fargate);
    let cost = &plan(&account, &file)["cost"];
    assert_eq!(cost["unpriced"], 0, "{cost:#}");
    let lines = |cost: &Value, address: &str| -> Vec<(String, f64)> {
        cost["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["address"] == address)
            .unwrap_or_else(|| panic!("{address} in {cost:#}"))["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                (
                    l["what"].as_str().unwrap().to_string(),
                    l["monthly"].as_f64().unwrap_or(-1.0),
                )
            })
            .collect()
    };
    // 2 tasks × 0.25 vCPU × 730 h × $0.04048; 2 × 0.5 GB × 730 h × $0.004445.
    assert_eq!(
        lines(cost, "ecs.ecs_service[web]"),
        vec![
            ("2 × 0.25 vCPU (Fargate)".to_string(), 14.78),
            ("2 × 0.5 GB memory (Fargate)".to_string(), 3.24)
        ]
    );

    let rstudio =
        std::fs::read_to_string(root.join("blueprints/rstudio-lb.yaml")).expect("blueprint");
    let file = account.write("rstudio.yaml", &rstudio);
    let cost = &plan(&account, &file)["cost"];
    // 3 × 730 h × $0.384 and 3 × 50 GB × $0.08.
    assert_eq!(
        lines(cost, "servers.autoscaling_group[rsw]"),
        vec![
            ("3 × m6i.2xlarge".to_string(), 840.96),
            ("3 × 50 GB gp3 root volume".to_string(), 12.0)
        ]
    );
    assert_eq!(
        lines(cost, "servers.secretsmanager_secret[rsw]"),
        vec![("secret".to_string(), 0.4)]
    );
}
