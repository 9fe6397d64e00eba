//! YAML text -> a tree that remembers where every key and value stands, and its JSON value.
//!
//! serde deserialisers stop at the first error and forget positions; this tree lets the pipeline
//! report every problem at once with line and column. Scalars are resolved by the YAML 1.2 core
//! schema (quoted scalars are always strings), so `version: 1.30` is a number the checks can flag.

use saphyr_parser::{Event, Parser, ScalarStyle, Span};
use serde_json::{Map, Number, Value};
use std::collections::BTreeMap;
use std::ops::Range;

use super::problem::{Problem, child, item};

/// Where a node stands: 1-based line and column, and byte offsets into the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) line: usize,
    pub(crate) column: usize,
    pub(crate) bytes: Range<usize>,
}

/// Positions of every value (and every mapping key) in a document, by YAML path.
#[derive(Debug, Default, Clone)]
pub(crate) struct PositionIndex {
    values: BTreeMap<String, Location>,
    keys: BTreeMap<String, Location>,
}

impl PositionIndex {
    /// The value at `path`, or the nearest ancestor that exists (a missing key is reported on its parent).
    pub(crate) fn value(&self, path: &str) -> Location {
        if let Some(loc) = self.values.get(path) {
            return loc.clone();
        }
        // Missing: point at the nearest ancestor, by its key (`network:`) where it has one.
        let mut p = path.to_string();
        loop {
            if let Some(loc) = self.keys.get(&p).or_else(|| self.values.get(&p)) {
                return loc.clone();
            }
            match parent(&p) {
                Some(up) => p = up,
                None => {
                    return self.values.get("").cloned().unwrap_or(Location {
                        line: 1,
                        column: 1,
                        bytes: 0..0,
                    });
                }
            }
        }
    }

    /// The key of the mapping entry at `path` (falls back to the value).
    pub(crate) fn key(&self, path: &str) -> Location {
        self.keys
            .get(path)
            .cloned()
            .unwrap_or_else(|| self.value(path))
    }
}

/// `a.b[0].c` -> `a.b[0]` -> `a.b` -> `a` -> ``.
fn parent(path: &str) -> Option<String> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(path[..cut].to_string())
}

/// A parsed document: its JSON value and where each part came from.
#[derive(Debug)]
pub(crate) struct Document {
    pub(crate) value: Value,
    pub(crate) positions: PositionIndex,
}

/// Parses one YAML document. Syntax errors stop parsing (nothing after them can be trusted) and
/// come back as one problem at the error's position; tree-level problems (duplicate keys,
/// non-string keys) are all collected.
pub(crate) fn parse(text: &str) -> Result<(Document, Vec<Problem>), (Location, String)> {
    let offsets = CharOffsets::new(text);
    let mut builder = Builder {
        offsets: &offsets,
        stack: Vec::new(),
        anchors: BTreeMap::new(),
        root: None,
        documents: 0,
        problems: Vec::new(),
    };
    let mut parser = Parser::new_from_str(text);
    for next in &mut parser {
        match next {
            Ok((event, span)) => builder.event(event, span)?,
            Err(e) => {
                let m = e.marker();
                let at = offsets.byte(m.index());
                return Err((
                    Location {
                        line: m.line(),
                        column: m.col() + 1,
                        bytes: at..at,
                    },
                    clean_scan_message(e.info()),
                ));
            }
        }
    }
    let Some(root) = builder.root else {
        // An empty file or only comments: an empty mapping, so the structure check names what is missing.
        let mut positions = PositionIndex::default();
        positions.values.insert(
            String::new(),
            Location {
                line: 1,
                column: 1,
                bytes: 0..0,
            },
        );
        return Ok((
            Document {
                value: Value::Object(Map::new()),
                positions,
            },
            builder.problems,
        ));
    };
    let mut positions = PositionIndex::default();
    let value = to_json(&root, "", &mut positions, &mut builder.problems);
    Ok((Document { value, positions }, builder.problems))
}

fn clean_scan_message(info: &str) -> String {
    let info = info.trim().trim_end_matches('.');
    format!("YAML syntax error: {info}")
}

/// saphyr-parser counts positions in characters; diagnostics need byte offsets.
struct CharOffsets {
    /// Byte offset of each char index, only built for non-ASCII text.
    table: Option<Vec<usize>>,
    len: usize,
}

