//! The EKS, EFS, RDS, ElastiCache, ECR, ELBv2, SNS, CloudWatch and Synthetics adapters through
//! the real AWS SDK against the emulator (zero-latency profile): apply a whole blueprint on an
//! empty account, read it back (no changes), update in place, destroy (nothing left, no canary
//! Lambda behind); and destroy's sweep of what Kubernetes controllers made.
//!
//! Each test has its own emulator account (see `emulator.rs`).

use std::collections::BTreeMap;

use shinyctl::apply::Summary;
use shinyctl::aws::cleanup::{self, LB_CONTROLLER_TAG, Scope};
use shinyctl::aws::operator::DataPolicy;
use shinyctl::aws::{AwsOperator, Connection, LiveState};
use shinyctl::plan::{Address, Plan, Resource, ResourceKind as K};

use super::emulator;
use super::live_common::{
    assert_complete, connect, connect_in, execute, fast_config, pending, read_as,
};

const NAME: &str = "svc";

const BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: svc
  region: us-east-1
  tags:
    team: data
network:
  cidr: 10.30.0.0/16
  availabilityZones: 2
  natGateway: single
cluster:
  version: "1.34"
  logging: [api, audit]
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
  efs:
    encrypted: true
    accessPoints:
      - name: share
        path: /share
        uid: 1000
        gid: 1000
database:
  engine: mysql
  version: "8.4"
  instanceClass: db.t3.medium
  storageGib: 50
  databaseName: appdb
  parameters:
    log_bin_trust_function_creators: "1"
  backupRetentionDays: 7
  deletionProtection: true
cache:
  engine: redis
  version: "7.1"
  nodeType: cache.t3.medium
  clusterMode: enabled
  shards: 2
  replicasPerShard: 1
registry:
  repositories:
    - name: shiny-app
      scanOnPush: true
      keepLastImages: 20
ingress:
  type: alb
  scheme: internet-facing
  listeners:
    - {port: 80, protocol: HTTP}
  idleTimeoutSeconds: 300
  stickiness: {type: lb_cookie, durationSeconds: 86400}
  healthCheck: {path: /login, intervalSeconds: 30, healthyThreshold: 2}
monitoring:
  alarmEmail: ops@example.com
  canaries:
    - name: login
      path: /login
      every: 5m
  alarms:
    - {metric: canaryFailed, threshold: 1, period: 10m}
    - {metric: unhealthyTargets, threshold: 1, period: 5m}
"#;

/// The blueprint's resources in the connection's account (bucket names hold it).
fn resources(conn: &Connection, yaml: &str) -> Vec<Resource> {
    shinyctl::load::load_str("services.yaml", yaml)
        .expect("blueprint loads")
        .in_account(&conn.account)
        .resources
}

async fn read(conn: &Connection, desired: &[Resource]) -> LiveState {
    read_as(conn, NAME, desired).await
}

async fn run(
    conn: &Connection,
    plan: &Plan,
    catalog: &[Resource],
    known: BTreeMap<Address, shinyctl::apply::Outputs>,
    data: DataPolicy,
) -> Summary {
    run_as(conn, NAME, plan, catalog, known, data).await
}

async fn run_as(
    conn: &Connection,
    name: &str,
    plan: &Plan,
    catalog: &[Resource],
    known: BTreeMap<Address, shinyctl::apply::Outputs>,
    data: DataPolicy,
) -> Summary {
    let operator = AwsOperator::new(conn.clone(), name).with_data_policy(data);
    execute(operator, fast_config(11), plan, catalog, known).await
}

/// Pending changes of this suite's kinds only (the EC2/IAM/S3 adapters have their own suite).
fn pending_mine(plan: &Plan) -> Vec<String> {
    let mine: Vec<&Address> = plan
        .changes
        .iter()
        .filter(|c| mine(c.kind))
        .map(|c| &c.address)
        .collect();
    pending(plan)
        .into_iter()
        .filter(|line| mine.iter().any(|a| line.starts_with(&format!("{a} "))))
        .collect()
}

fn mine(kind: K) -> bool {
    matches!(
        kind.service(),
        "eks"
            | "efs"
            | "rds"
            | "elasticache"
            | "ecr"
            | "elbv2"
            | "sns"
            | "cloudwatch"
            | "synthetics"
    )
}

