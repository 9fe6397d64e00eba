//! The proxy workload of every blueprint in `blueprints/` that has a `proxy`: `shinyctl render`
//! output snapshotted, and every manifest validated against the upstream Kubernetes schemas of the
//! blueprint's cluster version (kubernetes-validate) and scanned by checkov with zero failed
//! checks. The validators run from `.cache/validators-venv`, which `cargo xtask ci` creates; without
//! it this suite fails (it never skips).

use std::path::PathBuf;
use std::process::Command;

use insta::assert_snapshot;

use crate::support::{Scratch, relative, repo_root, shinyctl, shipped_blueprints};

fn proxy_blueprints() -> Vec<(PathBuf, shinyctl::blueprint::Blueprint)> {
    shipped_blueprints()
        .into_iter()
        .filter_map(|file| {
            let loaded = shinyctl::blueprint::load_file(&file).expect("shipped blueprints load");
            loaded
                .blueprint
                .proxy
                .is_some()
                .then_some((file, loaded.blueprint))
        })
        .collect()
}

fn stem(file: &std::path::Path) -> String {
    file.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("blueprint")
        .to_string()
}

/// Every file under `dir`, sorted, as `=== path ===` sections.
fn listing(dir: &std::path::Path) -> String {
    let mut files = vec![dir.join("application.yml")];
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(dir.join("manifests"))
        .expect("render wrote manifests/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    manifests.sort();
    files.extend(manifests);
    files
        .iter()
        .map(|path| {
            let name = path.strip_prefix(dir).unwrap_or(path).display().to_string();
            let text = std::fs::read_to_string(path).expect("rendered file reads");
            format!("=== {name} ===\n{text}")
        })
        .collect()
}

fn validators_python() -> PathBuf {
    let python = repo_root().join(".cache/validators-venv/bin/python");
    assert!(
        python.exists(),
        "{} is missing: run `cargo xtask ci` once (it creates the validators' virtualenv from tests/workload/requirements.txt)",
        python.display()
    );
    python
}

#[test]
fn there_is_a_blueprint_with_a_proxy() {
    assert!(!proxy_blueprints().is_empty());
}

#[test]
fn every_proxy_blueprint_renders_the_same_files() {
    for (file, _) in proxy_blueprints() {
        let out = Scratch::new();
        shinyctl(&["render", "-f", &relative(&file), "--out", &out.file("out")]).expect_code(0);
        let dir = out.path().join("out");
        let first = listing(&dir);
        assert_snapshot!(format!("render_{}", stem(&file)), first);
        // Rendering again into the same directory changes nothing.
        shinyctl(&["render", "-f", &relative(&file), "--out", &out.file("out")]).expect_code(0);
        assert_eq!(listing(&dir), first);
    }
}

#[test]
fn every_rendered_manifest_passes_kubernetes_validate_and_checkov() {
    let python = validators_python();
    for (file, bp) in proxy_blueprints() {
        let out = Scratch::new();
        shinyctl(&["render", "-f", &relative(&file), "--out", &out.file("out")]).expect_code(0);
        let version = bp
            .cluster
            .as_ref()
            .map(|c| c.version.clone())
            .expect("a proxy needs a cluster");
        let run = Command::new(&python)
            .arg(repo_root().join("tests/workload/validate.py"))
            .args(["--kubernetes-version", &schema_version(&version)])
            .arg(out.path().join("out/manifests"))
            .output()
            .expect("the validators' python runs");
        let stdout = String::from_utf8_lossy(&run.stdout);
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            run.status.success(),
            "{}: manifests fail validation\n{stdout}\n{stderr}",
            relative(&file)
        );
        assert!(stdout.contains(" passed, 0 failed"), "{stdout}");
    }
}

#[test]
fn render_without_a_proxy_says_so() {
    let out = Scratch::new();
    let run = shinyctl(&[
        "render",
        "-f",
        "blueprints/minimal.yaml",
        "--out",
        &out.file("out"),
    ])
    .expect_code(1);
    assert!(run.stderr.contains("no `proxy` section"), "{run}");
}

#[test]
fn render_removes_manifests_the_blueprint_no_longer_has() {
    let (file, _) = proxy_blueprints().remove(0);
    let out = Scratch::new();
    let stale = out.path().join("out/manifests/99-configmap-old.yaml");
    std::fs::create_dir_all(stale.parent().unwrap()).unwrap();
    std::fs::write(&stale, "old").unwrap();
    shinyctl(&["render", "-f", &relative(&file), "--out", &out.file("out")]).expect_code(0);
    assert!(!stale.exists());
}

// --- Deploying to the emulator's Kubernetes API stand-in ---------------------------------------

mod deploy {
    use std::collections::BTreeMap;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    use kube::api::{
        Api, ApiResource, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
    };
    use shinyctl::apply::wait::PollSchedule;
    use shinyctl::aws::{Connection, Target};
    use shinyctl::blueprint::Blueprint;
    use shinyctl::workload::deploy::{self, DeployError, RolloutWait};
    use shinyctl::workload::{self, PlatformFacts};

