//! The parts of issue 14's app servers through the real AWS SDK against the emulator, each made,
//! read back with nothing to change, changed (in place where AWS can) and deleted with nothing
//! left: a target registered in a target group, an SSM Command document and the State Manager
//! association that applies it. No section makes them yet, so the tests build the resources as
//! the catalog will; the instance is made directly through the SDK (the `ec2_instance` kind comes
//! separately) and referred to by its id.

use serde_json::json;
use shinyctl::aws::Connection;
use shinyctl::plan::{Resource, ResourceKind as K};

use super::emulator;
use super::live::{converge, read, settle_then_destroy};
use super::live_common::{assert_complete, connect, pending};

/// The live suite's blueprint name (`live::read` reads as it).
const BLUEPRINT: &str = "livenet";

fn owned(address: &str) -> serde_json::Value {
    json!({
        "shinyctl.dev/address": address,
        "shinyctl.dev/blueprint": BLUEPRINT,
    })
}

/// A VPC with a subnet and one running instance in it, made through the SDK: (VPC, instance).
async fn vpc_with_instance(conn: &Connection) -> (String, String) {
    let ec2 = &conn.clients.ec2;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.31.0.0/16")
        .send()
        .await
        .expect("vpc")
        .vpc
        .and_then(|v| v.vpc_id)
        .expect("vpc id");
    let subnet = ec2
        .create_subnet()
        .vpc_id(&vpc)
        .cidr_block("10.31.1.0/24")
        .send()
        .await
        .expect("subnet")
        .subnet
        .and_then(|s| s.subnet_id)
        .expect("subnet id");
    let instance = ec2
        .run_instances()
        .image_id("ami-12c6146b")
        .min_count(1)
        .max_count(1)
        .subnet_id(&subnet)
        .send()
        .await
        .expect("instance")
        .instances()
        .first()
        .and_then(|i| i.instance_id())
        .expect("instance id")
        .to_string();
    (vpc, instance)
}

/// An instance target group as the servers' section will make it (deregistration delay 0: the
/// drain is the emulator's business, scaled to nothing in its zero profile anyway).
fn target_group(vpc: &str) -> Resource {
    let address = "servers.target_group.app";
    Resource::new(address, K::TargetGroup, "livenet-app", "servers")
        .with("name", "livenet-app")
        .with("protocol", "HTTP")
        .with("port", 8080)
        .with("targetType", "instance")
        .with("vpc", vpc)
        .with(
            "healthCheck",
            json!({
                "protocol": "HTTP", "path": "/", "port": "traffic-port", "intervalSeconds": 30,
                "timeoutSeconds": 5, "healthyThreshold": 5, "unhealthyThreshold": 2,
                "matcher": "200"
            }),
        )
        .with("stickiness", json!({"enabled": false}))
        .with("deregistrationDelaySeconds", 0)
        .with("tags", owned(address))
}

fn attachment(group: &Resource, instance: &str, port: u16) -> Resource {
    Resource::new(
        "servers.target_group_attachment.app[a]",
        K::TargetGroupAttachment,
        "app-a",
        "servers",
    )
    .with("targetGroup", group.address.as_str())
    .with("target", instance)
    .with("port", port)
    .after(&group.address)
}

async fn registered(conn: &Connection, group: &str) -> Vec<(String, i32, String)> {
    let arn = conn
        .clients
        .elbv2
        .describe_target_groups()
        .names(group)
        .send()
        .await
        .expect("the group exists")
        .target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string();
    conn.clients
        .elbv2
        .describe_target_health()
        .target_group_arn(arn)
        .send()
        .await
        .expect("target health")
        .target_health_descriptions()
        .iter()
        .map(|d| {
            let t = d.target().expect("target");
            let state = d.target_health().and_then(|h| h.state());
            (
                t.id().unwrap_or_default().to_string(),
                t.port().unwrap_or_default(),
                state.map_or("", |s| s.as_str()).to_string(),
            )
        })
        .collect()
}

/// An instance registered on a port: made and read back with nothing to change, moved to another
/// port (no modify call: a new registration replaces it), then deleted — deregistered and
/// drained — with its group; nothing of the blueprint is left.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn target_group_attachment_create_read_replace_delete() {
    let conn = connect(&emulator::account()).await;
    let (vpc, instance) = vpc_with_instance(&conn).await;
    let group = target_group(&vpc);
    let desired = vec![group.clone(), attachment(&group, &instance, 8080)];

    let (_, summary) = converge(&conn, &desired).await;
    assert_complete(&summary);
    let live = read(&conn, &desired).await;
    let found = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == K::TargetGroupAttachment)
        .expect("the registration is read back");
    assert_eq!(
        found.address.as_str(),
        "servers.target_group_attachment.app[a]"
    );
    assert_eq!(found.properties["targetGroup"], "servers.target_group.app");
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );
    // Created, not waited for: no load balancer uses the group, so AWS calls the target unused.
    assert_eq!(
        registered(&conn, "livenet-app").await,
        vec![(instance.clone(), 8080, "unused".to_string())]
    );

    // Another port is another registration (AWS keys them by group, target and port): the new
    // one is made, and the old one, found in our group and no longer desired, deregistered.
    let desired = vec![group.clone(), attachment(&group, &instance, 9090)];
    let (plan, summary) = converge(&conn, &desired).await;
    assert_eq!(
        (plan.summary.add, plan.summary.destroy, plan.summary.replace),
        (1, 1, 0),
        "{:?}",
        pending(&plan)
    );
    assert_complete(&summary);
    assert_eq!(
        registered(&conn, "livenet-app").await,
        vec![(instance.clone(), 9090, "unused".to_string())]
    );
    settle_then_destroy(&conn, &desired).await;
    conn.clients
        .ec2
        .terminate_instances()
        .instance_ids(&instance)
        .send()
        .await
        .expect("the instance is terminated");
}
