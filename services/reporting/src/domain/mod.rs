//! The reporting service's rules, free of I/O: plain Rust with table-driven tests.

pub(crate) mod kpi;
pub(crate) mod regional;
pub(crate) mod scorecard;
pub(crate) mod segment;
pub(crate) mod statement;
