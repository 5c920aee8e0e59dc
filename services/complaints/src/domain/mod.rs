//! The complaints service's rules, free of I/O: plain Rust with table-driven tests.

pub mod audit;
pub mod calendar;
pub mod claim;
pub mod complaint;
pub mod kinds;
pub mod policy;
pub mod proactive;
pub mod settings;
pub mod sla;
pub mod status;