async fn canary_lambdas(conn: &Connection) -> Vec<String> {
    let functions = conn
        .clients
        .lambda
        .list_functions()
        .send()
        .await
        .expect("list functions");
    functions
        .functions()
        .iter()
        .filter_map(|f| f.function_name())
        .filter(|n| n.starts_with("cwsyn-"))
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn services_apply_read_update_destroy() {
    let account = emulator::account();
    let conn = connect(&account).await;
    let desired = resources(&conn, BLUEPRINT);
    for kind in [
        K::EksCluster,
        K::FargateProfile,
        K::NodeGroup,
        K::EfsFileSystem,
        K::EfsMountTarget,
        K::EfsAccessPoint,
        K::DbSubnetGroup,
        K::DbParameterGroup,
        K::DbInstance,
        K::CacheSubnetGroup,
        K::CacheParameterGroup,
        K::CacheReplicationGroup,
        K::EcrRepository,
        K::EcrLifecyclePolicy,
        K::LoadBalancer,
        K::TargetGroup,
        K::Listener,
        K::SnsTopic,
        K::SnsSubscription,
        K::Canary,
        K::CloudWatchAlarm,
    ] {
        assert!(desired.iter().any(|r| r.kind == kind), "{kind:?}");
    }

    // Create everything on an empty account.
    let live = read(&conn, &desired).await;
    assert_eq!(live.observed.resources, vec![]);
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    let summary = run(&conn, &plan, &desired, live.outputs, DataPolicy::default()).await;
    assert_complete(&summary);
    assert_eq!(summary.created.len(), desired.len());

    // Read back: every kind in the catalog's shapes, so nothing changes.
    let live = read(&conn, &desired).await;
    assert!(live.duplicates.is_empty(), "{:?}", live.duplicates);
    for r in desired.iter().filter(|r| mine(r.kind)) {
        assert!(
            live.observed
                .resources
                .iter()
                .any(|o| o.address == r.address),
            "{} was not read back",
            r.address
        );
    }
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    assert_eq!(pending_mine(&plan), Vec::<String>::new());
    assert_eq!(
        canary_lambdas(&conn).await.len(),
        1,
        "the canary has its function"
    );

    // Idempotent creates: the all-create plan again makes no second anything.
    let empty = shinyctl::plan::ObservedState::empty(NAME, "us-east-1");
    let again = shinyctl::plan::diff(&desired, &empty);
    let summary = run(
        &conn,
        &again,
        &desired,
        BTreeMap::new(),
        DataPolicy::default(),
    )
    .await;
    assert_complete(&summary);
    let live = read(&conn, &desired).await;
    assert!(live.duplicates.is_empty(), "{:?}", live.duplicates);
    for operation in [
        "CreateCluster",
        "CreateNodegroup",
        "CreateFargateProfile",
        "CreateFileSystem",
        "CreateDBInstance",
        "CreateReplicationGroup",
        "CreateRepository",
        "CreateLoadBalancer",
        "CreateTargetGroup",
        "CreateListener",
        "CreateCanary",
    ] {
        assert_eq!(emulator::count(&account, operation), 1, "{operation}");
    }

    // Update in place: node-group size, a new repository, a health-check path, parameters,
    // idle timeout, the canary's schedule, an alarm threshold. (Not tags: the emulator's EKS
    // cannot tag node groups or Fargate profiles.)
    let changed = BLUEPRINT
        .replace("desired: 2\n      min: 2", "desired: 3\n      min: 2")
        .replace("version: \"1.34\"", "version: \"1.35\"")
        .replace("logging: [api, audit]", "logging: [api]")
        .replace(
            "      keepLastImages: 20\n",
            "      keepLastImages: 20\n    - name: extra\n",
        )
        .replace(
            "path: /login, intervalSeconds",
            "path: /health, intervalSeconds",
        )
        .replace(
            "log_bin_trust_function_creators: \"1\"",
            "log_bin_trust_function_creators: \"1\"\n    max_connections: \"500\"",
        )
        .replace("idleTimeoutSeconds: 300", "idleTimeoutSeconds: 3600")
        .replace("every: 5m", "every: 10m")
        .replace("threshold: 1, period: 5m", "threshold: 2, period: 5m");
    let desired2 = resources(&conn, &changed);
    let live = read(&conn, &desired2).await;
    let plan = shinyctl::plan::diff(&desired2, &live.observed);
    assert_eq!(
        plan.summary.destroy + plan.summary.replace,
        0,
        "{:#?}",
        pending(&plan)
    );
    assert_eq!(plan.summary.add, 1, "{:#?}", pending(&plan));
    let changes = pending_mine(&plan);
    for expected in [
        "scaling.desiredSize",
        "version: Some(String(\"1.34\"))",
        "logging",
        "healthCheck.path",
        "parameters.max_connections",
        "idleTimeoutSeconds",
        "schedule",
        "threshold",
    ] {
        assert!(
            changes.iter().any(|c| c.contains(expected)),
            "{expected} in {changes:#?}"
        );
    }
    let summary = run(&conn, &plan, &desired2, live.outputs, DataPolicy::default()).await;
    assert_complete(&summary);
    assert_eq!(emulator::count(&account, "UpdateClusterVersion"), 1);
    assert_eq!(emulator::count(&account, "UpdateNodegroupConfig"), 1);
    let live = read(&conn, &desired2).await;
    let plan = shinyctl::plan::diff(&desired2, &live.observed);
    assert_eq!(pending_mine(&plan), Vec::<String>::new());

    // Destroy: the database has deletion protection, lifted because data loss is allowed.
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let policy = DataPolicy {
        final_snapshot: false,
        allow_data_loss: true,
    };
    let summary = run(&conn, &plan, &desired2, live.outputs, policy).await;
    assert_complete(&summary);
    let live = read(&conn, &desired2).await;
    assert_eq!(live.observed.resources, vec![]);
    assert_eq!(canary_lambdas(&conn).await, Vec::<String>::new());
}

/// An ALB, target group and security group as the AWS Load Balancer Controller makes them.
async fn controller_made(
    conn: &Connection,
    vpc: &str,
    subnets: &[String],
    name: &str,
    tags: &[(&str, &str)],
) -> (String, String, String) {
    use aws_sdk_ec2::types::{ResourceType, Tag as Ec2Tag, TagSpecification};
    use aws_sdk_elasticloadbalancingv2::types::{ProtocolEnum, Tag};
    let ec2_tags: Vec<Ec2Tag> = tags
        .iter()
        .map(|(k, v)| Ec2Tag::builder().key(*k).value(*v).build())
        .collect();
    let sg = conn
        .clients
        .ec2
        .create_security_group()
        .group_name(format!("k8s-{name}"))
        .description("[k8s] managed by the load balancer controller")
        .vpc_id(vpc)
        .tag_specifications(
            TagSpecification::builder()
                .resource_type(ResourceType::SecurityGroup)
                .set_tags(Some(ec2_tags))
                .build(),
        )
        .send()
        .await
        .expect("security group")
        .group_id
        .expect("group id");
    let elb_tags: Vec<Tag> = tags
        .iter()
        .map(|(k, v)| Tag::builder().key(*k).value(*v).build())
        .collect();
    let lb = conn
        .clients
        .elbv2
        .create_load_balancer()
        .name(format!("k8s-{name}"))
        .set_subnets(Some(subnets.to_vec()))
        .security_groups(&sg)
        .set_tags(Some(elb_tags.clone()))
        .send()
        .await
        .expect("load balancer")
        .load_balancers()[0]
        .load_balancer_arn()
        .expect("arn")
        .to_string();
    let tg = conn
        .clients
        .elbv2
        .create_target_group()
        .name(format!("k8s-{name}-tg"))
        .protocol(ProtocolEnum::Http)
        .port(8080)
        .vpc_id(vpc)
        .set_tags(Some(elb_tags))
        .send()
        .await
        .expect("target group")
        .target_groups()[0]
        .target_group_arn()
        .expect("arn")
        .to_string();
    (lb, tg, sg)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn destroy_sweeps_what_the_controller_made_for_this_cluster_only() {
    let conn = connect(&emulator::account()).await;
    let ec2 = &conn.clients.ec2;
    let vpc = ec2
        .create_vpc()
        .cidr_block("10.40.0.0/16")
        .send()
        .await
        .unwrap()
        .vpc
        .and_then(|v| v.vpc_id)
        .unwrap();
    let mut subnets = Vec::new();
    for (cidr, zone) in [
        ("10.40.1.0/24", "us-east-1a"),
        ("10.40.2.0/24", "us-east-1b"),
    ] {
        subnets.push(
            ec2.create_subnet()
                .vpc_id(&vpc)
                .cidr_block(cidr)
                .availability_zone(zone)
                .send()
                .await
                .unwrap()
                .subnet
                .and_then(|s| s.subnet_id)
                .unwrap(),
        );
    }
    // The node security group allows the controller's group in (that rule blocks its delete).
    let nodes = ec2
        .create_security_group()
        .group_name("nodes")
        .description("nodes")
        .vpc_id(&vpc)
        .send()
        .await
        .unwrap()
        .group_id
        .unwrap();
    let cluster = "svc-cluster";
    let (lb, tg, sg) = controller_made(
        &conn,
        &vpc,
        &subnets,
        "ours",
        &[
            (LB_CONTROLLER_TAG, cluster),
            ("service.k8s.aws/stack", "shiny/proxy"),
        ],
    )
    .await;
    ec2.authorize_security_group_ingress()
        .group_id(&nodes)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("tcp")
                .from_port(8080)
                .to_port(8080)
                .user_id_group_pairs(
                    aws_sdk_ec2::types::UserIdGroupPair::builder()
                        .group_id(&sg)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .unwrap();
    // Someone else's: no controller tags, and another cluster's.
    let (other_lb, other_tg, other_sg) =
        controller_made(&conn, &vpc, &subnets, "untagged", &[("team", "web")]).await;
    let (foreign_lb, _, foreign_sg) = controller_made(
        &conn,
        &vpc,
        &subnets,
        "foreign",
        &[(LB_CONTROLLER_TAG, "another-cluster")],
    )
    .await;

    let scope = Scope {
        cluster: Some(cluster.to_string()),
        vpc_id: Some(vpc.clone()),
        canary_lambdas: Default::default(),
    };
    let swept = cleanup::sweep(&conn, &scope).await.expect("sweep");
    assert_eq!(swept.load_balancers, vec![lb.clone()]);
    assert_eq!(swept.target_groups, vec![tg.clone()]);
    assert_eq!(swept.security_groups, vec![sg.clone()]);

    let lbs: Vec<String> = conn
        .clients
        .elbv2
        .describe_load_balancers()
        .send()
        .await
        .unwrap()
        .load_balancers()
        .iter()
        .filter_map(|l| l.load_balancer_arn().map(str::to_string))
        .collect();
    assert!(!lbs.contains(&lb));
    assert!(
        lbs.contains(&other_lb) && lbs.contains(&foreign_lb),
        "{lbs:?}"
    );
    let tgs: Vec<String> = conn
        .clients
        .elbv2
        .describe_target_groups()
        .send()
        .await
        .unwrap()
        .target_groups()
        .iter()
        .filter_map(|t| t.target_group_arn().map(str::to_string))
        .collect();
    assert!(!tgs.contains(&tg) && tgs.contains(&other_tg), "{tgs:?}");
    let sgs: Vec<String> = ec2
        .describe_security_groups()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("vpc-id")
                .values(&vpc)
                .build(),
        )
        .send()
        .await
        .unwrap()
        .security_groups()
        .iter()
        .filter_map(|g| g.group_id().map(str::to_string))
        .collect();
    assert!(!sgs.contains(&sg), "{sgs:?}");
    assert!(sgs.contains(&other_sg) && sgs.contains(&foreign_sg) && sgs.contains(&nodes));

    // A second sweep finds nothing more.
    let again = cleanup::sweep(&conn, &scope).await.expect("sweep");
    assert!(
        again.load_balancers.is_empty() && again.security_groups.is_empty(),
        "{again:?}"
    );
}

/// Aurora Serverless v2 with its cluster parameter group and instances, Fargate profiles one
/// after the other, an NLB with a TCP target group — the DolphinScheduler seed, in the China
/// partition — applied, read back, scaled, destroyed with a final snapshot.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aurora_fargate_and_nlb_in_the_china_partition() {
    let account = emulator::account();
    let conn = connect_in(&account, "cn-northwest-1").await;
    let yaml = std::fs::read_to_string(
        super::support::repo_root().join("blueprints/dolphinscheduler-fargate.yaml"),
    )
    .expect("seed blueprint")
    .replace("region: us-east-1", "region: cn-northwest-1");
    let desired = resources(&conn, &yaml);
    for kind in [
        K::DbCluster,
        K::DbClusterParameterGroup,
        K::DbClusterInstance,
        K::FargateProfile,
    ] {
        assert!(desired.iter().any(|r| r.kind == kind), "{kind:?}");
    }
    let live = read_as(&conn, "dolphin", &desired).await;
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    let summary = run_as(
        &conn,
        "dolphin",
        &plan,
        &desired,
        live.outputs,
        DataPolicy::default(),
    )
    .await;
    assert_complete(&summary);
    let live = read_as(&conn, "dolphin", &desired).await;
    let cluster = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == K::DbCluster)
        .expect("the Aurora cluster is read back");
    assert!(cluster.id.starts_with("arn:aws-cn:rds:"), "{}", cluster.id);
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    assert_eq!(pending_mine(&plan), Vec::<String>::new());

    // Scaling range in place.
    let desired2 = resources(&conn, &yaml.replace("maxCapacity: 4", "maxCapacity: 8"));
    let plan = shinyctl::plan::diff(&desired2, &live.observed);
    let changes = pending_mine(&plan);
    assert_eq!(changes.len(), 1, "{changes:#?}");
    assert!(
        changes[0].contains("serverlessV2Scaling.maxCapacity"),
        "{changes:#?}"
    );
    let summary = run_as(
        &conn,
        "dolphin",
        &plan,
        &desired2,
        live.outputs,
        DataPolicy::default(),
    )
    .await;
    assert_complete(&summary);
    let live = read_as(&conn, "dolphin", &desired2).await;
    let plan = shinyctl::plan::diff(&desired2, &live.observed);
    assert_eq!(pending_mine(&plan), Vec::<String>::new());

    // Without leave to lose data, the protected cluster stays (and only it and what it holds
    // on to fail or wait); the rest of the destroy goes through.
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let summary = run_as(
        &conn,
        "dolphin",
        &plan,
        &desired2,
        live.outputs,
        DataPolicy::default(),
    )
    .await;
    let refused: Vec<(&str, &str)> = summary
        .failed
        .iter()
        .map(|f| (f.step.address.as_str(), f.error.code.as_str()))
        .collect();
    assert_eq!(refused, vec![("database.db_cluster", "DeletionProtected")]);
    let live = read_as(&conn, "dolphin", &desired2).await;
    assert!(
        live.observed
            .resources
            .iter()
            .any(|r| r.kind == K::DbCluster)
    );

    // Destroy with a final snapshot; deletion protection lifted because data loss is allowed.
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let policy = DataPolicy {
        final_snapshot: true,
        allow_data_loss: true,
    };
    let summary = run_as(&conn, "dolphin", &plan, &desired2, live.outputs, policy).await;
    assert_complete(&summary);
    let live = read_as(&conn, "dolphin", &desired2).await;
    assert_eq!(live.observed.resources, vec![]);
}

