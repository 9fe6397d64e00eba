//! Re-runs and retries through the real AWS SDK against the emulator: apply → destroy → apply in
//! one account the same day (idempotency tokens are the run's own, never an earlier run's), and a
//! create whose first run crashed half way (found again by its ownership tags).
//!
//! Each test has its own emulator account (see `emulator.rs`).

use std::collections::BTreeMap;

use shinyctl::apply::Summary;
use shinyctl::aws::{AwsOperator, Connection, LiveState};
use shinyctl::plan::{Address, Plan, Resource, ResourceKind as K};

use super::emulator;
use super::live_common::{assert_complete, connect, execute, fast_config, pending, read_as};

const NAME: &str = "reruns";

const BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: reruns
  region: us-east-1
network:
  cidr: 10.30.0.0/16
  availabilityZones: 2
  natGateway: single
storage:
  efs:
    encrypted: true
    accessPoints:
      - name: shared-data
        path: /shiny/data
        uid: 1000
        gid: 1000
"#;

/// The network and EFS parts of the blueprint: NAT gateways and EFS access points take a client
/// token.
fn network() -> Vec<Resource> {
    let loaded = shinyctl::load::load_str("reruns.yaml", BLUEPRINT).expect("loads");
    loaded
        .resources
        .into_iter()
        .filter(|r| matches!(r.kind.service(), "ec2" | "efs"))
        .collect()
}

async fn read(conn: &Connection, desired: &[Resource]) -> LiveState {
    read_as(conn, NAME, desired).await
}

/// One run: a new operator, as each `shinyctl apply` or `destroy` makes.
async fn run(
    conn: &Connection,
    plan: &Plan,
    catalog: &[Resource],
    known: BTreeMap<Address, shinyctl::apply::Outputs>,
) -> Summary {
    let operator = AwsOperator::new(conn.clone(), NAME);
    execute(operator, fast_config(5), plan, catalog, known).await
}

async fn apply(conn: &Connection, desired: &[Resource]) -> Summary {
    let live = read(conn, desired).await;
    let plan = shinyctl::plan::diff(desired, &live.observed);
    run(conn, &plan, desired, live.outputs).await
}

async fn destroy(conn: &Connection, desired: &[Resource]) -> Summary {
    let live = read(conn, desired).await;
    let plan = shinyctl::plan::diff(&[], &live.observed);
    run(conn, &plan, desired, live.outputs).await
}

/// A CI pipeline's ephemeral environment: apply, destroy and apply again within minutes. The
/// second NAT gateway lives in a new subnet; a token reused from the first run is AWS's
/// `IdempotentParameterMismatch` (EC2 remembers tokens after the resource is gone).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn apply_destroy_apply_the_same_day_converges() {
    let account = emulator::account();
    let conn = connect(&account).await;
    let desired = network();
    assert!(desired.iter().any(|r| r.kind == K::NatGateway));
    assert!(desired.iter().any(|r| r.kind == K::EfsAccessPoint));

    assert_complete(&apply(&conn, &desired).await);
    assert_complete(&destroy(&conn, &desired).await);
    assert_eq!(read(&conn, &desired).await.observed.resources, vec![]);

    let again = apply(&conn, &desired).await;
    assert_complete(&again);
    assert_eq!(emulator::count(&account, "CreateNatGateway"), 2);
    assert_eq!(emulator::count(&account, "CreateAccessPoint"), 2);
    let live = read(&conn, &desired).await;
    assert!(live.duplicates.is_empty(), "{:?}", live.duplicates);
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    assert_eq!(pending(&plan), Vec::<String>::new());
}

/// A run that crashed after its creates (its answers lost with it) is followed by a run with
/// new tokens: it finds the NAT gateway and the EFS access point by their ownership tags instead
/// of making second ones.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_run_after_a_crash_duplicates_nothing() {
    let account = emulator::account();
    let conn = connect(&account).await;
    let desired = network();
    assert_complete(&apply(&conn, &desired).await);

    // The crashed run's knowledge is lost: the next one plans everything as new.
    let empty = shinyctl::plan::ObservedState::empty(NAME, "us-east-1");
    let all_new = shinyctl::plan::diff(&desired, &empty);
    assert_complete(&run(&conn, &all_new, &desired, BTreeMap::new()).await);
    assert_eq!(emulator::count(&account, "CreateNatGateway"), 1);
    assert_eq!(emulator::count(&account, "CreateAccessPoint"), 1);
    let live = read(&conn, &desired).await;
    assert!(live.duplicates.is_empty(), "{:?}", live.duplicates);
    assert_eq!(live.observed.resources.len(), desired.len());
}

// --- IAM propagation and canaries in ERROR ---------------------------------------------------

/// Roles the EKS objects and the canary assume, made in the same apply that uses them.
const PLATFORM_BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: fresh
  region: us-east-1
network:
  cidr: 10.40.0.0/16
  availabilityZones: 2
  natGateway: single
cluster:
  version: "1.34"
  fargateProfiles:
    - name: apps
      selectors: [{namespace: shiny-apps}]
  nodeGroups:
    - name: proxy
      instanceTypes: [m6i.large]
      desired: 2
      min: 2
      max: 4
ingress:
  type: alb
  scheme: internet-facing
  listeners:
    - {port: 80, protocol: HTTP}
monitoring:
  canaries:
    - name: login
      path: /login
      every: 5m
"#;

