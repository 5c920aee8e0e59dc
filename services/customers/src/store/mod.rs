//! SQL on the `customers` schema, one module per table group named after it, and nothing else:
//! no change events, no decisions.

pub mod activity;
pub mod contacts;
pub mod customers;
pub mod engagement;
pub mod feeds;
pub mod grading;
pub mod loyalty;
pub mod status_history;
pub mod surveys;
