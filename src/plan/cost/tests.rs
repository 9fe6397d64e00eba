use serde_json::json;

use super::*;
use crate::plan::{ObservedResource, ObservedState, Resource, diff};

fn book() -> PriceBook {
    table::offline("us-east-1")
}

fn node_group(desired: u32) -> Resource {
    Resource::new(
        "cluster.node_group[proxy]",
        ResourceKind::NodeGroup,
        "x-proxy",
        "cluster",
    )
    .with("instanceTypes", json!(["m6i.large"]))
    .with("diskSizeGib", 50)
    .with("capacityType", "ON_DEMAND")
    .with(
        "scaling",
        json!({"desiredSize": desired, "minSize": 1, "maxSize": 4}),
    )
}

fn plan_of(desired: &[Resource], observed: Vec<ObservedResource>) -> Plan {
    let mut state = ObservedState::empty("x", "us-east-1");
    state.resources = observed;
    diff(desired, &state)
}

fn observed(resource: &Resource) -> ObservedResource {
    ObservedResource {
        address: resource.address.clone(),
        kind: resource.kind,
        id: "id-1".into(),
        name: resource.name.clone(),
        properties: resource.properties.clone(),
    }
}

#[test]
fn a_node_group_costs_its_instances_and_disks_for_730_hours() {
    let plan = plan_of(&[node_group(2)], Vec::new());
    let cost = estimate(&plan, &book());
    assert_eq!(cost.currency, "USD");
    let r = &cost.resources[0];
    assert_eq!(r.monthly_before, None);
    // 2 × 730 h × $0.096 + 2 × 50 GB × $0.08.
    assert_eq!(r.lines[0].monthly, Some(140.16));
    assert_eq!(r.lines[0].basis, "1460 hours × 0.096 USD/hour");
    assert_eq!(r.lines[1].monthly, Some(8.0));
    assert_eq!(r.monthly_after, Some(148.16));
    assert_eq!(cost.monthly_change, 148.16);
}

#[test]
fn scaling_up_shows_the_difference() {
    let before = node_group(2);
    let plan = plan_of(&[node_group(3)], vec![observed(&before)]);
    let cost = estimate(&plan, &book());
    assert_eq!(cost.monthly_before, 148.16);
    assert_eq!(cost.monthly_after, 222.24);
    assert_eq!(cost.monthly_change, 74.08);
}

#[test]
fn a_delete_saves_what_the_resource_cost() {
    let gone = Resource::new(
        "network.nat_gateway[a]",
        ResourceKind::NatGateway,
        "x-nat-a",
        "network",
    );
    let plan = plan_of(&[], vec![observed(&gone)]);
    let cost = estimate(&plan, &book());
    assert_eq!(cost.monthly_before, 32.85);
    assert_eq!(cost.monthly_after, 0.0);
    assert_eq!(cost.monthly_change, -32.85);
    assert!(cost.resources[0].lines[1].usage_based);
}

#[test]
fn usage_priced_items_are_never_guessed() {
    let efs = Resource::new(
        "storage.efs_file_system",
        ResourceKind::EfsFileSystem,
        "x-efs",
        "storage",
    );
    let serverless = Resource::new(
        "database.db_cluster_instance[1]",
        ResourceKind::DbClusterInstance,
        "x-db-1",
        "database",
    )
    .with("engine", "aurora-postgresql")
    .with("instanceClass", "db.serverless");
    let cost = estimate(&plan_of(&[efs, serverless], Vec::new()), &book());
    assert_eq!(cost.monthly_after, 0.0);
    assert!(
        cost.resources
            .iter()
            .all(|r| r.monthly_after.is_none() && r.lines.iter().all(|l| l.usage_based))
    );
}

#[test]
fn a_missing_price_is_counted_not_invented() {
    let plan = plan_of(&[node_group(2)], Vec::new());
    let cost = estimate(&plan, &table::offline("cn-northwest-1"));
    assert_eq!(cost.currency, "CNY");
    assert_eq!(cost.unpriced, 2);
    assert_eq!(cost.monthly_after, 0.0);
    assert!(cost.resources[0].lines[0].basis == "no price for instance:m6i.large");
}

