//! The ECS kinds of issue 16 through the SDK on the emulator, with the resources an `ecs:` section
//! on EC2 capacity makes (the cluster; the launch template, Auto Scaling group and capacity
//! provider; the cluster's association with it; one service's task definition, target group,
//! rule and service; with the network, load balancer and roles they need): made in one plan,
//! read back with nothing to change — the lifecycle hook ECS itself puts on the provider's group
//! for managed draining is not the blueprint's to delete — changed in place (a new image: a new
//! task-definition revision and a deployment rolled out, the old revision deregistered; the
//! association's default strategy), then deleted with nothing left, in the order that does not
//! hang (the service, waited through DRAINING to INACTIVE; the association; the provider;
//! scale-in protection off; the group; the cluster): the provider and the cluster gone, the
//! group's instances terminated.

use serde_json::json;
use shinyctl::plan::{Resource, ResourceKind as K};

use super::emulator;
use super::live::{converge, read, run};
use super::live_common::{assert_complete, connect, pending};

const CLUSTER: &str = "ecs.ecs_cluster";
const ASSOCIATION: &str = "ecs.ecs_cluster.capacity_providers";
const PROVIDER: &str = "ecs.ecs_capacity_provider";
const GROUP: &str = "ecs.autoscaling_group";
const TASK_DEFINITION: &str = "ecs.ecs_task_definition[web]";
const SERVICE: &str = "ecs.ecs_service[web]";

fn blueprint(image: &str) -> String {
    format!(
        r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: livenet
  region: us-east-1
  tags:
    team: data
network:
  cidr: 10.50.0.0/16
  availabilityZones: 2
  natGateway: single
ingress:
  type: alb
  scheme: internet-facing
  listeners:
    - {{port: 80, protocol: HTTP}}
ecs:
  capacity: {{instanceTypes: [m6i.large], min: 2, max: 4, targetCapacityPercent: 100}}
  services:
    - name: web
      image: {image}
      port: 80
      memory: 512
      count: {{min: 2, max: 4, cpuPercent: 60}}
      http: {{path: /, healthCheck: {{path: /}}}}
"#
    )
}

/// The blueprint's resources in the connection's account; `base` the association's default
/// strategy's base (the catalog's is 0).
fn desired(conn: &shinyctl::aws::Connection, image: &str, base: i64) -> Vec<Resource> {
    let loaded = shinyctl::load::load_str("live-ecs.yaml", &blueprint(image)).expect("loads");
    let mut resources = loaded.in_account(&conn.account).resources;
    let association = resources
        .iter_mut()
        .find(|r| r.address.as_str() == ASSOCIATION)
        .expect("the blueprint associates its capacity provider with the cluster");
    association.properties["defaultStrategy"][0]["base"] = json!(base);
    resources
}

fn id_of(live: &shinyctl::aws::LiveState, address: &str) -> String {
    live.observed
        .resources
        .iter()
        .find(|r| r.address.as_str() == address)
        .unwrap_or_else(|| panic!("{address} is read back"))
        .id
        .clone()
}

