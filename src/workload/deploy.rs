//! Deploying the rendered workload with kube-rs: server-side apply (field manager `shinyctl`) of
//! every object in order, pruning of what shinyctl applied earlier for this blueprint and the
//! blueprint no longer has (selected by the ownership labels), and a rollout wait that reports
//! the pods that do not start, with Kubernetes' reasons. No AWS here: the caller passes the
//! cluster's endpoint, CA and token (`aws::eks_token`) and the resolved secret values. Every API
//! call is retried on throttling, 5xx answers and lost connections ([`retry`]).

mod job;
mod retry;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::Duration;

use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, GroupVersionKind, ListParams, Patch, PatchParams,
};
use serde_json::{Value, json};

use super::controllers::{self, webhook_cert};
use super::{
    BLUEPRINT_LABEL, FIELD_MANAGER, MANAGED_BY, NAME, Workload, object_id, secrets, usage_user,
};
use crate::apply::backoff::{CALL_RETRIES, RetryPolicy};
use crate::apply::wait::PollSchedule;

/// The kinds the workload renders: (group, version, kind, plural, namespaced), in apply order;
/// pruning walks it backwards (bindings and webhooks before what they bind or call, namespaces
/// and the CRDs last).
const KINDS: &[KindRow] = &[
    (
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        false,
    ),
    ("", "v1", "Namespace", "namespaces", false),
    ("", "v1", "ServiceAccount", "serviceaccounts", true),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        false,
    ),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        false,
    ),
    (
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        false,
    ),
    ("", "v1", "PersistentVolume", "persistentvolumes", false),
    (
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        true,
    ),
    ("rbac.authorization.k8s.io", "v1", "Role", "roles", true),
    (
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        true,
    ),
    ("", "v1", "ConfigMap", "configmaps", true),
    ("", "v1", "Secret", "secrets", true),
    ("batch", "v1", "Job", "jobs", true),
    ("", "v1", "Service", "services", true),
    ("apps", "v1", "Deployment", "deployments", true),
    (
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        true,
    ),
    (
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        true,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        false,
    ),
    (
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        false,
    ),
    (
        "elbv2.k8s.aws",
        "v1beta1",
        "TargetGroupBinding",
        "targetgroupbindings",
        true,
    ),
];

/// Why a deploy stopped. Messages are sentences; none contains a secret value.
#[derive(Debug)]
pub enum DeployError {
    /// The cluster could not be reached or configured.
    Connect(String),
    /// A Kubernetes call failed: what we were doing and the API's answer.
    Api { what: String, message: String },
    /// An object of a kind this module does not know (a rendering bug).
    UnknownKind(String),
    /// Secret keys with no resolved value.
    MissingSecrets(Vec<String>),
    /// A controller's webhook certificate could not be made (the sentence says why).
    Certificate(String),
    /// A Job did not succeed (or not in time): why, and the end of its pod's log (secret values
    /// the Job was given are masked).
    Job {
        job: String,
        reason: String,
        pods: Vec<PodProblem>,
        log: Vec<String>,
    },
    /// The Deployment did not finish rolling out in time, or failed; the pods that did not start.
    Rollout {
        deployment: String,
        reason: String,
        pods: Vec<PodProblem>,
    },
}

/// One pod that is not ready, and why (Kubernetes' reason and message).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodProblem {
    pub pod: String,
    pub reason: String,
    pub message: String,
}

