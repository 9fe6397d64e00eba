//! Every problem at once: a document with structural problems (a missing key, a value outside an
//! enum, a wrong type) still gets its semantic checks on everything else. The values that break
//! the schema are set aside — removed, so their defaults apply or the list is one shorter — until
//! the rest reads as a typed blueprint; the semantic checks then run on it, and their problems are
//! kept except the ones about what was set aside (already reported structurally): problems at or
//! under a set-aside path, and problems naming a set-aside item (`access point `data` is not
//! in ...` when the access point `data` was set aside). Paths are mapped back to the document's
//! own indexes, so a problem of `accessPoints[1]` is reported there even when `accessPoints[0]`
//! was set aside.

use serde_json::Value;

use super::model::Blueprint;
use super::problem::Problem;
use super::structure::{invalid_paths, yaml_path};

/// At most this many rounds of setting aside (each one removes every value the schema refuses).
const ROUNDS: usize = 8;

/// What was set aside, in the order it was removed.
#[derive(Debug, Default)]
pub(crate) struct SetAside {
    /// YAML paths of the removed values, in the coordinates of their removal.
    removed: Vec<String>,
    /// The lists an element was removed from, and its index then (for mapping paths back).
    shifts: Vec<Option<(String, usize)>>,
    /// `name` and `id` values of removed items.
    names: Vec<String>,
}

/// A typed blueprint of what can be read when `value` breaks the schema, with what was set
/// aside; `None` when even that fails (the document itself is not a blueprint).
pub(crate) fn salvage(value: &Value) -> Option<(Blueprint, SetAside)> {
    let mut value = value.clone();
    let mut aside = SetAside::default();
    for _ in 0..ROUNDS {
        if let Ok(blueprint) = serde_json::from_value::<Blueprint>(value.clone()) {
            return Some((blueprint, aside));
        }
        let mut invalid = invalid_paths(&value);
        // The root cannot be set aside; a parent's removal covers its children.
        invalid.retain(|p| !p.is_empty());
        let mut kept: Vec<Vec<String>> = Vec::new();
        for p in &invalid {
            if !invalid
                .iter()
                .any(|q| q.len() < p.len() && p.starts_with(q))
            {
                kept.push(p.clone());
            }
        }
        if kept.is_empty() {
            return None;
        }
        // Later list elements first, so earlier indexes stay valid within the round.
        kept.sort_by_key(|p| std::cmp::Reverse(index_key(p)));
        for segments in kept {
            aside.remove(&mut value, &segments);
        }
    }
    None
}

fn index_key(segments: &[String]) -> Vec<(u64, String)> {
    segments
        .iter()
        .map(|s| (s.parse::<u64>().unwrap_or(0), s.clone()))
        .collect()
}

impl SetAside {
    fn remove(&mut self, value: &mut Value, segments: &[String]) {
        let Some((last, parents)) = segments.split_last() else {
            return;
        };
        let Some(parent) = parents.iter().try_fold(&mut *value, |v, s| match v {
            Value::Object(map) => map.get_mut(s),
            Value::Array(items) => s.parse::<usize>().ok().and_then(|i| items.get_mut(i)),
            _ => None,
        }) else {
            return;
        };
        let removed = match parent {
            Value::Object(map) => map.shift_remove(last).map(|v| (v, None)),
            Value::Array(items) => match last.parse::<usize>() {
                Ok(i) if i < items.len() => Some((items.remove(i), Some((yaml_path(parents), i)))),
                _ => None,
            },
            _ => None,
        };
        if let Some((removed, shift)) = removed {
            for key in ["name", "id"] {
                if let Some(name) = removed.get(key).and_then(Value::as_str) {
                    self.names.push(name.to_string());
                }
            }
            if parents.is_empty() {
                // A whole section: problems saying it is missing are about it too.
                self.names.push(last.clone());
            }
            self.removed.push(yaml_path(segments));
            self.shifts.push(shift);
        }
    }

    /// `path` (in the coordinates after removal `from`) in the document's own coordinates.
    fn restore(&self, path: &str, from: usize) -> String {
        let mut path = path.to_string();
        for shift in self.shifts[from..].iter().rev().flatten() {
            let (list, index) = shift;
            let prefix = format!("{list}[");
            if let Some(rest) = path.strip_prefix(&prefix) {
                if let Some((number, tail)) = rest.split_once(']') {
                    if let Ok(j) = number.parse::<usize>() {
                        if j >= *index {
                            path = format!("{prefix}{}]{tail}", j + 1);
                        }
                    }
                }
            }
        }
        path
    }

    /// The semantic problems worth reporting, at the document's own paths.
    pub(crate) fn keep(&self, problems: Vec<Problem>) -> Vec<Problem> {
        let removed: Vec<String> = self
            .removed
            .iter()
            .enumerate()
            .map(|(i, p)| self.restore(p, i + 1))
            .collect();
        problems
            .into_iter()
            .map(|mut p| {
                p.path = self.restore(&p.path, 0);
                p
            })
            .filter(|p| {
                !removed.iter().any(|r| {
                    p.path == *r
                        || p.path.starts_with(&format!("{r}."))
                        || p.path.starts_with(&format!("{r}["))
                })
            })
            .filter(|p| {
                !self
                    .names
                    .iter()
                    .any(|n| p.message.contains(&format!("`{n}`")))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_list_element_is_set_aside_and_later_paths_map_back() {
        let value = serde_json::json!({
            "apiVersion": "shinyctl.dev/v1alpha1", "kind": "Blueprint",
            "metadata": {"name": "demo", "region": "us-east-1"},
            "storage": {"efs": {"accessPoints": [
                {"name": "a", "uid": 1000, "gid": 1000},
                {"name": "Bad Name", "path": "/b", "uid": 1000, "gid": 1000}
            ]}}
        });
        let (bp, aside) = salvage(&value).expect("the rest reads");
        let points = &bp
            .storage
            .as_ref()
            .unwrap()
            .efs
            .as_ref()
            .unwrap()
            .access_points;
        assert_eq!(points.len(), 1);
        let problems = aside.keep(vec![
            Problem::new(
                "storage.efs.accessPoints[0].name",
                "`Bad Name` is not valid",
            ),
            Problem::new(
                "storage.efs.accessPoints[0]",
                "about the removed one? no: shifted",
            ),
            Problem::new(
                "proxy.apps[0].mounts[0].accessPoint",
                "access point `a` is not in",
            ),
        ]);
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "storage.efs.accessPoints[1].name",
                "storage.efs.accessPoints[1]"
            ]
        );
    }

    #[test]
    fn an_enum_value_is_set_aside_for_its_default() {
        let value = serde_json::json!({
            "apiVersion": "shinyctl.dev/v1alpha1", "kind": "Blueprint",
            "metadata": {"name": "demo", "region": "us-east-1"},
            "network": {"natGateway": "perZone", "cidr": "10.0.0.300/16"}
        });
        let (bp, aside) = salvage(&value).expect("the rest reads");
        assert_eq!(bp.network.as_ref().unwrap().cidr, "10.0.0.300/16");
        let kept = aside.keep(vec![
            Problem::new("network.cidr", "not a valid IPv4 CIDR"),
            Problem::new("network.natGateway", "about the default"),
        ]);
        assert_eq!(kept.len(), 1);
        assert_eq!(kept[0].path, "network.cidr");
    }
}
