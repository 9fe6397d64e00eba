//! Every blueprint in `blueprints/` loads, validates and plans offline, with a snapshot of its
//! plan. The directory is listed at test time, so a new blueprint is covered without editing this.

use insta::assert_snapshot;
use serde_json::Value;

use crate::support::{relative, shinyctl, shipped_blueprints};

#[test]
fn there_is_a_blueprint_per_seed_system() {
    assert!(
        shipped_blueprints().len() >= 4,
        "{:?}",
        shipped_blueprints()
    );
}

#[test]
fn every_blueprint_validates() {
    for file in shipped_blueprints() {
        shinyctl(&["validate", "-f", &relative(&file)]).expect_code(0);
    }
}

#[test]
fn every_blueprint_plans_offline() {
    for file in shipped_blueprints() {
        let path = relative(&file);
        let stem = file
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or("blueprint")
            .to_string();
        let human = shinyctl(&["plan", "--offline", "-f", &path]).expect_code(0);
        assert_snapshot!(format!("plan_offline_{stem}"), human.to_string());

        let json = shinyctl(&["plan", "--offline", "--json", "-f", &path]).expect_code(0);
        let plan: Value = serde_json::from_str(&json.stdout).expect("JSON plan");
        let loaded = shinyctl::load::load_file(&file).expect("loads");
        assert_eq!(
            plan["summary"]["add"],
            loaded.resources.len(),
            "{path}: every resource is created in an empty account"
        );
        assert!(
            plan.get("data_loss").is_none(),
            "{path}: an offline plan destroys nothing"
        );
        // An empty account has nothing to change, so --detailed-exitcode reports changes (2)
        // exactly when the blueprint asks for resources.
        let expected = if loaded.resources.is_empty() { 0 } else { 2 };
        shinyctl(&["plan", "--offline", "--detailed-exitcode", "-f", &path]).expect_code(expected);
    }
}

/// Seed 001 (the low-code platform): the app server's built-in page for health checks is
/// `/UserService/ManagementPage/LoginPage` ("内置的页面,更适合用来做健康监测"); `/LoginPage`
/// answers 404, so the targets would never turn healthy and the canary never pass.
#[test]
fn lowcode_ha_checks_the_app_servers_login_page() {
    let loaded = shinyctl::load::load_file(std::path::Path::new(&format!(
        "{}/blueprints/lowcode-ha.yaml",
        env!("CARGO_MANIFEST_DIR")
    )))
    .expect("loads");
    let bp = &loaded.blueprint;
    let page = "/UserService/ManagementPage/LoginPage";
    let http = bp.servers[0]
        .http
        .as_ref()
        .expect("the app servers behind the load balancer");
    assert_eq!(http.health_check.path, page);
    let canaries = &bp.monitoring.as_ref().expect("monitoring").canaries;
    assert!(canaries.iter().all(|c| c.path == page), "{canaries:?}");
}
