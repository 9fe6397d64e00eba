//! Blueprint diagnostics for people (snippets with the offending spot marked) and for machines (JSON).

use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Severity,
};
use serde_json::{Value, json};

use crate::blueprint::Diagnostics;

/// Every diagnostic with file:line:column, the YAML path, a source snippet and the hint,
/// then a one-line summary.
pub fn human(d: &Diagnostics, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_width(100);
    let source = NamedSource::new(&d.source.name, d.source.text.clone());
    let mut out = String::new();
    for item in &d.items {
        let place = if item.path.is_empty() {
            String::new()
        } else {
            format!("{}: ", item.path)
        };
        let mut report = MietteDiagnostic::new(format!(
            "{}:{}:{}: {place}{}",
            d.source.name, item.line, item.column, item.message
        ))
        .with_severity(Severity::Error);
        if let Some(hint) = &item.hint {
            report = report.with_help(hint.clone());
        }
        let span_len = item
            .span
            .len()
            .min(d.source.text.len().saturating_sub(item.span.start));
        report = report.with_label(LabeledSpan::at(
            item.span.start..item.span.start + span_len,
            "here",
        ));
        let report = miette::Report::new(report).with_source_code(source.clone());
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            out.push_str(&format!(
                "error: {}:{}:{}: {place}{}\n",
                d.source.name, item.line, item.column, item.message
            ));
        }
        out.push('\n');
    }
    let n = d.items.len();
    out.push_str(&format!(
        "error: {} has {n} problem{}; nothing was planned or changed\n",
        d.source.name,
        if n == 1 { "" } else { "s" }
    ));
    out
}

/// `{"file": ..., "diagnostics": [{"path", "line", "column", "message", "hint"}]}`.
pub fn json(d: &Diagnostics) -> Value {
    json!({
        "format_version": "1.0",
        "file": d.source.name,
        "valid": false,
        "diagnostics": d.items,
    })
}
