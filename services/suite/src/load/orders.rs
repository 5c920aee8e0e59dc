//! Calls of the orders service: tracking reads and ingestion, order creation and reads. The orders
//! they touch are created, confirmed and picked up through the public RPCs before the run.

use std::sync::Arc;

use anyhow::Context as _;
use chrono::{Duration, Utc};
use futures::{StreamExt as _, TryStreamExt as _};
use logistics_contracts::common::{Address, Money, TransportMode};
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_contracts::orders::tracking_service_client::TrackingServiceClient;
use logistics_contracts::orders::{
    BatchGetTrackingRequest, BatchGetTrackingResponse, CargoLine, ConfirmOrderRequest,
    CreateOrderRequest, GetOrderRequest, GetTrackingRequest, Order, RecordTrackingEventsRequest,
    RecordTrackingEventsResponse, TrackingEvent, TrackingEventCode, TrackingEventSource,
    TrackingLocation,
};
use logistics_platform::client::CallCredentials;
use logistics_platform::time::timestamp;
use rand::SeedableRng as _;
use rand::rngs::SmallRng;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::undecoded::UndecodedClient;
use super::{Items, LoadArgs, LoadCall};

type Orders = OrderServiceClient<InterceptedService<Channel, CallCredentials>>;
type Tracking = TrackingServiceClient<InterceptedService<Channel, CallCredentials>>;

/// The tracking reads' paths, which the undecoded client calls by name (a renamed method fails
/// the load test with UNIMPLEMENTED).
const GET_TRACKING: &str = "/logistics.orders.v1.TrackingService/GetTracking";
const BATCH_GET_TRACKING: &str = "/logistics.orders.v1.TrackingService/BatchGetTracking";

/// Tracking numbers per BatchGetTracking: the most it takes.
const BATCH_GET_NUMBERS: usize = 30;
/// Events each seeded order gets: its pickup, then hub scans.
const SEED_EVENTS_PER_ORDER: usize = 10;
/// Events per RecordTrackingEvents call while seeding: the most it takes.
const SEED_EVENTS_PER_CALL: usize = 1000;
/// Orders created at once while seeding.
const SEED_CONCURRENCY: usize = 8;

/// What the run set up: the customer and its orders, in transit with a few events each.
pub struct Seed {
    customer_id: String,
    orders: Vec<SeededOrder>,
}

struct SeededOrder {
    id: String,
    tracking_number: String,
}

/// Sets up what `args.call` needs: `args.orders` orders of `customer_id`, confirmed, picked up
/// and scanned at hubs (none for CreateOrder, which only needs the customer).
pub async fn seed(
    args: &LoadArgs,
    channel: &Channel,
    credentials: &CallCredentials,
    customer_id: String,
) -> anyhow::Result<Seed> {
    if args.call == LoadCall::CreateOrder {
        return Ok(Seed {
            customer_id,
            orders: Vec::new(),
        });
    }
    anyhow::ensure!(args.orders > 0, "--orders must be at least 1");
    let orders_client = OrderServiceClient::with_interceptor(channel.clone(), credentials.clone());
    let orders: Vec<SeededOrder> = futures::stream::iter(0..args.orders)
        .map(|_| {
            let mut client = orders_client.clone();
            let customer_id = customer_id.clone();
            async move {
                let order = client
                    .create_order(CreateOrderRequest {
                        order: Some(road_order(&customer_id)),
                        request_id: uuid::Uuid::new_v4().to_string(),
                        ..Default::default()
                    })
                    .await
                    .context("creating an order to load")?
                    .into_inner();
                client
                    .confirm_order(ConfirmOrderRequest {
                        id: order.id.clone(),
                        etag: String::new(),
                    })
                    .await
                    .context("confirming an order to load")?;
                anyhow::Ok(SeededOrder {
                    id: order.id,
                    tracking_number: order.tracking_number,
                })
            }
        })
        .buffer_unordered(SEED_CONCURRENCY)
        .try_collect()
        .await?;

    // The pickup half an hour ago, then a hub scan a minute: every order IN_TRANSIT.
    let start = Utc::now() - Duration::minutes(30);
    let mut events = Vec::with_capacity(orders.len() * SEED_EVENTS_PER_ORDER);
    for (n, order) in orders.iter().enumerate() {
        for step in 0..SEED_EVENTS_PER_ORDER {
            let code = match step {
                0 => TrackingEventCode::PickedUp,
                _ => hub_scan(step),
            };
            events.push(event(
                order,
                code,
                format!("seed-{n}-{step}"),
                "load-seed",
                start + Duration::minutes(step as i64),
            ));
        }
    }
    let mut tracking =
        TrackingServiceClient::with_interceptor(channel.clone(), credentials.clone());
    for chunk in events.chunks(SEED_EVENTS_PER_CALL) {
        let response = tracking
            .record_tracking_events(RecordTrackingEventsRequest {
                events: chunk.to_vec(),
            })
            .await
            .context("recording the tracking events of the orders to load")?
            .into_inner();
        if response.accepted_count as usize != chunk.len() {
            let first = first_refusal(&response);
            anyhow::bail!(
                "seeding tracking events: {} of {} accepted; first refusal: {first}",
                response.accepted_count,
                chunk.len()
            );
        }
    }
    Ok(Seed {
        customer_id,
        orders,
    })
}

