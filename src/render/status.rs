//! `shinyctl status` for people and as versioned JSON (`format_version`). JSON shape:
//!
//! ```json
//! {
//!   "format_version": "1.0",
//!   "blueprint": "demo", "region": "us-east-1", "account": "123456789012",
//!   "overall": "degraded", "exit_code": 4,
//!   "resources": { "desired": 40, "missing": ["network.nat_gateway[b]"], "drifted": [] },
//!   "entry_points": { "url": ..., "cname": ..., "cluster": ..., "database": ..., "cache": ... },
//!   "health": [ { "address": "ingress.target_group[proxy]", "kind": "target_group",
//!                 "name": "demo-proxy", "state": "1 healthy, 1 unhealthy",
//!                 "verdict": "unhealthy", "detail": "Health checks failed" } ],
//!   "rollout": { "deployment": "shinyproxy/shinyproxy", "state": "complete",
//!                "verdict": "healthy", "ready": 2, "desired": 2 }
//! }
//! ```
//!
//! What runs containers or servers adds its counts to its health entry (format 1.1):
//! an ECS service `"service": {"running", "desired", "pending", "rollout", "rollout_reason",
//! "task_definition", "rolled_back": {"task_definition", "reason"} | null}`, an Auto Scaling
//! group `"group": {"in_service", "desired", "min", "max", "unhealthy",
//! "changing": {"Terminating:Wait": 1}, "refresh": {"status", "percent_complete"} | null,
//! "instances": [{"id", "lifecycle", "health"}]}` (its instances from format 1.2), a fixed
//! server `"server": {"instance", "state", "targets": [{"target_group", "state", "reason"}]}`.
//! From format 1.2 `entry_points` also has `"groups": [{"name", "status_command",
//! "instances_command", "session_command", "port_commands": [{"port", "command"}]}]`: an Auto
//! Scaling group's Session Manager commands, with `<instance-id>` for one of its instances.
//!
//! `verdict` is `healthy`, `unknown` (nothing to judge yet: not a failure), `pending` or
//! `unhealthy`. Never a secret: names, hosts, ports and states only.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::aws::health::{Facts, Health, Verdict};
use crate::ops::status::Status;

pub(crate) const STATUS_FORMAT_VERSION: &str = "1.2";

pub(crate) fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "healthy",
        Verdict::Unknown => "unknown",
        Verdict::Pending => "pending",
        Verdict::Unhealthy => "unhealthy",
    }
}

fn mark(v: Verdict, colour: bool) -> String {
    let (symbol, colour_of) = match v {
        Verdict::Healthy => ("✓", anstyle::AnsiColor::Green),
        Verdict::Unknown => ("?", anstyle::AnsiColor::Cyan),
        Verdict::Pending => ("…", anstyle::AnsiColor::Yellow),
        Verdict::Unhealthy => ("✗", anstyle::AnsiColor::Red),
    };
    super::coloured(symbol, colour_of, colour)
}

/// The human view.
pub fn human(status: &Status, colour: bool) -> String {
    let overall = status.overall();
    let mut out = format!(
        "Blueprint {} in {} (account {}): {}\n",
        status.blueprint,
        status.region,
        status.account,
        overall.word()
    );
    let present = status.desired - status.missing.len();
    let _ = writeln!(out, "\nResources: {present} of {} exist", status.desired);
    if !status.missing.is_empty() {
        let _ = writeln!(
            out,
            "  missing:  {} (run `shinyctl apply` to create them)",
            list(&status.missing)
        );
    }
    if !status.drifted.is_empty() {
        let _ = writeln!(
            out,
            "  differ from the blueprint: {} (`shinyctl plan` shows how)",
            list(&status.drifted)
        );
    }
    if !status.health.is_empty() {
        out.push_str("\nHealth:\n");
        let width = status
            .health
            .iter()
            .map(|h| h.address.as_str().len())
            .max()
            .unwrap_or(0);
        for h in &status.health {
            let _ = write!(
                out,
                "  {} {:width$}  {}",
                mark(h.verdict, colour),
                h.address.as_str(),
                h.state
            );
            if let Some(detail) = &h.detail {
                let _ = write!(out, " — {detail}");
            }
            out.push('\n');
        }
    }
    if let Some(r) = &status.rollout {
        let replicas = r.replicas.map_or(String::new(), |(ready, desired)| {
            format!(" ({ready}/{desired} ready)")
        });
        let _ = writeln!(
            out,
            "\nWorkload:\n  {} {}  {}{replicas}",
            mark(r.verdict, colour),
            r.deployment,
            r.state
        );
    }
    if !status.entry.is_empty() {
        out.push_str(&super::entry_points::human(&status.entry));
    }
    out
}

