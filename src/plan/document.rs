//! The Plan document: what shinyctl would change in AWS, as plain data (the JSON plan's contract,
//! versioned by [`PLAN_FORMAT_VERSION`]).
//!
//! A Plan only holds data. Renderers (human, JSON) read it; apply executes it. Nothing about how a
//! plan is shown may influence what apply does.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::kind::ResourceKind;
use super::resource::Address;

/// Version of the plan contract (the JSON plan's `format_version`). Bump on incompatible changes.
pub(crate) const PLAN_FORMAT_VERSION: &str = "1.0";

/// What happens to one resource. The symbol is the action, as in Terraform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// AWS already matches the blueprint.
    NoOp,
    /// `+`: the resource does not exist yet.
    Create,
    /// `~`: the resource exists and AWS can change it in place.
    Update,
    /// `-/+`: a property AWS cannot change in place differs: delete, then create.
    Replace,
    /// `-`: the resource exists, is owned by this blueprint, and the blueprint no longer asks for it.
    Delete,
}

impl Action {
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Action::NoOp => " ",
            Action::Create => "+",
            Action::Update => "~",
            Action::Replace => "-/+",
            Action::Delete => "-",
        }
    }

    pub(crate) fn is_replace(self) -> bool {
        self == Action::Replace
    }

    /// Whether apply has anything to do for this action.
    pub(crate) fn is_change(self) -> bool {
        self != Action::NoOp
    }

    /// Whether the existing resource (and whatever it stores) is gone after apply.
    pub(crate) fn destroys(self) -> bool {
        matches!(self, Action::Replace | Action::Delete)
    }

    /// Whether a new resource is created (so its creation time counts toward the estimate).
    pub(crate) fn creates(self) -> bool {
        matches!(self, Action::Create | Action::Replace)
    }
}

/// One property whose value differs. `name` is a path into the properties (`tags.Team`,
/// `parameters["max_connections"]`); `None` means absent on that side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PropertyChange {
    pub name: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// AWS cannot change this property in place (it is in the kind's `replace_on`).
    pub(crate) forces_replacement: bool,
    /// The value itself is unchanged but refers to this resource, which the plan replaces: after
    /// apply it points at the new resource's AWS id.
    pub(crate) replaced_reference: Option<Address>,
    /// The value itself is unchanged but embeds an attribute of this resource that the plan's
    /// in-place update of it changes (a launch template's new default version, an SSM document's
    /// new version: the kind's `updated_attributes`): known after apply.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) updated_reference: Option<Address>,
}

/// The planned change to one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Change {
    pub address: Address,
    pub kind: ResourceKind,
    /// The AWS name: desired for creates, updates and replaces, observed for deletes.
    pub(crate) name: String,
    pub action: Action,
    /// Observed properties (None for a create).
    pub(crate) before: Option<Map<String, Value>>,
    /// Desired properties (None for a delete).
    pub(crate) after: Option<Map<String, Value>>,
    /// What differs, for updates and replaces (empty otherwise).
    pub changes: Vec<PropertyChange>,
    /// The resource stores users' data (databases, cache, EFS, buckets).
    pub(crate) holds_data: bool,
    /// For a replace: the first property that forces it.
    pub replaced_because: Option<String>,
}

/// How many changes of each action a plan holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub replace: usize,
    pub(crate) unchanged: usize,
}

impl Summary {
    pub(crate) fn count(changes: &[Change]) -> Summary {
        let mut summary = Summary::default();
        for change in changes {
            match change.action {
                Action::NoOp => summary.unchanged += 1,
                Action::Create => summary.add += 1,
                Action::Update => summary.change += 1,
                Action::Replace => summary.replace += 1,
                Action::Delete => summary.destroy += 1,
            }
        }
        summary
    }
}

/// How much a plan note matters. Neither stops a plan; errors are not notes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteLevel {
    /// Worth acting on (a version in paid extended support).
    Warning,
    /// Context for a reviewer (the engine version a database actually runs).
    Info,
}

/// Something a reviewer should know that is not a change: support warnings about the
/// blueprint's versions, the running version behind a no-change engine pin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    pub(crate) level: NoteLevel,
    /// The YAML path (`cluster.version`) or the address (`database.instance`) it is about.
    pub(crate) about: String,
    pub(crate) message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<String>,
}

/// A change that restarts a whole cluster at once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterRestart {
    pub(crate) address: Address,
    /// What restarts, and what its users see.
    pub(crate) what: String,
}

/// Everything a plan run found: the changes in execution order and what they imply.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    pub(crate) format_version: String,
    /// The blueprint's `metadata.name`.
    pub blueprint: String,
    pub region: String,
    /// Creates, updates, replaces and no-ops in dependency order, then deletes in reverse order.
    pub changes: Vec<Change>,
    pub summary: Summary,
    /// Estimated seconds along the slowest chain of creates (0 when nothing is created).
    pub(crate) critical_path_seconds: f64,
    /// That chain, first resource first.
    pub(crate) critical_path: Vec<Address>,
    /// Data-holding resources this plan would delete or replace: apply refuses them without
    /// `--allow-data-loss`.
    pub data_loss: Vec<Address>,
    /// Changes that restart a whole cluster at once (Workbench's shared version and cookie key):
    /// apply refuses them without `--allow-cluster-restart`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) cluster_restarts: Vec<ClusterRestart>,
    /// Warnings and context that are not changes, warnings first.
    #[serde(default)]
    pub(crate) notes: Vec<Note>,
    /// The estimated monthly cost (`plan::cost`), when the plan was priced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<super::cost::Cost>,
}

impl Plan {
    /// Whether applying this plan would change anything.
    pub fn has_changes(&self) -> bool {
        self.changes.iter().any(|c| c.action.is_change())
    }

    pub fn change(&self, address: &str) -> Option<&Change> {
        self.changes.iter().find(|c| c.address.as_str() == address)
    }

    /// A plan of `changes` for tests: blueprint `demo` in us-east-1, with no data loss, cluster
    /// restarts, notes or cost.
    #[cfg(test)]
    pub(crate) fn of(changes: Vec<Change>) -> Plan {
        Plan {
            format_version: "1.0".into(),
            blueprint: "demo".into(),
            region: "us-east-1".into(),
            summary: Summary::count(&changes),
            changes,
            critical_path_seconds: 0.0,
            critical_path: Vec::new(),
            data_loss: Vec::new(),
            cluster_restarts: Vec::new(),
            notes: Vec::new(),
            cost: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_are_terraforms() {
        assert_eq!(Action::Create.symbol(), "+");
        assert_eq!(Action::Update.symbol(), "~");
        assert_eq!(Action::Replace.symbol(), "-/+");
        assert_eq!(Action::Delete.symbol(), "-");
        assert!(Action::Replace.is_replace());
        assert!(!Action::Delete.is_replace());
        assert!(Action::Replace.destroys() && Action::Replace.creates());
        assert!(!Action::NoOp.is_change());
    }
}
