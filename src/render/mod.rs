//! Renderers: the only code that knows about terminals and output formats.
pub mod diagnostics;