/// A listener whose certificate does not exist fails with AWS's code and message; what depends
/// on it is skipped, the rest is created.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_listener_reports_aws_error_and_skips_its_dependents() {
    let conn = connect(&emulator::account()).await;
    let yaml = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: svcfail
  region: us-east-1
network:
  cidr: 10.50.0.0/16
  availabilityZones: 2
  natGateway: single
ingress:
  type: alb
  scheme: internet-facing
  domain: shiny.example.com
  listeners:
    - {port: 443, protocol: HTTPS, certificateArn: "arn:aws:acm:us-east-1:123456789012:certificate/missing"}
  healthCheck: {path: /login}
monitoring:
  canaries:
    - name: login
      path: /login
      every: 5m
"#;
    // Its own blueprint name: bucket names are global, across accounts too.
    let desired = resources(&conn, yaml);
    let live = read_as(&conn, "svcfail", &desired).await;
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    let summary = run_as(
        &conn,
        "svcfail",
        &plan,
        &desired,
        live.outputs,
        DataPolicy::default(),
    )
    .await;
    let failed: Vec<(&str, &str)> = summary
        .failed
        .iter()
        .map(|f| (f.step.address.as_str(), f.error.code.as_str()))
        .collect();
    assert_eq!(
        failed,
        vec![("ingress.listener[443]", "CertificateNotFound")]
    );
    assert!(!summary.failed[0].error.message.is_empty());
    let skipped: Vec<String> = summary.skipped.iter().map(|s| format!("{:?}", s)).collect();
    assert!(
        skipped
            .iter()
            .any(|s| s.contains("monitoring.canary[login]")),
        "{skipped:#?}"
    );
    assert!(
        summary
            .created
            .iter()
            .any(|c| format!("{c:?}").contains("ingress.load_balancer"))
    );
}

