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
//! - **Delete**: scale-in protection off on the instances that have it (`unprotect`: a group
//!   behind an ECS capacity provider), then DeleteAutoScalingGroup with ForceDelete, which "terminate[s] the EC2 instances"
//!   without waiting for them (botocore DeleteAutoScalingGroup and its ForceDelete member; without
//!   it a group with instances is refused), then until DescribeAutoScalingGroups no longer lists
//!   the group (it is listed with Status `Delete in progress` while its instances terminate), as
//!   the Terraform provider's delete waits for the group to be gone.
//!
//! Lifecycle hooks (`autoscaling_lifecycle_hook.rs`) hold instances in a wait state: one on
//! `EC2_INSTANCE_TERMINATING` keeps an instance the group scales in, or a refresh replaces, in
//! `Terminating:Wait` (after its deregistration from the target groups) until its lifecycle
//! action is completed or the hook's heartbeat timeout passes; one on `EC2_INSTANCE_LAUNCHING`
//! keeps a new one in `Pending:Wait`. So the update's waits (the refresh's and the capacity wait,
//! which lasts until the instances leaving the group are gone) last that much longer: the step
//! reads the group's hooks once (DescribeLifecycleHooks) and waits its usual time plus the
//! longest heartbeat timeout; an instance still held when that runs out is a clear error naming
//! the instance, the hook and the command that completes its action.
//!
//! Read: DescribeAutoScalingGroups filtered by the blueprint's tag (botocore
//! DescribeAutoScalingGroups `Filters`: `tag:<key>` with the tag's values), one call per page of
//! 100; the tags come with the groups. Each owned group's lifecycle hooks too (the hook kind is
//! read with this one): one DescribeLifecycleHooks per group, as Auto Scaling has no batch read
//! of hooks and a hook the blueprint dropped must be found to be deleted; destroy's inventory
//! does not ask, as a group's hooks go with it.

use std::fmt;
use std::future::Future;
use std::sync::Mutex;
use std::time::Duration;

use aws_sdk_autoscaling::types::{
    AutoScalingGroup as Group, DesiredConfiguration, Filter, InstanceRefreshStatus,
    LaunchTemplateSpecification, RefreshPreferences, RefreshStrategy,
};
use serde_json::Value;

use super::autoscaling::{
    AsgTags, asg_tags, contention, describe_hooks, gone_as_none, hook_id, hook_outputs, hook_props,
};
use super::stages::{Read, after, fallback, first};
use super::{Adapter, AwsRead, AwsResult, AwsStep, Found, StepResult, outputs, sync_tags};
use crate::apply::wait::{Condition, WaitSpec, has, is_gone};
use crate::apply::{Outputs, StepError};
use crate::aws::tags::{self, BLUEPRINT_TAG};
use crate::plan::catalog::servers::AutoScalingGroupProps;
use crate::plan::catalog::servers::hooks::{LAUNCHING, TERMINATING};
use crate::plan::{Address, ResourceKind as K};

pub(crate) struct AutoScalingGroup;

