//! An EC2 Auto Scaling group: a server group with `count: {min, desired, max}`. Auto Scaling
//! launches the instances from the launch template's version into the subnets and registers them
//! in the target groups itself; the step makes the group and waits until its `desired` instances
//! serve.
//!
//! - **Create**: CreateAutoScalingGroup with the tags (all but the address tag propagate to the
//!   instances: `autoscaling::asg_tags`), then the capacity wait: `desired` instances
//!   `InService` and `Healthy` — what the Terraform AWS provider's aws_autoscaling_group waits for
//!   by default (`wait_for_capacity_timeout`, 10 minutes: "Waiting for Capacity" in its
//!   documentation) — and, with target groups, `healthy` in every one of them, which Terraform
//!   waits for only when `wait_for_elb_capacity` is set: a server group behind a load balancer
//!   is not up before the load balancer sends it traffic. A wait that ends without them names
//!   each instance with its lifecycle and health and where AWS says why
//!   (`aws autoscaling describe-scaling-activities`). CreateAutoScalingGroup takes no client
//!   token: a group an interrupted run made is found by its name and address tag.
//! - **Update**: UpdateAutoScalingGroup with every property it takes (it changes only what it
//!   is given: botocore UpdateAutoScalingGroup "Any properties that you don't specify are not
//!   changed"); target groups by AttachLoadBalancerTargetGroups / DetachLoadBalancerTargetGroups
//!   against what the group has. A new launch template or version changes only what the group
//!   launches next ("Existing instances continue to run with the configuration that they were
//!   originally launched with", same documentation), so the update then starts an instance
//!   refresh (StartInstanceRefresh) and waits until DescribeInstanceRefreshes says `Successful`;
//!   `Failed`, `Cancelled`, `RollbackSuccessful` or `RollbackFailed` fail the step with the
//!   refresh's reason and the commands that show more. Then the capacity wait again.
//! - **Delete**: DeleteAutoScalingGroup with ForceDelete, which "terminate[s] the EC2 instances"
//!   without waiting for them (botocore DeleteAutoScalingGroup and its ForceDelete member; without
//!   it a group with instances is refused), then until DescribeAutoScalingGroups no longer lists
//!   the group (it is listed with Status `Delete in progress` while its instances terminate), as
//!   the Terraform provider's delete waits for the group to be gone.
//!
//! Read: DescribeAutoScalingGroups filtered by the blueprint's tag (botocore
//! DescribeAutoScalingGroups `Filters`: `tag:<key>` with the tag's values), one call per page of
//! 100; the tags come with the groups.

use std::fmt;

use aws_sdk_autoscaling::types::{
    AutoScalingGroup as Group, DesiredConfiguration, Filter, InstanceRefreshStatus,
    LaunchTemplateSpecification, RefreshPreferences, RefreshStrategy,
};
use serde_json::Value;

use super::autoscaling::{AsgTags, asg_tags, contention, gone_as_none};
use super::stages::{Read, fallback, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs, sync_tags};
use crate::apply::wait::{has, is_gone};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, ADDRESS_TAG, BLUEPRINT_TAG};
use crate::plan::ResourceKind as K;
use crate::plan::catalog::servers::AutoScalingGroupProps;

pub struct AutoScalingGroup;

/// An instance refresh keeps every desired instance in service (MinHealthyPercentage 100) and
/// launches a replacement before it terminates the instance it replaces, at most half the group
/// more at once (MaxHealthyPercentage 150; "the difference between them cannot be greater than
/// 100", botocore RefreshPreferences): one instance at a time for a group of 2 or 3, two for 4
/// or 5. EC2 Auto Scaling user guide, "Instance maintenance policies" and "Use an instance
/// refresh to update instances": with a minimum of 100 % "the group launches new instances
/// before terminating old ones".
const MIN_HEALTHY_PERCENT: i32 = 100;
const MAX_HEALTHY_PERCENT: i32 = 150;

