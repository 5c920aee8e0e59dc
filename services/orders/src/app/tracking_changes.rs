//! Change events caused by tracking and delivery, written to the outbox in the transaction of the
//! change. A batch of events writes its change events with one statement.
//!
//! They go through the platform's one outbox writer (`changefeed::record_all`), which names each
//! event by its contract, as every other change of the service does.

use chrono::{DateTime, Utc};
use logistics_contracts::orders::{
    OrderDelivered, OrderPickedUp, OrderReturned, OrderStatusChanged, RouteChanged,
    TrackingEventCounts, TrackingEventsRecorded, stream_changes_response::Event,
};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::time::timestamp;
use sqlx::PgConnection;
use uuid::Uuid;

use super::proto::{mode_to_proto, status_to_proto};
use crate::domain::status::OrderStatus;
use crate::domain::timeliness::EventCounts;
use crate::store::proofs_of_delivery::ProofRow;
use crate::store::tracking::TrackedOrder;

/// One change event a tracking write causes, about one order.
#[derive(Debug, Clone)]
pub(crate) struct Change {
    resource_id: String,
    event: Event,
}

/// Writes `changes` to the outbox in their order, with one statement, and wakes the change
/// feed's readers when the transaction commits.
pub(crate) async fn append_changes(
    tx: &mut PgConnection,
    changes: Vec<Change>,
) -> Result<(), ApiError> {
    changefeed::record_all(
        tx,
        changes
            .into_iter()
            .map(|change| (change.resource_id, change.event)),
    )
    .await
}

/// order.status_changed
pub(crate) fn status_changed(
    order: &TrackedOrder,
    (from, to): (OrderStatus, OrderStatus),
    at: DateTime<Utc>,
    cause: &str,
) -> Change {
    change(
        order,
        Event::OrderStatusChanged(OrderStatusChanged {
            order_id: order.id.to_string(),
            customer_id: order.customer_id.to_string(),
            from_status: status_to_proto(from).into(),
            to_status: status_to_proto(to).into(),
            change_time: Some(timestamp(at)),
            cause: cause.to_owned(),
        }),
    )
}

/// order.picked_up
pub(crate) fn picked_up(order: &TrackedOrder, at: DateTime<Utc>) -> Change {
    let within_window = order.pickup_window_end.is_none_or(|end| at <= end);
    change(
        order,
        Event::OrderPickedUp(OrderPickedUp {
            order_id: order.id.to_string(),
            customer_id: order.customer_id.to_string(),
            pickup_time: Some(timestamp(at)),
            within_window,
        }),
    )
}

/// order.returned
pub(crate) fn returned(order: &TrackedOrder, at: DateTime<Utc>, reason: &str) -> Change {
    change(
        order,
        Event::OrderReturned(OrderReturned {
            order_id: order.id.to_string(),
            customer_id: order.customer_id.to_string(),
            reason: reason.to_owned(),
            return_time: Some(timestamp(at)),
        }),
    )
}

/// order.route_changed
pub(crate) fn route_changed(order: &TrackedOrder, at: DateTime<Utc>, reason: &str) -> Change {
    change(
        order,
        Event::RouteChanged(RouteChanged {
            order_id: order.id.to_string(),
            customer_id: order.customer_id.to_string(),
            reason: reason.to_owned(),
            change_time: Some(timestamp(at)),
            new_destination: None,
        }),
    )
}

/// order.delivered, with the delivery's facts.
pub(crate) fn delivered(order: &TrackedOrder, proof: &ProofRow) -> Change {
    let mode = mode_to_proto(order.mode.get());
    change(
        order,
        Event::OrderDelivered(OrderDelivered {
            order_id: order.id.to_string(),
            customer_id: order.customer_id.to_string(),
            order_number: order.order_number.clone(),
            tracking_number: order.tracking_number.clone(),
            mode: mode.into(),
            price: Some(logistics_platform::money::cny(order.price_fen)),
            delivery_time: Some(timestamp(proof.delivery_time)),
            promised_delivery_time: Some(timestamp(proof.promised_delivery_time)),
            on_time: proof.on_time,
            total_pieces: order.total_pieces,
            damaged_pieces: proof.damaged_pieces,
            missing_pieces: proof.missing_pieces,
            document_errors: proof.document_errors,
            route_changed: proof.route_changed,
            destination_region_code: order.destination_region.clone(),
            origin_region_code: order.origin_region.clone(),
        }),
    )
}

/// The counts of one order's events stored by a batch, with the order's reporting dimensions.
pub(crate) fn event_counts(order: &TrackedOrder, counts: EventCounts) -> TrackingEventCounts {
    TrackingEventCounts {
        order_id: order.id.to_string(),
        customer_id: order.customer_id.to_string(),
        mode: mode_to_proto(order.mode.get()).into(),
        origin_region_code: order.origin_region.clone(),
        destination_region_code: order.destination_region.clone(),
        events: counts.events,
        timely_events: counts.timely_events,
    }
}

/// tracking.events_recorded: what one batch stored, per order, at `record_time`.
///
/// The event is about a batch, not one order, so its resource id is a fresh id (UUIDv7) rather
/// than one of its orders' ids: a reader keying the feed by resource must not take a batch of many
/// orders for a change of its first one.
pub(crate) fn events_recorded(
    orders: Vec<TrackingEventCounts>,
    record_time: DateTime<Utc>,
) -> Change {
    Change {
        resource_id: Uuid::now_v7().to_string(),
        event: Event::TrackingEventsRecorded(TrackingEventsRecorded {
            orders,
            record_time: Some(timestamp(record_time)),
        }),
    }
}

fn change(order: &TrackedOrder, event: Event) -> Change {
    Change {
        resource_id: order.id.to_string(),
        event,
    }
}