impl fmt::Display for DeployError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DeployError::Connect(message) => write!(f, "cannot reach the cluster: {message}"),
            DeployError::Api { what, message } => write!(f, "{what}: {message}"),
            DeployError::UnknownKind(id) => write!(f, "cannot deploy {id}: unknown kind"),
            DeployError::Certificate(why) => write!(f, "{why}"),
            DeployError::MissingSecrets(keys) => write!(
                f,
                "no value for secret key(s) {} (see the Secret's shinyctl.dev/secret-sources)",
                keys.join(", ")
            ),
            DeployError::Job {
                job,
                reason,
                pods,
                log,
            } => {
                write!(
                    f,
                    "job {job} (creating the usage-statistics database user) did not succeed: {reason}"
                )?;
                for pod in pods {
                    write!(f, "\n  pod {}: {}: {}", pod.pod, pod.reason, pod.message)?;
                }
                if log.is_empty() {
                    write!(f, "\n  its pod wrote no log")?;
                } else {
                    write!(f, "\n  the end of its pod's log:")?;
                    for line in log {
                        write!(f, "\n    {line}")?;
                    }
                }
                write!(
                    f,
                    "\n  ShinyProxy was not deployed; the Job stays for `kubectl logs`, the master \
                     credentials' Secret is deleted, and the next apply runs the Job again"
                )
            }
            DeployError::Rollout {
                deployment,
                reason,
                pods,
            } => {
                write!(f, "deployment {deployment} did not roll out: {reason}")?;
                for pod in pods {
                    write!(f, "\n  pod {}: {}: {}", pod.pod, pod.reason, pod.message)?;
                }
                if pods
                    .iter()
                    .any(|p| matches!(p.reason.as_str(), "ImagePullBackOff" | "ErrImagePull"))
                {
                    // A `registry:` image is in the blueprint's ECR only once pushed or mirrored.
                    write!(
                        f,
                        "\n  the image cannot be pulled: push it, or copy a public one into the \
                         blueprint's ECR with `shinyctl images mirror -f FILE`, then apply again"
                    )?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for DeployError {}

/// What a deploy did, by object id (`apiVersion/kind/namespace/name`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeployReport {
    pub applied: Vec<String>,
    pub pruned: Vec<String>,
}

/// How long to wait for the rollout and when to look.
#[derive(Debug, Clone, Copy)]
pub struct RolloutWait {
    pub timeout: Duration,
    pub schedule: PollSchedule,
}

/// A ShinyProxy rollout's typical time: the image pulled, the JVM started, the pod ready.
pub(crate) const ROLLOUT_ESTIMATE: Duration = Duration::from_secs(60);

impl Default for RolloutWait {
    /// Ten minutes, looked at as the executor looks at AWS resources: sparsely at first, every
    /// 1.25% of the estimate around it (readiness is seen at most that late).
    fn default() -> Self {
        RolloutWait {
            timeout: Duration::from_secs(600),
            schedule: PollSchedule::for_estimate(ROLLOUT_ESTIMATE),
        }
    }
}

/// A client for the cluster at `endpoint` (CA as kubeconfig's `certificate-authority-data`),
/// authenticating with a bearer token, retrying at AWS's pace ([`CALL_RETRIES`]).
pub async fn client(
    endpoint: &str,
    certificate_authority_data: Option<&str>,
    token: &str,
) -> Result<kube::Client, DeployError> {
    client_with_retries(endpoint, certificate_authority_data, token, CALL_RETRIES).await
}

/// [`client`] with the given retries of each call (scaled for an emulator). Installs rustls's ring
/// provider first (BUILD-NOTES.md).
pub async fn client_with_retries(
    endpoint: &str,
    certificate_authority_data: Option<&str>,
    token: &str,
    retries: RetryPolicy,
) -> Result<kube::Client, DeployError> {
    // Ignored when a provider is already installed: any one will do, as long as there is one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut cluster = json!({"server": endpoint});
    if let Some(ca) = certificate_authority_data {
        cluster["certificate-authority-data"] = json!(ca);
    }
    let kubeconfig: kube::config::Kubeconfig = serde_json::from_value(json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "eks", "cluster": cluster}],
        "users": [{"name": "shinyctl", "user": {"token": token}}],
        "contexts": [{"name": "eks", "context": {"cluster": "eks", "user": "shinyctl"}}],
        "current-context": "eks",
    }))
    .map_err(|e| DeployError::Connect(e.to_string()))?;
    let mut config = kube::Config::from_custom_kubeconfig(
        kubeconfig,
        &kube::config::KubeConfigOptions::default(),
    )
    .await
    .map_err(|e| DeployError::Connect(e.to_string()))?;
    // Ours instead (see `retry`).
    config.default_retry = false;
    let builder = kube::client::ClientBuilder::try_from(config)
        .map_err(|e| DeployError::Connect(e.to_string()))?;
    // The retry layer sends each request again through a clone of the service below it: the
    // buffer makes kube's boxed stack cloneable.
    Ok(builder
        .with_layer(&tower::buffer::BufferLayer::new(1024))
        .with_layer(&tower::retry::RetryLayer::new(retry::KubeRetry::new(
            retries,
        )))
        .build())
}

