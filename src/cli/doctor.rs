//! `shinyctl doctor -f FILE [--json]`: what AWS would refuse an apply of the blueprint for —
//! credentials, services in the region, versions, quotas, permissions, certificates, secrets —
//! each with its fix. Changes nothing. Exit codes (docs/ci.md): 0 nothing would stop an apply
//! (warnings may be shown), 1 doctor itself could not run, 3 at least one error finding.

use std::path::PathBuf;

use super::aws_args::{AwsArgs, block_on};
use super::{Colour, Outcome, load_or_report, output};
use shinyctl::render::doctor;

/// Check everything an apply needs from AWS before running it; each finding says what to do.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Print the findings as versioned JSON instead of the human view.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn run(args: &Args, colour: Colour) -> anyhow::Result<Outcome> {
    // AWS's own version answers judge the versions (the offline table's warnings would repeat them).
    let Some(loaded) = load_or_report(&args.file, colour)? else {
        return Ok(Outcome::Failure);
    };
    let report = block_on(shinyctl::ops::doctor::doctor(&loaded, args.aws.target()))??;
    if args.json {
        output::json(&doctor::json(&report))?;
    } else {
        output::stdout(&doctor::human(&report, colour.stdout))?;
    }
    Ok(Outcome::Code(report.exit_code()))
}
