//! The reachability check: from the planned security groups, subnets and routes alone, prove
//! that every flow the platform needs is allowed — clients and canaries to the load balancer,
//! the load balancer to its targets on the target port, ShinyProxy to its apps, every pod to
//! CoreDNS (53 TCP and UDP) and to the Kubernetes API, the control plane to the kubelets and
//! the load balancer controller's webhook, and the workloads to EFS (2049), the database and the
//! cache. A flow is allowed when a rule of one of the source's groups lets it out, a rule of one
//! of the destination's groups lets it in (security groups are stateful: answers need no rule),
//! and, from the internet, the destination is public and its subnets route to an internet
//! gateway. Pure: no IO. A missing flow names the rule that would allow it.

mod flows;
mod network;

pub(crate) use flows::targets_run_on;
#[cfg(test)]
pub(crate) use flows::{Runs, namespace_runs_on};

use crate::blueprint::{Blueprint, Problem};
use crate::plan::Resource;
use crate::plan::catalog::addresses as a;
use flows::{Endpoint, Flow, Place};
use network::{Network, Peer};

/// A flow the planned network does not allow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unreachable {
    /// `ShinyProxy on node_group[proxy] -> apps on Fargate (tcp 3838)`.
    pub(crate) flow: String,
    /// The YAML path the flow comes from.
    pub(crate) about: String,
    /// Why it is not allowed, one reason per missing piece.
    pub(crate) reasons: Vec<String>,
    /// The rules (or changes) that would allow it.
    pub(crate) fixes: Vec<String>,
}

/// Every needed flow `resources` (planned for `bp`) do not allow.
pub(crate) fn check(bp: &Blueprint, resources: &[Resource]) -> Vec<Unreachable> {
    let net = Network::of(resources);
    let mut out: Vec<Unreachable> = Vec::new();
    for flow in flows::needed(bp, resources, &net) {
        if let Some(missing) = judge(&flow, &net)
            && !out.contains(&missing)
        {
            out.push(missing);
        }
    }
    out
}

/// [`check`]'s findings as blueprint problems (errors), at the YAML path each flow comes from.
pub(crate) fn problems(bp: &Blueprint, resources: &[Resource]) -> Vec<Problem> {
    check(bp, resources)
        .into_iter()
        .map(|u| {
            Problem::new(
                &u.about,
                format!(
                    "the planned network does not allow {}: {}",
                    u.flow,
                    u.reasons.join("; ")
                ),
            )
            .hint(format!("what would allow it: {}", u.fixes.join("; ")))
        })
        .collect()
}

/// A group's name in messages: its address, and what the one EKS makes is.
fn group_name(group: &str) -> String {
    if group == a::EKS_MADE_SG {
        format!("{group} (the cluster security group EKS makes)")
    } else {
        group.to_string()
    }
}

fn place_name(place: &Place) -> String {
    match (&place.subnet, place.cidr) {
        (Some(s), Some(c)) => format!("{s} ({c})"),
        (Some(s), None) => s.clone(),
        (None, Some(c)) => c.to_string(),
        (None, None) => "an unknown address".into(),
    }
}

/// Whether a rule's peer covers `other` at `place`: one of its groups, or a CIDR holding the
/// place's whole CIDR.
fn peer_covers(peer: &Peer, other: &Endpoint, place: &Place) -> bool {
    match peer {
        Peer::Group(g) => other.groups.as_ref().is_some_and(|gs| gs.contains(g)),
        Peer::Cidr(cidr) => place.cidr.is_some_and(|c| cidr.contains(&c)),
    }
}

/// Whether one of `side`'s groups has a rule (`egress` or ingress) for the flow to or from
/// `other` at `place`. A side without planned groups is not shinyctl's to check.
fn side_allows(
    flow: &Flow,
    side: &Endpoint,
    egress: bool,
    other: &Endpoint,
    place: &Place,
    net: &Network,
) -> bool {
    let Some(groups) = &side.groups else {
        return true;
    };
    groups.iter().any(|g| {
        net.rules.get(g).is_some_and(|rules| {
            rules.iter().any(|r| {
                r.egress == egress
                    && r.admits(flow.protocol, flow.port)
                    && peer_covers(&r.peer, other, place)
            })
        })
    })
}

