//! Desired vs observed: the diff that turns a catalog and an observed state into a Plan. No IO.
//!
//! Per address: absent in AWS -> create; a differing property in the kind's `replace_on` (or the
//! AWS name of a kind AWS names) -> replace; any other difference -> update in place; nothing
//! differs -> no-op. Observed addresses the blueprint no longer asks for -> delete (the observed
//! state only lists resources with this blueprint's ownership tags, so they are ours to delete).

use serde_json::{Map, Value};
use std::collections::{HashMap, HashSet};

use super::document::{
    Action, Change, ClusterRestart, Note, NoteLevel, PLAN_FORMAT_VERSION, Plan, PropertyChange,
    Summary,
};
use super::engine_version::{Standing, standing};
use super::kind::ResourceKind;
use super::observed::{ObservedResource, ObservedState};
use super::resource::{Address, Resource};
use crate::graph::Dag;

/// Plans the changes that make `observed` match `desired`.
pub fn diff(desired: &[Resource], observed: &ObservedState) -> Plan {
    let observed_by_address: HashMap<&Address, &ObservedResource> =
        observed.resources.iter().map(|r| (&r.address, r)).collect();
    let desired_addresses: HashSet<&Address> = desired.iter().map(|r| &r.address).collect();

    // Dependencies come first, so by the time a resource is compared we know which of the
    // resources it refers to are being replaced (and so get new AWS ids).
    let mut changes: Vec<Change> = Vec::with_capacity(desired.len());
    let mut replaced: HashSet<Address> = HashSet::new();
    let mut updated: HashMap<Address, ResourceKind> = HashMap::new();
    let mut notes = Vec::new();
    for i in dependency_order(desired) {
        let resource = &desired[i];
        let change = match observed_by_address.get(&resource.address) {
            None => create(resource),
            Some(existing) => compare(resource, existing, &replaced, &updated, &mut notes),
        };
        if change.action.is_replace() {
            replaced.insert(change.address.clone());
        }
        if change.action == Action::Update {
            updated.insert(change.address.clone(), change.kind);
        }
        changes.push(change);
    }

    // Deletes run dependents first: the reverse of creation order. Observed resources carry no
    // dependencies, so the kind's place in the catalog (roughly creation order) stands in for it.
    let mut deletes: Vec<&ObservedResource> = observed
        .resources
        .iter()
        .filter(|r| !desired_addresses.contains(&r.address))
        .collect();
    deletes.sort_by(|a, b| (kind_rank(b.kind), &b.address).cmp(&(kind_rank(a.kind), &a.address)));
    changes.extend(deletes.into_iter().map(delete));

    let (critical_path_seconds, critical_path) = critical_path(desired, &changes);
    let data_loss = changes
        .iter()
        .filter(|c| c.holds_data && c.action.destroys())
        .map(|c| c.address.clone())
        .collect();
    let cluster_restarts = desired
        .iter()
        .filter_map(|r| r.restarts.as_ref().map(|what| (r, what)))
        .filter(|(r, _)| {
            changes.iter().any(|c| {
                c.address == r.address && matches!(c.action, Action::Update | Action::Replace)
            })
        })
        .map(|(r, what)| ClusterRestart {
            address: r.address.clone(),
            what: what.clone(),
        })
        .collect();
    Plan {
        format_version: PLAN_FORMAT_VERSION.to_string(),
        blueprint: observed.blueprint.clone(),
        region: observed.region.clone(),
        summary: Summary::count(&changes),
        changes,
        critical_path_seconds,
        critical_path,
        data_loss,
        cluster_restarts,
        notes,
        cost: None,
    }
}

fn create(resource: &Resource) -> Change {
    Change {
        address: resource.address.clone(),
        kind: resource.kind,
        name: resource.name.clone(),
        action: Action::Create,
        before: None,
        after: Some(resource.properties.clone()),
        changes: Vec::new(),
        holds_data: resource.kind.holds_data(),
        replaced_because: None,
    }
}

fn delete(existing: &ObservedResource) -> Change {
    Change {
        address: existing.address.clone(),
        kind: existing.kind,
        name: existing.name.clone(),
        action: Action::Delete,
        before: Some(existing.properties.clone()),
        after: None,
        changes: Vec::new(),
        holds_data: existing.kind.holds_data(),
        replaced_because: None,
    }
}

