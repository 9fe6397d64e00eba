//! `shinyctl render -f FILE --out DIR`: what the blueprint runs, as files, without AWS (ids and
//! endpoints are placeholders): the proxy workload (`DIR/application.yml`, `DIR/manifests/*.yaml`;
//! see docs/workload.md) and the app servers' user data, SSM document, its script and nginx site
//! (`DIR/servers/<group>/`). Manifests of an earlier render the blueprint no longer has are removed.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{Colour, Outcome, load_or_report};
use shinyctl::workload::{self, PlatformFacts};

/// Write ShinyProxy's application.yml and the Kubernetes manifests of the blueprint's proxy.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Directory to write into (created when missing).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
}

pub fn run(args: &Args, colour: Colour) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_or_report(&args.file, colour)? else {
        return Ok(Outcome::Failure);
    };
    let bp = &loaded.blueprint;
    let servers = shinyctl::plan::catalog::servers::rendered_files(bp);
    for (relative, contents) in &servers {
        let path = args.out.join(relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    let facts = PlatformFacts::placeholders(bp);
    let Some(rendered) = workload::render(bp, &facts) else {
        if !servers.is_empty() {
            println!(
                "wrote {} files to {} (the servers' user data, SSM documents and nginx sites)",
                servers.len(),
                args.out.display()
            );
            return Ok(Outcome::Success);
        }
        eprintln!(
            "{} has no `proxy` section (nor a cluster behind an ingress) and no `servers`: nothing to render",
            loaded.source.name
        );
        return Ok(Outcome::Failure);
    };
    let files = shinyctl::render::workload::files(&rendered, &facts);
    let manifests = args.out.join("manifests");
    std::fs::create_dir_all(&manifests)
        .with_context(|| format!("creating {}", manifests.display()))?;
    remove_stale_manifests(&manifests, &files)?;
    for (relative, contents) in &files {
        let path = args.out.join(relative);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    let manifests = files
        .iter()
        .filter(|(relative, _)| relative.starts_with("manifests/"))
        .count();
    let config = if files.len() > manifests {
        "application.yml and "
    } else {
        ""
    };
    println!(
        "wrote {} files to {} ({config}{manifests} manifests; AWS ids are placeholders)",
        files.len(),
        args.out.display(),
    );
    Ok(Outcome::Success)
}

/// Old `*.yaml` files in `manifests/` that this render does not write: an object the blueprint
/// dropped must not linger for `kubectl apply -f` to resurrect.
fn remove_stale_manifests(dir: &Path, files: &[(String, String)]) -> anyhow::Result<()> {
    let keep: Vec<PathBuf> = files
        .iter()
        .filter_map(|(relative, _)| relative.strip_prefix("manifests/"))
        .map(|name| dir.join(name))
        .collect();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "yaml") && !keep.contains(&path) {
            std::fs::remove_file(&path).with_context(|| format!("removing {}", path.display()))?;
        }
    }
    Ok(())
}
