//! (suite being written)
