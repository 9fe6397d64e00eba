//! IAM roles for service accounts and the EFS CSI add-on through the real AWS SDK against the
//! emulator: the trust policy reaches IAM with the cluster's issuer host in its condition keys
//! (embedded references resolved), reads back as the catalog wrote it (no changes), drift in the
//! trust policy or the add-on's role is an update that puts it right, and destroy removes both.

use std::collections::BTreeMap;

use serde_json::Value;
use shinyctl::apply::Summary;
use shinyctl::aws::{AwsOperator, Connection, LiveState};
use shinyctl::plan::{Address, Plan, Resource, ResourceKind as K};

use super::emulator;
use super::live_common::{assert_complete, connect, execute, fast_config, pending, read_as};

const NAME: &str = "liveirsa";
const BLUEPRINT: &str = r#"
apiVersion: shinyctl.dev/v1alpha1
kind: Blueprint
metadata:
  name: liveirsa
  region: us-east-1
network:
  cidr: 10.30.0.0/16
  availabilityZones: 2
  natGateway: single
cluster:
  version: "1.35"
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
      - name: shared
        path: /shared
        uid: 1000
        gid: 1000
"#;
const ROLE: &str = "cluster.iam_role.efs_csi_driver";
const ADDON: &str = "cluster.eks_addon[aws-efs-csi-driver]";

async fn read(conn: &Connection, desired: &[Resource]) -> LiveState {
    read_as(conn, NAME, desired).await
}

async fn run(
    conn: &Connection,
    plan: &Plan,
    catalog: &[Resource],
    known: BTreeMap<Address, shinyctl::apply::Outputs>,
) -> Summary {
    let operator = AwsOperator::new(conn.clone(), NAME);
    execute(operator, fast_config(11), plan, catalog, known).await
}

/// Plans against what exists, applies, and returns the plan's pending changes.
async fn converge(conn: &Connection, desired: &[Resource]) -> Vec<String> {
    let live = read(conn, desired).await;
    let plan = shinyctl::plan::diff(desired, &live.observed);
    assert_complete(&run(conn, &plan, desired, live.outputs).await);
    pending(&plan)
}

fn observed_id(live: &LiveState, address: &str) -> String {
    live.observed
        .resources
        .iter()
        .find(|r| r.address.as_str() == address)
        .unwrap_or_else(|| panic!("{address} not read"))
        .id
        .clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn irsa_trust_and_the_efs_csi_addon_apply_read_back_and_destroy() {
    let conn = connect(&emulator::account()).await;
    let desired = shinyctl::load::load_str("irsa.yaml", BLUEPRINT)
        .expect("blueprint loads")
        .in_account(&conn.account)
        .resources;
    assert!(desired.iter().any(|r| r.kind == K::EksAddon));

    assert!(!converge(&conn, &desired).await.is_empty());

    // In IAM: the issuer host (the provider ARN's path) in front of the condition keys.
    let live = read(&conn, &desired).await;
    let provider_arn = observed_id(&live, "cluster.iam_oidc_provider");
    let host = provider_arn
        .split_once(":oidc-provider/")
        .map(|(_, h)| h.to_string())
        .expect("provider ARN");
    let role_arn = observed_id(&live, ROLE);
    let got = conn
        .clients
        .iam
        .get_role()
        .role_name("liveirsa-efs-csi-driver")
        .send()
        .await
        .expect("role");
    let trust = shinyctl::aws::services::iam::policy_document(
        got.role()
            .and_then(|r| r.assume_role_policy_document())
            .unwrap_or("{}"),
    );
    let statement = &trust["Statement"][0];
    assert_eq!(statement["Principal"]["Federated"], provider_arn.as_str());
    assert_eq!(
        statement["Condition"]["StringEquals"][format!("{host}:sub")],
        "system:serviceaccount:kube-system:efs-csi-controller-sa"
    );
    assert_eq!(
        statement["Condition"]["StringEquals"][format!("{host}:aud")],
        "sts.amazonaws.com"
    );
    // The add-on runs as that role.
    let addon = conn
        .clients
        .eks
        .describe_addon()
        .cluster_name(NAME)
        .addon_name("aws-efs-csi-driver")
        .send()
        .await
        .expect("add-on")
        .addon
        .expect("add-on");
    assert_eq!(addon.service_account_role_arn(), Some(role_arn.as_str()));
    assert_eq!(addon.status().map(|s| s.as_str()), Some("ACTIVE"));

    // Read back: the reader restores the embedded references, so nothing changes.
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );

    // Drift behind shinyctl's back: another service account trusted, the add-on bound to another role.
    let mut drifted: Value = trust.clone();
    drifted["Statement"][0]["Condition"]["StringEquals"][format!("{host}:sub")] =
        Value::from("system:serviceaccount:default:intruder");
    conn.clients
        .iam
        .update_assume_role_policy()
        .role_name("liveirsa-efs-csi-driver")
        .policy_document(drifted.to_string())
        .send()
        .await
        .expect("drift the trust policy");
    conn.clients
        .eks
        .update_addon()
        .cluster_name(NAME)
        .addon_name("aws-efs-csi-driver")
        // Another role, not "": the model's RoleArn has min length 1, so EKS refuses an empty one.
        .service_account_role_arn(role_arn.replace("liveirsa-efs-csi-driver", "intruder"))
        .send()
        .await
        .expect("drift the add-on");
    let mut changes = converge(&conn, &desired).await;
    changes.sort();
    assert_eq!(changes.len(), 2, "{changes:#?}");
    assert!(changes[0].starts_with(&format!("{ADDON} Update serviceAccountRoleArn")));
    assert!(changes[1].starts_with(&format!("{ROLE} Update assumeRolePolicy")));
    let live = read(&conn, &desired).await;
    assert_eq!(
        pending(&shinyctl::plan::diff(&desired, &live.observed)),
        Vec::<String>::new()
    );

    // Destroy: nothing of the blueprint's is left.
    let plan = shinyctl::plan::diff(&[], &live.observed);
    assert_complete(&run(&conn, &plan, &desired, live.outputs).await);
    assert!(read(&conn, &desired).await.observed.resources.is_empty());
}
