//! SQL on the `reporting` schema, one module per table group, and nothing else.

pub(crate) mod agent_quality;
pub(crate) mod facts;
pub(crate) mod pending;
pub(crate) mod rebuilds;
pub(crate) mod regional;
pub(crate) mod rollups;
pub(crate) mod scorecards;
pub(crate) mod segments;
pub(crate) mod statements;
pub(crate) mod volume;