/// Applies the workload, prunes what it no longer has, and waits for ShinyProxy's rollout.
/// `secret_values` holds the resolved value of every key the Secret's sources name.
///
/// In order: the controllers are installed ([`install_controllers`]), then the rest
/// ([`deploy_workload`]).
pub async fn deploy(
    client: &kube::Client,
    blueprint: &str,
    workload: &Workload,
    secret_values: &BTreeMap<String, String>,
    wait: RolloutWait,
) -> Result<DeployReport, DeployError> {
    // The secrets' values are checked before anything is applied.
    with_secret_values(&workload.objects, secret_values)?;
    install_controllers(client, &workload.objects, wait).await?;
    deploy_workload(client, blueprint, workload, secret_values, wait).await
}

/// Installs the controllers among `objects` (the others are left alone): their webhook
/// certificates are kept or issued; CoreDNS is waited for (the controllers resolve AWS by name);
/// the controllers are applied and their Deployments waited for, then their webhook
/// configurations (so the API server never calls a webhook nobody serves yet). Apply runs it as
/// soon as the cluster can run them, beside the rest of its AWS side.
pub(crate) async fn install_controllers(
    client: &kube::Client,
    objects: &[Value],
    wait: RolloutWait,
) -> Result<(), DeployError> {
    let controller_objects: Vec<Value> = objects
        .iter()
        .filter(|o| controllers::is_controller(o))
        .cloned()
        .collect();
    if controller_objects.is_empty() {
        return Ok(());
    }
    let controller_objects = with_webhook_certificates(client, controller_objects).await?;
    wait_for_dns(client, wait).await?;
    let is_webhook = |o: &Value| {
        o["kind"]
            .as_str()
            .is_some_and(|k| k.ends_with("WebhookConfiguration"))
    };
    let (webhooks, installs): (Vec<Value>, Vec<Value>) =
        controller_objects.into_iter().partition(is_webhook);
    apply_in_waves(client, &installs).await?;
    for (namespace, name) in controllers::deployments(&installs) {
        wait_for_rollout(client, &namespace, &name, wait).await?;
    }
    apply_in_waves(client, &webhooks).await
}

/// Everything of `workload` but the controllers, which are installed already
/// ([`install_controllers`]): CoreDNS is waited for (ShinyProxy resolves AWS and the apps by
/// name); the usage-statistics Job runs when it must; the rest is applied, the TargetGroupBinding
/// among it (the load balancer controller's webhooks admit it and the controller acts on it);
/// then what the blueprint no longer has is pruned (the controllers' objects kept while
/// rendered) while ShinyProxy's rollout is waited for.
pub(crate) async fn deploy_workload(
    client: &kube::Client,
    blueprint: &str,
    workload: &Workload,
    secret_values: &BTreeMap<String, String>,
    wait: RolloutWait,
) -> Result<DeployReport, DeployError> {
    let objects = with_secret_values(&workload.objects, secret_values)?;
    let mut report = DeployReport::default();
    wait_for_dns(client, wait).await?;
    let rest: Vec<Value> = objects
        .iter()
        .filter(|o| !controllers::is_controller(o))
        .cloned()
        .collect();
    // The usage-statistics user exists before ShinyProxy starts (its collector connects at
    // start-up): the Job runs once the namespaces are there, before the rest is applied.
    let (job_objects, rest): (Vec<Value>, Vec<Value>) =
        rest.into_iter().partition(usage_user::is_job_object);
    if !job_objects.is_empty() {
        let namespaces: Vec<Value> = rest
            .iter()
            .filter(|o| o["kind"] == "Namespace")
            .cloned()
            .collect();
        apply_in_waves(client, &namespaces).await?;
        job::run_job(client, &job_objects, wait).await?;
    }
    apply_in_waves(client, &rest).await?;
    report.applied = objects.iter().map(object_id).collect();
    // What the blueprint no longer has is pruned while the rollout is waited for: neither needs
    // the other, and the rollout is under way from the apply.
    let rollouts = async {
        for object in rest.iter().filter(|o| o["kind"] == "Deployment") {
            let namespace = object["metadata"]["namespace"].as_str().unwrap_or_default();
            let name = object["metadata"]["name"].as_str().unwrap_or(NAME);
            wait_for_rollout(client, namespace, name, wait).await?;
        }
        Ok(())
    };
    let (pruned, ()) =
        tokio::try_join!(prune(client, blueprint, &objects, Keep::Listed), rollouts)?;
    report.pruned = pruned;
    Ok(report)
}

