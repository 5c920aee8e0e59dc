//! The reporting service end to end: the real customers, orders and complaints services produce
//! the facts through their public RPCs, reporting follows their feeds, and its figures are
//! checked against what the test itself did.

mod batches;
mod exports;
mod known_data_drive;
mod known_data_plan;
mod known_data_set;
mod kpis;
mod rebuild;
mod rebuild_swap;
mod regional;
mod rendered;
mod scopes;
mod scorecards;
mod segments;
mod statement_facts;
mod statements;
mod txid_boundaries;
