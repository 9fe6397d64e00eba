//! Observed state: what exists in AWS for one blueprint, in the same vocabulary as the catalog.
//!
//! `shinyctl plan --observed FILE` reads it from a file; the live reader (a later issue) builds it
//! from AWS. Both produce exactly this versioned JSON format (see docs/observed-state.md):
//!
//! ```json
//! {
//!   "format_version": "1",
//!   "blueprint": "demo",
//!   "region": "us-east-1",
//!   "resources": [
//!     {
//!       "address": "network.vpc",
//!       "kind": "vpc",
//!       "id": "vpc-0abc",
//!       "name": "demo-vpc",
//!       "properties": { "cidr": "10.0.0.0/16", "tags": { "Team": "data" } }
//!     }
//!   ]
//! }
//! ```
//!
//! - `address` is the resource's shinyctl address, read back from its ownership tag; only resources
//!   carrying this blueprint's ownership tags are listed, so everything listed is shinyctl's to delete.
//! - `kind` is a `ResourceKind` name (`vpc`, `db_instance`, ...); `id` is AWS's id or ARN.
//! - `properties` uses the catalog's keys and value shapes; a key the blueprint no longer sets shows as
//!   a removal. Lists are compared in order, so readers sort set-like lists (subnets, security groups)
//!   the way the catalog does.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashSet;
use std::fmt;

use super::kind::ResourceKind;
use super::resource::Address;

/// The observed-state format version this build reads and writes.
pub(crate) const OBSERVED_FORMAT_VERSION: &str = "1";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedState {
    pub(crate) format_version: String,
    /// The blueprint's `metadata.name` (the ownership tag's value).
    pub(crate) blueprint: String,
    pub region: String,
    #[serde(default)]
    pub resources: Vec<ObservedResource>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservedResource {
    pub address: Address,
    pub kind: ResourceKind,
    /// AWS's identifier (id or ARN); not compared, carried for apply.
    pub id: String,
    pub(crate) name: String,
    #[serde(default)]
    pub properties: Map<String, Value>,
}

/// Why an observed-state document cannot be used.
#[derive(Debug, Clone, PartialEq)]
pub enum ObservedError {
    /// Not JSON, or not the shape above (serde's message names the field, line and column).
    Malformed(String),
    UnsupportedVersion(String),
    DuplicateAddress(String),
    /// It describes another blueprint or region than the one being planned.
    Mismatch {
        field: &'static str,
        observed: String,
        expected: String,
    },
}

impl fmt::Display for ObservedError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ObservedError::Malformed(message) => write!(f, "not a valid observed state: {message}"),
            ObservedError::UnsupportedVersion(version) => write!(
                f,
                "observed state has format_version {version:?}; this shinyctl reads version \"{OBSERVED_FORMAT_VERSION}\""
            ),
            ObservedError::DuplicateAddress(address) => {
                write!(f, "observed state lists {address} more than once")
            }
            ObservedError::Mismatch {
                field,
                observed,
                expected,
            } => write!(
                f,
                "observed state is for {field} {observed:?}, but this blueprint's metadata.{key} is {expected:?}",
                key = if *field == "blueprint" { "name" } else { field },
            ),
        }
    }
}

impl std::error::Error for ObservedError {}

impl ObservedState {
    /// An account where nothing of this blueprint exists yet (the offline plan).
    pub fn empty(blueprint: impl Into<String>, region: impl Into<String>) -> Self {
        ObservedState {
            format_version: OBSERVED_FORMAT_VERSION.to_string(),
            blueprint: blueprint.into(),
            region: region.into(),
            resources: Vec::new(),
        }
    }

    /// An account where every one of `resources` exists exactly as desired (tests of the diff).
    #[cfg(test)]
    pub(crate) fn as_desired(resources: &[super::Resource]) -> Self {
        let mut state = ObservedState::empty("demo", "us-east-1");
        state.resources = resources
            .iter()
            .map(|r| ObservedResource {
                address: r.address.clone(),
                kind: r.kind,
                id: format!("id-{}", r.name),
                name: r.name.clone(),
                properties: r.properties.clone(),
            })
            .collect();
        state
    }

