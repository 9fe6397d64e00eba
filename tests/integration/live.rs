//! The AWS adapters through the real AWS SDK against the emulator: apply a blueprint's EC2, IAM
//! and S3 resources on an empty account, read them back (no changes), update, re-create
//! idempotently, destroy; an instance profile with its role; removed resources deleted in their references' order; error
//! classification; the apply lock.
//!
//! Each test has its own emulator account (see `emulator.rs`).

use std::collections::BTreeMap;

use shinyctl::apply::{ErrorClass, EventSink, Executor, Schedule, Summary};
use shinyctl::aws::errors::step_error;
use shinyctl::aws::lock::{self, LockError};
use shinyctl::aws::{AwsOperator, Connection, LiveState};
use shinyctl::plan::{Address, Plan, Resource, ResourceKind as K};

use super::emulator;
use super::live_common::{
    assert_complete, assert_counts, connect, connect_in, execute, fast_config, pending, read_as,
};

pub(super) const BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: livenet
  region: us-east-1
  tags:
    team: data
network:
  cidr: 10.20.0.0/16
  availabilityZones: 2
  natGateway: single
cluster:
  version: "1.35"
  fargateProfiles:
    - name: apps
      selectors: [{namespace: shiny-apps}]
  nodeGroups:
    - name: proxy
      instanceTypes: [m6i.large]
      desired: 2
      min: 2
      max: 4
storage:
  buckets:
    - name: files
      versioning: true
"#;

/// The blueprint's name in `region`: bucket names are global (across the emulator's accounts
/// too), so tests running at once need different ones.
fn name_in(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "livecn"
    } else {
        "livenet"
    }
}

/// The kinds this suite covers (the OIDC provider needs a cluster, tested elsewhere).
fn covered(kind: K) -> bool {
    matches!(kind.service(), "ec2" | "iam" | "s3") && kind != K::IamOidcProvider
}

/// The covered resources of the blueprint in the connection's account (bucket names hold it).
pub(super) fn covered_resources(conn: &Connection, yaml: &str) -> Vec<Resource> {
    let loaded = shinyctl::load::load_str("live.yaml", yaml).expect("blueprint loads");
    loaded
        .in_account(&conn.account)
        .resources
        .into_iter()
        .filter(|r| covered(r.kind))
        .collect()
}

pub(super) async fn read(conn: &Connection, desired: &[Resource]) -> LiveState {
    let live = read_as(conn, name_in(&conn.region), desired).await;
    assert_eq!(live.observed.region, conn.region);
    live
}

/// Plans against what exists and applies it; returns the plan and the run's summary.
pub(super) async fn converge(conn: &Connection, desired: &[Resource]) -> (Plan, Summary) {
    let live = read(conn, desired).await;
    let plan = shinyctl::plan::diff(desired, &live.observed);
    let summary = run(conn, &plan, desired, live.outputs).await;
    (plan, summary)
}

pub(super) async fn run(
    conn: &Connection,
    plan: &Plan,
    catalog: &[Resource],
    known: BTreeMap<Address, shinyctl::apply::Outputs>,
) -> Summary {
    let operator = AwsOperator::new(conn.clone(), name_in(&conn.region));
    execute(operator, fast_config(7), plan, catalog, known).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn network_iam_and_buckets_apply_read_update_destroy() {
    lifecycle("us-east-1").await;
}

/// The China partition: `arn:aws-cn:` policy ARNs, the `ec2.amazonaws.com.cn` principal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_in_the_china_partition() {
    lifecycle("cn-northwest-1").await;
}

