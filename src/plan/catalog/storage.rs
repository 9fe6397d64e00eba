//! `storage.efs`: the file system, one mount target per zone (in the data subnets), its security
//! group, access points, and the EFS CSI driver add-on on a cluster with node groups; `storage.buckets`: S3 buckets for the platform's files.

use serde_json::json;

use super::security::{allow_clients, group};
use super::{Ctx, addresses as a};
use crate::blueprint::model::{EfsPerformanceMode, EfsThroughputMode};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "storage.efs";
const NFS_PORT: u16 = 2049;

pub(crate) fn build(cx: &mut Ctx) {
    buckets(cx);
    let Some(efs) = cx.bp.storage.as_ref().and_then(|s| s.efs.clone()) else {
        return;
    };
    let sg = group(cx, a::EFS_SG, "efs", "EFS mount targets", ORIGIN);
    cx.push(sg);
    allow_clients(cx, "storage", a::EFS_SG, NFS_PORT, "NFS", ORIGIN);

    let name = cx.names.file_system();
    cx.push(
        Resource::new(a::EFS, K::EfsFileSystem, name.clone(), ORIGIN)
            .with("creationToken", name)
            .with("encrypted", efs.encrypted)
            .with(
                "performanceMode",
                match efs.performance_mode {
                    EfsPerformanceMode::GeneralPurpose => "generalPurpose",
                    EfsPerformanceMode::MaxIo => "maxIO",
                },
            )
            .with(
                "throughputMode",
                match efs.throughput_mode {
                    EfsThroughputMode::Bursting => "bursting",
                    EfsThroughputMode::Elastic => "elastic",
                },
            ),
    );
    for zone in cx.zones.clone() {
        cx.push(
            Resource::new(
                a::efs_mount_target(&zone.key),
                K::EfsMountTarget,
                cx.names.label(&format!("efs-{}", zone.key)),
                ORIGIN,
            )
            .with("fileSystem", a::EFS)
            .with("subnet", a::subnet("data", &zone.key))
            .with("securityGroups", json!([a::EFS_SG])),
        );
    }
    csi_driver_addon(cx);
    for (i, ap) in efs.access_points.iter().enumerate() {
        cx.push(
            Resource::new(
                a::efs_access_point(&ap.name),
                K::EfsAccessPoint,
                cx.names.access_point(&ap.name),
                format!("storage.efs.accessPoints[{i}]"),
            )
            .with("fileSystem", a::EFS)
            .with("path", ap.path.clone())
            .with("uid", ap.uid)
            .with("gid", ap.gid)
            .with("permissions", ap.permissions.clone()),
        );
    }
}

/// The EFS CSI driver as an EKS add-on, running as its IRSA role (`iam.rs`), when the cluster
/// has node groups (on Fargate the driver is built in). It waits for the node groups (its pods
/// run there) and for the role's policy.
fn csi_driver_addon(cx: &mut Ctx) {
    let Some(cluster) = &cx.bp.cluster else {
        return;
    };
    if cluster.node_groups.is_empty() {
        return;
    }
    let nodes: Vec<String> = cluster
        .node_groups
        .iter()
        .map(|g| a::node_group(&g.name))
        .collect();
    let mut addon = Resource::new(
        a::eks_addon(EFS_CSI_ADDON),
        K::EksAddon,
        EFS_CSI_ADDON,
        ORIGIN,
    )
    .with("cluster", a::EKS_CLUSTER)
    .with("addonName", EFS_CSI_ADDON)
    .with("serviceAccountRoleArn", a::EFS_CSI_DRIVER_ROLE);
    for dependency in nodes
        .iter()
        .map(|n| crate::plan::Address::new(n.as_str()))
        .chain(cx.attachments_of(a::EFS_CSI_DRIVER_ROLE))
    {
        addon = addon.after(&dependency);
    }
    cx.push(addon);
}

/// The EKS add-on name of the EFS CSI driver.
const EFS_CSI_ADDON: &str = "aws-efs-csi-driver";

fn buckets(cx: &mut Ctx) {
    let Some(storage) = cx.bp.storage.clone() else {
        return;
    };
    for (i, bucket) in storage.buckets.iter().enumerate() {
        let name = cx.names.bucket(&bucket.name, &cx.bp.metadata.region);
        cx.push(
            Resource::new(
                a::s3_bucket(&bucket.name),
                K::S3Bucket,
                name.clone(),
                format!("storage.buckets[{i}]"),
            )
            .with("bucket", name)
            .with("versioning", bucket.versioning)
            .with("encryption", json!({"sseAlgorithm": "AES256"}))
            .with("publicAccessBlock", super::PRIVATE_BUCKET.clone()),
        );
    }
}
