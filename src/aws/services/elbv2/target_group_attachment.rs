//! One target registered in a target group: an EC2 instance on a port (RegisterTargets). AWS keys
//! a registration by its group, target id and port and tags none (botocore `elbv2`
//! TargetDescription has no tags), so the kind is untagged: a registration found in one of the
//! blueprint's target groups is matched to the desired one with the same three.
//!
//! The create does not wait for the target to be `healthy`, as Terraform's
//! aws_lb_target_group_attachment does not: health is the instance's software answering the
//! health check, which a configuration run may still be installing. Except in a rolling
//! replacement (`apply::schedule`: the next server is drained once this one is back): there the
//! create waits until the new server is `healthy`, as botocore's `TargetInService` waiter does
//! (elbv2 waiters-2.json), so a roll stops at a server that does not serve. A delete deregisters and waits as botocore's
//! `TargetDeregistered` waiter does (elbv2 waiters-2.json: DescribeTargetHealth of the target
//! until every state is `unused`, or the `InvalidTarget` error): the target drains for the
//! group's deregistration delay (`deregistration_delay.timeout_seconds`, 300 s by default).
//! Read with the target groups (`target_group.rs` asks DescribeTargetHealth of each instance
//! group the blueprint owns beside its attributes, and [`registrations`] turns the answer into
//! this kind's resources): one listing of the groups for both kinds.

use aws_sdk_elasticloadbalancingv2::types::{TargetDescription, TargetTypeEnum};

use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs};
use crate::apply::{Outputs, StepError};
use crate::plan::catalog::ingress::TargetGroupAttachmentProps;
use crate::plan::{Address, ResourceKind, ResourceKind as K};

pub(crate) struct TargetGroupAttachment;

type Health = aws_sdk_elasticloadbalancingv2::types::TargetHealthDescription;

/// `TargetHealth.State` of a registration still there (anything but gone or `unused`).
struct TargetState(String);

impl std::fmt::Display for TargetState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Adapter for TargetGroupAttachment {
    const READ_WITH: Option<ResourceKind> = Some(ResourceKind::TargetGroup);

    /// RegisterTargets is idempotent (a registered target stays as it is). An instance not yet
    /// `running` is refused with `InvalidTarget`: retried, as Terraform retries it.
    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: TargetGroupAttachmentProps = step.props()?;
        let group = step.resolve(&props.target_group)?;
        let target = step.resolve(&props.target)?;
        step.clients()
            .elbv2
            .register_targets()
            .target_group_arn(&group)
            .targets(description(&target, props.port))
            .send()
            .await
            .aws()
            .map_err(|e| {
                if e.code == "InvalidTarget" {
                    StepError::conflict(e.code, e.message)
                } else {
                    e
                }
            })?;
        if step.request.step.replacing {
            step.wait_until(
                || health(step, &group, &target, props.port),
                crate::apply::wait::has(|s: &TargetState| s.0 == "healthy"),
            )
            .await?;
        }
        Ok(attachment_outputs(&group, &target, props.port))
    }

    /// Every property is replaced on: nothing changes in place.
    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: TargetGroupAttachmentProps = step.props()?;
        let group = step.resolve(&props.target_group)?;
        let target = step.resolve(&props.target)?;
        Ok(attachment_outputs(&group, &target, props.port))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let props: TargetGroupAttachmentProps = step.props()?;
        let known = |key: &str, reference: &str| -> Result<String, StepError> {
            match step.existing(key) {
                Some(value) => Ok(value.to_string()),
                None => step.resolve(reference),
            }
        };
        let group = known("targetGroupArn", &props.target_group)?;
        let target = known("targetId", &props.target)?;
        let deregistered = step
            .clients()
            .elbv2
            .deregister_targets()
            .target_group_arn(&group)
            .targets(description(&target, props.port))
            .send()
            .await
            .aws();
        // The group is gone, or the target is not registered: nothing to take out.
        if unless_gone(deregistered)?.is_none() {
            return Ok(Outputs::new());
        }
        step.wait_until(
            || draining(step, &group, &target, props.port),
            crate::apply::wait::is_gone(),
        )
        .await?;
        Ok(Outputs::new())
    }
}

fn description(target: &str, port: u16) -> TargetDescription {
    TargetDescription::builder()
        .id(target)
        .port(i32::from(port))
        .build()
}

