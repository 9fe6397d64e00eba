//! A problem found in a blueprint, located by its YAML path. The load pipeline turns each into a
//! diagnostic with file, line and column; checks stay pure and position-free.

use serde::Serialize;

/// How bad a problem is. An error stops the command; a warning is shown and the command goes on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    #[default]
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// YAML path of the offending value, e.g. `proxy.apps[0].image`; `""` for the document itself.
    pub(crate) path: String,
    /// What is wrong, in one sentence without a trailing period.
    pub(crate) message: String,
    /// What to do about it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) hint: Option<String>,
    /// Point at the key rather than the value (unknown keys, duplicate keys).
    #[serde(skip)]
    pub(crate) at_key: bool,
    pub(crate) severity: Severity,
}

impl Problem {
    pub(crate) fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            path: path.into(),
            message: message.into(),
            hint: None,
            at_key: false,
            severity: Severity::Error,
        }
    }

    /// A problem that does not stop the command (e.g. a version in paid extended support).
    pub(crate) fn warning(path: impl Into<String>, message: impl Into<String>) -> Self {
        Problem {
            severity: Severity::Warning,
            ..Problem::new(path, message)
        }
    }

    pub(crate) fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub(crate) fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    pub(crate) fn at_key(mut self) -> Self {
        self.at_key = true;
        self
    }
}

/// Joins a YAML path and a child key: `path("network", "cidr")` is `network.cidr`.
pub(crate) fn child(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Joins a YAML path and a sequence index: `item("proxy.apps", 0)` is `proxy.apps[0]`.
pub(crate) fn item(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}
