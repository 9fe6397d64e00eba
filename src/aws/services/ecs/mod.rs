//! ecs: container services on ECS (issue 16, seed 003). The kinds' adapters are
//! `ecs_cluster.rs` (whose read reads each cluster's capacity provider association too:
//! DescribeClusters carries it), `ecs_capacity_provider.rs`, `ecs_cluster_capacity_providers.rs`,
//! `ecs_task_definition.rs` and `ecs_service.rs`; this file holds the service's tag calls and
//! what several of them share.
//!
//! ECS tags a cluster, capacity provider, task definition or service by its ARN with TagResource
//! / UntagResource (botocore `ecs/2014-11-13`); the create calls take the tags too.

use aws_sdk_ecs::types::Tag;

use super::{AwsStep, Found, outputs};
use crate::apply::StepError;
use crate::aws::errors::AwsResult;
use crate::aws::tags::{self, TagSet};
use crate::plan::{Address, ResourceKind};

/// ECS's TagResource and UntagResource, by the resource's ARN.
pub(crate) struct EcsTags;

super::tag_api!(
    EcsTags,
    ecs,
    tag_resource / untag_resource,
    resource_arn,
    ecs_tags
);

super::sdk_tags!(pub(super) ecs_tags, Tag);

/// A cluster, capacity provider or service as the read finds it: identified by its ARN, with
/// its name, properties and tags; its outputs are the ARN (as id and ARN) and the name.
pub(super) fn arn_found(
    kind: ResourceKind,
    arn: &str,
    name: &str,
    address: Address,
    props: &impl serde::Serialize,
    tags: &TagSet,
) -> Found {
    let mut found = Found::new(kind, arn)
        .at(Some(address))
        .named(name)
        .props(props)
        .with("tags", tags::to_value(tags));
    found.outputs = outputs(arn, Some(arn), Some(name));
    found
}

/// An ECS answer's tags as a [`TagSet`].
pub(super) fn tag_set(list: &[Tag]) -> TagSet {
    tags::from_pairs(list.iter().filter_map(|t| Some((t.key()?, t.value()?))))
}

/// `ENABLED` / `DISABLED`, as ECS spells a switch (ManagedScalingStatus and its kin).
pub(super) fn switch(on: bool) -> &'static str {
    if on { "ENABLED" } else { "DISABLED" }
}

/// The last part of an ECS ARN (`arn:aws:ecs:r:a:cluster/NAME` → `NAME`).
pub(super) fn short_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// The capacity providers AWS makes in every account: named as they are, never a reference.
const AWS_PROVIDERS: &[&str] = &["FARGATE", "FARGATE_SPOT"];

/// A capacity provider in a cluster's list or a strategy: a provider's address becomes its name
/// (ECS names them by their short name there: botocore `ecs` PutClusterCapacityProviders and
/// CapacityProviderStrategyItem), `FARGATE` and `FARGATE_SPOT` stay as they are.
pub(super) fn provider_name(step: &AwsStep<'_>, value: &str) -> Result<String, StepError> {
    if AWS_PROVIDERS.contains(&value) {
        Ok(value.to_string())
    } else {
        step.name_of(value)
    }
}

/// A provider's name as read back: the provider's ARN (its id, which the reader turns into its
/// address), built from an ARN of the same account and region (`arn:…:ecs:r:a:cluster/x` →
/// `arn:…:ecs:r:a:capacity-provider/NAME`); `FARGATE` and `FARGATE_SPOT` as they are.
pub(super) fn provider_arn(same_account: &str, name: &str) -> String {
    if AWS_PROVIDERS.contains(&name) || name.starts_with("arn:") {
        return name.to_string();
    }
    match same_account
        .split_once(":cluster/")
        .or_else(|| same_account.split_once(":service/"))
    {
        Some((prefix, _)) => format!("{prefix}:capacity-provider/{name}"),
        None => name.to_string(),
    }
}

/// A cluster (name or ARN) as DescribeClusters answers it, with its settings and tags; `None`
/// for one ECS does not know. An INACTIVE cluster (deleted: DescribeClusters shows it for a
/// while, botocore `ecs` Cluster status) is answered as it is: callers decide.
pub(super) async fn describe_cluster(
    step: &AwsStep<'_>,
    cluster: &str,
) -> Result<Option<aws_sdk_ecs::types::Cluster>, StepError> {
    use aws_sdk_ecs::types::ClusterField;
    let described = step
        .clients()
        .ecs
        .describe_clusters()
        .clusters(cluster)
        .include(ClusterField::Tags)
        .include(ClusterField::Settings)
        .send()
        .await
        .aws()?;
    Ok(described.clusters.unwrap_or_default().pop())
}

/// AWS refuses some calls while what depends on a resource is still there (a cluster with
/// services or instances, a capacity provider still associated with a cluster, a cluster whose
/// capacity providers are being updated): a conflict the engine retries, named with AWS's
/// words. Anything else as it is.
pub(super) fn in_use(result: Result<(), StepError>) -> Result<(), StepError> {
    match result {
        Err(err) if is_in_use(&err) => Err(StepError::conflict(err.code, err.message)),
        other => other,
    }
}

fn is_in_use(err: &StepError) -> bool {
    // botocore `ecs` DeleteCluster: ClusterContainsServicesException,
    // ClusterContainsContainerInstancesException, ClusterContainsTasksException; any call on a
    // cluster or provider mid-update: UpdateInProgressException; DeleteCapacityProvider of a
    // provider still in a cluster's list or a service's strategy answers ClientException ("The
    // specified capacity provider is in use and cannot be removed").
    matches!(
        err.code.as_str(),
        "ClusterContainsServicesException"
            | "ClusterContainsContainerInstancesException"
            | "ClusterContainsTasksException"
            | "UpdateInProgressException"
            | "ResourceInUseException"
    ) || (err.code == "ClientException" && err.message.contains("in use"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependents_still_there_are_retried_and_the_rest_is_not() {
        for (code, message) in [
            (
                "ClusterContainsServicesException",
                "The Cluster cannot be deleted while Services are active.",
            ),
            (
                "ClusterContainsContainerInstancesException",
                "The Cluster cannot be deleted while Container Instances are active or draining.",
            ),
            (
                "ClientException",
                "The specified capacity provider is in use and cannot be removed.",
            ),
            ("UpdateInProgressException", "The cluster is being updated."),
        ] {
            let err = in_use(Err(StepError::fatal(code, message))).unwrap_err();
            assert!(err.class.is_retryable(), "{code}");
        }
        let other = in_use(Err(StepError::fatal("ClientException", "bad name"))).unwrap_err();
        assert!(!other.class.is_retryable());
        assert_eq!(short_name("arn:aws:ecs:eu-west-1:1:cluster/demo"), "demo");
        assert_eq!(switch(true), "ENABLED");
        assert_eq!(
            provider_arn("arn:aws:ecs:eu-west-1:1:cluster/demo", "demo-cp"),
            "arn:aws:ecs:eu-west-1:1:capacity-provider/demo-cp"
        );
        assert_eq!(
            provider_arn("arn:aws:ecs:eu-west-1:1:service/demo/web", "demo-cp"),
            "arn:aws:ecs:eu-west-1:1:capacity-provider/demo-cp"
        );
        assert_eq!(
            provider_arn("arn:aws:ecs:eu-west-1:1:cluster/demo", "FARGATE"),
            "FARGATE"
        );
    }
}
