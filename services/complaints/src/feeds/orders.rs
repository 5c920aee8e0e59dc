//! Proactive cases from the orders feed: a delivery with damaged or missing pieces, or a shipment
//! going to EXCEPTION, opens a case assigned to the customer's account manager, unless the
//! customer already has an open complaint about the order. What calls for a case is in
//! [`crate::domain::proactive`].
//!
//! The follower applies each event once (by its id), in the transaction that moves the cursor.

use logistics_contracts::orders::{
    OrderDelivered, OrderStatus, OrderStatusChanged, StreamChangesResponse,
    stream_changes_response::Event,
};
use logistics_platform::ApiError;
use logistics_platform::feed_follower::{EventPosition, FeedFollower, FeedHandler, Handled};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::app::Complaints;
use crate::app::proactive::Opened;
use crate::domain::proactive::{self, ProactiveCase};

/// The name of the orders feed (its cursor row, lock, metrics and logs).
pub(crate) const FEED: &str = "orders";

/// What the orders feed does to complaints.
#[derive(Clone)]
pub(crate) struct OrdersFeed {
    complaints: Complaints,
}

/// The follower of the orders feed over the complaints schema of `pool`.
pub(crate) fn follower(pool: PgPool, complaints: Complaints) -> FeedFollower<OrdersFeed> {
    FeedFollower::new(pool, crate::NAME, FEED, OrdersFeed { complaints })
}

impl FeedHandler for OrdersFeed {
    type Event = StreamChangesResponse;
    type Batch = ();

    /// Cases come from deliveries and status changes; the feed passes the rest over (every
    /// order's creation and tracking batches among them).
    const EVENT_TYPES: &'static [&'static str] = &["order.delivered", "order.status_changed"];

    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StreamChangesResponse,
        position: &EventPosition,
        _batch: &mut (),
    ) -> Result<Handled, ApiError> {
        let call = match &event.event {
            Some(Event::OrderDelivered(delivered)) => on_delivered(delivered),
            Some(Event::OrderStatusChanged(changed)) => on_status_changed(changed),
            // Nothing else calls for a case, nor does an event newer than this build's contracts.
            _ => None,
        };
        let Some((customer_id, order_id, case)) = call else {
            return Ok(Handled::Applied);
        };
        let (Ok(customer_id), Ok(order_id)) =
            (Uuid::try_parse(customer_id), Uuid::try_parse(order_id))
        else {
            tracing::warn!(feed = FEED, event_id = %position.event_id, "the event names no valid customer or order; skipped");
            return Ok(Handled::Skipped);
        };
        match self
            .complaints
            .open_proactive(tx, customer_id, order_id, case)
            .await
        {
            Ok(Opened::Opened | Opened::AlreadyOpen) => Ok(Handled::Applied),
            // The customer or the order is gone (deleted, erased, unknown): nobody to reach.
            Err(error @ (ApiError::NotFound { .. } | ApiError::FailedPrecondition { .. })) => {
                tracing::warn!(
                    feed = FEED,
                    event_id = %position.event_id,
                    order_id = %order_id,
                    %error,
                    "no proactive case: the customer or the order cannot be served"
                );
                Ok(Handled::Skipped)
            }
            // Customers or orders down: the follower retries the event later.
            Err(error) => Err(error),
        }
    }
}

fn on_delivered(delivered: &OrderDelivered) -> Option<(&str, &str, ProactiveCase)> {
    let number = if delivered.order_number.is_empty() {
        &delivered.order_id
    } else {
        &delivered.order_number
    };
    let case =
        proactive::after_delivery(number, delivered.damaged_pieces, delivered.missing_pieces)?;
    Some((&delivered.customer_id, &delivered.order_id, case))
}

fn on_status_changed(changed: &OrderStatusChanged) -> Option<(&str, &str, ProactiveCase)> {
    if changed.to_status() != OrderStatus::Exception
        || changed.from_status() == OrderStatus::Exception
    {
        return None;
    }
    let case = proactive::after_exception(&changed.order_id, &changed.cause);
    Some((&changed.customer_id, &changed.order_id, case))
}
