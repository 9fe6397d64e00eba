//! Planning: the resource catalog, desired-vs-observed diff and the Plan data. No IO here.

pub mod catalog;
pub mod cost;
pub mod kind;
#[cfg(test)]
pub(crate) mod props;
pub(crate) mod resource;

pub use kind::ResourceKind;
pub use resource::{Address, Resource};

pub mod diff;
pub(crate) mod document;
pub(crate) mod engine_version;
pub(crate) mod observed;
pub(crate) mod reach;
pub(crate) mod zones;

pub use diff::diff;
pub use document::{Action, Change, Note, NoteLevel, Plan, PropertyChange, Summary};
pub use observed::{ObservedError, ObservedResource, ObservedState};