/// The terminating lifecycle hook ECS makes on a capacity provider's group when managed
/// instance draining is on (heartbeat 3600 s, CONTINUE): not the blueprint's.
const ECS_DRAINING_HOOK: &str = "ecs-managed-draining-termination-hook";

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
        // Each owned group's lifecycle hooks (read with the groups).
        after(
            ("autoscaling", "DescribeLifecycleHooks"),
            &[("autoscaling", "DescribeAutoScalingGroups")],
        ),
    ];

    /// The groups and their lifecycle hooks.
    async fn read(read: &AwsRead<'_>) -> Result<Vec<Found>, StepError> {
        let filter = Filter::builder()
            .name(format!("tag:{BLUEPRINT_TAG}"))
            .values(read.blueprint)
            .build();
        let groups: Vec<Group> = all_items!(
            read.clients()
                .autoscaling
                .describe_auto_scaling_groups()
                .filters(filter)
                .max_records(100),
            auto_scaling_groups
        );
        // Every group's hooks (and subnets' zones) at once.
        let found =
            futures::future::try_join_all(groups.iter().map(|g| group_found(read, g))).await?;
        Ok(found.into_iter().flatten().collect())
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
                .set_desired_capacity(desired(step, &props)?)
                .set_target_group_arns(Some(target_group_arns(step, &props)?))
                .health_check_type(&props.health_check_type)
                .health_check_grace_period(size(step, props.health_check_grace_period_seconds)?)
                .new_instances_protected_from_scale_in(props.new_instances_protected_from_scale_in)
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
        // A group just made has no lifecycle hooks yet (they are made after it).
        wait_for_capacity(step, &props, &[]).await?;
        group_outputs(step, &props.name).await
    }

    async fn update(step: &AwsStep<'_>) -> StepResult {
        let props: AutoScalingGroupProps = step.props()?;
        let name = step.existing_id()?;
        let refreshes = step.changed_any(&["launchTemplate", "launchTemplateVersion"]);
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
                .set_desired_capacity(desired(step, &props)?)
                .health_check_type(&props.health_check_type)
                .health_check_grace_period(size(step, props.health_check_grace_period_seconds)?)
                .new_instances_protected_from_scale_in(props.new_instances_protected_from_scale_in)
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
        // What may hold the waits below: the group's lifecycle hooks.
        let hooks = if settled || refreshes {
            group_hooks(step, name).await?
        } else {
            Vec::new()
        };
        if refreshes {
            refresh(step, name, &props, &hooks).await?;
        }
        if settled || refreshes {
            wait_for_capacity(step, &props, &hooks).await?;
        }
        // Auto Scaling puts a changed tag on the instances it launches from now on; those running
        // keep theirs (EC2 Auto Scaling user guide, "Tag Auto Scaling groups and instances").
        sync_tags::<AsgTags>(step, name).await?;
        group_outputs(step, name).await
    }

    async fn delete(step: &AwsStep<'_>) -> StepResult {
        let name = step.existing_id()?;
        unprotect(step, name).await?;
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
        // ForceDelete's wait is its instances' termination (`K::Ec2Instance`: 20-31 s in
        // published `terraform destroy` logs of aws_instance), polled near that rather than
        // near the group's whole 60 s; the timeout stays the step's.
        let terminated = Duration::from_secs_f64(K::Ec2Instance.delete_seconds());
        let spec = step.engine.wait.expecting(terminated);
        step.engine.wait_with(&spec, deleting, is_gone()).await?;
        Ok(Outputs::new())
    }
}

/// Turns scale-in protection off on the group's protected instances (SetInstanceProtection, 50
/// instances a call: botocore `autoscaling` SetInstanceProtection InstanceIds) before the group
/// is deleted. A group behind an ECS capacity provider with managed termination protection has
/// every instance protected (`newInstancesProtectedFromScaleIn`, and ECS sets it on instances
/// with tasks), and a delete that scales the group in first waits forever on them: the peers'
/// known problem — hashicorp/terraform#18507 and hashicorp/terraform-provider-aws#5278 (the
/// Terraform provider turns protection off before draining since PR #23187), aws/aws-cdk#18179
/// (a stack with an ASG capacity provider hangs in DELETE_IN_PROGRESS), and
/// aws/containers-roadmap#2862 (ECS leaves the flags set after its capacity provider is deleted).
/// ForceDelete itself terminates protected instances; turning protection off first keeps a group
/// from being held by it whatever the delete path, and costs one call only where an instance is
/// protected.
async fn unprotect(step: &AwsStep<'_>, name: &str) -> Result<(), StepError> {
    let Some(group) = describe_group(step, name).await? else {
        return Ok(());
    };
    let protected: Vec<String> = group
        .instances()
        .iter()
        .filter(|i| i.protected_from_scale_in() == Some(true))
        .filter_map(|i| i.instance_id().map(str::to_string))
        .collect();
    for batch in protected.chunks(50) {
        let sent = step
            .clients()
            .autoscaling
            .set_instance_protection()
            .auto_scaling_group_name(name)
            .set_instance_ids(Some(batch.to_vec()))
            .protected_from_scale_in(false)
            .send()
            .await
            .aws();
        gone_as_none(contention(sent))?;
    }
    Ok(())
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
    let ours = tags::carry_address(
        group.tags().iter().map(|t| (t.key(), t.value())),
        step.address(),
    );
    step.refuse_unless_ours(
        ours,
        "AlreadyExists",
        &format!(
            "an Auto Scaling group named {} already exists",
            group.auto_scaling_group_name().unwrap_or_default()
        ),
    )
}

