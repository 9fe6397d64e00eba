//! Drawings of the resource graph (`shinyctl graph`): Graphviz dot and Mermaid. Resources are
//! clustered by AWS service, arrows run from a dependency to what needs it (creation order), and
//! the critical path (the slowest chain, by creation-time estimates) is drawn in red. A cycle,
//! which validation rejects anyway, is drawn dashed instead.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use crate::plan::catalog::critical_path;
use crate::plan::{Address, Resource};

const CRITICAL: &str = "#d62728";

/// Nodes by service and edges `(dependency, dependent)`, sorted, plus what to highlight.
struct Layout<'r> {
    by_service: BTreeMap<&'static str, Vec<&'r Resource>>,
    /// Dependencies that are not themselves in the list.
    dangling: BTreeSet<&'r Address>,
    edges: Vec<(&'r Address, &'r Address)>,
    highlighted: BTreeSet<Address>,
    /// Consecutive pairs along the highlighted chain (or cycle).
    highlighted_edges: BTreeSet<(Address, Address)>,
    /// Critical-path total in seconds, or None when the graph has a cycle.
    total: Option<f64>,
}

fn layout(resources: &[Resource]) -> Layout<'_> {
    let mut by_service: BTreeMap<&'static str, Vec<&Resource>> = BTreeMap::new();
    for r in resources {
        by_service.entry(r.kind.service()).or_default().push(r);
    }
    for group in by_service.values_mut() {
        group.sort_by(|a, b| a.address.cmp(&b.address));
    }
    let known: BTreeSet<&Address> = resources.iter().map(|r| &r.address).collect();
    let mut edges: Vec<(&Address, &Address)> = resources
        .iter()
        .flat_map(|r| r.depends_on.iter().map(move |d| (d, &r.address)))
        .collect();
    edges.sort();
    edges.dedup();
    let dangling = edges
        .iter()
        .map(|(d, _)| *d)
        .filter(|d| !known.contains(d))
        .collect();
    let (chain, total, closed) = match critical_path(resources) {
        Ok(path) => (path.chain, Some(path.total), false),
        Err(cycle) => (cycle.0, None, true),
    };
    let mut highlighted_edges: BTreeSet<(Address, Address)> = chain
        .windows(2)
        .map(|pair| (pair[0].clone(), pair[1].clone()))
        .collect();
    if closed {
        // A cycle lists each node depending on the next: draw dependency -> dependent.
        highlighted_edges = highlighted_edges.into_iter().map(|(a, b)| (b, a)).collect();
        if let (Some(first), Some(last)) = (chain.first(), chain.last()) {
            highlighted_edges.insert((first.clone(), last.clone()));
        }
    }
    Layout {
        by_service,
        dangling,
        edges,
        highlighted: chain.into_iter().collect(),
        highlighted_edges,
        total,
    }
}

/// Graphviz dot.
pub fn dot(resources: &[Resource]) -> String {
    let l = layout(resources);
    let mut out = String::new();
    let _ = writeln!(out, "digraph shinyctl {{");
    let _ = writeln!(out, "  rankdir=LR;");
    match l.total {
        Some(total) => {
            let _ = writeln!(
                out,
                "  label=\"critical path (red): about {}\"; labelloc=t;",
                minutes(total)
            );
        }
        None => {
            let _ = writeln!(out, "  label=\"dependency cycle (dashed)\"; labelloc=t;");
        }
    }
    let _ = writeln!(
        out,
        "  node [shape=box, style=rounded, fontname=\"Helvetica\", fontsize=10];"
    );
    let highlight = if l.total.is_some() {
        format!("color=\"{CRITICAL}\", penwidth=2.5")
    } else {
        format!("color=\"{CRITICAL}\", style=dashed, penwidth=2.5")
    };
    for (service, group) in &l.by_service {
        let _ = writeln!(out, "  subgraph \"cluster_{service}\" {{");
        let _ = writeln!(out, "    label=\"{service}\"; style=dashed; color=grey;");
        for r in group {
            let extra = if l.highlighted.contains(&r.address) {
                format!(", {highlight}")
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "    {} [label=\"{}\\n{}\"{extra}];",
                dot_id(r.address.as_str()),
                dot_escape(r.address.as_str()),
                r.kind.as_str()
            );
        }
        let _ = writeln!(out, "  }}");
    }
    for address in &l.dangling {
        let _ = writeln!(
            out,
            "  {} [label=\"{} (missing)\", style=dotted];",
            dot_id(address.as_str()),
            dot_escape(address.as_str())
        );
    }
    for (from, to) in &l.edges {
        let pair = ((*from).clone(), (*to).clone());
        let extra = if l.highlighted_edges.contains(&pair) {
            format!(" [{highlight}]")
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {} -> {}{extra};",
            dot_id(from.as_str()),
            dot_id(to.as_str())
        );
    }
    out.push_str("}\n");
    out
}