async fn lifecycle(region: &str) {
    let account = emulator::account();
    let conn = connect_in(&account, region).await;
    let blueprint = BLUEPRINT
        .replace("region: us-east-1", &format!("region: {region}"))
        .replace("name: livenet", &format!("name: {}", name_in(region)));
    let desired = covered_resources(&conn, &blueprint);
    assert!(desired.iter().any(|r| r.kind == K::NatGateway));
    assert!(desired.iter().any(|r| r.kind == K::SecurityGroupRule));
    assert!(desired.iter().any(|r| r.kind == K::IamRolePolicyAttachment));

    // Create everything on an empty account.
    let (plan, summary) = converge(&conn, &desired).await;
    assert_eq!(plan.summary.add, desired.len());
    assert_complete(&summary);
    assert_eq!(summary.created.len(), desired.len());

    // Read back: the properties are the catalog's, so nothing changes.
    let live = read(&conn, &desired).await;
    assert!(live.duplicates.is_empty(), "{:?}", live.duplicates);
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    assert_eq!(pending(&plan), Vec::<String>::new());

    // Drift: a tag changed behind shinyctl's back shows as an update of exactly that tag.
    let subnet = live
        .observed
        .resources
        .iter()
        .find(|r| r.address.as_str() == "network.subnet.public[a]")
        .expect("public subnet");
    conn.clients
        .ec2
        .create_tags()
        .resources(&subnet.id)
        .tags(
            aws_sdk_ec2::types::Tag::builder()
                .key("team")
                .value("rogue")
                .build(),
        )
        .send()
        .await
        .unwrap();
    let live = read(&conn, &desired).await;
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    let drift = pending(&plan);
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(
        drift[0].starts_with("network.subnet.public[a] Update tags.team"),
        "{drift:?}"
    );
    let summary = run(&conn, &plan, &desired, live.outputs).await;
    assert_complete(&summary);

    // Idempotent create: running the first (all-create) plan again finds everything.
    let empty = shinyctl::plan::ObservedState::empty(name_in(region), region);
    let again = shinyctl::plan::diff(&desired, &empty);
    let summary = run(&conn, &again, &desired, BTreeMap::new()).await;
    assert_complete(&summary);
    let live = read(&conn, &desired).await;
    assert!(live.duplicates.is_empty(), "{:?}", live.duplicates);
    assert_eq!(live.observed.resources.len(), desired.len());
    assert_eq!(emulator::count(&account, "CreateVpc"), 1);
    assert_eq!(emulator::count(&account, "CreateNatGateway"), 1);
    assert_eq!(emulator::count(&account, "AllocateAddress"), 1);
    let of = |kind| desired.iter().filter(|r| r.kind == kind).count();
    assert_eq!(
        emulator::count(&account, "CreateSecurityGroup"),
        of(K::SecurityGroup)
    );
    assert_eq!(emulator::count(&account, "CreateSubnet"), of(K::Subnet));
    assert_eq!(emulator::count(&account, "CreateRole"), of(K::IamRole));
    assert_eq!(emulator::count(&account, "CreateBucket"), of(K::S3Bucket));

    // Update in place: tags everywhere, bucket versioning off.
    let changed = blueprint
        .replace("team: data", "team: platform")
        .replace("versioning: true", "versioning: false");
    let desired2 = covered_resources(&conn, &changed);
    let live = read(&conn, &desired2).await;
    let plan = shinyctl::plan::diff(&desired2, &live.observed);
    assert_eq!(
        plan.summary.add + plan.summary.destroy + plan.summary.replace,
        0
    );
    assert!(plan.summary.change > 10, "{:?}", pending(&plan));
    let summary = run(&conn, &plan, &desired2, live.outputs).await;
    assert_complete(&summary);
    let live = read(&conn, &desired2).await;
    let plan = shinyctl::plan::diff(&desired2, &live.observed);
    assert_eq!(pending(&plan), Vec::<String>::new());

    // Destroy: everything goes, in reverse dependency order.
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let summary = run(&conn, &plan, &desired2, live.outputs).await;
    assert_complete(&summary);
    let live = read(&conn, &desired2).await;
    assert_eq!(live.observed.resources, vec![]);
}

