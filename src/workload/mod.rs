//! The proxy workload: ShinyProxy's `application.yml` and the Kubernetes objects that run it on
//! the blueprint's EKS cluster. Rendering is pure (blueprint + [`PlatformFacts`] in, JSON values
//! out); writing YAML lives in `render::workload`, talking to a cluster in `deploy`.
//!
//! Every object carries the labels [`MANAGED_BY`] and [`BLUEPRINT_LABEL`]: apply prunes what it
//! applied earlier and the blueprint no longer has by selecting on them.

pub(crate) mod controllers;
pub mod deploy;
pub(crate) mod efs;
pub(crate) mod facts;
pub(crate) mod keys;
mod manifests;
pub(crate) mod plan;
pub mod rollout;
pub mod secrets;
pub(crate) mod shinyproxy;
pub mod usage_user;
pub mod yaml;

pub use facts::PlatformFacts;

use serde_json::{Map, Value, json};

use crate::blueprint::Blueprint;

/// `app.kubernetes.io/managed-by: shinyctl` marks every object shinyctl applies.
pub(crate) const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "shinyctl");
/// `shinyctl.dev/blueprint: <metadata.name>`: whose object it is.
pub(crate) const BLUEPRINT_LABEL: &str = "shinyctl.dev/blueprint";
/// The field manager of server-side apply.
pub(crate) const FIELD_MANAGER: &str = "shinyctl";
/// ShinyProxy's HTTP port (the catalog's target group sends traffic there).
pub(crate) const PROXY_PORT: u16 = 8080;
/// Spring Boot actuator (health probes), ShinyProxy's default management port.
pub(crate) const ACTUATOR_PORT: u16 = 9090;
/// ShinyProxy's own objects are called this (Deployment, Service, ServiceAccount, ...).
pub(crate) const NAME: &str = "shinyproxy";

/// What `render` produces for a blueprint with a `proxy` section.
#[derive(Debug, Clone, PartialEq)]
pub struct Workload {
    /// ShinyProxy's configuration (also inside the ConfigMap); null without a proxy.
    pub(crate) application_yml: Value,
    /// Kubernetes objects, in the order they can be applied: the controllers' (`controllers`),
    /// then ShinyProxy's (namespaces first).
    pub objects: Vec<Value>,
}

/// The workload of `bp`, or `None` when it has neither a proxy nor a controller to install. A
/// blueprint without a proxy may still need the load balancer controller (a cluster behind an
/// ingress: its owner binds their own Service to the catalog's target group); its workload is
/// then the controller alone, with a null `application_yml`.
pub fn render(bp: &Blueprint, facts: &PlatformFacts) -> Option<Workload> {
    // The controllers first: the workload's TargetGroupBinding needs theirs.
    let mut objects = controllers::objects(bp, facts);
    let Some(proxy) = bp.proxy.as_ref() else {
        return (!objects.is_empty()).then_some(Workload {
            application_yml: Value::Null,
            objects,
        });
    };
    let application_yml = shinyproxy::application_yml(bp, proxy, facts);
    objects.extend(manifests::objects(bp, proxy, facts, &application_yml));
    Some(Workload {
        application_yml,
        objects,
    })
}

/// A stable identity of an object: `apiVersion/kind/namespace/name` (namespace empty when
/// cluster-scoped). Used for plans, pruning and file names.
pub(crate) fn object_id(object: &Value) -> String {
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let meta = &object["metadata"];
    format!(
        "{}/{}/{}/{}",
        text(&object["apiVersion"]),
        text(&object["kind"]),
        text(&meta["namespace"]),
        text(&meta["name"])
    )
}

/// Metadata builder: every object gets the ownership labels.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Meta<'a> {
    pub(crate) blueprint: &'a str,
}

impl Meta<'_> {
    pub(crate) fn labels(&self) -> Map<String, Value> {
        let mut labels = Map::new();
        labels.insert(MANAGED_BY.0.into(), json!(MANAGED_BY.1));
        labels.insert(BLUEPRINT_LABEL.into(), json!(self.blueprint));
        labels.insert("app.kubernetes.io/part-of".into(), json!(NAME));
        labels
    }

    pub(crate) fn cluster_scoped(&self, name: &str) -> Value {
        json!({"name": name, "labels": self.labels()})
    }

    pub(crate) fn namespaced(&self, name: &str, namespace: &str) -> Value {
        json!({"name": name, "namespace": namespace, "labels": self.labels()})
    }
}

/// A container's security context under the Pod Security Standards' "restricted" profile (what
/// the namespaces enforce): a non-root `uid`, no privilege escalation, a read-only root file
/// system, every capability dropped, the runtime's default seccomp profile.
pub(crate) fn restricted_container(uid: u32) -> Value {
    serde_json::json!({
        "runAsNonRoot": true,
        "runAsUser": uid,
        "runAsGroup": uid,
        "allowPrivilegeEscalation": false,
        "privileged": false,
        "readOnlyRootFilesystem": true,
        "capabilities": {"drop": ["ALL"]},
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}

/// The pod-level half of [`restricted_container`] (volumes owned by `uid`'s group).
pub(crate) fn restricted_pod(uid: u32) -> Value {
    serde_json::json!({
        "runAsNonRoot": true,
        "runAsUser": uid,
        "runAsGroup": uid,
        "fsGroup": uid,
        "seccompProfile": {"type": "RuntimeDefault"},
    })
}

/// Adds checkov's skip annotation (`checkov.io/skip<N>: <CHECK>=<reason>`) to `object`, so every
/// checkov run sees the same, explained, exception.
pub(crate) fn checkov_skip(object: &mut Value, check: &str, reason: &str) {
    let Some(meta) = object.get_mut("metadata").and_then(Value::as_object_mut) else {
        return;
    };
    let annotations = meta
        .entry("annotations")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Some(annotations) = annotations.as_object_mut() {
        let n = annotations
            .keys()
            .filter(|k| k.starts_with("checkov.io/skip"))
            .count()
            + 1;
        annotations.insert(
            format!("checkov.io/skip{n}"),
            json!(format!("{check}={reason}")),
        );
    }
}

/// FNV-1a, 64 bits, as 16 hex digits: a stable fingerprint (not a security hash) of the config,
/// put on the pod template so that a config change rolls the Deployment.
pub(crate) fn fingerprint(text: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in text.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}")
}

#[cfg(test)]
mod tests;