/// The desired capacity to write: the blueprint's, or none when it leaves it to who scales the
/// group (CreateAutoScalingGroup then starts at MinSize: botocore `autoscaling`
/// DesiredCapacity, "the default is the minimum size of the group"; an update leaves it be).
fn desired(step: &AwsStep<'_>, props: &AutoScalingGroupProps) -> Result<Option<i32>, StepError> {
    props.desired_capacity.map(|d| size(step, d)).transpose()
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

/// A lifecycle hook of the group, as the waits need it: what it holds and for how long.
#[derive(Debug, Clone, PartialEq)]
struct Hook {
    name: String,
    /// [`TERMINATING`] or [`LAUNCHING`].
    transition: String,
    heartbeat_seconds: i64,
    default_result: String,
}

impl Hook {
    /// The wait state it holds an instance in: `Terminating:Wait` for a terminating hook,
    /// `Pending:Wait` for a launching one (EC2 Auto Scaling user guide, "How lifecycle hooks
    /// work").
    fn holds(&self) -> &'static str {
        if self.transition == LAUNCHING {
            "Pending:Wait"
        } else {
            "Terminating:Wait"
        }
    }
}

/// The group's lifecycle hooks (one DescribeLifecycleHooks).
async fn group_hooks(step: &AwsStep<'_>, group: &str) -> Result<Vec<Hook>, StepError> {
    Ok(describe_hooks(&step.clients().autoscaling, group)
        .await?
        .iter()
        .filter_map(|h| hook_props(group, h))
        .filter(|h| h.lifecycle_transition == TERMINATING || h.lifecycle_transition == LAUNCHING)
        .map(|h| Hook {
            name: h.name,
            transition: h.lifecycle_transition,
            heartbeat_seconds: h.heartbeat_timeout_seconds,
            default_result: h.default_result,
        })
        .collect())
}

/// How much longer than its kind's estimate a wait of the group may last: the longest heartbeat
/// timeout of its hooks (an instance waits that long for its lifecycle action, then the hook's
/// default result applies). A heartbeat recorded during the wait (RecordLifecycleActionHeartbeat)
/// restarts it, and an instance may wait up to 100 heartbeat timeouts or 48 hours (EC2 Auto
/// Scaling user guide, "Amazon EC2 Auto Scaling lifecycle hooks": the global timeout): longer
/// than that, the step reports who holds it rather than wait on.
fn held_for(hooks: &[Hook]) -> Duration {
    let seconds = hooks.iter().map(|h| h.heartbeat_seconds).max().unwrap_or(0);
    Duration::from_secs(u64::try_from(seconds).unwrap_or(0))
}

/// Waits with `spec` (the step's wait, or one [`WaitSpec::expecting`] longer), longer by what
/// the hooks may hold (see [`held_for`]); a timeout while an instance is in a hook's wait state
/// is the error [`held`] writes. `last` keeps the latest observation for it.
async fn wait_held<T, P, F>(
    step: &AwsStep<'_>,
    spec: WaitSpec,
    hooks: &[Hook],
    probe: P,
    condition: impl Condition<T>,
    held_by: impl Fn(&T) -> Vec<(String, String)>,
) -> Result<Option<T>, StepError>
where
    T: fmt::Display + Clone,
    P: Fn() -> F,
    F: Future<Output = Result<Option<T>, StepError>>,
{
    let last: Mutex<Option<T>> = Mutex::new(None);
    let looked = || {
        let seen = probe();
        let last = &last;
        async move {
            let seen = seen.await?;
            if let Ok(mut kept) = last.lock() {
                kept.clone_from(&seen);
            }
            Ok(seen)
        }
    };
    let spec = if hooks.is_empty() {
        spec
    } else {
        spec.longer(held_for(hooks))
    };
    let result = step.engine.wait_with(&spec, looked, condition).await;
    match result {
        Err(err) if err.code == "WaitTimeout" => {
            let last = last.lock().ok().and_then(|l| l.clone());
            let waiting = last.as_ref().map(held_by).unwrap_or_default();
            Err(held(step, hooks, &waiting).unwrap_or(err))
        }
        other => other,
    }
}

