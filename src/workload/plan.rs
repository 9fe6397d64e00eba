//! The workload's Kubernetes objects as plan resources, so a live plan lists them beside the AWS
//! resources (`workload.deployment[shinyproxy]`, kind `kubernetes_object`) and `plan::diff`
//! compares them like any other. Pure: the caller fetches what the cluster has (by the ownership
//! labels) and passes it in.
//!
//! Properties are the object's top-level fields (`apiVersion`, `kind`, `metadata`, `spec`, ...);
//! the diff walks into them, so an update names exactly what differs (`spec.replicas`). What the
//! cluster has is compared only at the paths shinyctl sets: the API server adds defaults, status
//! and bookkeeping that are not shinyctl's to manage. A Secret's `data` is never read into a
//! property: plans are printed and saved.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use crate::plan::{Address, ObservedResource, Resource, ResourceKind};

use super::object_id;

/// The section every workload address starts with.
pub(crate) const SECTION: &str = "workload";

/// Addresses for a set of objects: `workload.<kind>[<name>]`, or `[<namespace>/<name>]` when
/// objects of one kind share a name across namespaces.
pub(crate) struct Addresses {
    ambiguous: BTreeSet<(String, String)>,
}

impl Addresses {
    /// Addresses unique among `objects` (desired and live together, so both sides agree).
    pub(crate) fn new<'a>(objects: impl IntoIterator<Item = &'a Value>) -> Addresses {
        let mut namespaces: BTreeMap<(String, String), BTreeSet<String>> = BTreeMap::new();
        for object in objects {
            let (kind, namespace, name) = parts(object);
            namespaces
                .entry((kind, name))
                .or_default()
                .insert(namespace);
        }
        Addresses {
            ambiguous: namespaces
                .into_iter()
                .filter(|(_, ns)| ns.len() > 1)
                .map(|(key, _)| key)
                .collect(),
        }
    }

    pub(crate) fn of(&self, object: &Value) -> Address {
        let (kind, namespace, name) = parts(object);
        let key = if self.ambiguous.contains(&(kind.clone(), name.clone())) && !namespace.is_empty()
        {
            format!("{namespace}/{name}")
        } else {
            name
        };
        Address::new(format!("{SECTION}.{}[{key}]", snake(&kind)))
    }
}

fn parts(object: &Value) -> (String, String, String) {
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (
        text(&object["kind"]),
        text(&object["metadata"]["namespace"]),
        text(&object["metadata"]["name"]),
    )
}

