//! Saved plans (`plan --out FILE`, `apply --plan FILE`): a saved plan was reviewed when it was
//! made, so it is applied only if planning again now gives exactly the same plan — the same
//! changes, from the same observed values to the same desired ones. Anything else (AWS changed,
//! the blueprint changed, another apply ran) is refused with what differs.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::plan::Plan;
use crate::render::plan_json;

/// Why a saved plan cannot be applied.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SavedPlanError {
    #[error("the saved plan is not a shinyctl JSON plan: {0}")]
    Malformed(String),
    #[error(
        "the saved plan has format_version {saved}; this shinyctl writes {current}: make the plan \
         again with this version"
    )]
    Version { saved: String, current: String },
    #[error("the saved plan is for {field} {saved:?}, but the blueprint's is {current:?}")]
    OtherBlueprint {
        field: &'static str,
        saved: String,
        current: String,
    },
    #[error(
        "the saved plan is out of date: {}; nothing was changed. Make a new plan \
         (`shinyctl plan -f FILE --out PLAN`), review it, and apply that",
        .0.join("; ")
    )]
    Stale(Vec<String>),
}

/// Parses a saved plan file's text.
pub fn parse(text: &str) -> Result<Value, SavedPlanError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| SavedPlanError::Malformed(e.to_string()))?;
    if !value.is_object() || value.get("changes").is_none() {
        return Err(SavedPlanError::Malformed(
            "expected an object with `format_version` and `changes` (the output of `plan --out`)"
                .into(),
        ));
    }
    Ok(value)
}

/// Checks that `fresh` is the plan `saved` describes.
pub(crate) fn check(saved: &Value, fresh: &Plan) -> Result<(), SavedPlanError> {
    // Notes and the cost estimate are not changes (a support warning may come due, or a price
    // change, between plan and apply).
    let without_notes = |plan: &Value| {
        let mut plan = plan.clone();
        if let Some(doc) = plan.as_object_mut() {
            doc.remove("notes");
            doc.remove("cost");
        }
        plan
    };
    let saved = &without_notes(saved);
    let current = without_notes(&plan_json::to_value(fresh));
    let text = |v: &Value, key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
    if text(saved, "format_version") != fresh.format_version {
        return Err(SavedPlanError::Version {
            saved: text(saved, "format_version"),
            current: fresh.format_version.clone(),
        });
    }
    for field in ["blueprint", "region"] {
        if text(saved, field) != text(&current, field) {
            return Err(SavedPlanError::OtherBlueprint {
                field,
                saved: text(saved, field),
                current: text(&current, field),
            });
        }
    }
    if saved == &current {
        return Ok(());
    }
    Err(SavedPlanError::Stale(differences(saved, &current)))
}

/// What differs between two JSON plans, by address, in words.
fn differences(saved: &Value, current: &Value) -> Vec<String> {
    let by_address = |plan: &Value| -> BTreeMap<String, Value> {
        plan.get("changes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|c| Some((c.get("address")?.as_str()?.to_string(), c.clone())))
            .collect()
    };
    let action = |c: &Value| match c.get("action") {
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("+"),
        _ => "?".into(),
    };
    let (old, new) = (by_address(saved), by_address(current));
    let mut found = Vec::new();
    for (address, change) in &old {
        match new.get(address) {
            None => found.push(format!("{address} is no longer in the plan")),
            Some(now) if action(now) != action(change) => found.push(format!(
                "{address} was {} and is now {}",
                action(change),
                action(now)
            )),
            Some(now) if now != change => {
                found.push(format!("{address} changed since the plan was made"))
            }
            Some(_) => {}
        }
    }
    for (address, change) in &new {
        if !old.contains_key(address) {
            found.push(format!("{address} is new ({})", action(change)));
        }
    }
    if found.is_empty() {
        found.push("the plan's summary differs".into());
    }
    const SHOWN: usize = 5;
    if found.len() > SHOWN {
        let more = found.len() - SHOWN;
        found.truncate(SHOWN);
        found.push(format!("and {more} more"));
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::load_str;
    use crate::plan::{ObservedState, diff};

    const BLUEPRINT: &str = "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: tiny\n  region: us-east-1\nregistry:\n  repositories:\n    - name: shiny/hello\n";

    fn plan(text: &str) -> Plan {
        let loaded = load_str("t.yaml", text).expect("valid");
        diff(
            &loaded.resources,
            &ObservedState::empty("tiny", "us-east-1"),
        )
    }

    #[test]
    fn the_same_plan_is_accepted() {
        let p = plan(BLUEPRINT);
        let saved = parse(&plan_json::render(&p)).unwrap();
        assert_eq!(check(&saved, &p), Ok(()));
    }

    #[test]
    fn a_changed_plan_is_refused_with_what_changed() {
        let saved = parse(&plan_json::render(&plan(BLUEPRINT))).unwrap();
        let more = plan(&format!("{BLUEPRINT}    - name: shiny/other\n"));
        let err = check(&saved, &more).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("is new (create)"), "{text}");
        assert!(text.contains("nothing was changed"), "{text}");
    }

    #[test]
    fn another_blueprints_plan_is_refused() {
        let saved = parse(&plan_json::render(&plan(BLUEPRINT))).unwrap();
        let other = plan(&BLUEPRINT.replace("name: tiny", "name: other"));
        // The observed state's name is the plan's blueprint; make it the other one.
        let mut other = other;
        other.blueprint = "other".into();
        assert!(matches!(
            check(&saved, &other),
            Err(SavedPlanError::OtherBlueprint {
                field: "blueprint",
                ..
            })
        ));
    }

    #[test]
    fn garbage_is_not_a_plan() {
        assert!(parse("not json").is_err());
        assert!(parse("[1, 2]").is_err());
        assert!(parse("{\"format_version\": \"1.0\"}").is_err());
    }
}
