//! The Kubernetes objects of the proxy workload, in apply order. See docs/workload.md for why
//! each one looks the way it does.

use serde_json::{Map, Value, json};

use crate::blueprint::Blueprint;
use crate::blueprint::model::Proxy;

use super::facts::{KNOWN_AFTER_APPLY, PlatformFacts};
use super::rollout::{self, PROXY_VERSION_ENV, TEMPLATE_HASH};
use super::secrets::{self, SecretValue};
use super::{ACTUATOR_PORT, Meta, NAME, PROXY_PORT, checkov_skip, efs, fingerprint, yaml};

pub(crate) const CONFIG_MAP: &str = "shinyproxy-config";
/// ShinyProxy runs as this unprivileged user (any uid works: the image's files are world-readable).
const RUN_AS: u32 = 10_001;
/// Pod-template annotation holding the fingerprint of the configuration.
pub(crate) const CONFIG_HASH: &str = "shinyctl.dev/config-hash";
/// Annotation of the Secret: where apply reads each key's value.
pub(crate) const SECRET_SOURCES: &str = "shinyctl.dev/secret-sources";
/// Namespace label that has the AWS Load Balancer Controller inject its pod readiness gate.
pub(crate) const READINESS_GATE_INJECT: &str = "elbv2.k8s.aws/pod-readiness-gate-inject";

pub(super) fn objects(
    bp: &Blueprint,
    proxy: &Proxy,
    facts: &PlatformFacts,
    application_yml: &Value,
) -> Vec<Value> {
    let meta = Meta {
        blueprint: &bp.metadata.name,
    };
    let mut proxy_namespace = namespace(&meta, &proxy.namespace, "restricted");
    if facts.target_group_arn.is_some() {
        // The AWS Load Balancer Controller injects its readiness gate into pods created in a
        // namespace with this label whose Service a TargetGroupBinding names (IP targets): a
        // new ShinyProxy pod is Ready only once the ALB reports it healthy, so a rollout never
        // stops an old pod before the new one takes traffic (the controller's
        // docs/deploy/pod_readiness_gate.md, v3.5.0).
        proxy_namespace["metadata"]["labels"][READINESS_GATE_INJECT] = json!("enabled");
    }
    let mut out = vec![proxy_namespace];
    if proxy.app_namespace != proxy.namespace {
        // Apps are the users' images (many Shiny images run as root): baseline, not restricted.
        out.push(namespace(&meta, &proxy.app_namespace, "baseline"));
    }
    out.extend(storage(&meta, bp, proxy, facts));
    out.extend(rbac(&meta, proxy));
    let config_text = yaml::to_yaml(application_yml);
    let secret_values = secrets::needed(proxy, facts);
    out.push(config_map(&meta, proxy, &config_text));
    if !secret_values.is_empty() {
        out.push(secret(&meta, proxy, &secret_values));
    }
    out.push(service(&meta, proxy));
    out.push(headless_service(&meta, proxy));
    let version = if facts.offline {
        rollout::OFFLINE_VERSION
    } else {
        KNOWN_AFTER_APPLY
    };
    let rollout = Rollout {
        drain_seconds: rollout::drain_seconds(bp),
        version,
        secret_versions: if facts.offline {
            "offline"
        } else {
            KNOWN_AFTER_APPLY
        },
    };
    let image = super::shinyproxy::resolve_image(
        bp,
        &crate::blueprint::images::proxy_image(proxy).image,
        facts,
    );
    // The usage-statistics user is made before ShinyProxy starts (its collector connects at
    // start-up): the Job and its Secret come before the Deployment.
    out.extend(super::usage_user::objects(bp, proxy, facts));
    super::usage_user::mark_secret(&mut out);
    out.push(deployment(
        &meta,
        proxy,
        &image,
        &config_text,
        &secret_values,
        &rollout,
    ));
    out.push(disruption_budget(&meta, proxy));
    out.extend(network_policies(&meta, proxy));
    if let Some(arn) = &facts.target_group_arn {
        out.push(target_group_binding(&meta, proxy, arn));
    }
    out
}

/// Labels that select ShinyProxy's pods.
fn selector(meta: &Meta) -> Value {
    json!({"app.kubernetes.io/name": NAME, "app.kubernetes.io/instance": meta.blueprint})
}