/// An answer, or `None` where AWS says what botocore's `TargetDeregistered` waiter counts as
/// done: `InvalidTarget`, and here also a group that is gone.
fn unless_gone<T>(answer: Result<T, StepError>) -> Result<Option<T>, StepError> {
    match answer {
        Ok(answer) => Ok(Some(answer)),
        Err(e) if e.code == "InvalidTarget" || super::is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

/// DescribeTargetHealth of one registration; `None` when AWS says it is not there at all
/// (`InvalidTarget`) or the group is gone.
async fn described(
    step: &AwsStep<'_>,
    group: &str,
    target: &str,
    port: u16,
) -> Result<Option<Vec<Health>>, StepError> {
    let answer = step
        .clients()
        .elbv2
        .describe_target_health()
        .target_group_arn(group)
        .targets(description(target, port))
        .send()
        .await
        .aws();
    Ok(unless_gone(answer)?.map(|described| described.target_health_descriptions().to_vec()))
}

/// The target's state while it is still registered or draining; `None` once AWS answers
/// `unused` or `InvalidTarget` (the `TargetDeregistered` waiter's acceptors).
async fn draining(
    step: &AwsStep<'_>,
    group: &str,
    target: &str,
    port: u16,
) -> Result<Option<TargetState>, StepError> {
    let Some(health) = described(step, group, target, port).await? else {
        return Ok(None);
    };
    let states: Vec<String> = health.iter().map(|d| state_of(d).to_string()).collect();
    if states.iter().all(|s| s == "unused") {
        return Ok(None);
    }
    Ok(Some(TargetState(states.join(","))))
}

/// The target's health state (`initial`, `healthy`, `unhealthy`, …; `unused` once it is not
/// registered), with the reason AWS gives for it.
async fn health(
    step: &AwsStep<'_>,
    group: &str,
    target: &str,
    port: u16,
) -> Result<Option<TargetState>, StepError> {
    let health = described(step, group, target, port)
        .await?
        .unwrap_or_default();
    let shown = health.first().map(|d| {
        let reason = d
            .target_health()
            .and_then(|h| h.reason())
            .map(|r| format!(" ({})", r.as_str()))
            .unwrap_or_default();
        if state_of(d) == "healthy" {
            TargetState("healthy".into())
        } else {
            TargetState(format!("{}{reason}", state_of(d)))
        }
    });
    Ok(shown)
}

fn state_of(d: &Health) -> &str {
    d.target_health()
        .and_then(|h| h.state())
        .map_or("", |s| s.as_str())
}

/// A registration that is there to stay: neither draining (being deregistered) nor reported as
/// not registered — Terraform's read counts both as gone (`Target.DeregistrationInProgress`,
/// `Target.NotRegistered`).
fn is_registered(d: &Health) -> bool {
    let reason = d
        .target_health()
        .and_then(|h| h.reason())
        .map_or("", |r| r.as_str());
    state_of(d) != "draining"
        && reason != "Target.DeregistrationInProgress"
        && reason != "Target.NotRegistered"
}

/// DescribeTargetHealth of one target group, for its registrations: instance groups only (IP
/// groups are filled by the AWS Load Balancer Controller's TargetGroupBindings, the workload's
/// pods, never by an attachment). Destroy reads them too: a registration is deleted before its
/// instance or group.
pub(super) async fn target_health(
    read: &AwsRead<'_>,
    group: &aws_sdk_elasticloadbalancingv2::types::TargetGroup,
) -> Result<Vec<Health>, StepError> {
    if group.target_type() != Some(&TargetTypeEnum::Instance) {
        return Ok(Vec::new());
    }
    let answer = read
        .conn
        .clients
        .elbv2
        .describe_target_health()
        .target_group_arn(group.target_group_arn().unwrap_or_default())
        .send()
        .await
        .aws();
    Ok(super::not_found_as_none(answer)?
        .and_then(|d| d.target_health_descriptions)
        .unwrap_or_default())
}

/// The registrations in one of the blueprint's target groups (`group`, at `group_address`).
/// One that no desired attachment matches (the blueprint moved the target to another port, or
/// dropped it) is listed under the group so the plan deregisters it, as the unlisted egress rules
/// of our security groups are. A group an Auto Scaling group fills is not read this way
/// (`target_group.rs`): its registrations are the Auto Scaling group's.
pub(super) fn registrations(group: &str, group_address: &Address, health: &[Health]) -> Vec<Found> {
    health
        .iter()
        .filter(|d| is_registered(d))
        .filter_map(|d| {
            let target = d.target()?;
            let id = target.id()?;
            let port = u16::try_from(target.port()?).ok()?;
            let props = TargetGroupAttachmentProps {
                target_group: group.to_string(),
                target: id.to_string(),
                port,
            };
            let mut found =
                Found::new(K::TargetGroupAttachment, attachment_id(group, id, port)).props(&props);
            found.outputs = attachment_outputs(group, id, port);
            Some(found.orphan_at(Address::new(format!(
                "{group_address}.registration[{id}_{port}]"
            ))))
        })
        .collect()
}

/// `<group ARN>/<target>:<port>`: unique per registration, as AWS keys it.
fn attachment_id(group: &str, target: &str, port: u16) -> String {
    format!("{group}/{target}:{port}")
}

/// `id`, and what a delete needs: the group's ARN and the target's id.
fn attachment_outputs(group: &str, target: &str, port: u16) -> Outputs {
    let mut out = outputs(&attachment_id(group, target, port), None, None);
    out.insert("targetGroupArn".into(), group.into());
    out.insert("targetId".into(), target.into());
    out
}
