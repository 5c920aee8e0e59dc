//! SQL on the `customers` schema, one module per area, and nothing else.

pub mod contacts;
pub mod customers;
pub mod engagement;
pub mod feeds;
pub mod grading;
pub mod loyalty;
pub mod surveys;