/// What the blueprint no longer has goes in the order the references AWS showed for it give:
/// from a NAT gateway per zone to a single one, the second NAT gateway is deleted before its
/// Elastic IP (which AWS refuses to release while a live NAT gateway holds it), with no conflict
/// to retry. Neither is in the catalog any more: only the observed `allocation` orders them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removed_resources_go_in_the_order_of_their_observed_references() {
    use shinyctl::apply::Event;
    use shinyctl::plan::Action;

    let account = emulator::account();
    let conn = connect(&account).await;
    let per_zone = covered_resources(
        &conn,
        &BLUEPRINT.replace("natGateway: single", "natGateway: perAz"),
    );
    let (_, summary) = converge(&conn, &per_zone).await;
    assert_complete(&summary);

    let single = covered_resources(&conn, BLUEPRINT);
    let live = read(&conn, &single).await;
    let plan = shinyctl::plan::diff(&single, &live.observed);
    let deleted = |kind| {
        plan.changes
            .iter()
            .filter(|c| c.kind == kind && c.action == Action::Delete)
            .count()
    };
    assert_eq!(
        (deleted(K::NatGateway), deleted(K::ElasticIp)),
        (1, 1),
        "{:?}",
        pending(&plan)
    );
    let schedule = Schedule::from_plan(&plan, &single, true).expect("schedule");
    let executor = Executor::new(
        AwsOperator::new(conn.clone(), name_in(&conn.region)),
        fast_config(7),
    );
    let (sink, mut receiver) = EventSink::channel();
    let summary = executor
        .run(&schedule, live.outputs, &sink, std::future::pending())
        .await;
    drop(sink);
    assert_complete(&summary);
    let mut retries = Vec::new();
    while let Some(event) = receiver.recv().await {
        if let Event::StepRetrying { step, reason, .. } = event {
            retries.push(format!("{}: {}", step.address, reason.code));
        }
    }
    assert_eq!(retries, Vec::<String>::new());
    let releases = emulator::calls(&account)
        .into_iter()
        .filter(|c| c.operation == "ReleaseAddress")
        .count();
    assert_eq!(releases, 1, "released once, after its NAT gateway was gone");
    let live = read(&conn, &single).await;
    let plan = shinyctl::plan::diff(&single, &live.observed);
    assert_eq!(pending(&plan), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_a_vpc_with_subnets_is_a_conflict() {
    let conn = connect(&emulator::account()).await;
    let ec2 = &conn.clients.ec2;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.1.0.0/16")
        .send()
        .await
        .unwrap();
    let vpc_id = vpc.vpc().and_then(|v| v.vpc_id()).unwrap().to_string();
    ec2.create_subnet()
        .vpc_id(&vpc_id)
        .cidr_block("10.1.1.0/24")
        .send()
        .await
        .unwrap();
    let err = step_error(ec2.delete_vpc().vpc_id(&vpc_id).send().await.unwrap_err());
    assert_eq!(err.code, "DependencyViolation", "{err}");
    assert_eq!(err.class, ErrorClass::Conflict);

    let err = step_error(
        ec2.delete_vpc()
            .vpc_id("vpc-0000000000")
            .send()
            .await
            .unwrap_err(),
    );
    assert!(shinyctl::aws::errors::is_not_found(&err), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_apply_lock_is_exclusive_and_breakable() {
    let conn = connect(&emulator::account()).await;
    let held = lock::acquire(&conn, "livenet", "apply")
        .await
        .expect("first acquire");
    match lock::acquire(&conn, "livenet", "destroy").await {
        Err(LockError::Held {
            info: Some(info), ..
        }) => {
            assert_eq!(info.operation, "apply");
            assert_eq!(info.pid, std::process::id());
            assert_eq!(info.id, held.info.id);
        }
        other => panic!("second acquire should fail with who/when: {other:?}"),
    }
    // Another blueprint has its own lock.
    let other = lock::acquire(&conn, "other", "apply")
        .await
        .expect("other blueprint");
    other.release(&conn).await.unwrap();

    let broken = lock::break_lock(&conn, "livenet").await.unwrap();
    assert_eq!(broken.map(|i| i.id), Some(held.info.id.clone()));
    let retaken = lock::acquire(&conn, "livenet", "apply")
        .await
        .expect("after break");
    // The old holder's release leaves the new lock alone.
    held.release(&conn).await.unwrap();
    assert!(lock::current(&conn, "livenet").await.unwrap().is_some());
    retaken.release(&conn).await.unwrap();
    assert_eq!(lock::current(&conn, "livenet").await.unwrap(), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oidc_provider_create_read_update_delete() {
    let conn = connect(&emulator::account()).await;
    // moto lacks Add/RemoveClientIDToOpenIDConnectProvider: the update changes a tag.
    let provider = |team: &str| {
        Resource::new(
            "cluster.iam_oidc_provider",
            K::IamOidcProvider,
            "livenet",
            "cluster",
        )
        .with("url", "https://oidc.eks.us-east-1.amazonaws.com/id/ABC123")
        .with("clientIdList", serde_json::json!(["sts.amazonaws.com"]))
        .with(
            "tags",
            serde_json::json!({
                "shinyctl.dev/address": "cluster.iam_oidc_provider",
                "shinyctl.dev/blueprint": "livenet",
                "team": team,
            }),
        )
    };
    let desired = vec![provider("data")];
    let (_, summary) = converge(&conn, &desired).await;
    assert_complete(&summary);
    let live = read(&conn, &desired).await;
    assert!(live.observed.resources[0].id.contains(":oidc-provider/"));
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );

    let desired = vec![provider("platform")];
    let (plan, summary) = converge(&conn, &desired).await;
    assert_eq!(plan.summary.change, 1);
    assert_complete(&summary);
    settle_then_destroy(&conn, &desired).await;
}

/// An EC2 instance profile with its role (no section makes one yet: the servers of issue 14
/// will): made and read back with nothing to change, its role swapped in place (IAM holds one
/// role: the old one comes out first) and a tag changed in one update, then deleted with its
/// role taken out first.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instance_profile_create_read_update_delete() {
    let conn = connect(&emulator::account()).await;
    let roles: Vec<Resource> = covered_resources(&conn, BLUEPRINT)
        .into_iter()
        .filter(|r| r.kind == K::IamRole)
        .collect();
    let role_named = |address: &str| {
        roles
            .iter()
            .find(|r| r.address.as_str() == address)
            .expect("the blueprint has the role")
            .clone()
    };
    let (node, fargate) = (
        role_named("cluster.iam_role.node"),
        role_named("cluster.iam_role.fargate_pod_execution"),
    );
    let with_profile = |role: &Resource, team: &str| {
        let profile = Resource::new(
            "servers.iam_instance_profile.app",
            K::IamInstanceProfile,
            "livenet-app",
            "servers",
        )
        .with("name", "livenet-app")
        .with("path", "/")
        .with("role", role.address.as_str())
        .with(
            "tags",
            serde_json::json!({
                "shinyctl.dev/address": "servers.iam_instance_profile.app",
                "shinyctl.dev/blueprint": "livenet",
                "team": team,
            }),
        )
        .after(&role.address);
        let mut desired = roles.clone();
        desired.push(profile);
        desired
    };
    let profile_roles = || async {
        conn.clients
            .iam
            .get_instance_profile()
            .instance_profile_name("livenet-app")
            .send()
            .await
            .expect("the profile exists")
            .instance_profile
            .expect("a profile")
            .roles()
            .iter()
            .map(|r| r.role_name().to_string())
            .collect::<Vec<_>>()
    };

    let desired = with_profile(&node, "data");
    let (_, summary) = converge(&conn, &desired).await;
    assert_complete(&summary);
    let live = read(&conn, &desired).await;
    let profile = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == K::IamInstanceProfile)
        .expect("the profile is read back");
    assert!(
        profile.id.contains(":instance-profile/livenet-app"),
        "{}",
        profile.id
    );
    assert_eq!(profile.properties["role"], "cluster.iam_role.node");
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );
    assert_eq!(profile_roles().await, vec![node.name.clone()]);

    let desired = with_profile(&fargate, "platform");
    converge_in_place(&conn, &desired).await;
    let live = read(&conn, &desired).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );
    assert_eq!(profile_roles().await, vec![fargate.name.clone()]);

    let plan = shinyctl::plan::diff(&[], &live.observed);
    let summary = run(&conn, &plan, &desired, live.outputs).await;
    assert_complete(&summary);
    assert!(read(&conn, &desired).await.observed.resources.is_empty());
}

