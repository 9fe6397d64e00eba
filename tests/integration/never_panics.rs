//! No input ever panics the load pipeline: arbitrary bytes, arbitrary YAML documents built from the
//! language's own keys, and mutations of the valid blueprints in `blueprints/`. Every diagnostic is
//! located (line and column >= 1, span inside the text) and renders for people.

use std::sync::OnceLock;

use proptest::prelude::*;
use proptest::test_runner::Config;
use serde_json::Value;
use shinyctl::load::{LoadError, load_str};

use crate::support::repo_root;

/// Enough cases to shake out panics while the suite still runs in seconds; no regression files
/// are written into the tree (a failure prints its minimal input).
fn config() -> Config {
    Config {
        cases: 256,
        failure_persistence: None,
        ..Config::default()
    }
}

/// Loads `text` and checks what comes back is well-formed; panics (fails the case) otherwise.
fn load_and_check(text: &str) {
    match load_str("fuzz.yaml", text) {
        Ok(_) => {}
        Err(LoadError::Io { .. }) => panic!("load_str never does IO"),
        Err(LoadError::Invalid(d)) => {
            assert!(
                !d.items.is_empty(),
                "an invalid blueprint has at least one diagnostic"
            );
            for item in &d.items {
                assert!(item.line >= 1 && item.column >= 1, "unlocated: {item:?}");
                assert!(
                    item.span.start <= text.len(),
                    "span outside the text: {item:?}"
                );
                assert!(!item.message.is_empty(), "empty message: {item:?}");
            }
            let rendered = shinyctl::render::diagnostics::human(&d, false);
            assert!(rendered.contains("fuzz.yaml"), "{rendered}");
        }
    }
}

/// Every property name the JSON Schema knows, so generated documents reach deep into the checks.
fn schema_keys() -> &'static [String] {
    static KEYS: OnceLock<Vec<String>> = OnceLock::new();
    KEYS.get_or_init(|| {
        fn walk(v: &Value, out: &mut Vec<String>) {
            match v {
                Value::Object(map) => {
                    if let Some(Value::Object(props)) = map.get("properties") {
                        out.extend(props.keys().cloned());
                    }
                    map.values().for_each(|c| walk(c, out));
                }
                Value::Array(items) => items.iter().for_each(|c| walk(c, out)),
                _ => {}
            }
        }
        let mut keys = Vec::new();
        walk(&shinyctl::blueprint::schema::json_schema(), &mut keys);
        keys.sort();
        keys.dedup();
        keys
    })
}

/// The valid blueprints shipped in `blueprints/`.
fn valid_blueprints() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let mut paths: Vec<_> = std::fs::read_dir(repo_root().join("blueprints"))
            .expect("blueprints/ exists")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
            .collect();
        paths.sort();
        paths
            .iter()
            .map(|p| std::fs::read_to_string(p).expect("readable"))
            .collect()
    })
}

/// A YAML node, rendered in block style (mappings and sequences) with flow-style leaves.
#[derive(Debug, Clone)]
enum Node {
    Scalar(String),
    Map(Vec<(String, Node)>),
    Seq(Vec<Node>),
}

impl Node {
    fn render(&self, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match self {
            Node::Scalar(s) => {
                out.push(' ');
                out.push_str(s);
                out.push('\n');
            }
            Node::Map(entries) if entries.is_empty() => out.push_str(" {}\n"),
            Node::Seq(items) if items.is_empty() => out.push_str(" []\n"),
            Node::Map(entries) => {
                out.push('\n');
                for (key, value) in entries {
                    out.push_str(&format!("{pad}{key}:"));
                    value.render(indent + 2, out);
                }
            }
            Node::Seq(items) => {
                out.push('\n');
                for item in items {
                    out.push_str(&format!("{pad}-"));
                    item.render(indent + 2, out);
                }
            }
        }
    }

    fn document(&self) -> String {
        match self {
            Node::Map(entries) => {
                let mut out = String::new();
                for (key, value) in entries {
                    out.push_str(&format!("{key}:"));
                    value.render(2, &mut out);
                }
                out
            }
            other => {
                let mut out = String::from("root:");
                other.render(2, &mut out);
                out
            }
        }
    }
}

fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u16>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| x.to_string()),
        Just("1.30".to_string()),
        Just("\"1.31\"".to_string()),
        Just("true".to_string()),
        Just("null".to_string()),
        Just("~".to_string()),
        Just(".nan".to_string()),
        Just("-.inf".to_string()),
        Just("0x1F".to_string()),
        Just("10.0.0.0/16".to_string()),
        Just("registry:shiny/app:1.0".to_string()),
        Just("arn:aws-cn:acm:cn-north-1:123456789012:certificate/x".to_string()),
        Just("\"\"".to_string()),
        Just("{}".to_string()),
        Just("[]".to_string()),
        Just("&a x".to_string()),
        Just("*a".to_string()),
        Just("!!str 5".to_string()),
        Just("'it''s'".to_string()),
        "[a-zA-Z0-9 ./:_-]{0,24}".prop_map(|s| format!("\"{s}\"")),
        "[a-z][a-zA-Z0-9-]{0,16}",
        "[\\PC]{0,12}",
    ]
}

fn key() -> impl Strategy<Value = String> {
    let keys = schema_keys();
    prop_oneof![
        4 => (0..keys.len()).prop_map(move |i| keys[i].clone()),
        1 => "[a-z][a-zA-Z]{0,10}",
        1 => Just("apiVersion".to_string()),
        1 => Just("kind".to_string()),
    ]
}

fn node() -> impl Strategy<Value = Node> {
    scalar()
        .prop_map(Node::Scalar)
        .prop_recursive(5, 64, 6, |inner| {
            prop_oneof![
                proptest::collection::vec((key(), inner.clone()), 0..6).prop_map(Node::Map),
                proptest::collection::vec(inner, 0..4).prop_map(Node::Seq),
            ]
        })
}

/// A document that starts like a real blueprint, so generated sections pass the first checks.
fn blueprint_like() -> impl Strategy<Value = String> {
    proptest::collection::vec((key(), node()), 0..6).prop_map(|sections| {
        let mut text = String::from(
            "apiVersion: shinyctl.dev/v1alpha1\nkind: Blueprint\nmetadata:\n  name: fuzz\n  region: us-east-1\n",
        );
        for (key, value) in sections {
            text.push_str(&format!("{key}:"));
            value.render(2, &mut text);
        }
        text
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    Indent(usize, i8),
    ReplaceScalar(usize, String),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), -3i8..=3).prop_map(|(l, d)| Mutation::Indent(l, d)),
        (any::<usize>(), scalar()).prop_map(|(l, s)| Mutation::ReplaceScalar(l, s)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(text: &str, mutation: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    if lines.is_empty() {
        return String::new();
    }
    let n = lines.len();
    match mutation {
        Mutation::DeleteLine(i) => {
            lines.remove(i % n);
        }
        Mutation::DuplicateLine(i) => {
            let line = lines[i % n].clone();
            lines.insert(i % n, line);
        }
        Mutation::Indent(i, delta) => {
            let line = &mut lines[i % n];
            if *delta >= 0 {
                *line = format!("{}{line}", " ".repeat(*delta as usize));
            } else {
                let strip = line.len() - line.trim_start_matches(' ').len();
                *line = line[strip.min(delta.unsigned_abs() as usize)..].to_string();
            }
        }
        Mutation::ReplaceScalar(i, scalar) => {
            let line = &mut lines[i % n];
            if let Some((key, _)) = line.split_once(": ") {
                *line = format!("{key}: {scalar}");
            } else if let Some(dash) = line.find("- ") {
                *line = format!("{}{scalar}", &line[..dash + 2]);
            }
        }
        Mutation::Truncate(at) => {
            let joined = lines.join("\n");
            let mut cut = at % (joined.len() + 1);
            while !joined.is_char_boundary(cut) {
                cut -= 1;
            }
            return joined[..cut].to_string();
        }
    }
    lines.join("\n") + "\n"
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        load_and_check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn arbitrary_yaml_never_panics(doc in node()) {
        load_and_check(&doc.document());
    }

    #[test]
    fn blueprint_shaped_yaml_never_panics(text in blueprint_like()) {
        load_and_check(&text);
    }

    #[test]
    fn mutated_blueprints_never_panic(
        which in any::<usize>(),
        mutations in proptest::collection::vec(mutation(), 1..4),
    ) {
        let blueprints = valid_blueprints();
        prop_assume!(!blueprints.is_empty());
        let mut text = blueprints[which % blueprints.len()].clone();
        for m in &mutations {
            text = mutate(&text, m);
        }
        load_and_check(&text);
    }
}

#[test]
fn the_valid_blueprints_load_before_mutation() {
    assert!(
        valid_blueprints().len() >= 4,
        "blueprints/ holds the seed blueprints"
    );
    for text in valid_blueprints() {
        load_and_check(text);
        assert!(load_str("b.yaml", text).is_ok());
    }
}