/// Applies `objects` in waves, each all at once: CRDs and namespaces (what the rest lives in or
/// is an instance of); then all but the Deployments (their ServiceAccounts, ConfigMaps and
/// Secrets exist before their pods start); then the Deployments.
async fn apply_in_waves(client: &kube::Client, objects: &[Value]) -> Result<(), DeployError> {
    let wave = |object: &Value| match object["kind"].as_str() {
        Some("Namespace" | "CustomResourceDefinition") => 0,
        Some("Deployment") => 2,
        _ => 1,
    };
    for n in 0..3 {
        let applies = objects
            .iter()
            .filter(|o| wave(o) == n)
            .map(|object| apply(client, object));
        futures::future::try_join_all(applies).await?;
    }
    Ok(())
}

/// The objects with the controllers' webhook certificates: the one on the cluster while it is
/// good, else a new one (`controllers::webhook_cert`).
async fn with_webhook_certificates(
    client: &kube::Client,
    objects: Vec<Value>,
) -> Result<Vec<Value>, DeployError> {
    let secrets = webhook_cert::generated_secrets(&objects);
    if secrets.is_empty() {
        return Ok(objects);
    }
    let mut existing = BTreeMap::new();
    for key in secrets {
        let (namespace, name) = key.split_once('/').unwrap_or(("", key.as_str()));
        let api: Api<DynamicObject> = Api::namespaced_with(
            client.clone(),
            namespace,
            &resource("", "v1", "Secret", "secrets"),
        );
        let found = api.get_opt(name).await.map_err(|e| DeployError::Api {
            what: format!("reading the webhook certificate v1/Secret/{key}"),
            message: kube_message(&e),
        })?;
        if let Some(secret) = found {
            let value = serde_json::to_value(&secret)
                .map_err(|e| DeployError::Certificate(e.to_string()))?;
            existing.insert(key, value);
        }
    }
    webhook_cert::fill(&objects, &existing, time::OffsetDateTime::now_utc())
        .map_err(DeployError::Certificate)
}

/// Waits until the cluster serves DNS: EKS's CoreDNS Deployment (`kube-system/coredns`) has its
/// replicas available. On a cluster without nodes they run only once the CoreDNS add-on is
/// configured for Fargate (`plan/catalog/cluster.rs`). A cluster without that Deployment (DNS
/// provided otherwise) is not waited for.
pub async fn wait_for_dns(client: &kube::Client, wait: RolloutWait) -> Result<(), DeployError> {
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        "kube-system",
        &resource("apps", "v1", "Deployment", "deployments"),
    );
    let found = api.get_opt("coredns").await.map_err(|e| DeployError::Api {
        what: "reading deployment kube-system/coredns".into(),
        message: kube_message(&e),
    })?;
    if found.is_none() {
        return Ok(());
    }
    wait_for_rollout(client, "kube-system", "coredns", wait).await
}

