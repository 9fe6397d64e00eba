//! EFS for the apps: one StorageClass for the blueprint, and per access point a statically
//! provisioned PersistentVolume (`volumeHandle: <fs-id>::<fsap-id>`) bound to a
//! PersistentVolumeClaim in the apps' namespace (ReadWriteMany: every app pod and replica shares
//! it). Static, not dynamic, provisioning: the access points are the catalog's (shinyctl makes and
//! deletes them in AWS), and Fargate pods can only mount static EFS volumes.

use serde_json::{Value, json};

use crate::blueprint::model::{AccessPoint, App, Proxy};

use super::Meta;
use super::facts::EfsFacts;

/// The EFS CSI driver's name (built into EKS Fargate; an add-on on nodes).
pub(crate) const CSI_DRIVER: &str = "efs.csi.aws.com";

/// EFS is elastic; Kubernetes requires a capacity, which the driver ignores.
const NOMINAL_CAPACITY: &str = "5Gi";

pub(crate) fn storage_class_name(blueprint: &str) -> String {
    format!("{blueprint}-efs")
}

/// The claim (in the apps' namespace) and pod volume name of an access point.
pub(crate) fn claim_name(access_point: &str) -> String {
    format!("efs-{access_point}")
}

pub(crate) fn persistent_volume_name(blueprint: &str, access_point: &str) -> String {
    format!("{blueprint}-efs-{access_point}")
}

pub(crate) fn storage_class(meta: &Meta) -> Value {
    json!({
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": meta.cluster_scoped(&storage_class_name(meta.blueprint)),
        "provisioner": CSI_DRIVER,
        "reclaimPolicy": "Retain",
        "volumeBindingMode": "Immediate",
    })
}

/// The PersistentVolume and the claim bound to it, for one access point.
pub(crate) fn volume_and_claim(
    meta: &Meta,
    proxy: &Proxy,
    access_point: &AccessPoint,
    facts: &EfsFacts,
) -> [Value; 2] {
    let pv_name = persistent_volume_name(meta.blueprint, &access_point.name);
    let ap_id = facts
        .access_points
        .get(&access_point.name)
        .cloned()
        .unwrap_or_default();
    let class = storage_class_name(meta.blueprint);
    let pv = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": meta.cluster_scoped(&pv_name),
        "spec": {
            "capacity": {"storage": NOMINAL_CAPACITY},
            "volumeMode": "Filesystem",
            "accessModes": ["ReadWriteMany"],
            // The data belongs to EFS and outlives the workload.
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": class,
            "claimRef": {"namespace": proxy.app_namespace, "name": claim_name(&access_point.name)},
            "csi": {
                "driver": CSI_DRIVER,
                "volumeHandle": format!("{}::{ap_id}", facts.file_system_id),
            },
        },
    });
    let pvc = json!({
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": meta.namespaced(&claim_name(&access_point.name), &proxy.app_namespace),
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "storageClassName": class,
            "volumeName": pv_name,
            "resources": {"requests": {"storage": NOMINAL_CAPACITY}},
        },
    });
    [pv, pvc]
}

/// JSON-patch operations that add an app's EFS mounts to its pod (ShinyProxy's documented way to
/// mount PersistentVolumeClaims: `kubernetes-pod-patches`); `None` without mounts.
pub(crate) fn pod_patches(app: &App) -> Option<Value> {
    if app.mounts.is_empty() {
        return None;
    }
    let mut names: Vec<&str> = app.mounts.iter().map(|m| m.access_point.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    let volumes: Vec<Value> = names
        .iter()
        .map(|ap| {
            json!({
                "name": claim_name(ap),
                "persistentVolumeClaim": {"claimName": claim_name(ap)},
            })
        })
        .collect();
    let mounts: Vec<Value> = app
        .mounts
        .iter()
        .map(|m| {
            json!({
                "name": claim_name(&m.access_point),
                "mountPath": m.path,
                "readOnly": m.read_only,
            })
        })
        .collect();
    Some(json!([
        {"op": "add", "path": "/spec/volumes", "value": volumes},
        {"op": "add", "path": "/spec/containers/0/volumeMounts", "value": mounts},
    ]))
}