const CANARY: &str = "monitoring.canary[login]";

/// The platform as blueprint `name`: each test its own, as bucket names are global across the
/// emulator's accounts.
/// Derived for `account`: bucket names hold it.
fn platform(name: &str, account: &str) -> Vec<Resource> {
    let yaml = PLATFORM_BLUEPRINT.replace("name: fresh", &format!("name: {name}"));
    shinyctl::load::load_str("fresh.yaml", &yaml)
        .expect("loads")
        .in_account(account)
        .resources
}

/// Sets how long the emulator keeps a role just made or changed unusable, for `account` only
/// (key `iam_propagation`; see docs/emulator.md).
fn set_iam_propagation(account: &str, seconds: f64) {
    emulator::set_durations(account, &[("iam_propagation", seconds)]);
}

/// Calls of `operation` the emulator refused with a 4xx.
fn refused(account: &str, operation: &str) -> usize {
    emulator::calls(account)
        .iter()
        .filter(|c| c.operation == operation && (400..500).contains(&c.status))
        .count()
}

async fn run_platform(
    conn: &Connection,
    name: &str,
    desired: &[Resource],
    config: shinyctl::apply::Config,
) -> Summary {
    let live = read_as(conn, name, desired).await;
    let plan = shinyctl::plan::diff(desired, &live.observed);
    execute(
        AwsOperator::new(conn.clone(), name),
        config,
        &plan,
        desired,
        live.outputs,
    )
    .await
}

async fn pending_platform(conn: &Connection, name: &str, desired: &[Resource]) -> Vec<String> {
    let live = read_as(conn, name, desired).await;
    assert!(live.duplicates.is_empty(), "{:?}", live.duplicates);
    pending(&shinyctl::plan::diff(desired, &live.observed))
}

/// A first apply makes the roles and, a moment later, the cluster, node group, Fargate profile
/// and canary that assume them: EKS refuses the roles while they propagate and the canary goes
/// to ERROR; the apply retries exactly those and converges.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_apply_right_after_its_roles_are_made_survives_their_propagation() {
    let account = emulator::account();
    let conn = connect(&account).await;
    set_iam_propagation(&account, 1.5);
    let name = "fresh";
    let desired = platform(name, &account);
    assert!(desired.iter().any(|r| r.kind == K::Canary));

    assert_complete(&run_platform(&conn, name, &desired, fast_config(13)).await);
    assert!(refused(&account, "CreateCluster") > 0, "the window was hit");
    assert_eq!(
        pending_platform(&conn, name, &desired).await,
        Vec::<String>::new()
    );
}

/// A canary left in ERROR by a failed apply (its role too new, and no retries left) is
/// replaced by the next apply, which then converges: no plan keeps failing on it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_canary_in_error_is_replaced_by_the_next_apply() {
    let account = emulator::account();
    let conn = connect(&account).await;
    set_iam_propagation(&account, 600.0);
    let name = "failed";
    let desired = platform(name, &account);

    let mut impatient = fast_config(17);
    impatient.retries.propagating.max_attempts = 1;
    let summary = run_platform(&conn, name, &desired, impatient).await;
    let failed: Vec<&str> = summary
        .failed
        .iter()
        .map(|f| f.step.address.as_str())
        .collect();
    assert!(failed.contains(&CANARY), "{failed:?}");

    // The plan replaces the canary because of its state.
    let live = read_as(&conn, name, &desired).await;
    let plan = shinyctl::plan::diff(&desired, &live.observed);
    let change = plan.change(CANARY).expect("the canary is in the plan");
    assert_eq!(change.action, shinyctl::plan::Action::Replace);
    assert_eq!(change.replaced_because.as_deref(), Some("status"));

    set_iam_propagation(&account, 0.0);
    assert_complete(&run_platform(&conn, name, &desired, fast_config(19)).await);
    assert_eq!(
        pending_platform(&conn, name, &desired).await,
        Vec::<String>::new()
    );
    // The failed canary's Lambda went with it.
    let functions = conn
        .clients
        .lambda
        .list_functions()
        .send()
        .await
        .expect("list functions");
    let canary_functions = functions
        .functions()
        .iter()
        .filter_map(|f| f.function_name())
        .filter(|n| n.starts_with("cwsyn-"))
        .count();
    assert!(canary_functions <= 1, "{canary_functions} canary functions");
}

/// The same for the cluster's requests: EKS and EC2 remember the client tokens of the cluster,
/// node group, Fargate profile and launch template after they are deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_applied_destroyed_and_applied_again_converges() {
    let account = emulator::account();
    let conn = connect(&account).await;
    let name = "again";
    let desired = platform(name, &account);
    assert_complete(&run_platform(&conn, name, &desired, fast_config(23)).await);
    let live = read_as(&conn, name, &desired).await;
    let plan = shinyctl::plan::diff(&[], &live.observed);
    let operator = AwsOperator::new(conn.clone(), name);
    let destroyed = execute(operator, fast_config(29), &plan, &desired, live.outputs).await;
    assert_complete(&destroyed);

    assert_complete(&run_platform(&conn, name, &desired, fast_config(31)).await);
    assert_eq!(emulator::count(&account, "CreateCluster"), 2);
    assert_eq!(emulator::count(&account, "CreateLaunchTemplate"), 2);
    assert_eq!(
        pending_platform(&conn, name, &desired).await,
        Vec::<String>::new()
    );
}
