//! An ECS service's log group, scalable target and target-tracking policies (issue 16) through
//! the SDK on the emulator: each made, read back with nothing to change, changed in place, and
//! deleted with nothing left. The ECS kinds are not in this suite: the cluster and service are
//! made with boto3 here (moto's ECS), and stand in for the blueprint's `ecs_cluster` and
//! `ecs_service` resources by their outputs (name, ARN), as the executor hands a dependency's
//! outputs to its dependents. The load balancer and target group of the requests policy are
//! made through the SDK likewise.

use std::collections::BTreeMap;

use serde_json::{Value, json};
use shinyctl::aws::Connection;
use shinyctl::plan::{Address, Resource, ResourceKind as K};

use super::emulator;
use super::live::{read, run};
use super::live_autoscaling::tagged;
use super::live_common::{assert_complete, connect, pending};

const CLUSTER: &str = "ecs.ecs_cluster.main";
const SERVICE: &str = "ecs.ecs_service.web";
const LOAD_BALANCER: &str = "ingress.load_balancer.main";
const TARGET_GROUP: &str = "ecs.target_group.web";
const LOG_GROUP: &str = "ecs.cloudwatch_log_group.web";
const TARGET: &str = "ecs.appautoscaling_target.web";
const CPU: &str = "ecs.appautoscaling_policy.web-cpu";
const REQUESTS: &str = "ecs.appautoscaling_policy.web-requests";
const CLUSTER_NAME: &str = "livenet-ecs";
const SERVICE_NAME: &str = "livenet-web";
const RESOURCE_ID: &str = "service/livenet-ecs/livenet-web";

