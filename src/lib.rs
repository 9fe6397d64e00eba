//! shinyctl: one declarative blueprint for a whole Shiny/R app platform on AWS.
//!
//! Pipeline: `blueprint` (YAML -> validated model) -> `plan::catalog` (model -> resources), the
//! two composed with the name and reachability checks by `load` -> `graph` (ordering, critical
//! path) -> `plan` (diff against observed state) -> `render`.
//! See docs/ARCHITECTURE.md for the invariants.

pub(crate) mod apply;
pub(crate) mod aws;
pub(crate) mod blueprint;
pub(crate) mod graph;
pub(crate) mod images;
pub(crate) mod load;
pub(crate) mod ops;
pub(crate) mod plan;
pub(crate) mod render;
pub(crate) mod workload;
