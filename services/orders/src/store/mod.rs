//! SQL on the `orders` schema, one module per area, and nothing else.

pub mod labels;
pub mod rate_cards;
