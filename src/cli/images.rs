//! `shinyctl images mirror -f FILE`: copies the public images the workload needs into the
//! blueprint's ECR (docs/commands.md).

use std::path::PathBuf;

use super::aws_args::{AwsArgs, block_on};
use super::{Colour, Outcome, load_on_or_report, output};
use shinyctl::blueprint::Date;
use shinyctl::images::MirrorEvent;
use shinyctl::render::images::{human_line, json_line};

/// Container images of the blueprint's workload.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Copy every public image the workload needs (`registry:` images of repositories with
    /// `mirrorOf`) into the blueprint's ECR, keeping multi-architecture indexes and digests and
    /// skipping what is already there.
    Mirror(MirrorArgs),
}

#[derive(Debug, clap::Args)]
pub struct MirrorArgs {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Progress as text or as JSON lines, on stdout.
    #[arg(long, value_enum, default_value_t = super::apply::OutputFormat::Human)]
    pub output: super::apply::OutputFormat,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn run(args: &Args, colour: Colour, today: Date) -> anyhow::Result<Outcome> {
    match &args.command {
        Command::Mirror(args) => mirror(args, colour, today),
    }
}

fn mirror(args: &MirrorArgs, colour: Colour, today: Date) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_on_or_report(&args.file, colour, today, true)? else {
        return Ok(Outcome::Failure);
    };
    let mut target = args.aws.target();
    let region = &loaded.blueprint.metadata.region;
    if let Some(flag) = target.region.as_ref().filter(|flag| *flag != region) {
        // The blueprint's ECR is in its own region, as everything else of it.
        output::stderr(&format!(
            "error: {}\n",
            shinyctl::ops::Error::RegionMismatch {
                blueprint: region.clone(),
                flag: flag.clone(),
            }
        ))?;
        return Ok(Outcome::Failure);
    }
    target.region = Some(region.clone());
    let json = args.output == super::apply::OutputFormat::Json;
    let show = |event: MirrorEvent| {
        let line = if json {
            json_line(&event)
        } else {
            human_line(&event)
        };
        // A closed stdout ends the output, not the copy.
        let _ = output::stdout(&line);
    };
    let result = block_on(async {
        let conn = shinyctl::aws::connect(&target)
            .await
            .map_err(|e| e.to_string())?;
        shinyctl::ops::images::mirror(&conn, &loaded.blueprint, &show).await
    })?;
    match result {
        Ok(summary) if summary.failed == 0 => Ok(Outcome::Success),
        Ok(_) => Ok(Outcome::Failure),
        Err(e) => {
            output::stderr(&format!("error: {e}\n"))?;
            Ok(Outcome::Failure)
        }
    }
}