/// A blueprint applied on a fresh account: the account, its connection, the desired resources
/// and what was read back (nothing left to change).
async fn fresh(name: &str, yaml: &str) -> (String, Connection, Vec<Resource>, LiveState) {
    let account = emulator::account();
    let conn = connect(&account).await;
    let desired = resources(&conn, yaml);
    let live = apply_fresh(&conn, name, &desired).await;
    (account, conn, desired, live)
}

/// Apply `desired` as blueprint `name` and read it back with nothing to change.
async fn apply_fresh(conn: &Connection, name: &str, desired: &[Resource]) -> LiveState {
    converge(conn, name, desired, |_| {}).await
}

/// Plan `desired` against what exists, check the pending changes name exactly `expected`
/// (one substring per change, in any order), apply, and read back with nothing left to change.
async fn update_exactly(
    conn: &Connection,
    name: &str,
    desired: &[Resource],
    expected: &[&str],
) -> LiveState {
    converge(conn, name, desired, |changes| {
        assert_eq!(changes.len(), expected.len(), "{changes:#?}");
        for e in expected {
            assert!(changes.iter().any(|c| c.contains(e)), "{e} in {changes:#?}");
        }
    })
    .await
}

/// Plan, `check` the pending changes, apply, and read back: no duplicates, nothing to change.
async fn converge(
    conn: &Connection,
    name: &str,
    desired: &[Resource],
    check: impl FnOnce(&[String]),
) -> LiveState {
    let live = read_as(conn, name, desired).await;
    let plan = shinyctl::plan::diff(desired, &live.observed);
    check(&pending(&plan));
    let summary = run_as(
        conn,
        name,
        &plan,
        desired,
        live.outputs,
        DataPolicy::default(),
    )
    .await;
    assert_complete(&summary);
    let live = read_as(conn, name, desired).await;
    assert!(live.duplicates.is_empty(), "{:?}", live.duplicates);
    let plan = shinyctl::plan::diff(desired, &live.observed);
    assert_eq!(pending(&plan), Vec::<String>::new());
    live
}