impl CharOffsets {
    fn new(text: &str) -> Self {
        let table = (!text.is_ascii()).then(|| text.char_indices().map(|(b, _)| b).collect());
        CharOffsets {
            table,
            len: text.len(),
        }
    }
    fn byte(&self, char_index: usize) -> usize {
        match &self.table {
            None => char_index.min(self.len),
            Some(t) => t.get(char_index).copied().unwrap_or(self.len),
        }
    }
}

#[derive(Debug, Clone)]
struct Node {
    at: Location,
    kind: NodeKind,
}

#[derive(Debug, Clone)]
enum NodeKind {
    Scalar { text: String, plain: bool },
    Seq(Vec<Node>),
    Map(Vec<(Node, Node)>),
}

enum Open {
    Seq(Location, usize, Vec<Node>),
    Map(Location, usize, Vec<Node>),
}

struct Builder<'a> {
    offsets: &'a CharOffsets,
    stack: Vec<Open>,
    anchors: BTreeMap<usize, Node>,
    root: Option<Node>,
    documents: usize,
    problems: Vec<Problem>,
}

impl Builder<'_> {
    fn location(&self, span: Span) -> Location {
        let offsets = self.offsets;
        Location {
            line: span.start.line(),
            column: span.start.col() + 1,
            bytes: offsets.byte(span.start.index())..offsets.byte(span.end.index()),
        }
    }

    fn event(&mut self, event: Event<'_>, span: Span) -> Result<(), (Location, String)> {
        match event {
            Event::DocumentStart(_) => {
                self.documents += 1;
                if self.documents > 1 {
                    return Err((
                        self.location(span),
                        "a blueprint file holds one YAML document, found a second `---`".into(),
                    ));
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                let plain = style == ScalarStyle::Plain
                    && tag
                        .as_ref()
                        .is_none_or(|t| !t.is_yaml_core_schema() || t.suffix != "str");
                let node = Node {
                    at: self.location(span),
                    kind: NodeKind::Scalar {
                        text: text.into_owned(),
                        plain,
                    },
                };
                self.push(node, anchor);
            }
            Event::SequenceStart(anchor, _) => {
                self.stack
                    .push(Open::Seq(self.location(span), anchor, Vec::new()))
            }
            Event::MappingStart(anchor, _) => {
                self.stack
                    .push(Open::Map(self.location(span), anchor, Vec::new()))
            }
            Event::SequenceEnd => {
                if let Some(Open::Seq(at, anchor, items)) = self.stack.pop() {
                    self.push(
                        Node {
                            at,
                            kind: NodeKind::Seq(items),
                        },
                        anchor,
                    );
                }
            }
            Event::MappingEnd => {
                if let Some(Open::Map(at, anchor, flat)) = self.stack.pop() {
                    let mut pairs = Vec::with_capacity(flat.len() / 2);
                    let mut it = flat.into_iter();
                    while let (Some(k), Some(v)) = (it.next(), it.next()) {
                        pairs.push((k, v));
                    }
                    self.push(
                        Node {
                            at,
                            kind: NodeKind::Map(pairs),
                        },
                        anchor,
                    );
                }
            }
            Event::Alias(id) => {
                let at = self.location(span);
                let node = match self.anchors.get(&id) {
                    Some(n) => Node {
                        at,
                        kind: n.kind.clone(),
                    },
                    None => return Err((at, "YAML alias refers to an unknown anchor".into())),
                };
                self.push(node, 0);
            }
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => {}
        }
        Ok(())
    }

    fn push(&mut self, node: Node, anchor: usize) {
        if anchor != 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            Some(Open::Seq(_, _, items)) | Some(Open::Map(_, _, items)) => items.push(node),
            None => self.root = Some(node),
        }
    }
}