fn with_labels(mut metadata: Value, extra: &Value) -> Value {
    if let (Some(labels), Some(extra)) = (metadata["labels"].as_object_mut(), extra.as_object()) {
        labels.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    metadata
}

fn namespace(meta: &Meta, name: &str, pod_security: &str) -> Value {
    let mut metadata = meta.cluster_scoped(name);
    metadata = with_labels(
        metadata,
        &json!({"pod-security.kubernetes.io/enforce": pod_security}),
    );
    json!({"apiVersion": "v1", "kind": "Namespace", "metadata": metadata})
}

fn storage(meta: &Meta, bp: &Blueprint, proxy: &Proxy, facts: &PlatformFacts) -> Vec<Value> {
    let (Some(efs_section), Some(efs_facts)) = (
        bp.storage.as_ref().and_then(|s| s.efs.as_ref()),
        facts.efs.as_ref(),
    ) else {
        return Vec::new();
    };
    let mounted: Vec<_> = efs_section
        .access_points
        .iter()
        .filter(|ap| {
            proxy
                .apps
                .iter()
                .any(|app| app.mounts.iter().any(|m| m.access_point == ap.name))
        })
        .collect();
    if mounted.is_empty() {
        return Vec::new();
    }
    let mut out = vec![efs::storage_class(meta)];
    for ap in mounted {
        out.extend(efs::volume_and_claim(meta, proxy, ap, efs_facts));
    }
    out
}

/// The headless Service containerproxy 1.2.0 puts app pods under with internal networking
/// (`KubernetesBackend`: `HEADLESS_SERVICE_NAME`, each pod's `subdomain`, reached as
/// `<pod>.sp-headless-service.<namespace>.svc...`), selecting its label
/// `openanalytics.eu/sp-headless-service: "true"`.
pub(crate) const HEADLESS_SERVICE: &str = "sp-headless-service";

/// containerproxy 1.2.0 gets the headless Service before each app start and creates it when it
/// is missing; shinyctl renders it, so ShinyProxy only ever reads it and needs no right to
/// create Services.
fn headless_service(meta: &Meta, proxy: &Proxy) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta.namespaced(HEADLESS_SERVICE, &proxy.app_namespace),
        "spec": {
            "clusterIP": "None",
            "selector": {"openanalytics.eu/sp-headless-service": "true"},
        },
    })
}

/// ShinyProxy's service account may manage app pods, read their logs and read events in the
/// apps' namespace, and nothing else: a Role there (never a ClusterRole), bound to the account in
/// its own namespace. What containerproxy 1.2.0's `KubernetesBackend` calls with internal
/// networking: pods create, get, list, watch, delete and their log; events list (a failed start's
/// reasons and the startup statistics); get of the headless Service (shinyctl renders it, see
/// [`headless_service`]). Other Services only without internal networking (shinyctl always uses
/// it) and claims only for additional manifests (shinyctl renders none): neither is granted, so
/// ShinyProxy can never delete the shared EFS claim.
fn rbac(meta: &Meta, proxy: &Proxy) -> Vec<Value> {
    let account = json!({
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": meta.namespaced(NAME, &proxy.namespace),
        // The token is mounted only by the pod that needs it (the Deployment's), not by default.
        "automountServiceAccountToken": false,
    });
    let manage = json!(["get", "list", "watch", "create", "delete"]);
    let role = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "Role",
        "metadata": meta.namespaced(NAME, &proxy.app_namespace),
        "rules": [
            {"apiGroups": [""], "resources": ["pods"], "verbs": manage},
            {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
            {"apiGroups": [""], "resources": ["events"], "verbs": ["get", "list"]},
            {"apiGroups": [""], "resources": ["services"], "resourceNames": [HEADLESS_SERVICE], "verbs": ["get"]},
        ],
    });
    let binding = json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "RoleBinding",
        "metadata": meta.namespaced(NAME, &proxy.app_namespace),
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": NAME},
        "subjects": [{"kind": "ServiceAccount", "name": NAME, "namespace": proxy.namespace}],
    });
    vec![account, role, binding]
}

fn config_map(meta: &Meta, proxy: &Proxy, config_text: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": meta.namespaced(CONFIG_MAP, &proxy.namespace),
        "data": {"application.yml": config_text},
    })
}