/// ListBuckets is paged (ContinuationToken) and filtered by AWS to the blueprint's prefix and the
/// connection's region: every page is read, and nothing from another region or another prefix.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_listing_reads_every_page_of_this_region_only() {
    let account = emulator::account();
    let here = connect(&account).await;
    let there = connect_in(&account, "eu-west-1").await;
    let mut mine = Vec::new();
    for i in 0..5 {
        let name = format!("pages-b{i}");
        shinyctl::aws::services::s3::create_bucket_here(&here, &name)
            .await
            .expect("bucket");
        mine.push(name);
    }
    shinyctl::aws::services::s3::create_bucket_here(&here, "other-b0")
        .await
        .expect("bucket");
    shinyctl::aws::services::s3::create_bucket_here(&there, "pages-far")
        .await
        .expect("bucket");
    let listings = || {
        here.limiter
            .spent()
            .get(&("s3".to_string(), "ListBuckets".to_string()))
            .copied()
            .unwrap_or(0)
    };
    let before = listings();
    let listed = shinyctl::aws::services::s3::names_in_region(&here, "pages-", 2)
        .await
        .expect("lists");
    assert_eq!(listed, mine);
    // Three pages of two (each request spends its token in the gate).
    assert!(listings() - before >= 3);
}

/// S3 bucket names are global: the same blueprint applies in two accounts (each bucket name
/// holds its account and region), and a name someone else took is a clear error naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bucket_names_hold_the_account_and_a_taken_one_is_a_clear_error() {
    let yaml = "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata: {name: globalb, region: us-east-1}\n\
                storage:\n  buckets:\n    - name: files\n";
    let bucket_of = |desired: &[Resource]| {
        desired
            .iter()
            .find(|r| r.kind == K::S3Bucket)
            .expect("a bucket")
            .name
            .clone()
    };
    let one = connect(&emulator::account()).await;
    let two = connect(&emulator::account()).await;
    let loaded = shinyctl::load::load_str("global.yaml", yaml).expect("loads");
    let in_one = loaded.in_account(&one.account).resources;
    let in_two = loaded.in_account(&two.account).resources;
    assert_eq!(
        bucket_of(&in_one),
        format!("globalb-files-{}-us-east-1", one.account)
    );
    for (conn, desired) in [(&one, &in_one), (&two, &in_two)] {
        let live = read_as(conn, "globalb", desired).await;
        let plan = shinyctl::plan::diff(desired, &live.observed);
        let operator = AwsOperator::new(conn.clone(), "globalb");
        let summary = execute(operator, fast_config(5), &plan, desired, live.outputs).await;
        assert_complete(&summary);
    }

    // A third account's blueprint wants a name the first account already holds.
    let three = connect(&emulator::account()).await;
    let mut taken = loaded.in_account(&three.account).resources;
    let wanted = bucket_of(&in_one);
    for r in taken.iter_mut().filter(|r| r.kind == K::S3Bucket) {
        r.name = wanted.clone();
        r.properties["bucket"] = wanted.clone().into();
    }
    let live = read_as(&three, "globalb", &taken).await;
    let plan = shinyctl::plan::diff(&taken, &live.observed);
    let operator = AwsOperator::new(three.clone(), "globalb");
    let summary = execute(operator, fast_config(5), &plan, &taken, live.outputs).await;
    let failure = summary.failed.first().expect("the bucket fails");
    assert_eq!(failure.error.code, "BucketAlreadyExists");
    assert!(
        failure.error.message.contains(&wanted),
        "{}",
        failure.error.message
    );
    assert!(
        failure.error.message.contains("another AWS account"),
        "{}",
        failure.error.message
    );
}

