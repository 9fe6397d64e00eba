//! How what runs the blueprint's containers and servers is, for `shinyctl status` (issues 16
//! and 17): ECS services, Auto Scaling groups and fixed servers. What AWS's answers mean:
//!
//! - ECS `DescribeServices`: the service's `runningCount`, `desiredCount` and `pendingCount`, and
//!   its `deployments`, the one `status` `PRIMARY` being the newest; a deployment's
//!   `rolloutState` is IN_PROGRESS while it starts tasks, COMPLETED once the service reached a
//!   steady state, FAILED when the circuit breaker stopped it ("If the service fails to reach a
//!   steady state and circuit breaker is turned on, the deployment transitions to a FAILED
//!   state", botocore `ecs` Deployment rolloutState), with `rolloutStateReason`; a rolled-back
//!   deployment is listed beside the PRIMARY one that rolls back until it is drained. A service
//!   whose `status` is DRAINING or INACTIVE is being deleted or gone.
//! - Auto Scaling `DescribeAutoScalingGroups`: `DesiredCapacity`, `MinSize`, `MaxSize` and each
//!   instance's `LifecycleState` (`Pending`, `Pending:Wait`, `InService`, `Terminating`,
//!   `Terminating:Wait` while a lifecycle hook holds it, `Standby`, ...) and `HealthStatus`
//!   (`Healthy`/`Unhealthy`) (botocore `autoscaling` Instance, LifecycleState);
//!   `DescribeInstanceRefreshes`: a refresh whose `Status` is `Pending`, `InProgress`,
//!   `Cancelling`, `RollbackInProgress` or `Baking` is still replacing instances (botocore
//!   `autoscaling` InstanceRefreshStatus), with its `PercentageComplete`.
//! - EC2 `DescribeInstances`: `State.Name` (`pending`, `running`, `stopping`, `stopped`,
//!   `shutting-down`, `terminated`), and the server's state in the target groups it is
//!   registered in (the same `DescribeTargetHealth` answers the target groups' health reads).

use aws_sdk_autoscaling::types::LifecycleState;

use crate::apply::StepError;
use crate::plan::ObservedResource;

use super::super::Connection;
use super::super::errors::{AwsResult, first_found, not_found_as_none};
use super::{Health, Verdict, gone, health};

/// What `status` shows of a resource that runs something, beyond its state word.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Facts {
    Service(ServiceFacts),
    Group(GroupFacts),
    Server(ServerFacts),
}

/// An ECS service's tasks and its newest deployment.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ServiceFacts {
    pub(crate) running: i32,
    pub(crate) desired: i32,
    pub(crate) pending: i32,
    /// The PRIMARY deployment's `rolloutState` (None: not the ECS deployment controller).
    pub(crate) rollout: Option<String>,
    pub(crate) rollout_reason: Option<String>,
    /// The task definition the PRIMARY deployment runs, as `family:revision`.
    pub(crate) task_definition: Option<String>,
    /// A FAILED deployment still listed beside the PRIMARY one (rolled back): its task
    /// definition (`family:revision`) and reason.
    pub(crate) rolled_back: Option<(String, String)>,
}

/// An Auto Scaling group's instances.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct GroupFacts {
    pub(crate) in_service: usize,
    pub(crate) desired: i32,
    pub(crate) min: i32,
    pub(crate) max: i32,
    /// The instances not `InService`, counted by lifecycle state (`Terminating:Wait`), sorted.
    pub(crate) changing: Vec<(String, usize)>,
    /// Instances whose `HealthStatus` is `Unhealthy`.
    pub(crate) unhealthy: usize,
    /// An instance refresh still running: its status and percentage complete.
    pub(crate) refresh: Option<(String, Option<i32>)>,
    /// Every instance of the group, by id: what Session Manager's commands take
    /// (`ops::entry_points` points here, since the plan cannot know them).
    pub(crate) instances: Vec<GroupInstance>,
}

