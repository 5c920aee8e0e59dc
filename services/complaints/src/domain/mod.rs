//! The complaints service's rules, free of I/O: plain Rust with table-driven tests.

pub mod calendar;
pub mod sla;
