//! `shinyctl doctor` for people and as versioned JSON. JSON shape:
//!
//! ```json
//! {
//!   "format_version": "1.0",
//!   "blueprint": "demo", "region": "us-east-1", "account": "123456789012",
//!   "caller": "arn:aws:sts::123456789012:assumed-role/Deploy/ci",
//!   "errors": 1, "warnings": 0, "exit_code": 3,
//!   "findings": [
//!     { "check": "quotas", "level": "error", "about": "vpc/L-F678F1CE",
//!       "message": "VPCs per Region: 5 used + 1 the plan creates = 6, over the quota of 5",
//!       "fix": "free 1 or ask for more: aws service-quotas request-service-quota-increase ..." }
//!   ]
//! }
//! ```
//!
//! `level` is `ok` (a check that passed), `warning` or `error`; `fix` is there for the others.

use std::fmt::Write;

use serde_json::{Value, json};

use crate::ops::doctor::{Level, Report};

pub(crate) const DOCTOR_FORMAT_VERSION: &str = "1.0";

fn level_word(level: Level) -> &'static str {
    match level {
        Level::Ok => "ok",
        Level::Warning => "warning",
        Level::Error => "error",
    }
}

fn mark(level: Level, colour: bool) -> String {
    let (symbol, colour_of) = match level {
        Level::Ok => ("✓", anstyle::AnsiColor::Green),
        Level::Warning => ("!", anstyle::AnsiColor::Yellow),
        Level::Error => ("✗", anstyle::AnsiColor::Red),
    };
    super::coloured(symbol, colour_of, colour)
}

/// The human view: findings grouped by check, in the order the checks ran.
pub fn human(report: &Report, colour: bool) -> String {
    let mut out = format!(
        "Doctor for blueprint {} in {}{}\n",
        report.blueprint,
        report.region,
        report
            .account
            .as_ref()
            .map_or(String::new(), |a| format!(" (account {a})"))
    );
    let mut check = "";
    for f in &report.findings {
        if f.check != check {
            check = f.check;
            let _ = writeln!(out, "\n{check}:");
        }
        let _ = writeln!(
            out,
            "  {} {}: {}",
            mark(f.level, colour),
            f.about,
            f.message
        );
        if let Some(fix) = &f.fix {
            let _ = writeln!(out, "      fix: {fix}");
        }
    }
    let _ = writeln!(
        out,
        "\n{} error{}, {} warning{}{}",
        report.errors(),
        if report.errors() == 1 { "" } else { "s" },
        report.warnings(),
        if report.warnings() == 1 { "" } else { "s" },
        if report.errors() > 0 {
            ": apply would fail; fix the errors above first"
        } else {
            ": nothing found that would stop an apply"
        }
    );
    out
}

/// The JSON document (`--json`).
pub fn json(report: &Report) -> Value {
    json!({
        "format_version": DOCTOR_FORMAT_VERSION,
        "blueprint": report.blueprint,
        "region": report.region,
        "account": report.account,
        "caller": report.caller,
        "errors": report.errors(),
        "warnings": report.warnings(),
        "exit_code": report.exit_code(),
        "findings": report.findings.iter().map(|f| json!({
            "check": f.check,
            "level": level_word(f.level),
            "about": f.about,
            "message": f.message,
            "fix": f.fix,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::doctor::Finding;

    fn example() -> Report {
        let finding = |check, level, about: &str, message: &str, fix: Option<&str>| Finding {
            check,
            level,
            about: about.into(),
            message: message.into(),
            fix: fix.map(str::to_string),
        };
        Report {
            blueprint: "demo".into(),
            region: "us-east-1".into(),
            account: Some("123456789012".into()),
            caller: Some("arn:aws:sts::123456789012:assumed-role/Deploy/ci".into()),
            findings: vec![
                finding(
                    "credentials",
                    Level::Ok,
                    "credentials",
                    "account 123456789012",
                    None,
                ),
                finding(
                    "quotas",
                    Level::Error,
                    "vpc/L-F678F1CE",
                    "VPCs per Region: 5 used + 1 the plan creates = 6, over the quota of 5",
                    Some("free 1 or ask for more"),
                ),
                finding(
                    "permissions",
                    Level::Warning,
                    "arn:aws:iam::123456789012:role/Deploy",
                    "could not simulate",
                    Some("allow iam:SimulatePrincipalPolicy"),
                ),
            ],
        }
    }

    #[test]
    fn human_and_json() {
        insta::assert_snapshot!("doctor_human", human(&example(), false));
        insta::assert_json_snapshot!("doctor_json", json(&example()));
    }
}
