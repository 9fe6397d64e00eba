//! The plan for people, in Terraform's style: `+` create, `~` update in place, `-/+` replace,
//! `-` destroy, the changed properties as `old -> new`, data-loss warnings, a summary line and the
//! critical-path time estimate.
//!
//! Changes are grouped by action (creates, updates, replaces, destroys) rather than by service:
//! a reviewer's question is "what gets replaced or destroyed?", and the destructive groups come
//! last, right above the warnings and the summary. Within a group the plan's order is kept, which
//! is the order apply works in (dependencies first; for destroys, dependents first).

use anstyle::{AnsiColor, Style};
use serde_json::{Map, Value};
use std::fmt::Write;

use crate::plan::{Action, Change, NoteLevel, Plan, PropertyChange};

const GROUPS: [Action; 4] = [
    Action::Create,
    Action::Update,
    Action::Replace,
    Action::Delete,
];

/// Renders the plan; `color` adds ANSI styles (the CLI decides: a TTY and `NO_COLOR` unset).
pub fn render(plan: &Plan, color: bool) -> String {
    let paint = Paint { color };
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Plan for blueprint {:?} in {}",
        plan.blueprint, plan.region
    );
    out.push('\n');
    if !plan.has_changes() {
        let _ = writeln!(
            out,
            "{}",
            paint.apply(bold(), "No changes. AWS matches the blueprint.")
        );
        notes(plan, &paint, &mut out);
        cost(plan, &mut out);
        return out;
    }
    legend(plan, &paint, &mut out);
    for action in GROUPS {
        for change in plan.changes.iter().filter(|c| c.action == action) {
            render_change(change, &paint, &mut out);
        }
    }
    data_loss(plan, &paint, &mut out);
    cluster_restarts(plan, &paint, &mut out);
    notes(plan, &paint, &mut out);
    cost(plan, &mut out);
    let s = &plan.summary;
    let _ = writeln!(
        out,
        "{} {} to add, {} to change, {} to destroy, {} to replace.",
        paint.apply(bold(), "Plan:"),
        s.add,
        s.change,
        s.destroy,
        s.replace
    );
    if !plan.critical_path.is_empty() {
        let chain: Vec<&str> = plan.critical_path.iter().map(|a| a.as_str()).collect();
        let _ = writeln!(
            out,
            "Estimated apply time: ~{} (critical path: {})",
            duration(plan.critical_path_seconds),
            chain.join(" -> ")
        );
    }
    out
}

/// Warnings (versions in paid extended support) and context (the engine version a database
/// runs behind a no-change pin), after the changes.
fn notes(plan: &Plan, paint: &Paint, out: &mut String) {
    if plan.notes.is_empty() {
        return;
    }
    if !out.ends_with("\n\n") {
        out.push('\n');
    }
    for note in &plan.notes {
        let label = match note.level {
            NoteLevel::Warning => paint.apply(yellow(), "Warning:"),
            NoteLevel::Info => paint.apply(bold(), "Note:"),
        };
        let _ = writeln!(out, "{label} {}: {}", note.about, note.message);
        if let Some(hint) = &note.hint {
            let _ = writeln!(out, "  {hint}");
        }
    }
    out.push('\n');
}

/// The estimated monthly cost, when the plan was priced (`render::plan_cost`).
fn cost(plan: &Plan, out: &mut String) {
    if let Some(cost) = &plan.cost {
        if !out.ends_with("\n\n") {
            out.push('\n');
        }
        out.push_str(&super::plan_cost::render(cost));
    }
}

/// Only the symbols this plan uses.
fn legend(plan: &Plan, paint: &Paint, out: &mut String) {
    out.push_str("Resource actions are indicated with the following symbols:\n");
    for action in GROUPS {
        if plan.changes.iter().any(|c| c.action == action) {
            let meaning = match action {
                Action::Create => "create",
                Action::Update => "update in place",
                Action::Replace => "replace (destroy, then create)",
                _ => "destroy",
            };
            let _ = writeln!(out, "{} {meaning}", symbol(action, paint));
        }
    }
    out.push('\n');
}

