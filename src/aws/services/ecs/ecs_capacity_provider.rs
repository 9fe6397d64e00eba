//! An ECS capacity provider over an Auto Scaling group: ECS scales the group to the tasks' needs
//! (managed scaling, to `targetCapacity` percent in use), keeps instances with tasks from being
//! scaled in (managed termination protection: the group must protect new instances from scale-in,
//! `autoscaling_group`'s `newInstancesProtectedFromScaleIn`) and drains an instance's tasks before
//! Auto Scaling terminates it (managed draining).
//!
//! - **Create**: DescribeCapacityProviders by name first (one an interrupted run made is found by
//!   its name and address tag), then CreateCapacityProvider with the group's ARN, the settings and
//!   the tags. It is ACTIVE when the call answers.
//! - **Update**: UpdateCapacityProvider with managed scaling, termination protection and draining
//!   (the group is fixed: AutoScalingGroupProviderUpdate has none, botocore `ecs`), then until its
//!   `updateStatus` is no longer UPDATE_IN_PROGRESS (UPDATE_FAILED fails the step with AWS's
//!   reason); the tags.
//! - **Delete**: DeleteCapacityProvider. AWS refuses while the provider is in a cluster's list or
//!   a service's strategy ("The specified capacity provider is in use and cannot be removed",
//!   ClientException: botocore `ecs` DeleteCapacityProvider says it "must be removed from the
//!   capacity provider strategy from all services ... [and] from a cluster"): a conflict retried
//!   until the association and services are gone. Then until DescribeCapacityProviders answers it
//!   INACTIVE or not at all (status DELETE_IN_PROGRESS meanwhile: "the capacity provider is
//!   transitioned to an INACTIVE status", same documentation).
//!
//! Read: DescribeCapacityProviders with TAGS (every provider of the account, 10 a page by
//! default; the two Fargate providers carry no tags and are not the blueprint's), ownership by
//! the tags. Attributes: `arn` (the id) and `name` (clusters and strategies name providers by
//! it: their readers write the provider's ARN back, `ecs::provider_arn`).

use aws_sdk_ecs::types::{
    AutoScalingGroupProvider, AutoScalingGroupProviderUpdate, CapacityProvider,
    CapacityProviderField, CapacityProviderStatus, CapacityProviderUpdateStatus, ManagedDraining,
    ManagedScaling, ManagedScalingStatus, ManagedTerminationProtection,
};

use super::ecs::{EcsTags, arn_found, ecs_tags, in_use, switch, tag_set};
use super::stages::{Read, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs, sync_tags};
use crate::apply::wait::{has, is_gone};
use crate::apply::{Outputs, StepError};
use crate::aws::errors::missing;
use crate::aws::tags;
use crate::plan::ResourceKind as K;
use crate::plan::catalog::ecs_kinds::EcsCapacityProviderProps;

pub(crate) struct EcsCapacityProvider;

impl Adapter for EcsCapacityProvider {
    const READS: &'static [Read] = &[first(("ecs", "DescribeCapacityProviders"))];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = read
                .clients()
                .ecs
                .describe_capacity_providers()
                .include(CapacityProviderField::Tags)
                .max_results(100)
                .set_next_token(token.take())
                .send()
                .await
                .aws()?;
            found.extend(
                page.capacity_providers()
                    .iter()
                    .filter_map(|p| provider_found(read, p)),
            );
            match page.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_string()),
                _ => break,
            }
        }
        Ok(found)
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: EcsCapacityProviderProps = step.props()?;
        if let Some(existing) = describe(step, &props.name).await?
            && existing.0.status() == Some(&CapacityProviderStatus::Active)
        {
            return ours_or_refuse(step, &existing);
        }
        let group = AutoScalingGroupProvider::builder()
            .auto_scaling_group_arn(group_arn(step, &props)?)
            .managed_scaling(scaling(&props))
            .managed_termination_protection(ManagedTerminationProtection::from(switch(
                props.managed_termination_protection,
            )))
            .managed_draining(ManagedDraining::from(switch(props.managed_draining)))
            .build()
            .map_err(|e| missing(format!("{}: {e}", step.address())))?;
        let created = step
            .clients()
            .ecs
            .create_capacity_provider()
            .name(&props.name)
            .auto_scaling_group_provider(group)
            .set_tags(Some(ecs_tags(&step.tags())))
            .send()
            .await
            .aws()?;
        let arn = created
            .capacity_provider()
            .and_then(CapacityProvider::capacity_provider_arn)
            .unwrap_or_default();
        Ok(outputs(arn, Some(arn), Some(&props.name)))
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: EcsCapacityProviderProps = step.props()?;
        let arn = step.existing_id()?;
        let name = step.existing("name").unwrap_or(&props.name);
        let settings = K::EcsCapacityProvider
            .in_place()
            .iter()
            .any(|k| step.changed(k));
        if settings {
            let update = AutoScalingGroupProviderUpdate::builder()
                .managed_scaling(scaling(&props))
                .managed_termination_protection(ManagedTerminationProtection::from(switch(
                    props.managed_termination_protection,
                )))
                .managed_draining(ManagedDraining::from(switch(props.managed_draining)))
                .build();
            let sent = step
                .clients()
                .ecs
                .update_capacity_provider()
                .name(name)
                .auto_scaling_group_provider(update)
                .send()
                .await
                .aws()
                .map(drop);
            in_use(sent)?;
            let probe = || async { describe(step, name).await };
            let updated = step
                .wait_until(
                    probe,
                    has(|p: &Provider| {
                        p.0.update_status() != Some(&CapacityProviderUpdateStatus::UpdateInProgress)
                    }),
                )
                .await?;
            if let Some(p) = updated
                && p.0.update_status() == Some(&CapacityProviderUpdateStatus::UpdateFailed)
            {
                return Err(StepError::fatal(
                    "UpdateFailed",
                    format!(
                        "{}: ECS could not update capacity provider {name}: {}",
                        step.address(),
                        p.0.update_status_reason().unwrap_or("no reason given")
                    ),
                ));
            }
        }
        sync_tags::<EcsTags>(step, arn).await?;
        Ok(outputs(arn, Some(arn), Some(name)))
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_id()?; // the ARN: every call takes it as well as the name
        let deleted = step
            .clients()
            .ecs
            .delete_capacity_provider()
            .capacity_provider(name)
            .send()
            .await
            .aws()
            .map(drop);
        match in_use(deleted) {
            // A provider already gone (ECS answers ClientException "... does not exist" for an
            // unknown name, or a NotFound).
            Err(err)
                if crate::aws::errors::is_not_found(&err)
                    || (err.code == "ClientException" && err.message.contains("not exist")) => {}
            other => other?,
        }
        let probe = || async {
            Ok(describe(step, name)
                .await?
                .filter(|p| p.0.status() != Some(&CapacityProviderStatus::Inactive)))
        };
        step.wait_until(probe, is_gone()).await?;
        Ok(Outputs::new())
    }
}

