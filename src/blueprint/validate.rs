//! Semantic validation: the checks a typed blueprint must pass before planning, i.e. the mistakes
//! users would otherwise discover minutes into an apply. Pure; reports every problem (never stops
//! at the first), each with the YAML path of the value to fix and a hint saying how.
//!
//! One submodule per blueprint section. Cross-section rules (e.g. "replicas > 1 needs a cache")
//! live with the section whose value the user has to change.

mod cache;
mod cluster;
mod database;
mod ecs;
mod images;
mod ingress;
mod metadata;
mod monitoring;
mod network;
mod proxy;
mod registry;
mod servers;
mod storage;
mod text;
mod workbench;

#[cfg(test)]
pub(crate) mod fixture;

use super::model::Blueprint;
use super::problem::Problem;

type Problems = Vec<Problem>;

/// Every semantic problem of the blueprint, in document order of the sections.
pub(crate) fn validate(bp: &Blueprint) -> Vec<Problem> {
    let mut out = Problems::new();
    metadata::check(bp, &mut out);
    network::check(bp, &mut out);
    cluster::check(bp, &mut out);
    storage::check(bp, &mut out);
    database::check(bp, &mut out);
    cache::check(bp, &mut out);
    registry::check(bp, &mut out);
    ingress::check(bp, &mut out);
    monitoring::check(bp, &mut out);
    proxy::check(bp, &mut out);
    servers::check(bp, &mut out);
    ecs::check(bp, &mut out);
    images::check(bp, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::fixture::{full, problems_after};

    #[test]
    fn the_full_example_is_valid() {
        assert_eq!(super::validate(&full()), vec![]);
    }

    #[test]
    fn every_problem_is_reported_not_just_the_first() {
        let found = problems_after(|bp| {
            bp.metadata.name = "Bad_Name".into();
            bp.network.as_mut().unwrap().cidr = "10.0.0.0/33".into();
            bp.proxy.as_mut().unwrap().replicas = 3;
            bp.cache = None;
        });
        let paths: Vec<&str> = found.iter().map(|p| p.path.as_str()).collect();
        assert!(paths.contains(&"metadata.name"), "{paths:?}");
        assert!(paths.contains(&"network.cidr"), "{paths:?}");
        assert!(paths.contains(&"proxy.replicas"), "{paths:?}");
    }
}