fn render_change(change: &Change, paint: &Paint, out: &mut String) {
    let what = match change.action {
        Action::Create => "will be created".to_string(),
        Action::Update => "will be updated in place".to_string(),
        Action::Replace => match &change.replaced_because {
            Some(property) => format!("must be replaced ({property} forces replacement)"),
            None => "must be replaced".to_string(),
        },
        _ => "will be destroyed".to_string(),
    };
    let _ = writeln!(
        out,
        "  {} {what}",
        paint.apply(bold(), &format!("# {}", change.address))
    );
    let _ = writeln!(
        out,
        "{} {} {:?}",
        symbol(change.action, paint),
        change.kind.as_str(),
        change.name
    );
    match change.action {
        Action::Create => {
            if let Some(after) = &change.after {
                created_properties(after, paint, out);
            }
        }
        Action::Update | Action::Replace => changed_properties(&change.changes, paint, out),
        _ => {}
    }
    out.push('\n');
}

fn created_properties(after: &Map<String, Value>, paint: &Paint, out: &mut String) {
    let width = after.keys().map(|k| k.len()).max().unwrap_or(0);
    for (key, value) in after {
        let plus = paint.apply(green(), "+");
        let _ = writeln!(
            out,
            "      {plus} {key:<width$} = {}",
            nested(value, 6, &plus)
        );
    }
}

fn changed_properties(changes: &[PropertyChange], paint: &Paint, out: &mut String) {
    let width = changes.iter().map(|c| c.name.len()).max().unwrap_or(0);
    for change in changes {
        let name = &change.name;
        let line = match (&change.before, &change.after) {
            (_, Some(after)) if change.replaced_reference.is_some() => format!(
                "{} {name:<width$} = {} -> (new id, known after apply)",
                paint.apply(yellow(), "~"),
                compact(after)
            ),
            (_, Some(after)) if change.updated_reference.is_some() => format!(
                "{} {name:<width$} = {} -> (known after apply: {} changes it)",
                paint.apply(yellow(), "~"),
                compact(after),
                change.updated_reference.as_ref().map_or("", |a| a.as_str())
            ),
            (Some(Value::String(before)), Some(Value::String(after)))
                if as_text(before).is_some() || as_text(after).is_some() =>
            {
                // A file (ShinyProxy's application.yml in its ConfigMap, a server's user data, an
                // SSM document): its lines that differ, with a little context, instead of two
                // long strings.
                let _ = writeln!(out, "      {} {name}:", paint.apply(yellow(), "~"));
                let text = |s: &String| as_text(s).unwrap_or_else(|| s.clone());
                text_diff(&text(before), &text(after), paint, out);
                continue;
            }
            (Some(before), Some(after)) => format!(
                "{} {name:<width$} = {} -> {}",
                paint.apply(yellow(), "~"),
                compact(before),
                compact(after)
            ),
            (None, Some(after)) => {
                format!(
                    "{} {name:<width$} = {}",
                    paint.apply(green(), "+"),
                    compact(after)
                )
            }
            (Some(before), None) => {
                format!(
                    "{} {name:<width$} = {}",
                    paint.apply(red(), "-"),
                    compact(before)
                )
            }
            (None, None) => continue,
        };
        let marker = if change.forces_replacement {
            format!(" {}", paint.apply(red(), "# forces replacement"))
        } else {
            String::new()
        };
        let _ = writeln!(out, "      {line}{marker}");
    }
}

