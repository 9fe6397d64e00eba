//! `storage.efs`: the file system, one mount target per zone (in the data subnets), its security
//! group, access points, and the EFS CSI driver add-on on a cluster with node groups; `storage.buckets`: S3 buckets for the platform's files.

use serde_json::json;

use super::cluster::EksAddonProps;
use super::security::{allow_clients, group};
use super::{Catalog, addresses as a};
use crate::blueprint::model::{EfsPerformanceMode, EfsThroughputMode};
use crate::plan::{Resource, ResourceKind as K};

const ORIGIN: &str = "storage.efs";
const NFS_PORT: u16 = 2049;

pub(crate) fn build(catalog: &mut Catalog) {
    buckets(catalog);
    let Some(efs) = catalog.bp.storage.as_ref().and_then(|s| s.efs.clone()) else {
        return;
    };
    let sg = group(catalog, a::EFS_SG, "efs", "EFS mount targets", ORIGIN);
    catalog.push(sg);
    allow_clients(catalog, "storage", a::EFS_SG, NFS_PORT, "NFS", ORIGIN);

    let name = catalog.names.file_system();
    catalog.push(
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
    for zone in catalog.zones.clone() {
        catalog.push(
            Resource::new(
                a::efs_mount_target(&zone.key),
                K::EfsMountTarget,
                catalog.names.label(&format!("efs-{}", zone.key)),
                ORIGIN,
            )
            .with("fileSystem", a::EFS)
            .with("subnet", a::subnet("data", &zone.key))
            .with("securityGroups", json!([a::EFS_SG])),
        );
    }
    csi_driver_addon(catalog);
    for (i, ap) in efs.access_points.iter().enumerate() {
        catalog.push(
            Resource::new(
                a::efs_access_point(&ap.name),
                K::EfsAccessPoint,
                catalog.names.access_point(&ap.name),
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
fn csi_driver_addon(catalog: &mut Catalog) {
    let Some(cluster) = &catalog.bp.cluster else {
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
    .props(&EksAddonProps {
        cluster: a::EKS_CLUSTER.to_string(),
        addon_name: EFS_CSI_ADDON.to_string(),
        service_account_role_arn: Some(a::EFS_CSI_DRIVER_ROLE.to_string()),
        configuration_values: None,
    });
    for dependency in nodes
        .iter()
        .map(|n| crate::plan::Address::new(n.as_str()))
        .chain(catalog.attachments_of(a::EFS_CSI_DRIVER_ROLE))
    {
        addon = addon.after(&dependency);
    }
    catalog.push(addon);
}

/// The EKS add-on name of the EFS CSI driver.
const EFS_CSI_ADDON: &str = "aws-efs-csi-driver";

fn buckets(catalog: &mut Catalog) {
    let Some(storage) = catalog.bp.storage.clone() else {
        return;
    };
    for (i, bucket) in storage.buckets.iter().enumerate() {
        let name = catalog
            .names
            .bucket(&bucket.name, &catalog.bp.metadata.region);
        catalog.push(
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
