//! The customers service's rules, free of I/O: plain Rust with table-driven tests.

pub(crate) mod complaint_feed;
pub(crate) mod contact;
pub(crate) mod customer;
pub(crate) mod follow_up;
pub(crate) mod grading;
pub(crate) mod interaction;
pub(crate) mod lifecycle;
pub(crate) mod loyalty;
pub(crate) mod order_feed;
pub(crate) mod value;
