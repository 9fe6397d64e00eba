//! A generic DAG: no AWS or shinyctl types in here.
//!
//! Nodes are any ordered, cloneable ids; an edge says "this node depends on that one". Every
//! ordering is deterministic (ties broken by the ids' order), so plans and drawings are stable.
//! Nodes also have dense indices (insertion order), so a parallel walker can keep its own
//! per-node state in plain vectors; [`Walk`] is that state for a walk in dependency order.

mod critical;
mod dag;
mod order;
mod walk;

pub(crate) use critical::CriticalPath;
pub(crate) use dag::Dag;
pub(crate) use order::Cycle;
pub(crate) use walk::Walk;