/// The objects with the Secret's values filled in (`stringData`), or the keys that have none.
fn with_secret_values(
    objects: &[Value],
    values: &BTreeMap<String, String>,
) -> Result<Vec<Value>, DeployError> {
    let mut out = objects.to_vec();
    // ShinyProxy's Secret, and the usage-statistics Job's: each says where its values come from.
    for object in out.iter_mut().filter(|o| {
        o["kind"] == "Secret"
            && (o["metadata"]["name"] == secrets::SECRET_NAME
                || o["metadata"]["name"] == usage_user::ADMIN_SECRET)
    }) {
        let sources: BTreeMap<String, Value> = object["metadata"]["annotations"]
            [super::manifests::SECRET_SOURCES]
            .as_str()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        let missing: Vec<String> = sources
            .keys()
            .filter(|k| !values.contains_key(*k))
            .cloned()
            .collect();
        if !missing.is_empty() {
            return Err(DeployError::MissingSecrets(missing));
        }
        let data: serde_json::Map<String, Value> = sources
            .keys()
            .filter_map(|k| values.get(k).map(|v| (k.clone(), json!(v))))
            .collect();
        object["stringData"] = Value::Object(data);
    }
    Ok(out)
}

fn resource(group: &str, version: &str, kind: &str, plural: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(&GroupVersionKind::gvk(group, version, kind), plural)
}

fn kind_of(
    object: &Value,
) -> Option<&'static (&'static str, &'static str, &'static str, &'static str, bool)> {
    let api_version = object["apiVersion"].as_str()?;
    let kind = object["kind"].as_str()?;
    let (group, version) = api_version.rsplit_once('/').unwrap_or(("", api_version));
    KINDS
        .iter()
        .find(|(g, v, k, _, _)| *g == group && *v == version && *k == kind)
}

fn api_for(
    client: &kube::Client,
    object: &Value,
) -> Result<(Api<DynamicObject>, String), DeployError> {
    let id = object_id(object);
    let (group, version, kind, plural, namespaced) =
        kind_of(object).ok_or_else(|| DeployError::UnknownKind(id.clone()))?;
    let ar = resource(group, version, kind, plural);
    let api = match (namespaced, object["metadata"]["namespace"].as_str()) {
        (true, Some(ns)) => Api::namespaced_with(client.clone(), ns, &ar),
        _ => Api::all_with(client.clone(), &ar),
    };
    let name = object["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    Ok((api, name))
}

/// Server-side apply with shinyctl as the field manager (forced: shinyctl owns these fields).
async fn apply(client: &kube::Client, object: &Value) -> Result<(), DeployError> {
    let (api, name) = api_for(client, object)?;
    api.patch(
        &name,
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(object),
    )
    .await
    .map(|_| ())
    .map_err(|e| DeployError::Api {
        what: format!("applying {}", object_id(object)),
        message: kube_message(&e),
    })
}

/// `app.kubernetes.io/managed-by=shinyctl,shinyctl.dev/blueprint=<blueprint>`.
fn owned_selector(blueprint: &str) -> String {
    format!(
        "{}={},{BLUEPRINT_LABEL}={blueprint}",
        MANAGED_BY.0, MANAGED_BY.1
    )
}

/// One row of [`KINDS`]: group, version, kind, plural, namespaced.
type KindRow = (&'static str, &'static str, &'static str, &'static str, bool);

/// This blueprint's objects of each of `kinds`, listed all at once (one call per kind, in
/// flight together), in the order of `kinds`; a kind the cluster does not serve (no CRD) has none.
async fn list_kinds<'k>(
    client: &kube::Client,
    blueprint: &str,
    kinds: impl Iterator<Item = &'k KindRow>,
) -> Result<Vec<(&'k KindRow, ApiResource, Vec<DynamicObject>)>, DeployError> {
    let selector = owned_selector(blueprint);
    let lists = kinds.map(|row| {
        let (group, version, kind, plural, _) = row;
        let ar = resource(group, version, kind, plural);
        let selector = &selector;
        async move {
            let api: Api<DynamicObject> = Api::all_with(client.clone(), &ar);
            let items = match api.list(&ListParams::default().labels(selector)).await {
                Ok(list) => list.items,
                Err(kube::Error::Api(status)) if status.code == 404 => Vec::new(),
                Err(e) => {
                    return Err(DeployError::Api {
                        what: format!("listing {plural} of blueprint {blueprint}"),
                        message: kube_message(&e),
                    });
                }
            };
            Ok((row, ar, items))
        }
    });
    futures::future::try_join_all(lists).await
}

