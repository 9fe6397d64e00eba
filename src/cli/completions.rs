//! `shinyctl completions SHELL` and `shinyctl man`: clap's own generators, so completions and the
//! manual page always match the flags this binary has.

use clap::CommandFactory;

use super::{Cli, Outcome};

/// Print a shell completion script (e.g. `shinyctl completions bash > /etc/bash_completion.d/shinyctl`).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

pub fn run(args: &Args) -> anyhow::Result<Outcome> {
    let mut command = Cli::command();
    clap_complete::generate(args.shell, &mut command, "shinyctl", &mut std::io::stdout());
    Ok(Outcome::Success)
}

/// Print the manual page (roff), e.g. `shinyctl man > shinyctl.1`.
#[derive(Debug, clap::Args)]
pub struct ManArgs {}

pub fn run_man(_args: &ManArgs) -> anyhow::Result<Outcome> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page)?;
    super::output::stdout(&String::from_utf8_lossy(&page))?;
    Ok(Outcome::Success)
}