/// Makes the ECS cluster and service with boto3 in the emulator's venv (no ECS client here).
fn ecs_service(account: &str) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let script = format!(
        r#"
import boto3
ecs = boto3.client("ecs", endpoint_url="{endpoint}", region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test")
ecs.meta.events.register("before-sign.*.*",
    lambda request, **_: request.headers.__setitem__("x-moto-account-id", "{account}"))
ecs.create_cluster(clusterName="{CLUSTER_NAME}")
ecs.register_task_definition(family="{SERVICE_NAME}",
    containerDefinitions=[{{"name": "web", "image": "nginx", "memory": 128}}])
ecs.create_service(cluster="{CLUSTER_NAME}", serviceName="{SERVICE_NAME}",
    taskDefinition="{SERVICE_NAME}", desiredCount=1)
"#,
        endpoint = emulator::shared().endpoint,
    );
    let out = std::process::Command::new(root.join(".cache/emulator-venv/bin/python"))
        .arg("-c")
        .arg(script)
        .output()
        .expect("the emulator's python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The load balancer's and target group's ARNs (made through the SDK).
async fn load_balancer(conn: &Connection) -> (String, String) {
    let ec2 = &conn.clients.ec2;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.30.0.0/16")
        .send()
        .await
        .expect("vpc");
    let vpc = vpc
        .vpc()
        .and_then(|v| v.vpc_id())
        .expect("vpc id")
        .to_string();
    let mut subnets = Vec::new();
    for (i, zone) in ["us-east-1a", "us-east-1b"].iter().enumerate() {
        let subnet = ec2
            .create_subnet()
            .vpc_id(&vpc)
            .cidr_block(format!("10.30.{i}.0/24"))
            .availability_zone(*zone)
            .send()
            .await
            .expect("subnet");
        subnets.push(
            subnet
                .subnet()
                .and_then(|s| s.subnet_id())
                .unwrap()
                .to_string(),
        );
    }
    let elbv2 = &conn.clients.elbv2;
    let lb = elbv2
        .create_load_balancer()
        .name("livenet-alb")
        .set_subnets(Some(subnets))
        .send()
        .await
        .expect("load balancer");
    let lb = lb.load_balancers()[0]
        .load_balancer_arn()
        .unwrap()
        .to_string();
    let tg = elbv2
        .create_target_group()
        .name("livenet-web")
        .protocol(aws_sdk_elasticloadbalancingv2::types::ProtocolEnum::Http)
        .port(80)
        .vpc_id(&vpc)
        .send()
        .await
        .expect("target group");
    let tg = tg.target_groups()[0]
        .target_group_arn()
        .unwrap()
        .to_string();
    (lb, tg)
}

/// What the executor knows of the resources the suite does not make: their outputs.
fn stand_ins(account: &str, lb: &str, tg: &str) -> BTreeMap<Address, shinyctl::apply::Outputs> {
    let outputs = |v: Value| v.as_object().cloned().unwrap();
    let ecs = format!("arn:aws:ecs:us-east-1:{account}");
    BTreeMap::from([
        (
            Address::new(CLUSTER),
            outputs(json!({"id": format!("{ecs}:cluster/{CLUSTER_NAME}"),
                "arn": format!("{ecs}:cluster/{CLUSTER_NAME}"), "name": CLUSTER_NAME})),
        ),
        (
            Address::new(SERVICE),
            outputs(
                json!({"id": format!("{ecs}:service/{CLUSTER_NAME}/{SERVICE_NAME}"),
                "arn": format!("{ecs}:service/{CLUSTER_NAME}/{SERVICE_NAME}"),
                "name": SERVICE_NAME}),
            ),
        ),
        (
            Address::new(LOAD_BALANCER),
            outputs(json!({"id": lb, "arn": lb, "name": "livenet-alb"})),
        ),
        (
            Address::new(TARGET_GROUP),
            outputs(json!({"id": tg, "arn": tg, "name": "livenet-web"})),
        ),
    ])
}

/// The stand-ins as desired resources (named as the ECS kinds will name them; no adapter acts on
/// a Kubernetes object): the reads find the blueprint's cluster and service names by them.
fn stand_in_resources() -> Vec<Resource> {
    [
        (CLUSTER, CLUSTER_NAME),
        (SERVICE, SERVICE_NAME),
        (LOAD_BALANCER, "livenet-alb"),
        (TARGET_GROUP, "livenet-web"),
    ]
    .into_iter()
    .map(|(address, name)| Resource::new(address, K::KubernetesObject, name, "ecs"))
    .collect()
}

/// The account's scalable targets of ECS services.
async fn scalable_targets(
    aas: &aws_sdk_applicationautoscaling::Client,
) -> Vec<aws_sdk_applicationautoscaling::types::ScalableTarget> {
    aas.describe_scalable_targets()
        .service_namespace("ecs".into())
        .send()
        .await
        .unwrap()
        .scalable_targets()
        .to_vec()
}

/// The suite's log groups (under `/ecs/livenet/`).
async fn log_groups(
    logs: &aws_sdk_cloudwatchlogs::Client,
) -> Vec<aws_sdk_cloudwatchlogs::types::LogGroup> {
    logs.describe_log_groups()
        .log_group_name_prefix("/ecs/livenet/")
        .send()
        .await
        .unwrap()
        .log_groups()
        .to_vec()
}

struct Shape {
    retention: Option<i64>,
    log_tags: Value,
    min: i64,
    max: i64,
    cpu_percent: f64,
    requests: Option<f64>,
}

fn desired(shape: &Shape) -> Vec<Resource> {
    let mut group = Resource::new(LOG_GROUP, K::CloudWatchLogGroup, "/ecs/livenet/web", "ecs")
        .with("name", "/ecs/livenet/web");
    if let Some(days) = shape.retention {
        group = group.with("retentionDays", days);
    }
    let group = group.with("tags", tagged(LOG_GROUP, shape.log_tags.clone()));
    let target = Resource::new(TARGET, K::AppAutoScalingTarget, "livenet-web", "ecs")
        .with("cluster", CLUSTER)
        .with("service", SERVICE)
        .with("minCapacity", shape.min)
        .with("maxCapacity", shape.max)
        .after(&Address::new(CLUSTER))
        .after(&Address::new(SERVICE));
    let cpu = Resource::new(CPU, K::AppAutoScalingPolicy, "livenet-web-cpu", "ecs")
        .with("name", "livenet-web-cpu")
        .with("target", TARGET)
        .with("metric", "ECSServiceAverageCPUUtilization")
        .with("targetValue", shape.cpu_percent)
        .with("scaleInCooldownSeconds", 300)
        .with("scaleOutCooldownSeconds", 60)
        .after(&Address::new(TARGET));
    let mut all = vec![group, target, cpu];
    if let Some(per_task) = shape.requests {
        all.push(
            Resource::new(
                REQUESTS,
                K::AppAutoScalingPolicy,
                "livenet-web-requests",
                "ecs",
            )
            .with("name", "livenet-web-requests")
            .with("target", TARGET)
            .with("metric", "ALBRequestCountPerTarget")
            .with("targetValue", per_task)
            .with("loadBalancer", LOAD_BALANCER)
            .with("targetGroup", TARGET_GROUP)
            .with("scaleInCooldownSeconds", 300)
            .with("scaleOutCooldownSeconds", 60)
            .after(&Address::new(TARGET))
            .after(&Address::new(LOAD_BALANCER))
            .after(&Address::new(TARGET_GROUP)),
        );
    }
    all
}

/// Reads with the stand-ins desired too, plans `mine` against it.
async fn plan(
    conn: &Connection,
    mine: &[Resource],
) -> (shinyctl::plan::Plan, shinyctl::aws::LiveState) {
    let mut all = mine.to_vec();
    all.extend(stand_in_resources());
    let live = read(conn, &all).await;
    (shinyctl::plan::diff(mine, &live.observed), live)
}

async fn converge(
    conn: &Connection,
    mine: &[Resource],
    known: &BTreeMap<Address, shinyctl::apply::Outputs>,
) -> shinyctl::plan::Plan {
    let (plan, live) = plan(conn, mine).await;
    let mut outputs = known.clone();
    outputs.extend(live.outputs);
    let summary = run(conn, &plan, mine, outputs).await;
    assert_complete(&summary);
    plan
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_group_scalable_target_and_policies_create_change_delete() {
    let account = emulator::account();
    let conn = connect(&account).await;
    ecs_service(&account);
    let (lb, tg) = load_balancer(&conn).await;
    let known = stand_ins(&account, &lb, &tg);
    let logs = &conn.clients.logs;
    let aas = &conn.clients.applicationautoscaling;

    // Made: the group with its retention and tags, the target, its CPU policy.
    let mut shape = Shape {
        retention: Some(14),
        log_tags: json!({}),
        min: 2,
        max: 10,
        cpu_percent: 60.0,
        requests: None,
    };
    let made = converge(&conn, &desired(&shape), &known).await;
    assert_eq!(made.summary.add, 3, "{:?}", pending(&made));
    let groups = log_groups(logs).await;
    assert_eq!(groups[0].retention_in_days(), Some(14));
    let targets = scalable_targets(aas).await;
    let target = &targets[0];
    assert_eq!(
        (
            target.resource_id(),
            target.min_capacity(),
            target.max_capacity()
        ),
        (RESOURCE_ID, 2, 10)
    );

    // Read back: nothing to change; the untagged ones matched to their addresses.
    let (again, live) = plan(&conn, &desired(&shape)).await;
    assert_eq!(pending(&again), Vec::<String>::new());
    let observed = |address: &str| {
        live.observed
            .resources
            .iter()
            .find(|r| r.address.as_str() == address)
            .unwrap_or_else(|| panic!("{address} is read back"))
    };
    assert_eq!(observed(TARGET).id, RESOURCE_ID);
    assert_eq!(observed(CPU).properties["target"], TARGET);
    assert_eq!(
        live.outputs[&Address::new(LOG_GROUP)]["arn"],
        format!("arn:aws:logs:us-east-1:{account}:log-group:/ecs/livenet/web")
    );

    // In place: no retention (never expire) and a tag; the range; the CPU target; a requests
    // policy added, its label built from the ARNs.
    shape = Shape {
        retention: None,
        log_tags: json!({"owner": "web"}),
        min: 1,
        max: 6,
        cpu_percent: 70.0,
        requests: Some(1000.0),
    };
    let changed = converge(&conn, &desired(&shape), &known).await;
    assert_eq!(
        (
            changed.summary.change,
            changed.summary.add,
            changed.summary.replace
        ),
        (3, 1, 0),
        "{:?}",
        pending(&changed)
    );
    let groups = log_groups(logs).await;
    assert_eq!(groups[0].retention_in_days(), None);
    let policies = aas
        .describe_scaling_policies()
        .service_namespace("ecs".into())
        .send()
        .await
        .unwrap();
    let label = |name: &str| {
        policies
            .scaling_policies()
            .iter()
            .find(|p| p.policy_name() == name)
            .and_then(|p| p.target_tracking_scaling_policy_configuration())
            .map(|c| {
                (
                    c.target_value(),
                    c.predefined_metric_specification()
                        .and_then(|m| m.resource_label())
                        .map(str::to_string),
                )
            })
    };
    assert_eq!(label("livenet-web-cpu"), Some((70.0, None)));
    let lb_part = lb.split_once(":loadbalancer/").unwrap().1;
    let tg_part = tg.split_once(":targetgroup/").unwrap().1;
    assert_eq!(
        label("livenet-web-requests"),
        Some((1000.0, Some(format!("{lb_part}/targetgroup/{tg_part}"))))
    );
    // Read back: the requests policy's load balancer and target group by their ARNs, which the
    // reader turns into addresses where it finds them (the ELB kinds, not in this suite); the
    // rest as desired.
    let (after, live) = plan(&conn, &desired(&shape)).await;
    let requests = live
        .observed
        .resources
        .iter()
        .find(|r| r.address.as_str() == REQUESTS)
        .expect("the requests policy is read back");
    assert_eq!(requests.properties["loadBalancer"], lb.as_str());
    assert_eq!(requests.properties["targetGroup"], tg.as_str());
    let others: Vec<String> = pending(&after)
        .into_iter()
        .filter(|p| !p.starts_with(REQUESTS))
        .collect();
    assert_eq!(others, Vec::<String>::new());

    // The requests policy dropped from the blueprint: deleted (its target stays).
    shape.requests = None;
    let dropped = converge(&conn, &desired(&shape), &known).await;
    assert_eq!(dropped.summary.destroy, 1, "{:?}", pending(&dropped));
    let (settled, _) = plan(&conn, &desired(&shape)).await;
    assert_eq!(pending(&settled), Vec::<String>::new());

    // Destroyed: nothing left.
    let (_, live) = plan(&conn, &desired(&shape)).await;
    let gone = shinyctl::plan::diff(&[], &live.observed);
    assert_eq!(gone.summary.destroy, 3, "{:?}", pending(&gone));
    let mut outputs = known.clone();
    outputs.extend(live.outputs);
    assert_complete(&run(&conn, &gone, &desired(&shape), outputs).await);
    let (_, live) = plan(&conn, &desired(&shape)).await;
    assert!(
        live.observed.resources.is_empty(),
        "{:?}",
        live.observed.resources
    );
    let left = scalable_targets(aas).await;
    assert!(left.is_empty());
    let groups = log_groups(logs).await;
    assert!(groups.is_empty());
}
