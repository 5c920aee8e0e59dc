//! What the customers service learns from the other services' change feeds: each followed in the
//! background, each event applied once, in the same transaction that moves the feed's cursor.

pub mod follower;
pub mod orders;
