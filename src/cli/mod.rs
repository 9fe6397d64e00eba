//! The command line: one file per verb. Each verb parses its flags and calls library code; this
//! module only dispatches and decides the few things that belong to the terminal (colour).

use clap::{Parser, Subcommand};
use shinyctl::blueprint::Date;
use std::io::IsTerminal;
use std::process::ExitCode;

mod apply;
mod aws_args;
mod completions;
mod destroy;
mod doctor;
mod graph;
mod images;
mod kinds;
mod kubeconfig;
mod output;
mod plan;
mod render;
mod schema;
mod status;
mod token;
mod validate;

/// One declarative blueprint for a whole Shiny/R app platform on AWS: validate, plan, apply, destroy.
#[derive(Debug, Parser)]
#[command(name = "shinyctl", version, about, propagate_version = true)]
pub struct Cli {
    /// Never colour the output (colour is also off when `NO_COLOR` is set or output is not a terminal).
    #[arg(long, global = true)]
    pub no_color: bool,
    /// Judge version support (EKS, database and cache engines) as on this day, YYYY-MM-DD,
    /// instead of today (UTC): e.g. to see what a blueprint needs before a date.
    #[arg(long, global = true, value_name = "DATE", env = "SHINYCTL_AS_OF", value_parser = parse_day)]
    pub as_of: Option<Date>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    Validate(validate::Args),
    Plan(plan::Args),
    Apply(apply::Args),
    Destroy(destroy::Args),
    Graph(graph::Args),
    Schema(schema::Args),
    Render(render::Args),
    Images(images::Args),
    Status(status::Args),
    Doctor(doctor::Args),
    Kubeconfig(kubeconfig::Args),
    Token(token::Args),
    Completions(completions::Args),
    Man(completions::ManArgs),
    #[command(hide = true)]
    Kinds(kinds::Args),
}

/// How a command ended. Errors are reported where they happen; this is only the exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// 0: done (for `plan --detailed-exitcode`: no changes).
    Success,
    /// 1: invalid input or an error.
    Failure,
    /// 2: `plan --detailed-exitcode` found changes.
    Changes,
    /// A command's own documented code (`status`: 3 incomplete, 4 degraded; `doctor`: 3).
    Code(u8),
}

impl From<Outcome> for ExitCode {
    fn from(outcome: Outcome) -> ExitCode {
        match outcome {
            Outcome::Success => ExitCode::SUCCESS,
            Outcome::Failure => ExitCode::from(1),
            Outcome::Changes => ExitCode::from(2),
            Outcome::Code(code) => ExitCode::from(code),
        }
    }
}

/// Where colour is allowed: per stream, since stdout may be piped while stderr is a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Colour {
    pub stdout: bool,
    pub stderr: bool,
}

impl Colour {
    /// Colour only on a terminal, never with `--no-color` or a non-empty `NO_COLOR` (no-color.org).
    pub fn detect(no_color_flag: bool) -> Colour {
        let allowed = !no_color_flag && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Colour {
            stdout: allowed && std::io::stdout().is_terminal(),
            stderr: allowed && std::io::stderr().is_terminal(),
        }
    }
}

/// Runs the parsed command. `Err` carries a message for the edge to print.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    let colour = Colour::detect(cli.no_color);
    let today = cli.as_of.unwrap_or_else(today_utc);
    match cli.command {
        Command::Validate(args) => validate::run(&args, colour, today),
        Command::Plan(args) => plan::run(&args, colour, today),
        Command::Apply(args) => apply::run(&args, colour, today),
        Command::Destroy(args) => destroy::run(&args, colour),
        Command::Graph(args) => graph::run(&args, colour),
        Command::Schema(args) => schema::run(&args),
        Command::Render(args) => render::run(&args, colour),
        Command::Images(args) => images::run(&args, colour, today),
        Command::Status(args) => status::run(&args, colour),
        Command::Doctor(args) => doctor::run(&args, colour),
        Command::Kubeconfig(args) => kubeconfig::run(&args, colour),
        Command::Token(args) => token::run(&args),
        Command::Completions(args) => completions::run(&args),
        Command::Man(args) => completions::run_man(&args),
        Command::Kinds(args) => kinds::run(&args),
    }
}

fn parse_day(text: &str) -> Result<Date, String> {
    Date::parse(text).ok_or_else(|| format!("`{text}` is not a day of the form YYYY-MM-DD"))
}

/// Today in UTC, from the system clock: the one place the date is read.
fn today_utc() -> Date {
    let seconds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    Date::from_unix_seconds(seconds)
}

/// Loads a blueprint and judges its versions' support as on `today`. An invalid one has its
/// diagnostics printed on stderr and yields `None`; a valid one's warnings are printed on
/// stderr when `warnings_on_stderr` (plans show them in the plan instead).
fn load_on_or_report(
    path: &std::path::Path,
    colour: Colour,
    today: Date,
    warnings_on_stderr: bool,
) -> anyhow::Result<Option<shinyctl::load::Loaded>> {
    let loaded = reported(shinyctl::load::load_file_on(path, today), colour)?;
    if let Some(loaded) = &loaded {
        if warnings_on_stderr {
            output::stderr(&shinyctl::render::diagnostics::warnings(
                &loaded.source,
                &loaded.warnings,
                colour.stderr,
            ))?;
        }
    }
    Ok(loaded)
}

/// Loads a blueprint without the date-dependent checks (destroy must work on an unsupported
/// version; graph and render do not talk to AWS); an invalid one has its diagnostics printed on
/// stderr and yields `None`.
fn load_or_report(
    path: &std::path::Path,
    colour: Colour,
) -> anyhow::Result<Option<shinyctl::load::Loaded>> {
    reported(shinyctl::load::load_file(path), colour)
}

/// A load's result: an invalid blueprint's diagnostics printed on stderr, and `None`.
fn reported(
    result: Result<shinyctl::load::Loaded, shinyctl::load::LoadError>,
    colour: Colour,
) -> anyhow::Result<Option<shinyctl::load::Loaded>> {
    use shinyctl::load::LoadError;
    match result {
        Ok(loaded) => Ok(Some(loaded)),
        Err(LoadError::Invalid(diagnostics)) => {
            output::stderr(&shinyctl::render::diagnostics::human(
                &diagnostics,
                colour.stderr,
            ))?;
            Ok(None)
        }
        Err(e @ LoadError::Io { .. }) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn a_time_scale_needs_an_emulator_endpoint() {
        let apply = |extra: &[&str]| {
            let mut args = vec!["shinyctl", "apply", "-f", "b.yaml", "--time-scale", "0.01"];
            args.extend_from_slice(extra);
            // Whatever AWS_ENDPOINT_URL the test's environment has, judge the arguments alone.
            Cli::command()
                .mut_subcommand("apply", |apply| {
                    apply.mut_arg("endpoint_url", |url| url.env(None))
                })
                .try_get_matches_from(args)
        };
        let refused = apply(&[]).expect_err("no endpoint");
        assert_eq!(
            refused.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
        assert!(refused.to_string().contains("--endpoint-url"));
        assert!(apply(&["--endpoint-url", "http://127.0.0.1:5000"]).is_ok());
    }
}