#[test]
fn canaries_are_priced_by_their_schedule() {
    assert_eq!(runs_per_month("rate(5 minutes)"), Some(8760.0));
    assert_eq!(runs_per_month("rate(1 hour)"), Some(730.0));
    assert_eq!(runs_per_month("cron(0 * * * ? *)"), None);
    let canary = Resource::new(
        "monitoring.canary[login]",
        ResourceKind::Canary,
        "x-login",
        "monitoring",
    )
    .with("schedule", "rate(5 minutes)");
    let cost = estimate(&plan_of(&[canary], Vec::new()), &book());
    assert_eq!(cost.monthly_after, 10.51);
}

#[test]
fn needed_lists_each_price_once() {
    let plan = plan_of(&[node_group(2)], vec![observed(&node_group(1))]);
    assert_eq!(
        needed(&plan),
        vec![
            PriceKey::Instance {
                instance_type: "m6i.large".into()
            },
            PriceKey::EbsGp3
        ]
    );
}

#[test]
fn price_list_products_are_read_as_the_query_api_returns_them() {
    // The shape of one `PriceList` entry (AWS Price List Query API user guide, GetProducts).
    let nat = r#"{"product":{"productFamily":"NAT Gateway","attributes":{"usagetype":"USE1-NatGateway-Hours","regionCode":"us-east-1"},"sku":"A"},
        "terms":{"OnDemand":{"A.JRTCKXETXF":{"priceDimensions":{"A.JRTCKXETXF.6YS6EN2CT7":{"unit":"Hrs","beginRange":"0","endRange":"Inf","pricePerUnit":{"USD":"0.0450000000"}}}}}}}"#;
    let bytes = r#"{"product":{"attributes":{"usagetype":"USE1-NatGateway-Bytes"}},
        "terms":{"OnDemand":{"B":{"priceDimensions":{"B.1":{"unit":"GB","beginRange":"0","pricePerUnit":{"USD":"0.0450000000"}}}}}}}"#;
    let products: Vec<Product> = [nat, bytes]
        .iter()
        .filter_map(|t| read_product(t))
        .collect();
    assert_eq!(products.len(), 2);
    assert_eq!(
        choose(&PriceKey::NatGateway, &products),
        Some(("USD".into(), 0.045))
    );
    assert_eq!(read_product("not json"), None);
    let yuan = r#"{"product":{"attributes":{"usagetype":"CNW1-AmazonEKS-Hours:perCluster"}},
        "terms":{"OnDemand":{"C":{"priceDimensions":{"C.1":{"beginRange":"0","pricePerUnit":{"CNY":"0.6880000000"}}}}}}}"#;
    let eks = read_product(yuan).unwrap();
    assert_eq!(
        choose(&PriceKey::EksCluster, &[eks]),
        Some(("CNY".into(), 0.688))
    );
}

#[test]
fn every_key_has_a_query_with_a_service_and_an_id() {
    let keys = [
        PriceKey::EksCluster,
        PriceKey::Instance {
            instance_type: "m6i.large".into(),
        },
        PriceKey::EbsGp3,
        PriceKey::NatGateway,
        PriceKey::PublicIpv4,
        PriceKey::LoadBalancer { network: true },
        PriceKey::DbInstance {
            engine: "MySQL".into(),
            instance_class: "db.t3.medium".into(),
            multi_az: true,
        },
        PriceKey::DbStorage { multi_az: false },
        PriceKey::CacheNode {
            node_type: "cache.t3.medium".into(),
        },
        PriceKey::Alarm,
        PriceKey::CanaryRun,
        PriceKey::FargateVcpu,
        PriceKey::FargateMemory,
        PriceKey::Secret,
    ];
    let ids: std::collections::BTreeSet<String> = keys.iter().map(PriceKey::id).collect();
    assert_eq!(ids.len(), keys.len());
    for key in &keys {
        let q = key.query();
        assert!(!q.service_code.is_empty());
        assert!(q.filters.len() + usize::from(q.usage_type_suffix.is_some()) > 0);
    }
}