fn to_json(
    node: &Node,
    path: &str,
    positions: &mut PositionIndex,
    problems: &mut Vec<Problem>,
) -> Value {
    positions.values.insert(path.to_string(), node.at.clone());
    match &node.kind {
        NodeKind::Scalar { text, plain } => {
            if *plain {
                resolve_plain(text)
            } else {
                Value::String(text.clone())
            }
        }
        NodeKind::Seq(items) => Value::Array(
            items
                .iter()
                .enumerate()
                .map(|(i, n)| to_json(n, &item(path, i), positions, problems))
                .collect(),
        ),
        NodeKind::Map(pairs) => {
            let mut map = Map::new();
            for (k, v) in pairs {
                let key = match &k.kind {
                    NodeKind::Scalar { text, .. } => text.clone(),
                    _ => {
                        positions
                            .values
                            .insert(format!("{path}<key>"), k.at.clone());
                        problems.push(
                            Problem::new(
                                format!("{path}<key>"),
                                "a mapping key must be a plain word, not a list or mapping",
                            )
                            .hint("keys in a blueprint are camelCase names such as `natGateway`"),
                        );
                        continue;
                    }
                };
                let key_path = child(path, &key);
                if map.contains_key(&key) {
                    let first = positions.key(&key_path).line;
                    positions
                        .keys
                        .insert(format!("{key_path}#dup"), k.at.clone());
                    problems.push(
                        Problem::new(
                            format!("{key_path}#dup"),
                            format!("duplicate key `{key}` (first written on line {first})"),
                        )
                        .hint("remove one of them; YAML keeps only the last, which hides mistakes")
                        .at_key(),
                    );
                    continue;
                }
                positions.keys.insert(key_path.clone(), k.at.clone());
                let value = to_json(v, &key_path, positions, problems);
                map.insert(key, value);
            }
            Value::Object(map)
        }
    }
}

/// YAML 1.2 core schema resolution of a plain scalar.
fn resolve_plain(text: &str) -> Value {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let int = if let Some(hex) = text.strip_prefix("0x") {
        i64::from_str_radix(hex, 16).ok()
    } else if let Some(oct) = text.strip_prefix("0o") {
        i64::from_str_radix(oct, 8).ok()
    } else if text
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        text.parse::<i64>().ok()
    } else {
        None
    };
    if let Some(i) = int {
        return Value::Number(i.into());
    }
    let looks_float = text.bytes().any(|b| b.is_ascii_digit())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'+' | b'e' | b'E'));
    if looks_float && let Some(n) = text.parse::<f64>().ok().and_then(Number::from_f64) {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn doc(text: &str) -> Document {
        let (d, problems) = parse(text).expect("parses");
        assert!(problems.is_empty(), "{problems:?}");
        d
    }

    #[test]
    fn resolves_core_schema_scalars_and_keeps_quoted_strings() {
        let d = doc("a: 1\nb: 1.30\nc: \"1.30\"\nd: true\ne: ~\nf: hello\ng: '4711'\n");
        assert_eq!(
            d.value,
            json!({"a": 1, "b": 1.3, "c": "1.30", "d": true, "e": null, "f": "hello", "g": "4711"})
        );
    }

    #[test]
    fn records_positions_of_keys_and_values() {
        let d = doc("network:\n  cidr: 10.0.0.0/16\nlist:\n  - x\n  - {k: v}\n");
        let cidr = d.positions.value("network.cidr");
        assert_eq!((cidr.line, cidr.column), (2, 9));
        let key = d.positions.key("network.cidr");
        assert_eq!((key.line, key.column), (2, 3));
        let k = d.positions.value("list[1].k");
        assert_eq!((k.line, k.column), (5, 9));
        // A missing path falls back to its nearest ancestor.
        assert_eq!(d.positions.value("network.natGateway").line, 1);
    }

    #[test]
    fn reports_duplicate_keys() {
        let (_, problems) = parse("a: 1\nb: 2\na: 3\n").unwrap();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0]
                .message
                .contains("duplicate key `a` (first written on line 1)")
        );
    }

    #[test]
    fn syntax_errors_have_a_position() {
        let (at, message) = parse("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(at.line >= 1, "{at:?}");
        assert!(message.starts_with("YAML syntax error"));
    }

    #[test]
    fn resolves_aliases() {
        let d = doc("a: &x {k: 1}\nb: *x\n");
        assert_eq!(d.value["b"], json!({"k": 1}));
    }

    #[test]
    fn empty_documents_are_empty_mappings() {
        assert_eq!(doc("# nothing\n").value, json!({}));
    }

    #[test]
    fn non_ascii_text_gets_byte_offsets() {
        let text = "name: \"数据\"\nx: 1\n";
        let d = doc(text);
        let x = d.positions.value("x");
        assert_eq!(&text[x.bytes.clone()], "1");
    }
}
