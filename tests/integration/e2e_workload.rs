//! The proxy workload through the real binary: the first `apply` of `shinyproxy-eks` in a fresh
//! account stops before the workload, naming `shinyctl images mirror`; once the images are in its
//! ECR the next apply runs the usage-statistics user's Job, then deploys, and the emulator's
//! Kubernetes stand-in holds ShinyProxy's objects with the ownership labels; the secret planted
//! in Secrets Manager never reaches shinyctl's output, and `destroy` removes the workload before
//! the cluster.

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
    workload_objects_of(account, CLUSTER)
}

/// ShinyProxy's objects on the cluster of blueprint `cluster` in [`REGION`].
pub(super) fn workload_objects_of(account: &Account, cluster: &str) -> Vec<DynamicObject> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async {
        let target = Target::emulator(&account.endpoint, REGION, &account.id);
        let conn = shinyctl::aws::connect(&target).await.expect("connect");
        let access = shinyctl::aws::eks_token::cluster_access(&conn, &target, cluster)
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

    // Issue 19 item 5: in a fresh account the first apply makes the AWS side, ECR repositories
    // among it, and stops before the workload: ShinyProxy's image and the usage-statistics Job's
    // are not in the blueprint's ECR yet. It names the command that copies them.
    let stopped = account.apply(&blueprint);
    assert_ne!(stopped.code, 0, "{stopped}");
    no_secret_in(&stopped, "apply");
    let said = format!("{}{}", stopped.stdout, stopped.stderr);
    assert!(
        said.contains(&format!("shinyctl images mirror -f {blueprint}")),
        "{stopped}"
    );
    assert!(
        said.contains("/workload/openanalytics/shinyproxy:3.2.0 (proxy.image)"),
        "{stopped}"
    );
    assert!(
        said.contains("/workload/postgres:17.5-alpine (proxy.usageStatsUser.image)"),
        "{stopped}"
    );
    assert!(
        !workload_objects(&account)
            .iter()
            .any(|o| o.types.as_ref().is_some_and(|t| t.kind == "Deployment")),
        "nothing of the workload is deployed"
    );
    // The plan can tell now (the repositories exist): it warns.
    let warned = account.run(&["plan", "-f", &blueprint]);
    assert!(
        warned.stdout.contains("not in the blueprint's ECR")
            || warned.stderr.contains("not in the blueprint's ECR"),
        "{warned}"
    );
    // The user mirrors (here: the images are put into the emulator's ECR) and runs apply again.
    let mirrored = super::e2e::put_missing_images(&account, &stopped);
    assert_eq!(mirrored.len(), 2, "{mirrored:?}");
    let before_apply = emulator::calls(&account.id).len();
    let applied = account.apply(&blueprint);
    assert_eq!(applied.code, 0, "{applied}");
    no_secret_in(&applied, "apply");

    // Item 4: the usage-statistics user's Job ran before ShinyProxy's Deployment and is gone.
    let calls = emulator::calls(&account.id);
    let kube_call = |method: &str, path: &str| {
        calls[before_apply..].iter().position(|c| {
            c.service == "kubernetes"
                && c.operation.starts_with(method)
                && c.operation.ends_with(path)
        })
    };
    let job_path = "/jobs/shinyproxy-usage-stats-user";
    let deployment_path = "/deployments/shinyproxy";
    let job_applied = kube_call("PATCH", job_path).expect("the Job was applied");
    // (Its first DELETE clears a Job an earlier apply might have left: answered 404 here.)
    let job_deleted = calls[before_apply..]
        .iter()
        .rposition(|c| {
            c.service == "kubernetes"
                && c.operation.starts_with("DELETE")
                && c.operation.ends_with(job_path)
                && c.status == 200
        })
        .expect("the Job was deleted");
    let deployment_applied = kube_call("PATCH", deployment_path).expect("the Deployment");
    assert!(job_applied < job_deleted && job_deleted < deployment_applied);
    assert!(kube_call("DELETE", "/secrets/shinyproxy-database-admin").is_some());

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

    // Issue 19 item 4: a new value of a secret the pods read (here the usage-statistics user's
    // password, rotated) rolls them: its version is on the pod template, never the value.
    let proxy_version = |account: &Account| {
        let deployment = workload_objects(account)
            .into_iter()
            .find(|o| o.types.as_ref().is_some_and(|t| t.kind == "Deployment"))
            .expect("the Deployment");
        let value = serde_json::to_value(&deployment).unwrap();
        shinyctl::workload::rollout::version_of(&value)
            .expect("PROXY_VERSION")
            .parse::<u64>()
            .expect("a number")
    };
    let before = proxy_version(&account);
    const ROTATED: &str = "rotated-password-5d1e";
    super::e2e::boto3(
        &account,
        REGION,
        r#"client("secretsmanager").put_secret_value(SecretId=args[0], SecretString=args[1])"#,
        &["analytics/usage-stats-password", ROTATED],
    );
    let rotated = account.run(&["plan", "-f", &blueprint, "--detailed-exitcode"]);
    assert_eq!(rotated.code, 2, "{rotated}");
    assert!(
        rotated.stdout.contains("shinyctl.dev/secret-versions"),
        "{rotated}"
    );
    // The user's new password is set by the Job again, before the pods roll.
    assert!(
        rotated
            .stdout
            .contains("workload.job[shinyproxy-usage-stats-user]"),
        "{rotated}"
    );
    let jobs_before = emulator::calls(&account.id)
        .iter()
        .filter(|c| c.operation.starts_with("PATCH") && c.operation.ends_with(job_path))
        .count();
    assert!(!rotated.stdout.contains(ROTATED) && !rotated.stderr.contains(ROTATED));
    let applied = account.apply(&blueprint);
    assert_eq!(applied.code, 0, "{applied}");
    assert!(!applied.stdout.contains(ROTATED) && !applied.stderr.contains(ROTATED));
    assert!(
        proxy_version(&account) > before,
        "the new pods outrank the old"
    );
    let jobs_after = emulator::calls(&account.id)
        .iter()
        .filter(|c| c.operation.starts_with("PATCH") && c.operation.ends_with(job_path))
        .count();
    assert_eq!(
        jobs_after,
        jobs_before + 1,
        "the Job ran for the new password"
    );
    let settled = account.run(&["plan", "-f", &blueprint, "--detailed-exitcode"]);
    assert_eq!(settled.code, 0, "{settled}");

    // Item 6: a configuration change is shown as the lines of application.yml that change.
    let changed = runnable.replacen(
        "heartbeatTimeoutSeconds: 60",
        "heartbeatTimeoutSeconds: 90",
        1,
    );
    assert_ne!(changed, runnable);
    let changed_path = account.write("changed.yaml", &changed);
    let diffed = account.run(&["plan", "-f", &changed_path, "--detailed-exitcode"]);
    assert_eq!(diffed.code, 2, "{diffed}");
    for line in [
        "~ data[\"application.yml\"]:",
        "-   heartbeat-timeout: 60000",
        "+   heartbeat-timeout: 90000",
    ] {
        assert!(diffed.stdout.contains(line), "{line:?} in\n{diffed}");
    }
    no_secret_in(&diffed, "plan of a changed configuration");

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