/// One worker's orders calls.
pub struct Worker {
    call: LoadCall,
    orders: Orders,
    tracking: Tracking,
    /// The tracking reads, whose answers are not decoded.
    undecoded: UndecodedClient,
    seed: Arc<Seed>,
    rng: SmallRng,
    /// RecordTrackingEvents: the seeded orders this worker scans (its own share, so workers do
    /// not queue on each other's order locks), the events per call, and the events sent so far.
    share: Vec<usize>,
    batch: usize,
    sent: usize,
    /// Prefix of this worker's client event ids, fresh for every run.
    event_prefix: String,
    source_name: String,
}

impl Worker {
    /// Worker `n` of `workers`, making `call` on the orders of `seed`.
    pub fn new(
        call: LoadCall,
        n: usize,
        workers: usize,
        batch: usize,
        seed: Arc<Seed>,
        channel: Channel,
        credentials: CallCredentials,
    ) -> Self {
        let count = seed.orders.len();
        let mut share: Vec<usize> = (n..count).step_by(workers.max(1)).collect();
        if share.is_empty() && count > 0 {
            share.push(n % count);
        }
        Self {
            call,
            orders: OrderServiceClient::with_interceptor(channel.clone(), credentials.clone()),
            tracking: TrackingServiceClient::with_interceptor(channel.clone(), credentials.clone()),
            undecoded: UndecodedClient::new(channel, credentials),
            seed,
            rng: SmallRng::seed_from_u64(rand::random()),
            share,
            batch,
            sent: 0,
            event_prefix: format!("load-{:016x}-{n}", rand::random::<u64>()),
            source_name: format!("load-hub-{n}"),
        }
    }

    /// Makes one call.
    pub async fn call(&mut self) -> Result<Items, Status> {
        match self.call {
            LoadCall::GetTracking => {
                let order = self.random_order();
                let request = GetTrackingRequest {
                    tracking_number: self.seed.orders[order].tracking_number.clone(),
                    max_events: 0,
                };
                self.undecoded
                    .unary::<_, logistics_contracts::orders::Tracking>(GET_TRACKING, request)
                    .await?;
            }
            LoadCall::BatchGetTracking => {
                let count = self.seed.orders.len();
                let picked =
                    rand::seq::index::sample(&mut self.rng, count, BATCH_GET_NUMBERS.min(count));
                let tracking_numbers = picked
                    .into_iter()
                    .map(|at| self.seed.orders[at].tracking_number.clone())
                    .collect();
                let request = BatchGetTrackingRequest {
                    tracking_numbers,
                    max_events: 0,
                };
                self.undecoded
                    .unary::<_, BatchGetTrackingResponse>(BATCH_GET_TRACKING, request)
                    .await?;
            }
            LoadCall::RecordTrackingEvents => {
                let events = self.next_events();
                let response = self
                    .tracking
                    .record_tracking_events(RecordTrackingEventsRequest { events })
                    .await?
                    .into_inner();
                return Ok(Items {
                    accepted: response.accepted_count as u64,
                    refused: (response.duplicate_count + response.rejected_count) as u64,
                });
            }
            LoadCall::CreateOrder => {
                self.orders
                    .create_order(CreateOrderRequest {
                        order: Some(road_order(&self.seed.customer_id)),
                        request_id: uuid::Uuid::new_v4().to_string(),
                        ..Default::default()
                    })
                    .await?;
            }
            LoadCall::GetOrder => {
                let order = self.random_order();
                self.orders
                    .get_order(GetOrderRequest {
                        id: self.seed.orders[order].id.clone(),
                    })
                    .await?;
            }
            other => unreachable!("{other:?} is not an orders call"),
        }
        Ok(Items::default())
    }