impl Adapter for AutoScalingGroup {
    const READS: &'static [Read] = &[
        first(("autoscaling", "DescribeAutoScalingGroups")),
        fallback(
            ("ec2", "DescribeSubnets"),
            &[("autoscaling", "DescribeAutoScalingGroups")],
            "a group's subnets that are not the blueprint's (their zones order them)",
        ),
    ];

    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let filter = Filter::builder()
            .name(format!("tag:{BLUEPRINT_TAG}"))
            .values(read.blueprint)
            .build();
        let pages = all_pages!(
            read.conn
                .clients
                .autoscaling
                .describe_auto_scaling_groups()
                .filters(filter)
                .max_records(100)
                .into_paginator()
                .send()
        );
        let mut found = Vec::new();
        for group in pages
            .into_iter()
            .flat_map(|p| p.auto_scaling_groups.unwrap_or_default())
        {
            if let Some(f) = group_found(read, &group).await? {
                found.push(f);
            }
        }
        Ok(found)
    }

    async fn create(step: &AwsStep<'_>) -> StepResult {
        let props: AutoScalingGroupProps = step.props()?;
        let made = match describe_group(step, &props.name).await? {
            Some(group) => Some(ours_or_refuse(step, &group)?),
            None => None,
        };
        if made.is_none() {
            let created = step
                .clients()
                .autoscaling
                .create_auto_scaling_group()
                .auto_scaling_group_name(&props.name)
                .launch_template(template_spec(step, &props)?)
                .vpc_zone_identifier(subnet_list(step, &props)?)
                .min_size(size(step, props.min_size)?)
                .max_size(size(step, props.max_size)?)
                .desired_capacity(size(step, props.desired_capacity)?)
                .set_target_group_arns(Some(target_group_arns(step, &props)?))
                .health_check_type(&props.health_check_type)
                .health_check_grace_period(size(step, props.health_check_grace_period_seconds)?)
                .set_tags(Some(asg_tags(&props.name, &step.tags())))
                .send()
                .await
                .aws();
            match contention(created) {
                Ok(_) => {}
                // A retried create whose first answer was lost: the group is there now.
                Err(err) if err.code == "AlreadyExists" => {
                    let group = describe_group(step, &props.name).await?.ok_or(err)?;
                    ours_or_refuse(step, &group)?;
                }
                Err(err) => return Err(err),
            }
        }
        wait_for_capacity(step, &props).await?;
        group_outputs(step, &props.name).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: AutoScalingGroupProps = step.props()?;
        let name = step.existing_id()?;
        let mut settled = false;
        // UpdateAutoScalingGroup writes every in-place property but the target groups, which
        // have calls of their own.
        let settings = K::AutoScalingGroup
            .in_place()
            .iter()
            .any(|key| *key != "targetGroups" && step.changed(key));
        if settings {
            let updated = step
                .clients()
                .autoscaling
                .update_auto_scaling_group()
                .auto_scaling_group_name(name)
                .launch_template(template_spec(step, &props)?)
                .vpc_zone_identifier(subnet_list(step, &props)?)
                .min_size(size(step, props.min_size)?)
                .max_size(size(step, props.max_size)?)
                .desired_capacity(size(step, props.desired_capacity)?)
                .health_check_type(&props.health_check_type)
                .health_check_grace_period(size(step, props.health_check_grace_period_seconds)?)
                .send()
                .await
                .aws();
            contention(updated)?;
            settled = true;
        }
        if step.changed("targetGroups") {
            sync_target_groups(step, name, &props).await?;
            settled = true;
        }
        if step.changed_any(&["launchTemplate", "launchTemplateVersion"]) {
            refresh(step, name, &props).await?;
        }
        if settled {
            wait_for_capacity(step, &props).await?;
        }
        // Auto Scaling puts a changed tag on the instances it launches from now on; those running
        // keep theirs (EC2 Auto Scaling user guide, "Tag Auto Scaling groups and instances").
        sync_tags::<AsgTags>(step, name).await?;
        group_outputs(step, name).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_id()?;
        let deleted = step
            .clients()
            .autoscaling
            .delete_auto_scaling_group()
            .auto_scaling_group_name(name)
            .force_delete(true)
            .send()
            .await
            .aws();
        if gone_as_none(contention(deleted))?.is_none() {
            return Ok(Outputs::new());
        }
        let deleting = || async {
            Ok(describe_group(step, name).await?.map(|g| Deleting {
                status: g.status().unwrap_or("Delete in progress").to_string(),
                instances: g.instances().len(),
            }))
        };
        step.wait_until(deleting, is_gone()).await?;
        Ok(Outputs::new())
    }
}

