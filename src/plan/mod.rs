//! Planning: the resource catalog, desired-vs-observed diff and the Plan data. No IO here.

pub mod catalog;
pub mod kind;
pub mod resource;

pub use kind::ResourceKind;
pub use resource::{Address, Resource};
