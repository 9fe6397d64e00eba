//! autoscaling: EC2 Auto Scaling groups, the servers of a group with `count:` (issue 14), and
//! their lifecycle hooks. The kinds' adapters are `autoscaling_group.rs` (whose read reads the
//! hooks too: Auto Scaling lists them per group) and `autoscaling_lifecycle_hook.rs`; this file
//! holds the service's tag calls, its answers for a group or hook that does not exist, and what
//! both kinds know of a hook.
//!
//! An Auto Scaling group's tags are written with CreateOrUpdateTags and removed with DeleteTags,
//! both taking `Tag`s that name the group (`ResourceId` the group's name, `ResourceType`
//! `auto-scaling-group`) and, for a tag written, whether it propagates to the instances the
//! group launches (botocore `autoscaling/2011-01-01` Tag: `PropagateAtLaunch`).

use aws_sdk_autoscaling::types::{LifecycleHook, Tag};
use serde_json::Value;

use super::{AwsResult, AwsStep, TagApi, outputs};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{ADDRESS_TAG, TagSet};
use crate::plan::catalog::servers::hooks::AutoScalingLifecycleHookProps;

/// botocore `autoscaling` Tag `ResourceType`: the only value is `auto-scaling-group`.
const RESOURCE_TYPE: &str = "auto-scaling-group";

/// The group's tags as Auto Scaling takes them. Every tag propagates to the instances the group
/// launches (so the servers carry the blueprint's tags and their group's, which the State
/// Manager association targets) except the ownership address: an instance is not the group, and
/// readers that find instances by tag would take it for the group.
pub(super) fn asg_tags(group: &str, tags: &TagSet) -> Vec<Tag> {
    tags.iter()
        .map(|(key, value)| {
            Tag::builder()
                .key(key)
                .value(value)
                .resource_id(group)
                .resource_type(RESOURCE_TYPE)
                .propagate_at_launch(key != ADDRESS_TAG)
                .build()
        })
        .collect()
}

