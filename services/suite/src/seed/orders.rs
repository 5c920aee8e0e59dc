//! The orders phase: each planned order imported as of its creation time (CreateOrder with
//! `import_create_time`), confirmed, scanned along its path with the events' own past times, and
//! delivered (RecordDelivery with its past delivery time) or returned.
//!
//! Status path of an imported order: CREATED (at its import time) -> CONFIRMED (when the seed
//! runs: ConfirmOrder takes no time) -> PICKED_UP, IN_TRANSIT, OUT_FOR_DELIVERY (events at their
//! past times) -> DELIVERED or RETURNED_TO_SENDER. SchedulePickup wants a future window, so
//! imported orders skip it: their pickup is the PICKED_UP event alone.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use logistics_contracts::common::{Address, Money, TransportMode};
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_contracts::orders::tracking_service_client::TrackingServiceClient;
use logistics_contracts::orders::{
    CargoLine, ConfirmOrderRequest, CreateOrderRequest, GetOrderRequest, Order, OrderStatus,
    RecordDeliveryRequest, RecordTrackingEventsRequest, TrackingEvent, TrackingEventCode,
    TrackingEventSource, TrackingLocation,
};
use logistics_platform::client::CallCredentials;
use logistics_platform::time::{from_timestamp, timestamp};
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::plan::{CustomerPlan, Delivery, Mode, OrderPlan, Outcome, REGIONS, Region, request_id};

/// An orders client that sends the API key.
pub type Orders = OrderServiceClient<InterceptedService<Channel, CallCredentials>>;
/// A tracking client that sends the API key.
pub type Tracking = TrackingServiceClient<InterceptedService<Channel, CallCredentials>>;

/// What one order's pipeline did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Done {
    /// This run confirmed it and moved it along (it was CREATED when found).
    pub moved: bool,
    /// Tracking events recorded, and those an earlier run had recorded.
    pub events: u64,
    /// Events already there.
    pub duplicate_events: u64,
    /// It was delivered.
    pub delivered: bool,
}

/// The order's id (for complaints about it) and number (for its thank-you call).
#[derive(Debug, Clone)]
pub struct Placed {
    /// Its id.
    pub id: String,
    /// Its order number.
    pub order_number: String,
}

/// Imports, moves and delivers one planned order as of `anchor`.
pub async fn run(
    (orders, tracking): (&mut Orders, &mut Tracking),
    seed: u64,
    anchor: DateTime<Utc>,
    (plan, customer, customer_id): (&OrderPlan, &CustomerPlan, &str),
) -> anyhow::Result<(Placed, Done)> {
    let created_at = anchor - Duration::minutes(plan.minutes_ago);
    let order = orders
        .create_order(CreateOrderRequest {
            order: Some(order_of(plan, customer, customer_id)),
            request_id: request_id(seed, "order", plan.index).to_string(),
            import_create_time: Some(timestamp(created_at)),
        })
        .await
        .with_context(|| format!("importing order {} of {}", plan.index, customer.name))?
        .into_inner();
    let placed = Placed {
        id: order.id.clone(),
        order_number: order.order_number.clone(),
    };
    // The create answer of a replay is the order as first created: read where it stands now.
    let current = orders
        .get_order(GetOrderRequest {
            id: order.id.clone(),
        })
        .await?
        .into_inner();
    let mut done = Done::default();
    if plan.outcome == Outcome::Created {
        return Ok((placed, done));
    }
    if current.status() == OrderStatus::Created {
        orders
            .confirm_order(ConfirmOrderRequest {
                id: order.id.clone(),
                etag: String::new(),
            })
            .await
            .context("confirming an imported order")?;
        done.moved = true;
    }
    let promised = order
        .promised_delivery_time
        .as_ref()
        .and_then(from_timestamp)
        .context("an order without its promise")?;
    let path = Path::of(plan, created_at, promised);
    let events: Vec<TrackingEvent> = path
        .events(plan, &order.tracking_number, seed)
        .into_iter()
        .filter(|event| event.occur_time.as_ref().and_then(from_timestamp) <= Some(anchor))
        .collect();
    if !events.is_empty() {
        let response = tracking
            .record_tracking_events(RecordTrackingEventsRequest { events })
            .await
            .context("recording an imported order's events")?
            .into_inner();
        if response.rejected_count > 0 {
            let first = crate::load::first_refusal(&response);
            anyhow::bail!(
                "{} events of order {} refused: {first}",
                response.rejected_count,
                order.order_number
            );
        }
        done.events = response.accepted_count as u64;
        done.duplicate_events = response.duplicate_count as u64;
    }
    if let (Outcome::Delivered(delivery), Some(at)) = (plan.outcome, path.delivered)
        && at <= anchor
    {
        tracking
            .record_delivery(delivery_of(&order, plan, delivery, at))
            .await
            .context("recording an imported order's delivery")?;
        done.delivered = true;
    }
    Ok((placed, done))
}

/// When things happen on an order's way.
struct Path {
    picked_up: DateTime<Utc>,
    /// When it arrives (the delivery, or the return), and the steps in between.
    arrived: DateTime<Utc>,
    delivered: Option<DateTime<Utc>>,
}

impl Path {
    fn of(plan: &OrderPlan, created: DateTime<Utc>, promised: DateTime<Utc>) -> Self {
        let span = (promised - created).max(Duration::hours(6));
        let arrived = match plan.outcome {
            Outcome::Delivered(Delivery {
                late: true, timing, ..
            }) => promised + Duration::hours(i64::from(timing)),
            Outcome::Delivered(Delivery { timing, .. }) => created + span * timing as i32 / 1000,
            // On its way or returned: as a prompt delivery would have gone.
            _ => created + span * 3 / 4,
        };
        let picked_up = created + (arrived - created) / 10;
        Self {
            picked_up,
            arrived,
            delivered: matches!(plan.outcome, Outcome::Delivered(_)).then_some(arrived),
        }
    }

