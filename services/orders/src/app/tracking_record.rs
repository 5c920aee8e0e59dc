//! Recording a batch of tracking events in one transaction: every event answered on its own,
//! the affected orders locked in id order, each table written with one statement.

use chrono::{DateTime, SubsecRound as _, Utc};
use foldhash::{HashMap, HashSet, HashSetExt as _};
use logistics_contracts::orders::{
    self as pb, EventFieldViolation, RejectionReason, TrackingEventCounts, TrackingEventOutcome,
    TrackingEventResult,
};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::PgPool;
use uuid::Uuid;

use super::proto::status_to_proto;
use super::tracking_changes::{self as changes, Change};
use crate::domain::status::OrderStatus;
use crate::domain::timeliness::EventCounts;
use crate::domain::tracking::{
    Applied, EventCode, EventSource, IncomingEvent, Rejection, TrackingState, apply_in_time_order,
};
use crate::store::tracking::{
    self as store, EventKey, EventRow, OrderTrackingUpdate, RecordedKey, TrackedOrder,
};

/// An event whose fields are all well-formed: what `api` makes of each event it is sent.
#[derive(Debug, Clone)]
pub(crate) struct ParsedEvent {
    /// Position in the request (or the stream).
    pub(crate) index: usize,
    /// The sender's id, trimmed.
    pub(crate) client_event_id: String,
    /// The tracking number.
    pub(crate) tracking_number: String,
    /// What happened.
    pub(crate) code: EventCode,
    /// Who reported it.
    pub(crate) source: EventSource,
    /// Which scanner or partner, trimmed.
    pub(crate) source_name: String,
    /// When it happened.
    pub(crate) occur_time: DateTime<Utc>,
    /// Where.
    pub(crate) location: Location,
    /// Free text, trimmed.
    pub(crate) description: String,
    /// For DELAYED.
    pub(crate) new_estimated_delivery_time: Option<DateTime<Utc>>,
}

/// Where an event happened.
#[derive(Debug, Clone, Default)]
pub(crate) struct Location {
    /// Facility code.
    pub(crate) facility_code: String,
    /// City.
    pub(crate) city: String,
    /// Region code.
    pub(crate) region_code: String,
}

/// Records the well-formed `parsed` events (numbered from `first_index` by the caller) as
/// `principal`, answering each in its slot of `results`, which holds one slot per event sent,
/// those already refused by `api` filled. Only a failure of the database fails the whole batch.
pub(crate) async fn record_batch(
    pool: &PgPool,
    principal: &str,
    parsed: &[ParsedEvent],
    first_index: usize,
    results: &mut [Option<TrackingEventResult>],
) -> Result<(), ApiError> {
    if parsed.is_empty() {
        return Ok(());
    }
    // PostgreSQL keeps microseconds: answer with the times as they will be read back.
    let now = Utc::now().trunc_subsecs(6);
    let mut batch = Batch {
        now,
        principal,
        first_index,
        results,
        rows: Vec::with_capacity(parsed.len()),
        updates: Vec::new(),
        changes: Vec::new(),
        counts: Vec::new(),
    };
    batch.write(pool, parsed).await
}

/// What one batch writes, gathered before writing it.
struct Batch<'a> {
    now: DateTime<Utc>,
    principal: &'a str,
    first_index: usize,
    results: &'a mut [Option<TrackingEventResult>],
    rows: Vec<EventRow<&'a str>>,
    updates: Vec<OrderTrackingUpdate>,
    changes: Vec<Change>,
    /// Per order that got events stored: how many, and how many timely (tracking.events_recorded).
    counts: Vec<TrackingEventCounts>,
}

