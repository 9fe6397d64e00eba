//! A Fargate profile: which pods of the cluster run on Fargate. Everything but tags forces a
//! replacement. EKS rejects a profile operation while another runs on the same cluster: the
//! kind's spec serialises them per cluster.

use aws_sdk_eks::types::FargateProfileSelector;
use serde_json::Value;

use super::eks::{EksTags, Status, cluster_name, eks_tags, reference_attribute, resolve_all};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, outputs, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::cluster::{FargateProfileProps, ProfileSelector};

pub struct FargateProfile;

impl Adapter for FargateProfile {
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
        match result {
            Ok(_) => {}
            Err(e)
                if e.code == "ResourceInUseException" && e.message.contains("already exists") => {}
            Err(e) => return Err(e),
        }
        let profile = step
            .wait_until(
                || async {
                    let p = describe_profile(step, &cluster, name).await?;
                    if let Some(p) = &p
                        && p.status().map(|s| s.as_str()) == Some("CREATE_FAILED")
                    {
                        return Err(StepError::fatal(
                            "CreateFailed",
                            format!("Fargate profile {name}: {:?}", p.health()),
                        ));
                    }
                    Ok(p.map(|p| Status::Profile(Box::new(p))))
                },
                |s: Option<&Status>| s.is_some_and(|s| s.state() == "ACTIVE"),
            )
            .await?;
        let arn = match profile {
            Some(Status::Profile(p)) => p.fargate_profile_arn.unwrap_or_default(),
            _ => String::new(),
        };
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
        let name = step.existing("name").unwrap_or(step.name()).to_string();
        let result = step
            .clients()
            .eks
            .delete_fargate_profile()
            .cluster_name(&cluster)
            .fargate_profile_name(&name)
            .send()
            .await
            .aws();
        if not_found_as_none(result)?.is_none() {
            return Ok(Outputs::new());
        }
        step.wait_until(
            || async {
                Ok(describe_profile(step, &cluster, &name)
                    .await?
                    .map(|p| Status::Profile(Box::new(p))))
            },
            |s: Option<&Status>| s.is_none(),
        )
        .await?;
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

async fn describe_profile(
    step: &AwsStep<'_>,
    cluster: &str,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::FargateProfile>, StepError> {
    let result = step
        .clients()
        .eks
        .describe_fargate_profile()
        .cluster_name(cluster)
        .fargate_profile_name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.fargate_profile))
}
