//! A Fargate profile: which pods of the cluster run on Fargate. Everything but tags forces a
//! replacement. EKS rejects a profile operation while another runs on the same cluster: the
//! kind's spec serialises them per cluster. The cluster's read reads the profiles too
//! ([`read_profiles`]): EKS lists them per cluster.

use aws_sdk_eks::types::{FargateProfile as Profile, FargateProfileSelector};
use serde_json::Value;

use super::eks::{
    ClusterPart, EksTags, by_zone, cluster_arn_of, cluster_name, created_or_exists, eks_tags,
    owned_live, read_children, reference_attribute, resolve_all, wait_part_active,
    wait_part_deleted, with_props,
};
use super::{
    Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, not_found_as_none, outputs, sync_tags,
};
use crate::apply::{Outputs, StepError};
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::cluster::{FargateProfileProps, ProfileSelector};

pub(crate) struct FargateProfile;

impl Adapter for FargateProfile {
    /// Listed per cluster: the cluster's read reads them.
    const READ_WITH: Option<K> = Some(K::EksCluster);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: FargateProfileProps = step.props()?;
        let cluster = cluster_name(step, Some(&props.cluster))?;
        let name = props.name.as_str();
        // No look first: an existing profile is answered "already exists" (as for the cluster).
        let result = step
            .clients()
            .eks
            .create_fargate_profile()
            .cluster_name(&cluster)
            .fargate_profile_name(name)
            .pod_execution_role_arn(reference_attribute(step, &props.pod_execution_role, "arn")?)
            .set_subnets(Some(resolve_all(step, &props.subnets)?))
            .set_selectors(Some(props.selectors.iter().map(selector).collect()))
            .client_request_token(step.client_token("CreateFargateProfile"))
            .set_tags(Some(eks_tags(&step.tags())))
            .send()
            .await
            .aws();
        created_or_exists(result)?;
        let profile = wait_part_active(step, &cluster, name, |p: &Profile| {
            StepError::fatal(
                "CreateFailed",
                format!("Fargate profile {name}: {:?}", p.health()),
            )
        })
        .await?;
        let arn = profile
            .and_then(|p| p.fargate_profile_arn)
            .unwrap_or_default();
        Ok(profile_outputs(&arn, name, cluster))
    }

    /// Only tags change in place.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: FargateProfileProps = step.props()?;
        let arn = step.existing_id()?;
        sync_tags::<EksTags>(step, arn).await?;
        Ok(profile_outputs(
            arn,
            step.name(),
            cluster_name(step, Some(&props.cluster))?,
        ))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let cluster = cluster_name(step, step.opt_str("cluster"))?;
        let name = step.existing_name();
        let result = step
            .clients()
            .eks
            .delete_fargate_profile()
            .cluster_name(&cluster)
            .fargate_profile_name(name)
            .send()
            .await
            .aws();
        wait_part_deleted::<Profile, _>(step, result, &cluster, name).await?;
        Ok(Outputs::new())
    }
}

fn profile_outputs(arn: &str, name: &str, cluster: String) -> Outputs {
    let mut out = outputs(arn, Some(arn), Some(name));
    out.insert("clusterName".into(), Value::from(cluster));
    out
}

fn selector(s: &ProfileSelector) -> FargateProfileSelector {
    FargateProfileSelector::builder()
        .namespace(&s.namespace)
        .set_labels((!s.labels.is_empty()).then(|| {
            s.labels
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect()
        }))
        .build()
}

impl ClusterPart for Profile {
    async fn describe(
        eks: &aws_sdk_eks::Client,
        cluster: &str,
        name: &str,
    ) -> Result<Option<Profile>, StepError> {
        let result = eks
            .describe_fargate_profile()
            .cluster_name(cluster)
            .fargate_profile_name(name)
            .send()
            .await
            .aws();
        Ok(not_found_as_none(result)?.and_then(|r| r.fargate_profile))
    }
}

/// One cluster's Fargate profiles (ListFargateProfiles, then one DescribeFargateProfile each, all
/// at once); none when the cluster is not there. Read with the cluster (see `eks_cluster.rs`).
pub(super) async fn read_profiles(
    read: &AwsRead<'_>,
    cluster: &str,
) -> Result<Vec<Found>, StepError> {
    read_children!(
        read,
        cluster,
        list_fargate_profiles,
        fargate_profile_names,
        |name| profile_found(read, cluster, name)
    )
}

async fn profile_found(
    read: &AwsRead<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<Found>, StepError> {
    let Some(p) = Profile::describe(&read.clients().eks, cluster, name).await? else {
        return Ok(None);
    };
    let Some((address, tags)) = owned_live(read, &p, p.tags()) else {
        return Ok(None);
    };
    let subnets = by_zone(read, p.subnets().to_vec()).await?;
    let selectors = p
        .selectors()
        .iter()
        .map(|s| ProfileSelector {
            namespace: s.namespace().unwrap_or_default().to_string(),
            labels: s
                .labels()
                .map(|l| l.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
        })
        .collect();
    let arn = p.fargate_profile_arn().unwrap_or_default();
    let props = FargateProfileProps {
        name: name.to_string(),
        // The cluster as its ARN, which the reader turns into the cluster's address.
        cluster: cluster_arn_of(arn, cluster),
        pod_execution_role: p.pod_execution_role_arn().unwrap_or_default().to_string(),
        subnets,
        selectors,
    };
    Ok(Some(
        with_props(
            Found::new(K::FargateProfile, arn)
                .at(Some(address))
                .named(name),
            &props,
        )
        .with("tags", tags::to_value(&tags))
        .output("arn", arn)
        .output("name", name)
        .output("clusterName", cluster),
    ))
}
