//! The orders service's rules, free of I/O: plain Rust with table-driven tests.

pub mod delivery;
pub mod numbers;
pub mod problems;
pub mod status;
pub mod tracking;
