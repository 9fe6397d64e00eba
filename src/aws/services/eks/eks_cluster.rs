//! The EKS cluster. CreateCluster is sent straight away: a name already taken (an earlier attempt
//! whose answer was lost) is answered ResourceInUseException, and the wait for ACTIVE takes it
//! from there. Updates change one thing per EKS update (EKS refuses a second one while the first
//! is in progress), each waited on until done and the cluster ACTIVE again.

use aws_sdk_eks::types::{LogSetup, LogType, Logging, VpcConfigRequest};

use super::eks::{
    EksTags, Status, cluster_outputs, eks_tags, reference_attribute, resolve_all, wait_update,
};
use super::{Adapter, AwsResult, AwsStep, StepResult, not_found_as_none, sync_tags};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::cluster::EksClusterProps;

pub struct EksCluster;

impl Adapter for EksCluster {
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
        match result {
            Ok(_) => {}
            // Created by an earlier attempt whose answer was lost.
            Err(e) if e.code == "ResourceInUseException" => {}
            Err(e) => return Err(e),
        }
        wait_cluster_active(step, &props.name).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EksClusterProps = step.props()?;
        let name = props.name.as_str();
        let arn = match step.existing("arn") {
            Some(arn) => arn.to_string(),
            None => describe_cluster(step, name)
                .await?
                .and_then(|c| c.arn)
                .ok_or_else(|| {
                    StepError::fatal("ResourceNotFoundException", format!("no cluster {name}"))
                })?,
        };
        sync_tags::<EksTags>(step, &arn).await?;
        if !step.changed_any(CLUSTER_IN_PLACE) {
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
            wait_update(step, name, None, update.as_ref()).await?;
            wait_cluster_active(step, name).await?;
        }
        if step.changed("logging") {
            let update = step
                .clients()
                .eks
                .update_cluster_config()
                .name(name)
                .logging(logging(&props.logging))
                .send()
                .await
                .aws()?
                .update;
            wait_update(step, name, None, update.as_ref()).await?;
            wait_cluster_active(step, name).await?;
        }
        if step.changed_any(&[
            "endpointPublicAccess",
            "endpointPrivateAccess",
            "publicAccessCidrs",
        ]) {
            update_vpc_config(step, name, endpoint_access(&props).build()).await?;
        }
        // Subnets and security groups change in place: UpdateClusterConfig's resourcesVpcConfig
        // takes "different subnets and security groups for the cluster" (at least two zones, the
        // same VPC: botocore's eks model), each in an update of its own, as EKS takes one kind of
        // VPC change per update (terraform-provider-aws internal/service/eks/cluster.go).
        if step.changed("subnets") {
            let vpc = VpcConfigRequest::builder()
                .set_subnet_ids(Some(resolve_all(step, &props.subnets)?))
                .build();
            update_vpc_config(step, name, vpc).await?;
        }
        if step.changed("securityGroups") {
            let vpc = VpcConfigRequest::builder()
                .set_security_group_ids(Some(resolve_all(step, &props.security_groups)?))
                .build();
            update_vpc_config(step, name, vpc).await?;
        }
        wait_cluster_active(step, name).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing("name").unwrap_or(step.name()).to_string();
        let result = step
            .clients()
            .eks
            .delete_cluster()
            .name(&name)
            .send()
            .await
            .aws();
        if not_found_as_none(result)?.is_none() {
            return Ok(Outputs::new());
        }
        step.wait_until(
            || async {
                Ok(describe_cluster(step, &name)
                    .await?
                    .map(|c| Status::Cluster(Box::new(c))))
            },
            |s: Option<&Status>| s.is_none(),
        )
        .await?;
        Ok(Outputs::new())
    }
}

/// What the update changes in place; tags aside. The role is in the kind's `replace_on`.
pub(crate) const CLUSTER_IN_PLACE: &[&str] = &[
    "version",
    "logging",
    "endpointPublicAccess",
    "endpointPrivateAccess",
    "publicAccessCidrs",
    "subnets",
    "securityGroups",
];

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
    step: &AwsStep<'_>,
    name: &str,
) -> Result<Option<aws_sdk_eks::types::Cluster>, StepError> {
    let result = step
        .clients()
        .eks
        .describe_cluster()
        .name(name)
        .send()
        .await
        .aws();
    Ok(not_found_as_none(result)?.and_then(|r| r.cluster))
}

/// Waits until the cluster is ACTIVE (FAILED ends the wait with AWS's health issues).
async fn wait_cluster_active(step: &AwsStep<'_>, name: &str) -> Result<Outputs, StepError> {
    let cluster = step
        .wait_until(
            || async {
                let cluster = describe_cluster(step, name).await?;
                if let Some(c) = &cluster
                    && c.status().map(|s| s.as_str()) == Some("FAILED")
                {
                    return Err(StepError::fatal(
                        "ClusterFailed",
                        format!("EKS cluster {name} failed: {:?}", c.health()),
                    ));
                }
                Ok(cluster.map(|c| Status::Cluster(Box::new(c))))
            },
            |s: Option<&Status>| s.is_some_and(|s| s.state() == "ACTIVE"),
        )
        .await?;
    match cluster {
        Some(Status::Cluster(c)) => Ok(cluster_outputs(&c)),
        _ => Err(StepError::fatal(
            "ClusterNotFound",
            format!("EKS cluster {name} vanished"),
        )),
    }
}

/// One UpdateClusterConfig of the cluster's VPC settings, waited on until done and ACTIVE.
async fn update_vpc_config(
    step: &AwsStep<'_>,
    name: &str,
    vpc: VpcConfigRequest,
) -> Result<(), StepError> {
    let update = step
        .clients()
        .eks
        .update_cluster_config()
        .name(name)
        .resources_vpc_config(vpc)
        .send()
        .await
        .aws()?
        .update;
    wait_update(step, name, None, update.as_ref()).await?;
    wait_cluster_active(step, name).await?;
    Ok(())
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