async fn destroy_all(conn: &Connection, name: &str, desired: &[Resource], live: LiveState) {
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let policy = DataPolicy {
        final_snapshot: false,
        allow_data_loss: true,
    };
    let summary = run_as(conn, name, &plan, desired, live.outputs, policy).await;
    assert_complete(&summary);
    let live = read_as(conn, name, desired).await;
    assert_eq!(live.observed.resources, vec![]);
}

fn id_of(live: &LiveState, address: &str) -> String {
    live.outputs[&Address::new(address)]["id"]
        .as_str()
        .expect("an id")
        .to_string()
}

/// Egress rules of each group, as `(protocol, source)`.
async fn egress_of(conn: &Connection, group: &str) -> Vec<(String, String)> {
    let rules = conn
        .clients
        .ec2
        .describe_security_group_rules()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("group-id")
                .values(group)
                .build(),
        )
        .send()
        .await
        .expect("rules");
    let mut egress: Vec<(String, String)> = rules
        .security_group_rules()
        .iter()
        .filter(|r| r.is_egress() == Some(true))
        .map(|r| {
            let source = r
                .referenced_group_info()
                .and_then(|g| g.group_id())
                .or(r.cidr_ipv4())
                .unwrap_or_default();
            (
                r.ip_protocol().unwrap_or_default().to_string(),
                source.to_string(),
            )
        })
        .collect();
    egress.sort();
    egress
}

const EGRESS_BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: sgx
  region: us-east-1
network:
  cidr: 10.60.0.0/16
  availabilityZones: 2
  natGateway: single
cluster:
  version: "1.35"
  nodeGroups:
    - name: proxy
      instanceTypes: [m6i.large]
      desired: 1
      min: 1
      max: 2
storage:
  efs:
    encrypted: true
database:
  engine: postgres
  version: "16.9"
  instanceClass: db.t4g.micro
  storageGib: 20
  databaseName: app
cache:
  engine: redis
  version: "7.1"
  nodeType: cache.t3.micro
"#;

