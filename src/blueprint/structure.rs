//! Structural check of a parsed document against the JSON Schema: types, unknown keys,
//! missing keys, enum values. Every violation becomes a Problem with a hint; none stops the rest.

use serde_json::Value;
use std::sync::OnceLock;

use super::problem::{Problem, child, item};
use super::schema;
use super::yaml::PositionIndex;

fn validator() -> &'static jsonschema::Validator {
    static VALIDATOR: OnceLock<jsonschema::Validator> = OnceLock::new();
    VALIDATOR.get_or_init(|| {
        jsonschema::validator_for(schema::cached()).expect("the generated schema compiles")
    })
}

/// Checks `value` and returns its problems plus a copy with the unknown keys removed, so that the
/// semantic checks can still run on a document whose only structural problems were typos in keys.
pub(crate) fn check(
    value: &Value,
    source: &str,
    positions: &PositionIndex,
) -> (Vec<Problem>, Value) {
    let root = schema::cached();
    let mut problems = Vec::new();
    let mut unknown: Vec<Vec<String>> = Vec::new();
    for error in validator().iter_errors(value) {
        let segments = pointer_segments(error.instance_path().as_str());
        let path = yaml_path(&segments);
        let here = schema::at(root, &segments);
        let instance: &Value = error.instance();
        use jsonschema::error::ValidationErrorKind as K;
        match error.kind() {
            K::AdditionalProperties { unexpected } => {
                let known = here
                    .map(|s| schema::property_names(root, s))
                    .unwrap_or_default();
                for key in unexpected {
                    let mut key_segments = segments.clone();
                    key_segments.push(key.clone());
                    unknown.push(key_segments);
                    let within = if path.is_empty() {
                        "the top level".to_string()
                    } else {
                        format!("`{path}`")
                    };
                    problems.push(
                        Problem::new(
                            child(&path, key),
                            format!("unknown key `{key}` in {within}"),
                        )
                        .hint(did_you_mean(key, &known))
                        .at_key(),
                    );
                }
            }
            K::Required { property } => {
                let name = property.as_str().unwrap_or_default();
                let what = here
                    .and_then(|s| {
                        schema::at(root, &[name.to_string()])
                            .filter(|_| segments.is_empty())
                            .or_else(|| field(root, s, name))
                    })
                    .and_then(description);
                let within = if path.is_empty() {
                    "the blueprint".to_string()
                } else {
                    format!("`{path}`")
                };
                let mut p = Problem::new(
                    path.clone(),
                    format!("missing required key `{name}` in {within}"),
                )
                .at_key();
                p = p.hint(match what {
                    Some(d) => format!("add `{name}:` — {d}"),
                    None => format!("add `{name}:`"),
                });
                problems.push(p);
            }
            K::Type { kind } => {
                let expected = type_words(&format!("{kind:?}"));
                let written = original_text(source, positions, &path);
                let mut p = Problem::new(
                    path.clone(),
                    format!(
                        "expected {expected}, found {} `{written}`",
                        json_kind(instance)
                    ),
                );
                if expected.contains("string") && (instance.is_number() || instance.is_boolean()) {
                    p = p.hint(format!(
                        "quote it: \"{written}\" (unquoted, YAML reads it as a {})",
                        json_kind(instance)
                    ));
                } else if expected == "a list" && !instance.is_array() && !instance.is_object() {
                    p = p.hint(format!("write a list, even of one: [{written}]"));
                } else if let Some(d) = here.and_then(description) {
                    p = p.hint(format!("write {expected}: {d}"));
                } else {
                    p = p.hint(format!(
                        "write {expected} here, e.g. {}",
                        example_of(&expected)
                    ));
                }
                problems.push(p);
            }
            K::Enum { options } => {
                let choices: Vec<String> = options
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o.as_str().map(String::from))
                    .collect();
                let written = instance
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| instance.to_string());
                problems.push(
                    Problem::new(
                        path.clone(),
                        format!("`{written}` is not one of: {}", choices.join(", ")),
                    )
                    .hint(did_you_mean(&written, &choices)),
                );
            }
            K::Constant { expected_value } => {
                let expected = expected_value
                    .as_str()
                    .map(String::from)
                    .unwrap_or_else(|| expected_value.to_string());
                problems.push(
                    Problem::new(
                        path.clone(),
                        format!("must be `{expected}`, found `{}`", display(instance)),
                    )
                    .hint(format!(
                        "write `{}: {expected}`",
                        segments.last().map(String::as_str).unwrap_or("value")
                    )),
                );
            }
            K::Minimum { limit } | K::ExclusiveMinimum { limit } => problems.push(
                Problem::new(
                    path.clone(),
                    format!("must be at least {limit}, found {}", display(instance)),
                )
                .hint(
                    here.and_then(description)
                        .unwrap_or_else(|| "use a larger number".into()),
                ),
            ),
            K::Maximum { limit } | K::ExclusiveMaximum { limit } => problems.push(
                Problem::new(
                    path.clone(),
                    format!("must be at most {limit}, found {}", display(instance)),
                )
                .hint(
                    here.and_then(description)
                        .unwrap_or_else(|| "use a smaller number".into()),
                ),
            ),
            K::AnyOf { .. } | K::OneOfNotValid { .. } => {
                let hint = here
                    .and_then(description)
                    .unwrap_or_else(|| "see `shinyctl schema` for what fits here".into());
                problems.push(
                    Problem::new(
                        path.clone(),
                        format!("`{}` does not fit here", display(instance)),
                    )
                    .hint(hint),
                );
            }
            _ => problems.push(
                Problem::new(path.clone(), error.to_string())
                    .hint("see docs/blueprint.md or `shinyctl schema` for what fits here"),
            ),
        }
    }
    let mut pruned = value.clone();
    for segments in &unknown {
        remove(&mut pruned, segments);
    }
    (problems, pruned)
}