fn compare(
    resource: &Resource,
    existing: &ObservedResource,
    replaced: &HashSet<Address>,
    updated: &HashMap<Address, ResourceKind>,
    notes: &mut Vec<Note>,
) -> Change {
    let mut changes = Vec::new();
    if resource.kind != existing.kind {
        changes.push(PropertyChange {
            name: "kind".into(),
            before: Some(Value::from(existing.kind.as_str())),
            after: Some(Value::from(resource.kind.as_str())),
            forces_replacement: true,
            replaced_reference: None,
            updated_reference: None,
        });
    }
    if resource.name != existing.name {
        // Kinds with a name rule are named by us at creation and AWS cannot rename them; the
        // others carry the name as a `Name` tag, which changes in place.
        changes.push(PropertyChange {
            name: "name".into(),
            before: Some(Value::from(existing.name.clone())),
            after: Some(Value::from(resource.name.clone())),
            forces_replacement: resource.kind.name_rule().is_some(),
            replaced_reference: None,
            updated_reference: None,
        });
    }
    let replace_on = resource.kind.replace_on();
    let set_at_create = resource.kind.spec().set_at_create;
    let computed = resource.kind.spec().computed;
    for key in union_keys(&existing.properties, &resource.properties) {
        // Written at create, then someone else's (an ECS service's desired count); or AWS's
        // when the blueprint leaves it out (an ECS-scaled Auto Scaling group's desired capacity).
        if set_at_create.contains(&key.as_str())
            || (computed.contains(&key.as_str()) && !resource.properties.contains_key(key))
        {
            continue;
        }
        let mut found = Vec::new();
        if key == ENGINE_VERSION && follows_minor_upgrades(resource.kind) {
            if let Some(note) = engine_version(resource, existing, &mut found) {
                notes.push(note);
            }
            changes.extend(
                found
                    .into_iter()
                    .map(|(name, before, after)| PropertyChange {
                        name,
                        before,
                        after,
                        forces_replacement: replace_on.contains(&key.as_str()),
                        replaced_reference: None,
                        updated_reference: None,
                    }),
            );
            continue;
        }
        diff_value(
            &property_path(None, key),
            existing.properties.get(key),
            resource.properties.get(key),
            &mut found,
        );
        let removed =
            existing.properties.contains_key(key) && !resource.properties.contains_key(key);
        let forces = replace_on.contains(&key.as_str())
            || (removed && resource.kind.replace_when_removed().contains(&key.as_str()));
        if found.is_empty() {
            // Unchanged, but it may refer to a resource being replaced: the reference then points
            // at a new AWS id, which AWS can take in place only where the kind allows it.
            let value = resource.properties.get(key);
            if let Some(target) = value.and_then(|v| refers_to(v, replaced)) {
                changes.push(PropertyChange {
                    name: property_path(None, key),
                    before: existing.properties.get(key).cloned(),
                    after: value.cloned(),
                    forces_replacement: forces,
                    replaced_reference: Some(target),
                    updated_reference: None,
                });
            } else if let Some(target) = value.and_then(|v| embeds_updated(v, updated)) {
                // Or embed an attribute of one updated in place that the update changes (a
                // launch template's default version): it changes in the same apply.
                changes.push(PropertyChange {
                    name: property_path(None, key),
                    before: existing.properties.get(key).cloned(),
                    after: value.cloned(),
                    forces_replacement: forces,
                    replaced_reference: None,
                    updated_reference: Some(target),
                });
            }
        }
        changes.extend(
            found
                .into_iter()
                .map(|(name, before, after)| PropertyChange {
                    name,
                    before,
                    after,
                    forces_replacement: forces,
                    replaced_reference: None,
                    updated_reference: None,
                }),
        );
    }
    let replaced_because = changes
        .iter()
        .find(|c| c.forces_replacement)
        .map(|c| c.name.clone());
    let action = if replaced_because.is_some() {
        Action::Replace
    } else if changes.is_empty() {
        Action::NoOp
    } else {
        Action::Update
    };
    Change {
        address: resource.address.clone(),
        kind: resource.kind,
        name: resource.name.clone(),
        action,
        before: Some(existing.properties.clone()),
        after: Some(resource.properties.clone()),
        changes,
        holds_data: resource.kind.holds_data() || existing.kind.holds_data(),
        replaced_because,
    }
}

