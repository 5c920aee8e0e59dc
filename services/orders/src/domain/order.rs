//! An order as the service keeps it: the shipment's facts, its pickup and its milestones.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::mode::TransportMode;
use super::quote::QuoteOutcome;
use super::status::OrderStatus;

pub use logistics_platform::address::PostalAddress;

/// One line of cargo, stored with the order as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CargoLine {
    /// What the goods are.
    pub description: String,
    /// Number of pieces.
    pub pieces: i32,
    /// Total actual weight, in grams.
    pub weight_grams: i64,
    /// Total volume, in cubic centimetres.
    pub volume_cm3: i64,
    /// Declared value in fen, when declared.
    pub declared_value_fen: Option<i64>,
    /// Whether the line holds dangerous goods.
    pub dangerous_goods: bool,
    /// UN number of the dangerous goods.
    pub un_number: String,
}

/// A document travelling with the goods, stored with the order as JSON.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Document {
    /// Kind, by its proto name without prefix, e.g. "WAYBILL".
    pub kind: String,
    /// The document's number.
    pub number: String,
    /// A note.
    pub description: String,
}

/// A span of time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Opens.
    pub start: DateTime<Utc>,
    /// Closes.
    pub end: DateTime<Utc>,
}

/// A scheduled pickup and, once dispatched, its vehicle.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PickupPlan {
    /// When the vehicle calls.
    pub window: Window,
    /// Booked for the same (company) day.
    pub same_day: bool,
    /// When it was scheduled.
    pub schedule_time: DateTime<Utc>,
    /// The dispatch, once it happened.
    pub dispatch: Option<Dispatch>,
}

/// A vehicle dispatched for a pickup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatch {
    /// When it left.
    pub time: DateTime<Utc>,
    /// The vehicle.
    pub vehicle_id: String,
    /// The driver.
    pub driver_name: String,
}

impl PickupPlan {
    /// Whether the vehicle left no later than the window opened (the on-time dispatch KPI).
    pub fn dispatched_on_time(&self) -> Option<bool> {
        self.dispatch
            .as_ref()
            .map(|dispatch| dispatch.time <= self.window.start)
    }
}

/// The facts of a new order, validated and priced, before it is stored.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// The ordering customer.
    pub customer_id: Uuid,
    /// How the goods travel.
    pub mode: TransportMode,
    /// Where the goods are collected.
    pub origin: PostalAddress,
    /// Where they go.
    pub destination: PostalAddress,
    /// The goods.
    pub cargo: Vec<CargoLine>,
    /// When the customer would like them collected.
    pub requested_pickup: Option<Window>,
    /// The customer's references.
    pub customer_references: Vec<String>,
    /// Documents.
    pub documents: Vec<Document>,
    /// Whether the customer's service level grants priority transport.
    pub priority_transport: bool,
    /// The price and promise it was accepted with.
    pub quote: QuoteOutcome,
    /// Who created it.
    pub created_by: String,
}

impl NewOrder {
    /// Pieces over every line.
    pub fn total_pieces(&self) -> i32 {
        self.cargo.iter().map(|line| line.pieces).sum()
    }

    /// Actual weight over every line, in grams.
    pub fn total_weight_grams(&self) -> i64 {
        self.cargo.iter().map(|line| line.weight_grams).sum()
    }

    /// Volume over every line, in cubic centimetres.
    pub fn total_volume_cm3(&self) -> i64 {
        self.cargo.iter().map(|line| line.volume_cm3).sum()
    }
}

/// A stored order.
#[derive(Debug, Clone)]
pub struct Order {
    /// Stable id.
    pub id: Uuid,
    /// Human-friendly number.
    pub order_number: String,
    /// Tracking number.
    pub tracking_number: String,
    /// The ordering customer.
    pub customer_id: Uuid,
    /// How the goods travel.
    pub mode: TransportMode,
    /// Where it stands.
    pub status: OrderStatus,
    /// Origin.
    pub origin: PostalAddress,
    /// Destination.
    pub destination: PostalAddress,
    /// The goods.
    pub cargo: Vec<CargoLine>,
    /// Pieces over every line.
    pub total_pieces: i32,
    /// Weight over every line, in grams.
    pub total_weight_grams: i64,
    /// Requested pickup window.
    pub requested_pickup: Option<Window>,
    /// The customer's references.
    pub customer_references: Vec<String>,
    /// Documents.
    pub documents: Vec<Document>,
    /// The price and promise it was accepted with.
    pub quote: QuoteOutcome,
    /// Price in fen (also in the quote; kept as a column for reports).
    pub price_fen: i64,
    /// Priority transport.
    pub priority_transport: bool,
    /// Promised delivery.
    pub promised_delivery_time: DateTime<Utc>,
    /// Expected delivery, moved by delays.
    pub estimated_delivery_time: DateTime<Utc>,
    /// The pickup, once scheduled.
    pub pickup: Option<PickupPlan>,
    /// When the goods were collected.
    pub pickup_time: Option<DateTime<Utc>>,
    /// When they were delivered.
    pub delivery_time: Option<DateTime<Utc>>,
    /// Why it was cancelled.
    pub cancel_reason: Option<String>,
    /// Who created it.
    pub created_by: String,
    /// Created.
    pub create_time: DateTime<Utc>,
    /// Last changed.
    pub update_time: DateTime<Utc>,
    /// Status last changed.
    pub status_time: DateTime<Utc>,
    /// Bumped by every write.
    pub version: i64,
}

impl Order {
    /// The etag callers send back to refuse writes over a newer state.
    pub fn etag(&self) -> String {
        logistics_platform::etag::of(self.version)
    }
}