/// Every group's egress is exactly its catalog rules: AWS's default allow-all is revoked on
/// create; data stores have none, the nodes reach out to anywhere (ECR, STS through NAT), the
/// control plane reaches the nodes. An allow-all egress put back by hand is drift the plan
/// deletes. And a client id added to the cluster's OIDC provider by hand is removed again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn security_groups_egress_is_exactly_the_catalogs() {
    const SGX: &str = "sgx";
    let (account, conn, desired, live) = fresh(SGX, EGRESS_BLUEPRINT).await;

    let db_sg = id_of(&live, "database.security_group");
    let cache_sg = id_of(&live, "cache.security_group");
    let efs_sg = id_of(&live, "storage.security_group.efs");
    let nodes_sg = id_of(&live, "cluster.security_group.nodes");
    let cluster_sg = id_of(&live, "cluster.security_group.cluster");
    for group in [&db_sg, &cache_sg, &efs_sg] {
        assert_eq!(egress_of(&conn, group).await, vec![], "{group}");
    }
    assert_eq!(
        egress_of(&conn, &nodes_sg).await,
        vec![("-1".to_string(), "0.0.0.0/0".to_string())]
    );
    assert_eq!(
        egress_of(&conn, &cluster_sg).await,
        vec![
            ("tcp".to_string(), nodes_sg.clone()),
            ("tcp".to_string(), nodes_sg.clone())
        ]
    );
    assert_eq!(
        emulator::count(&account, "RevokeSecurityGroupEgress"),
        5,
        "one revoke per new group"
    );

    // Drift: allow-all egress on the cache's group, a client id on the OIDC provider.
    conn.clients
        .ec2
        .authorize_security_group_egress()
        .group_id(&cache_sg)
        .ip_permissions(
            aws_sdk_ec2::types::IpPermission::builder()
                .ip_protocol("-1")
                .ip_ranges(
                    aws_sdk_ec2::types::IpRange::builder()
                        .cidr_ip("0.0.0.0/0")
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("egress by hand");
    let oidc = id_of(&live, "cluster.iam_oidc_provider");
    conn.clients
        .iam
        .add_client_id_to_open_id_connect_provider()
        .open_id_connect_provider_arn(&oidc)
        .client_id("by-hand")
        .send()
        .await
        .expect("client id by hand");

    let live = read_as(&conn, SGX, &desired).await;
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    let changes = pending(&plan);
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert!(
        changes.iter().any(
            |c| c.starts_with("cache.security_group.unlisted_egress[sgr-") && c.contains("Delete")
        ),
        "{changes:#?}"
    );
    assert!(
        changes
            .iter()
            .any(|c| c.starts_with("cluster.iam_oidc_provider Update clientIdList")),
        "{changes:#?}"
    );
    let summary = run_as(
        &conn,
        SGX,
        &plan,
        &desired,
        live.outputs,
        DataPolicy::default(),
    )
    .await;
    assert_complete(&summary);
    assert_eq!(egress_of(&conn, &cache_sg).await, vec![]);
    let client_ids = conn
        .clients
        .iam
        .get_open_id_connect_provider()
        .open_id_connect_provider_arn(&oidc)
        .send()
        .await
        .expect("provider")
        .client_id_list()
        .to_vec();
    assert_eq!(client_ids, vec!["sts.amazonaws.com".to_string()]);
    assert_eq!(
        emulator::count(&account, "RemoveClientIDFromOpenIDConnectProvider"),
        1
    );
    let live = read_as(&conn, SGX, &desired).await;
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    assert_eq!(pending(&plan), Vec::<String>::new());

    // A create that landed before a crash, with AWS's default egress still on the group: the
    // re-run finds the group by its tags and revokes the default, and only it.
    let allow_all = aws_sdk_ec2::types::IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(
            aws_sdk_ec2::types::IpRange::builder()
                .cidr_ip("0.0.0.0/0")
                .build(),
        )
        .build();
    conn.clients
        .ec2
        .authorize_security_group_egress()
        .group_id(&db_sg)
        .ip_permissions(allow_all)
        .send()
        .await
        .expect("default egress back");
    let empty = shinyctl::plan::ObservedState::empty(SGX, "us-east-1");
    let again = shinyctl::plan::diff(&desired, &empty);
    let summary = run_as(
        &conn,
        SGX,
        &again,
        &desired,
        BTreeMap::new(),
        DataPolicy::default(),
    )
    .await;
    assert_complete(&summary);
    assert_eq!(egress_of(&conn, &db_sg).await, vec![]);
    assert_eq!(
        egress_of(&conn, &nodes_sg).await,
        vec![("-1".to_string(), "0.0.0.0/0".to_string())]
    );
    let live = read_as(&conn, SGX, &desired).await;
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    assert_eq!(pending(&plan), Vec::<String>::new());

    destroy_all(&conn, SGX, &desired, live).await;
}

const STORES_BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: stores
  region: us-east-1
network:
  cidr: 10.61.0.0/16
  availabilityZones: 2
  natGateway: single
storage:
  efs:
    encrypted: true
    throughputMode: elastic
database:
  engine: mysql
  version: "8.4"
  instanceClass: db.t3.medium
  storageGib: 50
  databaseName: appdb
  backupRetentionDays: 7
cache:
  engine: redis
  version: "7.1"
  nodeType: cache.t3.medium
  clusterMode: enabled
  shards: 2
  replicasPerShard: 1
"#;

/// What changes when the data stores grow or shrink back: one in-place update each.
const STORE_UPDATES: [&str; 3] = [
    "database.db_instance Update",
    "cache.cache_replication_group Update",
    "storage.efs_file_system Update throughputMode",
];

/// The data stores change in place: the DB instance's class, storage and backup retention, the
/// cache's shard and replica counts (up, then down: fewer shards names the ones to remove),
/// EFS's throughput mode.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn data_stores_update_in_place() {
    const STORES: &str = "stores";
    let (account, conn, desired, _) = fresh(STORES, STORES_BLUEPRINT).await;

    let grown = STORES_BLUEPRINT
        .replace("instanceClass: db.t3.medium", "instanceClass: db.t3.large")
        .replace("storageGib: 50", "storageGib: 100")
        .replace("backupRetentionDays: 7", "backupRetentionDays: 14")
        .replace("shards: 2", "shards: 3")
        .replace("replicasPerShard: 1", "replicasPerShard: 2")
        .replace("throughputMode: elastic", "throughputMode: bursting");
    let desired2 = resources(&conn, &grown);
    update_exactly(&conn, STORES, &desired2, &STORE_UPDATES).await;
    let live = read_as(&conn, STORES, &desired2).await;
    let db = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == K::DbInstance)
        .expect("db instance");
    assert_eq!(db.properties["instanceClass"], "db.t3.large");
    assert_eq!(db.properties["allocatedStorage"], 100);
    assert_eq!(db.properties["backupRetentionPeriod"], 14);
    let cache = live
        .observed
        .resources
        .iter()
        .find(|r| r.kind == K::CacheReplicationGroup)
        .expect("replication group");
    assert_eq!(cache.properties["numNodeGroups"], 3);
    assert_eq!(cache.properties["replicasPerNodeGroup"], 2);
    for operation in [
        "ModifyDBInstance",
        "IncreaseReplicaCount",
        "ModifyReplicationGroupShardConfiguration",
        "UpdateFileSystem",
    ] {
        assert_eq!(emulator::count(&account, operation), 1, "{operation}");
    }

    // Back down: fewer replicas and shards.
    let live = update_exactly(&conn, STORES, &desired, &STORE_UPDATES).await;
    assert_eq!(emulator::count(&account, "DecreaseReplicaCount"), 1);
    assert_eq!(
        emulator::count(&account, "ModifyReplicationGroupShardConfiguration"),
        2
    );
    destroy_all(&conn, STORES, &desired, live).await;
}

