//! Reading tracking: shipments with their latest events, by tracking number or by the
//! customer's reference, and what a watch reads (its snapshot, then what is new).

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use prost::bytes::Bytes;
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
    /// Its answers once encoded, kept with it while it stays in the cache.
    pub(crate) encoded: EncodedAnswers,
}

impl Tracked {
    fn new(order: TrackedOrder, newest_events: Vec<EventRow>) -> Self {
        let encoded = EncodedAnswers::within(newest_events.len() + 1);
        Self {
            order,
            newest_events,
            encoded,
        }
    }

    /// What the shipment weighs in the cache, in events: its events plus one, and as much again
    /// for the answers encoded from them ([`EncodedAnswers`] keeps no more).
    pub(crate) fn weight(&self) -> u32 {
        let events = u32::try_from(self.newest_events.len()).unwrap_or(u32::MAX / 2);
        events.saturating_add(1).saturating_mul(2)
    }
}

/// Different event counts a shipment keeps encoded answers for; others are encoded per call, so
/// a caller cycling through counts costs CPU, not memory.
const KEPT_ENCODINGS: usize = 4;

/// A shipment's tracking as protobuf encodes it, by the number of events shown: what a read
/// answers with, built and encoded once rather than per call.
///
/// The answers kept show at most as many events, counting one more for each answer's shipment,
/// as the shipment holds: so they take about the memory its events take, which the cache's
/// bound counts ([`Tracked::weight`]). An answer past that is encoded on every call.
pub(crate) struct EncodedAnswers {
    answers: Mutex<Vec<(usize, Bytes)>>,
    /// Events the kept answers may show in all, each answer counting one more.
    budget: usize,
}

impl EncodedAnswers {
    fn within(budget: usize) -> Self {
        Self {
            answers: Mutex::default(),
            budget,
        }
    }

    /// The answer showing `events` events, from `encode` the first time.
    pub(crate) fn get_or_encode(&self, events: usize, encode: impl FnOnce() -> Bytes) -> Bytes {
        let kept = |answers: &[(usize, Bytes)]| {
            answers
                .iter()
                .find(|(shown, _)| *shown == events)
                .map(|(_, answer)| answer.clone())
        };
        if let Some(answer) = kept(&self.answers()) {
            return answer;
        }
        // Encoded outside the lock; two first readers at once both encode, and one copy stays.
        let answer = encode();
        let mut answers = self.answers();
        let spent: usize = answers.iter().map(|(shown, _)| shown + 1).sum();
        let fits = spent.saturating_add(events).saturating_add(1) <= self.budget;
        if fits && answers.len() < KEPT_ENCODINGS && kept(&answers).is_none() {
            answers.push((events, answer.clone()));
        }
        answer
    }

    fn answers(&self) -> std::sync::MutexGuard<'_, Vec<(usize, Bytes)>> {
        // A panic while holding the lock leaves a list of complete answers: still usable.
        self.answers.lock().unwrap_or_else(PoisonError::into_inner)
    }
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
    Ok(Tracked::new(order, newest_events))
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
        .map(|order| {
            let newest_events = by_order.remove(&order.id).unwrap_or_default();
            Tracked::new(order, newest_events)
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

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    /// `answers.get_or_encode(events, ..)`, and whether it had to encode.
    fn read(answers: &EncodedAnswers, events: usize) -> bool {
        let encoded = Cell::new(false);
        answers.get_or_encode(events, || {
            encoded.set(true);
            Bytes::from(vec![0; events])
        });
        encoded.get()
    }

    #[test]
    fn answers_are_kept_while_they_show_no_more_events_than_the_shipment_holds() {
        // A shipment of ten events: budget eleven.
        let answers = EncodedAnswers::within(11);
        assert!(read(&answers, 4), "the first read encodes");
        assert!(!read(&answers, 4), "then it is kept (5 of 11 spent)");
        assert!(read(&answers, 5));
        assert!(!read(&answers, 5), "kept: 11 of 11 spent");
        assert!(read(&answers, 0));
        assert!(read(&answers, 0), "past the budget: encoded on every read");
        assert!(!read(&answers, 4), "what was kept stays");
    }

    #[test]
    fn no_more_than_four_answers_are_kept_however_small() {
        let answers = EncodedAnswers::within(1_000);
        for events in 0..KEPT_ENCODINGS {
            assert!(read(&answers, events));
        }
        assert!(read(&answers, 9));
        assert!(read(&answers, 9), "a fifth count is encoded on every read");
        for events in 0..KEPT_ENCODINGS {
            assert!(!read(&answers, events));
        }
    }
}