/// Every object of the workload's kinds that carries this blueprint's ownership labels, as JSON
/// with `apiVersion` and `kind` set and without `managedFields` (for the live plan). A kind the
/// cluster does not serve (no TargetGroupBinding CRD yet) has no objects.
pub async fn list_owned(client: &kube::Client, blueprint: &str) -> Result<Vec<Value>, DeployError> {
    let mut out = Vec::new();
    for ((_, _, kind, plural, _), ar, items) in list_kinds(client, blueprint, KINDS.iter()).await? {
        for mut item in items {
            item.metadata.managed_fields = None;
            let mut value = serde_json::to_value(&item).map_err(|e| DeployError::Api {
                what: format!("reading {plural} of blueprint {blueprint}"),
                message: e.to_string(),
            })?;
            value["apiVersion"] = json!(ar.api_version);
            value["kind"] = json!(kind);
            out.push(value);
        }
    }
    Ok(out)
}

/// Whether any object of this blueprint's `kinds` (e.g. `Service`, `TargetGroupBinding`) other
/// than the controllers' own is still on the cluster: destroy waits for them so what controllers
/// made for them goes too.
pub async fn any_left(
    client: &kube::Client,
    blueprint: &str,
    kinds: &[&str],
) -> Result<bool, DeployError> {
    let rows = KINDS.iter().filter(|k| kinds.contains(&k.2));
    let lists = list_kinds(client, blueprint, rows).await?;
    Ok(lists
        .iter()
        .any(|(_, _, items)| items.iter().any(|item| !is_controller_object(item))))
}

/// What [`prune`] keeps besides the objects it is given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keep {
    /// Only the objects listed.
    Listed,
    /// The listed and every controller's (destroy's first pass: the controllers must outlive
    /// what they manage, to let go of what they made in AWS for it).
    ListedAndControllers,
}

fn is_controller_object(item: &DynamicObject) -> bool {
    item.metadata
        .labels
        .as_ref()
        .and_then(|labels| labels.get(controllers::PART_OF))
        .is_some_and(|name| controllers::CONTROLLERS.contains(&name.as_str()))
}

/// Deletes every object labelled as this blueprint's that `keep` does not have (nor, with
/// [`Keep::ListedAndControllers`], a controller's); returns their ids. Kinds are listed
/// together, then deleted in reverse order of [`KINDS`] (namespaces and CRDs last).
pub async fn prune(
    client: &kube::Client,
    blueprint: &str,
    keep: &[Value],
    mode: Keep,
) -> Result<Vec<String>, DeployError> {
    let wanted: BTreeSet<String> = keep.iter().map(object_id).collect();
    let mut pruned = Vec::new();
    for ((_, _, kind, _, _), ar, items) in list_kinds(client, blueprint, KINDS.iter().rev()).await?
    {
        for item in items {
            let name = item.metadata.name.clone().unwrap_or_default();
            let namespace = item.metadata.namespace.clone();
            let id = format!(
                "{}/{kind}/{}/{name}",
                ar.api_version,
                namespace.clone().unwrap_or_default()
            );
            if wanted.contains(&id)
                || (mode == Keep::ListedAndControllers && is_controller_object(&item))
            {
                continue;
            }
            let api: Api<DynamicObject> = match &namespace {
                Some(ns) => Api::namespaced_with(client.clone(), ns, &ar),
                None => Api::all_with(client.clone(), &ar),
            };
            match api.delete(&name, &DeleteParams::background()).await {
                Ok(_) => pruned.push(id),
                // Gone already (e.g. with its namespace): nothing left to prune.
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(e) => {
                    return Err(DeployError::Api {
                        what: format!("pruning {id}"),
                        message: kube_message(&e),
                    });
                }
            }
        }
    }
    Ok(pruned)
}

