//! SQL on the `orders` schema, one module per area, and nothing else.

pub mod address_book;
pub mod labels;
pub mod rate_cards;