fn list(addresses: &[crate::plan::Address]) -> String {
    const SHOWN: usize = 8;
    let mut words: Vec<&str> = addresses.iter().take(SHOWN).map(|a| a.as_str()).collect();
    let more = addresses.len().saturating_sub(SHOWN);
    let more_text = format!("and {more} more");
    if more > 0 {
        words.push(&more_text);
    }
    words.join(", ")
}

/// The JSON document (`--json`).
pub fn json(status: &Status) -> Value {
    let overall = status.overall();
    let mut entry = super::entry_points::json(&status.entry);
    if let Some(map) = entry.as_object_mut() {
        map.remove("type");
    }
    json!({
        "format_version": STATUS_FORMAT_VERSION,
        "blueprint": status.blueprint,
        "region": status.region,
        "account": status.account,
        "overall": overall.word(),
        "exit_code": overall.exit_code(),
        "resources": {
            "desired": status.desired,
            "missing": status.missing,
            "drifted": status.drifted,
        },
        "entry_points": entry,
        "health": status.health.iter().map(health_json).collect::<Vec<_>>(),
        "rollout": status.rollout.as_ref().map(|r| json!({
            "deployment": r.deployment,
            "state": r.state,
            "verdict": verdict_word(r.verdict),
            "ready": r.replicas.map(|(ready, _)| ready),
            "desired": r.replicas.map(|(_, desired)| desired),
        })),
    })
}