    /// Parses and checks an observed-state document.
    pub fn from_json(text: &str) -> Result<Self, ObservedError> {
        // Check the version before the shape, so a future format gets the version message.
        let raw: Value =
            serde_json::from_str(text).map_err(|e| ObservedError::Malformed(e.to_string()))?;
        match raw.get("format_version") {
            Some(Value::String(v)) if v == OBSERVED_FORMAT_VERSION => {}
            Some(Value::String(v)) => return Err(ObservedError::UnsupportedVersion(v.clone())),
            Some(other) => return Err(ObservedError::UnsupportedVersion(other.to_string())),
            None => {
                return Err(ObservedError::Malformed(
                    "missing field `format_version`".into(),
                ));
            }
        }
        // Parse the text again (not `raw`) so serde's errors keep their line and column.
        let state: ObservedState =
            serde_json::from_str(text).map_err(|e| ObservedError::Malformed(e.to_string()))?;
        let mut seen = HashSet::new();
        for resource in &state.resources {
            if !seen.insert(&resource.address) {
                return Err(ObservedError::DuplicateAddress(
                    resource.address.to_string(),
                ));
            }
        }
        Ok(state)
    }

    /// Refuses a document that belongs to another blueprint or region: diffing it would plan to
    /// delete everything it lists.
    pub fn check_belongs_to(&self, blueprint: &str, region: &str) -> Result<(), ObservedError> {
        if self.blueprint != blueprint {
            return Err(ObservedError::Mismatch {
                field: "blueprint",
                observed: self.blueprint.clone(),
                expected: blueprint.to_string(),
            });
        }
        if self.region != region {
            return Err(ObservedError::Mismatch {
                field: "region",
                observed: self.region.clone(),
                expected: region.to_string(),
            });
        }
        Ok(())
    }

    #[cfg(test)]
    pub(crate) fn to_json_pretty(&self) -> String {
        // Serialising plain strings, maps and JSON values cannot fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = r#"{
      "format_version": "1",
      "blueprint": "demo",
      "region": "us-east-1",
      "resources": [
        {"address": "network.vpc", "kind": "vpc", "id": "vpc-1", "name": "demo-vpc",
         "properties": {"cidr": "10.0.0.0/16"}}
      ]
    }"#;

    #[test]
    fn reads_the_documented_format() {
        let state = ObservedState::from_json(DOC).unwrap();
        assert_eq!(state.resources.len(), 1);
        assert_eq!(state.resources[0].kind, ResourceKind::Vpc);
        assert_eq!(state.resources[0].properties["cidr"], "10.0.0.0/16");
        assert!(state.check_belongs_to("demo", "us-east-1").is_ok());
    }

    #[test]
    fn round_trips() {
        let state = ObservedState::from_json(DOC).unwrap();
        assert_eq!(ObservedState::from_json(&state.to_json_pretty()), Ok(state));
    }

    #[test]
    fn rejects_other_versions_with_a_clear_message() {
        let err = ObservedState::from_json(&DOC.replace("\"1\"", "\"2\"")).unwrap_err();
        assert!(err.to_string().contains("format_version \"2\""), "{err}");
    }

    #[test]
    fn malformed_json_names_line_and_column() {
        let err =
            ObservedState::from_json("{\n  \"format_version\": \"1\",\n  oops }").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
    }

    #[test]
    fn unknown_kind_and_field_are_errors() {
        let err = ObservedState::from_json(&DOC.replace("\"vpc\"", "\"vpcc\"")).unwrap_err();
        assert!(err.to_string().contains("vpcc"), "{err}");
        let err = ObservedState::from_json(&DOC.replace("\"id\"", "\"ident\"")).unwrap_err();
        assert!(err.to_string().contains("ident"), "{err}");
    }

    #[test]
    fn duplicate_addresses_are_errors() {
        let mut state = ObservedState::from_json(DOC).unwrap();
        state.resources.push(state.resources[0].clone());
        let err = ObservedState::from_json(&state.to_json_pretty()).unwrap_err();
        assert_eq!(err, ObservedError::DuplicateAddress("network.vpc".into()));
    }

    #[test]
    fn refuses_another_blueprints_state() {
        let state = ObservedState::from_json(DOC).unwrap();
        let err = state.check_belongs_to("other", "us-east-1").unwrap_err();
        assert!(err.to_string().contains("\"demo\""), "{err}");
        assert!(state.check_belongs_to("demo", "eu-west-1").is_err());
    }
}
