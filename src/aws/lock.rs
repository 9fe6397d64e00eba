//! The apply lock (work in progress).
