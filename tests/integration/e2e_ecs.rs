//! Seed 003 end to end on the emulator: container services on ECS behind one ALB by path
//! (`blueprints/saas-ecs.yaml` on EC2 capacity, `saas-fargate.yaml` on Fargate) — applied, a new
//! image rolled (a new task-definition revision, the service's rollout waited for), a service
//! added and removed (the other routes' rules rewritten in place), destroyed with nothing left.

use super::e2e::{Account, boto3, changes, expect, shipped_cycle};
use super::emulator::put;
use super::support::repo_root;

const REGION: &str = "us-east-1";

/// A new image for one service: its task definition gets a new revision and the service rolls
/// to it; nothing else changes.
#[test]
fn saas_ecs_full_cycle() {
    shipped_cycle(
        "blueprints/saas-ecs.yaml",
        REGION,
        |text| {
            text.replacen(
                "image: registry:erp/web-app:v1\n      command: [/usr/sbin/apache2, -D, FOREGROUND]\n      port: 80\n      memory: 512\n      env: {APP: app1}",
                "image: registry:erp/web-app:v2\n      command: [/usr/sbin/apache2, -D, FOREGROUND]\n      port: 80\n      memory: 512\n      env: {APP: app1}",
                1,
            )
        },
        &[
            ("ecs.ecs_service[app1]", "update"),
            ("ecs.ecs_task_definition[app1]", "update"),
        ],
    );
}

/// The Fargate variant: tasks in `awsvpc` mode, IP targets.
#[test]
fn saas_fargate_full_cycle() {
    shipped_cycle(
        "blueprints/saas-fargate.yaml",
        REGION,
        |text| text.replace("env: {APP: app2}", "env: {APP: app2, MODE: blue}"),
        &[
            ("ecs.ecs_service[app2]", "update"),
            ("ecs.ecs_task_definition[app2]", "update"),
        ],
    );
}

/// A service added under a path more specific than the others' takes the first priority: the
/// rules after it are rewritten in place. Removed, the rule that forwarded to it is rewritten
/// first, then the service goes, then its target group.
#[test]
fn saas_ecs_service_added_and_removed() {
    let account = Account::new();
    let text =
        std::fs::read_to_string(repo_root().join("blueprints/saas-ecs.yaml")).expect("blueprint");
    let base = account.write("base.yaml", &text);
    let more = account.write(
        "more.yaml",
        &(text.clone()
            + "    - name: reports\n      image: registry:erp/web-app:v1\n      port: 80\n      memory: 256\n      count: {min: 1, max: 1}\n      http: {path: /app1/reports, healthCheck: {path: /app1/reports/index.php}}\n"),
    );
    let applied = account.apply(&base);
    assert_eq!(applied.code, 0, "apply on an empty account\n{applied}");
    let (code, plan) = account.plan(&more);
    assert_eq!(code, 2);
    assert_eq!(
        changes(&plan),
        expect(&[
            ("ecs.appautoscaling_target[reports]", "create"),
            ("ecs.cloudwatch_log_group[reports]", "create"),
            ("ecs.ecs_service[reports]", "create"),
            ("ecs.ecs_task_definition[reports]", "create"),
            ("ecs.iam_role.task_reports", "create"),
            // Rules are known by their listener and priority: the longest path takes
            // priority 1 (the rule there is rewritten for it), /app1 moves to 2 (rewritten in
            // place), /app2 to a new rule at 3.
            ("ecs.listener_rule[app1_80]", "update"),
            ("ecs.listener_rule[app2_80]", "create"),
            ("ecs.listener_rule[reports_80]", "update"),
            ("ecs.target_group[reports]", "create"),
        ]),
        "only the new service's resources and the rules' rewrites"
    );
    let added = account.apply(&more);
    assert_eq!(added.code, 0, "{added}");
    let (code, plan) = account.plan(&more);
    assert_eq!(code, 0, "no changes after adding: {:#?}", changes(&plan));
    let removed = account.apply(&base);
    assert_eq!(removed.code, 0, "{removed}");
    let at = |event: &str| {
        removed
            .stdout
            .find(event)
            .unwrap_or_else(|| panic!("`{event}` in\n{removed}"))
    };
    assert!(
        at("ecs.listener_rule[app1_80]: updated") < at("ecs.ecs_service[reports]: deleting"),
        "the rule that forwarded to the service is rewritten before the service goes\n{removed}"
    );
    assert!(
        at("ecs.ecs_service[reports]: deleted") < at("ecs.target_group[reports]: deleting"),
        "the service goes before its target group\n{removed}"
    );
    // Three rules become two: the one left at the last priority (it forwarded to app2, now at
    // priority 2) is the blueprint's (it forwards to its target group) and is deleted.
    assert!(
        removed
            .stdout
            .lines()
            .any(|line| line.contains(".rule[3]") && line.contains("deleted")),
        "the rule no route needs any more is deleted\n{removed}"
    );
    let (code, plan) = account.plan(&base);
    assert_eq!(code, 0, "no changes after removing: {:#?}", changes(&plan));
    assert_eq!(account.destroy(&base).code, 0);
}

/// A new image whose tasks never start: the circuit breaker rolls the service back, the apply
/// fails naming why the tasks stopped, and the plan still shows the change; the next image rolls
/// out.
#[test]
fn saas_ecs_failed_rollout_is_rolled_back_and_reported() {
    let account = Account::new();
    let text = std::fs::read_to_string(repo_root().join("blueprints/saas-fargate.yaml"))
        .expect("blueprint");
    let base = account.write("base.yaml", &text);
    let applied = account.apply(&base);
    assert_eq!(applied.code, 0, "apply on an empty account\n{applied}");
    let uri = boto3(
        &account,
        REGION,
        r#"print(client("ecr").describe_repositories()["repositories"][0]["repositoryUri"])"#,
        &[],
    );
    put(
        &format!("/_emulator/ecs/failing?account={}", account.id),
        &serde_json::json!({ "images": [format!("{uri}:v9")] }).to_string(),
    );
    let broken = account.write(
        "broken.yaml",
        &text.replacen(
            "image: registry:erp/web-app:v1",
            "image: registry:erp/web-app:v9",
            1,
        ),
    );
    let failed = account.apply(&broken);
    assert_ne!(failed.code, 0, "{failed}");
    let said = format!("{}{}", failed.stdout, failed.stderr);
    assert!(
        said.contains("ecs.ecs_service[web]") && said.contains("circuit breaker"),
        "the failure names the service and the circuit breaker\n{failed}"
    );
    assert!(
        said.contains("CannotPullContainerError"),
        "why the tasks stopped\n{failed}"
    );
    let (code, plan) = account.plan(&broken);
    assert_eq!(code, 2, "the rolled-back change is still to do");
    assert_eq!(
        changes(&plan)
            .get("ecs.ecs_service[web]")
            .map(String::as_str),
        Some("update"),
        "{:#?}",
        changes(&plan)
    );
    let fixed = account.write(
        "fixed.yaml",
        &text.replacen(
            "image: registry:erp/web-app:v1",
            "image: registry:erp/web-app:v10",
            1,
        ),
    );
    let rolled = account.apply(&fixed);
    assert_eq!(rolled.code, 0, "{rolled}");
    let (code, plan) = account.plan(&fixed);
    assert_eq!(
        code,
        0,
        "no changes after the good image: {:#?}",
        changes(&plan)
    );
    assert_eq!(account.destroy(&fixed).code, 0);
}
