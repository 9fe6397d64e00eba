//! An Auto Scaling group with a terminating lifecycle hook (issue 15's Workbench servers drain
//! before they go) through the SDK on the emulator: the group of 2 and its hook applied, read back
//! with nothing to change; desired capacity lowered to 1 — the instance Auto Scaling takes out is
//! deregistered from the group's target group (`draining`), then waits in `Terminating:Wait`
//! while the group's step waits too, until the test completes its lifecycle action; the hook's
//! heartbeat timeout and default result changed in place, and a scale-in that no one completes
//! ends when the heartbeat timeout passes; a hook that holds an instance past the step's wait is
//! a clear error naming the instance and the hook; destroyed (the hook, then the group).
//!
//! The target group is made here with the SDK (no section makes one for these servers yet) and
//! named to the group by its ARN.

use std::time::Duration;

use serde_json::json;
use shinyctl::aws::Connection;
use shinyctl::plan::{Resource, ResourceKind as K};

use super::emulator;
use super::live::{
    BLUEPRINT, amazon_image, converge, converge_in_place, covered_resources, read, run,
};
use super::live_autoscaling::{GROUP, GROUP_NAME, instances, running, servers};
use super::live_common::{assert_complete, connect, pending};

const HOOK: &str = "servers.autoscaling_lifecycle_hook.app";
const HOOK_NAME: &str = "livenet-srv-app-drain";
const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

/// The servers (group of `desired` in `target_group`, if any) and the group's drain hook.
fn with_hook(
    platform: &[Resource],
    image: &str,
    desired: i64,
    target_group: Option<&str>,
    heartbeat: i64,
    default_result: &str,
) -> Vec<Resource> {
    let mut resources = servers(platform, image, "t3.medium", desired);
    if let Some(arn) = target_group {
        let group = resources
            .iter_mut()
            .find(|r| r.kind == K::AutoScalingGroup)
            .expect("the group");
        group.properties.insert("targetGroups".into(), json!([arn]));
    }
    let hook = Resource::new(HOOK, K::AutoScalingLifecycleHook, HOOK_NAME, "servers")
        .with("name", HOOK_NAME)
        .with("autoScalingGroup", GROUP)
        .with("lifecycleTransition", TERMINATING)
        .with("heartbeatTimeoutSeconds", heartbeat)
        .with("defaultResult", default_result)
        .after(&shinyctl::plan::Address::new(GROUP));
    resources.push(hook);
    resources
}

/// A target group in the blueprint's VPC that drains for `delay` seconds (× the emulator's
/// `target_health_scale`).
async fn target_group(conn: &Connection, delay: u32) -> String {
    let vpc = conn
        .clients
        .ec2
        .describe_vpcs()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("tag:shinyctl.dev/blueprint")
                .values("livenet")
                .build(),
        )
        .send()
        .await
        .expect("vpcs")
        .vpcs()[0]
        .vpc_id()
        .expect("id")
        .to_string();
    let elb = &conn.clients.elbv2;
    let arn = elb
        .create_target_group()
        .name("livenet-hooks")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(8787)
        .vpc_id(vpc)
        .target_type(aws_sdk_elasticloadbalancingv2::types::TargetTypeEnum::Instance)
        .send()
        .await
        .expect("target group")
        .target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string();
    elb.modify_target_group_attributes()
        .target_group_arn(&arn)
        .attributes(
            aws_sdk_elasticloadbalancingv2::types::TargetGroupAttribute::builder()
                .key("deregistration_delay.timeout_seconds")
                .value(delay.to_string())
                .build(),
        )
        .send()
        .await
        .expect("deregistration delay");
    arn
}

/// The target group's state of `instance` (`None`: not in it).
async fn target_state(conn: &Connection, arn: &str, instance: &str) -> Option<String> {
    let health = conn
        .clients
        .elbv2
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .expect("target health");
    health
        .target_health_descriptions()
        .iter()
        .find(|d| d.target().and_then(|t| t.id()) == Some(instance))
        .and_then(|d| d.target_health())
        .and_then(|h| h.state())
        .map(|s| s.as_str().to_string())
}

