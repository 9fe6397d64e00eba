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
//! `verdict` is `healthy`, `unknown` (nothing to judge yet: not a failure), `pending` or
//! `unhealthy`. Never a secret: names, hosts, ports and states only.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::aws::health::Verdict;
use crate::ops::status::Status;

pub const STATUS_FORMAT_VERSION: &str = "1.0";

pub fn verdict_word(v: Verdict) -> &'static str {
    match v {
        Verdict::Healthy => "healthy",
        Verdict::Unknown => "unknown",
        Verdict::Pending => "pending",
        Verdict::Unhealthy => "unhealthy",
    }
}

fn mark(v: Verdict, colour: bool) -> String {
    let (symbol, style) = match v {
        Verdict::Healthy => ("✓", anstyle::AnsiColor::Green),
        Verdict::Unknown => ("?", anstyle::AnsiColor::Cyan),
        Verdict::Pending => ("…", anstyle::AnsiColor::Yellow),
        Verdict::Unhealthy => ("✗", anstyle::AnsiColor::Red),
    };
    if colour {
        let style = anstyle::Style::new().fg_color(Some(style.into()));
        format!("{style}{symbol}{style:#}")
    } else {
        symbol.to_string()
    }
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
        "health": status.health.iter().map(|h| json!({
            "address": h.address,
            "kind": h.kind.as_str(),
            "name": h.name,
            "state": h.state,
            "verdict": verdict_word(h.verdict),
            "detail": h.detail,
        })).collect::<Vec<_>>(),
        "rollout": status.rollout.as_ref().map(|r| json!({
            "deployment": r.deployment,
            "state": r.state,
            "verdict": verdict_word(r.verdict),
            "ready": r.replicas.map(|(ready, _)| ready),
            "desired": r.replicas.map(|(_, desired)| desired),
        })),
    })
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
}
