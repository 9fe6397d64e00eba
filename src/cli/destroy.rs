//! `shinyctl destroy -f FILE [--auto-approve] [--allow-data-loss] [--skip-final-snapshot]
//! [--break-lock] [--parallelism N] [--output human|json]`. The flow is `shinyctl::ops::destroy`.

use std::path::PathBuf;

use super::apply::{OutputFormat, TerminalConsole, Verb, approval};
use super::aws_args::{AwsArgs, ExecutionArgs, block_on_interruptible};
use super::{Colour, Outcome, load_or_report, output};
use shinyctl::ops::{self, DestroyOptions, DestroyOutcome};

/// Delete everything this blueprint created, then check that nothing carrying its tags remains.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file (its metadata.name selects what is deleted: only what carries its tags).
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Do not ask for confirmation (CI). Without a terminal, destroy refuses to run without it.
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow deleting resources that hold data (databases, caches, EFS, buckets).
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Delete RDS instances and clusters without a final snapshot.
    #[arg(long)]
    pub skip_final_snapshot: bool,
    /// Remove a stale apply lock first (prints who held it and since when).
    #[arg(long)]
    pub break_lock: bool,
    #[command(flatten)]
    pub execution: ExecutionArgs,
    /// Progress as text or as JSON lines on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn run(args: &Args, colour: Colour) -> anyhow::Result<Outcome> {
    let approval = approval(args.auto_approve, "destroy")?;
    let Some(loaded) = load_or_report(&args.file, colour)? else {
        return Ok(Outcome::Failure);
    };
    let options = DestroyOptions {
        approval,
        allow_data_loss: args.allow_data_loss,
        skip_final_snapshot: args.skip_final_snapshot,
        break_lock: args.break_lock,
        execution: args.execution.execution(),
    };
    let mut console = TerminalConsole::new(Verb::Destroy, args.output, colour);
    let outcome =
        block_on_interruptible(&args.aws, &options.execution, async |target, interrupt| {
            ops::destroy(&loaded, target, &options, &mut console, interrupt).await
        })??;
    let name = &loaded.blueprint.metadata.name;
    match &outcome {
        DestroyOutcome::Declined => console.say_out("Destroy cancelled: nothing was changed.")?,
        DestroyOutcome::Interrupted => {
            console.say_out("Interrupted before anything started: nothing was changed.")?
        }
        DestroyOutcome::Ran { summary, remaining } => {
            if summary.as_ref().is_some_and(|s| s.interrupted) {
                // The summary said what was left; verifying was skipped.
            } else if remaining.is_empty() {
                console.say_out(&format!(
                    "Verified: nothing tagged with blueprint {name:?} remains in {}.",
                    loaded.blueprint.metadata.region
                ))?;
            } else {
                let mut text = format!(
                    "Not everything is gone: {} resource{} of blueprint {name:?} remain{}:\n",
                    remaining.len(),
                    if remaining.len() == 1 { "" } else { "s" },
                    if remaining.len() == 1 { "s" } else { "" },
                );
                for r in remaining {
                    text.push_str(&format!("  {} ({}, {})\n", r.address, r.kind, r.id));
                }
                text.push_str("Run destroy again; if they stay, see the failures above.\n");
                output::stderr(&text)?;
            }
        }
    }
    Ok(if outcome.is_success() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}