/// A string property read as the text it holds, where that reads better than one quoted line: a
/// multi-line string as it is; an SSM Command document (JSON with `mainSteps`) as its steps'
/// scripts, the files they write inline (nginx's site); other JSON over a line long, pretty.
/// `None`: show the string as it is.
fn as_text(value: &str) -> Option<String> {
    if value.contains('\n') {
        return Some(value.to_string());
    }
    if !value.starts_with('{') || value.len() <= 100 {
        return None;
    }
    let json: Value = serde_json::from_str(value).ok()?;
    if let Some(steps) = json.get("mainSteps").and_then(Value::as_array) {
        let mut text = String::new();
        for step in steps {
            let name = step.get("name").and_then(Value::as_str).unwrap_or("step");
            let action = step.get("action").and_then(Value::as_str).unwrap_or("");
            let _ = writeln!(text, "# step {name} ({action})");
            let lines = step
                .pointer("/inputs/runCommand")
                .and_then(Value::as_array)
                .into_iter()
                .flatten();
            for line in lines {
                let _ = writeln!(
                    text,
                    "{}",
                    line.as_str().map_or_else(|| compact(line), str::to_string)
                );
            }
        }
        return Some(text);
    }
    serde_json::to_string_pretty(&json).ok()
}

/// Lines of context shown around a changed line of a text.
const CONTEXT_LINES: usize = 2;

/// A line diff of two texts: removed lines `-`, added `+`, [`CONTEXT_LINES`] unchanged lines
/// around each change, `...` where unchanged lines are left out.
fn text_diff(before: &str, after: &str, paint: &Paint, out: &mut String) {
    let old: Vec<&str> = before.lines().collect();
    let new: Vec<&str> = after.lines().collect();
    let ops = line_diff(&old, &new);
    let near_change = |i: usize| {
        let from = i.saturating_sub(CONTEXT_LINES);
        let to = (i + CONTEXT_LINES + 1).min(ops.len());
        ops[from..to].iter().any(|op| !matches!(op, Line::Same(_)))
    };
    let mut skipped = false;
    for (i, op) in ops.iter().enumerate() {
        let line = match op {
            Line::Same(text) if near_change(i) => format!("  {text}"),
            Line::Same(_) => {
                if !skipped {
                    let _ = writeln!(out, "          ...");
                    skipped = true;
                }
                continue;
            }
            Line::Removed(text) => paint.apply(red(), &format!("- {text}")),
            Line::Added(text) => paint.apply(green(), &format!("+ {text}")),
        };
        skipped = false;
        let _ = writeln!(out, "        {line}");
    }
}

