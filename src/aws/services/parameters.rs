//! What RDS's and ElastiCache's parameter groups share: the same properties (`name`, `family`,
//! `description`, `parameters`), an update that sets the changed values and resets the dropped
//! ones, and a read that shows the user-set values.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{AwsStep, Found};
use crate::aws::tags::{self, TagSet};
use crate::plan::{Address, ResourceKind};

/// What an update does to a group's values: those to set (new or changed) and the names of
/// those to reset to the family's defaults (set before, no longer in the blueprint). Empty when
/// the observed values are the desired ones.
pub(super) fn changes(
    step: &AwsStep<'_>,
    desired: &BTreeMap<String, String>,
) -> (BTreeMap<String, String>, Vec<String>) {
    let observed = observed_values(step.observed("parameters"));
    // The same split as a tag change's: name → value maps both.
    tags::changes(&observed, desired)
}

/// Observed parameter values as strings (the reader keeps what AWS answers; a value that is no
/// string as its JSON text).
fn observed_values(value: Option<&Value>) -> BTreeMap<String, String> {
    match value {
        Some(Value::Object(m)) => m
            .iter()
            .map(|(k, v)| {
                (
                    k.clone(),
                    v.as_str().map_or_else(|| v.to_string(), str::to_string),
                )
            })
            .collect(),
        _ => BTreeMap::new(),
    }
}

/// A listed parameter group that is ours, as the reader shows it.
pub(super) struct OwnedGroup<'a> {
    pub(crate) kind: ResourceKind,
    pub(crate) arn: &'a str,
    pub(crate) address: Address,
    pub(crate) name: &'a str,
    pub(crate) family: &'a str,
    pub(crate) description: &'a str,
    pub(crate) tags: &'a TagSet,
}

impl OwnedGroup<'_> {
    /// The group with its user-set `values` (name and value as AWS lists them; one without
    /// either is left out), in the catalog's keys and order; its ARN is its id.
    pub(super) fn found(
        self,
        values: impl IntoIterator<Item = (Option<String>, Option<String>)>,
    ) -> Found {
        let mut parameters = Map::new();
        for (name, value) in values {
            if let (Some(k), Some(v)) = (name, value) {
                parameters.insert(k, Value::from(v));
            }
        }
        Found::new(self.kind, self.arn)
            .at(Some(self.address))
            .named(self.name)
            .with("name", self.name)
            .with("family", self.family)
            .with("description", self.description)
            .with("parameters", Value::Object(parameters))
            .with("tags", tags::to_value(self.tags))
            .output("arn", self.arn)
            .output("name", self.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn observed_values_are_strings() {
        let observed = json!({"max_connections": "100", "timeout": 30});
        assert_eq!(
            observed_values(Some(&observed)),
            BTreeMap::from([
                ("max_connections".to_string(), "100".to_string()),
                ("timeout".to_string(), "30".to_string()),
            ])
        );
        assert!(observed_values(None).is_empty());
    }
}