fn launch_template() -> Resource {
    Resource::new(
        "servers.launch_template[app]",
        ResourceKind::LaunchTemplate,
        "x-app",
        "servers",
    )
    .with("instanceType", "t3.medium")
    .with("rootVolumeGib", 30)
}

#[test]
fn servers_are_priced_by_their_launch_templates_type_and_root_volume() {
    let group = Resource::new(
        "servers.autoscaling_group[app]",
        ResourceKind::AutoScalingGroup,
        "x-app-asg",
        "servers",
    )
    .with("launchTemplate", "servers.launch_template[app]")
    .with("minSize", 1)
    .with("desiredCapacity", 2)
    .with("maxSize", 4);
    let fixed = Resource::new(
        "servers.ec2_instance[app_a]",
        ResourceKind::Ec2Instance,
        "x-app-a",
        "servers",
    )
    .with("launchTemplate", "servers.launch_template[app]")
    .with("instanceType", "t3.large");
    let cost = estimate(
        &plan_of(&[launch_template(), group, fixed], Vec::new()),
        &book(),
    );
    let lines = |address: &str| {
        cost.resources
            .iter()
            .find(|r| r.address.as_str() == address)
            .unwrap()
            .lines
            .iter()
            .map(|l| (l.what.clone(), l.monthly))
            .collect::<Vec<_>>()
    };
    // 2 × 730 h × $0.0416 and 2 × 30 GB × $0.08.
    assert_eq!(
        lines("servers.autoscaling_group[app]"),
        vec![
            ("2 × t3.medium".to_string(), Some(60.74)),
            ("2 × 30 GB gp3 root volume".to_string(), Some(4.8)),
        ]
    );
    // The instance's own type over the template's.
    assert_eq!(
        lines("servers.ec2_instance[app_a]")[0],
        ("1 × t3.large".to_string(), Some(60.74))
    );
    assert!(
        !cost
            .resources
            .iter()
            .any(|r| r.kind == ResourceKind::LaunchTemplate)
    );
}

#[test]
fn a_group_scaled_by_others_is_priced_at_its_minimum_and_scaling_is_no_change() {
    let group = |desired: Option<i64>| {
        let g = Resource::new(
            "ecs.autoscaling_group",
            ResourceKind::AutoScalingGroup,
            "x-ecs-asg",
            "ecs",
        )
        .with("launchTemplate", "servers.launch_template[app]")
        .with("minSize", 2)
        .with("maxSize", 8);
        match desired {
            Some(d) => g.with("desiredCapacity", d),
            None => g,
        }
    };
    // The capacity provider scaled the group to 5: the plan changes nothing, nor its cost.
    let plan = plan_of(
        &[launch_template(), group(None)],
        vec![observed(&launch_template()), observed(&group(Some(5)))],
    );
    let cost = estimate(&plan, &book());
    let r = &cost.resources[0];
    assert_eq!(r.lines[0].what, "2 × t3.medium");
    assert_eq!(r.monthly_before, r.monthly_after);
    assert_eq!(cost.monthly_change, 0.0);
    // A desired capacity the blueprint gives is its own: 2 → 3 is the plan's change.
    let plan = plan_of(
        &[launch_template(), group(Some(3))],
        vec![observed(&launch_template()), observed(&group(Some(2)))],
    );
    let cost = estimate(&plan, &book());
    // One t3.medium for 730 h and its 30 GB root volume (each line rounded to cents).
    assert_eq!(cost.monthly_change, 32.76);
}

fn task_definition(cpu: &str, memory: &str) -> Resource {
    Resource::new(
        "ecs.ecs_task_definition[web]",
        ResourceKind::EcsTaskDefinition,
        "x-web",
        "ecs",
    )
    .with("cpu", cpu)
    .with("memory", memory)
}

