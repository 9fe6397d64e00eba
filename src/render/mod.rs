//! Renderers: the only code that knows about terminals and output formats.
pub mod diagnostics;
pub mod doctor;
pub mod entry_points;
pub mod graph;
pub mod images;
pub mod kinds;
pub mod kubeconfig;
pub(crate) mod plan_cost;
pub mod plan_human;
pub mod plan_json;
pub mod progress;
pub mod status;
pub mod workload;
