//! Applying the orders service's change events to the customers they are about: the handler the
//! customers service plugs into the platform's feed follower
//! ([`logistics_platform::feed_follower`]).
//!
//! The follower applies each event in one transaction of the customers schema that also moves the
//! feed's cursor past it, after checking that the cursor still stands where it read it, and passes
//! over an event whose id it applied already. Each effect is also idempotent by its own key
//! (activity by order number, points by customer and order number, the thank-you follow-up by
//! customer, reason and order number), so even an event applied again under another id and cursor
//! (a cursor reset by hand, after the follower's dedupe window) changes nothing twice. This module
//! decodes each event; what it means is in [`crate::domain::order_feed`], what it does in
//! [`crate::app::order_effects`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use logistics_contracts::orders::{
    OrderCreated, OrderDelivered, StreamChangesResponse, stream_changes_response::Event,
};
use logistics_platform::ApiError;
use logistics_platform::feed_follower::{EventPosition, FeedFollower, FeedHandler, Handled};
use logistics_platform::time::from_timestamp;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::app::order_effects::{self, Delivery};
use crate::domain::customer::Customer;
use crate::domain::order_feed::{effective_time, spend_of};

pub use logistics_platform::feed_follower::Applied;

/// The name of the orders feed (its cursor row, lock, metrics and logs).
pub(crate) const FEED: &str = "orders";

/// What the orders feed does to customers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OrdersFeed;

/// The follower of the orders feed over the customers schema of `pool`.
pub(crate) fn follower(pool: PgPool) -> FeedFollower<OrdersFeed> {
    FeedFollower::new(pool, crate::NAME, FEED, OrdersFeed)
}

/// Applies `events`, which the follower read in this order after the cursor `after` ('' for the
/// beginning), and moves the cursor past the last, in one transaction: the follower's unit of
/// work, for replays and tests. Answers how the last one went.
pub async fn apply(
    pool: &PgPool,
    after: &str,
    events: &[StreamChangesResponse],
) -> Result<Applied, ApiError> {
    follower(pool.clone()).apply(after, events).await
}

/// Whether an event found its customer.
enum Outcome {
    Done,
    UnknownCustomer,
}

/// The customers of one batch found settled (ACTIVE or BLOCKED) by a first order, which also
/// locked their rows, each with the latest time of its later orders in the batch: one update at
/// the end restarts its inactivity clock for them all.
///
/// Sound because nothing else can unsettle a customer before the batch commits: its row stays
/// locked, and an order or a delivery leaves a settled customer settled.
#[derive(Debug, Default)]
pub(crate) struct SettledCustomers {
    latest_order: HashMap<Uuid, Option<DateTime<Utc>>>,
}

impl SettledCustomers {
    /// Notes that the batch found `id` settled (and locked it) with an order written already.
    fn found(&mut self, id: Uuid) {
        self.latest_order.insert(id, None);
    }

    /// Notes an order of `id` at `order_time` if the batch found `id` settled already.
    fn fold(&mut self, id: Uuid, order_time: DateTime<Utc>) -> bool {
        let Some(latest) = self.latest_order.get_mut(&id) else {
            return false;
        };
        *latest = Some(latest.map_or(order_time, |latest| latest.max(order_time)));
        true
    }
}

impl FeedHandler for OrdersFeed {
    type Event = StreamChangesResponse;
    type Batch = SettledCustomers;

