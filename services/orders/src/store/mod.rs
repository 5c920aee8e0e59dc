//! SQL on the `orders` schema, one module per area, and nothing else.

pub mod address_book;
pub mod delivery;
pub mod orders;
pub mod problems;
pub mod rate_cards;
pub mod tracking;
