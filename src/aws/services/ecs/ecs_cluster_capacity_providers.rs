//! A cluster's capacity providers and default strategy (PutClusterCapacityProviders): the
//! cluster's settings rather than a resource of their own — untagged, known by the cluster, read
//! with it (`ecs_cluster.rs`: DescribeClusters carries both lists).
//!
//! - **Create / update**: PutClusterCapacityProviders with every provider and the whole default
//!   strategy: it replaces both ("you must specify both the available capacity providers and a
//!   default capacity provider strategy for the cluster", botocore `ecs`
//!   PutClusterCapacityProviders). The cluster is UPDATE_IN_PROGRESS meanwhile and another put
//!   answers UpdateInProgressException (retried as a conflict); the step waits until the cluster
//!   says so no more (its `attachmentsStatus` `UPDATE_COMPLETE`, or none).
//! - **Delete**: PutClusterCapacityProviders with empty lists ("To remove a capacity provider
//!   from a cluster, ... specify an empty list", same documentation). AWS refuses to take away a
//!   provider a service's strategy still uses or tasks still run on (ResourceInUseException): a
//!   conflict retried until the services are gone — the destroy order deletes them first.

use aws_sdk_ecs::types::CapacityProviderStrategyItem;

use super::ecs::{describe_cluster, in_use, provider_name};
use super::{Adapter, AwsResult, AwsStep, StepResult, outputs};
use crate::apply::{Outputs, StepError};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::ecs_kinds::{EcsClusterCapacityProvidersProps, EcsStrategyItem};

pub(crate) struct EcsClusterCapacityProviders;

impl Adapter for EcsClusterCapacityProviders {
    const READ_WITH: Option<K> = Some(K::EcsCluster);

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EcsClusterCapacityProvidersProps = step.props()?;
        let cluster = step.reference("cluster")?;
        let providers = props
            .capacity_providers
            .iter()
            .map(|p| provider_name(step, p))
            .collect::<Result<Vec<_>, _>>()?;
        let strategy = strategy(step, &props.default_strategy)?;
        let put = step
            .clients()
            .ecs
            .put_cluster_capacity_providers()
            .cluster(&cluster)
            .set_capacity_providers(Some(providers))
            .set_default_capacity_provider_strategy(Some(strategy))
            .send()
            .await
            .aws()
            .map(drop);
        in_use(put)?;
        settle(step, &cluster).await?;
        Ok(outputs(&id_of(&cluster), None, None))
    }

    /// The same call as the create: it puts the whole desired state.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let id = step.existing_id()?;
        let cluster = cluster_of(id);
        let emptied = step
            .clients()
            .ecs
            .put_cluster_capacity_providers()
            .cluster(cluster)
            .set_capacity_providers(Some(Vec::new()))
            .set_default_capacity_provider_strategy(Some(Vec::new()))
            .send()
            .await
            .aws()
            .map(drop);
        match in_use(emptied) {
            Err(err) if crate::aws::errors::is_not_found(&err) => return Ok(Outputs::new()),
            other => other?,
        }
        settle(step, cluster).await?;
        Ok(Outputs::new())
    }
}

/// The association's id: its cluster's ARN with a suffix of its own, so that the cluster's ARN,
/// wherever it is a value, reads back as the cluster (a value equal to two resources' ids would
/// read back as neither).
pub(super) fn id_of(cluster_arn: &str) -> String {
    format!("{cluster_arn}{ID_SUFFIX}")
}

/// The cluster an association's id names (an id from before the suffix is the cluster's ARN).
fn cluster_of(id: &str) -> &str {
    id.strip_suffix(ID_SUFFIX).unwrap_or(id)
}

const ID_SUFFIX: &str = "/capacity-providers";

/// A strategy's items with the providers' names resolved (shared with the service).
pub(super) fn strategy(
    step: &AwsStep<'_>,
    items: &[EcsStrategyItem],
) -> Result<Vec<CapacityProviderStrategyItem>, StepError> {
    items
        .iter()
        .map(|item| {
            CapacityProviderStrategyItem::builder()
                .capacity_provider(provider_name(step, &item.capacity_provider)?)
                .weight(i32::try_from(item.weight).unwrap_or(0))
                .base(i32::try_from(item.base).unwrap_or(0))
                .build()
                .map_err(|e| crate::aws::errors::missing(format!("{}: {e}", step.address())))
        })
        .collect()
}

/// Until the cluster's attachments are no longer being updated (botocore `ecs` Cluster
/// attachmentsStatus: UPDATE_IN_PROGRESS, UPDATE_COMPLETE, UPDATE_FAILED).
async fn settle(step: &AwsStep<'_>, cluster: &str) -> Result<(), StepError> {
    let probe = || async {
        Ok(describe_cluster(step, cluster).await?.map(|c| {
            c.attachments_status()
                .unwrap_or("UPDATE_COMPLETE")
                .to_string()
        }))
    };
    let settled = |seen: Option<&String>| seen.is_none_or(|s| s != "UPDATE_IN_PROGRESS");
    let seen = step.wait_until(probe, settled).await?;
    match seen.as_deref() {
        Some("UPDATE_FAILED") => Err(StepError::fatal(
            "UpdateFailed",
            format!(
                "{}: ECS could not attach the capacity providers to {cluster} (attachmentsStatus \
                 UPDATE_FAILED; `aws ecs describe-clusters --clusters {cluster} --include \
                 ATTACHMENTS` shows why)",
                step.address()
            ),
        )),
        _ => Ok(()),
    }
}