const AURORA_BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: aurora
  region: us-east-1
network:
  cidr: 10.62.0.0/16
  availabilityZones: 2
  natGateway: single
database:
  engine: aurora-postgresql
  version: "16.9"
  instanceClass: db.r6g.large
  multiAz: true
  databaseName: app
  backupRetentionDays: 7
"#;

/// An Aurora cluster's backup retention and its instances' class change in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn aurora_cluster_and_instances_update_in_place() {
    const AURORA: &str = "aurora";
    let (account, conn, _, _) = fresh(AURORA, AURORA_BLUEPRINT).await;

    let changed = AURORA_BLUEPRINT
        .replace(
            "instanceClass: db.r6g.large",
            "instanceClass: db.r6g.xlarge",
        )
        .replace("backupRetentionDays: 7", "backupRetentionDays: 10");
    let desired2 = resources(&conn, &changed);
    let live = update_exactly(
        &conn,
        AURORA,
        &desired2,
        &[
            "database.db_cluster Update backupRetentionPeriod",
            "database.db_cluster_instance[1] Update instanceClass",
            "database.db_cluster_instance[2] Update instanceClass",
        ],
    )
    .await;
    assert_eq!(emulator::count(&account, "ModifyDBCluster"), 1);
    assert_eq!(emulator::count(&account, "ModifyDBInstance"), 2);
    destroy_all(&conn, AURORA, &desired2, live).await;
}

const SINGLE_CACHE_BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: single
  region: us-east-1
network:
  cidr: 10.63.0.0/16
  availabilityZones: 2
  natGateway: single
cache:
  engine: redis
  version: "7.1"
  nodeType: cache.t3.micro
"#;

/// Without cluster mode, a first replica comes with automatic failover and Multi-AZ: the
/// replica is added before they are turned on, and removed after they are turned off (the
/// emulator refuses failover without a replica, as AWS does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cache_replicas_change_around_failover() {
    const SINGLE: &str = "single";
    let (account, conn, desired, _) = fresh(SINGLE, SINGLE_CACHE_BLUEPRINT).await;
    let replicated = format!("{SINGLE_CACHE_BLUEPRINT}  replicasPerShard: 1\n");
    let desired2 = resources(&conn, &replicated);
    let expected = ["cache.cache_replication_group Update"];
    let live = read_as(&conn, SINGLE, &desired2).await;
    let changes = pending(&shinyctl::plan::diff(&desired2, &live.observed));
    for key in ["replicasPerNodeGroup", "automaticFailover", "multiAz"] {
        assert!(
            changes.iter().any(|c| c.contains(key)),
            "{key} in {changes:#?}"
        );
    }
    update_exactly(&conn, SINGLE, &desired2, &expected).await;
    assert_eq!(emulator::count(&account, "IncreaseReplicaCount"), 1);
    let live = update_exactly(&conn, SINGLE, &desired, &expected).await;
    assert_eq!(emulator::count(&account, "DecreaseReplicaCount"), 1);
    assert_eq!(emulator::count(&account, "ModifyReplicationGroup"), 2);
    destroy_all(&conn, SINGLE, &desired, live).await;
}