/// The Secret without values: its annotation says where each comes from; apply reads them from
/// Secrets Manager / SSM and adds them when it deploys, so no rendered file holds one.
fn secret(meta: &Meta, proxy: &Proxy, values: &[SecretValue]) -> Value {
    let sources: Map<String, Value> = values
        .iter()
        .map(|v| (v.key.clone(), json!(v.source)))
        .collect();
    let mut metadata = meta.namespaced(secrets::SECRET_NAME, &proxy.namespace);
    metadata["annotations"] = json!({SECRET_SOURCES: Value::Object(sources).to_string()});
    json!({"apiVersion": "v1", "kind": "Secret", "metadata": metadata, "type": "Opaque"})
}

fn service(meta: &Meta, proxy: &Proxy) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": meta.namespaced(NAME, &proxy.namespace),
        "spec": {
            "type": "ClusterIP",
            "selector": selector(meta),
            "ports": [{"name": "http", "port": PROXY_PORT, "targetPort": "http", "protocol": "TCP"}],
        },
    })
}

/// What the Deployment needs for rollouts (`rollout.rs`).
struct Rollout<'a> {
    drain_seconds: u64,
    /// `PROXY_VERSION`: a placeholder until apply stamps it.
    version: &'a str,
    /// The secrets' versions: a placeholder until a live plan or apply reads them.
    secret_versions: &'a str,
}

/// `image`: ShinyProxy's image, resolved (`proxy.image` in the blueprint's ECR, or upstream).
fn deployment(
    meta: &Meta,
    proxy: &Proxy,
    image: &str,
    config_text: &str,
    secrets: &[SecretValue],
    rollout: &Rollout,
) -> Value {
    let sources: Vec<String> = secrets
        .iter()
        .map(|s| format!("{}={}", s.key, s.source))
        .collect();
    let hash = fingerprint(&format!("{config_text}\n{}", sources.join("\n")));
    let mut volume_mounts = vec![
        json!({"name": "config", "mountPath": "/opt/shinyproxy/application.yml", "subPath": "application.yml", "readOnly": true}),
        json!({"name": "tmp", "mountPath": "/tmp"}),
    ];
    let mut volumes = vec![
        json!({"name": "config", "configMap": {"name": CONFIG_MAP, "items": [{"key": "application.yml", "path": "application.yml"}]}}),
        json!({"name": "tmp", "emptyDir": {"sizeLimit": "512Mi"}}),
    ];
    if !secrets.is_empty() {
        volume_mounts
            .push(json!({"name": "secrets", "mountPath": secrets::MOUNT_PATH, "readOnly": true}));
        // 0440: readable by the pod's group (fsGroup), nobody else.
        volumes.push(json!({"name": "secrets", "secret": {"secretName": secrets::SECRET_NAME, "defaultMode": 0o440}}));
    }
    let probe = |path: &str, period: u32, failures: u32| {
        json!({
            "httpGet": {"path": path, "port": "management"},
            "periodSeconds": period,
            "timeoutSeconds": 5,
            "failureThreshold": failures,
        })
    };
    let container = json!({
        "name": NAME,
        "image": image,
        // A tag can be re-pushed: always check it against the registry.
        "imagePullPolicy": "Always",
        "ports": [
            {"name": "http", "containerPort": PROXY_PORT, "protocol": "TCP"},
            {"name": "management", "containerPort": ACTUATOR_PORT, "protocol": "TCP"},
        ],
        // No JVM flags: the 3.2 image's command sets -XX:MaxRAMPercentage=50 and
        // -XX:+ExitOnOutOfMemoryError itself, and command-line flags win over
        // JAVA_TOOL_OPTIONS (openanalytics/shinyproxy-docker, ShinyProxy/Dockerfile, 58c73b3).
        "env": [
            // containerproxy's IdentifierService: the runtime id in logs and Redis keys.
            {"name": "SP_KUBE_POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            // `proxy.version`: older configurations step out of leadership (rollout.rs).
            {"name": PROXY_VERSION_ENV, "value": rollout.version},
        ],
        // Keep serving while the ALB stops routing here, then shut down gracefully.
        "lifecycle": {"preStop": {"exec": {"command": ["sleep", rollout.drain_seconds.to_string()]}}},
        "resources": {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"cpu": "2", "memory": "2Gi"},
        },
        // Spring Boot's health groups (ShinyProxy enables the probes on the management port).
        "startupProbe": probe("/actuator/health/liveness", 5, 36),
        "livenessProbe": probe("/actuator/health/liveness", 10, 3),
        "readinessProbe": probe("/actuator/health/readiness", 5, 3),
        "securityContext": super::restricted_container(RUN_AS),
        "volumeMounts": volume_mounts,
    });
    let mut pod_spec = json!({
        "serviceAccountName": NAME,
        // ShinyProxy starts and stops the apps' pods through the Kubernetes API.
        "automountServiceAccountToken": true,
        "securityContext": super::restricted_pod(RUN_AS),
        // The drain, then Spring's graceful shutdown.
        "terminationGracePeriodSeconds": rollout.drain_seconds + rollout::SHUTDOWN_SECONDS,
        "containers": [container],
        "volumes": volumes,
    });
    if proxy.replicas > 1 {
        pod_spec["topologySpreadConstraints"] = json!([{
            "maxSkew": 1,
            "topologyKey": "topology.kubernetes.io/zone",
            "whenUnsatisfiable": "ScheduleAnyway",
            "labelSelector": {"matchLabels": selector(meta)},
        }]);
    }
    let mut template = json!({
        "metadata": {
            "labels": with_labels(json!({"labels": meta.labels()}), &selector(meta))["labels"],
            "annotations": {CONFIG_HASH: hash},
        },
        "spec": pod_spec,
    });
    if !secrets.is_empty() {
        // The secrets' current versions: known once AWS is read (`rollout::set_secret_versions`).
        template["metadata"]["annotations"][rollout::SECRET_VERSIONS] =
            json!(rollout.secret_versions);
    }
    template["metadata"]["annotations"][TEMPLATE_HASH] =
        json!(rollout::template_fingerprint(&template));
    let mut object = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": with_labels(meta.namespaced(NAME, &proxy.namespace), &selector(meta)),
        "spec": {
            "replicas": proxy.replicas,
            "revisionHistoryLimit": 5,
            "selector": {"matchLabels": selector(meta)},
            // Never below the wanted replicas during a rollout: users keep a proxy to talk to.
            "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}},
            "template": template,
        },
    });
    checkov_skip(
        &mut object,
        "CKV_K8S_38",
        "ShinyProxy creates and deletes the app pods through the Kubernetes API, so its pod needs the service account token (the account may only manage pods, services and claims in the apps' namespace)",
    );
    checkov_skip(
        &mut object,
        "CKV_K8S_43",
        "ShinyProxy's image is pinned by its release tag (proxy.version), or by the digest `proxy.image` names; resolving a tag to a digest needs the registry, which rendering does not reach",
    );
    object
}

