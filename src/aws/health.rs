//! How the blueprint's resources are, for `shinyctl status`: one describe per resource whose
//! health AWS reports (the reader reads settings, not health), never a secret.
//!
//! - EKS `DescribeCluster` / `DescribeNodegroup`: `status` (`ACTIVE`, `CREATING`, `DEGRADED`, ...)
//!   and a node group's `health.issues` (botocore `eks` model, `Nodegroup`, `NodegroupHealth`);
//! - RDS `DescribeDBClusters` / `DescribeDBInstances`: `Status` (`available`, `backing-up`,
//!   `modifying`, `stopped`, ... — RDS user guide, "Viewing Amazon RDS DB instance status");
//! - ElastiCache `DescribeReplicationGroups`: `Status` (`available`, `creating`, `modifying`, ...);
//! - ELBv2 `DescribeLoadBalancers` (`State.Code`: `active`, `provisioning`, `failed`) and
//!   `DescribeTargetHealth` per target group (`TargetHealth.State`: `healthy`, `unhealthy`,
//!   `initial`, `draining`, `unused`, `unavailable`);
//! - Synthetics `GetCanaryRuns` (newest first; `Status.State` `PASSED`/`FAILED`/`RUNNING`);
//! - CloudWatch `DescribeAlarms` by name (`StateValue` `OK`/`ALARM`/`INSUFFICIENT_DATA`);
//! - ECS services, Auto Scaling groups and fixed servers ([`compute`]).
//!
//! Every call takes a token from the connection's rate-limit buckets.

use crate::apply::StepError;
use crate::plan::{Address, ObservedResource, ObservedState, ResourceKind};

use super::Connection;
use super::errors::{AwsResult, not_found_as_none};
use super::services::eks::issue_lines;

mod compute;
pub(crate) use compute::Facts;
#[cfg(test)]
pub(crate) use compute::{
    GroupFacts, GroupInstance, ServerFacts, ServiceFacts, group_health, server_health,
    service_health,
};

/// How one resource is, in a word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verdict {
    /// Serving as it should.
    Healthy,
    /// Nothing to judge yet (an alarm without data, a canary that has not run): not a failure.
    Unknown,
    /// Being created or changed: not ready yet.
    Pending,
    /// Failed, degraded, in alarm, or without healthy targets.
    Unhealthy,
}

/// What AWS says about one resource.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Health {
    pub(crate) address: Address,
    pub(crate) kind: ResourceKind,
    pub(crate) name: String,
    /// AWS's own word for the state (`ACTIVE`, `available`, `ALARM`, `2 healthy, 1 unhealthy`).
    pub(crate) state: String,
    pub(crate) verdict: Verdict,
    /// Why it is not healthy, or what to look at (a node group's health issue, a failed run's
    /// reason); never a secret.
    pub(crate) detail: Option<String>,
    /// The counts behind `state` for what runs containers or servers.
    pub(crate) facts: Option<Facts>,
}

/// The kinds whose health is read.
pub(crate) fn reports_health(kind: ResourceKind) -> bool {
    use ResourceKind as K;
    matches!(
        kind,
        K::EksCluster
            | K::NodeGroup
            | K::DbCluster
            | K::DbInstance
            | K::CacheReplicationGroup
            | K::LoadBalancer
            | K::TargetGroup
            | K::Canary
            | K::CloudWatchAlarm
            | K::EcsService
            | K::AutoScalingGroup
            | K::Ec2Instance
    )
}

/// What each target group says of its targets: `(target id, state, reason)`.
type Targets = Vec<(String, String, Option<String>)>;

