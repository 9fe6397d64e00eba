//! Planning: the resource catalog, desired-vs-observed diff and the Plan data. No IO here.

pub(crate) mod catalog;
pub(crate) mod cost;
pub(crate) mod kind;
pub(crate) mod props;
pub(crate) mod resource;

pub(crate) use kind::ResourceKind;
pub(crate) use resource::{Address, Resource};

pub(crate) mod diff;
pub(crate) mod document;
pub(crate) mod engine_version;
pub(crate) mod observed;
pub(crate) mod reach;
pub(crate) mod zones;

pub(crate) use diff::diff;
pub(crate) use document::{Action, Change, Note, NoteLevel, Plan, PropertyChange, Summary};
pub(crate) use observed::{ObservedError, ObservedResource, ObservedState};