/// What the delete's wait sees of the group.
#[derive(Debug, Clone)]
struct Deleting {
    status: String,
    instances: usize,
}

impl fmt::Display for Deleting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} with {} instance(s) terminating",
            self.status, self.instances
        )
    }
}

/// The group named `name`, if Auto Scaling lists it.
async fn describe_group(step: &AwsStep<'_>, name: &str) -> Result<Option<Group>, StepError> {
    let described = step
        .clients()
        .autoscaling
        .describe_auto_scaling_groups()
        .auto_scaling_group_names(name)
        .send()
        .await
        .aws()?;
    Ok(described.auto_scaling_groups.unwrap_or_default().pop())
}

/// A group of this name is this step's (its address tag) or someone else's: a name is unique per
/// account and region, so another's is a clear error rather than a takeover.
fn ours_or_refuse(step: &AwsStep<'_>, group: &Group) -> Result<(), StepError> {
    let at = group.tags().iter().any(|t| {
        t.key() == Some(ADDRESS_TAG)
            && t.value()
                .is_some_and(|v| tags::is_address(v, step.address()))
    });
    if at {
        Ok(())
    } else {
        Err(StepError::fatal(
            "AlreadyExists",
            format!(
                "{}: an Auto Scaling group named {} already exists and is not this blueprint's",
                step.address(),
                group.auto_scaling_group_name().unwrap_or_default()
            ),
        ))
    }
}

fn size(step: &AwsStep<'_>, value: i64) -> Result<i32, StepError> {
    i32::try_from(value).map_err(|_| {
        crate::aws::errors::missing(format!("{}: {value} is out of range", step.address()))
    })
}

/// The template and its version, references resolved.
fn template_spec(
    step: &AwsStep<'_>,
    props: &AutoScalingGroupProps,
) -> Result<LaunchTemplateSpecification, StepError> {
    Ok(LaunchTemplateSpecification::builder()
        .launch_template_id(step.resolve(&props.launch_template)?)
        .version(template_version(step, props)?)
        .build())
}

fn template_version(
    step: &AwsStep<'_>,
    props: &AutoScalingGroupProps,
) -> Result<String, StepError> {
    Ok(step
        .resolve_embedded(&Value::from(props.launch_template_version.as_str()))?
        .as_str()
        .unwrap_or_default()
        .to_string())
}

/// VPCZoneIdentifier: the subnet ids, comma-separated (botocore `autoscaling`).
fn subnet_list(step: &AwsStep<'_>, props: &AutoScalingGroupProps) -> Result<String, StepError> {
    let ids = props
        .subnets
        .iter()
        .map(|s| step.resolve(s))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(ids.join(","))
}

fn target_group_arns(
    step: &AwsStep<'_>,
    props: &AutoScalingGroupProps,
) -> Result<Vec<String>, StepError> {
    props
        .target_groups
        .iter()
        .map(|t| step.resolve(t))
        .collect()
}

/// Attaches the target groups the group lacks and detaches those it should not have, against
/// what Auto Scaling says it has (a removed target group's ARN is no longer a dependency's).
/// Detaching deregisters the group's instances from it (botocore
/// DetachLoadBalancerTargetGroups: "the instances are deregistered").
async fn sync_target_groups(
    step: &AwsStep<'_>,
    name: &str,
    props: &AutoScalingGroupProps,
) -> Result<(), StepError> {
    let desired = target_group_arns(step, props)?;
    let current: Vec<String> = describe_group(step, name)
        .await?
        .map(|g| g.target_group_arns().to_vec())
        .unwrap_or_default();
    let attach: Vec<String> = desired
        .iter()
        .filter(|a| !current.contains(a))
        .cloned()
        .collect();
    let detach: Vec<String> = current
        .iter()
        .filter(|a| !desired.contains(a))
        .cloned()
        .collect();
    let autoscaling = &step.clients().autoscaling;
    if !attach.is_empty() {
        let sent = autoscaling
            .attach_load_balancer_target_groups()
            .auto_scaling_group_name(name)
            .set_target_group_arns(Some(attach))
            .send()
            .await
            .aws();
        contention(sent)?;
    }
    if !detach.is_empty() {
        let sent = autoscaling
            .detach_load_balancer_target_groups()
            .auto_scaling_group_name(name)
            .set_target_group_arns(Some(detach))
            .send()
            .await
            .aws();
        contention(sent)?;
    }
    Ok(())
}

