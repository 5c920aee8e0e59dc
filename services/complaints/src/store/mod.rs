//! SQL on the `complaints` schema, one module per table group, and nothing else.

pub(crate) mod audit;
pub(crate) mod complaints;
pub(crate) mod settings;
