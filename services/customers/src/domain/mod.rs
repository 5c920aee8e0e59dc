//! The customers service's rules, free of I/O: plain Rust with table-driven tests.

pub mod contact;
pub mod customer;
pub mod follow_up;
pub mod grading;
pub mod interaction;
pub mod lifecycle;
pub mod loyalty;
pub mod order_feed;
pub mod value;
