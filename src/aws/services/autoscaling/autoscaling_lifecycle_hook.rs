//! A lifecycle hook of an Auto Scaling group: with `autoscaling:EC2_INSTANCE_TERMINATING`, an
//! instance the group scales in (or an instance refresh replaces) is deregistered from the
//! group's target groups, then waits in `Terminating:Wait` until its lifecycle action is
//! completed (CompleteLifecycleAction: a server's drain script, when its sessions are suspended)
//! or the hook's heartbeat timeout passes and its default result applies (EC2 Auto Scaling user
//! guide, "How lifecycle hooks work"). The group's waits (`autoscaling_group.rs`) wait for it.
//!
//! - **Create** and **update**: PutLifecycleHook, which "creates or updates a lifecycle hook"
//!   (botocore `autoscaling`): the name, group, transition, heartbeat timeout and default result,
//!   all of them each time. No notification target: a hook without one announces its actions
//!   on Amazon EventBridge ("Prepare to add a lifecycle hook" in the user guide). Nothing to
//!   wait for: the hook applies to the next transition.
//! - **Delete**: DeleteLifecycleHook; a hook or group already gone is done. "If there are any
//!   outstanding lifecycle actions, they are completed first (ABANDON for launching instances,
//!   CONTINUE for terminating instances)" (botocore DeleteLifecycleHook).
//!
//! Read with its group (`autoscaling_group.rs`): one DescribeLifecycleHooks per owned group.
//! Auto Scaling takes no tags on a hook: it is matched to the blueprint's by its group and name.

use super::autoscaling::{contention, hook_gone_as_none, hook_outputs};
use super::{Adapter, AwsResult, AwsStep, StepResult};
use crate::apply::{Outputs, StepError};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::servers::hooks::AutoScalingLifecycleHookProps;

pub(crate) struct AutoScalingLifecycleHook;

impl Adapter for AutoScalingLifecycleHook {
    /// Listed per group: the group's read reads them.
    const READ_WITH: Option<K> = Some(K::AutoScalingGroup);

    /// PutLifecycleHook with every property: the same call makes and changes a hook.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: AutoScalingLifecycleHookProps = step.props()?;
        let group = step.name_of(&props.auto_scaling_group)?;
        let heartbeat = i32::try_from(props.heartbeat_timeout_seconds).map_err(|_| {
            StepError::fatal(
                "ValidationError",
                format!(
                    "{}: heartbeat timeout {} s is out of range (30 to 7200)",
                    step.address(),
                    props.heartbeat_timeout_seconds
                ),
            )
        })?;
        let put = step
            .clients()
            .autoscaling
            .put_lifecycle_hook()
            .auto_scaling_group_name(&group)
            .lifecycle_hook_name(&props.name)
            .lifecycle_transition(&props.lifecycle_transition)
            .heartbeat_timeout(heartbeat)
            .default_result(&props.default_result)
            .send()
            .await
            .aws();
        contention(put)?;
        Ok(hook_outputs(&group, &props.name))
    }

    /// The same call as the create: it puts the whole desired state.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        Self::create(step).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let (group, name) = match (step.existing("autoScalingGroupName"), step.existing("name")) {
            (Some(group), Some(name)) => (group.to_string(), name.to_string()),
            _ => {
                let props: AutoScalingLifecycleHookProps = step.props()?;
                (step.name_of(&props.auto_scaling_group)?, props.name)
            }
        };
        let deleted = step
            .clients()
            .autoscaling
            .delete_lifecycle_hook()
            .auto_scaling_group_name(&group)
            .lifecycle_hook_name(&name)
            .send()
            .await
            .aws();
        hook_gone_as_none(contention(deleted))?;
        Ok(Outputs::new())
    }
}
