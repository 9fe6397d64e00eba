//! `cluster`: EKS version and endpoint, Fargate profiles, managed node groups, and whether the
//! proxy and its apps have somewhere to run.

use super::Problems;
use super::text::{glob_match, report_duplicates};
use crate::blueprint::model::{Blueprint, Cluster};
use crate::blueprint::problem::{Problem, child, item};
use ipnet::Ipv4Net;

/// EKS allows up to five selectors per Fargate profile.
const MAX_SELECTORS: usize = 5;

pub(crate) fn check(bp: &Blueprint, out: &mut Problems) {
    let Some(cluster) = &bp.cluster else {
        return;
    };
    check_version(&cluster.version, out);
    check_endpoint(cluster, out);
    check_fargate_profiles(cluster, out);
    check_node_groups(cluster, out);
    check_room_for_proxy(bp, cluster, out);
}

/// The form only: whether EKS supports the version on a given day is judged by
/// `blueprint::support` (offline, by date) and the live plan (by EKS's own answer).
fn check_version(version: &str, out: &mut Problems) {
    let path = "cluster.version";
    let minor = version
        .strip_prefix("1.")
        .filter(|m| !m.is_empty() && m.len() <= 3 && m.bytes().all(|b| b.is_ascii_digit()))
        .and_then(|m| m.parse::<u32>().ok());
    if minor.is_none() {
        out.push(
            Problem::new(
                path,
                format!("`{version}` is not a Kubernetes version of the form 1.NN"),
            )
            .hint("write it quoted, e.g. `version: \"1.35\"`"),
        );
    }
}

fn check_endpoint(cluster: &Cluster, out: &mut Problems) {
    let access = &cluster.endpoint_access;
    if !access.public && !access.private {
        out.push(
            Problem::new(
                "cluster.endpointAccess",
                "the API endpoint is neither public nor private, so nothing could reach it",
            )
            .hint("set `private: true` (reachable from the VPC) and/or `public: true`"),
        );
    }
    for (i, cidr) in access.public_cidrs.iter().enumerate() {
        let path = item("cluster.endpointAccess.publicCidrs", i);
        match cidr.parse::<Ipv4Net>() {
            Err(_) => out.push(
                Problem::new(path, format!("`{cidr}` is not a valid IPv4 CIDR"))
                    .hint("write an address and a prefix length, e.g. `203.0.113.0/24`"),
            ),
            Ok(net) if net.trunc() != net => out.push(
                Problem::new(path, format!("`{cidr}` has host bits set")).hint(format!(
                    "the network address of this block is `{}`",
                    net.trunc()
                )),
            ),
            Ok(_) => {}
        }
    }
}