/// Waits until the Deployment has all its replicas updated and available (like `kubectl rollout
/// status`); on timeout or a failed rollout, reports its pods that are not ready.
pub(crate) async fn wait_for_rollout(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    wait: RolloutWait,
) -> Result<(), DeployError> {
    let ar = resource("apps", "v1", "Deployment", "deployments");
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &ar);
    let started = tokio::time::Instant::now();
    let mut polls = 0;
    loop {
        let deployment = api.get(name).await.map_err(|e| DeployError::Api {
            what: format!("reading deployment {namespace}/{name}"),
            message: kube_message(&e),
        })?;
        let generation = deployment.metadata.generation.unwrap_or(0);
        match rollout_state(&deployment.data, generation) {
            RolloutState::Done => return Ok(()),
            RolloutState::Failed(reason) => {
                return Err(DeployError::Rollout {
                    deployment: format!("{namespace}/{name}"),
                    reason,
                    pods: pod_problems(client, namespace, &deployment.data).await,
                });
            }
            RolloutState::Progressing => {}
        }
        if started.elapsed() >= wait.timeout {
            return Err(DeployError::Rollout {
                deployment: format!("{namespace}/{name}"),
                reason: format!("not complete after {} s", wait.timeout.as_secs()),
                pods: pod_problems(client, namespace, &deployment.data).await,
            });
        }
        // Looked at once at once (an unchanged deployment is done); then on the schedule.
        tokio::time::sleep(wait.schedule.delay(polls, started.elapsed())).await;
        polls += 1;
    }
}

/// A Deployment's rollout, as `kubectl rollout status` judges it (also `shinyctl status`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RolloutState {
    Done,
    Progressing,
    Failed(String),
}

/// `kubectl rollout status`'s rule on a Deployment's `spec`/`status`.
pub(crate) fn rollout_state(data: &Value, generation: i64) -> RolloutState {
    let status = &data["status"];
    let number = |v: &Value| v.as_i64().unwrap_or(0);
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    if let Some(c) = conditions
        .iter()
        .find(|c| c["type"] == "Progressing" && c["reason"] == "ProgressDeadlineExceeded")
    {
        return RolloutState::Failed(format!(
            "progress deadline exceeded: {}",
            c["message"].as_str().unwrap_or_default()
        ));
    }
    let wanted = data["spec"]["replicas"].as_i64().unwrap_or(1);
    let observed = number(&status["observedGeneration"]) >= generation;
    let updated = number(&status["updatedReplicas"]) >= wanted;
    let available = number(&status["availableReplicas"]) >= wanted;
    let old_gone = number(&status["replicas"]) <= number(&status["updatedReplicas"]);
    if observed && updated && available && old_gone {
        RolloutState::Done
    } else {
        RolloutState::Progressing
    }
}

/// The Deployment's pods that are not ready, with the most specific reason Kubernetes gives.
async fn pod_problems(
    client: &kube::Client,
    namespace: &str,
    deployment: &Value,
) -> Vec<PodProblem> {
    let labels: Vec<String> = deployment["spec"]["selector"]["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let api: Api<DynamicObject> = Api::namespaced_with(
        client.clone(),
        namespace,
        &resource("", "v1", "Pod", "pods"),
    );
    let Ok(pods) = api
        .list(&ListParams::default().labels(&labels.join(",")))
        .await
    else {
        return Vec::new();
    };
    pods.items
        .iter()
        .filter_map(|pod| {
            let name = pod.metadata.name.clone().unwrap_or_default();
            pod_problem(&pod.data).map(|(reason, message)| PodProblem {
                pod: name,
                reason,
                message,
            })
        })
        .collect()
}

/// Why one pod is not ready: a waiting or terminated container's reason (ImagePullBackOff,
/// CrashLoopBackOff, ...), else a false pod condition (Unschedulable, ...); `None` when ready.
fn pod_problem(pod: &Value) -> Option<(String, String)> {
    let status = &pod["status"];
    let conditions = status["conditions"].as_array().cloned().unwrap_or_default();
    let ready = conditions
        .iter()
        .any(|c| c["type"] == "Ready" && c["status"] == "True");
    if ready {
        return None;
    }
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    let containers = status["initContainerStatuses"]
        .as_array()
        .into_iter()
        .chain(status["containerStatuses"].as_array())
        .flatten();
    for container in containers {
        for state in ["waiting", "terminated"] {
            let s = &container["state"][state];
            if s.is_object() && s["reason"].is_string() && s["reason"] != "Completed" {
                return Some((text(&s["reason"]), text(&s["message"])));
            }
        }
    }
    if let Some(c) = conditions.iter().find(|c| c["status"] == "False") {
        return Some((text(&c["reason"]), text(&c["message"])));
    }
    let phase = text(&status["phase"]);
    let reason = if phase.is_empty() {
        "NotReady".into()
    } else {
        phase
    };
    Some((reason, String::new()))
}