/// The error of a wait that ran out while instances were in a hook's wait state (`waiting`:
/// instance id and lifecycle state), naming each with the hooks that hold it and the command
/// that completes its action; `None` when none was.
fn held(step: &AwsStep<'_>, hooks: &[Hook], waiting: &[(String, String)]) -> Option<StepError> {
    let group = step.existing("id").unwrap_or(step.name());
    held_message(&step.address().to_string(), group, hooks, waiting)
        .map(|message| StepError::fatal("LifecycleActionTimeout", message))
}

fn held_message(
    address: &str,
    group: &str,
    hooks: &[Hook],
    waiting: &[(String, String)],
) -> Option<String> {
    if waiting.is_empty() {
        return None;
    }
    let each: Vec<String> = waiting
        .iter()
        .map(|(instance, state)| {
            let holding: Vec<&Hook> = hooks.iter().filter(|h| h.holds() == state).collect();
            let names: Vec<String> = holding
                .iter()
                .map(|h| {
                    format!(
                        "lifecycle hook {} (heartbeat timeout {} s, then {})",
                        h.name, h.heartbeat_seconds, h.default_result
                    )
                })
                .collect();
            let complete = holding.first().map_or_else(String::new, |h| {
                format!(
                    "; complete its action with `aws autoscaling complete-lifecycle-action \
                     --auto-scaling-group-name {group} --lifecycle-hook-name {} --instance-id \
                     {instance} --lifecycle-action-result CONTINUE`",
                    h.name
                )
            });
            format!(
                "instance {instance} is still in {state}, held by {}{complete}",
                if names.is_empty() {
                    "a lifecycle hook".to_string()
                } else {
                    names.join(" and ")
                }
            )
        })
        .collect();
    Some(format!(
        "{address}: Auto Scaling group {group} did not settle within the wait and its lifecycle \
         hooks' heartbeat timeout: {} (a heartbeat recorded for an action, \
         RecordLifecycleActionHeartbeat, keeps it waiting up to 100 heartbeat timeouts or 48 \
         hours)",
        each.join("; ")
    ))
}

/// What the capacity wait sees: each instance with its lifecycle state, health, and (with target
/// groups) whether every target group has it healthy.
#[derive(Debug, Clone)]
struct Capacity {
    group: String,
    desired: usize,
    instances: Vec<Member>,
    /// The group's lifecycle hooks: what holds an instance in a wait state.
    hooks: Vec<Hook>,
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

    /// On its way out of the group: `Terminating` (deregistering from the target groups first),
    /// `Terminating:Wait` (held by a terminating hook), `Terminating:Proceed` (being terminated).
    /// A `Terminated` instance is gone.
    fn leaving(&self) -> bool {
        self.lifecycle.starts_with("Terminating")
    }

    /// In a lifecycle hook's wait state (`Pending:Wait`, `Terminating:Wait`).
    fn waiting(&self) -> bool {
        self.lifecycle.ends_with(":Wait")
    }
}

impl Capacity {
    /// `desired` instances serve, and no other is left: those a scale-in (or a refresh)
    /// terminates are gone, however long a lifecycle hook holds them.
    fn ready(&self) -> bool {
        let present = self
            .instances
            .iter()
            .filter(|m| m.lifecycle != "Terminated")
            .count();
        self.instances.iter().filter(|m| m.serving()).count() >= self.desired
            && !self.instances.iter().any(Member::leaving)
            && present <= self.desired
    }