/// What the capacity wait sees: each instance with its lifecycle state, health, and (with target
/// groups) whether every target group has it healthy.
#[derive(Debug, Clone)]
struct Capacity {
    group: String,
    desired: usize,
    instances: Vec<Member>,
}

#[derive(Debug, Clone)]
struct Member {
    id: String,
    lifecycle: String,
    health: String,
    /// The target groups' states of it, worst first (`healthy` when all are); empty without
    /// target groups.
    target: String,
}

impl Member {
    fn serving(&self) -> bool {
        self.lifecycle == "InService"
            && self.health == "Healthy"
            && (self.target.is_empty() || self.target == "healthy")
    }
}

impl Capacity {
    fn ready(&self) -> bool {
        self.instances.iter().filter(|m| m.serving()).count() >= self.desired
    }
}

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let serving = self.instances.iter().filter(|m| m.serving()).count();
        let members: Vec<String> = self
            .instances
            .iter()
            .map(|m| {
                let target = if m.target.is_empty() {
                    String::new()
                } else {
                    format!(", target {}", m.target)
                };
                format!("{} {} {}{target}", m.id, m.lifecycle, m.health)
            })
            .collect();
        write!(
            f,
            "{serving} of {} instances serving ({}); see why with `aws autoscaling \
             describe-scaling-activities --auto-scaling-group-name {}`",
            self.desired,
            if members.is_empty() {
                "none launched".to_string()
            } else {
                members.join("; ")
            },
            self.group
        )
    }
}

async fn capacity(
    step: &AwsStep<'_>,
    props: &AutoScalingGroupProps,
    target_groups: &[String],
) -> Result<Option<Capacity>, StepError> {
    let Some(group) = describe_group(step, &props.name).await? else {
        return Ok(None);
    };
    let mut instances: Vec<Member> = group
        .instances()
        .iter()
        .map(|i| Member {
            id: i.instance_id().unwrap_or_default().to_string(),
            lifecycle: i
                .lifecycle_state()
                .map(|s| s.as_str().to_string())
                .unwrap_or_default(),
            health: i.health_status().unwrap_or_default().to_string(),
            target: String::new(),
        })
        .collect();
    let in_service = instances.iter().any(|m| m.lifecycle == "InService");
    if !target_groups.is_empty() && in_service {
        for arn in target_groups {
            let health = step
                .clients()
                .elbv2
                .describe_target_health()
                .target_group_arn(arn)
                .send()
                .await
                .aws()?;
            for member in &mut instances {
                let described = health
                    .target_health_descriptions()
                    .iter()
                    .find(|d| d.target().and_then(|t| t.id()) == Some(member.id.as_str()))
                    .and_then(|d| d.target_health());
                // A target group no load balancer uses yet answers `unused` with the reason
                // `Target.NotInUse` (ELB API reference, TargetHealth): nothing sends it traffic,
                // so there is no health to wait for (the listener rule may come after the group).
                let not_in_use = described
                    .and_then(|h| h.reason())
                    .is_some_and(|r| r.as_str() == "Target.NotInUse");
                let state = if not_in_use {
                    "healthy"
                } else {
                    described
                        .and_then(|h| h.state())
                        .map_or("unregistered", |s| s.as_str())
                };
                if member.target.is_empty() || member.target == "healthy" {
                    member.target = state.to_string();
                }
            }
        }
    } else if !target_groups.is_empty() {
        for member in &mut instances {
            member.target = "unregistered".into();
        }
    }
    Ok(Some(Capacity {
        group: props.name.clone(),
        desired: usize::try_from(props.desired_capacity).unwrap_or_default(),
        instances,
    }))
}

