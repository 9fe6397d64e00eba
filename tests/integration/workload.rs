//! The proxy workload of every blueprint in `blueprints/` that has a `proxy`: `shinyctl render`
//! output snapshotted, and every manifest validated against the upstream Kubernetes schemas of the
//! blueprint's cluster version (kubernetes-validate) and scanned by checkov with zero failed
//! checks. The validators run from `.cache/validators-venv`, which `cargo xtask ci` creates; without
//! it this suite fails (it never skips).

use std::path::PathBuf;
use std::process::Command;

use insta::assert_snapshot;

use crate::support::{Scratch, relative, repo_root, shinyctl, shipped_blueprints};

/// The shipped blueprints `render` writes files for: those with a proxy, and those with only a
/// cluster behind an ingress (the load balancer controller alone), proxies first.
fn proxy_blueprints() -> Vec<(PathBuf, shinyctl::blueprint::Blueprint)> {
    let mut found: Vec<_> = shipped_blueprints()
        .into_iter()
        .filter_map(|file| {
            let loaded = shinyctl::load::load_file(&file).expect("shipped blueprints load");
            let bp = loaded.blueprint;
            let renders = bp.proxy.is_some() || (bp.cluster.is_some() && bp.ingress.is_some());
            renders.then_some((file, bp))
        })
        .collect();
    found.sort_by_key(|(_, bp)| bp.proxy.is_none());
    found
}

fn stem(file: &std::path::Path) -> String {
    file.file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("blueprint")
        .to_string()
}

