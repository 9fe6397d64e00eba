//! A desired or observed AWS resource: the unit the graph orders and the plan diffs.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

use super::kind::ResourceKind;

/// Stable, human-readable address of a resource, e.g. `network.subnet.private[a]`.
/// Addresses never contain AWS ids, so they survive re-creation and identify ownership tags.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Address(pub(crate) String);

impl Address {
    pub fn new(s: impl Into<String>) -> Self {
        Address(s.into())
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What the blueprint asks for: one AWS resource with its desired properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub address: Address,
    pub kind: ResourceKind,
    /// The AWS name (or name-like identifier) shinyctl gives it, derived from the blueprint name.
    pub name: String,
    /// Desired properties as AWS sees them (JSON values, keys camelCase), compared by the diff.
    /// Secrets never appear here: only references to them.
    pub properties: Map<String, Value>,
    /// Resources that must exist before this one is created (and outlive it on destroy).
    pub(crate) depends_on: Vec<Address>,
    /// YAML path of the blueprint entry this resource comes from (for diagnostics), e.g. `proxy.apps[0]`.
    pub(crate) origin: String,
    /// A change to it (update or replace) restarts a whole cluster at once — what restarts, for
    /// the plan's warning; apply makes it only with `--allow-cluster-restart`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) restarts: Option<String>,
}

impl Resource {
    pub fn new(
        address: impl Into<String>,
        kind: ResourceKind,
        name: impl Into<String>,
        origin: impl Into<String>,
    ) -> Self {
        Resource {
            address: Address::new(address),
            kind,
            name: name.into(),
            properties: Map::new(),
            depends_on: Vec::new(),
            origin: origin.into(),
            restarts: None,
        }
    }

    /// Builder-style: set one desired property.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.properties.insert(key.to_string(), value.into());
        self
    }

    /// Builder-style: the kind's typed properties (a serde struct), each field a property in
    /// the struct's order, as if set one by one with [`Resource::with`]. The adapter reads them
    /// back with the same struct (`AwsStep::props`), so the key and the default are written once.
    pub(crate) fn props<T: serde::Serialize>(mut self, props: &T) -> Self {
        self.properties.extend(struct_fields(props));
        self
    }

    /// Builder-style: add a dependency.
    pub fn after(mut self, dependency: &Address) -> Self {
        if !self.depends_on.contains(dependency) {
            self.depends_on.push(dependency.clone());
        }
        self
    }
}

/// A kind's properties struct as its properties, field by field in the struct's order: what the
/// catalog sets ([`Resource::props`]) and what a reader finds (`Found::props`) alike.
pub(crate) fn struct_fields<T: serde::Serialize>(props: &T) -> serde_json::Map<String, Value> {
    match serde_json::to_value(props) {
        Ok(Value::Object(fields)) => fields,
        // Properties structs serialise to objects; anything else is a bug caught by tests.
        other => {
            debug_assert!(false, "properties must be a struct: {other:?}");
            serde_json::Map::new()
        }
    }
}
