//! Re-runs and retries through the real AWS SDK against the emulator: apply → destroy → apply in
//! one account the same day (idempotency tokens are the run's own, never an earlier run's), and a
//! create whose first run crashed half way (found again by its ownership tags).
//!
//! Each test has its own emulator account (see `emulator.rs`).

use std::collections::BTreeMap;

use shinyctl::apply::{EventSink, Executor, Schedule, Summary};
use shinyctl::aws::{AwsOperator, Connection, LiveState, Target};
use shinyctl::plan::{Address, Plan, Resource, ResourceKind as K};

use super::emulator;
use super::live_common::{assert_complete, fast_config, pending};

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
    let loaded = shinyctl::blueprint::load_str("reruns.yaml", BLUEPRINT).expect("loads");
    loaded
        .resources
        .into_iter()
        .filter(|r| matches!(r.kind.service(), "ec2" | "efs"))
        .collect()
}

async fn connect(account: &str) -> Connection {
    let emulator = emulator::shared();
    shinyctl::aws::connect(&Target::emulator(&emulator.endpoint, "us-east-1", account))
        .await
        .expect("connects")
}

async fn read(conn: &Connection, desired: &[Resource]) -> LiveState {
    shinyctl::aws::read(conn, NAME, desired)
        .await
        .expect("live read")
}

/// One run: a new operator, as each `shinyctl apply` or `destroy` makes.
async fn run(
    conn: &Connection,
    plan: &Plan,
    catalog: &[Resource],
    known: BTreeMap<Address, shinyctl::apply::Outputs>,
) -> Summary {
    let schedule = Schedule::from_plan(plan, catalog, true).expect("schedule");
    Executor::new(AwsOperator::new(conn.clone(), NAME), fast_config(5))
        .run(
            &schedule,
            known,
            &EventSink::discard(),
            std::future::pending(),
        )
        .await
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
