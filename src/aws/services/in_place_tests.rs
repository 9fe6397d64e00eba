//! No property may fall through an update: for every kind, every property the catalog sets on
//! any blueprint in `blueprints/` is either replaced on (`replace_on`), changed in place by the
//! kind's update (`in_place`, both in its spec row), `tags`, or fixed at create for a stated
//! reason.
//! A property in none of these would make an empty update: apply says "updated", AWS does
//! nothing, and the next plan shows the same diff forever.

use std::path::Path;

use super::{cache_replication_group, synthetics};
use crate::plan::ResourceKind as K;
use crate::plan::kind::InPlace;

/// The properties the update of `kind` changes in place (its spec row); `None` where the update
/// writes the whole resource again or the kind is not an AWS resource.
fn in_place(kind: K) -> Option<&'static [&'static str]> {
    match kind.spec().in_place {
        InPlace::Only(list) if kind != K::KubernetesObject => Some(list),
        InPlace::Only(_) | InPlace::Whole => None,
    }
}

/// Properties that never change after create: the AWS name, derived from the blueprint's name
/// and the resource's address, which the diff matches resources by (a different name is a
/// different resource, not a change). An EFS creation token is that name too.
const FIXED_AT_CREATE: &[&str] = &[
    "name",
    "bucket",
    "identifier",
    "replicationGroupId",
    "roleName",
    "repositoryName",
    "alarmName",
    "creationToken",
];

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
fn every_property_is_replaced_on_or_changed_in_place() {
    let files = blueprints();
    assert!(!files.is_empty(), "no blueprints found");
    let mut checked = 0;
    let mut uncovered = Vec::new();
    for file in &files {
        let loaded = crate::load::load_file(file).expect("blueprint loads");
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
                    || resource.kind.spec().set_at_create.contains(&k)
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
    assert!(checked > 0, "no resources in blueprints/");
    assert!(
        uncovered.is_empty(),
        "properties neither replaced on nor changed in place:\n{}",
        uncovered.join("\n")
    );
}

/// An adapter that splits its update into several calls keeps a list per call: each is part of
/// its kind's in-place list (the spec row), so the spec promises nothing the update skips.
#[test]
fn the_adapters_call_lists_are_their_kinds_in_place_lists() {
    let parts = |kind: K, lists: &[&[&str]]| {
        let mut named: Vec<&str> = lists.concat();
        named.sort();
        let mut spec = kind.in_place().to_vec();
        spec.sort();
        assert_eq!(named, spec, "{kind:?}");
    };
    parts(
        K::CacheReplicationGroup,
        &[
            cache_replication_group::MODIFY_IN_PLACE,
            &["replicasPerNodeGroup", "numNodeGroups"],
        ],
    );
    parts(
        K::Canary,
        &[synthetics::UPDATE_IN_PLACE, &["startAfterCreation"]],
    );
}

/// A property AWS cannot change in place on a data store replaces it, and the plan lists it as
/// data loss (so apply needs `--allow-data-loss`): the cache's port, found by the test above.
#[test]
fn a_cache_port_change_is_a_replacement_that_loses_data() {
    use crate::plan::{Action, Address, ObservedState, diff};
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("blueprints/lowcode-ha.yaml");
    let loaded = crate::load::load_file(&file).expect("blueprint loads");
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