    use crate::emulator;
    use crate::support::repo_root;

    fn example() -> Blueprint {
        shinyctl::blueprint::load_file(&repo_root().join("blueprints/shinyproxy-eks.yaml"))
            .expect("the example loads")
            .blueprint
    }

    /// An ACTIVE EKS cluster named after the blueprint in a fresh emulator account.
    async fn cluster(bp: &Blueprint) -> (String, Connection) {
        let account = emulator::account();
        let conn = shinyctl::aws::connect(&target(&account))
            .await
            .expect("connects to the emulator");
        let name = &bp.metadata.name;
        conn.clients
            .eks
            .create_cluster()
            .name(name)
            .role_arn(format!("arn:aws:iam::{account}:role/eks"))
            .resources_vpc_config(
                aws_sdk_eks::types::VpcConfigRequest::builder()
                    .subnet_ids("subnet-12345678")
                    .build(),
            )
            .send()
            .await
            .expect("creates the cluster");
        for _ in 0..100 {
            let described = conn.clients.eks.describe_cluster().name(name).send().await;
            let active = described
                .ok()
                .and_then(|d| d.cluster)
                .and_then(|c| c.status)
                == Some(aws_sdk_eks::types::ClusterStatus::Active);
            if active {
                return (account, conn);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cluster {name} never became ACTIVE");
    }

    fn target(account: &str) -> Target {
        Target::emulator(&emulator::shared().endpoint, "us-east-1", account)
    }

    async fn client(conn: &Connection, bp: &Blueprint) -> kube::Client {
        let access = shinyctl::aws::eks_token::cluster_access(
            conn,
            &target(&conn.account),
            &bp.metadata.name,
        )
        .await
        .expect("cluster access");
        assert!(access.token.starts_with("k8s-aws-v1."));
        deploy::client(
            &access.endpoint,
            access.certificate_authority_data.as_deref(),
            &access.token,
        )
        .await
        .expect("a kube client")
    }

    fn secret_values() -> BTreeMap<String, String> {
        [
            "SHINYCTL_OPENID_CLIENT_SECRET",
            "SHINYCTL_DATABASE_USERNAME",
            "SHINYCTL_DATABASE_PASSWORD",
        ]
        .into_iter()
        .map(|k| (k.to_string(), format!("value-of-{k}")))
        .collect()
    }

    fn quick() -> RolloutWait {
        RolloutWait {
            timeout: Duration::from_secs(20),
            schedule: PollSchedule::every(Duration::from_millis(100)),
        }
    }

    /// `PUT /_emulator/profile?account=A` with a JSON body.
    fn set_profile(account: &str, body: &str) {
        let endpoint = &emulator::shared().endpoint;
        let host = endpoint.trim_start_matches("http://");
        let mut stream = TcpStream::connect(host).expect("emulator");
        write!(
            stream,
            "PUT /_emulator/profile?account={account} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        assert!(
            response.starts_with("HTTP/1.1 200") || response.starts_with("HTTP/1.0 200"),
            "{response}"
        );
    }

    fn api(
        client: &kube::Client,
        group: &str,
        version: &str,
        kind: &str,
        plural: &str,
        ns: Option<&str>,
    ) -> Api<DynamicObject> {
        let ar =
            ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural);
        match ns {
            Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
            None => Api::all_with(client.clone(), &ar),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn apply_then_prune_what_the_blueprint_dropped() {
        let mut bp = example();
        let (_account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let facts = PlatformFacts::placeholders(&bp);
        let rendered = workload::render(&bp, &facts).expect("a proxy");

        let report = deploy::deploy(
            &client,
            &bp.metadata.name,
            &rendered,
            &secret_values(),
            quick(),
        )
        .await
        .expect("deploys");
        assert_eq!(report.applied.len(), rendered.objects.len());
        assert!(report.pruned.is_empty(), "{:?}", report.pruned);

        // Applied with shinyctl as the field manager, labelled, the Secret filled.
        let deployments = api(
            &client,
            "apps",
            "v1",
            "Deployment",
            "deployments",
            Some("shinyproxy"),
        );
        let d = deployments
            .get("shinyproxy")
            .await
            .expect("the Deployment exists");
        let managers: Vec<String> = d
            .metadata
            .managed_fields
            .unwrap_or_default()
            .into_iter()
            .filter_map(|f| f.manager)
            .collect();
        assert_eq!(managers, ["shinyctl"]);
        let secret = api(&client, "", "v1", "Secret", "secrets", Some("shinyproxy"))
            .get("shinyproxy-secrets")
            .await
            .expect("the Secret exists");
        assert_eq!(
            secret.data["stringData"]["SHINYCTL_OPENID_CLIENT_SECRET"],
            "value-of-SHINYCTL_OPENID_CLIENT_SECRET"
        );

        // Applying the same workload again changes nothing and prunes nothing.
        let again = deploy::deploy(
            &client,
            &bp.metadata.name,
            &rendered,
            &secret_values(),
            quick(),
        )
        .await
        .expect("re-deploys");
        assert!(again.pruned.is_empty());

        // The app no longer mounts EFS: its StorageClass, PersistentVolume and claim go.
        bp.proxy.as_mut().unwrap().apps[0].mounts.clear();
        let smaller = workload::render(&bp, &facts).expect("a proxy");
        let report = deploy::deploy(
            &client,
            &bp.metadata.name,
            &smaller,
            &secret_values(),
            quick(),
        )
        .await
        .expect("deploys the smaller workload");
        let mut pruned = report.pruned.clone();
        pruned.sort();
        assert_eq!(
            pruned,
            [
                "storage.k8s.io/v1/StorageClass//analytics-efs",
                "v1/PersistentVolume//analytics-efs-shared-data",
                "v1/PersistentVolumeClaim/shiny-apps/efs-shared-data",
            ]
        );
        let claims = api(
            &client,
            "",
            "v1",
            "PersistentVolumeClaim",
            "persistentvolumeclaims",
            None,
        )
        .list(&ListParams::default())
        .await
        .unwrap();
        assert!(claims.items.is_empty());
        // Objects of other owners are never pruned.
        let namespaces = api(&client, "", "v1", "Namespace", "namespaces", None)
            .list(&ListParams::default())
            .await
            .unwrap();
        assert!(
            namespaces
                .items
                .iter()
                .any(|n| n.metadata.name.as_deref() == Some("kube-system"))
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rollout_that_does_not_finish_names_its_pods() {
        let bp = example();
        let (account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let rendered = workload::render(&bp, &PlatformFacts::placeholders(&bp)).expect("a proxy");
        set_profile(
            &account,
            r#"{"durations": {"kube_deployment_rollout": 3600}}"#,
        );
        // A pod of the Deployment that is not ready (the stand-in runs no controllers).
        let pods = api(&client, "", "v1", "Pod", "pods", Some("shinyproxy"));
        deploy::deploy(
            &client,
            &bp.metadata.name,
            &workload::Workload {
                application_yml: rendered.application_yml.clone(),
                objects: rendered.objects[..2].to_vec(),
            },
            &secret_values(),
            quick(),
        )
        .await
        .expect("namespaces first");
        let pod = serde_json::json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": "shinyproxy-abc", "namespace": "shinyproxy",
                "labels": {"app.kubernetes.io/name": "shinyproxy", "app.kubernetes.io/instance": "analytics"}},
            "spec": {"containers": [{"name": "shinyproxy", "image": "openanalytics/shinyproxy:3.1.1"}]},
        });
        pods.patch(
            "shinyproxy-abc",
            &PatchParams::apply("test"),
            &Patch::Apply(&pod),
        )
        .await
        .expect("a pod");

        let wait = RolloutWait {
            timeout: Duration::from_secs(1),
            schedule: PollSchedule::every(Duration::from_millis(100)),
        };
        match deploy::deploy(
            &client,
            &bp.metadata.name,
            &rendered,
            &secret_values(),
            wait,
        )
        .await
        {
            Err(DeployError::Rollout {
                deployment,
                reason,
                pods,
            }) => {
                assert_eq!(deployment, "shinyproxy/shinyproxy");
                assert!(reason.contains("not complete after 1 s"), "{reason}");
                assert_eq!(pods.len(), 1, "{pods:?}");
                assert_eq!(pods[0].pod, "shinyproxy-abc");
            }
            other => panic!("expected a rollout error, got {other:?}"),
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_missing_secret_value_stops_before_anything_is_applied() {
        let bp = example();
        let (_account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let rendered = workload::render(&bp, &PlatformFacts::placeholders(&bp)).expect("a proxy");
        let mut values = secret_values();
        values.remove("SHINYCTL_DATABASE_PASSWORD");
        let err = deploy::deploy(&client, &bp.metadata.name, &rendered, &values, quick())
            .await
            .expect_err("refuses");
        assert!(
            matches!(&err, DeployError::MissingSecrets(keys) if keys == &["SHINYCTL_DATABASE_PASSWORD"])
        );
        assert!(!err.to_string().contains("value-of"));
        let namespaces = api(&client, "", "v1", "Namespace", "namespaces", None)
            .list(&ListParams::default())
            .await
            .unwrap();
        assert!(
            !namespaces
                .items
                .iter()
                .any(|n| n.metadata.name.as_deref() == Some("shinyproxy"))
        );
    }
}

/// The newest Kubernetes schema the pinned kubernetes-validate ships (`v1.33.0-local-strict`):
/// a newer cluster version is checked against it (the objects rendered are all in APIs that are
/// stable across these versions).
const NEWEST_SCHEMA: (u32, u32) = (1, 33);

fn schema_version(cluster: &str) -> String {
    let parsed = cluster
        .split_once('.')
        .and_then(|(a, b)| Some((a.parse::<u32>().ok()?, b.parse::<u32>().ok()?)));
    match parsed {
        Some(v) if v > NEWEST_SCHEMA => format!("{}.{}", NEWEST_SCHEMA.0, NEWEST_SCHEMA.1),
        _ => cluster.to_string(),
    }
}
