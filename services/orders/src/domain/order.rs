//! An order as the service keeps it: the shipment's facts, its pickup and its milestones.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::mode::TransportMode;
use super::quote::QuoteOutcome;
use super::status::OrderStatus;

pub(crate) use logistics_platform::address::PostalAddress;

/// One line of cargo, stored with the order as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct CargoLine {
    /// What the goods are.
    pub(crate) description: String,
    /// Number of pieces.
    pub(crate) pieces: i32,
    /// Total actual weight, in grams.
    pub(crate) weight_grams: i64,
    /// Total volume, in cubic centimetres.
    pub(crate) volume_cm3: i64,
    /// Declared value in fen, when declared.
    pub(crate) declared_value_fen: Option<i64>,
    /// Whether the line holds dangerous goods.
    pub(crate) dangerous_goods: bool,
    /// UN number of the dangerous goods.
    pub(crate) un_number: String,
}

/// A document travelling with the goods, stored with the order as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct Document {
    /// Kind, by its proto name without prefix, e.g. "WAYBILL".
    pub(crate) kind: String,
    /// The document's number.
    pub(crate) number: String,
    /// A note.
    pub(crate) description: String,
}

/// A span of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Window {
    /// Opens.
    pub(crate) start: DateTime<Utc>,
    /// Closes.
    pub(crate) end: DateTime<Utc>,
}

/// A scheduled pickup and, once dispatched, its vehicle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PickupPlan {
    /// When the vehicle calls.
    pub(crate) window: Window,
    /// Booked for the same (company) day.
    pub(crate) same_day: bool,
    /// When it was scheduled.
    pub(crate) schedule_time: DateTime<Utc>,
    /// The dispatch, once it happened.
    pub(crate) dispatch: Option<Dispatch>,
}

/// A vehicle dispatched for a pickup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Dispatch {
    /// When it left.
    pub(crate) time: DateTime<Utc>,
    /// The vehicle.
    pub(crate) vehicle_id: String,
    /// The driver.
    pub(crate) driver_name: String,
}

impl PickupPlan {
    /// Whether the vehicle left no later than the window opened (the on-time dispatch KPI).
    pub(crate) fn dispatched_on_time(&self) -> Option<bool> {
        self.dispatch
            .as_ref()
            .map(|dispatch| dispatch.time <= self.window.start)
    }
}

/// The facts of a new order, validated and priced, before it is stored.
#[derive(Debug, Clone)]
pub(crate) struct NewOrder {
    /// The ordering customer.
    pub(crate) customer_id: Uuid,
    /// How the goods travel.
    pub(crate) mode: TransportMode,
    /// Where the goods are collected.
    pub(crate) origin: PostalAddress,
    /// Where they go.
    pub(crate) destination: PostalAddress,
    /// The goods.
    pub(crate) cargo: Vec<CargoLine>,
    /// When the customer would like them collected.
    pub(crate) requested_pickup: Option<Window>,
    /// The customer's references.
    pub(crate) customer_references: Vec<String>,
    /// Documents.
    pub(crate) documents: Vec<Document>,
    /// Whether the customer's service level grants priority transport.
    pub(crate) priority_transport: bool,
    /// The price and promise it was accepted with.
    pub(crate) quote: QuoteOutcome,
    /// Who created it.
    pub(crate) created_by: String,
}

/// What a new order is known by: drawn when it is created.
#[derive(Debug, Clone)]
pub(crate) struct OrderNumbers {
    /// Stable id.
    pub(crate) id: Uuid,
    /// Human-friendly number.
    pub(crate) order_number: String,
    /// Tracking number.
    pub(crate) tracking_number: String,
}

impl NewOrder {
    /// The order as it is stored when created at `now` under `numbers`: CREATED, expected when
    /// promised, at version 1. `now` must be whole microseconds, as the database keeps it, so the
    /// order answered is the order read back.
    pub(crate) fn into_order(self, numbers: OrderNumbers, now: DateTime<Utc>) -> Order {
        Order {
            id: numbers.id,
            order_number: numbers.order_number,
            tracking_number: numbers.tracking_number,
            customer_id: self.customer_id,
            mode: self.mode,
            status: OrderStatus::Created,
            origin: self.origin,
            destination: self.destination,
            total_pieces: self.cargo.iter().map(|line| line.pieces).sum(),
            total_weight_grams: self.cargo.iter().map(|line| line.weight_grams).sum(),
            cargo: self.cargo,
            requested_pickup: self.requested_pickup,
            customer_references: self.customer_references,
            documents: self.documents,
            priority_transport: self.priority_transport,
            promised_delivery_time: self.quote.promised_delivery_time,
            estimated_delivery_time: self.quote.promised_delivery_time,
            quote: self.quote,
            pickup: None,
            pickup_time: None,
            delivery_time: None,
            cancel_reason: None,
            created_by: self.created_by,
            create_time: now,
            update_time: now,
            status_time: now,
            version: 1,
        }
    }
}

/// A stored order.
#[derive(Debug, Clone)]
pub(crate) struct Order {
    /// Stable id.
    pub(crate) id: Uuid,
    /// Human-friendly number.
    pub(crate) order_number: String,
    /// Tracking number.
    pub(crate) tracking_number: String,
    /// The ordering customer.
    pub(crate) customer_id: Uuid,
    /// How the goods travel.
    pub(crate) mode: TransportMode,
    /// Where it stands.
    pub(crate) status: OrderStatus,
    /// Origin.
    pub(crate) origin: PostalAddress,
    /// Destination.
    pub(crate) destination: PostalAddress,
    /// The goods.
    pub(crate) cargo: Vec<CargoLine>,
    /// Pieces over every line.
    pub(crate) total_pieces: i32,
    /// Weight over every line, in grams.
    pub(crate) total_weight_grams: i64,
    /// Requested pickup window.
    pub(crate) requested_pickup: Option<Window>,
    /// The customer's references.
    pub(crate) customer_references: Vec<String>,
    /// Documents.
    pub(crate) documents: Vec<Document>,
    /// The price and promise it was accepted with.
    pub(crate) quote: QuoteOutcome,
    /// Priority transport.
    pub(crate) priority_transport: bool,
    /// Promised delivery.
    pub(crate) promised_delivery_time: DateTime<Utc>,
    /// Expected delivery, moved by delays.
    pub(crate) estimated_delivery_time: DateTime<Utc>,
    /// The pickup, once scheduled.
    pub(crate) pickup: Option<PickupPlan>,
    /// When the goods were collected.
    pub(crate) pickup_time: Option<DateTime<Utc>>,
    /// When they were delivered.
    pub(crate) delivery_time: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    pub(crate) cancel_reason: Option<String>,
    /// Who created it.
    pub(crate) created_by: String,
    /// Created.
    pub(crate) create_time: DateTime<Utc>,
    /// Last changed.
    pub(crate) update_time: DateTime<Utc>,
    /// Status last changed.
    pub(crate) status_time: DateTime<Utc>,
    /// Bumped by every write.
    pub(crate) version: i64,
}

impl Order {
    /// Volume over every line, in cubic centimetres.
    pub(crate) fn total_volume_cm3(&self) -> i64 {
        self.cargo.iter().map(|line| line.volume_cm3).sum()
    }

    /// The etag callers send back to refuse writes over a newer state.
    pub(crate) fn etag(&self) -> String {
        logistics_platform::etag::of(self.version)
    }
}
