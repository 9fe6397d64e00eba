//! The blueprint language: schema (`model`), defaults, and the load pipeline
//! (parse -> structure check -> typed model -> semantic validation), reporting every problem at once.

pub mod defaults;
pub mod model;
pub mod problem;

pub use model::Blueprint;
