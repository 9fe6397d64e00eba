//! No property may fall through an update: for every kind, every property the catalog sets on
//! any blueprint in `blueprints/` is either replaced on (`replace_on`), changed in place by the
//! kind's update function (its `IN_PLACE` list), `tags`, or fixed at create for a stated reason.
//! A property in none of these would make an empty update: apply says "updated", AWS does
//! nothing, and the next plan shows the same diff forever.

use std::path::Path;

use super::{
    cache_parameter_group, cache_replication_group, cache_subnet_group, efs_file_system,
    efs_mount_target, eks_addon, eks_cluster, node_group, rds, synthetics,
};
use crate::plan::ResourceKind as K;

/// What the update function of `kind` changes in place.
enum InPlace {
    /// These properties (the update function's list).
    Only(Vec<&'static str>),
    /// Every property: the update writes the whole resource again (a `Put…` call).
    All,
    /// Not an AWS resource: deployed by the workload step, never updated here.
    NotAws,
}

fn in_place(kind: K) -> InPlace {
    use InPlace::{All, NotAws, Only};
    let only = |list: &[&'static str]| Only(list.to_vec());
    match kind {
        K::DbInstance | K::DbClusterInstance => only(rds::INSTANCE_IN_PLACE),
        K::DbCluster => only(super::db_cluster::CLUSTER_IN_PLACE),
        K::DbSubnetGroup => only(super::db_subnet_group::SUBNET_GROUP_IN_PLACE),
        K::DbParameterGroup | K::DbClusterParameterGroup => only(rds::PARAMETER_GROUP_IN_PLACE),
        K::CacheReplicationGroup => Only(
            [
                cache_replication_group::MODIFY_IN_PLACE,
                cache_replication_group::RESHAPE_IN_PLACE,
            ]
            .concat(),
        ),
        K::CacheSubnetGroup => only(cache_subnet_group::IN_PLACE),
        K::CacheParameterGroup => only(cache_parameter_group::IN_PLACE),
        K::EksCluster => only(eks_cluster::CLUSTER_IN_PLACE),
        K::NodeGroup => only(node_group::NODEGROUP_IN_PLACE),
        K::EksAddon => only(eks_addon::ADDON_IN_PLACE),
        K::Canary => Only([synthetics::UPDATE_IN_PLACE, &["startAfterCreation"]].concat()),
        // ec2/vpc.rs (update): ModifyVpcAttribute, one attribute per call.
        K::Vpc => only(&["enableDnsHostnames", "enableDnsSupport"]),
        // ec2/subnet.rs (update): ModifySubnetAttribute.
        K::Subnet => only(&["mapPublicIpOnLaunch"]),
        // ec2/security_group_rule.rs (update): UpdateSecurityGroupRuleDescriptions*.
        K::SecurityGroupRule => only(&["description"]),
        // iam/iam_role.rs: UpdateRole, UpdateAssumeRolePolicy, Put/DeleteRolePolicy.
        K::IamRole => only(&["assumeRolePolicy", "description", "inlinePolicies"]),
        // iam/iam_oidc_provider.rs: Add/RemoveClientIDToOpenIDConnectProvider.
        K::IamOidcProvider => only(&["clientIdList"]),
        // elbv2/load_balancer.rs (update): SetSubnets, SetSecurityGroups, SetIpAddressType and the
        // idle timeout attribute.
        K::LoadBalancer => only(&[
            "idleTimeoutSeconds",
            "subnets",
            "securityGroups",
            "ipAddressType",
        ]),
        // elbv2/target_group.rs (update): ModifyTargetGroup, ModifyTargetGroupAttributes.
        K::TargetGroup => only(&["healthCheck", "stickiness", "deregistrationDelaySeconds"]),
        // elbv2/listener.rs (update): one ModifyListener with the whole listener, and an NLB TCP
        // listener's idle timeout with ModifyListenerAttributes.
        K::Listener => only(&[
            "port",
            "protocol",
            "sslPolicy",
            "certificates",
            "defaultAction",
            "idleTimeoutSeconds",
        ]),
        K::EfsFileSystem => only(efs_file_system::IN_PLACE),
        K::EfsMountTarget => only(efs_mount_target::IN_PLACE),
        // ecr/ecr_repository.rs: PutImageTagMutability, PutImageScanningConfiguration.
        K::EcrRepository => only(&["imageTagMutability", "imageScanningConfiguration"]),
        // PutLifecyclePolicy, PutMetricAlarm: the whole resource each time.
        K::EcrLifecyclePolicy | K::CloudWatchAlarm => All,
        // Tags only (ec2::update_tags, efs_access_point, sns::update_topic, ...): every
        // other property of these kinds is in their replace_on.
        K::ElasticIp
        | K::NatGateway
        | K::InternetGateway
        | K::RouteTable
        | K::RouteTableAssociation
        | K::Route
        | K::SecurityGroup
        | K::IamRolePolicyAttachment
        | K::FargateProfile
        | K::EfsAccessPoint
        | K::SnsTopic
        | K::SnsSubscription
        | K::ListenerRule => Only(Vec::new()),
        // s3/s3_bucket.rs: PutBucketVersioning, PutBucketEncryption, PutPublicAccessBlock.
        K::S3Bucket => only(&["versioning", "encryption", "publicAccessBlock"]),
        K::KubernetesObject => NotAws,
    }
}

/// Properties that never change after create: the AWS name, derived from the blueprint's name
/// and the resource's address, which the diff matches resources by (a different name is a
/// different resource, not a change). An EFS creation token is that name too.
const FIXED_AT_CREATE: &[&str] = &[
    "name",
    "bucket",
    "identifier",
    "replicationGroupId",
    "roleName",
    "repositoryName",
    "alarmName",
    "creationToken",
];

fn blueprints() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("blueprints/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_property_is_replaced_on_or_changed_in_place() {
    let files = blueprints();
    assert!(!files.is_empty(), "no blueprints found");
    let mut checked = 0;
    let mut uncovered = Vec::new();
    for file in &files {
        let loaded = crate::load::load_file(file).expect("blueprint loads");
        for resource in crate::plan::catalog::desired(&loaded.blueprint) {
            let in_place = match in_place(resource.kind) {
                InPlace::Only(list) => list,
                InPlace::All | InPlace::NotAws => continue,
            };
            for key in resource.properties.keys() {
                checked += 1;
                let k = key.as_str();
                if k == "tags"
                    || resource.kind.replace_on().contains(&k)
                    || in_place.contains(&k)
                    || FIXED_AT_CREATE.contains(&k)
                {
                    continue;
                }
                uncovered.push(format!(
                    "{}: {:?}.{k} ({})",
                    file.display(),
                    resource.kind,
                    resource.address.as_str()
                ));
            }
        }
    }
    assert!(checked > 0, "no resources in blueprints/");
    assert!(
        uncovered.is_empty(),
        "properties neither replaced on nor changed in place:\n{}",
        uncovered.join("\n")
    );
}

#[test]
fn in_place_lists_do_not_overlap_replace_on() {
    for kind in K::ALL.iter().copied() {
        let InPlace::Only(in_place) = in_place(kind) else {
            continue;
        };
        for key in kind.replace_on() {
            assert!(!in_place.contains(key), "{kind:?}.{key} is in both lists");
        }
    }
}

/// A property AWS cannot change in place on a data store replaces it, and the plan lists it as
/// data loss (so apply needs `--allow-data-loss`): the cache's port, found by the test above.
#[test]
fn a_cache_port_change_is_a_replacement_that_loses_data() {
    use crate::plan::{Action, Address, ObservedState, diff};
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints/lowcode-ha.yaml");
    let loaded = crate::load::load_file(&file).expect("blueprint loads");
    let desired = crate::plan::catalog::desired(&loaded.blueprint);
    let mut observed = ObservedState::as_desired(&desired);
    let cache = observed
        .resources
        .iter_mut()
        .find(|r| r.kind == K::CacheReplicationGroup)
        .expect("lowcode-ha has a cache");
    cache.properties.insert("port".into(), 6380.into());
    let address = cache.address.clone();
    let plan = diff(&desired, &observed);
    let change = plan
        .change(address.as_str())
        .expect("the cache is in the plan");
    assert_eq!(change.action, Action::Replace);
    assert_eq!(change.replaced_because.as_deref(), Some("port"));
    assert_eq!(plan.data_loss, [Address::new(address.as_str())]);
}