/// The health of every observed resource that reports one, in the observed order. The target
/// groups are asked first: a fixed server's health includes its state in them.
pub(crate) async fn read(
    conn: &Connection,
    observed: &ObservedState,
) -> Result<Vec<Health>, StepError> {
    use ResourceKind as K;
    let cluster = observed
        .resources
        .iter()
        .find(|r| r.kind == K::EksCluster)
        .map(|r| r.name.clone());
    let of = |kind| {
        observed
            .resources
            .iter()
            .filter(move |r: &&ObservedResource| r.kind == kind)
    };
    let alarms: Vec<&ObservedResource> = of(K::CloudWatchAlarm).collect();
    let groups: Vec<&ObservedResource> = of(K::TargetGroup).collect();
    let (alarm_states, targets) = futures::join!(
        alarm_health(conn, &alarms),
        futures::future::try_join_all(groups.iter().map(|g| target_states(conn, g)))
    );
    let targets = targets?;
    // Each instance's state in each target group it is registered in.
    let in_groups = |instance: &str| -> Targets {
        groups
            .iter()
            .zip(&targets)
            .filter_map(|(g, states)| {
                let states = states.as_ref()?;
                states
                    .iter()
                    .find(|(id, _, _)| id == instance)
                    .map(|(_, state, why)| (g.name.clone(), state.clone(), why.clone()))
            })
            .collect()
    };
    let reads = observed
        .resources
        .iter()
        .filter(|r| {
            reports_health(r.kind) && !matches!(r.kind, K::CloudWatchAlarm | K::TargetGroup)
        })
        .map(|r| {
            let targets = if r.kind == K::Ec2Instance {
                in_groups(&r.id)
            } else {
                Vec::new()
            };
            one(conn, r, cluster.as_deref(), targets)
        });
    let mut out = futures::future::try_join_all(reads).await?;
    out.extend(alarm_states?);
    out.extend(groups.iter().zip(&targets).map(|(g, states)| match states {
        Some(states) => {
            let states: Vec<(String, Option<String>)> = states
                .iter()
                .map(|(_, state, why)| (state.clone(), why.clone()))
                .collect();
            target_health(g, &states)
        }
        None => gone(g),
    }));
    // The observed order (the catalog's), alarms included.
    let position = |a: &Address| observed.resources.iter().position(|r| &r.address == a);
    out.sort_by_key(|h| position(&h.address));
    Ok(out)
}

/// A target group's targets (`DescribeTargetHealth`); `None` when the group is gone.
async fn target_states(
    conn: &Connection,
    r: &ObservedResource,
) -> Result<Option<Targets>, StepError> {
    let answer = conn
        .clients
        .elbv2
        .describe_target_health()
        .target_group_arn(&r.id)
        .send()
        .await;
    Ok(not_found_as_none(answer.aws())?.map(|out| {
        out.target_health_descriptions()
            .iter()
            .map(|d| {
                let th = d.target_health();
                (
                    d.target()
                        .and_then(|t| t.id())
                        .unwrap_or_default()
                        .to_string(),
                    th.and_then(|t| t.state())
                        .map_or("unknown", |s| s.as_str())
                        .to_string(),
                    th.and_then(|t| t.description()).map(str::to_string),
                )
            })
            .collect()
    }))
}

fn health(r: &ObservedResource, state: impl Into<String>, verdict: Verdict) -> Health {
    Health {
        address: r.address.clone(),
        kind: r.kind,
        name: r.name.clone(),
        state: state.into(),
        verdict,
        detail: None,
        facts: None,
    }
}

/// A resource gone between the read and this call: say so rather than fail the command.
fn gone(r: &ObservedResource) -> Health {
    health(r, "not found", Verdict::Unhealthy)
}

async fn one(
    conn: &Connection,
    r: &ObservedResource,
    cluster: Option<&str>,
    targets: Targets,
) -> Result<Health, StepError> {
    use ResourceKind as K;
    let c = &conn.clients;
    match r.kind {
        K::EksCluster => {
            let answer = c.eks.describe_cluster().name(&r.name).send().await;
            judged(r, answer.aws(), |out| {
                let status = out
                    .cluster()
                    .and_then(|c| c.status())
                    .map_or("unknown", |s| s.as_str());
                let mut h = health(r, status, eks_verdict(status));
                h.detail = out
                    .cluster()
                    .and_then(|c| c.version())
                    .map(|v| format!("Kubernetes {v}"));
                h
            })
        }
        K::NodeGroup => {
            let Some(cluster) = cluster else {
                return Ok(gone(r));
            };
            let answer = c
                .eks
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(&r.name)
                .send()
                .await;
            judged(r, answer.aws(), |out| {
                let ng = out.nodegroup();
                let status = ng
                    .and_then(|n| n.status())
                    .map_or("unknown", |s| s.as_str());
                let mut h = health(r, status, eks_verdict(status));
                let issues = issue_lines(
                    ng.and_then(|n| n.health())
                        .map(|h| h.issues())
                        .unwrap_or_default()
                        .iter()
                        .map(|i| (i.code().map(|c| c.as_str()), i.message())),
                    "issue",
                );
                let scaling = ng.and_then(|n| n.scaling_config()).map(|s| {
                    format!(
                        "{} desired ({}–{})",
                        s.desired_size().unwrap_or(0),
                        s.min_size().unwrap_or(0),
                        s.max_size().unwrap_or(0)
                    )
                });
                h.detail = if issues.is_empty() {
                    scaling
                } else {
                    Some(issues.join("; "))
                };
                h
            })
        }
        K::DbCluster => {
            let answer = c
                .rds
                .describe_db_clusters()
                .db_cluster_identifier(&r.name)
                .send()
                .await;
            judged(r, answer.aws(), |out| {
                by_rds_status(r, out.db_clusters().first().and_then(|c| c.status()))
            })
        }
        K::DbInstance => {
            let answer = c
                .rds
                .describe_db_instances()
                .db_instance_identifier(&r.name)
                .send()
                .await;
            judged(r, answer.aws(), |out| {
                let instance = out.db_instances().first();
                by_rds_status(r, instance.and_then(|i| i.db_instance_status()))
            })
        }
        K::CacheReplicationGroup => {
            let answer = c
                .elasticache
                .describe_replication_groups()
                .replication_group_id(&r.name)
                .send()
                .await;
            judged(r, answer.aws(), |out| {
                by_rds_status(r, out.replication_groups().first().and_then(|g| g.status()))
            })
        }
        K::LoadBalancer => {
            let answer = c
                .elbv2
                .describe_load_balancers()
                .load_balancer_arns(&r.id)
                .send()
                .await;
            judged(r, answer.aws(), |out| {
                let state = out.load_balancers().first().and_then(|lb| lb.state());
                let code = state
                    .and_then(|s| s.code())
                    .map_or("unknown", |c| c.as_str());
                let verdict = match code {
                    "active" => Verdict::Healthy,
                    "provisioning" => Verdict::Pending,
                    _ => Verdict::Unhealthy,
                };
                let mut h = health(r, code, verdict);
                h.detail = state.and_then(|s| s.reason()).map(str::to_string);
                h
            })
        }
        K::Canary => {
            let answer = c
                .synthetics
                .get_canary_runs()
                .name(&r.name)
                .max_results(1)
                .send()
                .await;
            judged(r, answer.aws(), |out| {
                let last = out.canary_runs().first().and_then(|run| run.status());
                let state = last.and_then(|s| s.state()).map(|s| s.as_str().to_string());
                let reason = last.and_then(|s| s.state_reason()).map(str::to_string);
                canary_health(r, state.as_deref(), reason)
            })
        }
        K::EcsService => compute::ecs_service(conn, r).await,
        K::AutoScalingGroup => compute::autoscaling_group(conn, r).await,
        K::Ec2Instance => compute::ec2_instance(conn, r, targets).await,
        _ => Ok(health(r, "unknown", Verdict::Unknown)),
    }
}