    fn random_order(&mut self) -> usize {
        rand::Rng::random_range(&mut self.rng, 0..self.seed.orders.len())
    }

    /// The next batch of hub scans, round robin over this worker's orders, each occurring now:
    /// after every event these orders have, so none is late and each keeps them IN_TRANSIT.
    fn next_events(&mut self) -> Vec<TrackingEvent> {
        (0..self.batch)
            .map(|_| {
                let order = &self.seed.orders[self.share[self.sent % self.share.len()]];
                let visit = self.sent / self.share.len();
                self.sent += 1;
                event(
                    order,
                    hub_scan(visit),
                    format!("{}-{}", self.event_prefix, self.sent),
                    &self.source_name,
                    Utc::now(),
                )
            })
            .collect()
    }
}

/// Arrivals and departures, taking turns.
fn hub_scan(step: usize) -> TrackingEventCode {
    if step % 2 == 1 {
        TrackingEventCode::ArrivedAtHub
    } else {
        TrackingEventCode::DepartedHub
    }
}

fn event(
    order: &SeededOrder,
    code: TrackingEventCode,
    client_event_id: String,
    source_name: &str,
    occur_time: chrono::DateTime<Utc>,
) -> TrackingEvent {
    TrackingEvent {
        client_event_id,
        tracking_number: order.tracking_number.clone(),
        code: code.into(),
        location: Some(TrackingLocation {
            facility_code: "SHA-HUB-07".to_owned(),
            city: "Shanghai".to_owned(),
            region_code: "310000".to_owned(),
        }),
        occur_time: Some(timestamp(occur_time)),
        source: TrackingEventSource::Scanner.into(),
        source_name: source_name.to_owned(),
        ..TrackingEvent::default()
    }
}

/// A road shipment from Shanghai to Beijing for `customer_id`: two lines, five pieces.
fn road_order(customer_id: &str) -> Order {
    let address = |recipient: &str, city: &str, region_code: &str| Address {
        recipient: recipient.to_owned(),
        lines: vec!["88 Century Avenue".to_owned()],
        city: city.to_owned(),
        postal_code: "200120".to_owned(),
        region_code: region_code.to_owned(),
        country_code: "CN".to_owned(),
    };
    Order {
        customer_id: customer_id.to_owned(),
        mode: TransportMode::Road.into(),
        origin: Some(address("Pudong Warehouse 2", "Shanghai", "310115")),
        destination: Some(address("Chaoyang Store", "Beijing", "110105")),
        cargo: vec![
            CargoLine {
                description: "Ceramic tiles on pallets".to_owned(),
                pieces: 3,
                weight_grams: 450_000,
                volume_cm3: 1_800_000,
                declared_value: Some(Money {
                    currency_code: "CNY".to_owned(),
                    amount_minor: 1_200_000,
                }),
                ..CargoLine::default()
            },
            CargoLine {
                description: "Grout, boxed".to_owned(),
                pieces: 2,
                weight_grams: 40_000,
                volume_cm3: 60_000,
                ..CargoLine::default()
            },
        ],
        customer_references: vec!["PO-2026-0042".to_owned()],
        ..Order::default()
    }
}

/// The message of the first event a RecordTrackingEvents call refused ('' when none was).
pub(crate) fn first_refusal(response: &RecordTrackingEventsResponse) -> String {
    response
        .results
        .iter()
        .find(|result| !result.message.is_empty())
        .map(|result| result.message.clone())
        .unwrap_or_default()
}
