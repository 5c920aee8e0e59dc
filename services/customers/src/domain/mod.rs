//! The customers service's rules, free of I/O: plain Rust with table-driven tests.

pub mod contact;
pub mod customer;
pub mod loyalty;