/// One instance of an Auto Scaling group, as DescribeAutoScalingGroups lists it.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct GroupInstance {
    pub(crate) id: String,
    /// `LifecycleState`: `InService`, `Pending`, `Terminating:Wait`...
    pub(crate) lifecycle: String,
    /// `HealthStatus`: `Healthy` or `Unhealthy`.
    pub(crate) health: String,
}

/// A fixed server: its EC2 state and its state in each target group it is registered in.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct ServerFacts {
    pub(crate) instance: String,
    pub(crate) state: String,
    /// `(target group name, target state, reason)`.
    pub(crate) targets: Vec<(String, String, Option<String>)>,
}

/// `family:revision` of a task definition ARN (`…:task-definition/web:3`).
fn revision(arn: &str) -> String {
    arn.rsplit('/').next().unwrap_or(arn).to_string()
}

/// The cluster of a service ARN (`arn:…:service/<cluster>/<name>`), as DescribeServices takes it.
fn cluster_of(arn: &str) -> Option<&str> {
    let path = arn.split_once(":service/")?.1;
    let (cluster, _name) = path.split_once('/')?;
    Some(cluster)
}

pub(super) async fn ecs_service(
    conn: &Connection,
    r: &ObservedResource,
) -> Result<Health, StepError> {
    let Some(cluster) = cluster_of(&r.id) else {
        return Ok(gone(r));
    };
    let answer = conn
        .clients
        .ecs
        .describe_services()
        .cluster(cluster)
        .services(&r.id)
        .send()
        .await;
    // Not found, or DescribeServices names a service it does not know among its `failures`
    // (MISSING) and lists none.
    let Some(service) = first_found(answer.aws(), |out| out.services)? else {
        return Ok(gone(r));
    };
    let status = service.status().unwrap_or("unknown");
    if status != "ACTIVE" {
        let mut h = health(r, status, Verdict::Unhealthy);
        h.detail = Some("the service is being deleted or gone".into());
        return Ok(h);
    }
    let deployments = service.deployments();
    let primary = deployments.iter().find(|d| d.status() == Some("PRIMARY"));
    let rolled_back = deployments
        .iter()
        .filter(|d| d.status() != Some("PRIMARY"))
        .find(|d| d.rollout_state().is_some_and(|s| s.as_str() == "FAILED"))
        .map(|d| {
            (
                revision(d.task_definition().unwrap_or_default()),
                d.rollout_state_reason().unwrap_or_default().to_string(),
            )
        });
    let facts = ServiceFacts {
        running: service.running_count(),
        desired: service.desired_count(),
        pending: service.pending_count(),
        rollout: primary
            .and_then(|d| d.rollout_state())
            .map(|s| s.as_str().to_string()),
        rollout_reason: primary
            .and_then(|d| d.rollout_state_reason())
            .filter(|s| !s.is_empty())
            .map(str::to_string),
        task_definition: primary
            .and_then(|d| d.task_definition())
            .or(service.task_definition())
            .map(revision),
        rolled_back,
    };
    Ok(service_health(r, facts, deployments.len()))
}

/// An ECS service's verdict: a FAILED rollout (the PRIMARY one, or one rolled back and still
/// listed) is unhealthy; a rollout in progress, tasks pending, fewer running than desired or
/// more than one deployment is still changing; else healthy.
pub(crate) fn service_health(
    r: &ObservedResource,
    facts: ServiceFacts,
    deployments: usize,
) -> Health {
    let rollout = facts.rollout.as_deref();
    let verdict = if rollout == Some("FAILED") || facts.rolled_back.is_some() {
        Verdict::Unhealthy
    } else if rollout == Some("IN_PROGRESS")
        || facts.pending > 0
        || facts.running != facts.desired
        || deployments > 1
    {
        Verdict::Pending
    } else {
        Verdict::Healthy
    };
    let mut state = format!("{} of {} running", facts.running, facts.desired);
    if facts.pending > 0 {
        state.push_str(&format!(", {} pending", facts.pending));
    }
    if let Some(rollout) = rollout {
        state.push_str(&format!(", rollout {rollout}"));
    }
    let mut detail = Vec::new();
    if let Some(td) = &facts.task_definition {
        detail.push(format!("task definition {td}"));
    }
    if rollout != Some("COMPLETED")
        && let Some(reason) = &facts.rollout_reason
    {
        detail.push(reason.clone());
    }
    if let Some((td, reason)) = &facts.rolled_back {
        detail.push(format!(
            "the deployment of {td} failed and was rolled back: {}",
            if reason.is_empty() {
                "no reason given"
            } else {
                reason
            }
        ));
    }
    let mut h = health(r, state, verdict);
    h.detail = (!detail.is_empty()).then(|| detail.join("; "));
    h.facts = Some(Facts::Service(facts));
    h
}