/// What `judge` makes of a Describe call's answer, or [`gone`] when AWS answers not found.
fn judged<T>(
    r: &ObservedResource,
    answer: Result<T, StepError>,
    judge: impl FnOnce(T) -> Health,
) -> Result<Health, StepError> {
    Ok(not_found_as_none(answer)?.map_or_else(|| gone(r), judge))
}

/// EKS clusters and node groups (botocore `eks`: `ClusterStatus`, `NodegroupStatus`).
fn eks_verdict(status: &str) -> Verdict {
    match status {
        "ACTIVE" => Verdict::Healthy,
        "CREATING" | "UPDATING" | "PENDING" => Verdict::Pending,
        _ => Verdict::Unhealthy,
    }
}

/// A database's or cache's health from the status its Describe call answered (`unknown` when it
/// listed none), judged by [`rds_verdict`]: RDS clusters and instances and ElastiCache
/// replication groups alike.
fn by_rds_status(r: &ObservedResource, status: Option<&str>) -> Health {
    let status = status.unwrap_or("unknown");
    health(r, status, rds_verdict(status))
}

/// RDS and ElastiCache: `available` serves; the transitions that still serve or will soon are
/// pending; anything else (`failed`, `stopped`, `incompatible-*`, `storage-full`) is not.
fn rds_verdict(status: &str) -> Verdict {
    match status {
        "available" => Verdict::Healthy,
        "creating"
        | "backing-up"
        | "modifying"
        | "upgrading"
        | "rebooting"
        | "starting"
        | "configuring-enhanced-monitoring"
        | "maintenance"
        | "snapshotting" => Verdict::Pending,
        _ => Verdict::Unhealthy,
    }
}

/// A target group with no healthy target sends users errors (ALB: 503); one that still has some
/// healthy targets besides unhealthy ones is degraded; only `initial` ones are still registering.
pub(crate) fn target_health(r: &ObservedResource, states: &[(String, Option<String>)]) -> Health {
    if states.is_empty() {
        let mut h = health(r, "no targets", Verdict::Unhealthy);
        h.detail = Some(
            "no target is registered: what the group serves registers once it runs (the proxy's \
             pods through its TargetGroupBinding, an ECS service's tasks, a server group's \
             servers)"
                .into(),
        );
        return h;
    }
    let mut counts: std::collections::BTreeMap<&str, usize> = Default::default();
    for (state, _) in states {
        *counts.entry(state.as_str()).or_default() += 1;
    }
    let words: Vec<String> = counts
        .iter()
        .map(|(state, n)| format!("{n} {state}"))
        .collect();
    let healthy = counts.get("healthy").copied().unwrap_or(0);
    let verdict = if healthy == states.len() {
        Verdict::Healthy
    } else if counts.keys().all(|s| *s == "initial" || *s == "healthy") {
        Verdict::Pending
    } else {
        Verdict::Unhealthy
    };
    let mut h = health(r, words.join(", "), verdict);
    h.detail = states
        .iter()
        .find(|(state, _)| state != "healthy")
        .and_then(|(_, why)| why.clone());
    h
}