/// `Ok(None)` for Auto Scaling's answer about a group that does not exist: it has no NotFound
/// code, it answers `ValidationError` "AutoScalingGroup name not found - …" (DeleteAutoScalingGroup,
/// UpdateAutoScalingGroup; the message moto and AWS give).
pub(super) fn gone_as_none<T>(result: Result<T, StepError>) -> Result<Option<T>, StepError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(err)
            if err.code == "ValidationError" && err.message.contains("not found")
                || super::is_not_found(&err) =>
        {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// `Ok(None)` for Auto Scaling's answer about a lifecycle hook that does not exist, or whose group
/// does not: DeleteLifecycleHook answers `ValidationError` "No Lifecycle Hook found …" (what the
/// Terraform AWS provider's aws_autoscaling_lifecycle_hook delete treats as gone,
/// internal/service/autoscaling/lifecycle_hook.go), and for a group that is gone
/// "AutoScalingGroup name not found - …" ([`gone_as_none`]).
pub(super) fn hook_gone_as_none<T>(result: Result<T, StepError>) -> Result<Option<T>, StepError> {
    match result {
        Err(err)
            if err.code == "ValidationError" && err.message.contains("No Lifecycle Hook found") =>
        {
            Ok(None)
        }
        other => gone_as_none(other),
    }
}

/// A lifecycle hook's id: `<group>/<hook>` (a hook's name is unique within its group only; the
/// form Terraform imports one by).
pub(super) fn hook_id(group: &str, hook: &str) -> String {
    format!("{group}/{hook}")
}

/// A hook's outputs: `id`, `name`, and the group's name, which its delete needs (the observed
/// `autoScalingGroup` is the group's address).
pub(super) fn hook_outputs(group: &str, hook: &str) -> Outputs {
    let mut out = outputs(&hook_id(group, hook), None, Some(hook));
    out.insert("autoScalingGroupName".into(), Value::from(group));
    out
}

/// A hook as Auto Scaling describes it, in the catalog's shape (its group by name: the group's
/// id, which the reader turns into the group's address). `None` for an answer without a name.
pub(super) fn hook_props(
    group: &str,
    hook: &LifecycleHook,
) -> Option<AutoScalingLifecycleHookProps> {
    Some(AutoScalingLifecycleHookProps {
        name: hook.lifecycle_hook_name()?.to_string(),
        auto_scaling_group: group.to_string(),
        lifecycle_transition: hook.lifecycle_transition().unwrap_or_default().to_string(),
        heartbeat_timeout_seconds: hook.heartbeat_timeout().map(i64::from).unwrap_or(3600),
        default_result: hook.default_result().unwrap_or("ABANDON").to_string(),
    })
}

/// The group's lifecycle hooks (DescribeLifecycleHooks: every hook of one group, at most 50);
/// none when the group is gone.
pub(super) async fn describe_hooks(
    autoscaling: &aws_sdk_autoscaling::Client,
    group: &str,
) -> Result<Vec<LifecycleHook>, StepError> {
    let described = autoscaling
        .describe_lifecycle_hooks()
        .auto_scaling_group_name(group)
        .send()
        .await
        .aws();
    Ok(gone_as_none(described)?
        .map(|d| d.lifecycle_hooks.unwrap_or_default())
        .unwrap_or_default())
}

/// Auto Scaling's "try again" answers (botocore `autoscaling`: `ScalingActivityInProgress` —
/// "The operation can't be performed because there are scaling activities in progress" — and
/// `ResourceContention` — "another request is being processed"): a conflict the engine retries.
pub(super) fn contention<T>(result: Result<T, StepError>) -> Result<T, StepError> {
    result.map_err(|err| {
        if matches!(
            err.code.as_str(),
            "ScalingActivityInProgress" | "ResourceContention"
        ) {
            StepError::conflict(err.code, err.message)
        } else {
            err
        }
    })
}

/// CreateOrUpdateTags / DeleteTags by the group's name.
pub(crate) struct AsgTags;

impl TagApi for AsgTags {
    async fn tag(step: &AwsStep<'_>, id: &str, tags: &TagSet) -> Result<(), StepError> {
        step.clients()
            .autoscaling
            .create_or_update_tags()
            .set_tags(Some(asg_tags(id, tags)))
            .send()
            .await
            .aws()
            .map(drop)
    }

    async fn untag(step: &AwsStep<'_>, id: &str, keys: Vec<String>) -> Result<(), StepError> {
        let tags = keys
            .iter()
            .map(|key| {
                Tag::builder()
                    .key(key)
                    .resource_id(id)
                    .resource_type(RESOURCE_TYPE)
                    .build()
            })
            .collect();
        step.clients()
            .autoscaling
            .delete_tags()
            .set_tags(Some(tags))
            .send()
            .await
            .aws()
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_hook_or_group_is_gone_and_other_errors_are_not() {
        let hook = StepError::fatal(
            "ValidationError",
            "No Lifecycle Hook found for Auto Scaling group demo-srv-app with name drain",
        );
        assert_eq!(hook_gone_as_none::<()>(Err(hook)), Ok(None));
        let group = StepError::fatal(
            "ValidationError",
            "AutoScalingGroup name not found - AutoScalingGroup 'demo-srv-app' not found",
        );
        assert_eq!(hook_gone_as_none::<()>(Err(group)), Ok(None));
        let other = StepError::fatal("ValidationError", "HeartbeatTimeout is out of range");
        assert_eq!(hook_gone_as_none::<()>(Err(other.clone())), Err(other));
        assert_eq!(hook_gone_as_none(Ok(1)), Ok(Some(1)));
    }

    #[test]
    fn a_hook_is_known_by_its_group_and_name() {
        assert_eq!(hook_id("demo-srv-app", "drain"), "demo-srv-app/drain");
        let out = hook_outputs("demo-srv-app", "drain");
        assert_eq!(out["id"], "demo-srv-app/drain");
        assert_eq!(out["name"], "drain");
        assert_eq!(out["autoScalingGroupName"], "demo-srv-app");
        assert!(!out.contains_key("arn"));
        let described = LifecycleHook::builder()
            .lifecycle_hook_name("drain")
            .auto_scaling_group_name("demo-srv-app")
            .lifecycle_transition("autoscaling:EC2_INSTANCE_TERMINATING")
            .heartbeat_timeout(600)
            .default_result("CONTINUE")
            .build();
        let props = hook_props("demo-srv-app", &described).expect("named");
        assert_eq!(
            serde_json::to_value(&props).unwrap(),
            serde_json::json!({
                "name": "drain",
                "autoScalingGroup": "demo-srv-app",
                "lifecycleTransition": "autoscaling:EC2_INSTANCE_TERMINATING",
                "heartbeatTimeoutSeconds": 600,
                "defaultResult": "CONTINUE"
            })
        );
        // AWS's defaults where the answer leaves them out (botocore PutLifecycleHook: 3600 s,
        // ABANDON); no name, no hook.
        let bare = LifecycleHook::builder().lifecycle_hook_name("x").build();
        let props = hook_props("g", &bare).expect("named");
        assert_eq!(
            (
                props.heartbeat_timeout_seconds,
                props.default_result.as_str()
            ),
            (3600, "ABANDON")
        );
        assert_eq!(hook_props("g", &LifecycleHook::builder().build()), None);
    }
}
