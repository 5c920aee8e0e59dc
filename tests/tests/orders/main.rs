//! The orders service end to end, in one test binary: its services against the real customers
//! service, on one throwaway PostgreSQL cluster with a database per test.
//!
//! OrderService: orders placed, moved through their statuses, labelled, picked up, listed, and
//! heard of on the change feed (`create`, `statuses`, `labels`, `pickups`, `list`). Then the
//! address book, quotes, tracking, what customers learns from the orders feed, and a shipment's
//! whole life from quote to proof of delivery.

mod address_book;
mod create;
mod import;
mod labels;
mod list;
mod order_feed;
mod order_lifecycle;
mod pickups;
mod quotes;
mod statuses;
mod tracking;