    /// The instances in a hook's wait state, with that state.
    fn waiting(&self) -> Vec<(String, String)> {
        self.instances
            .iter()
            .filter(|m| m.waiting())
            .map(|m| (m.id.clone(), m.lifecycle.clone()))
            .collect()
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
                let held: Vec<&str> = self
                    .hooks
                    .iter()
                    .filter(|h| m.waiting() && h.holds() == m.lifecycle)
                    .map(|h| h.name.as_str())
                    .collect();
                let held = if held.is_empty() {
                    String::new()
                } else {
                    format!(", held by lifecycle hook {}", held.join(", "))
                };
                format!("{} {} {}{target}{held}", m.id, m.lifecycle, m.health)
            })
            .collect();
        let leaving = self.instances.iter().filter(|m| m.leaving()).count();
        let leaving = if leaving == 0 {
            String::new()
        } else {
            format!(", {leaving} leaving")
        };
        write!(
            f,
            "{serving} of {} instances serving{leaving} ({}); see why with `aws autoscaling \
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
    hooks: &[Hook],
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
    let in_service = instances
        .iter()
        .any(|m| m.lifecycle == "InService" || m.leaving());
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
        // Left to who scales the group (an ECS capacity provider): what it asks for now.
        desired: usize::try_from(
            props
                .desired_capacity
                .unwrap_or_else(|| group.desired_capacity().map(i64::from).unwrap_or_default()),
        )
        .unwrap_or_default(),
        instances,
        hooks: hooks.to_vec(),
    }))
}

/// How long a new instance takes to pass the slowest of `target_groups`' health checks once
/// registered: its interval times its healthy threshold (ELB API reference, TargetGroup:
/// HealthCheckIntervalSeconds, HealthyThresholdCount; "the number of consecutive health checks
/// successes required before considering an unhealthy target healthy"). None without target
/// groups. The capacity wait expects the instances' launch plus this, and polls near that time
/// rather than near the launch alone (one DescribeTargetGroups for all of them).
async fn healthy_after(
    step: &AwsStep<'_>,
    target_groups: &[String],
) -> Result<Option<Duration>, StepError> {
    if target_groups.is_empty() {
        return Ok(None);
    }
    let described = step
        .clients()
        .elbv2
        .describe_target_groups()
        .set_target_group_arns(Some(target_groups.to_vec()))
        .send()
        .await
        .aws()?;
    let seconds = described
        .target_groups()
        .iter()
        .map(|tg| {
            i64::from(tg.health_check_interval_seconds().unwrap_or(0))
                * i64::from(tg.healthy_threshold_count().unwrap_or(0))
        })
        .max()
        .unwrap_or(0);
    Ok(Some(Duration::from_secs(
        u64::try_from(seconds).unwrap_or(0),
    )))
}

