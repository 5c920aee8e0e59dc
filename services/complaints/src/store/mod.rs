//! SQL on the `complaints` schema, one module per table group, and nothing else.

pub(crate) mod audit;
pub(crate) mod claims;
pub(crate) mod complaint_lists;
pub(crate) mod complaints;
pub(crate) mod pauses;
pub(crate) mod ratings;
pub(crate) mod settings;