const ENGINE_VERSION: &str = "engineVersion";

/// Kinds whose engine AWS upgrades by itself within a major version (automatic minor version
/// upgrades; ElastiCache also reports `7.1.0` for a `7.1` pin): see [`super::engine_version`].
fn follows_minor_upgrades(kind: ResourceKind) -> bool {
    matches!(
        kind,
        ResourceKind::DbInstance | ResourceKind::DbCluster | ResourceKind::CacheReplicationGroup
    )
}

/// The engine version's difference, if the plan must change it (an upgrade only), and the note
/// that shows the running version when it is not the pin's text.
fn engine_version(
    resource: &Resource,
    existing: &ObservedResource,
    out: &mut Vec<Difference>,
) -> Option<Note> {
    let before = existing.properties.get(ENGINE_VERSION);
    let after = resource.properties.get(ENGINE_VERSION);
    let (Some(Value::String(running)), Some(Value::String(pinned))) = (before, after) else {
        diff_value(ENGINE_VERSION, before, after, out);
        return None;
    };
    let note = |level, message: String, hint: Option<String>| {
        Some(Note {
            level,
            about: resource.address.to_string(),
            message,
            hint,
        })
    };
    match standing(pinned, running) {
        Standing::Same => None,
        Standing::Upgrade => {
            out.push((ENGINE_VERSION.to_string(), before.cloned(), after.cloned()));
            None
        }
        Standing::WithinPin => note(
            NoteLevel::Info,
            format!("runs engine version {running}, within the blueprint's {pinned}: no change"),
            None,
        ),
        Standing::NewerMinor => note(
            NoteLevel::Info,
            format!(
                "runs engine version {running}, newer than the blueprint's {pinned} (an automatic \
                 minor version upgrade); AWS cannot downgrade it, so nothing is planned"
            ),
            Some(format!(
                "pin a prefix such as `{}` to follow AWS's minor upgrades",
                crate::blueprint::support::major(running, 2)
            )),
        ),
        Standing::NewerMajor => note(
            NoteLevel::Warning,
            format!(
                "runs engine version {running}, a newer major version than the blueprint's \
                 {pinned}; AWS cannot downgrade a major version, so nothing is planned"
            ),
            Some(format!(
                "pin `{running}` (going back means restoring a snapshot into a new database, by hand)"
            )),
        ),
    }
}

/// Keys of both maps: the desired ones in their order, then those only AWS has.
fn union_keys<'a>(
    before: &'a Map<String, Value>,
    after: &'a Map<String, Value>,
) -> Vec<&'a String> {
    let mut keys: Vec<&String> = after.keys().collect();
    keys.extend(before.keys().filter(|k| !after.contains_key(*k)));
    keys
}

/// The first address in `replaced` that `value` mentions (catalog properties refer to other
/// resources by address).
/// The resource updated in place whose changing attribute (its kind's `updated_attributes`)
/// `value` refers to, as `address#attribute` or embedded `${address#attribute}`.
fn embeds_updated(value: &Value, updated: &HashMap<Address, ResourceKind>) -> Option<Address> {
    let changes = |address: &str, attribute: &str| {
        let address = Address::new(address);
        updated
            .get(&address)
            .is_some_and(|kind| kind.spec().updated_attributes.contains(&attribute))
            .then_some(address)
    };
    if let Value::String(s) = value
        && let Some((address, attribute)) = s.split_once('#')
        && let Some(found) = changes(address, attribute)
    {
        return Some(found);
    }
    crate::plan::catalog::embedded::references_in_value(value)
        .into_iter()
        .find_map(|r| changes(r.address, r.attribute?))
}

