//! SQL on the `reporting` schema, one module per table group, and nothing else.

pub(crate) mod facts;
pub(crate) mod rollups;
pub(crate) mod statements;
pub(crate) mod volume;
