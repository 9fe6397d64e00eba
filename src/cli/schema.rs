//! `shinyctl schema`: the blueprint language as a JSON Schema, for editors and CI checks.

use super::{Outcome, output};

/// Print the JSON Schema of the blueprint language.
#[derive(Debug, clap::Args)]
pub struct Args {}

pub fn run(_args: &Args) -> anyhow::Result<Outcome> {
    let schema = shinyctl::blueprint::schema::json_schema();
    output::stdout(&format!("{}\n", serde_json::to_string_pretty(&schema)?))?;
    Ok(Outcome::Success)
}