/// Until `desired` instances are InService and Healthy (and healthy in every target group).
async fn wait_for_capacity(
    step: &AwsStep<'_>,
    props: &AutoScalingGroupProps,
) -> Result<(), StepError> {
    let target_groups = target_group_arns(step, props)?;
    let seen = step
        .wait_until(
            || capacity(step, props, &target_groups),
            has(Capacity::ready),
        )
        .await?;
    match seen {
        Some(_) => Ok(()),
        None => Err(StepError::fatal(
            "GroupNotFound",
            format!(
                "{}: Auto Scaling group {} was deleted while its instances started",
                step.address(),
                props.name
            ),
        )),
    }
}

/// What the refresh's wait sees.
#[derive(Debug, Clone)]
struct Refresh {
    id: String,
    status: String,
    reason: String,
    percent: i32,
}

impl Refresh {
    fn running(&self) -> bool {
        matches!(
            self.status.as_str(),
            "Pending" | "InProgress" | "Cancelling" | "RollbackInProgress" | "Baking"
        )
    }
}

impl fmt::Display for Refresh {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "instance refresh {} {} ({} %)",
            self.id, self.status, self.percent
        )?;
        if !self.reason.is_empty() {
            write!(f, ": {}", self.reason)?;
        }
        Ok(())
    }
}

async fn describe_refresh(
    step: &AwsStep<'_>,
    group: &str,
    id: Option<&str>,
) -> Result<Option<Refresh>, StepError> {
    let described = step
        .clients()
        .autoscaling
        .describe_instance_refreshes()
        .auto_scaling_group_name(group)
        .set_instance_refresh_ids(id.map(|i| vec![i.to_string()]))
        .send()
        .await
        .aws()?;
    // Newest first (botocore DescribeInstanceRefreshes: "descending order by start time").
    Ok(described.instance_refreshes().first().map(|r| Refresh {
        id: r.instance_refresh_id().unwrap_or_default().to_string(),
        status: r
            .status()
            .map(InstanceRefreshStatus::as_str)
            .unwrap_or_default()
            .to_string(),
        reason: r.status_reason().unwrap_or_default().to_string(),
        percent: r.percentage_complete().unwrap_or_default(),
    }))
}

/// StartInstanceRefresh to the group's template and version (skipping instances already on it,
/// so a retried step does not replace them again), then until it ends.
async fn refresh(
    step: &AwsStep<'_>,
    name: &str,
    props: &AutoScalingGroupProps,
) -> Result<(), StepError> {
    let preferences = RefreshPreferences::builder()
        .min_healthy_percentage(MIN_HEALTHY_PERCENT)
        .max_healthy_percentage(MAX_HEALTHY_PERCENT)
        // SkipMatching: "skips replacing instances that match the desired configuration"
        // (botocore RefreshPreferences).
        .skip_matching(true)
        .instance_warmup(size(step, props.health_check_grace_period_seconds)?)
        .build();
    let started = step
        .clients()
        .autoscaling
        .start_instance_refresh()
        .auto_scaling_group_name(name)
        .strategy(RefreshStrategy::Rolling)
        .desired_configuration(
            DesiredConfiguration::builder()
                .launch_template(template_spec(step, props)?)
                .build(),
        )
        .preferences(preferences)
        .send()
        .await
        .aws();
    let id = match contention(started) {
        Ok(out) => out.instance_refresh_id().map(str::to_string),
        // One is running already (a retried step whose answer was lost): wait for that one.
        Err(err) if err.code == "InstanceRefreshInProgress" => None,
        Err(err) => return Err(err),
    };
    let done = step
        .wait_until(
            || describe_refresh(step, name, id.as_deref()),
            has(|r: &Refresh| !r.running()),
        )
        .await?;
    match done {
        Some(r) if r.status == "Successful" => Ok(()),
        Some(r) => Err(StepError::fatal(
            "InstanceRefreshFailed",
            format!(
                "{}: {r}; see why with `aws autoscaling describe-instance-refreshes \
                 --auto-scaling-group-name {name} --instance-refresh-ids {}` and `aws \
                 autoscaling describe-scaling-activities --auto-scaling-group-name {name}`",
                step.address(),
                r.id
            ),
        )),
        None => Err(StepError::fatal(
            "InstanceRefreshNotFound",
            format!(
                "{}: Auto Scaling lists no instance refresh of group {name}",
                step.address()
            ),
        )),
    }
}

