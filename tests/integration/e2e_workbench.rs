//! Seed 002 end to end on the emulator: load-balanced Posit Workbench on an Auto Scaling group
//! (`blueprints/rstudio-lb.yaml`) — applied, its strategy changed (rolled by the association,
//! nothing replaced), scaled out and in (a leaving server drains through the termination
//! lifecycle hook after the target group let it go), its version changed (a whole-cluster
//! restart, only with its flag), destroyed with nothing left.

use std::time::{Duration, Instant};

use super::e2e::{
    Account, boto3, changes, expect, plant_secrets, shipped_cycle, with_emulator_certificate,
};
use super::emulator;
use super::support::repo_root;

const REGION: &str = "us-east-1";
const BLUEPRINT: &str = "blueprints/rstudio-lb.yaml";

/// The blueprint, runnable in `account`: the licence file it names is stored first.
fn runnable(account: &Account) -> String {
    let original = std::fs::read_to_string(repo_root().join(BLUEPRINT)).expect("blueprint");
    let text = with_emulator_certificate(account, &original, REGION);
    plant_secrets(account, &text, REGION, "planted-licence-file");
    text
}

/// A new balancing strategy is the node configuration: a new document version rolled by the
/// association, no server replaced, no whole-cluster restart. The cycle also destroys (nothing
/// tagged left: the generated cookie key's secret is deleted without a recovery window) and
/// applies again the same day under the same names.
#[test]
fn rstudio_lb_full_cycle() {
    shipped_cycle(
        BLUEPRINT,
        REGION,
        |text| text.replace("balancer: sessions", "balancer: user-hash"),
        &[
            ("servers.ssm_association[rsw]", "update"),
            ("servers.ssm_document[rsw]", "update"),
        ],
    );
}

/// The generated cookie key is in Secrets Manager and nowhere shinyctl writes: not in the plan,
/// the apply's output or the documents.
#[test]
fn rstudio_lb_cookie_key_stays_in_secrets_manager() {
    let account = Account::new();
    let base = account.write("base.yaml", &runnable(&account));
    let applied = account.apply(&base);
    assert_eq!(applied.code, 0, "{applied}");
    let key = boto3(
        &account,
        REGION,
        r#"print(client("secretsmanager").get_secret_value(SecretId="rstudio-srv-rsw-cookie-key")["SecretString"])"#,
        &[],
    );
    assert_eq!(key.len(), 64, "a generated key");
    assert!(key.chars().all(|c| c.is_ascii_alphanumeric()));
    let documents = boto3(
        &account,
        REGION,
        r#"
ssm = client("ssm")
for name in ["rstudio-srv-rsw-config", "rstudio-srv-rsw-workbench"]:
    print(ssm.get_document(Name=name)["Content"])
"#,
        &[],
    );
    let plan = account.run(&["plan", "-f", &base, "--json"]);
    for (what, text) in [
        (
            "apply output",
            format!("{}{}", applied.stdout, applied.stderr),
        ),
        ("documents", documents.clone()),
        ("plan", plan.stdout),
    ] {
        assert!(!text.contains(&key), "the cookie key is in the {what}");
    }
    // The servers read it from where it is.
    assert!(
        documents.contains(":secret:rstudio-srv-rsw-cookie-key-"),
        "{documents}"
    );
    assert_eq!(account.destroy(&base).code, 0);
}