impl<'a> Batch<'a> {
    async fn write(&mut self, pool: &PgPool, parsed: &'a [ParsedEvent]) -> Result<(), ApiError> {
        let mut numbers: Vec<String> = parsed.iter().map(|e| e.tracking_number.clone()).collect();
        numbers.sort_unstable();
        numbers.dedup();

        let mut tx = pool.begin().await?;
        let orders = store::lock_by_tracking_numbers(&mut tx, &numbers).await?;
        let by_number: HashMap<&str, usize> = orders
            .iter()
            .enumerate()
            .map(|(at, order)| (order.tracking_number.as_str(), at))
            .collect();
        let keys: Vec<EventKey> = parsed
            .iter()
            .filter_map(|event| {
                let order = &orders[*by_number.get(event.tracking_number.as_str())?];
                Some(key_of(order.id, event))
            })
            .collect();
        let since = orders.iter().map(TrackedOrder::events_since).min();
        let recorded = store::existing_keys(&mut tx, &keys, since.unwrap_or(self.now)).await?;
        let recorded: HashSet<EventKey> = recorded.iter().map(RecordedKey::key).collect();

        // Each order's new events, in the order given; repeats within the batch are duplicates.
        let mut per_order: Vec<Vec<&ParsedEvent>> = vec![Vec::new(); orders.len()];
        let mut seen = HashSet::with_capacity(keys.len());
        for event in parsed {
            let Some(&at) = by_number.get(event.tracking_number.as_str()) else {
                self.reject(
                    event,
                    RejectionReason::UnknownTrackingNumber,
                    "no shipment has this tracking number".to_owned(),
                );
                continue;
            };
            let key = key_of(orders[at].id, event);
            if recorded.contains(&key) || !seen.insert(key) {
                self.answer(event, TrackingEventOutcome::Duplicate, |_| {});
                continue;
            }
            per_order[at].push(event);
        }
        for (order, events) in orders.iter().zip(&per_order) {
            if !events.is_empty() {
                self.apply_to_order(order, events)?;
            }
        }

        // One summary per batch, after the order-level events it caused; none when nothing was
        // stored, so retried and all-refused batches add nothing to the feed.
        if !self.counts.is_empty() {
            let counts = std::mem::take(&mut self.counts);
            self.changes
                .push(changes::events_recorded(counts, self.now));
        }
        store::insert_events(&mut tx, &self.rows).await?;
        store::save_orders(&mut tx, &self.updates, self.now).await?;
        changes::append_changes(&mut tx, std::mem::take(&mut self.changes)).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Applies one order's new events in the order they occurred.
    fn apply_to_order(
        &mut self,
        order: &TrackedOrder,
        events: &[&'a ParsedEvent],
    ) -> Result<(), ApiError> {
        let mut state = TrackingState {
            status: order.status.get(),
            status_time: order.status_time,
            create_time: order.create_time,
            last_movement_time: order.last_movement_time,
            pickup_time: order.pickup_time,
            estimated_delivery_time: order.estimated_delivery_time,
            route_changed: order.route_changed,
        };
        let incoming: Vec<IncomingEvent> = events
            .iter()
            .map(|event| IncomingEvent {
                code: event.code,
                occur_time: event.occur_time,
                new_estimated_delivery_time: event.new_estimated_delivery_time,
            })
            .collect();
        let mut sequence = order.tracking_sequence;
        let mut counts = EventCounts::default();
        for (at, outcome) in apply_in_time_order(&mut state, &incoming, self.now) {
            let event = events[at];
            match outcome {
                Err(refused) => self.reject(event, reason_of(&refused), refused.to_string()),
                Ok(applied) => {
                    sequence += 1;
                    counts.add(event.occur_time, self.now);
                    self.accept(order, event, applied, sequence);
                }
            }
        }
        if counts.events > 0 {
            self.counts.push(changes::event_counts(order, counts));
        }
        if sequence > order.tracking_sequence {
            self.updates.push(OrderTrackingUpdate {
                id: order.id,
                status: state.status,
                status_time: state.status_time,
                pickup_time: state.pickup_time,
                last_movement_time: state.last_movement_time,
                estimated_delivery_time: state.estimated_delivery_time,
                route_changed: state.route_changed,
                tracking_sequence: sequence,
            });
        }
        Ok(())
    }

    fn accept(
        &mut self,
        order: &TrackedOrder,
        event: &'a ParsedEvent,
        applied: Applied,
        sequence: i64,
    ) {
        let event_id = Uuid::now_v7();
        let applied_status = applied.moved.map(|(_, to)| to);
        self.rows.push(EventRow {
            order_id: order.id,
            sequence,
            event_id,
            client_event_id: &event.client_event_id,
            source: Stored(event.source),
            source_name: &event.source_name,
            code: Stored(event.code),
            occur_time: event.occur_time,
            receive_time: self.now,
            facility_code: &event.location.facility_code,
            city: &event.location.city,
            region_code: &event.location.region_code,
            description: &event.description,
            new_estimated_delivery_time: event.new_estimated_delivery_time,
            applied_status: applied_status.map(Stored),
            late: applied.late,
            recorded_by: self.principal,
        });
        let at = event.occur_time;
        let why = |fallback: &str| {
            if event.description.is_empty() {
                fallback.to_owned()
            } else {
                event.description.clone()
            }
        };
        if let Some(moved) = applied.moved {
            self.changes.push(changes::status_changed(
                order,
                moved,
                at,
                event.code.as_str(),
            ));
            if moved.1 == OrderStatus::ReturnedToSender {
                self.changes
                    .push(changes::returned(order, at, &why("returned to sender")));
            }
        }
        if applied.picked_up {
            self.changes.push(changes::picked_up(order, at));
        }
        if event.code == EventCode::RouteChanged {
            self.changes.push(changes::route_changed(
                order,
                at,
                &why("route changed on the way"),
            ));
        }
        self.answer(event, TrackingEventOutcome::Accepted, |result| {
            result.event_id = event_id.to_string();
            result.applied_status = applied_status
                .map_or(pb::OrderStatus::Unspecified, status_to_proto)
                .into();
            result.late = applied.late;
        });
    }

    fn reject(&mut self, event: &ParsedEvent, reason: RejectionReason, message: String) {
        let result = rejected_result(
            event.index,
            &event.client_event_id,
            &event.tracking_number,
            reason,
            message,
            Vec::new(),
        );
        self.results[event.index - self.first_index] = Some(result);
    }

    fn answer(
        &mut self,
        event: &ParsedEvent,
        outcome: TrackingEventOutcome,
        fill: impl FnOnce(&mut TrackingEventResult),
    ) {
        let mut result = TrackingEventResult {
            index: event.index as i32,
            client_event_id: event.client_event_id.clone(),
            tracking_number: event.tracking_number.clone(),
            outcome: outcome.into(),
            ..Default::default()
        };
        fill(&mut result);
        self.results[event.index - self.first_index] = Some(result);
    }
}

fn key_of(order_id: Uuid, event: &ParsedEvent) -> EventKey<'_> {
    EventKey {
        order_id,
        source: event.source.as_str(),
        source_name: &event.source_name,
        client_event_id: &event.client_event_id,
    }
}

fn reason_of(refused: &Rejection) -> RejectionReason {
    match refused {
        Rejection::FutureTime => RejectionReason::FutureTime,
        Rejection::BeforeOrder => RejectionReason::BeforeOrder,
        Rejection::Illegal(_) | Rejection::NotOnTheWay { .. } => RejectionReason::IllegalTransition,
        Rejection::OrderCancelled => RejectionReason::OrderCancelled,
        Rejection::DeliveryNeedsProof => RejectionReason::DeliveryNeedsProof,
    }
}

/// The result of an event refused with `reason`.
pub(crate) fn rejected_result(
    index: usize,
    client_event_id: &str,
    tracking_number: &str,
    reason: RejectionReason,
    message: String,
    field_violations: Vec<EventFieldViolation>,
) -> TrackingEventResult {
    TrackingEventResult {
        index: index as i32,
        client_event_id: client_event_id.to_owned(),
        tracking_number: tracking_number.to_owned(),
        outcome: TrackingEventOutcome::Rejected.into(),
        rejection_reason: reason.into(),
        message,
        field_violations,
        ..Default::default()
    }
}