/// `id` (the group's name: every call takes it), `arn`, `name`.
async fn group_outputs(step: &AwsStep<'_>, name: &str) -> StepResult {
    let arn = describe_group(step, name)
        .await?
        .and_then(|g| g.auto_scaling_group_arn().map(str::to_string));
    Ok(outputs(name, arn.as_deref(), Some(name)))
}

/// One group of the blueprint as read: its properties in the catalog's shape (template by id,
/// subnets by id in zone order, target groups by ARN, sorted).
async fn group_found(read: &AwsRead<'_>, group: &Group) -> Result<Option<Found>, StepError> {
    let Some(name) = group.auto_scaling_group_name() else {
        return Ok(None);
    };
    // A group being deleted is on its way out (its Status says so).
    if group.status().is_some_and(|s| s.starts_with("Delete")) {
        return Ok(None);
    }
    let tags = tags::from_pairs(
        group
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?))),
    );
    let Some(address) = read.owned(&tags) else {
        return Ok(None);
    };
    let subnet_ids: Vec<String> = group
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let subnets = if read.inventory {
        subnet_ids
    } else {
        super::eks::by_zone(read, subnet_ids).await?
    };
    let mut target_groups = group.target_group_arns().to_vec();
    target_groups.sort();
    let template = group.launch_template();
    let props = AutoScalingGroupProps {
        name: name.to_string(),
        launch_template: template
            .and_then(|t| t.launch_template_id())
            .unwrap_or_default()
            .to_string(),
        launch_template_version: template
            .and_then(|t| t.version())
            .unwrap_or_default()
            .to_string(),
        subnets,
        min_size: group.min_size().map(i64::from).unwrap_or_default(),
        max_size: group.max_size().map(i64::from).unwrap_or_default(),
        desired_capacity: group.desired_capacity().map(i64::from).unwrap_or_default(),
        target_groups,
        health_check_type: group.health_check_type().unwrap_or("EC2").to_string(),
        health_check_grace_period_seconds: group
            .health_check_grace_period()
            .map(i64::from)
            .unwrap_or_default(),
    };
    let mut found = Found::new(K::AutoScalingGroup, name)
        .at(Some(address))
        .named(name)
        .props(&props)
        .with("tags", tags::to_value(&tags));
    found.outputs = outputs(name, group.auto_scaling_group_arn(), Some(name));
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn member(id: &str, lifecycle: &str, health: &str, target: &str) -> Member {
        Member {
            id: id.into(),
            lifecycle: lifecycle.into(),
            health: health.into(),
            target: target.into(),
        }
    }

    #[test]
    fn capacity_counts_only_serving_instances_and_says_why_not() {
        let seen = Capacity {
            group: "demo-srv-app".into(),
            desired: 2,
            instances: vec![
                member("i-1", "InService", "Healthy", "healthy"),
                member("i-2", "InService", "Healthy", "initial"),
                member("i-3", "Pending", "Healthy", ""),
            ],
        };
        assert!(!seen.ready());
        let text = seen.to_string();
        assert!(text.starts_with("1 of 2 instances serving"), "{text}");
        assert!(
            text.contains("i-2 InService Healthy, target initial"),
            "{text}"
        );
        assert!(text.contains("i-3 Pending Healthy"), "{text}");
        assert!(
            text.contains(
                "aws autoscaling describe-scaling-activities --auto-scaling-group-name demo-srv-app"
            ),
            "{text}"
        );
        let without_targets = Capacity {
            instances: vec![
                member("i-1", "InService", "Healthy", ""),
                member("i-2", "InService", "Healthy", ""),
            ],
            ..seen
        };
        assert!(without_targets.ready());
    }

    #[test]
    fn a_refresh_runs_until_it_ends() {
        let r = |status: &str| Refresh {
            id: "r-1".into(),
            status: status.into(),
            reason: String::new(),
            percent: 0,
        };
        for status in [
            "Pending",
            "InProgress",
            "Cancelling",
            "RollbackInProgress",
            "Baking",
        ] {
            assert!(r(status).running(), "{status}");
        }
        for status in [
            "Successful",
            "Failed",
            "Cancelled",
            "RollbackSuccessful",
            "RollbackFailed",
        ] {
            assert!(!r(status).running(), "{status}");
        }
    }
}
