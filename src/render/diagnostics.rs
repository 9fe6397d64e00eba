//! Blueprint diagnostics for people (snippets with the offending spot marked) and for machines (JSON).

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource};
use serde_json::{Value, json};

use crate::blueprint::{Diagnostic, Diagnostics, Severity, Source};

/// Every diagnostic with file:line:column, the YAML path, a source snippet and the hint,
/// then a one-line summary.
pub fn human(d: &Diagnostics, color: bool) -> String {
    let mut out = items(&d.source, &d.items, color);
    let n = d.errors();
    out.push_str(&format!(
        "error: {} has {n} problem{}; nothing was planned or changed\n",
        d.source.name,
        if n == 1 { "" } else { "s" }
    ));
    out
}

/// The warnings of a blueprint that loaded (e.g. a version in paid extended support), each
/// with its snippet; empty when there are none.
pub fn warnings(source: &Source, warnings: &[Diagnostic], color: bool) -> String {
    items(source, warnings, color)
}

fn items(source: &Source, items: &[Diagnostic], color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_context_lines(1)
        .with_width(100);
    let d = source;
    let source = NamedSource::new(&d.name, d.text.clone());
    let mut out = String::new();
    for item in items {
        let place = if item.path.is_empty() {
            String::new()
        } else {
            format!("{}: ", item.path)
        };
        let mut report = MietteDiagnostic::new(format!(
            "{}:{}:{}: {place}{}",
            d.name, item.line, item.column, item.message
        ))
        .with_severity(match item.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        });
        if let Some(hint) = &item.hint {
            report = report.with_help(hint.clone());
        }
        let span_len = item
            .span
            .len()
            .min(d.text.len().saturating_sub(item.span.start));
        report = report.with_label(LabeledSpan::at(
            item.span.start..item.span.start + span_len,
            "here",
        ));
        let report = miette::Report::new(report).with_source_code(source.clone());
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            let level = match item.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            out.push_str(&format!(
                "{level}: {}:{}:{}: {place}{}\n",
                d.name, item.line, item.column, item.message
            ));
        }
        out.push('\n');
    }
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
