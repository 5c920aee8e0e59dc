//! The orders service's rules, free of I/O: plain Rust with table-driven tests.

pub mod address;
pub mod delivery;
pub mod label;
pub mod mode;
pub mod numbers;
pub mod order;
pub mod pickup;
pub mod problems;
pub mod quote;
pub mod rate_card;
pub mod status;
pub mod tracking;