/// Polls the group until one of its instances is in `state`; returns it with every (lifecycle
/// state, target state) the leaving instance went through.
async fn until_an_instance_is(
    conn: &Connection,
    target_group: Option<&str>,
    state: &str,
) -> (String, Vec<(String, Option<String>)>) {
    let mut seen: Vec<(String, Option<String>)> = Vec::new();
    for _ in 0..400 {
        let now = instances(conn).await;
        if let Some((id, lifecycle, _)) = now.iter().find(|(_, s, _)| s.starts_with("Terminating"))
        {
            let target = match target_group {
                Some(arn) => target_state(conn, arn, id).await,
                None => None,
            };
            let entry = (lifecycle.clone(), target);
            if seen.last() != Some(&entry) {
                seen.push(entry);
            }
            if lifecycle == state {
                return (id.clone(), seen);
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no instance reached {state}: {seen:?}");
}

async fn complete(conn: &Connection, instance: &str) {
    conn.clients
        .autoscaling
        .complete_lifecycle_action()
        .auto_scaling_group_name(GROUP_NAME)
        .lifecycle_hook_name(HOOK_NAME)
        .instance_id(instance)
        .lifecycle_action_result("CONTINUE")
        .send()
        .await
        .expect("completes the action");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scale_in_waits_for_the_terminating_hook() {
    let account = emulator::account();
    emulator::set_durations(
        &account,
        &[
            ("ec2_instance_create", 0.3),
            ("ec2_instance_delete", 0.3),
            ("iam_propagation", 0.0),
            // 100 s of deregistration delay: 1 s of draining.
            ("target_health_scale", 0.01),
            // The live suites wait at 1/100 of AWS's pace (`fast_config`): so does the hook.
            ("lifecycle_hook_scale", 0.01),
        ],
    );
    let conn = connect(&account).await;
    let image = amazon_image(&conn).await;
    let platform = covered_resources(&conn, BLUEPRINT);

    // A group of 2 and its drain hook (an hour's heartbeat timeout: 36 s here).
    let desired = with_hook(&platform, &image, 2, None, 3600, "CONTINUE");
    let (_, summary) = converge(&conn, &desired).await;
    assert_complete(&summary);
    let described = conn
        .clients
        .autoscaling
        .describe_lifecycle_hooks()
        .auto_scaling_group_name(GROUP_NAME)
        .send()
        .await
        .expect("hooks");
    let hook = &described.lifecycle_hooks()[0];
    assert_eq!(hook.lifecycle_hook_name(), Some(HOOK_NAME));
    assert_eq!(hook.lifecycle_transition(), Some(TERMINATING));
    assert_eq!(
        (hook.heartbeat_timeout(), hook.default_result()),
        (Some(3600), Some("CONTINUE"))
    );

    // In the group's target group (made now: the VPC is there).
    let tg = target_group(&conn, 100).await;
    let desired = with_hook(&platform, &image, 2, Some(&tg), 3600, "CONTINUE");
    converge_in_place(&conn, &desired).await;

    // Read back: the hook is matched by its group and name, nothing to change.
    let live = read(&conn, &desired).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );
    let observed = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == K::AutoScalingLifecycleHook)
        .expect("the hook is read with its group");
    assert_eq!(observed.address.as_str(), HOOK);
    assert_eq!(observed.id, format!("{GROUP_NAME}/{HOOK_NAME}"));
    assert_eq!(observed.properties["autoScalingGroup"], GROUP);
    assert_eq!(observed.properties["heartbeatTimeoutSeconds"], 3600);

    // Desired 1: the instance taken out drains, then waits for its action, and so does the step.
    let scale_in = with_hook(&platform, &image, 1, Some(&tg), 3600, "CONTINUE");
    let applying = {
        let (conn, scale_in) = (conn.clone(), scale_in.clone());
        tokio::spawn(async move { converge(&conn, &scale_in).await })
    };
    let (leaving, seen) = until_an_instance_is(&conn, Some(&tg), "Terminating:Wait").await;
    assert_eq!(
        seen.first(),
        Some(&("Terminating".to_string(), Some("draining".to_string()))),
        "deregistered before the wait: {seen:?}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!applying.is_finished(), "the step waits for the hook");
    assert!(
        instances(&conn)
            .await
            .iter()
            .any(|(id, state, _)| *id == leaving && state == "Terminating:Wait")
    );
    complete(&conn, &leaving).await;
    let (plan, summary) = applying.await.expect("the apply ends");
    assert_eq!(plan.summary.change, 1, "{:?}", pending(&plan));
    assert_complete(&summary);
    let left = instances(&conn).await;
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(
        left.iter()
            .all(|(id, state, _)| *id != leaving && state == "InService")
    );

    // A shorter heartbeat timeout (30 s: 0.3 s here) that abandons, in place; back to 2.
    let short = |n| with_hook(&platform, &image, n, Some(&tg), 30, "ABANDON");
    converge_in_place(&conn, &short(1)).await;
    converge_in_place(&conn, &short(2)).await;
    // Then 1 again, completed by no one: the heartbeat timeout passes and the step ends.
    let (plan, summary) = converge(&conn, &short(1)).await;
    assert_eq!(plan.summary.change, 1, "{:?}", pending(&plan));
    assert_complete(&summary);
    assert_eq!(instances(&conn).await.len(), 1);

    // A hook that holds an instance past the step's wait: 30 s of heartbeat at AWS's pace in
    // the emulator, while the step waits 1/100 of it more than its usual time.
    converge_in_place(&conn, &short(2)).await;
    emulator::set_durations(&account, &[("lifecycle_hook_scale", 1.0)]);
    let (_, summary) = converge(&conn, &short(1)).await;
    let failure = summary.failed.first().expect("the wait runs out");
    assert_eq!(failure.step.address.as_str(), GROUP);
    assert_eq!(failure.error.code, "LifecycleActionTimeout");
    let held = instances(&conn)
        .await
        .into_iter()
        .find(|(_, state, _)| state == "Terminating:Wait")
        .expect("still held")
        .0;
    let message = &failure.error.message;
    assert!(
        message.contains(&format!("instance {held} is still in Terminating:Wait")),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "held by lifecycle hook {HOOK_NAME} (heartbeat timeout 30 s, then ABANDON)"
        )),
        "{message}"
    );
    assert!(
        message.contains(&format!(
            "aws autoscaling complete-lifecycle-action --auto-scaling-group-name {GROUP_NAME} \
             --lifecycle-hook-name {HOOK_NAME} --instance-id {held}"
        )),
        "{message}"
    );
    complete(&conn, &held).await;

    // Destroy: the hook, then the group (ForceDelete) and everything else.
    let live = read(&conn, &desired).await;
    let plan = shinyctl::plan::diff(&[], &live.observed);
    assert!(
        plan.changes
            .iter()
            .any(|c| c.kind == K::AutoScalingLifecycleHook),
        "{:?}",
        pending(&plan)
    );
    let summary = run(&conn, &plan, &desired, live.outputs).await;
    assert_complete(&summary);
    assert!(read(&conn, &desired).await.observed.resources.is_empty());
    assert_eq!(running(&conn).await, Vec::<String>::new());
}