fn health_json(h: &Health) -> Value {
    let mut doc = json!({
        "address": h.address,
        "kind": h.kind.as_str(),
        "name": h.name,
        "state": h.state,
        "verdict": verdict_word(h.verdict),
        "detail": h.detail,
    });
    let (key, facts) = match &h.facts {
        None => return doc,
        Some(Facts::Service(f)) => (
            "service",
            json!({
                "running": f.running,
                "desired": f.desired,
                "pending": f.pending,
                "rollout": f.rollout,
                "rollout_reason": f.rollout_reason,
                "task_definition": f.task_definition,
                "rolled_back": f.rolled_back.as_ref().map(|(td, reason)| json!({
                    "task_definition": td,
                    "reason": reason,
                })),
            }),
        ),
        Some(Facts::Group(f)) => (
            "group",
            json!({
                "in_service": f.in_service,
                "desired": f.desired,
                "min": f.min,
                "max": f.max,
                "unhealthy": f.unhealthy,
                "changing": f.changing
                    .iter()
                    .map(|(state, n)| (state.clone(), json!(n)))
                    .collect::<serde_json::Map<String, Value>>(),
                "refresh": f.refresh.as_ref().map(|(status, percent)| json!({
                    "status": status,
                    "percent_complete": percent,
                })),
                "instances": f.instances.iter().map(|i| json!({
                    "id": i.id,
                    "lifecycle": i.lifecycle,
                    "health": i.health,
                })).collect::<Vec<_>>(),
            }),
        ),
        Some(Facts::Server(f)) => (
            "server",
            json!({
                "instance": f.instance,
                "state": f.state,
                "targets": f.targets.iter().map(|(group, state, reason)| json!({
                    "target_group": group,
                    "state": state,
                    "reason": reason,
                })).collect::<Vec<_>>(),
            }),
        ),
    };
    if let Some(map) = doc.as_object_mut() {
        map.insert(key.into(), facts);
    }
    doc
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::health::Health;
    use crate::ops::entry_points::{ClusterAccess, EntryPoints};
    use crate::ops::status::Rollout;
    use crate::plan::{Address, ResourceKind};

    fn example() -> Status {
        let h = |address: &str, kind, state: &str, verdict, detail: Option<&str>| Health {
            address: Address::new(address),
            kind,
            name: "demo-x".into(),
            state: state.into(),
            verdict,
            detail: detail.map(str::to_string),
            facts: None,
        };
        Status {
            blueprint: "demo".into(),
            region: "eu-west-1".into(),
            account: "123456789012".into(),
            desired: 12,
            missing: vec![],
            drifted: vec![Address::new("cluster.node_group[apps]")],
            entry: EntryPoints {
                url: Some("http://demo-alb.elb.example".into()),
                cluster: Some(ClusterAccess {
                    name: "demo".into(),
                    region: "eu-west-1".into(),
                    kubeconfig_command: "shinyctl kubeconfig -f demo.yaml".into(),
                }),
                ..EntryPoints::default()
            },
            health: vec![
                h(
                    "cluster.eks_cluster",
                    ResourceKind::EksCluster,
                    "ACTIVE",
                    Verdict::Healthy,
                    Some("Kubernetes 1.35"),
                ),
                h(
                    "ingress.target_group[proxy]",
                    ResourceKind::TargetGroup,
                    "1 healthy, 1 unhealthy",
                    Verdict::Unhealthy,
                    Some("Health checks failed"),
                ),
                h(
                    "monitoring.canary[home]",
                    ResourceKind::Canary,
                    "no runs yet",
                    Verdict::Unknown,
                    None,
                ),
            ],
            rollout: Some(Rollout {
                deployment: "shinyproxy/shinyproxy".into(),
                state: "complete".into(),
                verdict: Verdict::Healthy,
                replicas: Some((2, 2)),
            }),
        }
    }

    #[test]
    fn human_and_json() {
        insta::assert_snapshot!("status_human", human(&example(), false));
        insta::assert_json_snapshot!("status_json", json(&example()));
    }

    /// ECS services, an Auto Scaling group and a fixed server, with their counts.
    fn compute() -> Status {
        use crate::aws::health::{
            GroupFacts, GroupInstance, ServerFacts, ServiceFacts, group_health, server_health,
            service_health,
        };
        use crate::plan::ObservedResource;
        let r = |address: &str, kind| ObservedResource {
            address: Address::new(address),
            kind,
            id: "id".into(),
            name: "saas-x".into(),
            properties: Default::default(),
        };
        let web = ServiceFacts {
            running: 2,
            desired: 2,
            pending: 0,
            rollout: Some("COMPLETED".into()),
            rollout_reason: Some("ECS deployment ecs-svc/1 completed.".into()),
            task_definition: Some("saas-web:3".into()),
            rolled_back: None,
        };
        let app1 = ServiceFacts {
            running: 1,
            pending: 1,
            rollout: Some("IN_PROGRESS".into()),
            rollout_reason: Some("ECS deployment ecs-svc/2 in progress.".into()),
            task_definition: Some("saas-app1:2".into()),
            ..web.clone()
        };
        Status {
            blueprint: "saas".into(),
            region: "us-east-1".into(),
            account: "123456789012".into(),
            desired: 30,
            missing: vec![],
            drifted: vec![],
            entry: EntryPoints::default(),
            health: vec![
                service_health(&r("ecs.ecs_service[web]", ResourceKind::EcsService), web, 1),
                service_health(
                    &r("ecs.ecs_service[app1]", ResourceKind::EcsService),
                    app1,
                    2,
                ),
                group_health(
                    &r(
                        "servers.autoscaling_group[app]",
                        ResourceKind::AutoScalingGroup,
                    ),
                    GroupFacts {
                        in_service: 1,
                        desired: 1,
                        min: 1,
                        max: 3,
                        changing: vec![("Terminating:Wait".into(), 1)],
                        unhealthy: 0,
                        refresh: None,
                        instances: vec![
                            GroupInstance {
                                id: "i-0aaa".into(),
                                lifecycle: "InService".into(),
                                health: "Healthy".into(),
                            },
                            GroupInstance {
                                id: "i-0bbb".into(),
                                lifecycle: "Terminating:Wait".into(),
                                health: "Healthy".into(),
                            },
                        ],
                    },
                ),
                server_health(
                    &r("servers.ec2_instance[app_a]", ResourceKind::Ec2Instance),
                    ServerFacts {
                        instance: "i-0abc".into(),
                        state: "running".into(),
                        targets: vec![("saas-app".into(), "healthy".into(), None)],
                    },
                ),
            ],
            rollout: None,
        }
    }

    #[test]
    fn services_groups_and_servers() {
        let status = compute();
        assert_eq!(status.overall().exit_code(), 4, "rolling and draining");
        insta::assert_snapshot!("status_compute_human", human(&status, false));
        insta::assert_json_snapshot!("status_compute_json", json(&status));
    }
}
