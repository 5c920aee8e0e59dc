//! SQL on the `orders` schema, one module per area, and nothing else.

pub(crate) mod address_book;
pub(crate) mod delivery;
pub(crate) mod orders;
pub(crate) mod problems;
pub(crate) mod rate_cards;
pub(crate) mod tracking;
