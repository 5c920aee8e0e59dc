//! The use cases: what each RPC, job and feed event does, each one transaction that loads what it
//! needs, lets `domain` decide, writes through `store` and records its change event. The api
//! decodes requests into their inputs and encodes their outcomes; nothing here knows about
//! transport, and nothing here imports from `api`.

pub(crate) mod complaint_effects;
pub(crate) mod contacts;
pub(crate) mod customer_changes;
pub(crate) mod customers;
pub(crate) mod engagement;
pub(crate) mod erasure;
pub(crate) mod events;
pub mod follow_up_sweep;
pub(crate) mod lifecycle;
pub(crate) mod loyalty;
pub(crate) mod order_effects;
pub(crate) mod survey_sampling;
