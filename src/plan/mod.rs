//! Planning: the resource catalog, desired-vs-observed diff and the Plan data. No IO here.

pub mod catalog;
pub mod cost;
pub mod kind;
pub mod resource;

pub use kind::ResourceKind;
pub use resource::{Address, Resource};

pub mod diff;
pub mod engine_version;
pub mod observed;
pub mod reach;
pub mod zones;
// The Plan data lives in `plan::plan` (the brief's layout); re-exported as `plan::Plan`.
#[allow(clippy::module_inception)]
pub mod plan;

pub use diff::diff;
pub use observed::{ObservedError, ObservedResource, ObservedState};
pub use plan::{Action, Change, Note, NoteLevel, Plan, PropertyChange, Summary};
