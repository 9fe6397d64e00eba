//! The plan for machines: a versioned JSON contract (`format_version`), written by `--json` and
//! `--out`. Shape (fields that would be empty are left out):
//!
//! ```json
//! {
//!   "format_version": "1.0",
//!   "blueprint": "demo",
//!   "region": "us-east-1",
//!   "summary": { "add": 1, "change": 0, "destroy": 0, "replace": 1, "unchanged": 3 },
//!   "changes": [
//!     {
//!       "address": "database.instance",
//!       "kind": "db_instance",
//!       "name": "demo-db",
//!       "action": ["delete", "create"],
//!       "before": { ... }, "after": { ... },
//!       "changed_properties": [
//!         { "name": "engine", "before": "postgres", "after": "mysql", "forces_replacement": true }
//!       ],
//!       "replaced_because": "engine",
//!       "holds_data": true
//!     }
//!   ],
//!   "data_loss": ["database.instance"],
//!   "cluster_restarts": [{ "address": "servers.ssm_document[rsw-workbench]", "what": "every ..." }],
//!   "critical_path": { "seconds": 272, "addresses": ["database.instance"] },
//!   "notes": [
//!     { "level": "warning", "about": "cluster.version",
//!       "message": "EKS 1.34 is in extended support ...", "hint": "move to 1.35 ..." },
//!     { "level": "info", "about": "cache.cache_replication_group",
//!       "message": "runs engine version 7.1.0, within the blueprint's 7.1: no change" }
//!   ],
//!   "cost": {
//!     "currency": "USD", "source": "AWS Price List Query API (us-east-1), 2026-12-05",
//!     "monthly_before": 0.0, "monthly_after": 412.34, "monthly_change": 412.34, "unpriced": 0,
//!     "resources": [
//!       { "address": "network.nat_gateway[a]", "kind": "nat_gateway", "monthly_after": 32.85,
//!         "lines": [
//!           { "what": "NAT gateway hours", "monthly": 32.85, "basis": "730 hours × 0.045 USD/hour" },
//!           { "what": "data processed", "basis": "depends on GB through the gateway", "usage_based": true }
//!         ] }
//!     ]
//!   }
//! }
//! ```
//!
//! `cost` (`plan::cost`) is the estimated monthly cost of what each resource is before and after
//! the plan (`monthly_before` absent for a create, `monthly_after` for a delete); lines priced by
//! use carry `"usage_based": true` and no `monthly`; lines whose price the price book lacks carry
//! `"unpriced": true` and count in `unpriced`, outside the totals.
//!
//! `action` is a list as in Terraform: `["create"]`, `["update"]`, `["delete", "create"]` (a replace),
//! `["delete"]`, `["no-op"]`. Changes come in apply order. A changed property whose value stays the
//! same but names a resource the plan replaces carries `"replaced_reference": "<that address>"`:
//! after apply it points at the new resource's AWS id; one that embeds an attribute the plan's
//! in-place update of another resource changes (a launch template's default version) carries
//! `"updated_reference": "<that address>"`: its new value is known after apply.

use serde_json::{Map, Value, json};

use crate::plan::{Action, Change, Plan, PropertyChange};

/// The JSON document, for callers that embed it.
pub(crate) fn to_value(plan: &Plan) -> Value {
    let mut doc = Map::new();
    doc.insert("format_version".into(), json!(plan.format_version));
    doc.insert("blueprint".into(), json!(plan.blueprint));
    doc.insert("region".into(), json!(plan.region));
    let s = &plan.summary;
    doc.insert(
        "summary".into(),
        json!({
            "add": s.add,
            "change": s.change,
            "destroy": s.destroy,
            "replace": s.replace,
            "unchanged": s.unchanged,
        }),
    );
    doc.insert(
        "changes".into(),
        Value::Array(plan.changes.iter().map(change).collect()),
    );
    if !plan.data_loss.is_empty() {
        doc.insert("data_loss".into(), json!(plan.data_loss));
    }
    if !plan.cluster_restarts.is_empty() {
        doc.insert("cluster_restarts".into(), json!(plan.cluster_restarts));
    }
    if !plan.critical_path.is_empty() {
        doc.insert(
            "critical_path".into(),
            json!({
                "seconds": plan.critical_path_seconds.max(0.0).round() as u64,
                "addresses": plan.critical_path,
            }),
        );
    }
    if !plan.notes.is_empty() {
        doc.insert("notes".into(), json!(plan.notes));
    }
    if let Some(cost) = &plan.cost {
        doc.insert("cost".into(), json!(cost));
    }
    Value::Object(doc)
}

