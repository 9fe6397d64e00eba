//! An Application Auto Scaling scalable target: an ECS service's desired count, kept between a
//! minimum and a maximum (namespace `ecs`, ResourceId `service/<cluster>/<service>`, dimension
//! `ecs:service:DesiredCount`). Its policies (`appautoscaling_policy.rs`) move the count within
//! that range.
//!
//! - **Create** and **update**: RegisterScalableTarget, which "registers or updates a scalable
//!   target" (botocore `application-autoscaling`): the same call with the minimum and maximum.
//!   Without a RoleARN, Application Auto Scaling uses (and on the first registration makes) its
//!   service-linked role for ECS. "If the specified resource is not active in the target
//!   service, this operation does not change the resource's current capacity. Otherwise, it
//!   changes the resource's current capacity to a value that is inside of this range": nothing
//!   to wait for.
//! - **Delete**: DeregisterScalableTarget; "deregistering a scalable target deletes the scaling
//!   policies and the scheduled actions that are associated with it" (botocore). One already
//!   gone (ObjectNotFoundException) is done.
//!
//! Read: DescribeScalableTargets of the `ecs` namespace (one call per page of 50), the targets
//! of the blueprint's clusters (`applicationautoscaling::Scope`). Untagged: matched by the
//! cluster and service it scales. Outputs: `id` (the ResourceId), `arn` (ScalableTargetARN,
//! where AWS answers one), `resourceId`.

use aws_sdk_applicationautoscaling::types::ScalableTarget;

use super::applicationautoscaling::{
    Scaled, Scope, desired_count, ecs_namespace, ecs_service_arn, scaling_outputs,
};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::scaling_kinds::{ScalableTargetProps, ecs_resource_id};
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct AppAutoScalingTarget;

impl Adapter for AppAutoScalingTarget {
    const READS: &'static [Read] = &[first(("applicationautoscaling", "DescribeScalableTargets"))];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let scope = Scope::of(read);
        if scope.clusters.is_empty() {
            return Ok(Vec::new());
        }
        Ok(all_items!(
            read.clients()
                .applicationautoscaling
                .describe_scalable_targets()
                .service_namespace(ecs_namespace())
                .scalable_dimension(desired_count())
                .max_results(50),
            scalable_targets
        )
        .into_iter()
        .filter_map(|target| target_found(read, &scope, &target))
        .collect())
    }

    /// RegisterScalableTarget with the minimum and maximum: the same call makes and changes it.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: ScalableTargetProps = step.props()?;
        let resource_id = resource_id(step, &props)?;
        let capacity = |value: i64, what: &str| {
            i32::try_from(value).map_err(|_| {
                StepError::fatal(
                    "ValidationException",
                    format!(
                        "{}: {what} capacity {value} is out of range",
                        step.address()
                    ),
                )
            })
        };
        let registered = step
            .clients()
            .applicationautoscaling
            .register_scalable_target()
            .service_namespace(ecs_namespace())
            .resource_id(&resource_id)
            .scalable_dimension(desired_count())
            .min_capacity(capacity(props.min_capacity, "minimum")?)
            .max_capacity(capacity(props.max_capacity, "maximum")?)
            .send()
            .await
            .aws()?;
        Ok(target_outputs(
            &resource_id,
            registered.scalable_target_arn(),
        ))
    }

    /// The same call as the create: it puts the whole desired state.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let resource_id = match step.existing("resourceId") {
            Some(id) => id.to_string(),
            None => resource_id(step, &step.props()?)?,
        };
        let scaling = &step.clients().applicationautoscaling;
        deleted(
            scaling
                .deregister_scalable_target()
                .service_namespace(ecs_namespace())
                .resource_id(&resource_id)
                .scalable_dimension(desired_count())
                .send()
                .await
                .aws(),
        )
    }
}

/// The target's ResourceId from the names of the cluster and service its properties refer to.
fn resource_id(step: &AwsStep<'_>, props: &ScalableTargetProps) -> Result<String, StepError> {
    Ok(ecs_resource_id(
        &step.name_of(&props.cluster)?,
        &step.name_of(&props.service)?,
    ))
}

fn target_outputs(resource_id: &str, arn: Option<&str>) -> Outputs {
    scaling_outputs(resource_id, arn, resource_id, resource_id)
}

/// A listed target of one of the blueprint's clusters: the desired one it is (its references as
/// the catalog writes them), or one the blueprint dropped, listed under its cluster's address.
fn target_found(read: &AwsRead<'_>, scope: &Scope, target: &ScalableTarget) -> Option<Found> {
    let resource_id = target.resource_id();
    let Scaled {
        cluster_address,
        cluster,
        service,
    } = scope.scaled(target.scalable_dimension(), resource_id)?;
    let (cluster_ref, service_ref) = match scope.targets.get(resource_id) {
        Some(desired) => (desired.cluster.clone(), desired.service.clone()),
        None => (
            cluster_address.to_string(),
            ecs_service_arn(
                &read.conn.partition.arn_prefix(),
                &read.conn.region,
                &read.conn.account,
                cluster,
                service,
            ),
        ),
    };
    let props = ScalableTargetProps {
        cluster: cluster_ref,
        service: service_ref,
        min_capacity: i64::from(target.min_capacity()),
        max_capacity: i64::from(target.max_capacity()),
    };
    // Where it is listed when no desired target is it (the blueprint dropped the service).
    let orphan = Address::new(format!(
        "{cluster_address}.appautoscaling_target[{service}]"
    ));
    let mut found = Found::new(K::AppAutoScalingTarget, resource_id)
        .props(&props)
        .orphan_at(orphan);
    found.outputs = target_outputs(resource_id, target.scalable_target_arn());
    Some(found)
}