/// `PersistentVolumeClaim` -> `persistent_volume_claim`.
fn snake(kind: &str) -> String {
    let mut out = String::new();
    for (i, c) in kind.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// The name shown in plans: `namespace/name` or `name`.
fn display_name(object: &Value) -> String {
    let (_, namespace, name) = parts(object);
    if namespace.is_empty() {
        name
    } else {
        format!("{namespace}/{name}")
    }
}

/// The rendered objects as desired resources; each depends on `depends_on` (the cluster and
/// what the workload needs from AWS), which orders them after those in the plan.
pub(crate) fn desired(
    objects: &[Value],
    addresses: &Addresses,
    depends_on: &[Address],
) -> Vec<Resource> {
    objects
        .iter()
        .map(|object| {
            let mut resource = Resource::new(
                addresses.of(object).as_str(),
                ResourceKind::KubernetesObject,
                display_name(object),
                "proxy",
            );
            resource.properties = fields(&without_secret_data(object));
            for dependency in depends_on {
                resource = resource.after(dependency);
            }
            resource
        })
        .collect()
}

/// What the cluster has (`live`, the objects carrying this blueprint's labels) as observed
/// resources. An object the blueprint also renders is compared at the rendered paths only; one
/// it no longer renders keeps just its identity (it is deleted as a whole).
pub(crate) fn observed(
    desired: &[Value],
    live: &[Value],
    addresses: &Addresses,
) -> Vec<ObservedResource> {
    let wanted: BTreeMap<String, &Value> = desired.iter().map(|o| (object_id(o), o)).collect();
    live.iter()
        .map(|object| {
            let id = object_id(object);
            let have = without_secret_data(object);
            let shaped = match wanted.get(&id) {
                Some(desired) => shape_like(&without_secret_data(desired), &have),
                None => identity(&have),
            };
            ObservedResource {
                address: addresses.of(object),
                kind: ResourceKind::KubernetesObject,
                id,
                name: display_name(object),
                properties: fields(&shaped),
            }
        })
        .collect()
}

fn fields(object: &Value) -> Map<String, Value> {
    object.as_object().cloned().unwrap_or_default()
}

/// `observed` cut down to the paths `desired` has (maps by key, lists element by element).
fn shape_like(desired: &Value, observed: &Value) -> Value {
    match (desired, observed) {
        (Value::Object(want), Value::Object(have)) => Value::Object(
            want.iter()
                .filter_map(|(k, w)| have.get(k).map(|h| (k.clone(), shape_like(w, h))))
                .collect(),
        ),
        (Value::Array(want), Value::Array(have)) if want.len() == have.len() => Value::Array(
            want.iter()
                .zip(have)
                .map(|(w, h)| shape_like(w, h))
                .collect(),
        ),
        _ => observed.clone(),
    }
}

/// Just what names the object: an object no longer rendered is deleted as a whole.
fn identity(object: &Value) -> Value {
    let meta = &object["metadata"];
    let mut metadata = Map::new();
    for key in ["name", "namespace"] {
        if let Some(v) = meta.get(key) {
            metadata.insert(key.into(), v.clone());
        }
    }
    serde_json::json!({
        "apiVersion": object["apiVersion"],
        "kind": object["kind"],
        "metadata": metadata,
    })
}

/// The object without a Secret's values (`data`, `stringData`): they never reach a plan.
fn without_secret_data(object: &Value) -> Value {
    let mut object = object.clone();
    if object["kind"] == "Secret"
        && let Some(map) = object.as_object_mut()
    {
        map.remove("data");
        map.remove("stringData");
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Action, ObservedState, diff};
    use serde_json::json;

    fn deployment(replicas: i64) -> Value {
        json!({"apiVersion": "apps/v1", "kind": "Deployment",
               "metadata": {"name": "shinyproxy", "namespace": "sp", "labels": {"a": "b"}},
               "spec": {"replicas": replicas, "template": {"spec": {"containers": [{"name": "sp", "image": "x:1"}]}}}})
    }

    fn secret() -> Value {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "sp"}})
    }

    fn plan(desired_objects: &[Value], live: &[Value]) -> crate::plan::Plan {
        let addresses = Addresses::new(desired_objects.iter().chain(live));
        let resources = desired(desired_objects, &addresses, &[]);
        let mut state = ObservedState::empty("t", "us-east-1");
        state.resources = observed(desired_objects, live, &addresses);
        diff(&resources, &state)
    }

    #[test]
    fn addresses_name_the_kind_and_add_the_namespace_only_when_needed() {
        let a = json!({"kind": "Role", "metadata": {"name": "shinyproxy", "namespace": "sp"}});
        let b = json!({"kind": "Role", "metadata": {"name": "shinyproxy", "namespace": "apps"}});
        let d = deployment(1);
        let addresses = Addresses::new([&a, &b, &d]);
        assert_eq!(addresses.of(&a).as_str(), "workload.role[sp/shinyproxy]");
        assert_eq!(addresses.of(&d).as_str(), "workload.deployment[shinyproxy]");
        let pvc = json!({"kind": "PersistentVolumeClaim", "metadata": {"name": "data"}});
        assert_eq!(
            Addresses::new([&pvc]).of(&pvc).as_str(),
            "workload.persistent_volume_claim[data]"
        );
    }

    #[test]
    fn nothing_on_the_cluster_means_every_object_is_a_create() {
        let plan = plan(&[deployment(2), secret()], &[]);
        assert_eq!(plan.summary.add, 2);
    }

    #[test]
    fn server_additions_are_ignored_and_a_changed_leaf_is_an_update() {
        let mut live = deployment(2);
        live["metadata"]["uid"] = json!("123");
        live["status"] = json!({"replicas": 2});
        live["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] = json!("Always");
        let same = plan(&[deployment(2)], std::slice::from_ref(&live));
        assert!(!same.has_changes(), "{:?}", same.changes);
        let changed = plan(&[deployment(3)], &[live]);
        let change = &changed.changes[0];
        assert_eq!(change.action, Action::Update);
        assert_eq!(change.changes.len(), 1);
        assert_eq!(change.changes[0].name, "spec.replicas");
    }

    #[test]
    fn objects_no_longer_rendered_are_deletes_and_secret_values_never_appear() {
        let mut live_secret = secret();
        live_secret["data"] = json!({"PASSWORD": "c2VjcmV0"});
        let plan = plan(&[deployment(1)], &[deployment(1), live_secret]);
        let delete = plan
            .change("workload.secret[s]")
            .expect("the secret is listed");
        assert_eq!(delete.action, Action::Delete);
        let text = serde_json::to_string(&plan).unwrap();
        assert!(!text.contains("c2VjcmV0"), "{text}");
    }
}
