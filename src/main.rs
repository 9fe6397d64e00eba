//! The `shinyctl` binary: parse, run, and turn the result into an exit code. Everything else lives
//! in the library; errors are printed here once, as a sentence, never as a debug dump.

use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

mod cli;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Help and --version are successes; a usage error exits 1, never 2, because 2 means
            // "changes" under `plan --detailed-exitcode`.
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match cli::run(cli) {
        Ok(outcome) => outcome.into(),
        Err(e) => {
            // Not eprintln!: it would panic if stderr is closed.
            let _ = writeln!(std::io::stderr(), "error: {e:#}");
            ExitCode::from(1)
        }
    }
}
