//! `shinyctl graph -f FILE --format dot|mermaid`: the resource graph, for Graphviz or Mermaid.

use std::path::PathBuf;

use super::{Colour, Outcome, load_or_report, output};
use shinyctl::render::graph;

/// Draw the blueprint's resource graph (arrows run in creation order: from a resource to what needs it; the critical path in red).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The blueprint file.
    #[arg(short, long = "file", value_name = "FILE")]
    pub file: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum Format {
    /// Graphviz (`dot -Tsvg`).
    Dot,
    /// Mermaid (Markdown, GitHub, GitLab).
    Mermaid,
}

pub fn run(args: &Args, colour: Colour) -> anyhow::Result<Outcome> {
    let Some(loaded) = load_or_report(&args.file, colour)? else {
        return Ok(Outcome::Failure);
    };
    let mut text = match args.format {
        Format::Dot => graph::dot(&loaded.resources),
        Format::Mermaid => graph::mermaid(&loaded.resources),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    output::stdout(&text)?;
    Ok(Outcome::Success)
}