/// Pretty-printed, with a final newline: what `--json` prints and `--out` saves.
pub fn render(plan: &Plan) -> String {
    let mut text = serde_json::to_string_pretty(&to_value(plan)).unwrap_or_default();
    text.push('\n');
    text
}

/// Terraform's action names.
pub(crate) fn action_names(action: Action) -> &'static [&'static str] {
    match action {
        Action::NoOp => &["no-op"],
        Action::Create => &["create"],
        Action::Update => &["update"],
        Action::Replace => &["delete", "create"],
        Action::Delete => &["delete"],
    }
}

fn change(c: &Change) -> Value {
    let mut out = Map::new();
    out.insert("address".into(), json!(c.address));
    out.insert("kind".into(), json!(c.kind.as_str()));
    out.insert("name".into(), json!(c.name));
    out.insert("action".into(), json!(action_names(c.action)));
    if let Some(before) = &c.before {
        out.insert("before".into(), Value::Object(before.clone()));
    }
    if let Some(after) = &c.after {
        out.insert("after".into(), Value::Object(after.clone()));
    }
    if !c.changes.is_empty() {
        out.insert(
            "changed_properties".into(),
            Value::Array(c.changes.iter().map(property).collect()),
        );
    }
    if let Some(because) = &c.replaced_because {
        out.insert("replaced_because".into(), json!(because));
    }
    if c.holds_data {
        out.insert("holds_data".into(), json!(true));
    }
    Value::Object(out)
}

fn property(p: &PropertyChange) -> Value {
    let mut out = Map::new();
    out.insert("name".into(), json!(p.name));
    if let Some(before) = &p.before {
        out.insert("before".into(), before.clone());
    }
    if let Some(after) = &p.after {
        out.insert("after".into(), after.clone());
    }
    if p.forces_replacement {
        out.insert("forces_replacement".into(), json!(true));
    }
    if let Some(target) = &p.replaced_reference {
        out.insert("replaced_reference".into(), json!(target));
    }
    if let Some(target) = &p.updated_reference {
        out.insert("updated_reference".into(), json!(target));
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{ObservedResource, ObservedState, Resource, ResourceKind, diff};

    fn db() -> Resource {
        Resource::new(
            "database.instance",
            ResourceKind::DbInstance,
            "demo-db",
            "database",
        )
        .with("engine", "mysql")
    }

    #[test]
    fn a_create_has_no_before_and_no_empty_fields() {
        let plan = diff(&[db()], &ObservedState::empty("demo", "us-east-1"));
        let doc = to_value(&plan);
        assert_eq!(doc["format_version"], "1.0");
        let c = &doc["changes"][0];
        assert_eq!(c["action"], json!(["create"]));
        assert!(c.get("before").is_none());
        assert!(c.get("changed_properties").is_none());
        assert_eq!(c["holds_data"], true);
        assert!(doc.get("data_loss").is_none());
        assert_eq!(
            doc["critical_path"]["addresses"],
            json!(["database.instance"])
        );
    }

    #[test]
    fn a_replace_is_delete_then_create_and_names_its_cause() {
        let mut state = ObservedState::empty("demo", "us-east-1");
        state.resources.push(ObservedResource {
            address: db().address,
            kind: ResourceKind::DbInstance,
            id: "demo-db".into(),
            name: "demo-db".into(),
            properties: json!({"engine": "postgres"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        });
        let doc = to_value(&diff(&[db()], &state));
        let c = &doc["changes"][0];
        assert_eq!(c["action"], json!(["delete", "create"]));
        assert_eq!(c["replaced_because"], "engine");
        assert_eq!(
            c["changed_properties"],
            json!([{"name": "engine", "before": "postgres", "after": "mysql", "forces_replacement": true}])
        );
        assert_eq!(doc["data_loss"], json!(["database.instance"]));
        assert_eq!(doc["summary"]["replace"], 1);
    }

    #[test]
    fn output_is_valid_json_ending_in_a_newline() {
        let text = render(&diff(&[db()], &ObservedState::empty("demo", "us-east-1")));
        assert!(text.ends_with("}\n"));
        assert!(serde_json::from_str::<Value>(&text).is_ok());
    }
}
