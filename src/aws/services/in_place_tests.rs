//! No property may fall through an update: for the data stores' kinds, every property the catalog
//! sets on any blueprint in `blueprints/` is either replaced on (`replace_on`), changed in place by
//! the kind's update function (its `IN_PLACE` list), `tags`, or fixed at create for a stated reason.
//! A property in none of these would make an empty modify call: apply says "updated", AWS does
//! nothing, and the next plan shows the same diff forever.

use std::path::Path;

use super::{elasticache, rds};
use crate::plan::ResourceKind as K;

/// What the update function of `kind` changes in place.
fn in_place(kind: K) -> Option<Vec<&'static str>> {
    Some(
        match kind {
            K::DbInstance | K::DbClusterInstance => rds::INSTANCE_IN_PLACE,
            K::DbCluster => rds::CLUSTER_IN_PLACE,
            K::DbSubnetGroup => rds::SUBNET_GROUP_IN_PLACE,
            K::DbParameterGroup | K::DbClusterParameterGroup => rds::PARAMETER_GROUP_IN_PLACE,
            K::CacheReplicationGroup => {
                return Some(
                    [elasticache::MODIFY_IN_PLACE, elasticache::RESHAPE_IN_PLACE].concat(),
                );
            }
            K::CacheSubnetGroup => elasticache::SUBNET_GROUP_IN_PLACE,
            K::CacheParameterGroup => elasticache::PARAMETER_GROUP_IN_PLACE,
            _ => return None,
        }
        .to_vec(),
    )
}

/// Properties that never change after create: the AWS name, derived from the blueprint's name
/// and the resource's address, which the diff matches resources by (a different name is a
/// different resource, not a change).
const FIXED_AT_CREATE: &[&str] = &["name", "identifier", "replicationGroupId"];

fn blueprints() -> Vec<std::path::PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("blueprints/ is readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_data_store_property_is_replaced_on_or_changed_in_place() {
    let files = blueprints();
    assert!(!files.is_empty(), "no blueprints found");
    let mut checked = 0;
    let mut uncovered = Vec::new();
    for file in &files {
        let loaded = crate::blueprint::load_file(file).expect("blueprint loads");
        for resource in crate::plan::catalog::desired(&loaded.blueprint) {
            let Some(in_place) = in_place(resource.kind) else {
                continue;
            };
            for key in resource.properties.keys() {
                checked += 1;
                let k = key.as_str();
                if k == "tags"
                    || resource.kind.replace_on().contains(&k)
                    || in_place.contains(&k)
                    || FIXED_AT_CREATE.contains(&k)
                {
                    continue;
                }
                uncovered.push(format!(
                    "{}: {:?}.{k} ({})",
                    file.display(),
                    resource.kind,
                    resource.address.as_str()
                ));
            }
        }
    }
    assert!(checked > 0, "no data store resources in blueprints/");
    assert!(
        uncovered.is_empty(),
        "properties neither replaced on nor changed in place:\n{}",
        uncovered.join("\n")
    );
}

#[test]
fn in_place_lists_do_not_overlap_replace_on() {
    for kind in [
        K::DbInstance,
        K::DbClusterInstance,
        K::DbCluster,
        K::DbSubnetGroup,
        K::DbParameterGroup,
        K::DbClusterParameterGroup,
        K::CacheReplicationGroup,
        K::CacheSubnetGroup,
        K::CacheParameterGroup,
    ] {
        let in_place = in_place(kind).expect("a data store kind");
        for key in kind.replace_on() {
            assert!(!in_place.contains(key), "{kind:?}.{key} is in both lists");
        }
    }
}

/// A property AWS cannot change in place on a data store replaces it, and the plan lists it as
/// data loss (so apply needs `--allow-data-loss`): the cache's port, found by the test above.
#[test]
fn a_cache_port_change_is_a_replacement_that_loses_data() {
    use crate::plan::{Action, Address, ObservedState, diff};
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints/lowcode-ha.yaml");
    let loaded = crate::blueprint::load_file(&file).expect("blueprint loads");
    let desired = crate::plan::catalog::desired(&loaded.blueprint);
    let mut observed = ObservedState::as_desired(&desired);
    let cache = observed
        .resources
        .iter_mut()
        .find(|r| r.kind == K::CacheReplicationGroup)
        .expect("lowcode-ha has a cache");
    cache.properties.insert("port".into(), 6380.into());
    let address = cache.address.clone();
    let plan = diff(&desired, &observed);
    let change = plan
        .change(address.as_str())
        .expect("the cache is in the plan");
    assert_eq!(change.action, Action::Replace);
    assert_eq!(change.replaced_because.as_deref(), Some("port"));
    assert_eq!(plan.data_loss, [Address::new(address.as_str())]);
}
