//! autoscaling: EC2 Auto Scaling groups, the servers of a group with `count:` (issue 14). The
//! kind's adapter is `autoscaling_group.rs`; this file holds the service's tag calls and its
//! answers for a group that does not exist.
//!
//! An Auto Scaling group's tags are written with CreateOrUpdateTags and removed with DeleteTags,
//! both taking `Tag`s that name the group (`ResourceId` the group's name, `ResourceType`
//! `auto-scaling-group`) and, for a tag written, whether it propagates to the instances the
//! group launches (botocore `autoscaling/2011-01-01` Tag: `PropagateAtLaunch`).

use aws_sdk_autoscaling::types::Tag;

use super::{AwsResult, AwsStep, TagApi};
use crate::apply::StepError;
use crate::aws::tags::{ADDRESS_TAG, TagSet};

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
pub struct AsgTags;

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
