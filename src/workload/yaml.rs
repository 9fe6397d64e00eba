//! A small YAML writer for JSON values: block style, two-space indentation, keys in the order
//! they are in the map. Strings are written plain only when YAML 1.1 and 1.2 readers both read
//! them back as the same string; otherwise double-quoted with JSON escapes (a JSON string is a
//! valid YAML double-quoted scalar); multi-line strings as literal blocks. Written because the
//! maintained YAML crates here either only parse or are archived (serde_yaml).

use serde_json::Value;

/// `value` as a YAML document (ending in a newline).
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(map) if !map.is_empty() => write_map(map, 0, &mut out),
        Value::Array(items) if !items.is_empty() => write_list(items, 0, &mut out),
        scalar => {
            out.push_str(&scalar_text(scalar, 0));
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

fn is_collection(value: &Value) -> bool {
    match value {
        Value::Object(map) => !map.is_empty(),
        Value::Array(items) => !items.is_empty(),
        _ => false,
    }
}

fn write_map(map: &serde_json::Map<String, Value>, level: usize, out: &mut String) {
    for (i, (key, value)) in map.iter().enumerate() {
        // The first key of a map inside a list item follows the `- ` already written.
        if i > 0 || !out.ends_with("- ") {
            indent(out, level);
        }
        out.push_str(&string_text(key, level));
        out.push(':');
        if is_collection(value) {
            out.push('\n');
            match value {
                Value::Object(m) => write_map(m, level + 2, out),
                Value::Array(items) => write_list(items, level + 2, out),
                _ => {}
            }
        } else {
            out.push(' ');
            out.push_str(&scalar_text(value, level + 2));
            out.push('\n');
        }
    }
}

fn write_list(items: &[Value], level: usize, out: &mut String) {
    for item in items {
        indent(out, level);
        out.push_str("- ");
        match item {
            Value::Object(m) if !m.is_empty() => write_map(m, level + 2, out),
            Value::Array(inner) if !inner.is_empty() => {
                out.pop();
                out.push('\n');
                write_list(inner, level + 2, out);
            }
            scalar => {
                out.push_str(&scalar_text(scalar, level + 2));
                out.push('\n');
            }
        }
    }
}

/// A scalar (or empty collection); `level` is the indentation of a literal block's lines.
fn scalar_text(value: &Value, level: usize) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => string_text(s, level),
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
    }
}

fn string_text(s: &str, level: usize) -> String {
    if is_plain_safe(s) {
        return s.to_string();
    }
    if let Some(block) = literal_block(s, level) {
        return block;
    }
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Words YAML 1.1 reads as booleans or null.
const RESERVED: &[&str] = &[
    "true", "false", "yes", "no", "on", "off", "y", "n", "null", "~",
];

fn is_plain_safe(s: &str) -> bool {
    let Some(first) = s.chars().next() else {
        return false;
    };
    // Digits, signs and dots start numbers, dates and special floats: quote those.
    if !(first.is_ascii_alphabetic() || first == '/' || first == '_') {
        return false;
    }
    if RESERVED.contains(&s.to_ascii_lowercase().as_str()) {
        return false;
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || " -_./:@=+,()".contains(c);
    s.chars().all(allowed)
        && !s.ends_with(' ')
        && !s.ends_with(':')
        && !s.contains(": ")
        && !s.contains(" #")
}

/// `|` / `|-` / `|+` blocks for multi-line text that a literal block can hold exactly.
fn literal_block(s: &str, level: usize) -> Option<String> {
    if !s.contains('\n') || s.starts_with([' ', '\n']) {
        return None;
    }
    if s.chars().any(|c| c.is_control() && c != '\n') {
        return None;
    }
    let body = s.trim_end_matches('\n');
    let trailing = s.len() - body.len();
    let chomp = match trailing {
        0 => "|-",
        1 => "|",
        _ => "|+",
    };
    let mut out = String::from(chomp);
    let lines: Vec<&str> = s[..s.len() - trailing.min(1)].split('\n').collect();
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            out.extend(std::iter::repeat_n(' ', level));
            out.push_str(line);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_maps_and_lists() {
        let value = json!({
            "a": {"b": 1, "c": [1, "x", {"d": true, "e": []}]},
            "f": {},
            "g": [[1, 2]]
        });
        assert_eq!(
            to_yaml(&value),
            "a:\n  b: 1\n  c:\n    - 1\n    - x\n    - d: true\n      e: []\nf: {}\ng:\n  -\n    - 1\n    - 2\n"
        );
    }

    #[test]
    fn strings_that_would_change_meaning_are_quoted() {
        for s in [
            "",
            "yes",
            "No",
            "1",
            "0.5",
            "1.31",
            "-x",
            "a: b",
            "a #b",
            "x:",
            " x",
            "${X}",
            "*x",
            "&x",
            "!x",
            "{}",
            "[a]",
            "'q'",
            "\"q\"",
            "1Gi",
            "2001-01-01",
            ".inf",
            "%x",
            "@x",
        ] {
            let text = to_yaml(&json!({ "k": s }));
            assert!(text.starts_with("k: \""), "{s:?} -> {text}");
        }
        assert_eq!(
            to_yaml(&json!({"k": "app.kubernetes.io/name=x, y(1)"})),
            "k: app.kubernetes.io/name=x, y(1)\n"
        );
    }

    #[test]
    fn multi_line_strings_are_literal_blocks() {
        let value = json!({"data": {"f": "a: 1\n\nb:\n  - c\n"}, "g": "x\ny", "h": "x\n\n"});
        assert_eq!(
            to_yaml(&value),
            "data:\n  f: |\n    a: 1\n\n    b:\n      - c\ng: |-\n  x\n  y\nh: |+\n  x\n\n"
        );
    }
}