fn disruption_budget(meta: &Meta, proxy: &Proxy) -> Value {
    json!({
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": meta.namespaced(NAME, &proxy.namespace),
        "spec": {"maxUnavailable": 1, "selector": {"matchLabels": selector(meta)}},
    })
}

/// ShinyProxy's pods take traffic on their HTTP and management ports only; the apps' pods take
/// traffic from ShinyProxy only (users reach apps through it, never directly). Enforced where the
/// cluster enforces NetworkPolicy (VPC CNI with network policies enabled).
fn network_policies(meta: &Meta, proxy: &Proxy) -> Vec<Value> {
    let mut out = vec![json!({
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": meta.namespaced(NAME, &proxy.namespace),
        "spec": {
            "podSelector": {"matchLabels": selector(meta)},
            "policyTypes": ["Ingress"],
            "ingress": [{"ports": [
                {"port": PROXY_PORT, "protocol": "TCP"},
                {"port": ACTUATOR_PORT, "protocol": "TCP"},
            ]}],
        },
    })];
    if proxy.app_namespace != proxy.namespace {
        out.push(json!({
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": meta.namespaced("apps-from-shinyproxy", &proxy.app_namespace),
            "spec": {
                "podSelector": {},
                "policyTypes": ["Ingress"],
                "ingress": [{"from": [{
                    "namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": proxy.namespace}},
                    "podSelector": {"matchLabels": selector(meta)},
                }]}],
            },
        }));
    }
    out
}

/// Registers ShinyProxy's pods (IP targets) in the target group the catalog made; the AWS Load
/// Balancer Controller keeps the registrations current as pods come and go.
fn target_group_binding(meta: &Meta, proxy: &Proxy, arn: &str) -> Value {
    json!({
        "apiVersion": "elbv2.k8s.aws/v1beta1",
        "kind": "TargetGroupBinding",
        "metadata": meta.namespaced(NAME, &proxy.namespace),
        "spec": {
            "serviceRef": {"name": NAME, "port": PROXY_PORT},
            "targetGroupARN": arn,
            "targetType": "ip",
        },
    })
}
