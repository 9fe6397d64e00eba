//! Ownership tags and tag sets, in the catalog's shape.
//!
//! The catalog writes every taggable resource's tags into `properties.tags` as a JSON object sorted
//! by key, ownership tags included (`shinyctl.dev/blueprint=<name>`,
//! `shinyctl.dev/address=<address>`). Adapters create resources with exactly those tags, and read
//! them back into the same shape (minus AWS's reserved `aws:*` tags, which nobody can set).
//! The address tag's value is encoded (`plan::catalog::address_tag`): written with `encode`,
//! read with `decode`, here and nowhere else.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::plan::Address;
pub(crate) use crate::plan::catalog::{ADDRESS_TAG, BLUEPRINT_TAG, address_tag};

/// Whether the `value` of an `ADDRESS_TAG` names `address` (in either format it was written in).
pub(crate) fn is_address(value: &str, address: &Address) -> bool {
    address_tag::decode(value) == address.as_str()
}

/// Whether a resource's tags, as the SDK's `(key, value)` pairs, carry the address tag naming
/// `address`: how a create that finds its name taken tells its own resource from another's.
pub(crate) fn carry_address<'t>(
    tags: impl IntoIterator<Item = (Option<&'t str>, Option<&'t str>)>,
    address: &Address,
) -> bool {
    tags.into_iter().any(|(key, value)| {
        key == Some(ADDRESS_TAG) && value.is_some_and(|v| is_address(v, address))
    })
}

/// Tags as key/value pairs, sorted by key.
pub(crate) type TagSet = BTreeMap<String, String>;

/// The desired tags in `properties` (empty when the kind takes none).
pub fn from_properties(properties: &Map<String, Value>) -> TagSet {
    match properties.get("tags") {
        Some(Value::Object(tags)) => tags
            .iter()
            .map(|(k, v)| {
                let value = match v {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                (k.clone(), value)
            })
            .collect(),
        _ => TagSet::new(),
    }
}

/// Tags read from AWS, without `aws:*` ones.
pub(crate) fn from_pairs<K: AsRef<str>, V: AsRef<str>>(
    pairs: impl IntoIterator<Item = (K, V)>,
) -> TagSet {
    pairs
        .into_iter()
        .filter(|(k, _)| !k.as_ref().starts_with("aws:"))
        .map(|(k, v)| (k.as_ref().to_string(), v.as_ref().to_string()))
        .collect()
}

/// The `tags` property value for a tag set.
pub(crate) fn to_value(tags: &TagSet) -> Value {
    Value::Object(
        tags.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    )
}

/// The address a resource's tags give it, if they say it belongs to `blueprint`.
pub(crate) fn owned_address(tags: &TagSet, blueprint: &str) -> Option<Address> {
    if tags.get(BLUEPRINT_TAG).map(String::as_str) != Some(blueprint) {
        return None;
    }
    tags.get(ADDRESS_TAG)
        .filter(|a| !a.is_empty())
        .map(|a| Address::new(address_tag::decode(a)))
}

/// The ownership tags alone (for resources whose kind carries no `tags` property but that AWS
/// lets us tag, such as security group rules).
pub(crate) fn ownership(blueprint: &str, address: &Address) -> TagSet {
    TagSet::from([
        (BLUEPRINT_TAG.to_string(), blueprint.to_string()),
        (
            ADDRESS_TAG.to_string(),
            address_tag::encode(address.as_str()),
        ),
    ])
}

/// What to change to go from `current` to `desired`: tags to set (new or changed values) and
/// keys to remove.
pub(crate) fn changes(current: &TagSet, desired: &TagSet) -> (TagSet, Vec<String>) {
    let set = desired
        .iter()
        .filter(|(k, v)| current.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove = current
        .keys()
        .filter(|k| !desired.contains_key(*k))
        .cloned()
        .collect();
    (set, remove)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn carry_address_wants_the_address_tag_naming_it() {
        let at = Address::new("ecs.cluster");
        let encoded = address_tag::encode("ecs.cluster");
        assert!(carry_address(
            [
                (Some("Name"), Some("x")),
                (Some(ADDRESS_TAG), Some(encoded.as_str()))
            ],
            &at
        ));
        assert!(!carry_address(
            [(Some(ADDRESS_TAG), Some("ecs.other"))],
            &at
        ));
        assert!(!carry_address([(Some("Name"), Some("ecs.cluster"))], &at));
        assert!(!carry_address([(Some(ADDRESS_TAG), None)], &at));
    }

    #[test]
    fn reads_the_catalogs_shape() {
        let props =
            json!({"tags": {"Name": "x", BLUEPRINT_TAG: "demo", ADDRESS_TAG: "network.vpc"}});
        let tags = from_properties(props.as_object().unwrap());
        assert_eq!(
            owned_address(&tags, "demo"),
            Some(Address::new("network.vpc"))
        );
        assert_eq!(owned_address(&tags, "other"), None);
        assert_eq!(to_value(&tags), props["tags"]);
    }

    #[test]
    fn aws_reserved_tags_are_dropped() {
        let tags = from_pairs([("aws:cloudformation:stack-id", "x"), ("team", "data")]);
        assert_eq!(tags.len(), 1);
    }

    #[test]
    fn changes_set_and_remove() {
        let current = from_pairs([("a", "1"), ("b", "2"), ("c", "3")]);
        let desired = from_pairs([("a", "1"), ("b", "9"), ("d", "4")]);
        let (set, remove) = changes(&current, &desired);
        assert_eq!(set, from_pairs([("b", "9"), ("d", "4")]));
        assert_eq!(remove, vec!["c".to_string()]);
    }
}
