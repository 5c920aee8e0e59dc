//! The orders service's use cases. Each takes input `api` has already decoded and checked, runs
//! in one transaction (load, the domain's decision, store, change events) and answers with what
//! `api` encodes. Nothing here knows the transport, so nothing here imports `api`; where a change
//! event or an idempotently stored answer is a proto message, `proto` builds it.

pub(crate) mod address_book;
pub(crate) mod delivery;
pub(crate) mod errors;
pub(crate) mod labels;
pub(crate) mod order_writes;
pub(crate) mod orders;
pub(crate) mod partitions;
pub(crate) mod pickups;
pub(crate) mod problems;
pub(crate) mod proto;
pub(crate) mod quotes;
pub(crate) mod tracking_cache;
pub(crate) mod tracking_changes;
pub(crate) mod tracking_reads;
pub(crate) mod tracking_record;
