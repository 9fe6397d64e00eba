//! Renderers: the only code that knows about terminals and output formats.
pub mod diagnostics;
pub mod doctor;
pub mod entry_points;
pub mod graph;
pub mod images;
pub mod kinds;
pub mod kubeconfig;
pub(crate) mod plan_cost;
pub mod plan_human;
pub mod plan_json;
pub mod progress;
pub mod status;
pub mod workload;

/// `symbol` in `colour_of` when `colour` is on, as the status and doctor views mark their lines.
fn coloured(symbol: &str, colour_of: anstyle::AnsiColor, colour: bool) -> String {
    if colour {
        let style = anstyle::Style::new().fg_color(Some(colour_of.into()));
        format!("{style}{symbol}{style:#}")
    } else {
        symbol.to_string()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_mark_is_coloured_only_when_colour_is_on() {
        let green = anstyle::AnsiColor::Green;
        assert_eq!(super::coloured("✓", green, false), "✓");
        assert_eq!(super::coloured("✓", green, true), "\u{1b}[32m✓\u{1b}[0m");
    }
}
