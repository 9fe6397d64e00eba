//! An unset version is the one the existing resource runs: a newer shinyctl or a new AWS release
//! never plans an upgrade nobody asked for (the versions chosen for a blueprint that leaves them
//! out are `blueprint::support::defaults`'s; this needs what AWS runs, so it lives with the load).

use crate::blueprint::Blueprint;
use crate::blueprint::support::defaults::Chosen;
use crate::plan::ObservedState;

/// Where each unset version lives in the resources: (path, address, property).
const RUNNING: &[(&str, &str, &str)] = &[
    ("cluster.version", "cluster.eks_cluster", "version"),
    ("database.version", "database.db_instance", "engineVersion"),
    ("database.version", "database.db_cluster", "engineVersion"),
    (
        "cache.version",
        "cache.cache_replication_group",
        "engineVersion",
    ),
];

/// `bp` with each unset (chosen) version replaced by the one its existing resource runs, when it
/// exists, and those (path, running version); `None` when nothing changes. `proxy` is the
/// ShinyProxy version the proxy's Deployment runs (the tag of its image, when that is the
/// blueprint's proxy image: `ops::live` reads it from the cluster), kept the same way for an
/// unset `proxy.version`.
pub(crate) fn keep_running(
    bp: &Blueprint,
    chosen: &[Chosen],
    observed: &ObservedState,
    proxy: Option<&str>,
) -> Option<(Blueprint, Vec<(&'static str, String)>)> {
    let mut out = bp.clone();
    let mut kept = Vec::new();
    for c in chosen {
        let running = RUNNING
            .iter()
            .filter(|(path, _, _)| *path == c.path)
            .find_map(|(_, address, property)| {
                observed
                    .resources
                    .iter()
                    .find(|r| r.address.as_str() == *address)
                    .and_then(|r| r.properties.get(*property))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            })
            .or_else(|| {
                (c.path == "proxy.version")
                    .then(|| proxy.map(str::to_string))
                    .flatten()
            });
        let Some(running) = running else { continue };
        let slot = match c.path {
            "cluster.version" => out.cluster.as_mut().map(|x| &mut x.version),
            "database.version" => out.database.as_mut().map(|x| &mut x.version),
            "cache.version" => out.cache.as_mut().map(|x| &mut x.version),
            "proxy.version" => out.proxy.as_mut().map(|x| &mut x.version),
            _ => None,
        };
        if let Some(slot) = slot {
            if *slot != running {
                *slot = running.clone();
                kept.push((c.path, running));
            }
        }
    }
    (!kept.is_empty()).then_some((out, kept))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blueprint::Date;
    use crate::blueprint::support::defaults::choose;
    use crate::blueprint::validate::fixture::full;
    use crate::plan::ObservedResource;

    fn day() -> Date {
        Date::parse("2026-12-05").unwrap()
    }

    #[test]
    fn an_existing_resource_keeps_the_version_it_runs() {
        let mut bp = full();
        bp.cluster.as_mut().unwrap().version.clear();
        let chosen = choose(&mut bp, day());
        let mut observed = ObservedState::empty("x", "us-east-1");
        assert_eq!(keep_running(&bp, &chosen, &observed, None), None);
        observed.resources.push(ObservedResource {
            address: crate::plan::Address::new("cluster.eks_cluster"),
            kind: crate::plan::ResourceKind::EksCluster,
            id: "x".into(),
            name: "x".into(),
            properties: serde_json::json!({"version": "1.33"})
                .as_object()
                .cloned()
                .unwrap(),
        });
        let (kept, which) = keep_running(&bp, &chosen, &observed, None).expect("changed");
        assert_eq!(kept.cluster.unwrap().version, "1.33");
        assert_eq!(which, [("cluster.version", "1.33".to_string())]);
    }

    #[test]
    fn an_unpinned_proxy_keeps_the_version_it_runs() {
        let mut bp = full();
        bp.proxy.as_mut().unwrap().version.clear();
        let chosen = choose(&mut bp, day());
        let observed = ObservedState::empty("x", "us-east-1");
        let (kept, which) = keep_running(&bp, &chosen, &observed, Some("3.1.1")).expect("changed");
        assert_eq!(kept.proxy.unwrap().version, "3.1.1");
        assert_eq!(which, [("proxy.version", "3.1.1".to_string())]);
        // A pinned proxy is what the blueprint says, whatever runs.
        let pinned = full();
        assert_eq!(
            keep_running(
                &pinned,
                &choose(&mut pinned.clone(), day()),
                &observed,
                Some("3.1.1")
            ),
            None
        );
    }
}