/// Every file under `dir`, sorted, as `=== path ===` sections.
fn listing(dir: &std::path::Path) -> String {
    let mut files: Vec<PathBuf> = Some(dir.join("application.yml"))
        .filter(|p| p.exists())
        .into_iter()
        .collect();
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
    assert!(proxy_blueprints()[0].1.proxy.is_some());
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

/// Seed 001's servers: what runs on them, as files; the nginx site is the one the unit test
/// checks with `nginx -t`.
#[test]
fn render_writes_the_servers_files() {
    let out = Scratch::new();
    let run = shinyctl(&[
        "render",
        "-f",
        "blueprints/lowcode-ha.yaml",
        "--out",
        &out.file("out"),
    ])
    .expect_code(0);
    assert!(run.stdout.contains("wrote 4 files"), "{run}");
    let dir = out.path().join("out/servers/app");
    let script = std::fs::read_to_string(dir.join("configure.sh")).expect("configure.sh");
    assert!(script.contains("nginx -t"), "{script}");
    let site = std::fs::read_to_string(dir.join("nginx.conf")).expect("nginx.conf");
    assert!(site.contains("listen 8200 default_server;"), "{site}");
    assert!(dir.join("user-data.sh").exists() && dir.join("ssm-document.json").exists());
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

pub(crate) mod deploy {
    use std::collections::BTreeMap;
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
        shinyctl::load::load_file(&repo_root().join("blueprints/shinyproxy-eks.yaml"))
            .expect("the example loads")
            .blueprint
    }

    /// An ACTIVE EKS cluster named after the blueprint in a fresh emulator account.
    async fn cluster(bp: &Blueprint) -> (String, Connection) {
        let (account, conn) = cluster_without_compute(&bp.metadata.name).await;
        node_group(&conn, &bp.metadata.name).await;
        (account, conn)
    }

    /// An ACTIVE EKS cluster `name` with neither node groups nor Fargate profiles, in a fresh
    /// emulator account.
    async fn cluster_without_compute(name: &str) -> (String, Connection) {
        let account = emulator::account();
        let conn = shinyctl::aws::connect(&target(&account))
            .await
            .expect("connects to the emulator");
        create_cluster(&conn, name).await;
        (account, conn)
    }

    /// Creates the EKS cluster `name` (no compute) and waits until it is ACTIVE.
    pub(crate) async fn create_cluster(conn: &Connection, name: &str) {
        let account = &conn.account;
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
        wait_until_active(conn, name).await;
    }

    /// Waits until the EKS cluster `name` is ACTIVE.
    async fn wait_until_active(conn: &Connection, name: &str) {
        for _ in 0..100 {
            let described = conn.clients.eks.describe_cluster().name(name).send().await;
            let active = described
                .ok()
                .and_then(|d| d.cluster)
                .and_then(|c| c.status)
                == Some(aws_sdk_eks::types::ClusterStatus::Active);
            if active {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("cluster {name} never became ACTIVE");
    }

    /// Two nodes for the cluster's pods, as every blueprint's cluster has compute (a node group
    /// or a Fargate profile): on EKS, as in the stand-in, a pod with nowhere to run stays Pending.
    pub(crate) async fn node_group(conn: &Connection, cluster: &str) {
        let account = &conn.account;
        conn.clients
            .eks
            .create_nodegroup()
            .cluster_name(cluster)
            .nodegroup_name("workers")
            .node_role(format!("arn:aws:iam::{account}:role/nodes"))
            .subnets("subnet-12345678")
            .scaling_config(
                aws_sdk_eks::types::NodegroupScalingConfig::builder()
                    .min_size(1)
                    .max_size(2)
                    .desired_size(2)
                    .build(),
            )
            .send()
            .await
            .expect("creates the node group");
        for _ in 0..100 {
            let described = conn
                .clients
                .eks
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name("workers")
                .send()
                .await;
            let active = described
                .ok()
                .and_then(|d| d.nodegroup)
                .and_then(|n| n.status)
                == Some(aws_sdk_eks::types::NodegroupStatus::Active);
            if active {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("node group of {cluster} never became ACTIVE");
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

    /// A value for each secret the example's workload needs.
    pub(crate) fn secret_values() -> BTreeMap<String, String> {
        [
            "SHINYCTL_OPENID_CLIENT_SECRET",
            "SHINYCTL_DATABASE_PASSWORD",
            // The RDS master secret's, for the usage-statistics user's Job.
            "SHINYCTL_DATABASE_ADMIN_USERNAME",
            "SHINYCTL_DATABASE_ADMIN_PASSWORD",
        ]
        .into_iter()
        .map(|k| (k.to_string(), format!("value-of-{k}")))
        .collect()
    }

    fn quick() -> RolloutWait {
        wait_for(20)
    }

    /// Rollout waits of `seconds`, polled every 100 ms.
    fn wait_for(seconds: u64) -> RolloutWait {
        RolloutWait {
            timeout: Duration::from_secs(seconds),
            schedule: PollSchedule::every(Duration::from_millis(100)),
        }
    }

    /// Deploys `rendered` as the blueprint's workload with every secret's value.
    async fn deploy_workload(
        client: &kube::Client,
        bp: &Blueprint,
        rendered: &workload::Workload,
        wait: RolloutWait,
    ) -> Result<deploy::DeployReport, DeployError> {
        deploy::deploy(client, &bp.metadata.name, rendered, &secret_values(), wait).await
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

    /// Whether the cluster has the namespace `name`.
    async fn has_namespace(client: &kube::Client, name: &str) -> bool {
        api(client, "", "v1", "Namespace", "namespaces", None)
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .iter()
            .any(|n| n.metadata.name.as_deref() == Some(name))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn apply_then_prune_what_the_blueprint_dropped() {
        let mut bp = example();
        let (_account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let facts = PlatformFacts::placeholders(&bp);
        let rendered = workload::render(&bp, &facts).expect("a proxy");

        let report = deploy_workload(&client, &bp, &rendered, quick())
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
        let again = deploy_workload(&client, &bp, &rendered, quick())
            .await
            .expect("re-deploys");
        assert!(again.pruned.is_empty());

        // The app no longer mounts EFS: its StorageClass, PersistentVolume and claim go.
        bp.proxy.as_mut().unwrap().apps[0].mounts.clear();
        let smaller = workload::render(&bp, &facts).expect("a proxy");
        let report = deploy_workload(&client, &bp, &smaller, quick())
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
        assert!(has_namespace(&client, "kube-system").await);
    }

    /// The workload without the load balancer controller (no ingress facts): ShinyProxy alone.
    fn proxy_only(bp: &Blueprint) -> workload::Workload {
        let mut facts = PlatformFacts::placeholders(bp);
        facts.load_balancer_controller_role_arn = None;
        facts.target_group_arn = None;
        workload::render(bp, &facts).expect("a proxy")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_rollout_that_does_not_finish_names_its_pods() {
        let bp = example();
        let (account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let rendered = proxy_only(&bp);
        // The pods are scheduled on the nodes but take an hour to start.
        emulator::set_durations(&account, &[("kube_deployment_rollout", 3600.0)]);
        match deploy_workload(&client, &bp, &rendered, wait_for(1)).await {
            Err(DeployError::Rollout {
                deployment,
                reason,
                pods,
            }) => {
                assert_eq!(deployment, "shinyproxy/shinyproxy");
                assert!(reason.contains("not complete after 1 s"), "{reason}");
                let replicas = bp.proxy.as_ref().unwrap().replicas as usize;
                assert_eq!(pods.len(), replicas, "{pods:?}");
                for pod in &pods {
                    assert!(pod.pod.starts_with("shinyproxy-"), "{pod:?}");
                    assert_eq!(pod.reason, "ContainerCreating", "{pod:?}");
                }
            }
            other => panic!("expected a rollout error, got {other:?}"),
        }
    }

    /// Issue 19 item 6: apps a user started before a rollout still run after it. The stand-in
    /// stops app pods when a ShinyProxy Deployment rolls, exactly when the configuration the old
    /// servers started with lets containerproxy's shutdown do so (`kube_shinyproxy.py`); the
    /// rendered `stop-proxies-on-shutdown: false` keeps them, and the new pods run with a higher
    /// `PROXY_VERSION`, so the old ones step out of leadership.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn rollout_keeps_running_apps() {
        let mut bp = example();
        let (_account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let facts = PlatformFacts::placeholders(&bp);
        let name = bp.metadata.name.clone();
        let deploy_stamped = |mut rendered: workload::Workload, now_ms: u64| {
            let client = client.clone();
            let name = name.clone();
            async move {
                let live = deploy::list_owned(&client, &name).await.expect("lists");
                workload::rollout::stamp(&mut rendered.objects, &live, now_ms);
                deploy::deploy(&client, &name, &rendered, &secret_values(), quick())
                    .await
                    .expect("deploys");
                rendered
            }
        };
        let first = deploy_stamped(workload::render(&bp, &facts).expect("a proxy"), 1_000).await;
        let version = |w: &workload::Workload| {
            let d = w
                .objects
                .iter()
                .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "shinyproxy")
                .unwrap();
            workload::rollout::version_of(d)
                .unwrap()
                .parse::<u64>()
                .unwrap()
        };
        assert_eq!(version(&first), 1_000);

        // A user's app, as ShinyProxy starts it: a pod with containerproxy's annotations.
        let pods = api(&client, "", "v1", "Pod", "pods", Some("shiny-apps"));
        let app = |id: &str| {
            serde_json::json!({
                "apiVersion": "v1", "kind": "Pod",
                "metadata": {"name": format!("sp-pod-{id}-0"), "namespace": "shiny-apps",
                    "labels": {"openanalytics.eu/sp-headless-service": "true"},
                    "annotations": {"openanalytics.eu/sp-proxy-id": id,
                                    "openanalytics.eu/sp-realm-id": "analytics"}},
                "spec": {"containers": [{"name": "app", "image": "rocker/shiny"}]},
            })
        };
        let start = |id: &'static str| {
            let pods = pods.clone();
            let pod = app(id);
            async move {
                pods.patch(
                    &format!("sp-pod-{id}-0"),
                    &PatchParams::apply("shinyproxy"),
                    &Patch::Apply(&pod),
                )
                .await
                .expect("an app pod");
            }
        };
        start("a1").await;

        // A configuration change rolls ShinyProxy; the app is still there, and the new pods
        // outrank the old ones.
        bp.proxy.as_mut().unwrap().heartbeat_timeout_seconds = 120;
        let second = deploy_stamped(workload::render(&bp, &facts).expect("a proxy"), 2_000).await;
        assert_eq!(version(&second), 2_000);
        assert!(pods.get_opt("sp-pod-a1-0").await.unwrap().is_some());
        // Applying the same again rolls nothing and keeps the version.
        let same = deploy_stamped(workload::render(&bp, &facts).expect("a proxy"), 3_000).await;
        assert_eq!(version(&same), 2_000);

        // The control: servers started without the setting stop every app when they go.
        let mut careless = workload::render(&bp, &facts).expect("a proxy");
        for object in careless
            .objects
            .iter_mut()
            .filter(|o| o["kind"] == "ConfigMap")
        {
            let text = object["data"]["application.yml"].as_str().unwrap();
            assert!(text.contains("stop-proxies-on-shutdown: false"), "{text}");
            object["data"]["application.yml"] = serde_json::json!(text.replace(
                "stop-proxies-on-shutdown: false",
                "stop-proxies-on-shutdown: true"
            ));
        }
        for object in careless
            .objects
            .iter_mut()
            .filter(|o| o["kind"] == "Deployment")
        {
            // The ConfigMap's new content rolls the pods (its hash is on the template).
            object["spec"]["template"]["metadata"]["annotations"]["shinyctl.dev/config-hash"] =
                serde_json::json!("careless");
        }
        deploy_stamped(careless, 4_000).await;
        assert!(pods.get_opt("sp-pod-a1-0").await.unwrap().is_some());
        start("a2").await;
        bp.proxy.as_mut().unwrap().heartbeat_timeout_seconds = 90;
        deploy_stamped(workload::render(&bp, &facts).expect("a proxy"), 5_000).await;
        assert!(pods.get_opt("sp-pod-a1-0").await.unwrap().is_none());
        assert!(pods.get_opt("sp-pod-a2-0").await.unwrap().is_none());
    }

    /// A cluster without compute serves no DNS: CoreDNS's pods cannot be scheduled, so deploy
    /// stops there and says why, as it would on EKS (nothing the workload runs could resolve a
    /// name).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn without_compute_deploy_stops_at_dns_and_names_the_unschedulable_pods() {
        let mut bp = example();
        bp.metadata.name = "no-compute".into();
        let (_account, conn) = cluster_without_compute("no-compute").await;
        let client = client(&conn, &bp).await;
        match deploy_workload(&client, &bp, &proxy_only(&bp), wait_for(1)).await {
            Err(DeployError::Rollout {
                deployment, pods, ..
            }) => {
                assert_eq!(deployment, "kube-system/coredns");
                assert_eq!(pods.len(), 2, "{pods:?}");
                for pod in &pods {
                    assert_eq!(pod.reason, "Unschedulable", "{pod:?}");
                    assert!(pod.message.contains("no nodes available"), "{pod:?}");
                }
            }
            other => panic!("expected CoreDNS's rollout to stop deploy, got {other:?}"),
        }
        // Nothing of the workload was applied.
        assert!(!has_namespace(&client, "shinyproxy").await);
    }

    /// The AWS Load Balancer Controller is installed and ready before the TargetGroupBinding it
    /// admits and reconciles (a fresh cluster does not even serve the binding's kind), its
    /// webhooks trust the certificate apply made and keeps, and destroy's order removes it only
    /// after the binding.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_load_balancer_controller_comes_before_its_binding_and_goes_after_it() {
        let bp = example();
        let (account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let rendered = workload::render(&bp, &PlatformFacts::placeholders(&bp)).expect("a proxy");
        let bindings = api(
            &client,
            "elbv2.k8s.aws",
            "v1beta1",
            "TargetGroupBinding",
            "targetgroupbindings",
            Some("shinyproxy"),
        );
        assert!(
            bindings.list(&ListParams::default()).await.is_err(),
            "a new cluster serves no elbv2.k8s.aws"
        );

        // While the controller's pods do not start, nothing that needs it is applied.
        emulator::set_durations(&account, &[("kube_deployment_rollout", 3600.0)]);
        match deploy_workload(&client, &bp, &rendered, wait_for(1)).await {
            Err(DeployError::Rollout { deployment, .. }) => {
                assert_eq!(deployment, "kube-system/aws-load-balancer-controller")
            }
            other => panic!("expected the controller's rollout to hold deploy, got {other:?}"),
        }
        assert!(
            bindings
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .is_empty()
        );
        let validating = api(
            &client,
            "admissionregistration.k8s.io",
            "v1",
            "ValidatingWebhookConfiguration",
            "validatingwebhookconfigurations",
            None,
        );
        assert!(
            validating
                .get_opt("aws-load-balancer-webhook")
                .await
                .unwrap()
                .is_none()
        );

        // Once it runs, everything goes on.
        emulator::set_durations(&account, &[("kube_deployment_rollout", 0.0)]);
        deploy_workload(&client, &bp, &rendered, quick())
            .await
            .expect("deploys");
        assert_eq!(
            bindings
                .list(&ListParams::default())
                .await
                .unwrap()
                .items
                .len(),
            1
        );
        let tls = api(&client, "", "v1", "Secret", "secrets", Some("kube-system"))
            .get("aws-load-balancer-tls")
            .await
            .expect("the webhook certificate");
        let ca = tls.data["data"]["ca.crt"].clone();
        assert!(ca.as_str().is_some_and(|c| !c.is_empty()));
        let hook = validating.get("aws-load-balancer-webhook").await.unwrap();
        for webhook in hook.data["webhooks"].as_array().unwrap() {
            assert_eq!(webhook["clientConfig"]["caBundle"], ca);
        }
        let image = api(
            &client,
            "apps",
            "v1",
            "Deployment",
            "deployments",
            Some("kube-system"),
        )
        .get("aws-load-balancer-controller")
        .await
        .unwrap()
        .data["spec"]["template"]["spec"]["containers"][0]["image"]
            .clone();
        // The example is in cn-northwest-1: the region's EKS registry, not public.ecr.aws.
        assert_eq!(
            image,
            "961992271922.dkr.ecr.cn-northwest-1.amazonaws.com.cn/amazon/aws-load-balancer-controller:v3.5.0"
        );

        // Applying again keeps the certificate.
        deploy_workload(&client, &bp, &rendered, quick())
            .await
            .expect("re-deploys");
        let again = api(&client, "", "v1", "Secret", "secrets", Some("kube-system"))
            .get("aws-load-balancer-tls")
            .await
            .unwrap();
        assert_eq!(again.data["data"]["ca.crt"], ca);

        // Destroy's order: everything but the controllers, then (nothing left for them) those.
        let first = deploy::prune(
            &client,
            &bp.metadata.name,
            &[],
            deploy::Keep::ListedAndControllers,
        )
        .await
        .unwrap();
        assert!(
            first.iter().any(|id| id.contains("TargetGroupBinding")),
            "{first:?}"
        );
        assert!(
            !first.iter().any(|id| id.contains("aws-load-balancer")),
            "{first:?}"
        );
        assert!(
            !deploy::any_left(
                &client,
                &bp.metadata.name,
                &["Service", "TargetGroupBinding"]
            )
            .await
            .unwrap()
        );
        let second = deploy::prune(&client, &bp.metadata.name, &[], deploy::Keep::Listed)
            .await
            .unwrap();
        assert!(
            second
                .iter()
                .any(|id| id
                    .ends_with("CustomResourceDefinition//targetgroupbindings.elbv2.k8s.aws")),
            "{second:?}"
        );
        assert!(
            bindings.list(&ListParams::default()).await.is_err(),
            "the CRD is gone"
        );
    }

    /// A Fargate-only cluster serves DNS only once the CoreDNS add-on runs CoreDNS on Fargate
    /// (EKS ships it for EC2): a profile selecting its pods is not enough, the add-on's
    /// `computeType` is what apply waits for (issue 11, item 10).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn on_fargate_dns_is_served_once_the_coredns_addon_runs_it_there() {
        let name = "fargate-dns";
        let (account, conn) = cluster_without_compute(name).await;
        conn.clients
            .eks
            .create_fargate_profile()
            .cluster_name(name)
            .fargate_profile_name("kube-system")
            .pod_execution_role_arn(format!("arn:aws:iam::{account}:role/fargate"))
            .subnets("subnet-12345678")
            .selectors(
                aws_sdk_eks::types::FargateProfileSelector::builder()
                    .namespace("kube-system")
                    .labels("k8s-app", "kube-dns")
                    .build(),
            )
            .send()
            .await
            .expect("creates the profile");
        let mut bp = example();
        bp.metadata.name = name.into();
        let client = client(&conn, &bp).await;
        // EKS's CoreDNS asks for EC2 compute: with no nodes its pods stay Pending.
        match deploy::wait_for_dns(&client, wait_for(2)).await {
            Err(DeployError::Rollout {
                deployment, pods, ..
            }) => {
                assert_eq!(deployment, "kube-system/coredns");
                assert!(pods.iter().all(|p| p.reason == "Unschedulable"), "{pods:?}");
            }
            other => panic!("expected CoreDNS to stay Pending, got {other:?}"),
        }
        conn.clients
            .eks
            .create_addon()
            .cluster_name(name)
            .addon_name("coredns")
            .configuration_values(r#"{"computeType":"Fargate"}"#)
            .send()
            .await
            .expect("creates the add-on");
        deploy::wait_for_dns(&client, quick())
            .await
            .expect("CoreDNS runs on Fargate");
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
        assert!(!has_namespace(&client, "shinyproxy").await);
    }

    /// Issue 19 item 4: the usage-statistics user's Job runs (its Secret with the master
    /// credentials first) before ShinyProxy's Deployment is applied, and both are gone after it.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_usage_statistics_job_runs_before_shinyproxy_and_is_deleted() {
        let bp = example();
        let (account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let rendered = proxy_only(&bp);
        deploy_workload(&client, &bp, &rendered, quick())
            .await
            .expect("deploys");
        let calls = emulator::calls(&account);
        let at = |method: &str, path: &str| {
            calls
                .iter()
                .position(|c| {
                    c.service == "kubernetes"
                        && c.operation.starts_with(method)
                        && c.operation.ends_with(path)
                })
                .unwrap_or_else(|| panic!("no {method} {path}"))
        };
        let job = "/apis/batch/v1/namespaces/shinyproxy/jobs/shinyproxy-usage-stats-user";
        let admin = "/api/v1/namespaces/shinyproxy/secrets/shinyproxy-database-admin";
        let deployment = "/apis/apps/v1/namespaces/shinyproxy/deployments/shinyproxy";
        assert!(at("PATCH", admin) < at("PATCH", job));
        assert!(
            at("GET", job) < at("PATCH", deployment),
            "waited for before"
        );
        assert!(at("DELETE", job) < at("PATCH", deployment));
        assert!(at("DELETE", admin) < at("PATCH", deployment));
        let left = api(&client, "batch", "v1", "Job", "jobs", Some("shinyproxy"))
            .get_opt("shinyproxy-usage-stats-user")
            .await
            .unwrap();
        assert!(left.is_none(), "the Job is deleted");
        let secrets = api(&client, "", "v1", "Secret", "secrets", Some("shinyproxy"));
        assert!(
            secrets
                .get_opt("shinyproxy-database-admin")
                .await
                .unwrap()
                .is_none(),
            "the master credentials never stay in the cluster"
        );
        // ShinyProxy's Secret says what the user was made for.
        let proxy_secret = secrets.get("shinyproxy-secrets").await.unwrap();
        assert!(
            proxy_secret
                .metadata
                .annotations
                .unwrap_or_default()
                .contains_key(workload::usage_user::MARKER)
        );
    }

    /// A Job that fails stops the deploy before ShinyProxy, with its reason and the end of its
    /// pod's log (secret values masked); the master credentials' Secret is deleted all the same,
    /// and the next deploy runs the Job again.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_failing_usage_statistics_job_stops_before_shinyproxy_with_its_log() {
        let bp = example();
        let (account, conn) = cluster(&bp).await;
        let client = client(&conn, &bp).await;
        let rendered = proxy_only(&bp);
        let job = rendered
            .objects
            .iter()
            .find(|o| o["kind"] == "Job")
            .expect("the Job");
        let image = job["spec"]["template"]["spec"]["containers"][0]["image"]
            .as_str()
            .unwrap()
            .to_string();
        let master = "value-of-SHINYCTL_DATABASE_ADMIN_PASSWORD";
        let failing = |log: &str| serde_json::json!({"images": {image.clone(): log}}).to_string();
        emulator::put(
            &format!("/_emulator/kube/failing?account={account}"),
            &failing(&format!(
                "psql: error: connection to server failed\nFATAL: password authentication failed (tried {master})"
            )),
        );
        let err = deploy_workload(&client, &bp, &rendered, quick())
            .await
            .expect_err("the Job fails");
        assert!(matches!(&err, DeployError::Job { .. }), "{err}");
        let text = err.to_string();
        assert!(text.contains("BackoffLimitExceeded"), "{text}");
        assert!(
            text.contains("FATAL: password authentication failed (tried ***)"),
            "{text}"
        );
        assert!(!text.contains(master), "{text}");
        let deployments = api(
            &client,
            "apps",
            "v1",
            "Deployment",
            "deployments",
            Some("shinyproxy"),
        );
        assert!(
            deployments.get_opt("shinyproxy").await.unwrap().is_none(),
            "ShinyProxy is not deployed without its database user"
        );
        let secrets = api(&client, "", "v1", "Secret", "secrets", Some("shinyproxy"));
        assert!(
            secrets
                .get_opt("shinyproxy-database-admin")
                .await
                .unwrap()
                .is_none()
        );
        // Fixed (the database answers): the next deploy replaces the failed Job and goes on.
        emulator::put(
            &format!("/_emulator/kube/failing?account={account}"),
            r#"{"images": {}}"#,
        );
        deploy_workload(&client, &bp, &rendered, quick())
            .await
            .expect("deploys once the Job succeeds");
        assert!(deployments.get_opt("shinyproxy").await.unwrap().is_some());
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
