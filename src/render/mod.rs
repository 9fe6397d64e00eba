//! Renderers: the only code that knows about terminals and output formats.
pub(crate) mod diagnostics;
pub(crate) mod doctor;
pub(crate) mod entry_points;
pub(crate) mod graph;
pub(crate) mod images;
pub(crate) mod kinds;
pub(crate) mod kubeconfig;
pub(crate) mod plan_cost;
pub(crate) mod plan_human;
pub(crate) mod plan_json;
pub(crate) mod progress;
pub(crate) mod status;
pub(crate) mod workload;
