//! OrderService end to end: orders placed against the real customers service, moved through
//! their statuses, listed, and heard of on the change feed.

mod create;
mod labels;
mod list;
mod pickups;
mod statuses;
