//! shinyctl: one declarative blueprint for a whole Shiny/R app platform on AWS.
//!
//! Pipeline: `blueprint` (YAML -> validated model) -> `plan::catalog` (model -> resources), the
//! two composed with the name and reachability checks by `load` -> `graph` (ordering, critical
//! path) -> `plan` (diff against observed state) -> `render`.
//! See docs/ARCHITECTURE.md for the invariants.

pub mod apply;
pub mod aws;
pub mod blueprint;
pub(crate) mod graph;
pub mod images;
pub mod load;
pub mod ops;
pub mod plan;
pub mod render;
pub mod workload;
