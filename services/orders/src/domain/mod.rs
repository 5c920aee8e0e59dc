//! The orders service's rules, free of I/O: plain Rust with table-driven tests.

pub(crate) mod address;
pub(crate) mod delivery;
pub(crate) mod label;
pub(crate) mod mode;
pub(crate) mod numbers;
pub(crate) mod order;
pub(crate) mod pickup;
pub(crate) mod problems;
pub(crate) mod quote;
pub(crate) mod rate_card;
pub(crate) mod status;
pub(crate) mod timeliness;
pub(crate) mod tracking;
