//! `shinyctl kinds --json` (hidden): every resource kind's spec, for the bench (`xtask`), which
//! reads the kinds from the binary instead of mirroring them.

use super::{Outcome, output};

/// Print every resource kind's spec (service, replace-on, tags, reads, …).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// As JSON (the only format).
    #[arg(long, required = true)]
    pub json: bool,
}

pub fn run(_args: &Args) -> anyhow::Result<Outcome> {
    let kinds = shinyctl::render::kinds::kinds_json(shinyctl::plan::kind::SPECS);
    output::json(&kinds)?;
    Ok(Outcome::Success)
}
