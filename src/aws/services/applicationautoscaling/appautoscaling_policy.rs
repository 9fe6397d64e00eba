//! A target-tracking scaling policy of an ECS service's scalable target: Application Auto
//! Scaling keeps a predefined metric — the service's average CPU, or the requests per task of
//! its target group — near a target value by changing the desired count within the target's
//! range, through CloudWatch alarms it makes and owns.
//!
//! - **Create** and **update**: PutScalingPolicy, which "creates or updates a scaling policy for
//!   an Application Auto Scaling scalable target" (botocore `application-autoscaling`), with the
//!   whole configuration each time (PolicyType `TargetTrackingScaling`). For
//!   `ALBRequestCountPerTarget` the ResourceLabel is built from the load balancer's and target
//!   group's ARNs (`scaling_kinds::resource_label`). A target registered moments ago may not be
//!   seen yet: ObjectNotFoundException "No scalable target registered for service namespace:
//!   ..." is retried (AWS's eventual consistency: the Terraform users who meet it on the first
//!   apply rerun it).
//! - **Delete**: DeleteScalingPolicy; a policy already gone (ObjectNotFoundException, also when
//!   its target was deregistered, which deletes its policies) is done.
//!
//! Read: DescribeScalingPolicies of the `ecs` namespace (one call per page of 10, AWS's most),
//! the policies of the blueprint's clusters (`applicationautoscaling::Scope`). Untagged: matched
//! by their target and name. Destroy's inventory does not ask: they go with their target.
//! Outputs: `id` (the policy ARN), `arn`, `name`, `resourceId`.

use aws_sdk_applicationautoscaling::types::{
    MetricType, PolicyType, PredefinedMetricSpecification, ScalingPolicy,
    TargetTrackingScalingPolicyConfiguration,
};

use super::applicationautoscaling::{Scaled, Scope, desired_count, ecs_namespace, scaling_outputs};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, deleted};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::scaling_kinds::{
    CPU_METRIC, REQUESTS_METRIC, ScalingPolicyProps, label_arns, parse_ecs_resource_id,
    resource_label,
};
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct AppAutoScalingPolicy;

impl Adapter for AppAutoScalingPolicy {
    const READS: &'static [Read] = &[first(("applicationautoscaling", "DescribeScalingPolicies"))];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let scope = Scope::of(read);
        // Destroy's inventory: deregistering a target deletes its policies (botocore
        // DeregisterScalableTarget), so they go with it unasked.
        if scope.clusters.is_empty() || read.inventory {
            return Ok(Vec::new());
        }
        Ok(all_items!(
            read.clients()
                .applicationautoscaling
                .describe_scaling_policies()
                .service_namespace(ecs_namespace())
                .scalable_dimension(desired_count())
                .max_results(10),
            scaling_policies
        )
        .into_iter()
        .filter_map(|policy| policy_found(read, &scope, &policy))
        .collect())
    }

    /// PutScalingPolicy with the whole target-tracking configuration.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: ScalingPolicyProps = step.props()?;
        let resource_id = target_resource_id(step, &props)?;
        let configuration = configuration(step, &props)?;
        let put = step
            .clients()
            .applicationautoscaling
            .put_scaling_policy()
            .policy_name(&props.name)
            .service_namespace(ecs_namespace())
            .resource_id(&resource_id)
            .scalable_dimension(desired_count())
            .policy_type(PolicyType::TargetTrackingScaling)
            .target_tracking_scaling_policy_configuration(configuration)
            .send()
            .await
            .aws()
            .map_err(target_not_seen_yet)?;
        Ok(policy_outputs(put.policy_arn(), &props.name, &resource_id))
    }

    /// The same call as the create: it puts the whole desired state.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let (resource_id, name) = match (step.existing("resourceId"), step.existing("name")) {
            (Some(id), Some(name)) => (id.to_string(), name.to_string()),
            _ => {
                let props: ScalingPolicyProps = step.props()?;
                (target_resource_id(step, &props)?, props.name)
            }
        };
        let scaling = &step.clients().applicationautoscaling;
        deleted(
            scaling
                .delete_scaling_policy()
                .policy_name(&name)
                .service_namespace(ecs_namespace())
                .resource_id(&resource_id)
                .scalable_dimension(desired_count())
                .send()
                .await
                .aws(),
        )
    }
}

/// The ResourceId of the policy's target: the target's `id` output.
fn target_resource_id(step: &AwsStep<'_>, props: &ScalingPolicyProps) -> Result<String, StepError> {
    let id = step.resolve(&props.target)?;
    if parse_ecs_resource_id(&id).is_none() {
        return Err(StepError::fatal(
            "ValidationException",
            format!(
                "{}: its target {} is no ECS service's scalable target ({id})",
                step.address(),
                props.target
            ),
        ));
    }
    Ok(id)
}

/// "No scalable target registered ..." right after the target's registration is AWS's
/// eventual consistency: a conflict the engine retries. Any other error stays as it is.
fn target_not_seen_yet(err: StepError) -> StepError {
    if err.code == "ObjectNotFoundException"
        && err.message.contains("No scalable target registered")
    {
        StepError::conflict(err.code, err.message)
    } else {
        err
    }
}