fn service(launch: Option<&str>, count: i64) -> Resource {
    let s = Resource::new(
        "ecs.ecs_service[web]",
        ResourceKind::EcsService,
        "web",
        "ecs",
    )
    .with(
        "taskDefinition",
        "${ecs.ecs_task_definition[web]#revisionArn}",
    )
    .with("desiredCount", count);
    match launch {
        Some(l) => s.with("launchType", l),
        None => s,
    }
}

#[test]
fn fargate_services_cost_their_tasks_vcpu_and_memory_hours() {
    let cost = estimate(
        &plan_of(
            &[task_definition("512", "1024"), service(Some("FARGATE"), 2)],
            Vec::new(),
        ),
        &book(),
    );
    let r = &cost.resources[0];
    assert_eq!(r.address.as_str(), "ecs.ecs_service[web]");
    // 2 tasks × 0.5 vCPU × 730 h × $0.04048, 2 × 1 GB × 730 h × $0.004445.
    assert_eq!(r.lines[0].what, "2 × 0.5 vCPU (Fargate)");
    assert_eq!(r.lines[0].monthly, Some(29.55));
    assert_eq!(r.lines[0].basis, "730 vCPU-hours × 0.04048 USD/vCPU-hour");
    assert_eq!(r.lines[1].monthly, Some(6.49));
    // On EC2 capacity the service itself costs nothing: its instances are priced.
    let ec2 = estimate(
        &plan_of(&[task_definition("", ""), service(None, 2)], Vec::new()),
        &book(),
    );
    assert!(ec2.resources.is_empty());
    // A task definition the plan lacks is said, not guessed.
    let lost = estimate(
        &plan_of(&[service(Some("FARGATE"), 2)], Vec::new()),
        &book(),
    );
    assert_eq!(lost.unpriced, 1);
}

#[test]
fn secrets_by_the_month_and_log_groups_by_use() {
    let secret = Resource::new(
        "servers.secretsmanager_secret[cookie]",
        ResourceKind::SecretsmanagerSecret,
        "x/cookie",
        "servers",
    );
    let logs = Resource::new(
        "ecs.cloudwatch_log_group[web]",
        ResourceKind::CloudWatchLogGroup,
        "/ecs/x/web",
        "ecs",
    );
    let cost = estimate(&plan_of(&[secret, logs], Vec::new()), &book());
    assert_eq!(cost.monthly_after, 0.4);
    let logs = cost
        .resources
        .iter()
        .find(|r| r.kind == ResourceKind::CloudWatchLogGroup)
        .unwrap();
    assert!(logs.lines[0].usage_based);
}

/// A live plan asks for the blueprint's prices beside its read (`needed_by`): they are every
/// price a plan that creates the blueprint needs, and every price a no-change plan needs (its
/// `before` sides are its `after` sides); what a change adds (a deleted resource's) is asked
/// after the plan.
#[test]
fn the_blueprints_prices_are_the_ones_its_plans_need() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
    for entry in std::fs::read_dir(dir).expect("blueprints/") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("readable");
        let loaded = crate::load::load_str("b.yaml", &text).expect("loads");
        let resources = &loaded.resources;
        let created = plan_of(resources, Vec::new());
        assert_eq!(needed(&created), needed_by(resources), "{}", path.display());
        // Unchanged: observed as desired.
        let observed = resources
            .iter()
            .map(|r| ObservedResource {
                address: r.address.clone(),
                kind: r.kind,
                id: r.name.clone(),
                name: r.name.clone(),
                properties: r.properties.clone(),
            })
            .collect();
        let unchanged = plan_of(resources, observed);
        let asked = needed_by(resources);
        assert!(
            needed(&unchanged).iter().all(|k| asked.contains(k)),
            "{}",
            path.display()
        );
    }
    // A deleted resource's price is not the blueprint's: asked after the plan.
    let deleted = plan_of(
        &[],
        vec![ObservedResource {
            address: node_group(2).address,
            kind: ResourceKind::NodeGroup,
            id: "x-proxy".into(),
            name: "x-proxy".into(),
            properties: node_group(2).properties,
        }],
    );
    assert!(!needed(&deleted).is_empty());
    assert!(needed_by(&[]).is_empty());
}