enum Line<'a> {
    Same(&'a str),
    Removed(&'a str),
    Added(&'a str),
}

/// The longest-common-subsequence diff of two line lists (texts of a few hundred lines).
fn line_diff<'a>(old: &[&'a str], new: &[&'a str]) -> Vec<Line<'a>> {
    // common[i][j]: the length of the LCS of old[i..] and new[j..].
    let mut common = vec![vec![0usize; new.len() + 1]; old.len() + 1];
    for i in (0..old.len()).rev() {
        for j in (0..new.len()).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut ops = Vec::new();
    while i < old.len() || j < new.len() {
        if i < old.len() && j < new.len() && old[i] == new[j] {
            ops.push(Line::Same(old[i]));
            i += 1;
            j += 1;
        } else if i < old.len() && (j == new.len() || common[i + 1][j] >= common[i][j + 1]) {
            ops.push(Line::Removed(old[i]));
            i += 1;
        } else {
            ops.push(Line::Added(new[j]));
            j += 1;
        }
    }
    ops
}

fn cluster_restarts(plan: &Plan, paint: &Paint, out: &mut String) {
    if plan.cluster_restarts.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{} this plan restarts a whole cluster at once:",
        paint.apply(red().bold(), "Warning:")
    );
    for restart in &plan.cluster_restarts {
        let _ = writeln!(out, "  - {}: {}", restart.address, restart.what);
    }
    out.push_str("Apply refuses to do this without --allow-cluster-restart.\n\n");
}

fn data_loss(plan: &Plan, paint: &Paint, out: &mut String) {
    if plan.data_loss.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "{} this plan destroys resources that hold data:",
        paint.apply(red().bold(), "Warning:")
    );
    for address in &plan.data_loss {
        let Some(change) = plan.change(address.as_str()) else {
            continue;
        };
        let how = if change.action.is_replace() {
            "replaced: its data is lost unless restored from a backup"
        } else {
            "destroyed: its data is lost"
        };
        let _ = writeln!(
            out,
            "  - {} ({} {:?}) is {how}",
            change.address,
            change.kind.as_str(),
            change.name
        );
    }
    out.push_str("Apply refuses to do this without --allow-data-loss.\n\n");
}

/// Maps and lists spread over lines like Terraform's (one entry a line, each with the sign),
/// so a reviewer reads tags and policies instead of one long line of JSON. `indent` is the column
/// of the sign on the line the value starts on.
fn nested(value: &Value, indent: usize, sign: &str) -> String {
    let inner = " ".repeat(indent + 4);
    let close = " ".repeat(indent + 2);
    match value {
        Value::Object(map) if !map.is_empty() => {
            let keys: Vec<String> = map
                .keys()
                .map(|k| compact(&Value::from(k.as_str())))
                .collect();
            let width = keys.iter().map(|k| k.chars().count()).max().unwrap_or(0);
            let mut text = String::from("{\n");
            for (key, item) in keys.iter().zip(map.values()) {
                let pad = width - key.chars().count();
                let _ = writeln!(
                    text,
                    "{inner}{sign} {key}{} = {}",
                    " ".repeat(pad),
                    nested(item, indent + 4, sign)
                );
            }
            text.push_str(&close);
            text.push('}');
            text
        }
        Value::Array(items)
            if items.iter().any(|i| i.is_object() || i.is_array()) || items.len() > 4 =>
        {
            let mut text = String::from("[\n");
            for item in items {
                let _ = writeln!(text, "{inner}{sign} {},", nested(item, indent + 4, sign));
            }
            text.push_str(&close);
            text.push(']');
            text
        }
        Value::String(text) => match as_text(text) {
            // A file: its lines, as Terraform shows a heredoc.
            Some(text) => {
                let mut shown = String::from("<<-EOT\n");
                for line in text.lines() {
                    if line.is_empty() {
                        shown.push('\n');
                    } else {
                        let _ = writeln!(shown, "{inner}{line}");
                    }
                }
                shown.push_str(&close);
                shown.push_str("EOT");
                shown
            }
            None => compact(value),
        },
        other => compact(other),
    }
}

/// One line of JSON: strings keep their quotes, so `"10"` and `10` stay apart.
fn compact(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// `~45s`, `~14m`, `~1h 05m`: an estimate, so rounded to what matters.
fn duration(seconds: f64) -> String {
    let seconds = seconds.max(0.0).round() as u64;
    if seconds < 60 {
        return format!("{seconds}s");
    }
    let minutes = (seconds + 30) / 60;
    if minutes < 60 {
        format!("{minutes}m")
    } else {
        format!("{}h {:02}m", minutes / 60, minutes % 60)
    }
}

/// Symbols are right-aligned to the width of `-/+`, as in Terraform.
fn symbol(action: Action, paint: &Paint) -> String {
    let style = match action {
        Action::Create => green(),
        Action::Update => yellow(),
        Action::Replace | Action::Delete => red(),
        Action::NoOp => Style::new(),
    };
    paint.apply(style, &format!("{:>3}", action.symbol()))
}

struct Paint {
    color: bool,
}

impl Paint {
    fn apply(&self, style: Style, text: &str) -> String {
        if self.color {
            format!("{}{text}{}", style.render(), style.render_reset())
        } else {
            text.to_string()
        }
    }
}

fn bold() -> Style {
    Style::new().bold()
}
fn green() -> Style {
    AnsiColor::Green.on_default()
}
fn yellow() -> Style {
    AnsiColor::Yellow.on_default()
}
fn red() -> Style {
    AnsiColor::Red.on_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Address, ObservedResource, ObservedState, Resource, ResourceKind, diff};
    use serde_json::json;

    fn desired() -> Vec<Resource> {
        let vpc = Resource::new("network.vpc", ResourceKind::Vpc, "demo-vpc", "network")
            .with("cidr", "10.0.0.0/16")
            .with("tags", json!({"Team": "data"}));
        let subnet = Resource::new(
            "network.subnet.private[a]",
            ResourceKind::Subnet,
            "demo-private-a",
            "network",
        )
        .with("cidr", "10.0.0.0/18")
        .after(&vpc.address);
        let db = Resource::new(
            "database.instance",
            ResourceKind::DbInstance,
            "demo-db",
            "database",
        )
        .with("engine", "mysql")
        .after(&subnet.address);
        vec![vpc, subnet, db]
    }

    fn observed(resources: &[Resource]) -> ObservedState {
        let mut state = ObservedState::empty("demo", "us-east-1");
        for r in resources {
            state.resources.push(ObservedResource {
                address: r.address.clone(),
                kind: r.kind,
                id: "id".into(),
                name: r.name.clone(),
                properties: r.properties.clone(),
            });
        }
        state
    }

    #[test]
    fn notes_follow_the_changes_and_an_empty_plan() {
        let d = desired();
        let mut plan = diff(&d, &observed(&d));
        plan.notes.push(crate::plan::Note {
            level: NoteLevel::Warning,
            about: "cluster.version".into(),
            message: "EKS 1.34 is in extended support".into(),
            hint: Some("move to 1.35 (standard support)".into()),
        });
        plan.notes.push(crate::plan::Note {
            level: NoteLevel::Info,
            about: "database.instance".into(),
            message: "runs engine version 8.4.7, within the blueprint's 8.4: no change".into(),
            hint: None,
        });
        let text = render(&plan, false);
        assert!(
            text.ends_with(
                "No changes. AWS matches the blueprint.\n\nWarning: cluster.version: EKS 1.34 is in extended support\n  \
                 move to 1.35 (standard support)\nNote: database.instance: runs engine version 8.4.7, within the \
                 blueprint's 8.4: no change\n\n"
            ),
            "{text}"
        );
        let json = crate::render::plan_json::to_value(&plan);
        assert_eq!(json["notes"][0]["level"], "warning");
        assert_eq!(json["notes"][1]["about"], "database.instance");
        assert!(json["notes"][1].get("hint").is_none());
    }

    /// ShinyProxy's application.yml in its ConfigMap: the plan shows the lines that change.
    #[test]
    fn a_changed_file_is_shown_as_a_line_diff() {
        let file = |heartbeat: u32, extra: &str| {
            format!(
                "proxy:\n  title: demo\n  port: 8080\n  heartbeat-rate: {heartbeat}\n  a: 1\n  b: 2\n  c: 3\n  d: 4\n  e: 5\n  f: 6\n  g: 7\n{extra}"
            )
        };
        let want = Resource::new(
            "workload.config_map[shinyproxy-config]",
            ResourceKind::KubernetesObject,
            "shinyproxy/shinyproxy-config",
            "proxy",
        )
        .with(
            "data",
            json!({"application.yml": file(5000, "server:\n  x: 1\n")}),
        );
        let mut state = observed(std::slice::from_ref(&want));
        state.resources[0].properties["data"]["application.yml"] = json!(file(10000, ""));
        let text = render(&diff(&[want], &state), false);
        let expected = r#"      ~ data["application.yml"]:
          ...
            title: demo
            port: 8080
        -   heartbeat-rate: 10000
        +   heartbeat-rate: 5000
            a: 1
            b: 2
          ...
            f: 6
            g: 7
        + server:
        +   x: 1
"#;
        assert!(text.contains(expected), "{text}");
    }

    /// A server group's SSM document: its script's changed line, not two long JSON strings.
    #[test]
    fn a_changed_ssm_document_is_shown_as_its_scripts_diff() {
        let document = |port: u16| {
            json!({"schemaVersion": "2.2", "mainSteps": [{"action": "aws:runShellScript", "name": "configure",
                "inputs": {"runCommand": ["set -eu", "cat > /etc/nginx/conf.d/app.conf <<'EOF'", "server {",
                    "    listen 8200;", format!("    location / {{ proxy_pass http://127.0.0.1:{port}; }}"),
                    "}", "EOF", "nginx -t"]}}]})
            .to_string()
        };
        let want = Resource::new(
            "servers.ssm_document[app]",
            ResourceKind::SsmDocument,
            "app-config",
            "servers[0]",
        )
        .with("content", json!(document(8006)));
        let mut state = observed(std::slice::from_ref(&want));
        state.resources[0].properties["content"] = json!(document(8005));
        let text = render(&diff(&[want], &state), false);
        let expected = r#"      ~ content:
          ...
          server {
              listen 8200;
        -     location / { proxy_pass http://127.0.0.1:8005; }
        +     location / { proxy_pass http://127.0.0.1:8006; }
          }
          EOF
"#;
        assert!(text.contains(expected), "{text}");
    }

    #[test]
    fn an_empty_plan_says_so() {
        let d = desired();
        let text = render(&diff(&d, &observed(&d)), false);
        assert!(
            text.contains("No changes. AWS matches the blueprint."),
            "{text}"
        );
    }

    #[test]
    fn every_action_is_shown_with_its_symbol_and_the_summary() {
        let d = desired();
        let mut state = observed(&d);
        state.resources[0].properties["tags"]["Team"] = json!("web");
        state.resources[2].properties["engine"] = json!("postgres");
        state.resources.push(ObservedResource {
            address: Address::new("cache.replication_group"),
            kind: ResourceKind::CacheReplicationGroup,
            id: "demo-redis".into(),
            name: "demo-redis".into(),
            properties: Map::new(),
        });
        let mut d2 = d.clone();
        d2.push(Resource::new(
            "registry.repository[app]",
            ResourceKind::EcrRepository,
            "demo/app",
            "registry",
        ));
        let text = render(&diff(&d2, &state), false);
        assert!(text.contains("  + ecr_repository \"demo/app\""), "{text}");
        assert!(
            text.contains("  ~ vpc \"demo-vpc\"\n      ~ tags.Team = \"web\" -> \"data\""),
            "{text}"
        );
        assert!(
            text.contains("# database.instance must be replaced (engine forces replacement)"),
            "{text}"
        );
        assert!(
            text.contains("~ engine = \"postgres\" -> \"mysql\" # forces replacement"),
            "{text}"
        );
        assert!(
            text.contains("  - cache_replication_group \"demo-redis\""),
            "{text}"
        );
        assert!(
            text.contains("Warning: this plan destroys resources that hold data:"),
            "{text}"
        );
        assert!(
            text.contains("Plan: 1 to add, 1 to change, 1 to destroy, 1 to replace."),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'), "no colour unless asked");
    }

    #[test]
    fn colour_only_when_asked() {
        let d = desired();
        let plan = diff(&d, &ObservedState::empty("demo", "us-east-1"));
        assert!(render(&plan, true).contains('\u{1b}'));
        assert!(!render(&plan, false).contains('\u{1b}'));
    }

    #[test]
    fn estimate_names_the_critical_path() {
        let d = desired();
        let text = render(&diff(&d, &ObservedState::empty("demo", "us-east-1")), false);
        assert!(
            text.contains(
                "Estimated apply time: ~6m (critical path: network.vpc -> network.subnet.private[a] -> database.instance)"
            ),
            "{text}"
        );
    }

    #[test]
    fn durations_round_to_what_matters() {
        assert_eq!(duration(45.0), "45s");
        assert_eq!(duration(859.0), "14m");
        assert_eq!(duration(3900.0), "1h 05m");
        assert_eq!(duration(f64::NAN), "0s");
    }
}
