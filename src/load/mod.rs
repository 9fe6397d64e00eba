//! The one load pipeline every command uses: the blueprint's own checks ([`blueprint::check`]),
//! then what it becomes — its resources (`plan::catalog`), their AWS names (`name_problems`) and,
//! for the commands that create, the planned network's reachability (`plan::reach`) — with every
//! problem located in the blueprint's text as one set of diagnostics. `load_*_on(today)` adds the
//! date-dependent checks. Reading the file is the only IO; the rest is pure.

mod running;

use std::path::Path;

use crate::blueprint::support::defaults::Chosen;
use crate::blueprint::{self, Blueprint, Date, Diagnostic, Diagnostics, Problem, Source, defaults};
use crate::plan::Resource;
use crate::plan::zones::Zones;

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
    pub(crate) zones: Option<Zones>,
    /// The versions the blueprint leaves out, as chosen (`blueprint::support::defaults`).
    pub(crate) unpinned: Vec<Chosen>,
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
    pub(crate) fn choosing(&self, choices: &[(&str, String, String)], account: &str) -> Loaded {
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
    /// its existing resource runs (`proxy`: the ShinyProxy version the proxy's Deployment runs):
    /// an unset version never plans an upgrade. Pure.
    pub(crate) fn keeping_running(
        &self,
        observed: &crate::plan::ObservedState,
        proxy: Option<&str>,
        account: &str,
    ) -> Loaded {
        let Some((blueprint, kept)) =
            running::keep_running(&self.blueprint, &self.unpinned, observed, proxy)
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
    pub(crate) fn live(&self, account: &str, zones: Zones) -> Loaded {
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
    pub(crate) fn has_subnets(&self) -> bool {
        self.resources
            .iter()
            .any(|r| r.kind == crate::plan::ResourceKind::Subnet)
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

/// Loads a blueprint, judges its pinned versions' support as on `today` ([`blueprint::support`])
/// and proves its planned network allows every flow the platform needs ([`crate::plan::reach`]).
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

/// A blueprint shipped in `blueprints/` (`name` as `lowcode-ha.yaml`), loaded as `shinyctl`
/// loads it; panics naming the file if it does not load (for tests).
#[cfg(test)]
pub(crate) fn shipped(name: &str) -> Loaded {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("blueprints")
        .join(name);
    load_file(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// [`load_file_on`] for text in memory.
#[cfg(test)]
pub(crate) fn load_str_on(file_name: &str, text: &str, today: Date) -> Result<Loaded, LoadError> {
    load(file_name, text, Some(today))
}

fn load(file_name: &str, text: &str, today: Option<Date>) -> Result<Loaded, LoadError> {
    let checked = blueprint::check(file_name, text, today).map_err(LoadError::Invalid)?;
    let blueprint = &checked.blueprint;
    let resources = crate::plan::catalog::desired(blueprint);
    let mut found = crate::plan::catalog::name_problems(&resources);
    // The planned network must allow every flow the platform needs: checked by the commands that
    // create (validate, plan, apply: the dated load), not by destroy, which must remove what an
    // older shinyctl made.
    if today.is_some() {
        found.extend(crate::plan::reach::problems(blueprint, &resources));
    }
    if found.iter().any(Problem::is_error) {
        return Err(LoadError::Invalid(checked.locate(found)));
    }
    let warnings = checked.locate(found).items;
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
    Ok(Loaded {
        source: checked.source,
        blueprint: checked.blueprint,
        resources,
        warnings,
        zones,
        unpinned: checked.unpinned,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../blueprints/shinyproxy-eks.yaml");

    #[test]
    fn the_reference_example_loads() {
        let loaded = load_str("b.yaml", EXAMPLE).expect("loads");
        assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
        assert!(loaded.has_subnets() && loaded.zones.is_some());
    }

    #[test]
    fn a_missing_file_is_an_io_error() {
        let Err(LoadError::Io { path, .. }) = load_file(Path::new("/nonexistent/b.yaml")) else {
            panic!("no such file");
        };
        assert_eq!(path, "/nonexistent/b.yaml");
    }
}