    /// The scans of the way, at their times (the caller drops those after the anchor).
    fn events(&self, plan: &OrderPlan, tracking_number: &str, seed: u64) -> Vec<TrackingEvent> {
        let (origin, destination) = (&REGIONS[plan.origin], &REGIONS[plan.destination]);
        let step = (self.arrived - self.picked_up) / 6;
        let at = |n: i32| self.picked_up + step * n;
        let mut steps: Vec<(TrackingEventCode, &Region, DateTime<Utc>)> = vec![
            (TrackingEventCode::PickedUp, origin, at(0)),
            (TrackingEventCode::ArrivedAtHub, origin, at(1)),
            (TrackingEventCode::DepartedHub, origin, at(2)),
            (TrackingEventCode::ArrivedAtHub, destination, at(4)),
            (TrackingEventCode::DepartedHub, destination, at(5)),
        ];
        let last_stage = match plan.outcome {
            Outcome::OnTheWay(stage) => usize::from(stage),
            _ => steps.len() + 1,
        };
        match plan.outcome {
            Outcome::Returned => {
                steps.truncate(3);
                steps.push((TrackingEventCode::Exception, origin, at(3)));
                steps.push((TrackingEventCode::ReturnedToSender, origin, at(4)));
            }
            Outcome::Delivered(delivery) => {
                if delivery.route_changed {
                    steps.push((TrackingEventCode::RouteChanged, origin, at(3)));
                }
                if delivery.exception {
                    steps.push((TrackingEventCode::Exception, destination, at(3)));
                    steps.push((
                        TrackingEventCode::ExceptionCleared,
                        destination,
                        at(3) + step / 2,
                    ));
                }
                steps.push((
                    TrackingEventCode::OutForDelivery,
                    destination,
                    at(5) + step / 2,
                ));
            }
            _ => steps.push((
                TrackingEventCode::OutForDelivery,
                destination,
                at(5) + step / 2,
            )),
        }
        steps.sort_by_key(|(_, _, time)| *time);
        steps
            .into_iter()
            .take(last_stage)
            .enumerate()
            .map(|(n, (code, region, time))| TrackingEvent {
                client_event_id: format!("seed-{seed:x}-{}-{n}", plan.index),
                tracking_number: tracking_number.to_owned(),
                code: code.into(),
                location: Some(location(region)),
                occur_time: Some(timestamp(time)),
                source: TrackingEventSource::Scanner.into(),
                source_name: format!("{}-scanner", region.hub),
                ..TrackingEvent::default()
            })
            .collect()
    }
}

fn location(region: &Region) -> TrackingLocation {
    TrackingLocation {
        facility_code: region.hub.to_owned(),
        city: region.city.to_owned(),
        region_code: region.code.to_owned(),
    }
}

fn delivery_of(
    order: &Order,
    plan: &OrderPlan,
    delivery: Delivery,
    at: DateTime<Utc>,
) -> RecordDeliveryRequest {
    let mut notes = Vec::new();
    if delivery.damaged > 0 {
        notes.push(format!("{} pieces damaged", delivery.damaged));
    }
    if delivery.missing > 0 {
        notes.push(format!("{} pieces missing", delivery.missing));
    }
    if delivery.document_errors {
        notes.push("waybill did not match the cargo".to_owned());
    }
    RecordDeliveryRequest {
        tracking_number: order.tracking_number.clone(),
        signed_by: "Receiving desk".to_owned(),
        delivery_time: Some(timestamp(at)),
        damaged_pieces: delivery.damaged,
        missing_pieces: delivery.missing,
        document_errors: delivery.document_errors,
        route_changed: delivery.route_changed,
        notes: notes.join("; "),
        location: Some(location(&REGIONS[plan.destination])),
        source_name: "seed-driver-app".to_owned(),
        ..RecordDeliveryRequest::default()
    }
}

/// The order to import for `plan`.
fn order_of(plan: &OrderPlan, customer: &CustomerPlan, customer_id: &str) -> Order {
    let address = |region: &Region, recipient: &str| Address {
        recipient: recipient.to_owned(),
        lines: vec![format!(
            "{} Logistics Park, gate {}",
            region.city,
            1 + plan.index % 9
        )],
        city: region.city.to_owned(),
        postal_code: "100000".to_owned(),
        region_code: region.code.to_owned(),
        country_code: "CN".to_owned(),
    };
    let (origin, destination) = (&REGIONS[plan.origin], &REGIONS[plan.destination]);
    let mode = match plan.mode {
        Mode::Road => TransportMode::Road,
        Mode::Rail => TransportMode::Rail,
        Mode::Air => TransportMode::Air,
        Mode::Multimodal => TransportMode::Multimodal,
    };
    let description = match customer.industry {
        "" => "Personal parcel",
        industry => industry,
    };
    Order {
        customer_id: customer_id.to_owned(),
        mode: mode.into(),
        origin: Some(address(origin, &format!("{} shipping", customer.name))),
        destination: Some(address(destination, "Receiving desk")),
        cargo: vec![CargoLine {
            description: format!("{description}, {} pieces", plan.pieces),
            pieces: plan.pieces,
            weight_grams: plan.weight_grams,
            volume_cm3: plan.weight_grams * 3,
            declared_value: Some(Money {
                currency_code: "CNY".to_owned(),
                amount_minor: plan.weight_grams * 4,
            }),
            ..CargoLine::default()
        }],
        customer_references: vec![format!("PO-{:06}", plan.index)],
        ..Order::default()
    }
}