/// Mermaid flowchart (renders in GitHub and GitLab markdown).
pub fn mermaid(resources: &[Resource]) -> String {
    let l = layout(resources);
    // Mermaid ids must be plain words: number the nodes in drawing order.
    let mut ids: BTreeMap<&Address, String> = BTreeMap::new();
    let mut out = String::from("flowchart LR\n");
    for (service, group) in &l.by_service {
        let _ = writeln!(out, "  subgraph svc_{} [\"{service}\"]", word(service));
        for r in group {
            let id = format!("n{}", ids.len());
            let _ = writeln!(
                out,
                "    {id}[\"{}<br/>{}\"]",
                mermaid_escape(r.address.as_str()),
                r.kind.as_str()
            );
            ids.insert(&r.address, id);
        }
        out.push_str("  end\n");
    }
    for address in &l.dangling {
        let id = format!("n{}", ids.len());
        let _ = writeln!(
            out,
            "  {id}[\"{} (missing)\"]",
            mermaid_escape(address.as_str())
        );
        ids.insert(address, id);
    }
    // `linkStyle` counts links in the order they are written.
    let mut highlighted_links = Vec::new();
    let mut written = 0usize;
    for (from, to) in &l.edges {
        let (Some(a), Some(b)) = (ids.get(from), ids.get(to)) else {
            continue;
        };
        let _ = writeln!(out, "  {a} --> {b}");
        if l.highlighted_edges
            .contains(&((*from).clone(), (*to).clone()))
        {
            highlighted_links.push(written.to_string());
        }
        written += 1;
    }
    let marked: Vec<&str> = ids
        .iter()
        .filter(|(address, _)| l.highlighted.contains(*address))
        .map(|(_, id)| id.as_str())
        .collect();
    if !marked.is_empty() {
        let dash = if l.total.is_some() {
            ""
        } else {
            ",stroke-dasharray:5 5"
        };
        let _ = writeln!(
            out,
            "  classDef critical stroke:{CRITICAL},stroke-width:3px{dash}"
        );
        let _ = writeln!(out, "  class {} critical", marked.join(","));
    }
    if !highlighted_links.is_empty() {
        let _ = writeln!(
            out,
            "  linkStyle {} stroke:{CRITICAL},stroke-width:3px",
            highlighted_links.join(",")
        );
    }
    out
}

fn minutes(seconds: f64) -> String {
    if seconds >= 90.0 {
        format!("{:.0} min", seconds / 60.0)
    } else {
        format!("{seconds:.0} s")
    }
}

fn dot_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn dot_id(s: &str) -> String {
    format!("\"{}\"", dot_escape(s))
}

fn mermaid_escape(s: &str) -> String {
    s.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

fn word(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ResourceKind;

    fn resources() -> Vec<Resource> {
        let vpc = Resource::new("network.vpc", ResourceKind::Vpc, "x-vpc", "network");
        let subnet = Resource::new(
            "network.subnet.private[a]",
            ResourceKind::Subnet,
            "x-private-a",
            "network",
        )
        .after(&vpc.address);
        let role = Resource::new(
            "cluster.iam_role.cluster",
            ResourceKind::IamRole,
            "r",
            "cluster",
        );
        let eks = Resource::new(
            "cluster.eks_cluster",
            ResourceKind::EksCluster,
            "x",
            "cluster",
        )
        .after(&subnet.address)
        .after(&role.address);
        vec![vpc, subnet, role, eks]
    }

    #[test]
    fn dot_drawing() {
        insta::assert_snapshot!(dot(&resources()));
    }

    #[test]
    fn mermaid_drawing() {
        insta::assert_snapshot!(mermaid(&resources()));
    }

    #[test]
    fn cycles_and_missing_dependencies_still_draw() {
        let a = Resource::new("a", ResourceKind::Vpc, "a", "network")
            .after(&Address::new("b"))
            .after(&Address::new("gone"));
        let b = Resource::new("b", ResourceKind::Subnet, "b", "network").after(&a.address);
        let drawn = dot(&[a.clone(), b.clone()]);
        assert!(drawn.contains("dependency cycle"), "{drawn}");
        assert!(drawn.contains("gone (missing)"), "{drawn}");
        let drawn = mermaid(&[a, b]);
        assert!(drawn.contains("stroke-dasharray"), "{drawn}");
    }

    #[test]
    fn quotes_are_escaped() {
        let odd = Resource::new(
            "monitoring.sns_subscription[\"x\"]",
            ResourceKind::SnsSubscription,
            "x",
            "m",
        );
        assert!(dot(std::slice::from_ref(&odd)).contains("[\\\"x\\\"]"));
        assert!(mermaid(&[odd]).contains("#quot;x#quot;"));
    }
}