/// Refresh statuses that still replace instances (botocore `autoscaling` InstanceRefreshStatus).
const REFRESHING: &[&str] = &[
    "Pending",
    "InProgress",
    "Cancelling",
    "RollbackInProgress",
    "Baking",
];

pub(super) async fn autoscaling_group(
    conn: &Connection,
    r: &ObservedResource,
) -> Result<Health, StepError> {
    let asg = &conn.clients.autoscaling;
    let (groups, refreshes) = futures::join!(
        asg.describe_auto_scaling_groups()
            .auto_scaling_group_names(&r.name)
            .send(),
        asg.describe_instance_refreshes()
            .auto_scaling_group_name(&r.name)
            .send()
    );
    let Some(group) = first_found(groups.aws(), |out| out.auto_scaling_groups)? else {
        return Ok(gone(r));
    };
    let Some(refreshes) = not_found_as_none(refreshes.aws())? else {
        return Ok(gone(r));
    };
    let refresh = refreshes
        .instance_refreshes()
        .iter()
        .find(|i| i.status().is_some_and(|s| REFRESHING.contains(&s.as_str())))
        .map(|i| {
            (
                i.status().map_or("InProgress", |s| s.as_str()).to_string(),
                i.percentage_complete(),
            )
        });
    let mut changing: std::collections::BTreeMap<String, usize> = Default::default();
    let mut in_service = 0;
    let mut unhealthy = 0;
    let mut instances = Vec::new();
    for instance in group.instances() {
        instances.push(GroupInstance {
            id: instance.instance_id().unwrap_or_default().to_string(),
            lifecycle: instance
                .lifecycle_state()
                .map_or("unknown", |s| s.as_str())
                .to_string(),
            health: instance.health_status().unwrap_or_default().to_string(),
        });
        match instance.lifecycle_state() {
            Some(LifecycleState::InService) => in_service += 1,
            other => {
                *changing
                    .entry(other.map_or("unknown", |s| s.as_str()).to_string())
                    .or_default() += 1
            }
        }
        if instance.health_status() == Some("Unhealthy") {
            unhealthy += 1;
        }
    }
    let facts = GroupFacts {
        in_service,
        desired: group.desired_capacity().unwrap_or(0),
        min: group.min_size().unwrap_or(0),
        max: group.max_size().unwrap_or(0),
        changing: changing.into_iter().collect(),
        unhealthy,
        refresh,
        instances: {
            instances.sort_by(|a, b| a.id.cmp(&b.id));
            instances
        },
    };
    Ok(group_health(r, facts))
}