    const EVENT_TYPES: &'static [&'static str] = &["order.created", "order.delivered"];

    /// Created and delivered orders change their customer; an event naming a customer this
    /// service does not know, or has deleted, is logged and skipped.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StreamChangesResponse,
        position: &EventPosition,
        settled: &mut SettledCustomers,
    ) -> Result<Handled, ApiError> {
        let written = position.occur_time;
        let now = Utc::now();
        let outcome = match &event.event {
            Some(Event::OrderCreated(created)) => {
                on_created(tx, created, (written, now), settled).await?
            }
            Some(Event::OrderDelivered(delivered)) => {
                on_delivered(tx, delivered, written, now).await?
            }
            // Nothing else concerns customers (see domain::order_feed), nor does an event type
            // newer than this build's contracts (decoded as no event).
            _ => Outcome::Done,
        };
        Ok(match outcome {
            Outcome::Done => Handled::Applied,
            Outcome::UnknownCustomer => {
                tracing::warn!(
                    feed = FEED,
                    event_id = %position.event_id,
                    event_type = %position.event_type,
                    order_id = %position.resource_id,
                    "the event names a customer this service does not know or has deleted; skipped"
                );
                Handled::Skipped
            }
        })
    }

    async fn finish(
        &self,
        tx: &mut PgConnection,
        settled: SettledCustomers,
    ) -> Result<(), ApiError> {
        for (id, latest) in settled.latest_order {
            if let Some(order_time) = latest {
                order_effects::order_placed_by_settled_customer(tx, id, order_time).await?;
            }
        }
        Ok(())
    }
}

/// A new order: its customer (when this service knows it and it is live) is engaging.
async fn on_created(
    tx: &mut PgConnection,
    created: &OrderCreated,
    (written, now): (DateTime<Utc>, DateTime<Utc>),
    settled: &mut SettledCustomers,
) -> Result<Outcome, ApiError> {
    let Some(order) = &created.order else {
        return Err(anyhow::anyhow!("order.created without its order").into());
    };
    let order_time = effective_time(
        order.create_time.as_ref().and_then(from_timestamp),
        written,
        now,
    );
    // Most orders come from customers already active: one statement, no customer read, and
    // none for their later orders in the batch.
    if let Ok(id) = Uuid::parse_str(&order.customer_id) {
        if settled.fold(id, order_time) {
            return Ok(Outcome::Done);
        }
        if order_effects::order_placed_by_settled_customer(tx, id, order_time).await? {
            settled.found(id);
            return Ok(Outcome::Done);
        }
    }
    let Some(customer) = live_customer(tx, &order.customer_id).await? else {
        return Ok(Outcome::UnknownCustomer);
    };
    let number = name_of(&order.order_number, &order.id);
    order_effects::order_placed(tx, &customer, number, order_time, now).await?;
    Ok(Outcome::Done)
}

/// A delivered order: a shipment of its customer (when this service knows it and it is live),
/// worth the order's price in CNY.
async fn on_delivered(
    tx: &mut PgConnection,
    delivered: &OrderDelivered,
    written: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Outcome, ApiError> {
    let Some(customer) = live_customer(tx, &delivered.customer_id).await? else {
        return Ok(Outcome::UnknownCustomer);
    };
    let number = name_of(&delivered.order_number, &delivered.order_id);
    let delivery_time = effective_time(
        delivered.delivery_time.as_ref().and_then(from_timestamp),
        written,
        now,
    );
    let price = delivered
        .price
        .as_ref()
        .map(|money| (money.currency_code.as_str(), money.amount_minor));
    let spend_fen = spend_of(price).unwrap_or_else(|problem| {
        tracing::warn!(
            feed = FEED,
            order_number = number,
            %problem,
            "delivered order counted as a shipment with no spend and no points"
        );
        0
    });
    let delivery = Delivery {
        order_name: number,
        delivery_time,
        spend_fen,
    };
    order_effects::order_delivered(tx, &customer, &delivery, now).await?;
    Ok(Outcome::Done)
}

/// The customer an event names, locked for the rest of the transaction; `None` when the id is not
/// a customer's of this service, or names one that was deleted.
async fn live_customer(tx: &mut PgConnection, id: &str) -> Result<Option<Customer>, ApiError> {
    let Ok(id) = Uuid::parse_str(id) else {
        return Ok(None);
    };
    order_effects::live_customer(tx, id).await
}

/// How an order is named in the customer's records: its order number, or its id if the event
/// lacks the number.
fn name_of<'a>(order_number: &'a str, order_id: &'a str) -> &'a str {
    if order_number.is_empty() {
        order_id
    } else {
        order_number
    }
}
