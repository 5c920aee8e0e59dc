//! SQL on the `customers` schema, one module per table group named after it, and nothing else:
//! no change events, no decisions.

pub(crate) mod activity;
pub(crate) mod contacts;
pub(crate) mod customers;
pub(crate) mod engagement;
pub(crate) mod grading;
pub(crate) mod idempotency_keys;
pub(crate) mod loyalty;
pub(crate) mod outbox;
pub(crate) mod status_history;
pub(crate) mod surveys;
