//! Planning: the resource catalog, desired-vs-observed diff and the Plan data. No IO here.

pub mod catalog;
pub mod cost;
pub mod kind;
pub mod props;
pub mod resource;

pub use kind::ResourceKind;
pub use resource::{Address, Resource};

pub mod diff;
pub mod document;
pub mod engine_version;
pub mod observed;
pub mod reach;
pub mod zones;

pub use diff::diff;
pub use document::{Action, Change, Note, NoteLevel, Plan, PropertyChange, Summary};
pub use observed::{ObservedError, ObservedResource, ObservedState};
