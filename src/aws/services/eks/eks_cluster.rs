//! The EKS cluster. CreateCluster is sent straight away: a name already taken (an earlier attempt
//! whose answer was lost) is answered ResourceInUseException, and the wait for ACTIVE takes it
//! from there. Updates change one thing per EKS update (EKS refuses a second one while the first
//! is in progress), each waited on until done and the cluster ACTIVE again.
//!
//! Its read also reads the cluster's Fargate profiles and node groups (EKS lists them per
//! cluster, so their listings start with the cluster's describe); their adapters say
//! `READ_WITH` this kind.

use aws_sdk_eks::operation::update_cluster_config::builders::UpdateClusterConfigFluentBuilder;
use aws_sdk_eks::types::{LogSetup, LogType, Logging, VpcConfigRequest};

use super::eks::{
    EksTags, by_zone, cluster_outputs, eks_tags, owned_live, reference_attribute, resolve_all,
    wait_active, wait_deleted, wait_update, with_props,
};
use super::fargate_profile::read_profiles;
use super::node_group::read_nodegroups;
use super::stages::{Read, after, fallback, first};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, already_made_is_ok, not_found_as_none,
    sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, TagSet};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::cluster::EksClusterProps;

pub(crate) struct EksCluster;

/// Why a read waits for ListClusters: a cluster it finds that the blueprint does not name.
const NO_LONGER_DESIRED: &str = "a cluster with the blueprint's prefix that it no longer has";

impl Adapter for EksCluster {
    /// The blueprint's cluster by its name at once; others the listing finds after it. Each
    /// cluster's Fargate profiles and node groups too (their kinds are read with this one).
    const READS: &'static [Read] = &[
        first(("eks", "ListClusters")),
        after(("eks", "DescribeCluster"), &[]),
        after(("eks", "ListNodegroups"), &[]),
        after(("eks", "ListFargateProfiles"), &[]),
        fallback(
            ("eks", "DescribeCluster"),
            &[("eks", "ListClusters")],
            NO_LONGER_DESIRED,
        ),
        fallback(
            ("eks", "ListNodegroups"),
            &[("eks", "ListClusters")],
            NO_LONGER_DESIRED,
        ),
        fallback(
            ("eks", "ListFargateProfiles"),
            &[("eks", "ListClusters")],
            NO_LONGER_DESIRED,
        ),
        after(("eks", "DescribeNodegroup"), &[("eks", "ListNodegroups")]),
        after(
            ("eks", "DescribeFargateProfile"),
            &[("eks", "ListFargateProfiles")],
        ),
        after(
            ("ec2", "DescribeLaunchTemplateVersions"),
            &[("eks", "DescribeNodegroup")],
        ),
        fallback(
            ("ec2", "DescribeSubnets"),
            &[("eks", "DescribeNodegroup")],
            "a node group's subnets that are not the blueprint's (their zones order them)",
        ),
    ];

    /// Clusters whose names carry the blueprint's prefix, with their Fargate profiles and node
    /// groups. The blueprint's own cluster name is known, so its reads (DescribeCluster, EKS has no
    /// batch describe; ListFargateProfiles; ListNodegroups) start at once, beside ListClusters, which
    /// finds the others with the prefix (a cluster the blueprint no longer has); a profile's or node
    /// group's describe waits only for its own listing.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let prefix = read.name_prefix();
        let desired: Vec<String> = read
            .desired_of(K::EksCluster)
            .map(|c| c.name.clone())
            .collect();
        let listed_then_others = async {
            let others: Vec<String> = all_items!(read.clients().eks.list_clusters(), clusters)
                .into_iter()
                .filter(|n| n == read.blueprint || n.starts_with(&prefix))
                .filter(|n| !desired.contains(n))
                .collect();
            futures::future::try_join_all(others.iter().map(|name| read_cluster(read, name))).await
        };
        let (ours, others) = futures::try_join!(
            futures::future::try_join_all(desired.iter().map(|name| read_cluster(read, name))),
            listed_then_others,
        )?;
        Ok(ours.into_iter().chain(others).flatten().collect())
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EksClusterProps = step.props()?;
        let vpc = endpoint_access(&props)
            .set_subnet_ids(Some(resolve_all(step, &props.subnets)?))
            .set_security_group_ids(Some(resolve_all(step, &props.security_groups)?))
            .build();
        let result = step
            .clients()
            .eks
            .create_cluster()
            .name(&props.name)
            .role_arn(reference_attribute(step, &props.role, "arn")?)
            .resources_vpc_config(vpc)
            .logging(logging(&props.logging))
            .client_request_token(step.client_token("CreateCluster"))
            .set_tags(Some(eks_tags(&step.tags())))
            .version(&props.version)
            .send()
            .await
            .aws();
        // Created by an earlier attempt whose answer was lost.
        already_made_is_ok(result, |e| e.code == "ResourceInUseException")?;
        wait_cluster_active(step, &props.name).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EksClusterProps = step.props()?;
        let name = props.name.as_str();
        let arn = match step.existing("arn") {
            Some(arn) => arn.to_string(),
            None => describe_cluster(&step.clients().eks, name)
                .await?
                .and_then(|c| c.arn)
                .ok_or_else(|| {
                    StepError::fatal("ResourceNotFoundException", format!("no cluster {name}"))
                })?,
        };
        sync_tags::<EksTags>(step, &arn).await?;
        if !step.changed_any(K::EksCluster.in_place()) {
            return wait_cluster_active(step, name).await;
        }
        // One update at a time: EKS refuses a second one while the first is in progress.
        if step.changed("version") {
            let update = step
                .clients()
                .eks
                .update_cluster_version()
                .name(name)
                .version(&props.version)
                .send()
                .await
                .aws()?
                .update;
            wait_cluster_update(step, name, update.as_ref()).await?;
        }
        if step.changed("logging") {
            update_config(step, name, |c| c.logging(logging(&props.logging))).await?;
        }
        if step.changed_any(&[
            "endpointPublicAccess",
            "endpointPrivateAccess",
            "publicAccessCidrs",
        ]) {
            let vpc = endpoint_access(&props).build();
            update_config(step, name, |c| c.resources_vpc_config(vpc)).await?;
        }
        // Subnets and security groups change in place: UpdateClusterConfig's resourcesVpcConfig
        // takes "different subnets and security groups for the cluster" (at least two zones, the
        // same VPC: botocore's eks model), each in an update of its own, as EKS takes one kind of
        // VPC change per update (terraform-provider-aws internal/service/eks/cluster.go).
        if step.changed("subnets") {
            let vpc = VpcConfigRequest::builder()
                .set_subnet_ids(Some(resolve_all(step, &props.subnets)?))
                .build();
            update_config(step, name, |c| c.resources_vpc_config(vpc)).await?;
        }
        if step.changed("securityGroups") {
            let vpc = VpcConfigRequest::builder()
                .set_security_group_ids(Some(resolve_all(step, &props.security_groups)?))
                .build();
            update_config(step, name, |c| c.resources_vpc_config(vpc)).await?;
        }
        wait_cluster_active(step, name).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_name();
        let result = step
            .clients()
            .eks
            .delete_cluster()
            .name(name)
            .send()
            .await
            .aws();
        let eks = &step.clients().eks;
        wait_deleted(step, result, || describe_cluster(eks, name)).await?;
        Ok(Outputs::new())
    }
}