/// A resource tagged before the address encoding (EC2 took the raw `network.elastic_ip.nat[a]`)
/// is still found at its address; the plan updates only its address tag to the encoded form.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_tag_in_the_older_raw_form_is_still_read() {
    use aws_sdk_ec2::types::{DomainType, ResourceType, Tag, TagSpecification};
    let conn = connect(&emulator::account()).await;
    let yaml = "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata: {name: legacy, region: us-east-1}\n\
                network: {cidr: 10.8.0.0/16, availabilityZones: 1, natGateway: single}\n";
    let desired: Vec<Resource> = covered_resources(&conn, yaml)
        .into_iter()
        .filter(|r| r.kind == K::ElasticIp)
        .collect();
    let eip = &desired[0];
    assert_eq!(eip.address.as_str(), "network.elastic_ip.nat[a]");
    let mut tags = vec![];
    for (key, value) in shinyctl::aws::tags::from_properties(&eip.properties) {
        let value = if key == "shinyctl.dev/address" {
            eip.address.to_string()
        } else {
            value
        };
        tags.push(Tag::builder().key(key).value(value).build());
    }
    conn.clients
        .ec2
        .allocate_address()
        .domain(DomainType::Vpc)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::ElasticIp)
                .set_tags(Some(tags))
                .build(),
        )
        .send()
        .await
        .expect("allocates");
    let live = shinyctl::aws::read(&conn, "legacy", &desired)
        .await
        .expect("reads");
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    assert_eq!(
        pending(&plan),
        vec![
            "network.elastic_ip.nat[a] Update tags[\"shinyctl.dev/address\"]: \
             Some(String(\"network.elastic_ip.nat[a]\")) -> Some(String(\"network.elastic_ip.nat:a\"))"
                .to_string()
        ]
    );
    let summary = run(&conn, &plan, &desired, live.outputs).await;
    assert_complete(&summary);
    let live = shinyctl::aws::read(&conn, "legacy", &desired)
        .await
        .expect("reads");
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );
}

/// Nothing left to do for `desired`; then everything read is destroyed, and nothing is read back.
pub(super) async fn settle_then_destroy(conn: &Connection, desired: &[Resource]) {
    let live = read(conn, desired).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(desired, &live.observed)),
        Vec::<String>::new()
    );
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let summary = run(conn, &plan, desired, live.outputs).await;
    assert_complete(&summary);
    assert!(read(conn, desired).await.observed.resources.is_empty());
}

/// An image of the emulator's Amazon-owned ones that says its root device (a launch template's
/// root volume is mapped onto it).
pub(super) async fn amazon_image(conn: &Connection) -> String {
    let images = conn
        .clients
        .ec2
        .describe_images()
        .owners("amazon")
        .send()
        .await
        .expect("images");
    images
        .images()
        .iter()
        .find(|i| i.root_device_name().is_some())
        .and_then(|i| i.image_id())
        .expect("the emulator has an Amazon image")
        .to_string()
}

/// Converges `desired` in one in-place change, nothing replaced.
pub(super) async fn converge_in_place(conn: &Connection, desired: &[Resource]) -> Plan {
    let (plan, summary) = converge(conn, desired).await;
    assert_counts(&plan, (1, 0));
    assert_complete(&summary);
    plan
}