/// The rules that would allow the missing side: on the side's first group, naming the other
/// end's first group, else each place's CIDR.
fn rules_for(
    flow: &Flow,
    side: &Endpoint,
    egress: bool,
    other: &Endpoint,
    places: &[&Place],
) -> Vec<String> {
    // Rather one of shinyctl's groups than the one EKS makes.
    let preferred = |e: &Endpoint| {
        e.groups
            .as_ref()
            .and_then(|g| g.iter().find(|g| *g != a::EKS_MADE_SG).or(g.first()))
            .cloned()
    };
    let group = preferred(side).map_or_else(
        || format!("a security group of {}", side.what),
        |g| group_name(&g),
    );
    let peers: Vec<String> = match preferred(other) {
        Some(g) => vec![format!("security group {}", group_name(&g))],
        None => places.iter().map(|p| place_name(p)).collect(),
    };
    peers
        .into_iter()
        .map(|peer| {
            format!(
                "{} {} {} on {group} {} {peer}",
                if egress { "egress" } else { "ingress" },
                flow.protocol.name(),
                flow.port,
                if egress { "to" } else { "from" },
            )
        })
        .collect()
}

fn judge(flow: &Flow, net: &Network) -> Option<Unreachable> {
    let mut reasons = Vec::new();
    let mut fixes = Vec::new();
    if flow.to.places.is_empty() {
        reasons.push(format!("{} has nowhere to run", flow.to.what));
        fixes.push("a node group, or a Fargate profile selecting the namespace".into());
    }
    if flow.from.outside && !flow.to.public {
        reasons.push(format!("{} has no address on the internet", flow.to.what));
        fixes.push("an internet-facing load balancer (ingress.scheme: internet-facing)".into());
    }
    if flow.from.outside && flow.to.public {
        let unrouted: Vec<&Place> = flow
            .to
            .places
            .iter()
            .filter(|p| {
                !p.subnet
                    .as_ref()
                    .is_some_and(|s| net.internet_routed.contains(s))
            })
            .collect();
        if !unrouted.is_empty() {
            reasons.push(format!(
                "{} has no route to an internet gateway",
                places_text(&unrouted)
            ));
            fixes.push(format!(
                "a 0.0.0.0/0 route to {} in their route table",
                a::INTERNET_GATEWAY
            ));
        }
    }
    // Egress is judged against each destination place, ingress against each source place.
    let out_missing: Vec<&Place> = flow
        .to
        .places
        .iter()
        .filter(|to| !side_allows(flow, &flow.from, true, &flow.to, to, net))
        .collect();
    if !out_missing.is_empty() {
        reasons.push(format!(
            "no egress rule of {} lets it out to {}",
            groups_text(&flow.from),
            where_text(&flow.to, &out_missing)
        ));
        fixes.extend(rules_for(flow, &flow.from, true, &flow.to, &out_missing));
    }
    let in_missing: Vec<&Place> = flow
        .from
        .places
        .iter()
        .filter(|from| !side_allows(flow, &flow.to, false, &flow.from, from, net))
        .collect();
    if !in_missing.is_empty() && !flow.to.places.is_empty() {
        reasons.push(format!(
            "no ingress rule of {} lets it in from {}",
            groups_text(&flow.to),
            where_text(&flow.from, &in_missing)
        ));
        fixes.extend(rules_for(flow, &flow.to, false, &flow.from, &in_missing));
    }
    (!reasons.is_empty()).then(|| Unreachable {
        flow: flow.name(),
        about: flow.about.clone(),
        reasons,
        fixes,
    })
}

fn places_text(places: &[&Place]) -> String {
    places
        .iter()
        .map(|p| place_name(p))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The other end as a reason names it: what it is, and where the flow is missing.
fn where_text(e: &Endpoint, places: &[&Place]) -> String {
    format!("{} at {}", e.what, places_text(places))
}

fn groups_text(e: &Endpoint) -> String {
    match e.groups.as_deref() {
        Some([]) | None => format!("{} (no security group)", e.what),
        Some(groups) => groups
            .iter()
            .map(|g| group_name(g))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests;
