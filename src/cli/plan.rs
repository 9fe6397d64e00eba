//! `shinyctl plan -f FILE [--offline | --observed STATE] [--json] [--out PLAN] [--detailed-exitcode]`.
//! Without `--offline` or `--observed` it plans against AWS (`shinyctl::ops::plan_live`).

use anyhow::Context;
use std::path::PathBuf;

use super::aws_args::{AwsArgs, block_on};
use super::{Colour, Outcome, load_on_or_report, output};
use shinyctl::blueprint::Date;
use shinyctl::plan::{ObservedState, diff};
use shinyctl::render::{plan_human, plan_json};

/// Show what would change in AWS to make it match the blueprint. Changes nothing.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Plan against an empty account, without contacting AWS.
    #[arg(long, conflicts_with = "observed")]
    pub offline: bool,
    /// Plan against an observed-state JSON file (see docs/observed-state.md) instead of AWS.
    #[arg(long, value_name = "STATE")]
    pub observed: Option<PathBuf>,
    /// Print the plan as versioned JSON instead of the human view.
    #[arg(long)]
    pub json: bool,
    /// Also save the plan as JSON to this file.
    #[arg(long, value_name = "PLAN")]
    pub out: Option<PathBuf>,
    /// Exit 0 when there are no changes, 2 when there are, 1 on error (as Terraform's).
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[command(flatten)]
    pub aws: AwsArgs,
}

pub fn run(args: &Args, colour: Colour, today: Date) -> anyhow::Result<Outcome> {
    // Warnings go into the plan (its notes), not to stderr.
    let Some(loaded) = load_on_or_report(&args.file, colour, today, false)? else {
        return Ok(Outcome::Failure);
    };
    let metadata = &loaded.blueprint.metadata;
    let mut plan = match &args.observed {
        None if !args.offline => {
            let live = block_on(shinyctl::ops::plan_live(&loaded, args.aws.target()))??;
            let warnings = shinyctl::ops::live::duplicate_warnings(&live.live);
            for warning in warnings.iter().chain(&live.notes) {
                output::stderr(&format!("{warning}\n"))?;
            }
            // The live plan includes the workload's objects on the cluster.
            live.plan
        }
        None => diff(
            &loaded.resources,
            &ObservedState::empty(&metadata.name, &metadata.region),
        ),
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read observed state {}", path.display()))?;
            let state =
                ObservedState::from_json(&text).with_context(|| format!("{}", path.display()))?;
            state
                .check_belongs_to(&metadata.name, &metadata.region)
                .with_context(|| format!("{}", path.display()))?;
            diff(&loaded.resources, &state)
        }
    };
    if args.offline || args.observed.is_some() {
        // The live plan adds them itself, with what AWS says about the versions.
        shinyctl::ops::live::add_blueprint_warnings(&mut plan, &loaded, &[]);
        // Without AWS, the prices shipped in the binary (the live plan asks the Price List).
        let book = shinyctl::plan::cost::table::offline(&plan.region);
        plan.cost = Some(shinyctl::plan::cost::estimate(&plan, &book));
    }

    let json = plan_json::render(&plan);
    if let Some(out) = &args.out {
        std::fs::write(out, &json)
            .with_context(|| format!("cannot write the plan to {}", out.display()))?;
    }
    if args.json {
        output::stdout(&json)?;
    } else {
        output::stdout(&plan_human::render(&plan, colour.stdout))?;
    }
    if let Some(out) = &args.out {
        output::stderr(&format!("Saved the plan to {}\n", out.display()))?;
    }
    Ok(match (args.detailed_exitcode, plan.has_changes()) {
        (true, true) => Outcome::Changes,
        _ => Outcome::Success,
    })
}