/// The revision the task definition's outputs name (its id is the family's ARN).
fn revision(live: &shinyctl::aws::LiveState) -> String {
    live.outputs[&shinyctl::plan::Address::new(TASK_DEFINITION)]["revisionArn"]
        .as_str()
        .expect("a revision ARN")
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cluster_capacity_provider_association_task_definition_and_service_create_change_delete() {
    let account = emulator::account();
    // Targets drain for their deregistration delay (300 s × 0.005) and a task takes 0.3 s to
    // stop: a deleted service is DRAINING meanwhile.
    emulator::set_durations(
        &account,
        &[("target_health_scale", 0.005), ("ecs_task_stop", 0.3)],
    );
    let conn = connect(&account).await;
    let ecs = &conn.clients.ecs;
    let asg = &conn.clients.autoscaling;

    // Made in one plan.
    let first = desired(&conn, "nginx:1.26", 0);
    for kind in [
        K::EcsCluster,
        K::EcsCapacityProvider,
        K::EcsClusterCapacityProviders,
        K::EcsTaskDefinition,
        K::EcsService,
        K::AutoScalingGroup,
        K::LaunchTemplate,
    ] {
        assert!(first.iter().any(|r| r.kind == kind), "{kind:?} in the plan");
    }
    let (made, summary) = converge(&conn, &first).await;
    assert_complete(&summary);
    assert_eq!(made.summary.destroy, 0, "{:?}", pending(&made));
    let live = read(&conn, &first).await;
    let (cluster, service, provider, group) = (
        id_of(&live, CLUSTER),
        id_of(&live, SERVICE),
        id_of(&live, PROVIDER),
        id_of(&live, GROUP),
    );
    let described = clusters_now(ecs, &cluster).await;
    let c = &described[0];
    let provider_name = provider.rsplit('/').next().unwrap().to_string();
    assert_eq!(c.capacity_providers(), std::slice::from_ref(&provider_name));
    assert_eq!(c.default_capacity_provider_strategy()[0].base(), 0);
    let p = ecs
        .describe_capacity_providers()
        .capacity_providers(&provider_name)
        .send()
        .await
        .expect("providers");
    let settings = p.capacity_providers()[0]
        .auto_scaling_group_provider()
        .expect("an Auto Scaling group provider");
    assert_eq!(
        (
            settings
                .managed_termination_protection()
                .map(|s| s.as_str()),
            settings.managed_draining().map(|s| s.as_str()),
            settings
                .managed_scaling()
                .and_then(|s| s.status())
                .map(|s| s.as_str()),
        ),
        (Some("ENABLED"), Some("ENABLED"), Some("ENABLED"))
    );
    let revision_1 = revision(&live);
    assert_eq!(
        rollout_of(ecs, &cluster, &service).await,
        (Some("ACTIVE".into()), 2, 1, Some(revision_1.clone())),
        "rolled out: one deployment, its tasks running"
    );
    let tasks = ecs
        .list_tasks()
        .cluster(&cluster)
        .service_name(service_name(&service))
        .send()
        .await
        .expect("tasks");
    assert_eq!(tasks.task_arns().len(), 2);
    // The group's instances: protected from scale-in (ECS's managed termination protection),
    // with ECS's draining hook on the group.
    let groups = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&group)
        .send()
        .await
        .expect("groups");
    let instances = groups.auto_scaling_groups()[0].instances();
    assert_eq!(instances.len(), 2);
    assert!(
        instances
            .iter()
            .all(|i| i.protected_from_scale_in() == Some(true))
    );
    let hooks = asg
        .describe_lifecycle_hooks()
        .auto_scaling_group_name(&group)
        .send()
        .await
        .expect("hooks");
    assert_eq!(
        hooks
            .lifecycle_hooks()
            .iter()
            .filter_map(|h| h.lifecycle_hook_name())
            .collect::<Vec<_>>(),
        vec!["ecs-managed-draining-termination-hook"]
    );

    // Read back: nothing to change (ECS's hook is not the blueprint's).
    assert_eq!(
        pending(&shinyctl::plan::diff(&first, &live.observed)),
        Vec::<String>::new()
    );

    // In place: a new image (a new revision, the service rolled to it) and the association's
    // default strategy.
    let second = desired(&conn, "nginx:1.27", 1);
    let (changed, summary) = converge(&conn, &second).await;
    assert_complete(&summary);
    assert_eq!(
        (
            changed.summary.change,
            changed.summary.add,
            changed.summary.replace,
            changed.summary.destroy
        ),
        (3, 0, 0, 0),
        "{:?}",
        pending(&changed)
    );
    let live = read(&conn, &second).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(&second, &live.observed)),
        Vec::<String>::new()
    );
    let revision_2 = revision(&live);
    assert_ne!(revision_1, revision_2);
    assert_eq!(
        rollout_of(ecs, &cluster, &service).await,
        (Some("ACTIVE".into()), 2, 1, Some(revision_2.clone())),
        "the new revision rolled out, the old deployment gone"
    );
    let old = ecs
        .describe_task_definition()
        .task_definition(&revision_1)
        .send()
        .await
        .expect("the old revision");
    assert_eq!(
        old.task_definition()
            .and_then(|t| t.status())
            .map(|s| s.as_str()),
        Some("INACTIVE"),
        "the revision the service no longer runs is deregistered"
    );
    let described = clusters_now(ecs, &cluster).await;
    assert_eq!(
        described[0].default_capacity_provider_strategy()[0].base(),
        1
    );

    // Deleted: nothing left.
    let before = emulator::calls(&account).len();
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let summary = run(&conn, &plan, &second, live.outputs).await;
    assert_complete(&summary);
    assert!(read(&conn, &second).await.observed.resources.is_empty());
    // In the order that does not hang: services, the association, the provider, scale-in
    // protection off, the group, the cluster (each step's first call AWS accepted).
    let calls = emulator::calls(&account);
    let first_ok = |operation: &str| {
        calls[before..]
            .iter()
            .position(|c| c.operation == operation && c.status == 200)
            .unwrap_or_else(|| panic!("{operation} in the destroy"))
    };
    let order: Vec<usize> = [
        "DeleteService",
        "PutClusterCapacityProviders",
        "DeleteCapacityProvider",
        "SetInstanceProtection",
        "DeleteAutoScalingGroup",
        "DeleteCluster",
    ]
    .iter()
    .map(|op| first_ok(op))
    .collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "{order:?}");
    // The service's delete waited through DRAINING: DescribeServices until INACTIVE.
    let deleted = calls
        .iter()
        .rposition(|c| c.operation == "DeleteService")
        .expect("DeleteService");
    let polls = calls[deleted..]
        .iter()
        .filter(|c| c.operation == "DescribeServices")
        .count();
    assert!(polls >= 2, "{polls} DescribeServices after DeleteService");
    // Then until its tasks were STOPPED (DescribeTasks), so the association went at its first
    // call: no stopping task held the capacity provider (ResourceInUseException).
    let described_tasks = calls[deleted..]
        .iter()
        .rposition(|c| c.operation == "DescribeTasks")
        .map(|at| deleted + at)
        .expect("DescribeTasks after DeleteService");
    let put = calls[before..]
        .iter()
        .position(|c| c.operation == "PutClusterCapacityProviders")
        .map(|at| before + at)
        .expect("PutClusterCapacityProviders");
    assert!(
        described_tasks < put,
        "the tasks were looked at before the association went"
    );
    assert_eq!(calls[put].status, 200, "{:?}", calls[put]);
    let stopping = ecs
        .list_tasks()
        .cluster(&cluster)
        .service_name(service_name(&service))
        .desired_status(aws_sdk_ecs::types::DesiredStatus::Stopped)
        .send()
        .await
        .expect("tasks");
    if !stopping.task_arns().is_empty() {
        let tasks = ecs
            .describe_tasks()
            .cluster(&cluster)
            .set_tasks(Some(stopping.task_arns().to_vec()))
            .send()
            .await
            .expect("tasks");
        assert!(
            tasks
                .tasks()
                .iter()
                .all(|t| t.last_status() == Some("STOPPED")),
            "{:?}",
            tasks.tasks()
        );
    }
    let gone = ecs
        .describe_services()
        .cluster(&cluster)
        .services(&service)
        .send()
        .await;
    if let Ok(gone) = gone {
        assert!(
            gone.services()
                .iter()
                .all(|s| s.status() == Some("INACTIVE")),
            "the service is INACTIVE"
        );
    }
    let providers = ecs
        .describe_capacity_providers()
        .capacity_providers(&provider_name)
        .send()
        .await
        .expect("providers");
    assert!(
        providers
            .capacity_providers()
            .iter()
            .all(|p| p.status().map(|s| s.as_str()) == Some("INACTIVE")),
        "the capacity provider is gone"
    );
    let clusters = clusters_now(ecs, &cluster).await;
    assert!(
        clusters.iter().all(|c| c.status() == Some("INACTIVE")),
        "the cluster is gone"
    );
    let groups = asg
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(&group)
        .send()
        .await
        .expect("groups");
    assert!(groups.auto_scaling_groups().is_empty());
}

/// The cluster as ECS describes it now (a deleted one stays described, INACTIVE).
async fn clusters_now(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
) -> Vec<aws_sdk_ecs::types::Cluster> {
    ecs.describe_clusters()
        .clusters(cluster)
        .send()
        .await
        .expect("clusters")
        .clusters()
        .to_vec()
}

/// The service's rollout as ECS describes it now: (status, running tasks, deployments, task
/// definition).
async fn rollout_of(
    ecs: &aws_sdk_ecs::Client,
    cluster: &str,
    service: &str,
) -> (Option<String>, i32, usize, Option<String>) {
    let described = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .expect("services");
    let service = &described.services()[0];
    (
        service.status().map(str::to_string),
        service.running_count(),
        service.deployments().len(),
        service.task_definition().map(str::to_string),
    )
}

/// A service's name from its ARN (`…:service/<cluster>/<name>`).
fn service_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
