//! The Kubernetes objects of the proxy workload, in apply order. See docs/workload.md for why
//! each one looks the way it does.

use serde_json::{Map, Value, json};

use crate::blueprint::Blueprint;
use crate::blueprint::model::Proxy;

use super::facts::PlatformFacts;
use super::secrets::{self, SecretValue};
use super::{ACTUATOR_PORT, Meta, NAME, PROXY_PORT, checkov_skip, efs, fingerprint, yaml};

pub const CONFIG_MAP: &str = "shinyproxy-config";
/// Upstream image; `proxy.version` is its tag.
pub const IMAGE: &str = "openanalytics/shinyproxy";
/// ShinyProxy runs as this unprivileged user (any uid works: the image's files are world-readable).
const RUN_AS: u32 = 10_001;
/// Pod-template annotation holding the fingerprint of the configuration.
pub const CONFIG_HASH: &str = "shinyctl.dev/config-hash";
/// Annotation of the Secret: where apply reads each key's value.
pub const SECRET_SOURCES: &str = "shinyctl.dev/secret-sources";

pub(super) fn objects(
    bp: &Blueprint,
    proxy: &Proxy,
    facts: &PlatformFacts,
    application_yml: &Value,
) -> Vec<Value> {
    let meta = Meta {
        blueprint: &bp.metadata.name,
    };
    let mut out = vec![namespace(&meta, &proxy.namespace, "restricted")];
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
    out.push(deployment(&meta, proxy, &config_text, &secret_values));
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

/// ShinyProxy's service account may manage app pods, read their logs and read events in the
/// apps' namespace, and nothing else: a Role there (never a ClusterRole), bound to the account in
/// its own namespace. What containerproxy 1.1.1's `KubernetesBackend` calls: pods create, get,
/// list, watch, delete and their log; events list (a failed start's reasons and the startup
/// statistics). Services only without internal networking (shinyctl always uses it) and claims
/// only for additional manifests (shinyctl renders none): neither is granted, so ShinyProxy can
/// never delete the shared EFS claim.
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

fn deployment(meta: &Meta, proxy: &Proxy, config_text: &str, secrets: &[SecretValue]) -> Value {
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
        "image": format!("{IMAGE}:{}", proxy.version),
        // A tag can be re-pushed: always check it against the registry.
        "imagePullPolicy": "Always",
        "ports": [
            {"name": "http", "containerPort": PROXY_PORT, "protocol": "TCP"},
            {"name": "management", "containerPort": ACTUATOR_PORT, "protocol": "TCP"},
        ],
        "env": [{"name": "JAVA_TOOL_OPTIONS", "value": "-XX:MaxRAMPercentage=75 -Djava.io.tmpdir=/tmp"}],
        "resources": {
            "requests": {"cpu": "500m", "memory": "1Gi"},
            "limits": {"cpu": "2", "memory": "2Gi"},
        },
        // Spring Boot's health groups (ShinyProxy enables the probes on the management port).
        "startupProbe": probe("/actuator/health/liveness", 5, 36),
        "livenessProbe": probe("/actuator/health/liveness", 10, 3),
        "readinessProbe": probe("/actuator/health/readiness", 5, 3),
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "allowPrivilegeEscalation": false,
            "privileged": false,
            "readOnlyRootFilesystem": true,
            "capabilities": {"drop": ["ALL"]},
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "volumeMounts": volume_mounts,
    });
    let mut pod_spec = json!({
        "serviceAccountName": NAME,
        // ShinyProxy starts and stops the apps' pods through the Kubernetes API.
        "automountServiceAccountToken": true,
        "securityContext": {
            "runAsNonRoot": true,
            "runAsUser": RUN_AS,
            "runAsGroup": RUN_AS,
            "fsGroup": RUN_AS,
            "seccompProfile": {"type": "RuntimeDefault"},
        },
        "terminationGracePeriodSeconds": 60,
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
    let template_meta = json!({
        "labels": with_labels(json!({"labels": meta.labels()}), &selector(meta))["labels"],
        "annotations": {CONFIG_HASH: hash},
    });
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
            "template": {"metadata": template_meta, "spec": pod_spec},
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
        "the upstream ShinyProxy image is pinned by its release tag (proxy.version); resolving a digest needs the registry, which rendering does not reach",
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
