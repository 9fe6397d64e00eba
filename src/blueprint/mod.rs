//! The blueprint language: schema (`model`), defaults, and the one load pipeline every command uses:
//! parse YAML (with positions) -> structure check against the JSON Schema -> typed model (defaults
//! applied) -> semantic validation -> derived-name checks. Every problem is reported at once,
//! located by file, line, column and YAML path, with a hint.

pub mod defaults;
pub mod images;
pub mod model;
pub mod problem;
mod salvage;
pub mod schema;
mod structure;
pub mod support;
pub mod validate;
pub(crate) mod yaml;

use std::ops::Range;
use std::path::Path;

pub use model::Blueprint;
pub use problem::{Problem, Severity};
pub use support::Date;

use crate::plan::Resource;
use crate::plan::zones::Zones;

/// The text of a blueprint and the name it is reported under.
#[derive(Debug, Clone)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// A valid blueprint and the AWS resources it asks for.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub source: Source,
    pub blueprint: Blueprint,
    pub resources: Vec<Resource>,
    /// Problems that do not stop it (e.g. a version in paid extended support), located.
    pub warnings: Vec<Diagnostic>,
    /// The availability zones the subnets go into (`None` without a VPC): assumed until a live
    /// plan chooses them from EC2's answer ([`Loaded::live`]).
    pub zones: Option<Zones>,
    /// The versions the blueprint leaves out, as chosen ([`support::defaults`]).
    pub unpinned: Vec<support::defaults::Chosen>,
}

impl Loaded {
    /// The same blueprint with its resources derived for `account` (the live connection's
    /// identity): names that hold the account (S3 buckets) get it instead of the offline
    /// placeholder. Pure. Names were checked with a 12-digit account in its place, so they fit.
    pub fn in_account(&self, account: &str) -> Loaded {
        Loaded {
            source: self.source.clone(),
            blueprint: self.blueprint.clone(),
            resources: crate::plan::catalog::desired_in(&self.blueprint, Some(account)),
            warnings: self.warnings.clone(),
            zones: self.zones.clone(),
            unpinned: self.unpinned.clone(),
        }
    }

    /// The same blueprint (derived for `account`) with the unset versions chosen anew from AWS's
    /// listings: `(path, version, according to)` each. Pure.
    pub fn choosing(&self, choices: &[(&str, String, String)], account: &str) -> Loaded {
        let mut out = self.clone();
        for (path, version, according_to) in choices {
            let Some(chosen) = out.unpinned.iter_mut().find(|c| c.path == *path) else {
                continue;
            };
            let before = chosen.warning().message;
            chosen.version = version.clone();
            chosen.according_to = according_to.clone();
            let after = chosen.warning().message;
            let bp = &mut out.blueprint;
            let slot = match *path {
                "cluster.version" => bp.cluster.as_mut().map(|x| &mut x.version),
                "database.version" => bp.database.as_mut().map(|x| &mut x.version),
                "cache.version" => bp.cache.as_mut().map(|x| &mut x.version),
                _ => None,
            };
            if let Some(slot) = slot {
                *slot = version.clone();
            }
            for w in out.warnings.iter_mut().filter(|w| w.message == before) {
                w.message = after.clone();
            }
        }
        out.resources = self.derive(&out.blueprint, account);
        out
    }

    /// The same blueprint (derived for `account`) with each unset version replaced by the one
    /// its existing resource runs: an unset version never plans an upgrade. Pure.
    pub fn keeping_running(&self, observed: &crate::plan::ObservedState, account: &str) -> Loaded {
        let Some((blueprint, kept)) =
            support::defaults::keep_running(&self.blueprint, &self.unpinned, observed)
        else {
            return self.clone();
        };
        let mut warnings = self.warnings.clone();
        for (path, running) in kept {
            for w in warnings.iter_mut().filter(|w| w.path == path) {
                if w.message.starts_with(&format!("`{path}` is not set")) {
                    w.message = format!(
                        "`{path}` is not set: the existing resource runs {running}, which is kept (no upgrade is planned)"
                    );
                }
            }
        }
        Loaded {
            resources: self.derive(&blueprint, account),
            blueprint,
            warnings,
            ..self.clone()
        }
    }

    /// `blueprint`'s resources for `account`, in this load's zones (a live plan's choice stays).
    fn derive(&self, blueprint: &Blueprint, account: &str) -> Vec<Resource> {
        let zones = self.zones.as_ref().map(|z| z.names.as_slice());
        crate::plan::catalog::desired_with(blueprint, Some(account), zones)
    }

    /// [`Loaded::in_account`] with the subnets in `zones` (chosen from what EC2 lists for the
    /// account). Pure.
    pub fn live(&self, account: &str, zones: Zones) -> Loaded {
        Loaded {
            source: self.source.clone(),
            blueprint: self.blueprint.clone(),
            resources: crate::plan::catalog::desired_with(
                &self.blueprint,
                Some(account),
                Some(&zones.names),
            ),
            warnings: self.warnings.clone(),
            zones: Some(zones),
            unpinned: self.unpinned.clone(),
        }
    }