/// An Auto Scaling group's verdict: an instance Auto Scaling finds unhealthy is unhealthy; an
/// instance refresh, instances launching, draining or waiting on a lifecycle hook, or fewer in
/// service than desired are changes still under way; else healthy.
pub(crate) fn group_health(r: &ObservedResource, facts: GroupFacts) -> Health {
    let verdict = if facts.unhealthy > 0 {
        Verdict::Unhealthy
    } else if facts.refresh.is_some()
        || !facts.changing.is_empty()
        || i64::try_from(facts.in_service).unwrap_or(i64::MAX) != i64::from(facts.desired)
    {
        Verdict::Pending
    } else {
        Verdict::Healthy
    };
    let state = format!(
        "{} of {} in service (min {}, max {})",
        facts.in_service, facts.desired, facts.min, facts.max
    );
    let mut detail = Vec::new();
    if facts.unhealthy > 0 {
        detail.push(format!("{} instance(s) unhealthy", facts.unhealthy));
    }
    if let Some((status, percent)) = &facts.refresh {
        detail.push(match percent {
            Some(p) => format!("instance refresh {status} ({p}% done)"),
            None => format!("instance refresh {status}"),
        });
    }
    for (state, n) in &facts.changing {
        detail.push(format!("{n} {state}"));
    }
    if !facts.instances.is_empty() {
        let ids: Vec<String> = facts
            .instances
            .iter()
            .map(|i| match i.lifecycle.as_str() {
                "InService" => i.id.clone(),
                state => format!("{} ({state})", i.id),
            })
            .collect();
        detail.push(format!("instances {}", ids.join(", ")));
    }
    let mut h = health(r, state, verdict);
    h.detail = (!detail.is_empty()).then(|| detail.join(", "));
    h.facts = Some(Facts::Group(facts));
    h
}

pub(super) async fn ec2_instance(
    conn: &Connection,
    r: &ObservedResource,
    targets: Vec<(String, String, Option<String>)>,
) -> Result<Health, StepError> {
    let answer = conn
        .clients
        .ec2
        .describe_instances()
        .instance_ids(&r.id)
        .send()
        .await;
    let out = not_found_as_none(answer.aws())?;
    let Some(instance) = out
        .iter()
        .flat_map(|out| out.reservations())
        .flat_map(|res| res.instances())
        .find(|i| i.instance_id() == Some(r.id.as_str()))
    else {
        return Ok(gone(r));
    };
    let state = instance
        .state()
        .and_then(|s| s.name())
        .map_or("unknown", |n| n.as_str())
        .to_string();
    Ok(server_health(
        r,
        ServerFacts {
            instance: r.id.clone(),
            state,
            targets,
        },
    ))
}

