//! `storage.efs`: the file system, one mount target per zone (in the data subnets), its security
//! group, access points, and the EFS CSI driver add-on on a cluster with node groups; `storage.buckets`: S3 buckets for the platform's files.

use serde::{Deserialize, Serialize};

use super::cluster::EksAddonProps;
use super::security::{allow_clients, group};
use super::{Catalog, addresses as a};
use crate::blueprint::model::{EfsPerformanceMode, EfsThroughputMode};
use crate::plan::{Resource, ResourceKind as K};

/// An S3 bucket's properties (`storage.buckets` here, the canaries' artifact bucket in
/// `monitoring`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct S3BucketProps {
    pub(crate) bucket: String,
    /// Absent: shinyctl leaves versioning as S3 has it (never enabled on a new bucket).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub(crate) versioning: Option<bool>,
    pub(crate) encryption: BucketEncryption,
    pub(crate) public_access_block: PublicAccessBlock,
}

/// A bucket's default encryption.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BucketEncryption {
    /// `AES256` (S3-managed keys).
    pub(crate) sse_algorithm: String,
}

impl BucketEncryption {
    /// S3-managed keys (SSE-S3).
    pub(crate) fn aes256() -> Self {
        BucketEncryption {
            sse_algorithm: "AES256".into(),
        }
    }
}

/// A bucket's public access block, in S3's `PublicAccessBlockConfiguration` fields.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicAccessBlock {
    pub(crate) block_public_acls: bool,
    pub(crate) ignore_public_acls: bool,
    pub(crate) block_public_policy: bool,
    pub(crate) restrict_public_buckets: bool,
}

impl PublicAccessBlock {
    /// Every public access blocked: shinyctl's buckets are private.
    pub(crate) const PRIVATE: Self = PublicAccessBlock {
        block_public_acls: true,
        ignore_public_acls: true,
        block_public_policy: true,
        restrict_public_buckets: true,
    };
}

const ORIGIN: &str = "storage.efs";
pub(crate) const NFS_PORT: u16 = 2049;

/// An EFS file system's properties. Every one is set here from the blueprint (whose defaults
/// are `blueprint::defaults`: elastic throughput, general purpose, encrypted), so the adapter
/// has no default of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EfsFileSystemProps {
    /// The AWS name: CreateFileSystem is idempotent by it.
    pub(crate) creation_token: String,
    pub(crate) encrypted: bool,
    /// `generalPurpose` or `maxIO`.
    pub(crate) performance_mode: String,
    /// `bursting` or `elastic`.
    pub(crate) throughput_mode: String,
}

/// A mount target's properties: the file system and subnet identify it; its security groups
/// change in place.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EfsMountTargetProps {
    /// The file system's address (its id once resolved).
    pub(crate) file_system: String,
    /// The subnet's address.
    pub(crate) subnet: String,
    /// The security groups' addresses.
    pub(crate) security_groups: Vec<String>,
}

/// An access point's properties, all from the blueprint's `accessPoints` entry (`uid` and `gid`
/// are required there, so nothing falls back to a default id).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct EfsAccessPointProps {
    /// The file system's address (its id once resolved).
    pub(crate) file_system: String,
    /// The root directory the access point exposes.
    pub(crate) path: String,
    /// The POSIX user every request through the access point runs as, and the root
    /// directory's owner when EFS creates it.
    pub(crate) uid: u32,
    pub(crate) gid: u32,
    /// Octal permissions of the root directory when EFS creates it.
    pub(crate) permissions: String,
}

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
        Resource::new(a::EFS, K::EfsFileSystem, name.clone(), ORIGIN).props(&EfsFileSystemProps {
            creation_token: name,
            encrypted: efs.encrypted,
            performance_mode: match efs.performance_mode {
                EfsPerformanceMode::GeneralPurpose => "generalPurpose",
                EfsPerformanceMode::MaxIo => "maxIO",
            }
            .into(),
            throughput_mode: match efs.throughput_mode {
                EfsThroughputMode::Bursting => "bursting",
                EfsThroughputMode::Elastic => "elastic",
            }
            .into(),
        }),
    );
    for zone in catalog.zones.clone() {
        catalog.push(
            Resource::new(
                a::efs_mount_target(&zone.key),
                K::EfsMountTarget,
                catalog.names.label(&format!("efs-{}", zone.key)),
                ORIGIN,
            )
            .props(&EfsMountTargetProps {
                file_system: a::EFS.into(),
                subnet: a::subnet("data", &zone.key),
                security_groups: vec![a::EFS_SG.into()],
            }),
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
            .props(&EfsAccessPointProps {
                file_system: a::EFS.into(),
                path: ap.path.clone(),
                uid: ap.uid,
                gid: ap.gid,
                permissions: ap.permissions.clone(),
            }),
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
            .props(&S3BucketProps {
                bucket: name,
                versioning: Some(bucket.versioning),
                encryption: BucketEncryption::aes256(),
                public_access_block: PublicAccessBlock::PRIVATE,
            }),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::props::check_spec_fields;

    #[test]
    fn properties_structs_have_the_fields_their_specs_name() {
        check_spec_fields::<S3BucketProps>(K::S3Bucket);
        check_spec_fields::<EfsFileSystemProps>(K::EfsFileSystem);
        check_spec_fields::<EfsMountTargetProps>(K::EfsMountTarget);
        check_spec_fields::<EfsAccessPointProps>(K::EfsAccessPoint);
    }

    fn properties(resources: &[Resource], address: &str) -> serde_json::Value {
        let resource = resources
            .iter()
            .find(|r| r.address.as_str() == address)
            .unwrap_or_else(|| panic!("no resource {address}"));
        serde_json::Value::Object(resource.properties.clone())
    }

    /// One source for each EFS default: the blueprint's (`blueprint::defaults`, or `uid`/`gid`
    /// it requires), copied here; the adapter's structs have no fallback, so a missing property
    /// is an error, never a second default (once `bursting` and uid/gid `1000`).
    #[test]
    fn efs_defaults_come_from_the_blueprint_alone() {
        let mut bp = crate::plan::catalog::tests::example();
        let efs = bp
            .storage
            .as_mut()
            .and_then(|s| s.efs.as_mut())
            .expect("the example has EFS");
        efs.throughput_mode = crate::blueprint::defaults::efs_throughput_mode();
        efs.access_points[0].uid = 0;
        efs.access_points[0].gid = 0;
        let resources = crate::plan::catalog::desired(&bp);

        let fs = properties(&resources, a::EFS);
        let props: EfsFileSystemProps = serde_json::from_value(fs.clone()).expect("fits");
        assert_eq!(props.throughput_mode, "elastic");
        let mut without = fs;
        without.as_object_mut().map(|o| o.remove("throughputMode"));
        assert!(serde_json::from_value::<EfsFileSystemProps>(without).is_err());

        let ap = properties(&resources, &a::efs_access_point("shared-data"));
        let props: EfsAccessPointProps = serde_json::from_value(ap.clone()).expect("fits");
        assert_eq!(
            (props.uid, props.gid),
            (0, 0),
            "root is a real choice, not a fallback"
        );
        for key in ["uid", "gid"] {
            let mut without = ap.clone();
            without.as_object_mut().map(|o| o.remove(key));
            assert!(serde_json::from_value::<EfsAccessPointProps>(without).is_err());
        }
    }
}