fn kube_message(error: &kube::Error) -> String {
    match error {
        kube::Error::Api(status) => format!("{} ({})", status.message, status.code),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rollout_is_done_when_every_replica_is_updated_and_available() {
        let done = json!({"spec": {"replicas": 2}, "status": {"observedGeneration": 3, "replicas": 2, "updatedReplicas": 2, "availableReplicas": 2}});
        assert_eq!(rollout_state(&done, 3), RolloutState::Done);
        assert_eq!(rollout_state(&done, 4), RolloutState::Progressing);
        let surging = json!({"spec": {"replicas": 2}, "status": {"observedGeneration": 3, "replicas": 3, "updatedReplicas": 2, "availableReplicas": 2}});
        assert_eq!(rollout_state(&surging, 3), RolloutState::Progressing);
        let stuck = json!({"spec": {"replicas": 2}, "status": {"conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded", "message": "too slow"}]}});
        assert!(
            matches!(rollout_state(&stuck, 1), RolloutState::Failed(m) if m.contains("too slow"))
        );
    }

    #[test]
    fn an_image_that_cannot_be_pulled_names_the_mirror_command() {
        let error = DeployError::Rollout {
            deployment: "shinyproxy".into(),
            reason: "timed out".into(),
            pods: vec![PodProblem {
                pod: "shinyproxy-1".into(),
                reason: "ImagePullBackOff".into(),
                message: "Back-off pulling image".into(),
            }],
        };
        assert!(error.to_string().contains("shinyctl images mirror -f FILE"));
    }

    #[test]
    fn pod_problems_name_the_container_reason() {
        let pulling = json!({"status": {"phase": "Pending", "conditions": [{"type": "Ready", "status": "False", "reason": "ContainersNotReady"}],
            "containerStatuses": [{"name": "shinyproxy", "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image"}}}]}});
        assert_eq!(
            pod_problem(&pulling),
            Some(("ImagePullBackOff".into(), "Back-off pulling image".into()))
        );
        let unschedulable = json!({"status": {"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable", "message": "0/2 nodes"}]}});
        assert_eq!(
            pod_problem(&unschedulable),
            Some(("Unschedulable".into(), "0/2 nodes".into()))
        );
        let ready = json!({"status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(pod_problem(&ready), None);
    }

    #[test]
    fn secret_values_fill_the_secret_or_name_what_is_missing() {
        let secret = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": secrets::SECRET_NAME, "namespace": "sp",
            "annotations": {super::super::manifests::SECRET_SOURCES: "{\"A\":\"ssm:/a\",\"B\":\"ssm:/b\"}"}}});
        let mut values = BTreeMap::new();
        values.insert("A".to_string(), "1".to_string());
        match with_secret_values(std::slice::from_ref(&secret), &values) {
            Err(DeployError::MissingSecrets(keys)) => assert_eq!(keys, ["B"]),
            other => panic!("{other:?}"),
        }
        values.insert("B".to_string(), "2".to_string());
        let filled = with_secret_values(&[secret], &values).unwrap();
        assert_eq!(filled[0]["stringData"], json!({"A": "1", "B": "2"}));
    }

    #[test]
    fn every_rendered_kind_is_known() {
        let bp = crate::load::shipped("shinyproxy-eks.yaml").blueprint;
        let workload =
            super::super::render(&bp, &super::super::PlatformFacts::placeholders(&bp)).unwrap();
        for object in &workload.objects {
            assert!(kind_of(object).is_some(), "{}", object_id(object));
        }
    }
}