/// Scaling out adds a server in place; scaling in drains: the Auto Scaling group deregisters the
/// leaving server from the target group, holds it in `Terminating:Wait` until its drain unit
/// (played here: the emulator runs no servers) completes the lifecycle action, then terminates
/// it — and the apply waits for that.
#[test]
fn rstudio_lb_scales_out_and_drains_in() {
    let account = Account::new();
    let text = runnable(&account);
    let base = account.write("base.yaml", &text);
    let four = account.write("four.yaml", &text.replace("desired: 3", "desired: 4"));
    let two = account.write("two.yaml", &text.replace("desired: 3", "desired: 2"));
    assert_eq!(account.apply(&base).code, 0, "apply on an empty account");
    let (code, plan) = account.plan(&four);
    assert_eq!(code, 2);
    assert_eq!(
        changes(&plan),
        expect(&[("servers.autoscaling_group[rsw]", "update")])
    );
    assert_eq!(account.apply(&four).code, 0, "scale out");
    assert_eq!(in_service(&account), 4);

    let (code, plan) = account.plan(&two);
    assert_eq!(code, 2);
    assert_eq!(
        changes(&plan),
        expect(&[("servers.autoscaling_group[rsw]", "update")])
    );
    // The hook holds a leaving server for its heartbeat (900 s) as AWS does, unless the drain
    // unit completes the action; the deregistration delay passes at a thousandth of AWS's pace.
    emulator::set_durations(
        &account.id,
        &[
            ("lifecycle_hook_scale", 1.0),
            ("target_health_scale", 0.001),
        ],
    );
    let scaled_in = std::thread::scope(|scope| {
        let apply = scope.spawn(|| account.apply(&two));
        let mut drained = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(120);
        while drained.len() < 2 && Instant::now() < deadline {
            for instance in waiting_to_terminate(&account) {
                if drained.contains(&instance) {
                    continue;
                }
                assert!(
                    !in_target_group(&account, &instance),
                    "{instance} is out of the target group before it drains"
                );
                complete_lifecycle_action(&account, &instance);
                drained.push(instance);
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        (apply.join().expect("the apply thread"), drained)
    });
    let (applied, drained) = scaled_in;
    assert_eq!(
        drained.len(),
        2,
        "two servers drained through the hook\n{applied}"
    );
    assert_eq!(applied.code, 0, "scale in\n{applied}");
    assert_eq!(in_service(&account), 2);
    let (code, plan) = account.plan(&two);
    assert_eq!(
        code,
        0,
        "no changes after scaling in: {:#?}",
        changes(&plan)
    );
    assert_eq!(account.destroy(&two).code, 0);
}

/// A new Workbench release changes the cluster document: the plan says every server restarts
/// at once, apply refuses without `--allow-cluster-restart`, and with it nothing is replaced.
#[test]
fn rstudio_lb_new_version_is_a_whole_cluster_restart() {
    let account = Account::new();
    let text = runnable(&account);
    let base = account.write("base.yaml", &text);
    let newer = account.write(
        "newer.yaml",
        &text.replace("2024.12.1+563.pro5", "2025.05.1+513.pro3"),
    );
    assert_eq!(account.apply(&base).code, 0, "apply on an empty account");
    let (code, plan) = account.plan(&newer);
    assert_eq!(code, 2);
    assert_eq!(
        changes(&plan),
        expect(&[
            ("servers.ssm_association[rsw-workbench]", "update"),
            ("servers.ssm_document[rsw-workbench]", "update"),
        ])
    );
    assert_eq!(
        plan["cluster_restarts"][0]["address"], "servers.ssm_document[rsw-workbench]",
        "{plan:#}"
    );
    let human = account.run(&["plan", "-f", &newer]);
    assert!(
        human
            .stdout
            .contains("this plan restarts a whole cluster at once")
            && human.stdout.contains("--allow-cluster-restart"),
        "{human}"
    );
    let refused = account.apply(&newer);
    assert_ne!(refused.code, 0, "{refused}");
    assert!(
        refused.stderr.contains("--allow-cluster-restart"),
        "{refused}"
    );
    let (code, _) = account.plan(&newer);
    assert_eq!(code, 2, "nothing was changed by the refusal");
    let restarted = account.run(&[
        "apply",
        "-f",
        &newer,
        "--auto-approve",
        "--allow-cluster-restart",
    ]);
    assert_eq!(restarted.code, 0, "{restarted}");
    let (code, plan) = account.plan(&newer);
    assert_eq!(
        code,
        0,
        "no changes after the restart: {:#?}",
        changes(&plan)
    );
    assert_eq!(account.destroy(&newer).code, 0);
}

/// The group's instances in service.
fn in_service(account: &Account) -> usize {
    boto3(
        account,
        REGION,
        r#"
group = client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=["rstudio-srv-rsw-asg"])["AutoScalingGroups"][0]
print(sum(1 for i in group["Instances"] if i["LifecycleState"] == "InService"))
"#,
        &[],
    )
    .parse()
    .expect("a count")
}

/// The group's instances held by the termination hook.
fn waiting_to_terminate(account: &Account) -> Vec<String> {
    boto3(
        account,
        REGION,
        r#"
group = client("autoscaling").describe_auto_scaling_groups(AutoScalingGroupNames=["rstudio-srv-rsw-asg"])["AutoScalingGroups"][0]
print(" ".join(i["InstanceId"] for i in group["Instances"] if i["LifecycleState"] == "Terminating:Wait"))
"#,
        &[],
    )
    .split_whitespace()
    .map(str::to_string)
    .collect()
}

/// Whether the load balancer still sends `instance` new requests (registered and not draining).
fn in_target_group(account: &Account, instance: &str) -> bool {
    boto3(
        account,
        REGION,
        r#"
elb = client("elbv2")
arn = elb.describe_target_groups(Names=["rstudio-srv-rsw"])["TargetGroups"][0]["TargetGroupArn"]
states = [d["TargetHealth"]["State"] for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"] if d["Target"]["Id"] == args[0]]
print("yes" if any(s not in ("draining", "unused") for s in states) else "no")
"#,
        &[instance],
    ) == "yes"
}

/// What the drain unit does once the sessions are suspended.
fn complete_lifecycle_action(account: &Account, instance: &str) {
    boto3(
        account,
        REGION,
        r#"
client("autoscaling").complete_lifecycle_action(
    LifecycleHookName="rstudio-srv-rsw-drain", AutoScalingGroupName="rstudio-srv-rsw-asg",
    InstanceId=args[0], LifecycleActionResult="CONTINUE")
"#,
        &[instance],
    );
}
