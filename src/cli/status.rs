//! `shinyctl status -f FILE [--json]`: what exists of the blueprint in AWS and how it is.
//! Exit codes (docs/ci.md): 0 everything exists and is healthy, 1 error, 3 some of the
//! blueprint's resources do not exist, 4 everything exists but something is unhealthy or still
//! changing.

use std::path::PathBuf;

use super::aws_args::{AwsArgs, block_on};
use super::{Colour, Outcome, load_or_report, output};
use shinyctl::render::status;

/// Show what exists of the blueprint and how it is: entry points, health, the workload's rollout.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Print the status as versioned JSON instead of the human view.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn run(args: &Args, colour: Colour) -> anyhow::Result<Outcome> {
    // No date-dependent checks: the status of an unsupported version is still worth seeing.
    let Some(loaded) = load_or_report(&args.file, colour)? else {
        return Ok(Outcome::Failure);
    };
    let found = block_on(shinyctl::ops::status::status(&loaded, args.aws.target()))??;
    if args.json {
        output::json(&status::json(&found))?;
    } else {
        output::stdout(&status::human(&found, colour.stdout))?;
    }
    Ok(Outcome::Code(found.overall().exit_code()))
}