/// The canary's last run: `PASSED` is healthy, `FAILED` is not, none yet is unknown.
pub(crate) fn canary_health(
    r: &ObservedResource,
    last: Option<&str>,
    reason: Option<String>,
) -> Health {
    match last {
        None => health(r, "no runs yet", Verdict::Unknown),
        Some(state) => {
            let verdict = match state {
                "PASSED" => Verdict::Healthy,
                "RUNNING" => Verdict::Unknown,
                _ => Verdict::Unhealthy,
            };
            let mut h = health(r, format!("last run {state}"), verdict);
            h.detail = reason.filter(|_| verdict == Verdict::Unhealthy);
            h
        }
    }
}

/// One `DescribeAlarms` per 100 names (its `AlarmNames` maximum, botocore `monitoring` model).
async fn alarm_health(
    conn: &Connection,
    alarms: &[&ObservedResource],
) -> Result<Vec<Health>, StepError> {
    let mut out = Vec::new();
    for chunk in alarms.chunks(100) {
        let answer = conn
            .clients
            .cloudwatch
            .describe_alarms()
            .set_alarm_names(Some(chunk.iter().map(|a| a.name.clone()).collect()))
            .send()
            .await
            .aws()?;
        for alarm in chunk {
            let found = answer
                .metric_alarms()
                .iter()
                .find(|m| m.alarm_name() == Some(alarm.name.as_str()));
            out.push(match found {
                None => gone(alarm),
                Some(m) => {
                    let state = m.state_value().map_or("unknown", |s| s.as_str());
                    let verdict = match state {
                        "OK" => Verdict::Healthy,
                        "ALARM" => Verdict::Unhealthy,
                        _ => Verdict::Unknown,
                    };
                    let mut h = health(alarm, state, verdict);
                    h.detail = m
                        .state_reason()
                        .filter(|_| verdict == Verdict::Unhealthy)
                        .map(str::to_string);
                    h
                }
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tg() -> ObservedResource {
        ObservedResource {
            address: Address::new("ingress.target_group[proxy]"),
            kind: ResourceKind::TargetGroup,
            id: "arn:tg".into(),
            name: "a-proxy".into(),
            properties: Default::default(),
        }
    }

    fn states(list: &[&str]) -> Vec<(String, Option<String>)> {
        list.iter()
            .map(|s| (s.to_string(), Some(format!("why {s}"))))
            .collect()
    }

    #[test]
    fn target_groups_are_healthy_only_when_every_target_is() {
        assert_eq!(
            target_health(&tg(), &states(&["healthy", "healthy"])).verdict,
            Verdict::Healthy
        );
        let pending = target_health(&tg(), &states(&["healthy", "initial"]));
        assert_eq!(pending.verdict, Verdict::Pending);
        assert_eq!(pending.state, "1 healthy, 1 initial");
        let bad = target_health(&tg(), &states(&["unhealthy", "healthy"]));
        assert_eq!(bad.verdict, Verdict::Unhealthy);
        assert_eq!(bad.detail.as_deref(), Some("why unhealthy"));
        let empty = target_health(&tg(), &[]);
        assert_eq!(
            (empty.state.as_str(), empty.verdict),
            ("no targets", Verdict::Unhealthy)
        );
    }

    #[test]
    fn canaries_by_their_last_run() {
        assert_eq!(canary_health(&tg(), None, None).verdict, Verdict::Unknown);
        assert_eq!(
            canary_health(&tg(), Some("PASSED"), None).verdict,
            Verdict::Healthy
        );
        let failed = canary_health(&tg(), Some("FAILED"), Some("timeout".into()));
        assert_eq!(failed.verdict, Verdict::Unhealthy);
        assert_eq!(failed.detail.as_deref(), Some("timeout"));
    }

    #[test]
    fn status_words() {
        assert_eq!(eks_verdict("ACTIVE"), Verdict::Healthy);
        assert_eq!(eks_verdict("CREATING"), Verdict::Pending);
        assert_eq!(eks_verdict("DEGRADED"), Verdict::Unhealthy);
        assert_eq!(rds_verdict("backing-up"), Verdict::Pending);
        assert_eq!(rds_verdict("stopped"), Verdict::Unhealthy);
    }
}
