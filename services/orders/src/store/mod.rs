//! SQL on the `orders` schema, one module per area, and nothing else.

pub mod orders;
pub mod rate_cards;