const ALL_LOG_TYPES: [&str; 5] = [
    "api",
    "audit",
    "authenticator",
    "controllerManager",
    "scheduler",
];

/// The enabled log types on, every other type off (EKS keeps a type's setting otherwise).
fn logging(enabled: &[String]) -> Logging {
    let disabled: Vec<LogType> = ALL_LOG_TYPES
        .iter()
        .filter(|t| !enabled.iter().any(|e| e == *t))
        .map(|t| LogType::from(*t))
        .collect();
    let mut setups = vec![
        LogSetup::builder()
            .set_types(Some(
                enabled.iter().map(|t| LogType::from(t.as_str())).collect(),
            ))
            .enabled(true)
            .build(),
    ];
    if !disabled.is_empty() {
        setups.push(
            LogSetup::builder()
                .set_types(Some(disabled))
                .enabled(false)
                .build(),
        );
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

/// The endpoint's access settings (the CIDRs only for a public endpoint).
fn endpoint_access(
    props: &EksClusterProps,
) -> aws_sdk_eks::types::builders::VpcConfigRequestBuilder {
    let public = props.endpoint_public_access;
    let mut config = VpcConfigRequest::builder()
        .endpoint_public_access(public)
        .endpoint_private_access(props.endpoint_private_access);
    if public && !props.public_access_cidrs.is_empty() {
        config = config.set_public_access_cidrs(Some(props.public_access_cidrs.clone()));
    }
    config
}

async fn describe_cluster(
    eks: &aws_sdk_eks::Client,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Cluster>, StepError> {
    let result = eks.describe_cluster().name(name).send().await.aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.cluster))
}

/// Waits until the cluster is ACTIVE (FAILED ends the wait with AWS's health issues).
async fn wait_cluster_active(step: &AwsStep<'_>, name: &str) -> Result<Outputs, StepError> {
    let eks = &step.clients().eks;
    let cluster = wait_active(
        step,
        || describe_cluster(eks, name),
        "FAILED",
        |c: &aws_sdk_eks::types::Cluster| {
            StepError::fatal(
                "ClusterFailed",
                format!("EKS cluster {name} failed: {:?}", c.health()),
            )
        },
    )
    .await?;
    match cluster {
        Some(c) => Ok(cluster_outputs(&c)),
        None => Err(StepError::fatal(
            "ClusterNotFound",
            format!("EKS cluster {name} vanished"),
        )),
    }
}

/// One UpdateClusterConfig (`change` sets what it changes), waited on until done and the cluster
/// ACTIVE again.
async fn update_config(
    step: &AwsStep<'_>,
    name: &str,
    change: impl FnOnce(UpdateClusterConfigFluentBuilder) -> UpdateClusterConfigFluentBuilder,
) -> Result<(), StepError> {
    let request = change(step.clients().eks.update_cluster_config().name(name));
    let update = request.send().await.aws()?.update;
    wait_cluster_update(step, name, update.as_ref()).await
}

/// Waits for a cluster update to finish and the cluster to be ACTIVE again.
async fn wait_cluster_update(
    step: &AwsStep<'_>,
    name: &str,
    update: Option<&aws_sdk_eks::types::Update>,
) -> Result<(), StepError> {
    wait_update(step, name, None, update).await?;
    wait_cluster_active(step, name).await?;
    Ok(())
}

/// One cluster, if it exists and is ours, with its Fargate profiles and node groups: the
/// describe and both listings at once (the children are dropped if the cluster is not ours).
async fn read_cluster(read: &AwsRead<'_>, name: &str) -> Result<Vec<Found>, StepError> {
    let describe = async {
        let Some(cluster) = describe_cluster(&read.clients().eks, name).await? else {
            return Ok(None);
        };
        let Some((address, tags)) = owned_live(read, &cluster, cluster.tags()) else {
            return Ok(None);
        };
        let subnets = by_zone(
            read,
            cluster
                .resources_vpc_config()
                .map(|v| v.subnet_ids().to_vec())
                .unwrap_or_default(),
        )
        .await?;
        Ok::<_, StepError>(Some(cluster_found(&cluster, address, &tags, subnets)))
    };
    let (cluster, profiles, nodegroups) = futures::try_join!(
        describe,
        read_profiles(read, name),
        read_nodegroups(read, name),
    )?;
    let Some(cluster) = cluster else {
        return Ok(Vec::new());
    };
    Ok(std::iter::once(cluster)
        .chain(profiles)
        .chain(nodegroups)
        .collect())
}

fn cluster_found(
    c: &aws_sdk_eks::types::Cluster,
    address: crate::plan::Address,
    tags: &TagSet,
    subnets: Vec<String>,
) -> Found {
    let name = c.name().unwrap_or_default();
    let vpc = c.resources_vpc_config();
    let mut groups: Vec<String> = vpc
        .map(|v| v.security_group_ids().to_vec())
        .unwrap_or_default();
    groups.sort();
    let public = vpc.is_some_and(|v| v.endpoint_public_access());
    let cidrs: Vec<String> = if public {
        vpc.map(|v| v.public_access_cidrs().to_vec())
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let mut enabled: Vec<String> = c
        .logging()
        .map(|l| l.cluster_logging())
        .unwrap_or_default()
        .iter()
        .filter(|s| s.enabled() == Some(true))
        .flat_map(|s| s.types().iter().map(|t| t.as_str().to_string()))
        .collect();
    enabled.sort();
    enabled.dedup();
    let props = EksClusterProps {
        name: name.to_string(),
        version: c.version().unwrap_or_default().to_string(),
        role: c.role_arn().unwrap_or_default().to_string(),
        subnets,
        security_groups: groups,
        endpoint_public_access: public,
        endpoint_private_access: vpc.is_some_and(|v| v.endpoint_private_access()),
        public_access_cidrs: cidrs,
        logging: enabled,
    };
    let mut found = with_props(
        Found::new(K::EksCluster, c.arn().unwrap_or(name))
            .at(Some(address))
            .named(name),
        &props,
    )
    .with("tags", tags::to_value(tags));
    found.outputs = cluster_outputs(c);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logging_disables_the_other_types() {
        let l = logging(&["api".to_string()]);
        let setups = l.cluster_logging();
        assert_eq!(setups.len(), 2);
        assert_eq!(setups[1].types().len(), 4);
        assert_eq!(setups[1].enabled(), Some(false));
    }
}
