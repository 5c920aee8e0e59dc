//! Tracking served from memory. Every update or delete of an order row NOTIFYs, from a trigger
//! (migration 0005), with the order's id and tracking number; recording events always updates the
//! order row, so no tracking change escapes it. One listener per process turns those
//! notifications into invalidations of the cache and into wake-ups of the watchers.
//!
//! So the replica that wrote answers with its write at once (it invalidates before answering
//! the write), and the others within [`STALE_AT_MOST`]: a replica that cannot vouch for having
//! heard every notification that old (its listener is down or lagging) reads the database.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use logistics_platform::ApiError;
use logistics_platform::cache::CoherentCache;
use logistics_platform::notifications::{self, Heard};
use sqlx::PgPool;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::tracking_reads::{self, Tracked};

/// The channel of order changes in a schema: the trigger appends the schema's name.
pub(crate) const CHANNEL_PREFIX: &str = "logistics_tracking.";
/// How old a write of another replica may be and still not be seen.
pub(crate) const STALE_AT_MOST: Duration = Duration::from_millis(750);
/// Events kept per shipment: as many as any read returns, plus one to tell that older ones exist.
pub(crate) const KEPT_EVENTS: usize = 200;
/// How long a shipment stays without being read again or changed: a backstop for changes that
/// bypass the order row, such as a retention job dropping a month of events.
const KEPT_FOR: Duration = Duration::from_secs(60);
/// Notifications buffered for the watchers before slow ones skip ahead (they re-read anyway).
const WAKE_BUFFER: usize = 4096;

/// Shipments with their latest events, by tracking number.
#[derive(Clone)]
pub(crate) struct TrackingCache {
    pool: PgPool,
    shipments: CoherentCache<String, Arc<Tracked>>,
}

impl TrackingCache {
    /// Follows the order changes of `schema` until `shutdown`, keeping at most `max_events`
    /// events' worth in memory: each shipment's events, and as many again for its encoded
    /// answers. Also answers the sender that wakes the watchers: the nil id means "anything may
    /// have changed".
    pub(crate) fn follow(
        pool: PgPool,
        schema: &str,
        max_events: u64,
        shutdown: CancellationToken,
    ) -> (Self, broadcast::Sender<Uuid>) {
        let (wake, _) = broadcast::channel(WAKE_BUFFER);
        let shipments = CoherentCache::new(KEPT_FOR, max_events, |tracked: &Arc<Tracked>| {
            tracked.weight()
        });
        let invalidated = shipments.clone();
        let woken = wake.clone();
        let hearing = notifications::listen_and_hear(
            &pool,
            format!("{CHANNEL_PREFIX}{schema}"),
            shutdown,
            move |heard| match heard {
                Heard::Notification(payload) => {
                    let (id, number) = payload.split_once(' ').unwrap_or((payload, ""));
                    invalidated.invalidate(number);
                    // No receiver is fine: nobody watches right now.
                    let _ = woken.send(Uuid::try_parse(id).unwrap_or(Uuid::nil()));
                }
                Heard::MayHaveMissed => {
                    invalidated.invalidate_all();
                    let _ = woken.send(Uuid::nil());
                }
            },
        );
        let cache = Self {
            pool,
            shipments: shipments.trusting(hearing, STALE_AT_MOST),
        };
        (cache, wake)
    }

    /// The shipment of `tracking_number` with its latest [`KEPT_EVENTS`] + 1 events.
    pub(crate) async fn tracking(&self, tracking_number: &str) -> Result<Arc<Tracked>, ApiError> {
        self.shipments
            .get_or_load(tracking_number.to_owned(), || async {
                tracking_reads::tracking(&self.pool, tracking_number, KEPT_EVENTS)
                    .await
                    .map(Arc::new)
            })
            .await
    }

    /// The shipments of `tracking_numbers` (without repeats) that exist, each with its latest
    /// [`KEPT_EVENTS`] + 1 events; those not in memory are read with one query.
    pub(crate) async fn trackings(
        &self,
        tracking_numbers: &[String],
    ) -> Result<Vec<Arc<Tracked>>, ApiError> {
        let mut found = Vec::with_capacity(tracking_numbers.len());
        let mut missing = Vec::new();
        let mut tickets = HashMap::new();
        for number in tracking_numbers {
            match self.shipments.get(number.as_str()) {
                Some(tracked) => found.push(tracked),
                None => {
                    tickets.insert(number.as_str(), self.shipments.ticket(number.as_str()));
                    missing.push(number.clone());
                }
            }
        }
        if missing.is_empty() {
            return Ok(found);
        }
        // Boxed, as a cache's loads are, so that a batch found in memory does not carry the
        // query's state (see `Cache::get_or_load`).
        let read = Box::pin(tracking_reads::trackings(&self.pool, &missing, KEPT_EVENTS));
        for tracked in read.await? {
            let tracked = Arc::new(tracked);
            let number = &tracked.order.tracking_number;
            if let Some(ticket) = tickets.get(number.as_str()) {
                self.shipments
                    .insert(number.clone(), Arc::clone(&tracked), *ticket);
            }
            found.push(tracked);
        }
        Ok(found)
    }

    /// Forgets the shipments of `tracking_numbers`, right after this replica changed them.
    pub(crate) fn invalidate<'a>(&self, tracking_numbers: impl IntoIterator<Item = &'a str>) {
        // A batch names each shipment many times (500 events of a few dozen, under load), and
        // each invalidation takes the cache's locks: once per shipment is enough.
        let mut numbers: Vec<&str> = tracking_numbers.into_iter().collect();
        numbers.sort_unstable();
        numbers.dedup();
        for number in numbers {
            self.shipments.invalidate(number);
        }
    }
}