/// Until `desired` instances are InService and Healthy (and healthy in every target group), and
/// those leaving the group are gone: with lifecycle hooks, as long as their heartbeat timeout
/// more (see [`wait_held`]).
async fn wait_for_capacity(
    step: &AwsStep<'_>,
    props: &AutoScalingGroupProps,
    hooks: &[Hook],
) -> Result<(), StepError> {
    let target_groups = target_group_arns(step, props)?;
    // The launch is an instance's (`K::Ec2Instance`: RunInstances to `running`, 12-42 s in
    // published `terraform apply` logs of aws_instance), not the group's whole create (60 s,
    // which already holds that wait): the health checks come on top of the launch alone; with
    // the group's 60 s, readiness came half a minute before the poll schedule's near band.
    let spec = match healthy_after(step, &target_groups).await? {
        Some(checks) => step
            .engine
            .wait
            .expecting(Duration::from_secs_f64(K::Ec2Instance.create_seconds()) + checks),
        None => step.engine.wait,
    };
    let seen = wait_held(
        step,
        spec,
        hooks,
        || capacity(step, props, &target_groups, hooks),
        has(Capacity::ready),
        Capacity::waiting,
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
    hooks: &[Hook],
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
    // The refresh replaces instances through the group's lifecycle hooks: its wait lasts as long
    // as they may hold them, and runs out naming the instances they hold.
    let waited = wait_held(
        step,
        step.engine.wait,
        hooks,
        || describe_refresh(step, name, id.as_deref()),
        has(|r: &Refresh| !r.running()),
        |_| Vec::new(),
    )
    .await;
    let done = match waited {
        Err(err) if err.code == "WaitTimeout" && !hooks.is_empty() => {
            let waiting: Vec<(String, String)> = describe_group(step, name)
                .await?
                .map(|g| {
                    g.instances()
                        .iter()
                        .filter_map(|i| {
                            let state = i.lifecycle_state()?.as_str();
                            state
                                .ends_with(":Wait")
                                .then(|| (i.instance_id().unwrap_or_default().into(), state.into()))
                        })
                        .collect()
                })
                .unwrap_or_default();
            return Err(held(step, hooks, &waiting).unwrap_or(err));
        }
        other => other?,
    };
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
/// One group of the blueprint as read, with its lifecycle hooks (none for destroy's inventory:
/// they go with the group). Its subnets' zones and its hooks are read at once.
async fn group_found(read: &AwsRead<'_>, group: &Group) -> Result<Vec<Found>, StepError> {
    let Some(name) = group.auto_scaling_group_name() else {
        return Ok(Vec::new());
    };
    // A group being deleted is on its way out (its Status says so).
    if group.status().is_some_and(|s| s.starts_with("Delete")) {
        return Ok(Vec::new());
    }
    let tags = tags::from_pairs(
        group
            .tags()
            .iter()
            .filter_map(|t| Some((t.key()?, t.value()?))),
    );
    let Some(address) = read.owned(&tags) else {
        return Ok(Vec::new());
    };
    let subnet_ids: Vec<String> = group
        .vpc_zone_identifier()
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    let (subnets, hooks) = if read.inventory {
        (subnet_ids, Vec::new())
    } else {
        futures::try_join!(
            super::eks::by_zone(read, subnet_ids),
            describe_hooks(&read.clients().autoscaling, name)
        )?
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
        desired_capacity: group.desired_capacity().map(i64::from),
        target_groups,
        health_check_type: group.health_check_type().unwrap_or("EC2").to_string(),
        health_check_grace_period_seconds: group
            .health_check_grace_period()
            .map(i64::from)
            .unwrap_or_default(),
        new_instances_protected_from_scale_in: group
            .new_instances_protected_from_scale_in()
            .unwrap_or(false),
    };
    let mut found = Found::new(K::AutoScalingGroup, name)
        .at(Some(address.clone()))
        .named(name)
        .props(&props)
        .with("tags", tags::to_value(&tags));
    found.outputs = outputs(name, group.auto_scaling_group_arn(), Some(name));
    let mut all = vec![found];
    all.extend(hooks.iter().filter_map(|h| hook_found(&address, name, h)));
    Ok(all)
}

/// One of an owned group's lifecycle hooks: untagged, it is matched to the blueprint's by its
/// group (the group's name, which the reader turns into its address) and name; one the
/// blueprint does not have is listed under its group's address, to be deleted — except the hook
/// ECS itself puts on a capacity provider's group for managed instance draining, which is ECS's
/// to manage ("Configuring Amazon ECS capacity providers to safely shut down instances": the
/// cluster's `managed_draining` attachment names it as `autoScalingLifecycleHookName`).
fn hook_found(
    group_address: &Address,
    group: &str,
    hook: &aws_sdk_autoscaling::types::LifecycleHook,
) -> Option<Found> {
    if hook.lifecycle_hook_name() == Some(ECS_DRAINING_HOOK) {
        return None;
    }
    let props = hook_props(group, hook)?;
    let mut found = Found::new(K::AutoScalingLifecycleHook, hook_id(group, &props.name))
        .named(&props.name)
        .props(&props)
        .orphan_at(Address::new(format!(
            "{group_address}.lifecycle_hook[{}]",
            props.name
        )));
    found.outputs = hook_outputs(group, &props.name);
    Some(found)
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
    fn the_hook_ecs_puts_on_a_capacity_providers_group_is_not_read_as_the_blueprints() {
        let group = Address::new("ecs.autoscaling_group");
        let hook = |name: &str| {
            aws_sdk_autoscaling::types::LifecycleHook::builder()
                .lifecycle_hook_name(name)
                .lifecycle_transition(TERMINATING)
                .heartbeat_timeout(3600)
                .default_result("CONTINUE")
                .build()
        };
        assert!(hook_found(&group, "erp-ecs-asg", &hook(ECS_DRAINING_HOOK)).is_none());
        let other = hook_found(&group, "erp-ecs-asg", &hook("drain")).expect("another hook is");
        assert_eq!(other.id, "erp-ecs-asg/drain");
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
            hooks: Vec::new(),
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

    fn drain_hook() -> Hook {
        Hook {
            name: "demo-srv-app-drain".into(),
            transition: TERMINATING.into(),
            heartbeat_seconds: 600,
            default_result: "CONTINUE".into(),
        }
    }

    /// After desired capacity is lowered the group is not settled until the instances it
    /// terminates are gone: deregistering (`Terminating`), held by a terminating hook
    /// (`Terminating:Wait`) or being terminated (`Terminating:Proceed`); nor while it still has
    /// more instances than desired (before Auto Scaling has chosen which to terminate).
    #[test]
    fn capacity_waits_for_the_instances_a_scale_in_terminates() {
        let scaled_in = |leaving: &str| Capacity {
            group: "demo-srv-app".into(),
            desired: 1,
            instances: vec![
                member("i-1", "InService", "Healthy", "healthy"),
                member("i-2", leaving, "Healthy", "draining"),
            ],
            hooks: vec![drain_hook()],
        };
        for leaving in [
            "InService",
            "Terminating",
            "Terminating:Wait",
            "Terminating:Proceed",
        ] {
            assert!(!scaled_in(leaving).ready(), "{leaving}");
        }
        assert!(scaled_in("Terminated").ready());
        let held = scaled_in("Terminating:Wait");
        assert_eq!(
            held.waiting(),
            [("i-2".to_string(), "Terminating:Wait".to_string())]
        );
        let text = held.to_string();
        assert!(
            text.starts_with("1 of 1 instances serving, 1 leaving"),
            "{text}"
        );
        assert!(
            text.contains("i-2 Terminating:Wait Healthy, target draining, held by lifecycle hook demo-srv-app-drain"),
            "{text}"
        );
        // A launching hook holds new instances in Pending:Wait, not leaving ones.
        let launching = Hook {
            name: "warm".into(),
            transition: LAUNCHING.into(),
            ..drain_hook()
        };
        assert_eq!(launching.holds(), "Pending:Wait");
        assert_eq!(drain_hook().holds(), "Terminating:Wait");
    }

    #[test]
    fn a_wait_held_past_its_time_names_the_instance_and_the_hook() {
        let hooks = [
            drain_hook(),
            Hook {
                name: "warm".into(),
                transition: LAUNCHING.into(),
                heartbeat_seconds: 7200,
                default_result: "ABANDON".into(),
            },
        ];
        assert_eq!(held_for(&hooks), Duration::from_secs(7200));
        assert_eq!(held_for(&[]), Duration::ZERO);
        assert_eq!(
            held_message("servers.autoscaling_group.app", "demo-srv-app", &hooks, &[]),
            None
        );
        let text = held_message(
            "servers.autoscaling_group.app",
            "demo-srv-app",
            &hooks,
            &[("i-2".into(), "Terminating:Wait".into())],
        )
        .expect("an instance is held");
        assert!(
            text.starts_with("servers.autoscaling_group.app: Auto Scaling group demo-srv-app"),
            "{text}"
        );
        assert!(
            text.contains(
                "instance i-2 is still in Terminating:Wait, held by lifecycle hook \
                 demo-srv-app-drain (heartbeat timeout 600 s, then CONTINUE)"
            ),
            "{text}"
        );
        assert!(
            text.contains(
                "aws autoscaling complete-lifecycle-action --auto-scaling-group-name \
                 demo-srv-app --lifecycle-hook-name demo-srv-app-drain --instance-id i-2 \
                 --lifecycle-action-result CONTINUE"
            ),
            "{text}"
        );
        assert!(!text.contains("warm"), "{text}");
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
