//! `shinyctl validate -f FILE [--json]`: exit 0 when the blueprint is valid (warnings, such as a
//! version in paid extended support, are shown and keep it valid), 1 when not.

use std::path::PathBuf;

use super::{Colour, Outcome, load_on_or_report, output};
use shinyctl::blueprint::Date;
use shinyctl::load::{LoadError, load_file_on};
use shinyctl::render::diagnostics;

/// Check a blueprint: syntax, schema, references, AWS limits. Reports every problem at once.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Print the result as JSON on stdout instead of diagnostics on stderr.
    #[arg(long)]
    pub json: bool,
}

pub fn run(args: &Args, colour: Colour, today: Date) -> anyhow::Result<Outcome> {
    if args.json {
        return run_json(args, today);
    }
    // Warnings (a version in paid extended support) are printed and the exit code stays 0.
    let Some(loaded) = load_on_or_report(&args.file, colour, today, true)? else {
        return Ok(Outcome::Failure);
    };
    output::stdout(&format!(
        "{} is valid: blueprint {:?} in {}, {} AWS resources\n",
        loaded.source.name,
        loaded.blueprint.metadata.name,
        loaded.blueprint.metadata.region,
        loaded.resources.len()
    ))?;
    Ok(Outcome::Success)
}

fn run_json(args: &Args, today: Date) -> anyhow::Result<Outcome> {
    let (document, outcome) = match load_file_on(&args.file, today) {
        Ok(loaded) => (
            serde_json::json!({
                "format_version": "1.0",
                "file": loaded.source.name,
                "valid": true,
                "diagnostics": loaded.warnings,
            }),
            Outcome::Success,
        ),
        Err(LoadError::Invalid(d)) => (diagnostics::json(&d), Outcome::Failure),
        Err(e @ LoadError::Io { .. }) => return Err(e.into()),
    };
    output::json(&document)?;
    Ok(outcome)
}
