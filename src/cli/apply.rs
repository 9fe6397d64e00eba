//! `shinyctl apply -f FILE [--plan PLAN] [--auto-approve] [--allow-data-loss]
//! [--allow-cluster-restart] [--break-lock]
//! [--parallelism N] [--output human|json]`. The flow is `shinyctl::ops::apply`; this file parses
//! the flags and provides the terminal side ([`TerminalConsole`]), which destroy shares.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use anyhow::Context;

use super::aws_args::{ASKING, AwsArgs, ExecutionArgs, block_on_interruptible};
use super::{Colour, Outcome, load_on_or_report, output};
use shinyctl::blueprint::Date;
use shinyctl::ops::{self, ApplyOptions, ApplyOutcome, Approval};
use shinyctl::plan::Plan;
use shinyctl::render::progress::{JsonLinesRenderer, LineRenderer, ProgressRenderer, TtyRenderer};
use shinyctl::render::{entry_points, plan_human};

/// Make AWS match the blueprint: plan, show, ask, then create, update and delete.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Apply this saved plan (`shinyctl plan --out PLAN`) if planning again gives the same plan;
    /// otherwise refuse and change nothing. Needs no confirmation.
    #[arg(long, value_name = "PLAN")]
    pub plan: Option<PathBuf>,
    /// Do not ask for confirmation (CI). Without a terminal, apply refuses to run without it.
    #[arg(long)]
    pub auto_approve: bool,
    /// Allow deleting or replacing resources that hold data (databases, caches, EFS, buckets).
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Allow a change every server of a cluster takes at once (Workbench's version, cookie key
    /// or licence): they all restart together.
    #[arg(long)]
    pub allow_cluster_restart: bool,
    /// Remove a stale apply lock first (prints who held it and since when).
    #[arg(long)]
    pub break_lock: bool,
    #[command(flatten)]
    pub execution: ExecutionArgs,
    /// Progress as text (a live view on a terminal, one line per event otherwise) or as JSON
    /// lines on stdout.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    #[command(flatten)]
    pub aws: AwsArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    Human,
    Json,
}

pub fn run(args: &Args, colour: Colour, today: Date) -> anyhow::Result<Outcome> {
    let approval = match &args.plan {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read the saved plan {}", path.display()))?;
            Approval::Saved(
                ops::saved::parse(&text).with_context(|| format!("{}", path.display()))?,
            )
        }
        None => approval(args.auto_approve, "apply")?,
    };
    // The plan shown before asking carries the blueprint's warnings.
    let Some(loaded) = load_on_or_report(&args.file, colour, today, false)? else {
        return Ok(Outcome::Failure);
    };
    let options = ApplyOptions {
        approval,
        allow_data_loss: args.allow_data_loss,
        allow_cluster_restart: args.allow_cluster_restart,
        break_lock: args.break_lock,
        execution: args.execution.execution(),
    };
    let mut console = TerminalConsole::new(Verb::Apply, args.output, colour);
    let outcome =
        block_on_interruptible(&args.aws, &options.execution, async |target, interrupt| {
            ops::apply(&loaded, target, &options, &mut console, interrupt).await
        })??;
    match &outcome {
        ApplyOutcome::NoChanges | ApplyOutcome::Ran(_) => {}
        ApplyOutcome::Declined => console.say_out("Apply cancelled: nothing was changed.")?,
        ApplyOutcome::Interrupted => {
            console.say_out("Interrupted before anything started: nothing was changed.")?
        }
    }
    Ok(if outcome.is_success() {
        Outcome::Success
    } else {
        Outcome::Failure
    })
}

/// Ask on a terminal; refuse without one unless auto-approved.
pub fn approval(auto_approve: bool, verb: &str) -> anyhow::Result<Approval> {
    if auto_approve {
        Ok(Approval::Auto)
    } else if std::io::stdin().is_terminal() {
        Ok(Approval::Ask)
    } else {
        anyhow::bail!(
            "{verb} changes AWS and needs approval, but there is no terminal to ask on: pass \
             --auto-approve (as in CI){}",
            if verb == "apply" {
                ", or apply a reviewed plan with --plan PLAN"
            } else {
                ""
            }
        )
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Apply,
    Destroy,
}

/// The terminal side of apply and destroy. With `--output json`, stdout carries only JSON event
/// lines; the plan and messages go to stderr.
pub struct TerminalConsole {
    verb: Verb,
    format: OutputFormat,
    colour: Colour,
}

impl TerminalConsole {
    pub fn new(verb: Verb, format: OutputFormat, colour: Colour) -> Self {
        TerminalConsole {
            verb,
            format,
            colour,
        }
    }

    /// A message on the stream the plan goes to.
    pub fn say_out(&self, message: &str) -> anyhow::Result<()> {
        let text = format!("{message}\n");
        match self.format {
            OutputFormat::Human => output::stdout(&text),
            OutputFormat::Json => output::stderr(&text),
        }
    }
}

impl ops::Console for TerminalConsole {
    fn show_plan(&mut self, plan: &Plan) -> Result<(), String> {
        let text = if self.verb == Verb::Destroy && !plan.has_changes() {
            format!(
                "Nothing of blueprint {:?} exists in {}.\n",
                plan.blueprint, plan.region
            )
        } else {
            let colour = match self.format {
                OutputFormat::Human => self.colour.stdout,
                OutputFormat::Json => self.colour.stderr,
            };
            plan_human::render(plan, colour)
        };
        match self.format {
            OutputFormat::Human => output::stdout(&text),
            OutputFormat::Json => output::stderr(&text),
        }
        .map_err(|e| e.to_string())
    }

    fn confirm(&mut self, question: &str) -> Result<bool, String> {
        let mut err = std::io::stderr().lock();
        write!(err, "\n{question} Only 'yes' will be accepted: ")
            .and_then(|()| err.flush())
            .map_err(|e| e.to_string())?;
        drop(err);
        ASKING.store(true, Ordering::SeqCst);
        let mut answer = String::new();
        let read = std::io::stdin().lock().read_line(&mut answer);
        ASKING.store(false, Ordering::SeqCst);
        read.map_err(|e| format!("cannot read the answer: {e}"))?;
        Ok(answer.trim() == "yes")
    }

    fn say(&mut self, message: &str) -> Result<(), String> {
        output::stderr(&format!("{message}\n")).map_err(|e| e.to_string())
    }

    fn show_entry_points(&mut self, entry: &ops::entry_points::EntryPoints) -> Result<(), String> {
        match self.format {
            OutputFormat::Human => output::stdout(&entry_points::human(entry)),
            OutputFormat::Json => output::stdout(&format!("{}\n", entry_points::json(entry))),
        }
        .map_err(|e| e.to_string())
    }

    fn progress(&mut self, verb: &'static str) -> Box<dyn ProgressRenderer> {
        match self.format {
            OutputFormat::Json => Box::new(JsonLinesRenderer::new(std::io::stdout())),
            OutputFormat::Human if std::io::stderr().is_terminal() => {
                Box::new(TtyRenderer::new(verb))
            }
            OutputFormat::Human => Box::new(LineRenderer::new(std::io::stdout()).with_verb(verb)),
        }
    }
}
