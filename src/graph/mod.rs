//! A generic DAG: no AWS or shinyctl types in here.
