//! SQL on the orders schema, one module per concern.

pub mod delivery;
pub mod problems;
pub mod tracking;
