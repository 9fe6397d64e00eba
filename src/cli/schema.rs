//! `shinyctl schema`: the blueprint language as a JSON Schema, for editors and CI checks.

use super::{Outcome, output};

/// Print the JSON Schema of the blueprint language.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<Outcome> {
    let schema = shinyctl::blueprint::schema::json_schema();
    output::json(&schema)?;
    Ok(Outcome::Success)
}