/// An NLB's idle timeout is its TCP listener's `tcp.idle_timeout.seconds` attribute: set at
/// create, read back (a no-change plan is clean), changed in place.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nlb_idle_timeout_is_the_tcp_listeners_attribute() {
    let yaml = |seconds: u32| {
        format!(
            "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata: {{name: idle, region: us-east-1}}\n\
             network: {{cidr: 10.7.0.0/16, availabilityZones: 2, natGateway: none}}\n\
             ingress:\n  type: nlb\n  listeners:\n    - {{port: 12345, protocol: TCP}}\n  \
             idleTimeoutSeconds: {seconds}\n"
        )
    };
    let attribute = |conn: Connection, live: LiveState| async move {
        let arn = id_of(&live, "ingress.listener[12345]");
        let answer = conn
            .clients
            .elbv2
            .describe_listener_attributes()
            .listener_arn(arn)
            .send()
            .await
            .expect("listener attributes");
        answer
            .attributes()
            .iter()
            .find(|a| a.key() == Some("tcp.idle_timeout.seconds"))
            .and_then(|a| a.value())
            .map(str::to_string)
    };
    let (_, conn, _, live) = fresh("idle", &yaml(3600)).await;
    assert_eq!(
        attribute(conn.clone(), live.clone()).await.as_deref(),
        Some("3600")
    );
    let desired = resources(&conn, &yaml(1200));
    let live = update_exactly(&conn, "idle", &desired, &["idleTimeoutSeconds"]).await;
    assert_eq!(
        attribute(conn.clone(), live.clone()).await.as_deref(),
        Some("1200")
    );
    destroy_all(&conn, "idle", &desired, live).await;
}

/// Destroy's sweep of what canaries leave: exactly the functions and layers the canaries named
/// (their `EngineArn`, `Code.SourceLocationArn`), none found by name — another canary whose name
/// continues this one's (`cwsyn-alpha-x-…`) keeps its own — and one already gone is no error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweep_deletes_exactly_what_the_canaries_ran_on() {
    use aws_sdk_lambda::primitives::Blob;
    use aws_sdk_lambda::types::{FunctionCode, LayerVersionContentInput, Runtime};
    use shinyctl::aws::cleanup::CanaryLambdas;

    let account = emulator::account();
    let conn = connect(&account).await;
    let lambda = &conn.clients.lambda;
    let role = conn
        .clients
        .iam
        .create_role()
        .role_name("canary-sweep")
        .assume_role_policy_document(
            r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#,
        )
        .send()
        .await
        .expect("role")
        .role
        .expect("a role")
        .arn;
    // An empty zip archive: its end-of-central-directory record alone.
    let mut zip = vec![0x50, 0x4b, 0x05, 0x06];
    zip.resize(22, 0);
    let ours = "cwsyn-alpha-0f1e2d3c-4b5a-6978-8695-a4b3c2d1e0f9";
    let longer = "cwsyn-alpha-x-1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809";
    for name in [ours, longer, "someone-elses"] {
        lambda
            .create_function()
            .function_name(name)
            .runtime(Runtime::Nodejs20x)
            .role(&role)
            .handler("index.handler")
            .code(
                FunctionCode::builder()
                    .zip_file(Blob::new(zip.clone()))
                    .build(),
            )
            .send()
            .await
            .expect("function");
        lambda
            .publish_layer_version()
            .layer_name(name)
            .content(
                LayerVersionContentInput::builder()
                    .zip_file(Blob::new(zip.clone()))
                    .build(),
            )
            .send()
            .await
            .expect("layer");
    }

    let gone = "cwsyn-beta-2b3c4d5e-6f70-8192-a3b4-c5d6e7f80912";
    let scope = Scope {
        cluster: None,
        vpc_id: None,
        canary_lambdas: CanaryLambdas {
            functions: vec![ours.into(), gone.into()],
            layers: vec![ours.into(), gone.into()],
        },
    };
    let swept = cleanup::sweep(&conn, &scope).await.expect("sweep");
    assert_eq!(swept.lambda_functions, [ours]);
    assert_eq!(swept.lambda_layers, [ours]);
    assert_eq!(emulator::count(&account, "ListFunctions"), 0);

    let functions = lambda.list_functions().send().await.expect("functions");
    let mut left: Vec<&str> = functions
        .functions()
        .iter()
        .filter_map(|f| f.function_name())
        .collect();
    left.sort_unstable();
    assert_eq!(left, [longer, "someone-elses"]);
    let layers = lambda.list_layers().send().await.expect("layers");
    let mut left: Vec<&str> = layers
        .layers()
        .iter()
        .filter_map(|l| l.layer_name())
        .collect();
    left.sort_unstable();
    assert_eq!(left, [longer, "someone-elses"]);
}