    /// Whether the blueprint has subnets, so zones to choose.
    pub fn has_subnets(&self) -> bool {
        self.resources
            .iter()
            .any(|r| r.kind == crate::plan::ResourceKind::Subnet)
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
    pub severity: Severity,
    /// Byte range in the source, for snippets.
    #[serde(skip)]
    pub span: Range<usize>,
}

/// Everything wrong with one file, sorted by position: errors, and the warnings found with them.
#[derive(Debug, Clone)]
pub struct Diagnostics {
    pub source: Source,
    pub items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn errors(&self) -> usize {
        self.items
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }
}

#[derive(Debug)]
pub enum LoadError {
    Io { path: String, message: String },
    Invalid(Diagnostics),
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LoadError::Io { path, message } => write!(f, "cannot read blueprint {path}: {message}"),
            LoadError::Invalid(d) => {
                write!(f, "{} has {} problem(s)", d.source.name, d.errors())
            }
        }
    }
}

impl std::error::Error for LoadError {}

/// Loads a blueprint without the checks only the commands that create make (version support on
/// a date, the planned network's reachability, `plan::reach`): for destroy, graph, render,
/// library callers and tests. Validate, plan and apply use [`load_file_on`].
pub fn load_file(path: &Path) -> Result<Loaded, LoadError> {
    read_and_load(path, None)
}

/// Loads a blueprint, judges its pinned versions' support as on `today` ([`support`]) and proves
/// its planned network allows every flow the platform needs ([`crate::plan::reach`]).
pub fn load_file_on(path: &Path, today: Date) -> Result<Loaded, LoadError> {
    read_and_load(path, Some(today))
}

fn read_and_load(path: &Path, today: Option<Date>) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| LoadError::Io {
        path: name.clone(),
        message: e.to_string(),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| LoadError::Io {
        path: name.clone(),
        message: format!(
            "not UTF-8 text (invalid byte at offset {})",
            e.utf8_error().valid_up_to()
        ),
    })?;
    load(&name, &text, today)
}

/// [`load_file`] for text in memory: no date-dependent checks.
pub fn load_str(file_name: &str, text: &str) -> Result<Loaded, LoadError> {
    load(file_name, text, None)
}

/// [`load_file_on`] for text in memory.
pub fn load_str_on(file_name: &str, text: &str, today: Date) -> Result<Loaded, LoadError> {
    load(file_name, text, Some(today))
}

fn load(file_name: &str, text: &str, today: Option<Date>) -> Result<Loaded, LoadError> {
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
            return Err(LoadError::Invalid(Diagnostics {
                source,
                items: vec![diagnostic],
            }));
        }
    };
    let (structural, pruned) = structure::check(&document.value, text, &document.positions);
    let structure_ok = structural.is_empty();
    problems.extend(structural);

    let mut loaded = None;
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
                    crate::plan::catalog::CANARY_RUNTIME,
                ));
            }
            loaded = Some(blueprint);
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
                        crate::plan::catalog::CANARY_RUNTIME,
                    ));
                }
                problems.extend(aside.keep(found));
            }
        }
        Err(e) => problems.push(Problem::new("", format!("cannot read the blueprint: {e}"))),
    }

    match loaded {
        Some(blueprint) if !problems.iter().any(Problem::is_error) => {
            let resources = crate::plan::catalog::desired(&blueprint);
            let mut name_problems = crate::plan::catalog::name_problems(&resources);
            // The planned network must allow every flow the platform needs: checked by the
            // commands that create (validate, plan, apply: the dated load), not by destroy,
            // which must remove what an older shinyctl made.
            if today.is_some() {
                name_problems.extend(crate::plan::reach::problems(&blueprint, &resources));
            }
            if !name_problems.iter().any(Problem::is_error) {
                problems.extend(name_problems);
                let warnings = locate(source.clone(), &document.positions, problems).items;
                let has_subnets = resources
                    .iter()
                    .any(|r| r.kind == crate::plan::ResourceKind::Subnet);
                let zones = blueprint
                    .network
                    .as_ref()
                    .map(|n| n.availability_zones.clone())
                    .or_else(|| has_subnets.then(defaults::availability_zones))
                    .filter(|_| has_subnets)
                    .map(|asked| crate::plan::zones::assumed(&blueprint.metadata.region, &asked));
                return Ok(Loaded {
                    source,
                    blueprint,
                    resources,
                    warnings,
                    zones,
                    unpinned,
                });
            }
            problems.extend(name_problems);
        }
        _ => {}
    }
    Err(LoadError::Invalid(locate(
        source,
        &document.positions,
        problems,
    )))
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
        match load_str("t.yaml", text) {
            Err(LoadError::Invalid(d)) => d.items,
            Err(e) => panic!("{e}"),
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
