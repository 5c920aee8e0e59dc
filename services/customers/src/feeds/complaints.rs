//! Applying the complaints service's change events: a resolved complaint schedules a check-in
//! follow-up (COMPLAINT_RESOLVED) with the customer's account manager, once per resolution. The
//! follower applies each event once by its id, in the transaction that moves the cursor, and the
//! follow-up is also unique by customer, reason and resolution, so even an event applied again
//! under another id changes nothing twice. What the event means is in
//! [`crate::domain::complaint_feed`], what it does in [`crate::app::complaint_effects`].

use logistics_contracts::complaints::{StreamChangesResponse, stream_changes_response::Event};
use logistics_platform::ApiError;
use logistics_platform::feed_follower::{EventPosition, FeedFollower, FeedHandler, Handled};
use logistics_platform::time::from_timestamp;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::app::complaint_effects::{self, Resolution};
use crate::app::order_effects::live_customer;

/// The name of the complaints feed (its cursor row, lock, metrics and logs).
pub(crate) const FEED: &str = "complaints";

/// What the complaints feed does to customers.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ComplaintsFeed;

/// The follower of the complaints feed over the customers schema of `pool`.
pub(crate) fn follower(pool: PgPool) -> FeedFollower<ComplaintsFeed> {
    FeedFollower::new(pool, crate::NAME, FEED, ComplaintsFeed)
}

impl FeedHandler for ComplaintsFeed {
    type Event = StreamChangesResponse;
    type Batch = ();

    const EVENT_TYPES: &'static [&'static str] = &["complaint.resolved"];

    /// Resolved complaints schedule a check-in; nothing else concerns customers. An event naming
    /// a customer this service does not know, or has deleted, is logged and skipped.
    async fn apply(
        &self,
        tx: &mut PgConnection,
        event: &StreamChangesResponse,
        position: &EventPosition,
        _batch: &mut (),
    ) -> Result<Handled, ApiError> {
        let Some(Event::ComplaintResolved(resolved)) = &event.event else {
            return Ok(Handled::Applied);
        };
        let customer = match Uuid::try_parse(&resolved.customer_id) {
            Ok(id) => live_customer(tx, id).await?,
            Err(_) => None,
        };
        let Some(customer) = customer else {
            tracing::warn!(
                feed = FEED,
                event_id = %position.event_id,
                complaint_id = %resolved.complaint_id,
                "the event names a customer this service does not know or has deleted; skipped"
            );
            return Ok(Handled::Skipped);
        };
        let resolution = Resolution {
            complaint_id: &resolved.complaint_id,
            complaint_number: if resolved.complaint_number.is_empty() {
                &resolved.complaint_id
            } else {
                &resolved.complaint_number
            },
            resolution_number: resolved.resolution_number,
            resolve_time: resolved
                .resolve_time
                .as_ref()
                .and_then(from_timestamp)
                .unwrap_or(position.occur_time),
        };
        complaint_effects::complaint_resolved(tx, &customer, &resolution).await?;
        Ok(Handled::Applied)
    }
}
