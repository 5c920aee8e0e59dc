//! The orders service's rules, free of I/O: plain Rust with table-driven tests.

pub mod numbers;
pub mod order;
pub mod pickup;
pub mod status;