/// A fixed server's verdict: `running` and healthy in every target group it is in is healthy;
/// `pending`, or targets still `initial` (registering) or `draining`, is changing; stopped,
/// terminated or an unhealthy target is unhealthy.
pub(crate) fn server_health(r: &ObservedResource, facts: ServerFacts) -> Health {
    let target_verdict = |state: &str| match state {
        "healthy" => Verdict::Healthy,
        "initial" | "draining" => Verdict::Pending,
        _ => Verdict::Unhealthy,
    };
    let verdict = match facts.state.as_str() {
        "running" => facts
            .targets
            .iter()
            .map(|(_, state, _)| target_verdict(state))
            .max()
            .unwrap_or(Verdict::Healthy),
        "pending" => Verdict::Pending,
        _ => Verdict::Unhealthy,
    };
    let mut state = facts.state.clone();
    for (group, target, _) in &facts.targets {
        state.push_str(&format!(", {target} in {group}"));
    }
    let mut h = health(r, state, verdict);
    h.detail = facts
        .targets
        .iter()
        .find(|(_, state, _)| state != "healthy")
        .and_then(|(_, _, why)| why.clone());
    h.facts = Some(Facts::Server(facts));
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Address, ResourceKind};

    fn resource(kind: ResourceKind) -> ObservedResource {
        ObservedResource {
            address: Address::new("x"),
            kind,
            id: "arn:aws:ecs:us-east-1:123456789012:service/saas/saas-web".into(),
            name: "x".into(),
            properties: Default::default(),
        }
    }

    #[test]
    fn a_service_by_its_rollout_and_counts() {
        let r = resource(ResourceKind::EcsService);
        let steady = ServiceFacts {
            running: 2,
            desired: 2,
            rollout: Some("COMPLETED".into()),
            rollout_reason: Some("ECS deployment ecs-svc/1 completed.".into()),
            task_definition: Some("saas-web:3".into()),
            ..Default::default()
        };
        let h = service_health(&r, steady.clone(), 1);
        assert_eq!(
            (h.state.as_str(), h.verdict, h.detail.as_deref()),
            (
                "2 of 2 running, rollout COMPLETED",
                Verdict::Healthy,
                Some("task definition saas-web:3")
            )
        );
        let rolling = ServiceFacts {
            running: 1,
            pending: 1,
            rollout: Some("IN_PROGRESS".into()),
            rollout_reason: Some("ECS deployment ecs-svc/2 in progress.".into()),
            ..steady.clone()
        };
        let h = service_health(&r, rolling, 2);
        assert_eq!(h.verdict, Verdict::Pending);
        assert_eq!(h.state, "1 of 2 running, 1 pending, rollout IN_PROGRESS");
        assert_eq!(
            h.detail.as_deref(),
            Some("task definition saas-web:3; ECS deployment ecs-svc/2 in progress.")
        );
        let back = ServiceFacts {
            rolled_back: Some(("saas-web:4".into(), "tasks failed to start".into())),
            ..steady
        };
        let h = service_health(&r, back, 2);
        assert_eq!(h.verdict, Verdict::Unhealthy);
        assert!(h.detail.unwrap().ends_with(
            "the deployment of saas-web:4 failed and was rolled back: tasks failed to start"
        ));
        assert_eq!(
            cluster_of("arn:aws:ecs:us-east-1:1:service/saas/saas-web"),
            Some("saas")
        );
        assert_eq!(
            revision("arn:aws:ecs:us-east-1:1:task-definition/saas-web:3"),
            "saas-web:3"
        );
    }

    #[test]
    fn a_group_by_its_instances_and_refresh() {
        let r = resource(ResourceKind::AutoScalingGroup);
        let steady = GroupFacts {
            in_service: 2,
            desired: 2,
            min: 1,
            max: 3,
            ..Default::default()
        };
        let h = group_health(&r, steady.clone());
        assert_eq!(
            (h.state.as_str(), h.verdict, h.detail),
            ("2 of 2 in service (min 1, max 3)", Verdict::Healthy, None)
        );
        let draining = GroupFacts {
            in_service: 1,
            desired: 1,
            changing: vec![("Terminating:Wait".into(), 1)],
            ..steady.clone()
        };
        let h = group_health(&r, draining);
        assert_eq!(
            (h.verdict, h.detail.as_deref()),
            (Verdict::Pending, Some("1 Terminating:Wait"))
        );
        let refreshing = GroupFacts {
            refresh: Some(("InProgress".into(), Some(50))),
            ..steady.clone()
        };
        assert_eq!(
            group_health(&r, refreshing).detail.as_deref(),
            Some("instance refresh InProgress (50% done)")
        );
        let short = GroupFacts {
            in_service: 1,
            ..steady.clone()
        };
        assert_eq!(group_health(&r, short).verdict, Verdict::Pending);
        let sick = GroupFacts {
            unhealthy: 1,
            ..steady
        };
        assert_eq!(group_health(&r, sick).verdict, Verdict::Unhealthy);
    }

    #[test]
    fn a_server_by_its_state_and_targets() {
        let r = resource(ResourceKind::Ec2Instance);
        let server = |state: &str, targets: &[&str]| ServerFacts {
            instance: "i-1".into(),
            state: state.into(),
            targets: targets
                .iter()
                .map(|t| ("app".to_string(), t.to_string(), Some(format!("why {t}"))))
                .collect(),
        };
        let h = server_health(&r, server("running", &["healthy"]));
        assert_eq!(
            (h.state.as_str(), h.verdict, h.detail),
            ("running, healthy in app", Verdict::Healthy, None)
        );
        assert_eq!(
            server_health(&r, server("running", &["initial"])).verdict,
            Verdict::Pending
        );
        let bad = server_health(&r, server("running", &["unhealthy"]));
        assert_eq!(
            (bad.verdict, bad.detail.as_deref()),
            (Verdict::Unhealthy, Some("why unhealthy"))
        );
        assert_eq!(
            server_health(&r, server("stopped", &[])).verdict,
            Verdict::Unhealthy
        );
        assert_eq!(
            server_health(&r, server("pending", &[])).verdict,
            Verdict::Pending
        );
    }
}
