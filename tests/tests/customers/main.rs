//! The customers service end to end, in one test binary: every API of it through the generated
//! clients, on one throwaway PostgreSQL cluster with a database per test (the few tests that stop
//! their database or burn transaction ids start a cluster of their own).

mod api;
mod change_feed;
mod change_feed_txid_boundaries;
mod contacts;
mod engagement;
mod lifecycle;
mod loyalty;
mod pagination_and_idempotency;
