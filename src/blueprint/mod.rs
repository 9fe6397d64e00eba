//! The blueprint language: schema (`model`), defaults, and its checks: parse YAML (with
//! positions) -> structure check against the JSON Schema -> typed model (defaults applied) ->
//! semantic validation (and, on a given day, version support). Every problem is reported at once,
//! located by file, line, column and YAML path, with a hint. It returns a validated blueprint
//! only: what the blueprint becomes (resources, AWS names, reachability) is checked by
//! the `load` module, the one load pipeline every command uses.

pub(crate) mod defaults;
pub(crate) mod images;
pub(crate) mod model;
pub(crate) mod partition;
pub(crate) mod problem;
mod salvage;
pub mod schema;
mod structure;
pub(crate) mod subnets;
pub(crate) mod support;
pub(crate) mod validate;
pub(crate) mod yaml;

use std::ops::Range;

pub use model::Blueprint;
pub(crate) use problem::{Problem, Severity};
pub use support::Date;

/// The text of a blueprint and the name it is reported under.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub(crate) text: String,
}

/// A blueprint the language accepts: its typed model (defaults applied, unset versions chosen),
/// with its warnings and where each YAML path is, so the checks of what it becomes are located
/// in the same text.
#[derive(Debug, Clone)]
pub(crate) struct Checked {
    pub(crate) source: Source,
    pub(crate) blueprint: Blueprint,
    /// The versions the blueprint leaves out, as chosen ([`support::defaults`]).
    pub(crate) unpinned: Vec<support::defaults::Chosen>,
    /// Warnings, located only with the later checks' problems so that all sort together.
    warnings: Vec<Problem>,
    positions: yaml::PositionIndex,
}

impl Checked {
    /// The blueprint's warnings and `more` (problems found in what it becomes), located and
    /// sorted by position.
    pub(crate) fn locate(&self, more: Vec<Problem>) -> Diagnostics {
        let mut problems = self.warnings.clone();
        problems.extend(more);
        locate(self.source.clone(), &self.positions, problems)
    }
}

/// One located problem.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Diagnostic {
    pub path: String,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    pub(crate) severity: Severity,
    /// Byte range in the source, for snippets.
    #[serde(skip)]
    pub span: Range<usize>,
}

/// Everything wrong with one file, sorted by position: errors, and the warnings found with them.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    pub(crate) source: Source,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub(crate) fn errors(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

/// Checks `file_name`'s `text` as the language defines it; with `today`, also judges the pinned
/// versions' support on that day ([`support`]). Pure.
pub(crate) fn check(
    file_name: &str,
    text: &str,
    today: Option<Date>,
) -> Result<Checked, Diagnostics> {
    let source = Source {
        name: file_name.to_string(),
        text: text.to_string(),
    };
    let (document, mut problems) = match yaml::parse(text) {
        Ok(parsed) => parsed,
        Err((at, message)) => {
            let diagnostic = Diagnostic {
                path: String::new(),
                line: at.line,
                column: at.column,
                message,
                hint: Some("check the indentation (spaces, not tabs), colons and quotes on this line and the one before".into()),
                severity: Severity::Error,
                span: at.bytes,
            };
            return Err(Diagnostics {
                source,
                items: vec![diagnostic],
            });
        }
    };
    let (structural, pruned) = structure::check(&document.value, text, &document.positions);
    let structure_ok = structural.is_empty();
    problems.extend(structural);

    let mut valid = None;
    let mut unpinned = Vec::new();
    let day = today.unwrap_or(support::tables::TAKEN);
    match serde_json::from_value::<Blueprint>(pruned.clone()) {
        Ok(mut blueprint) => {
            unpinned = support::defaults::choose(&mut blueprint, day);
            problems.extend(unpinned.iter().map(support::defaults::Chosen::warning));
            problems.extend(semantic_problems(&blueprint));
            if let Some(today) = today {
                problems.extend(support::check(
                    &blueprint,
                    today,
                    support::defaults::CANARY_RUNTIME,
                ));
            }
            valid = Some(blueprint);
        }
        // The structure check explains why; serde's own message would only repeat it. The rest
        // of the document is still checked, without what the schema refused (`salvage`).
        Err(_) if !structure_ok => {
            if let Some((mut salvaged, aside)) = salvage::salvage(&pruned) {
                support::defaults::choose(&mut salvaged, day);
                let mut found = semantic_problems(&salvaged);
                if let Some(today) = today {
                    found.extend(support::check(
                        &salvaged,
                        today,
                        support::defaults::CANARY_RUNTIME,
                    ));
                }
                problems.extend(aside.keep(found));
            }
        }
        Err(e) => problems.push(Problem::new("", format!("cannot read the blueprint: {e}"))),
    }

    match valid {
        Some(blueprint) if !problems.iter().any(Problem::is_error) => Ok(Checked {
            source,
            blueprint,
            unpinned,
            warnings: problems,
            positions: document.positions,
        }),
        _ => Err(locate(source, &document.positions, problems)),
    }
}

/// Semantic checks on a structurally valid model.
fn semantic_problems(blueprint: &Blueprint) -> Vec<Problem> {
    validate::validate(blueprint)
}

fn locate(source: Source, positions: &yaml::PositionIndex, problems: Vec<Problem>) -> Diagnostics {
    let mut items: Vec<Diagnostic> = problems
        .into_iter()
        .map(|p| {
            let at = if p.at_key {
                positions.key(&p.path)
            } else {
                positions.value(&p.path)
            };
            Diagnostic {
                path: display_path(&p.path),
                line: at.line,
                column: at.column,
                message: p.message,
                hint: p.hint,
                severity: p.severity,
                span: at.bytes,
            }
        })
        .collect();
    items.sort_by(|a, b| {
        (a.line, a.column, &a.path, &a.message).cmp(&(b.line, b.column, &b.path, &b.message))
    });
    items.dedup();
    Diagnostics { source, items }
}

/// Internal path markers (`#dup`, `<key>`) are for locating only.
fn display_path(path: &str) -> String {
    path.trim_end_matches("#dup")
        .trim_end_matches("<key>")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(text: &str) -> Vec<Diagnostic> {
        match check("t.yaml", text, None) {
            Err(d) => d.items,
            Ok(_) => Vec::new(),
        }
    }

    #[test]
    fn the_reference_example_loads() {
        let text = include_str!("../../blueprints/shinyproxy-eks.yaml");
        assert_eq!(problems(text), Vec::<Diagnostic>::new());
    }

    #[test]
    fn reports_every_structural_problem_with_positions() {
        let text = "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: x\n  region: us-east-1\nnetwork:\n  natt: single\n  cidr: 10\ncluster:\n  version: 1.30\n";
        let found = problems(text);
        let summary: Vec<_> = found
            .iter()
            .map(|d| (d.line, d.column, d.path.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (7, 3, "network.natt"),
                (8, 9, "network.cidr"),
                (10, 12, "cluster.version")
            ]
        );
        assert_eq!(found[0].hint.as_deref(), Some("did you mean `natGateway`?"));
        assert!(
            found[2].hint.as_deref().unwrap().contains("\"1.30\""),
            "{:?}",
            found[2]
        );
    }

    #[test]
    fn missing_keys_point_at_their_parent() {
        let found =
            problems("apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: x\n");
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].line, found[0].path.as_str()),
            (3, "metadata"),
            "{found:?}"
        );
        assert!(found[0].message.contains("missing required key `region`"));
    }
}
