//! The reporting service end to end: the real customers, orders and complaints services produce
//! the facts through their public RPCs, reporting follows their feeds, and its figures are
//! checked against what the test itself did.

mod kpis;
mod rebuild;
mod rebuild_swap;
mod regional;
mod scorecards;
mod segments;
mod statement_facts;
mod statements;