fn refers_to(value: &Value, replaced: &HashSet<Address>) -> Option<Address> {
    match value {
        Value::String(s) => replaced.get(&Address::new(s.as_str())).cloned(),
        Value::Array(items) => items.iter().find_map(|v| refers_to(v, replaced)),
        Value::Object(map) => map.values().find_map(|v| refers_to(v, replaced)),
        _ => None,
    }
}

type Difference = (String, Option<Value>, Option<Value>);

/// Collects the differences below `path`. Objects are descended into so that a changed tag or
/// parameter shows as itself; lists and scalars are compared whole.
fn diff_value(
    path: &str,
    before: Option<&Value>,
    after: Option<&Value>,
    out: &mut Vec<Difference>,
) {
    if let (Some(Value::Object(b)), Some(Value::Object(a))) = (before, after) {
        for key in union_keys(b, a) {
            diff_value(&property_path(Some(path), key), b.get(key), a.get(key), out);
        }
        return;
    }
    let same = match (before, after) {
        (Some(b), Some(a)) => same_value(b, a),
        (None, None) => true,
        _ => false,
    };
    if !same {
        out.push((path.to_string(), before.cloned(), after.cloned()));
    }
}

/// `tags.Team`, or `tags["kubernetes.io/role/elb"]` when the key is not a plain identifier.
fn property_path(parent: Option<&str>, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    match (parent, plain) {
        (None, true) => key.to_string(),
        (Some(parent), true) => format!("{parent}.{key}"),
        (parent, false) => format!("{}[{}]", parent.unwrap_or(""), Value::from(key)),
    }
}

/// Structural equality where `1` and `1.0` are the same number (AWS APIs are not consistent).
fn same_value(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            match (x.as_i64(), y.as_i64(), x.as_u64(), y.as_u64()) {
                (Some(x), Some(y), _, _) => x == y,
                (_, _, Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(x, y)| same_value(x, y))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| same_value(v, w)))
        }
        _ => a == b,
    }
}

/// Position of a kind in the catalog's listing, which follows creation order.
fn kind_rank(kind: ResourceKind) -> usize {
    ResourceKind::ALL
        .iter()
        .position(|k| *k == kind)
        .unwrap_or(usize::MAX)
}

/// Indices of `desired` with every resource after its dependencies (ties by address, so plans are
/// stable). The load pipeline has already refused cycles; should one slip through, the catalog's
/// own order is kept rather than failing a plan.
fn dependency_order(desired: &[Resource]) -> Vec<usize> {
    let index: HashMap<&Address, usize> = desired
        .iter()
        .enumerate()
        .map(|(i, r)| (&r.address, i))
        .collect();
    match dependency_graph(desired, |_| true).topological_order() {
        Ok(order) => order.iter().filter_map(|a| index.get(a).copied()).collect(),
        Err(_) => (0..desired.len()).collect(),
    }
}

/// The dependency graph among the resources `include` accepts (edges to others are dropped).
fn dependency_graph(desired: &[Resource], include: impl Fn(&Resource) -> bool) -> Dag<Address> {
    let included: HashSet<&Address> = desired
        .iter()
        .filter(|r| include(r))
        .map(|r| &r.address)
        .collect();
    let mut dag = Dag::new();
    for resource in desired.iter().filter(|r| included.contains(&r.address)) {
        dag.add_node(resource.address.clone());
        for dependency in resource.depends_on.iter().filter(|d| included.contains(d)) {
            dag.add_dependency(resource.address.clone(), dependency.clone());
        }
    }
    dag
}