/// EKS names of Fargate profiles and node groups: a letter or digit, then letters, digits, `-`, `_`.
fn is_eks_name(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name.len() <= 63
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_fargate_profiles(cluster: &Cluster, out: &mut Problems) {
    let base = "cluster.fargateProfiles";
    report_duplicates(
        out,
        cluster
            .fargate_profiles
            .iter()
            .enumerate()
            .map(|(i, p)| (child(&item(base, i), "name"), p.name.as_str())),
        "Fargate profile name",
    );
    for (i, profile) in cluster.fargate_profiles.iter().enumerate() {
        let path = item(base, i);
        if !is_eks_name(&profile.name) {
            out.push(
                Problem::new(child(&path, "name"), format!("`{}` is not a valid Fargate profile name", profile.name))
                    .hint("use up to 63 letters, digits, hyphens and underscores, starting with a letter or digit"),
            );
        }
        if profile.selectors.is_empty() || profile.selectors.len() > MAX_SELECTORS {
            out.push(
                Problem::new(child(&path, "selectors"), format!("{} selectors; EKS needs 1 to {MAX_SELECTORS}", profile.selectors.len()))
                    .hint("each selector names a namespace whose pods run on Fargate; split into more profiles if you need more"),
            );
        }
        for (j, selector) in profile.selectors.iter().enumerate() {
            if selector.namespace.is_empty() {
                out.push(
                    Problem::new(child(&item(&child(&path, "selectors"), j), "namespace"), "the namespace is empty")
                        .hint("name the Kubernetes namespace whose pods run on Fargate (wildcards * and ? are allowed)"),
                );
            }
        }
    }
}

fn check_node_groups(cluster: &Cluster, out: &mut Problems) {
    let base = "cluster.nodeGroups";
    report_duplicates(
        out,
        cluster
            .node_groups
            .iter()
            .enumerate()
            .map(|(i, g)| (child(&item(base, i), "name"), g.name.as_str())),
        "node group name",
    );
    for (i, group) in cluster.node_groups.iter().enumerate() {
        let path = item(base, i);
        if !is_eks_name(&group.name) {
            out.push(
                Problem::new(child(&path, "name"), format!("`{}` is not a valid node group name", group.name))
                    .hint("use up to 63 letters, digits, hyphens and underscores, starting with a letter or digit"),
            );
        }
        if group.instance_types.is_empty() {
            out.push(
                Problem::new(child(&path, "instanceTypes"), "no instance types")
                    .hint("name at least one EC2 instance type, e.g. `[m6i.large]`"),
            );
        }
        for (j, kind) in group.instance_types.iter().enumerate() {
            let parts: Vec<&str> = kind.split('.').collect();
            let looks_right = parts.len() == 2
                && parts.iter().all(|p| {
                    !p.is_empty()
                        && p.bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                });
            if !looks_right {
                out.push(
                    Problem::new(
                        item(&child(&path, "instanceTypes"), j),
                        format!("`{kind}` is not an EC2 instance type"),
                    )
                    .hint("instance types look like `m6i.large` or `t3.xlarge`"),
                );
            }
        }
        if group.max < 1 {
            out.push(
                Problem::new(
                    child(&path, "max"),
                    "max is 0; a node group needs room for at least one node",
                )
                .hint("set `max` to 1 or more"),
            );
        }
        if group.min > group.max {
            out.push(
                Problem::new(
                    child(&path, "min"),
                    format!("min ({}) is greater than max ({})", group.min, group.max),
                )
                .hint("node groups need min <= desired <= max"),
            );
        } else if group.desired < group.min || group.desired > group.max {
            out.push(
                Problem::new(
                    child(&path, "desired"),
                    format!(
                        "desired ({}) is outside min..max ({}..{})",
                        group.desired, group.min, group.max
                    ),
                )
                .hint("node groups need min <= desired <= max"),
            );
        }
        if group.disk_size_gib < 1 {
            out.push(
                Problem::new(child(&path, "diskSizeGib"), "the root volume size is 0 GiB")
                    .hint("leave it out for the default of 50 GiB"),
            );
        }
    }
}

/// ShinyProxy and the apps need nodes or Fargate: without node groups every pod of the proxy's
/// and the apps' namespaces must match a Fargate selector, or it stays Pending forever.
fn check_room_for_proxy(bp: &Blueprint, cluster: &Cluster, out: &mut Problems) {
    let Some(proxy) = &bp.proxy else {
        return;
    };
    if !cluster.node_groups.is_empty() {
        return;
    }
    if cluster.fargate_profiles.is_empty() {
        out.push(
            Problem::new("cluster", "the cluster has neither node groups nor Fargate profiles, so ShinyProxy and its apps have nowhere to run")
                .hint(format!(
                    "add a node group, or a Fargate profile with selectors for the namespaces `{}` and `{}`",
                    proxy.namespace, proxy.app_namespace
                )),
        );
        return;
    }
    let mut namespaces = vec![(&proxy.namespace, "ShinyProxy runs")];
    if proxy.app_namespace != proxy.namespace {
        namespaces.push((&proxy.app_namespace, "the apps run"));
    }
    for (namespace, who) in namespaces {
        let selectors = cluster.fargate_profiles.iter().flat_map(|p| &p.selectors);
        let matching: Vec<_> = selectors
            .filter(|s| glob_match(&s.namespace, namespace))
            .collect();
        if matching.iter().any(|s| s.labels.is_empty()) {
            continue;
        }
        let hint = if matching.is_empty() {
            format!("add `{{namespace: {namespace}}}` to the selectors of a Fargate profile")
        } else {
            format!(
                "the selectors for `{namespace}` also require labels that shinyctl does not put on these pods; \
                 add `{{namespace: {namespace}}}` without labels"
            )
        };
        out.push(
            Problem::new(
                "cluster.fargateProfiles",
                format!("no Fargate selector covers namespace `{namespace}` where {who}, and the cluster has no node groups"),
            )
            .hint(hint),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::super::fixture::{assert_one, paths_after};
    use super::*;
    use crate::blueprint::model::FargateSelector;

    fn cl(bp: &mut Blueprint) -> &mut Cluster {
        bp.cluster.as_mut().unwrap()
    }

    #[test]
    fn version_format() {
        // Support by date is `blueprint::support`'s; any 1.NN has the right form.
        for fine in ["1.3", "1.28", "1.35", "1.36"] {
            assert!(
                paths_after(|bp| cl(bp).version = fine.into()).is_empty(),
                "{fine}"
            );
        }
        assert_one(
            |bp| cl(bp).version = "v1.31".into(),
            "cluster.version",
            "1.NN",
        );
        assert_one(
            |bp| cl(bp).version = "1.31.2".into(),
            "cluster.version",
            "1.NN",
        );
    }

    #[test]
    fn endpoint_access() {
        assert_one(
            |bp| {
                cl(bp).endpoint_access.public = false;
                cl(bp).endpoint_access.private = false;
            },
            "cluster.endpointAccess",
            "neither public nor private",
        );
        assert_one(
            |bp| cl(bp).endpoint_access.public_cidrs.push("1.2.3.4".into()),
            "cluster.endpointAccess.publicCidrs[1]",
            "not a valid IPv4 CIDR",
        );
    }

    #[test]
    fn fargate_profiles() {
        assert_one(
            |bp| {
                let again = cl(bp).fargate_profiles[0].clone();
                cl(bp).fargate_profiles.push(again);
            },
            "cluster.fargateProfiles[1].name",
            "duplicate",
        );
        assert_one(
            |bp| cl(bp).fargate_profiles[0].selectors.clear(),
            "cluster.fargateProfiles[0].selectors",
            "1 to 5",
        );
        assert_one(
            |bp| cl(bp).fargate_profiles[0].name = "-apps".into(),
            "cluster.fargateProfiles[0].name",
            "not a valid",
        );
    }

    #[test]
    fn node_group_sizes() {
        assert_one(
            |bp| cl(bp).node_groups[0].desired = 5,
            "cluster.nodeGroups[0].desired",
            "outside min..max",
        );
        assert_one(
            |bp| cl(bp).node_groups[0].min = 5,
            "cluster.nodeGroups[0].min",
            "greater than max",
        );
        assert_one(
            |bp| {
                let g = &mut cl(bp).node_groups[0];
                (g.min, g.desired, g.max) = (0, 0, 0);
            },
            "cluster.nodeGroups[0].max",
            "max is 0",
        );
        assert_one(
            |bp| cl(bp).node_groups[0].instance_types.clear(),
            "cluster.nodeGroups[0].instanceTypes",
            "no instance types",
        );
        assert_one(
            |bp| cl(bp).node_groups[0].instance_types[0] = "large".into(),
            "cluster.nodeGroups[0].instanceTypes[0]",
            "not an EC2 instance type",
        );
        assert_one(
            |bp| {
                let again = cl(bp).node_groups[0].clone();
                cl(bp).node_groups.push(again);
            },
            "cluster.nodeGroups[1].name",
            "duplicate",
        );
    }

    #[test]
    fn fargate_only_clusters_must_cover_the_proxy_namespaces() {
        // The fixture's Fargate profile covers shiny-apps only; without node groups ShinyProxy's
        // own namespace is uncovered.
        assert_one(
            |bp| cl(bp).node_groups.clear(),
            "cluster.fargateProfiles",
            "`shinyproxy`",
        );
        let covered = paths_after(|bp| {
            cl(bp).node_groups.clear();
            cl(bp).fargate_profiles[0].selectors.push(FargateSelector {
                namespace: "shiny*".into(),
                labels: Default::default(),
            });
        });
        assert!(covered.is_empty(), "{covered:?}");
        let labelled = super::super::fixture::problems_after(|bp| {
            cl(bp).node_groups.clear();
            cl(bp).fargate_profiles[0].selectors.push(FargateSelector {
                namespace: "shinyproxy".into(),
                labels: [("app".to_string(), "proxy".to_string())].into(),
            });
        });
        assert_eq!(labelled.len(), 1);
        assert!(labelled[0].hint.as_deref().unwrap().contains("labels"));
        assert_one(
            |bp| {
                cl(bp).node_groups.clear();
                cl(bp).fargate_profiles.clear();
            },
            "cluster",
            "nowhere to run",
        );
    }
}
