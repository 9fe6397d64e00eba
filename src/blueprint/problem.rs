//! A problem found in a blueprint, located by its YAML path. The load pipeline turns each into a
//! diagnostic with file, line and column; checks stay pure and position-free.

use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// YAML path of the offending value, e.g. `proxy.apps[0].image`; `""` for the document itself.
    pub path: String,
    /// What is wrong, in one sentence without a trailing period.
    pub message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Point at the key rather than the value (unknown keys, duplicate keys).
    #[serde(skip)]
    pub at_key: bool,
}

impl Problem {
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
            hint: None,
            at_key: false,
        }
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub fn at_key(mut self) -> Self {
        self.at_key = true;
        self
    }
}

/// Joins a YAML path and a child key: `path("network", "cidr")` is `network.cidr`.
pub fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Joins a YAML path and a sequence index: `item("proxy.apps", 0)` is `proxy.apps[0]`.
pub fn item(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}
