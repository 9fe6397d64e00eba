//! The proxy workload through the real binary: after `apply` of `shinyproxy-eks` the emulator's
//! Kubernetes stand-in holds ShinyProxy's objects with the ownership labels, the OIDC client
//! secret planted in Secrets Manager never reaches shinyctl's output, and `destroy` removes the
//! workload before the cluster.

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind};
use shinyctl::aws::Target;

use super::e2e::{Account, plant_secrets, with_emulator_certificate};
use super::emulator;
use super::support::{Run, repo_root};

const REGION: &str = "cn-northwest-1";
/// The blueprint's name, and so its cluster's: not the shipped `analytics`, whose canary bucket
/// name (S3 names are global, in the emulator too) the shinyproxy-eks cycle may hold right now.
const CLUSTER: &str = "workload";
const SECRET: &str = "oidc-secret-value-7f3a9c1e";

fn no_secret_in(run: &Run, what: &str) {
    assert!(
        !run.stdout.contains(SECRET) && !run.stderr.contains(SECRET),
        "{what} printed the planted secret value"
    );
}

/// ShinyProxy's objects as the stand-in holds them.
fn workload_objects(account: &Account) -> Vec<DynamicObject> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let target = Target::emulator(&account.endpoint, REGION, &account.id);
        let conn = shinyctl::aws::connect(&target).await.expect("connect");
        let access = shinyctl::aws::eks_token::cluster_access(&conn, &target, CLUSTER)
            .await
            .expect("cluster access");
        let client = shinyctl::workload::deploy::client(
            &access.endpoint,
            access.certificate_authority_data.as_deref(),
            &access.token,
        )
        .await
        .expect("a kube client");
        let mut objects = Vec::new();
        for (group, version, kind, plural, namespace) in [
            ("apps", "v1", "Deployment", "deployments", "shinyproxy"),
            ("", "v1", "ConfigMap", "configmaps", "shinyproxy"),
            (
                "rbac.authorization.k8s.io",
                "v1",
                "Role",
                "roles",
                "shiny-apps",
            ),
            (
                "rbac.authorization.k8s.io",
                "v1",
                "RoleBinding",
                "rolebindings",
                "shiny-apps",
            ),
        ] {
            let resource = ApiResource::from_gvk_with_plural(
                &GroupVersionKind::gvk(group, version, kind),
                plural,
            );
            let api: Api<DynamicObject> =
                Api::namespaced_with(client.clone(), namespace, &resource);
            let listed = api
                .list(&Default::default())
                .await
                .unwrap_or_else(|e| panic!("list {kind} in {namespace}: {e}"));
            objects.extend(listed.items.into_iter().map(|mut o| {
                o.types = Some(kube::api::TypeMeta {
                    api_version: resource.api_version.clone(),
                    kind: kind.to_string(),
                });
                o
            }));
        }
        objects
    })
}

#[test]
fn shinyproxy_is_deployed_labelled_without_leaking_secrets_and_removed_before_the_cluster() {
    let account = Account::new();
    let original = std::fs::read_to_string(repo_root().join("blueprints/shinyproxy-eks.yaml"))
        .expect("blueprint");
    let renamed = original.replacen("  name: analytics ", &format!("  name: {CLUSTER} "), 1);
    assert_ne!(renamed, original, "the blueprint's metadata.name");
    let runnable = with_emulator_certificate(&account, &renamed, REGION);
    plant_secrets(&account, &runnable, REGION, SECRET);
    let blueprint = account.write("shinyproxy.yaml", &runnable);

    let applied = account.apply(&blueprint);
    assert_eq!(applied.code, 0, "{applied}");
    no_secret_in(&applied, "apply");

    let objects = workload_objects(&account);
    let mut kinds: Vec<(String, String)> = objects
        .iter()
        .map(|o| {
            let kind = o.types.as_ref().map(|t| t.kind.clone()).unwrap_or_default();
            (kind, o.metadata.name.clone().unwrap_or_default())
        })
        .collect();
    kinds.sort();
    for expected in [
        ("ConfigMap", "shinyproxy-config"),
        ("Deployment", "shinyproxy"),
        ("Role", "shinyproxy"),
        ("RoleBinding", "shinyproxy"),
    ] {
        assert!(
            kinds.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} missing from {kinds:?}"
        );
    }
    for object in &objects {
        let labels = object.metadata.labels.clone().unwrap_or_default();
        assert_eq!(
            labels
                .get("app.kubernetes.io/managed-by")
                .map(String::as_str),
            Some("shinyctl"),
            "{:?}",
            object.metadata.name
        );
        assert_eq!(
            labels.get("shinyctl.dev/blueprint").map(String::as_str),
            Some(CLUSTER),
            "{:?}",
            object.metadata.name
        );
    }

    // ShinyProxy's sessions expire through keyspace events, which ElastiCache lets only the
    // parameter group set (the proxy's own CONFIG SET is refused).
    let events = super::e2e::boto3(
        &account,
        REGION,
        r#"
ec = client("elasticache")
params = ec.describe_cache_parameters(CacheParameterGroupName=args[0])["Parameters"]
print([p.get("ParameterValue") for p in params if p["ParameterName"] == "notify-keyspace-events"][0])
"#,
        &[&format!("{CLUSTER}-cache-params")],
    );
    assert_eq!(events, "Egx");

    let planned = account.run(&["plan", "-f", &blueprint, "--json", "--detailed-exitcode"]);
    assert_eq!(planned.code, 0, "{planned}");
    no_secret_in(&planned, "plan --json");
    let planned = account.run(&["plan", "-f", &blueprint]);
    no_secret_in(&planned, "plan");

    let destroyed = account.destroy(&blueprint);
    assert_eq!(destroyed.code, 0, "{destroyed}");
    no_secret_in(&destroyed, "destroy");
    let calls = emulator::calls(&account.id);
    let position = |found: &dyn Fn(&emulator::Call) -> bool| calls.iter().position(found);
    let workload_deleted = position(&|c| {
        c.service == "kubernetes"
            && c.operation.starts_with("DELETE ")
            && c.operation.contains("/deployments/shinyproxy")
    })
    .expect("destroy deleted the Deployment");
    let cluster_deleted = position(&|c| c.service == "eks" && c.operation == "DeleteCluster")
        .expect("cluster deleted");
    assert!(
        workload_deleted < cluster_deleted,
        "the workload goes before the cluster"
    );
}
