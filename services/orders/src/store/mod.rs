//! SQL on the `orders` schema, one module per area, and nothing else.

pub mod address_book;
pub mod orders;
pub mod rate_cards;