/// A capacity provider as the waits see it.
struct Provider(CapacityProvider);

impl std::fmt::Display for Provider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} (update {})",
            self.0.status().map(|s| s.as_str()).unwrap_or("unknown"),
            self.0.update_status().map(|s| s.as_str()).unwrap_or("none")
        )
    }
}

/// The provider named `name` as DescribeCapacityProviders answers it (INACTIVE included), with
/// its tags; `None` for one ECS does not know (a failure `MISSING`).
async fn describe(step: &AwsStep<'_>, name: &str) -> Result<Option<Provider>, StepError> {
    let described = step
        .clients()
        .ecs
        .describe_capacity_providers()
        .capacity_providers(name)
        .include(CapacityProviderField::Tags)
        .send()
        .await
        .aws()?;
    Ok(described
        .capacity_providers
        .unwrap_or_default()
        .pop()
        .map(Provider))
}

fn ours_or_refuse(step: &AwsStep<'_>, existing: &Provider) -> StepResult {
    let p = &existing.0;
    let ours = tags::carry_address(
        p.tags().iter().map(|t| (t.key(), t.value())),
        step.address(),
    );
    let name = p.name().unwrap_or_default();
    step.refuse_unless_ours(
        ours,
        "CapacityProviderExists",
        &format!("an ECS capacity provider named {name} already exists"),
    )?;
    let arn = p.capacity_provider_arn().unwrap_or(name);
    Ok(outputs(arn, Some(arn), Some(name)))
}

/// The group's ARN (the group's address names it; its `arn` output is wanted).
fn group_arn(step: &AwsStep<'_>, props: &EcsCapacityProviderProps) -> Result<String, StepError> {
    let address = props.auto_scaling_group.as_str();
    step.resolve(&format!(
        "{}#arn",
        address.split('#').next().unwrap_or(address)
    ))
}

fn scaling(props: &EcsCapacityProviderProps) -> ManagedScaling {
    ManagedScaling::builder()
        .status(ManagedScalingStatus::from(switch(props.managed_scaling)))
        .target_capacity(i32::try_from(props.target_capacity).unwrap_or(100))
        .build()
}

fn on(value: Option<&str>) -> bool {
    value == Some("ENABLED")
}

/// One provider of the blueprint as read (an ACTIVE one with its ownership tags).
fn provider_found(read: &AwsRead<'_>, provider: &CapacityProvider) -> Option<Found> {
    if provider.status() != Some(&CapacityProviderStatus::Active) {
        return None;
    }
    let tags = tag_set(provider.tags());
    let address = read.owned(&tags)?;
    let name = provider.name()?;
    let group = provider.auto_scaling_group_provider()?;
    let scaling = group.managed_scaling();
    let props = EcsCapacityProviderProps {
        name: name.to_string(),
        auto_scaling_group: group.auto_scaling_group_arn().to_string(),
        managed_scaling: on(scaling.and_then(|s| s.status()).map(|s| s.as_str())),
        target_capacity: scaling
            .and_then(|s| s.target_capacity())
            .map(i64::from)
            .unwrap_or(100),
        managed_termination_protection: on(group
            .managed_termination_protection()
            .map(|s| s.as_str())),
        managed_draining: on(group.managed_draining().map(|s| s.as_str())),
    };
    let arn = provider.capacity_provider_arn()?;
    Some(arn_found(
        K::EcsCapacityProvider,
        arn,
        name,
        address,
        &props,
        &tags,
    ))
}