/// The slowest chain of resources to create (creates and replaces), by the kinds' creation-time
/// estimates, following dependencies among the resources being created.
fn critical_path(desired: &[Resource], changes: &[Change]) -> (f64, Vec<Address>) {
    let creating: HashSet<&Address> = changes
        .iter()
        .filter(|c| c.action.creates())
        .map(|c| &c.address)
        .collect();
    let kinds: HashMap<&Address, ResourceKind> =
        desired.iter().map(|r| (&r.address, r.kind)).collect();
    let dag = dependency_graph(desired, |r| creating.contains(&r.address));
    match dag.critical_path(|a| kinds.get(a).map_or(0.0, |k| k.create_seconds())) {
        Ok(path) => (path.total, path.chain),
        Err(_) => (0.0, Vec::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::observed::OBSERVED_FORMAT_VERSION;
    use serde_json::json;

    fn vpc() -> Resource {
        Resource::new("network.vpc", ResourceKind::Vpc, "demo-vpc", "network")
            .with("cidr", "10.0.0.0/16")
            .with(
                "tags",
                json!({"Team": "data", "kubernetes.io/cluster/demo": "shared"}),
            )
    }

    fn subnet(vpc: &Resource) -> Resource {
        Resource::new(
            "network.subnet.private[a]",
            ResourceKind::Subnet,
            "demo-private-a",
            "network",
        )
        .with("cidr", "10.0.0.0/18")
        .with("availabilityZone", "us-east-1a")
        .after(&vpc.address)
    }

    fn database(subnet: &Resource) -> Resource {
        Resource::new(
            "database.instance",
            ResourceKind::DbInstance,
            "demo-db",
            "database",
        )
        .with("engine", "mysql")
        .with("instanceClass", "db.t3.medium")
        .with("parameters", json!({"max_connections": 100}))
        .after(&subnet.address)
    }

    fn stack() -> Vec<Resource> {
        let v = vpc();
        let s = subnet(&v);
        let d = database(&s);
        vec![d, s, v]
    }

    #[test]
    fn empty_account_creates_everything_in_dependency_order() {
        let desired = stack();
        let plan = diff(&desired, &ObservedState::empty("demo", "us-east-1"));
        let order: Vec<&str> = plan.changes.iter().map(|c| c.address.as_str()).collect();
        assert_eq!(
            order,
            [
                "network.vpc",
                "network.subnet.private[a]",
                "database.instance"
            ]
        );
        assert!(plan.changes.iter().all(|c| c.action == Action::Create));
        assert_eq!(plan.summary.add, 3);
        assert!(plan.has_changes());
        assert!(plan.data_loss.is_empty());
        assert_eq!(plan.format_version, PLAN_FORMAT_VERSION);
        assert_eq!(plan.blueprint, "demo");
    }

    #[test]
    fn matching_state_is_all_no_ops() {
        let desired = stack();
        let plan = diff(&desired, &ObservedState::as_desired(&desired));
        assert!(plan.changes.iter().all(|c| c.action == Action::NoOp));
        assert!(!plan.has_changes());
        assert_eq!(plan.summary.unchanged, 3);
        assert_eq!(plan.critical_path_seconds, 0.0);
        assert!(plan.critical_path.is_empty());
    }

    #[test]
    fn an_add_on_role_changes_in_place_but_its_removal_replaces_the_add_on() {
        let role = |arn: &str| {
            Resource::new(
                "cluster.addon[coredns]",
                ResourceKind::EksAddon,
                "coredns",
                "cluster",
            )
            .with("addonName", "coredns")
            .with("serviceAccountRoleArn", arn)
        };
        let observed = ObservedState::as_desired(&[role("arn:aws:iam::1:role/a")]);
        let changed = diff(&[role("arn:aws:iam::1:role/b")], &observed);
        assert_eq!(changed.changes[0].action, Action::Update);
        let without = Resource::new(
            "cluster.addon[coredns]",
            ResourceKind::EksAddon,
            "coredns",
            "cluster",
        )
        .with("addonName", "coredns");
        let removed = diff(&[without], &observed);
        assert_eq!(removed.changes[0].action, Action::Replace);
    }

    #[test]
    fn numbers_compare_by_value() {
        let desired = stack();
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[0].properties["parameters"] = json!({"max_connections": 100.0});
        assert!(!diff(&desired, &observed).has_changes());
    }

    #[test]
    fn a_tag_change_is_an_in_place_update_naming_the_tag() {
        let desired = stack();
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[2].properties["tags"]["Team"] = json!("web");
        observed.resources[2].properties["tags"]["Old"] = json!("x");
        let plan = diff(&desired, &observed);
        let vpc = plan.change("network.vpc").unwrap();
        assert_eq!(vpc.action, Action::Update);
        assert_eq!(
            vpc.changes,
            [
                PropertyChange {
                    name: "tags.Team".into(),
                    before: Some(json!("web")),
                    after: Some(json!("data")),
                    forces_replacement: false,
                    replaced_reference: None,
                    updated_reference: None,
                },
                PropertyChange {
                    name: "tags.Old".into(),
                    before: Some(json!("x")),
                    after: None,
                    forces_replacement: false,
                    replaced_reference: None,
                    updated_reference: None,
                },
            ]
        );
        assert_eq!(plan.summary.change, 1);
        assert_eq!(plan.summary.unchanged, 2);
    }

    #[test]
    fn nested_keys_that_are_not_identifiers_are_quoted() {
        let desired = stack();
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[2].properties["tags"]["kubernetes.io/cluster/demo"] = json!("owned");
        let plan = diff(&desired, &observed);
        let vpc = plan.change("network.vpc").unwrap();
        assert_eq!(vpc.changes[0].name, r#"tags["kubernetes.io/cluster/demo"]"#);
    }

    #[test]
    fn a_replace_names_the_property_that_forces_it() {
        let desired = stack();
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[1].properties["availabilityZone"] = json!("us-east-1b");
        let plan = diff(&desired, &observed);
        let subnet = plan.change("network.subnet.private[a]").unwrap();
        assert_eq!(subnet.action, Action::Replace);
        assert_eq!(subnet.replaced_because.as_deref(), Some("availabilityZone"));
        assert!(subnet.changes[0].forces_replacement);
        assert_eq!(plan.summary.replace, 1);
        // A replaced subnet is recreated, so it is on the critical path; the untouched VPC is not.
        assert_eq!(
            plan.critical_path,
            [Address::new("network.subnet.private[a]")]
        );
    }

    /// A new image for a server group: the launch template gets a new default version in place,
    /// and the servers launched at the old one are replaced in the same plan (not the next), as
    /// the SSM association follows its document's new version in place.
    #[test]
    fn an_attribute_an_update_changes_changes_what_embeds_it() {
        let template = Resource::new(
            "servers.launch_template[app]",
            ResourceKind::LaunchTemplate,
            "t",
            "servers",
        )
        .with("imageId", json!("ami-2"));
        let server = Resource::new(
            "servers.ec2_instance[app-a1]",
            ResourceKind::Ec2Instance,
            "s",
            "servers",
        )
        .with(
            "launchTemplateVersion",
            json!("${servers.launch_template[app]#defaultVersion}"),
        )
        .after(&Address::new("servers.launch_template[app]"));
        let document = Resource::new(
            "servers.ssm_document[app]",
            ResourceKind::SsmDocument,
            "d",
            "servers",
        )
        .with("content", json!("{}"));
        let association = Resource::new(
            "servers.ssm_association[app]",
            ResourceKind::SsmAssociation,
            "a",
            "servers",
        )
        .with(
            "documentVersion",
            json!("${servers.ssm_document[app]#version}"),
        )
        .after(&Address::new("servers.ssm_document[app]"));
        let desired = vec![template, server, document, association];
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[0].properties["imageId"] = json!("ami-1");
        observed.resources[2].properties["content"] = json!("{\"old\": 1}");
        let plan = diff(&desired, &observed);
        let server = plan.change("servers.ec2_instance[app-a1]").unwrap();
        assert_eq!(server.action, Action::Replace);
        assert_eq!(
            server.changes[0].updated_reference,
            Some(Address::new("servers.launch_template[app]"))
        );
        let association = plan.change("servers.ssm_association[app]").unwrap();
        assert_eq!(association.action, Action::Update);
        // Nothing updated in place: nothing follows.
        let unchanged = diff(&desired, &ObservedState::as_desired(&desired));
        assert!(!unchanged.has_changes());
    }

    #[test]
    fn replacing_a_resource_replaces_what_refers_to_it_where_aws_cannot_repoint() {
        let v = vpc();
        let s = subnet(&v);
        let mount = Resource::new(
            "storage.efs_mount_target[a]",
            ResourceKind::EfsMountTarget,
            "demo-efs-a",
            "storage",
        )
        .with("subnet", s.address.as_str())
        .after(&s.address);
        let group = Resource::new(
            "database.db_subnet_group",
            ResourceKind::DbSubnetGroup,
            "demo-db",
            "database",
        )
        .with("subnets", json!([s.address.as_str()]))
        .after(&s.address);
        let desired = vec![v, s, mount, group];
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[1].properties["cidr"] = json!("10.0.64.0/18");
        let plan = diff(&desired, &observed);

        let mount = plan.change("storage.efs_mount_target[a]").unwrap();
        assert_eq!(mount.action, Action::Replace);
        assert_eq!(mount.replaced_because.as_deref(), Some("subnet"));
        assert_eq!(
            mount.changes[0].replaced_reference,
            Some(Address::new("network.subnet.private[a]"))
        );
        // A subnet group takes new subnet ids in place.
        let group = plan.change("database.db_subnet_group").unwrap();
        assert_eq!(group.action, Action::Update);
        assert_eq!(group.changes[0].name, "subnets");
        assert_eq!(plan.summary.replace, 2);
        assert_eq!(
            plan.critical_path,
            [
                Address::new("network.subnet.private[a]"),
                Address::new("storage.efs_mount_target[a]"),
            ]
        );
    }

    #[test]
    fn renaming_an_aws_named_resource_forces_replacement() {
        let desired = stack();
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[0].name = "old-db".into();
        let plan = diff(&desired, &observed);
        let db = plan.change("database.instance").unwrap();
        assert_eq!(db.action, Action::Replace);
        assert_eq!(db.replaced_because.as_deref(), Some("name"));
        assert_eq!(plan.data_loss, [Address::new("database.instance")]);
        // The VPC's name is only a tag.
        observed.resources[0].name = "demo-db".into();
        observed.resources[2].name = "old-vpc".into();
        assert_eq!(
            diff(&desired, &observed)
                .change("network.vpc")
                .unwrap()
                .action,
            Action::Update
        );
    }

    #[test]
    fn a_computed_property_is_compared_only_when_the_blueprint_gives_it() {
        let mut group = Resource::new(
            "ecs.autoscaling_group",
            ResourceKind::AutoScalingGroup,
            "g",
            "ecs",
        )
        .with("minSize", 2);
        let mut observed = ObservedState::as_desired(std::slice::from_ref(&group));
        observed.resources[0]
            .properties
            .insert("desiredCapacity".into(), json!(3));
        // Left to who scales the group: whatever it is now is no change.
        assert!(!diff(std::slice::from_ref(&group), &observed).has_changes());
        // Given, it is compared.
        group = group.with("desiredCapacity", 2);
        let plan = diff(std::slice::from_ref(&group), &observed);
        assert_eq!(plan.changes[0].changes[0].name, "desiredCapacity");
    }

    #[test]
    fn a_change_to_what_restarts_a_cluster_is_listed_and_a_create_is_not() {
        let mut desired = stack();
        desired[0].restarts = Some("every server restarts".into());
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[0].properties["instanceClass"] = json!("db.t3.small");
        let plan = diff(&desired, &observed);
        assert_eq!(
            plan.cluster_restarts,
            [ClusterRestart {
                address: Address::new("database.instance"),
                what: "every server restarts".into()
            }]
        );
        assert!(
            diff(&desired, &ObservedState::as_desired(&desired))
                .cluster_restarts
                .is_empty()
        );
        observed.resources.remove(0);
        assert!(diff(&desired, &observed).cluster_restarts.is_empty());
    }

    #[test]
    fn an_in_place_change_to_a_database_is_not_data_loss() {
        let desired = stack();
        let mut observed = ObservedState::as_desired(&desired);
        observed.resources[0].properties["instanceClass"] = json!("db.t3.small");
        let plan = diff(&desired, &observed);
        assert_eq!(
            plan.change("database.instance").unwrap().action,
            Action::Update
        );
        assert!(plan.data_loss.is_empty());
    }

    #[test]
    fn resources_no_longer_asked_for_are_deleted_dependents_first_and_data_loss_is_listed() {
        let desired = vec![vpc()];
        let all = stack();
        let plan = diff(&desired, &ObservedState::as_desired(&all));
        let order: Vec<(&str, Action)> = plan
            .changes
            .iter()
            .map(|c| (c.address.as_str(), c.action))
            .collect();
        assert_eq!(
            order,
            [
                ("network.vpc", Action::NoOp),
                ("database.instance", Action::Delete),
                ("network.subnet.private[a]", Action::Delete),
            ]
        );
        let db = plan.change("database.instance").unwrap();
        assert!(db.holds_data);
        assert_eq!(db.after, None);
        assert_eq!(plan.data_loss, [Address::new("database.instance")]);
        assert_eq!(plan.summary.destroy, 2);
    }

    #[test]
    fn critical_path_follows_the_slowest_chain() {
        let v = vpc();
        let s = subnet(&v);
        let d = database(&s);
        let role = Resource::new(
            "cluster.role",
            ResourceKind::IamRole,
            "demo-role",
            "cluster",
        );
        let plan = diff(&[role, d, s, v], &ObservedState::empty("demo", "us-east-1"));
        assert_eq!(
            plan.critical_path,
            [
                Address::new("network.vpc"),
                Address::new("network.subnet.private[a]"),
                Address::new("database.instance"),
            ]
        );
        let expected = ResourceKind::Vpc.create_seconds()
            + ResourceKind::Subnet.create_seconds()
            + ResourceKind::DbInstance.create_seconds();
        assert_eq!(plan.critical_path_seconds, expected);
    }

    #[test]
    fn an_engine_pin_is_a_prefix_and_a_minor_upgrade_is_never_undone() {
        let cache = |version: &str| {
            Resource::new(
                "cache.replication_group",
                ResourceKind::CacheReplicationGroup,
                "demo-cache",
                "cache",
            )
            .with("engineVersion", version)
            .with("cacheNodeType", "cache.t3.medium")
        };
        let plan_with = |pinned: &str, running: &str| {
            let mut observed = ObservedState::as_desired(&[cache(running)]);
            observed.resources[0].properties["cacheNodeType"] = json!("cache.t3.medium");
            diff(&[cache(pinned)], &observed)
        };
        // ElastiCache answers 7.1.0 for 7.1: no change, and the plan says what runs.
        let plan = plan_with("7.1", "7.1.0");
        assert!(!plan.has_changes(), "{:?}", plan.changes);
        assert_eq!(plan.notes.len(), 1);
        assert_eq!(plan.notes[0].level, NoteLevel::Info);
        assert_eq!(plan.notes[0].about, "cache.replication_group");
        assert!(plan.notes[0].message.contains("runs engine version 7.1.0"));
        // An automatic minor upgrade (7.1 pinned as 7.1.0, now 7.1.2): no downgrade planned.
        let plan = plan_with("7.1.0", "7.1.2");
        assert!(!plan.has_changes());
        assert!(
            plan.notes[0].message.contains("cannot downgrade"),
            "{:?}",
            plan.notes
        );
        // A newer pin is an in-place upgrade showing the running version as before.
        let plan = plan_with("7.2", "7.1.0");
        let change = plan.change("cache.replication_group").unwrap();
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.changes[0].name, "engineVersion");
        assert_eq!(change.changes[0].before, Some(json!("7.1.0")));
        assert!(plan.notes.is_empty());
        // Another property changing does not drag the version along.
        let mut observed = ObservedState::as_desired(&[cache("7.1.0")]);
        observed.resources[0].properties["cacheNodeType"] = json!("cache.t3.small");
        let plan = diff(&[cache("7.1")], &observed);
        let change = plan.change("cache.replication_group").unwrap();
        let names: Vec<&str> = change.changes.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["cacheNodeType"]);
        // A newer major than the pin: nothing planned, a warning.
        let mut observed =
            ObservedState::as_desired(&[database(&subnet(&vpc())).with("engineVersion", "17.2")]);
        observed.resources[0].properties["engineVersion"] = json!("17.2");
        let plan = diff(
            &[database(&subnet(&vpc())).with("engineVersion", "16.4")],
            &observed,
        );
        assert!(!plan.has_changes());
        assert_eq!(plan.notes[0].level, NoteLevel::Warning);
    }

    #[test]
    fn observed_format_version_is_carried() {
        assert_eq!(
            ObservedState::empty("a", "b").format_version,
            OBSERVED_FORMAT_VERSION
        );
    }
}
