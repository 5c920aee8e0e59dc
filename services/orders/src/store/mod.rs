//! SQL on the `orders` schema, and nothing else: one module per group of tables, named after
//! it. `tracking` holds the tracking events, their keys, and the tracking columns of `orders`.

pub(crate) mod address_book;
pub(crate) mod orders;
pub(crate) mod proofs_of_delivery;
pub(crate) mod rate_cards;
pub(crate) mod tracking;
