//! The JSON Schema of the blueprint language, generated from `model.rs` so the two never drift.
//! `shinyctl schema` prints it for editors; the load pipeline checks documents against it.

use serde_json::Value;
use std::sync::OnceLock;

use super::model::Blueprint;

/// The schema as JSON (draft 2020-12).
pub fn json_schema() -> Value {
    let mut schema = schemars::schema_for!(Blueprint).to_value();
    forbid_null(&mut schema);
    if let Some(obj) = schema.as_object_mut() {
        obj.insert(
            "$id".into(),
            Value::String("https://shinyctl.dev/schemas/v1alpha1/blueprint.json".into()),
        );
    }
    schema
}

/// Optional keys are written or left out, never `null`: schemars makes every `Option` nullable
/// (`anyOf: [T, null]`), which would also bury a nested mistake under a vague "does not fit".
fn forbid_null(schema: &mut Value) {
    match schema {
        Value::Object(obj) => {
            if let Some(Value::Array(types)) = obj.get_mut("type") {
                types.retain(|t| t != "null");
                if types.len() == 1 {
                    let only = types.remove(0);
                    obj.insert("type".into(), only);
                }
            }
            let null_alternative = |alts: &Vec<Value>| {
                alts.len() == 2
                    && alts
                        .iter()
                        .any(|a| a.get("type") == Some(&Value::from("null")))
            };
            if let Some(Value::Array(alternatives)) = obj
                .get("anyOf")
                .filter(|a| a.as_array().is_some_and(null_alternative))
            {
                let kept = alternatives
                    .iter()
                    .find(|a| a.get("type") != Some(&Value::from("null")))
                    .cloned();
                obj.remove("anyOf");
                if let Some(Value::Object(kept)) = kept {
                    for (k, v) in kept {
                        obj.entry(k).or_insert(v);
                    }
                }
            }
            for value in obj.values_mut() {
                forbid_null(value);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_null),
        _ => {}
    }
}

/// The schema built once per process.
pub(crate) fn cached() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(json_schema)
}

/// The sub-schema that describes the value at `segments` (object keys and array indexes),
/// following `$ref`, `items` and the alternatives of `anyOf`/`oneOf`.
pub(crate) fn at<'a>(root: &'a Value, segments: &[String]) -> Option<&'a Value> {
    let mut current = resolve(root, root);
    for segment in segments {
        current = step(root, current, segment)?;
    }
    Some(current)
}

fn step<'a>(root: &'a Value, schema: &'a Value, segment: &str) -> Option<&'a Value> {
    if let Some(found) = schema.get("properties").and_then(|p| p.get(segment)) {
        return Some(resolve(root, found));
    }
    if segment.parse::<usize>().is_ok()
        && let Some(items) = schema.get("items")
    {
        return Some(resolve(root, items));
    }
    if let Some(extra) = schema.get("additionalProperties").filter(|v| v.is_object()) {
        return Some(resolve(root, extra));
    }
    alternatives(root, schema).find_map(|alternative| step(root, alternative, segment))
}

/// The schemas of `anyOf`, `oneOf` and `allOf`, in that order, their `$ref`s followed.
fn alternatives<'a>(root: &'a Value, schema: &'a Value) -> impl Iterator<Item = &'a Value> {
    ["anyOf", "oneOf", "allOf"]
        .into_iter()
        .filter_map(|key| schema.get(key).and_then(Value::as_array))
        .flatten()
        .map(|alternative| resolve(root, alternative))
}

/// Follows local `$ref`s (`#/$defs/Name`).
pub(crate) fn resolve<'a>(root: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..16 {
        match current
            .get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
        {
            Some(pointer) => match root.pointer(pointer) {
                Some(target) => current = target,
                None => break,
            },
            None => break,
        }
    }
    current
}

/// Property names a mapping at this schema accepts (for "did you mean").
pub(crate) fn property_names(root: &Value, schema: &Value) -> Vec<String> {
    let mut names: Vec<String> = schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| p.keys().cloned().collect())
        .unwrap_or_default();
    for alternative in alternatives(root, schema) {
        names.extend(property_names(root, alternative));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_valid_draft_2020_12() {
        assert!(jsonschema::meta::is_valid(&json_schema()));
    }

    /// `name` stands in `text` as a whole word (not as part of a longer key).
    fn mentions(text: &str, name: &str) -> bool {
        text.match_indices(name).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + name.len()..].chars().next();
            !before.is_some_and(|c| c.is_ascii_alphanumeric())
                && !after.is_some_and(|c| c.is_ascii_alphanumeric())
        })
    }

    /// Keeps docs/blueprint.md true: every key of the language is documented there.
    #[test]
    fn every_key_is_documented_in_the_reference() {
        let reference = include_str!("../../docs/blueprint.md");
        let root = json_schema();
        let mut missing = Vec::new();
        let mut stack = vec![&root];
        while let Some(schema) = stack.pop() {
            if let Some(props) = schema.get("properties").and_then(Value::as_object) {
                for (name, sub) in props {
                    if !mentions(reference, name) {
                        missing.push(name.clone());
                    }
                    stack.push(sub);
                }
            }
            if let Some(defs) = schema.get("$defs").and_then(Value::as_object) {
                stack.extend(defs.values());
            }
            for key in ["items", "additionalProperties"] {
                if let Some(sub) = schema.get(key).filter(|v| v.is_object()) {
                    stack.push(sub);
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(
            missing.is_empty(),
            "keys missing from docs/blueprint.md: {missing:?}"
        );
    }

    #[test]
    fn finds_nested_sub_schemas_through_refs_and_items() {
        let root = json_schema();
        let path = ["proxy", "apps", "0", "mounts", "0"].map(String::from);
        let mount = at(&root, &path).expect("mount schema");
        assert!(property_names(&root, mount).contains(&"accessPoint".to_string()));
    }
}