/// The values that break the schema, as path segments: each violation's own value (the object
/// that misses a key, the value of the wrong type or outside an enum). For setting them aside so
/// the rest can still be checked (`salvage`).
pub(crate) fn invalid_paths(value: &Value) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = validator()
        .iter_errors(value)
        .map(|e| pointer_segments(e.instance_path().as_str()))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn field<'a>(root: &'a Value, object: &'a Value, name: &str) -> Option<&'a Value> {
    object
        .get("properties")
        .and_then(|p| p.get(name))
        .map(|s| schema::resolve(root, s))
}

fn description(schema: &Value) -> Option<String> {
    schema
        .get("description")
        .and_then(Value::as_str)
        .map(|d| d.trim_end_matches('.').to_string())
}

/// `/proxy/apps/0/image` -> ["proxy", "apps", "0", "image"] (JSON-pointer escapes undone).
fn pointer_segments(pointer: &str) -> Vec<String> {
    pointer
        .split('/')
        .skip(1)
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// ["proxy", "apps", "0", "image"] -> `proxy.apps[0].image`.
pub(crate) fn yaml_path(segments: &[String]) -> String {
    let mut path = String::new();
    for s in segments {
        path = match s.parse::<usize>() {
            Ok(i) if !path.is_empty() => item(&path, i),
            _ => child(&path, s),
        };
    }
    path
}

fn remove(value: &mut Value, segments: &[String]) {
    let Some((last, parents)) = segments.split_last() else {
        return;
    };
    let mut current = value;
    for s in parents {
        current = match current {
            Value::Object(map) => match map.get_mut(s) {
                Some(v) => v,
                None => return,
            },
            Value::Array(items) => match s.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                Some(v) => v,
                None => return,
            },
            _ => return,
        };
    }
    if let Value::Object(map) = current {
        map.shift_remove(last);
    }
}

/// "did you mean `x`?" for the closest candidate, else the list of what is allowed.
pub(crate) fn did_you_mean(written: &str, candidates: &[String]) -> String {
    let lower = written.to_lowercase();
    let best = candidates
        .iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0));
    match best {
        Some((_, c)) => format!("did you mean `{c}`?"),
        None if candidates.is_empty() => "remove it".to_string(),
        None => format!("expected one of: {}", candidates.join(", ")),
    }
}

fn type_words(kind: &str) -> String {
    // jsonschema prints `Single(String)` or `Multiple([...])`; turn it into words.
    let lower = kind.to_lowercase();
    let mut words = Vec::new();
    for (needle, word) in [
        ("string", "a string"),
        ("integer", "a whole number"),
        ("number", "a number"),
        ("boolean", "true or false"),
        ("array", "a list"),
        ("object", "a mapping"),
    ] {
        if lower.contains(needle) && !(needle == "number" && words.contains(&"a whole number")) {
            words.push(word);
        }
    }
    if words.is_empty() {
        lower
    } else {
        words.join(" or ")
    }
}

fn example_of(expected: &str) -> &'static str {
    match expected {
        "a whole number" => "`2`",
        "a number" => "`0.5`",
        "true or false" => "`true`",
        "a list" => "`[a, b]`",
        "a mapping" => "`{key: value}` or indented `key: value` lines",
        _ => "`\"text\"`",
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "nothing",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_f64() => "number",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "mapping",
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(_) => "[…]".into(),
        Value::Object(_) => "{…}".into(),
        other => other.to_string(),
    }
}

/// The value as the user wrote it (so `1.30` is not shown as `1.3`), for short scalars.
fn original_text(source: &str, positions: &PositionIndex, path: &str) -> String {
    let at = positions.value(path);
    match source.get(at.bytes.clone()) {
        Some(text) if !text.is_empty() && text.len() <= 60 && !text.contains('\n') => {
            text.trim().to_string()
        }
        _ => "…".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_from_pointers() {
        assert_eq!(
            yaml_path(&pointer_segments("/proxy/apps/0/image")),
            "proxy.apps[0].image"
        );
        assert_eq!(yaml_path(&pointer_segments("")), "");
    }

    #[test]
    fn suggests_the_closest_key() {
        let known = ["natGateway".to_string(), "cidr".to_string()];
        assert_eq!(
            did_you_mean("natGatway", &known),
            "did you mean `natGateway`?"
        );
        assert_eq!(
            did_you_mean("zzz", &known),
            "expected one of: natGateway, cidr"
        );
    }
}