fn configuration(
    step: &AwsStep<'_>,
    props: &ScalingPolicyProps,
) -> Result<TargetTrackingScalingPolicyConfiguration, StepError> {
    if ![CPU_METRIC, REQUESTS_METRIC].contains(&props.metric.as_str()) {
        return Err(StepError::fatal(
            "ValidationException",
            format!(
                "{}: the metric {:?} is neither {CPU_METRIC} nor {REQUESTS_METRIC}",
                step.address(),
                props.metric
            ),
        ));
    }
    let mut metric = PredefinedMetricSpecification::builder()
        .predefined_metric_type(MetricType::from(props.metric.as_str()));
    if props.metric == REQUESTS_METRIC {
        metric = metric.resource_label(label(step, props)?);
    }
    let seconds = |value: i64| {
        i32::try_from(value).map_err(|_| {
            StepError::fatal(
                "ValidationException",
                format!("{}: cooldown {value} s is out of range", step.address()),
            )
        })
    };
    let built = |e: aws_sdk_applicationautoscaling::error::BuildError| {
        StepError::fatal("ValidationException", format!("{}: {e}", step.address()))
    };
    TargetTrackingScalingPolicyConfiguration::builder()
        .target_value(props.target_value)
        .predefined_metric_specification(metric.build().map_err(built)?)
        .scale_in_cooldown(seconds(props.scale_in_cooldown_seconds)?)
        .scale_out_cooldown(seconds(props.scale_out_cooldown_seconds)?)
        .build()
        .map_err(built)
}

/// The ResourceLabel of `ALBRequestCountPerTarget` from the load balancer's and target group's
/// ARNs (their `arn` outputs).
fn label(step: &AwsStep<'_>, props: &ScalingPolicyProps) -> Result<String, StepError> {
    let arn_of = |reference: &Option<String>, what: &str| {
        let reference = reference.as_deref().ok_or_else(|| {
            StepError::fatal(
                "ValidationException",
                format!(
                    "{}: {REQUESTS_METRIC} needs a {what} (the load balancer and target group \
                     whose requests are counted)",
                    step.address()
                ),
            )
        })?;
        step.resolve(&format!(
            "{}#arn",
            reference.split('#').next().unwrap_or(reference)
        ))
    };
    let load_balancer = arn_of(&props.load_balancer, "load balancer")?;
    let target_group = arn_of(&props.target_group, "target group")?;
    resource_label(&load_balancer, &target_group).ok_or_else(|| {
        StepError::fatal(
            "ValidationException",
            format!(
                "{}: {load_balancer} and {target_group} are not an Application Load Balancer's \
                 and a target group's ARNs",
                step.address()
            ),
        )
    })
}

fn policy_outputs(arn: &str, name: &str, resource_id: &str) -> Outputs {
    scaling_outputs(arn, Some(arn), name, resource_id)
}

/// A listed policy of one of the blueprint's clusters: its target by address where the target
/// is desired, else by ResourceId; one no desired policy matches is listed under its cluster's
/// address, to be deleted.
fn policy_found(read: &AwsRead<'_>, scope: &Scope, policy: &ScalingPolicy) -> Option<Found> {
    let resource_id = policy.resource_id();
    let Scaled {
        cluster_address,
        service,
        ..
    } = scope.scaled(policy.scalable_dimension(), resource_id)?;
    let name = policy.policy_name();
    let target = scope
        .targets
        .get(resource_id)
        .map_or_else(|| resource_id.to_string(), |d| d.address.to_string());
    // Where it is listed when no desired policy is it (the blueprint dropped it, or its target).
    let orphan = Address::new(format!(
        "{cluster_address}.appautoscaling_policy[{service}/{name}]"
    ));
    let tracking = policy.target_tracking_scaling_policy_configuration();
    let metric = tracking.and_then(|t| t.predefined_metric_specification());
    let elb_prefix = format!(
        "{}:elasticloadbalancing:{}:{}",
        read.conn.partition.arn_prefix(),
        read.conn.region,
        read.conn.account
    );
    let arns = metric
        .and_then(|m| m.resource_label())
        .and_then(|label| label_arns(&elb_prefix, label));
    let props = ScalingPolicyProps {
        name: name.to_string(),
        target,
        // A policy of another type or metric is a difference the update writes over.
        metric: match (policy.policy_type().as_str(), metric) {
            ("TargetTrackingScaling", Some(m)) => m.predefined_metric_type().as_str().to_string(),
            _ => String::new(),
        },
        target_value: tracking.map(|t| t.target_value()).unwrap_or_default(),
        load_balancer: arns.as_ref().map(|(lb, _)| lb.clone()),
        target_group: arns.map(|(_, tg)| tg),
        scale_in_cooldown_seconds: tracking
            .and_then(|t| t.scale_in_cooldown())
            .map(i64::from)
            .unwrap_or_default(),
        scale_out_cooldown_seconds: tracking
            .and_then(|t| t.scale_out_cooldown())
            .map(i64::from)
            .unwrap_or_default(),
    };
    let arn = policy.policy_arn();
    let mut found = Found::new(K::AppAutoScalingPolicy, arn)
        .named(name)
        .props(&props)
        .orphan_at(orphan);
    found.outputs = policy_outputs(arn, name, resource_id);
    Some(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_target_not_seen_yet_is_retried() {
        let unseen = StepError::fatal(
            "ObjectNotFoundException",
            "No scalable target registered for service namespace: ecs, resource ID: \
             service/demo/web, scalable dimension: ecs:service:DesiredCount",
        );
        assert!(target_not_seen_yet(unseen).class.is_retryable());
        let other = StepError::fatal("ValidationException", "No scalable target registered");
        assert_eq!(target_not_seen_yet(other.clone()), other);
    }
}
