//! The customers service's rules, free of I/O: plain Rust with table-driven tests.

pub mod customer;
pub mod follow_up;
pub mod interaction;
