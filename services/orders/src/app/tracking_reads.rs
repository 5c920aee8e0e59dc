//! Reading tracking: shipments with their latest events, by tracking number or by the
//! customer's reference, and what a watch reads (its snapshot, then what is new).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::errors::shipment_not_found;
use crate::store::tracking::{self as store, EventRow, TrackedOrder};

/// A shipment with its latest events, newest first: at most one more than asked for, which
/// tells that older ones exist.
pub(crate) struct Tracked {
    /// The shipment.
    pub(crate) order: TrackedOrder,
    /// Its latest events, newest first.
    pub(crate) newest_events: Vec<EventRow>,
}

/// The shipment of `tracking_number` with its latest `limit + 1` events.
pub(crate) async fn tracking(
    pool: &PgPool,
    tracking_number: &str,
    limit: usize,
) -> Result<Tracked, ApiError> {
    let mut conn = pool.acquire().await?;
    let order = store::find_by_tracking_number(&mut conn, tracking_number)
        .await?
        .ok_or_else(|| shipment_not_found(tracking_number))?;
    let newest_events =
        store::latest_events(&mut conn, &[(order.id, order.events_since())], limit + 1).await?;
    Ok(Tracked {
        order,
        newest_events,
    })
}

/// The shipments of `tracking_numbers` (sorted, without repeats) that exist, each with its latest
/// `limit + 1` events.
pub(crate) async fn trackings(
    pool: &PgPool,
    tracking_numbers: &[String],
    limit: usize,
) -> Result<Vec<Tracked>, ApiError> {
    let mut conn = pool.acquire().await?;
    let orders = store::find_by_tracking_numbers(&mut conn, tracking_numbers).await?;
    with_events(&mut conn, orders, limit).await
}

/// At most `size` shipments carrying `reference` (of one customer, if given), newest first,
/// after the keyset position `after` (create time, id), each with its latest `limit + 1`
/// events; and whether more follow.
pub(crate) async fn by_reference(
    pool: &PgPool,
    (reference, customer_id): (&str, Option<Uuid>),
    after: Option<(DateTime<Utc>, Uuid)>,
    size: usize,
    limit: usize,
) -> Result<(Vec<Tracked>, bool), ApiError> {
    let mut conn = pool.acquire().await?;
    let mut orders =
        store::find_by_reference(&mut conn, reference, customer_id, after, size + 1).await?;
    let more = orders.len() > size;
    orders.truncate(size);
    Ok((with_events(&mut conn, orders, limit).await?, more))
}

/// The latest `limit + 1` events of each order, in the order given: one query.
async fn with_events(
    conn: &mut PgConnection,
    orders: Vec<TrackedOrder>,
    limit: usize,
) -> Result<Vec<Tracked>, ApiError> {
    let bounds: Vec<(Uuid, DateTime<Utc>)> = orders
        .iter()
        .map(|order| (order.id, order.events_since()))
        .collect();
    let events = store::latest_events(conn, &bounds, limit + 1).await?;
    let mut by_order: HashMap<Uuid, Vec<EventRow>> = HashMap::new();
    for event in events {
        by_order.entry(event.order_id).or_default().push(event);
    }
    Ok(orders
        .into_iter()
        .map(|order| Tracked {
            newest_events: by_order.remove(&order.id).unwrap_or_default(),
            order,
        })
        .collect())
}

/// What a watch starts from: the shipment and its latest `limit + 1` events recorded up to the
/// order row read, so that none recorded later is both in it and sent live.
pub(crate) async fn watch_snapshot(
    pool: &PgPool,
    tracking_number: &str,
    limit: usize,
) -> Result<Tracked, ApiError> {
    let mut tracked = tracking(pool, tracking_number, limit).await?;
    let seen = tracked.order.tracking_sequence;
    tracked.newest_events.retain(|event| event.sequence <= seen);
    Ok(tracked)
}

/// What a watch of `order` has not seen: the shipment now, and the events recorded after the
/// last one sent, in recording order. `None` when the shipment is gone.
pub(crate) async fn recorded_since(
    pool: &PgPool,
    order: &TrackedOrder,
) -> Result<Option<(TrackedOrder, Vec<EventRow>)>, ApiError> {
    let mut conn = pool.acquire().await?;
    let Some(current) = store::find_by_tracking_number(&mut conn, &order.tracking_number).await?
    else {
        return Ok(None);
    };
    let events = store::events_recorded_after(
        &mut conn,
        order.id,
        order.events_since(),
        order.tracking_sequence,
    )
    .await?;
    Ok(Some((current, events)))
}
