//! The kit's part for the orders service: clients, and orders ready to place.

use chrono::{Duration, Utc};
use logistics_contracts::common::{Address, Money, TransportMode};
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_contracts::orders::{
    CargoLine, ConfirmOrderRequest, CreateOrderRequest, Order, OrderStatus, SchedulePickupRequest,
    TimeWindow,
};
use logistics_platform::client::CallCredentials;
use logistics_platform::time::timestamp;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use std::net::SocketAddr;

use crate::{TestApp, bind, channel};

/// An orders client that sends an API key.
pub type OrdersClient = OrderServiceClient<InterceptedService<Channel, CallCredentials>>;

impl TestApp {
    /// An orders client with every scope.
    pub async fn orders_client(&self) -> OrdersClient {
        self.orders_client_with(&self.keys.admin).await
    }

    /// An orders client presenting `api_key`.
    pub async fn orders_client_with(&self, api_key: &str) -> OrdersClient {
        self.orders_client_of(self.orders, api_key).await
    }

    /// An orders client presenting `api_key` to the orders replica at `address`.
    pub async fn orders_client_of(&self, address: SocketAddr, api_key: &str) -> OrdersClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        OrderServiceClient::with_interceptor(channel(address).await, credentials)
    }
}

/// An address in `region_code`.
pub fn address(recipient: &str, city: &str, region_code: &str) -> Address {
    Address {
        recipient: recipient.to_owned(),
        lines: vec!["88 Century Avenue".to_owned()],
        city: city.to_owned(),
        postal_code: "200120".to_owned(),
        region_code: region_code.to_owned(),
        country_code: "CN".to_owned(),
    }
}

/// An amount in CNY.
pub fn cny(fen: i64) -> Money {
    Money {
        currency_code: "CNY".to_owned(),
        amount_minor: fen,
    }
}

/// A road shipment from Shanghai to Beijing for `customer_id`: two lines, five pieces.
pub fn road_order(customer_id: &str) -> Order {
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
                declared_value: Some(cny(1_200_000)),
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

/// Places `order`, failing the test if it is refused.
pub async fn place_order(client: &mut OrdersClient, order: Order) -> Order {
    client
        .create_order(CreateOrderRequest {
            order: Some(order),
            request_id: crate::request_id(),
            ..Default::default()
        })
        .await
        .expect("placing an order")
        .into_inner()
}

/// A pickup window opening `hours_ahead` from now, lasting four hours.
pub fn window_in(hours_ahead: i64) -> TimeWindow {
    let start = Utc::now() + Duration::hours(hours_ahead);
    TimeWindow {
        start_time: Some(timestamp(start)),
        end_time: Some(timestamp(start + Duration::hours(4))),
    }
}

/// Places a road order for `customer_id`, confirms it and schedules its pickup tomorrow: an order
/// ready to be picked up.
pub async fn order_ready_for_pickup(client: &mut OrdersClient, customer_id: &str) -> Order {
    let order = place_order(client, road_order(customer_id)).await;
    client
        .confirm_order(ConfirmOrderRequest {
            id: order.id.clone(),
            etag: String::new(),
        })
        .await
        .expect("confirming an order");
    client
        .schedule_pickup(SchedulePickupRequest {
            id: order.id,
            window: Some(window_in(24)),
            etag: String::new(),
        })
        .await
        .expect("scheduling a pickup")
        .into_inner()
}

/// A quotes client (`logistics.orders.v1.QuoteService`) that sends an API key.
pub type QuotesClient = logistics_contracts::orders::quote_service_client::QuoteServiceClient<
    InterceptedService<Channel, CallCredentials>,
>;

impl TestApp {
    /// A quotes client with every scope.
    pub async fn orders_quotes_client(&self) -> QuotesClient {
        self.orders_quotes_client_with(&self.keys.admin).await
    }

    /// A quotes client presenting `api_key`.
    pub async fn orders_quotes_client_with(&self, api_key: &str) -> QuotesClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        logistics_contracts::orders::quote_service_client::QuoteServiceClient::with_interceptor(
            channel(self.orders).await,
            credentials,
        )
    }
}

/// A tracking client that sends an API key.
pub type TrackingClient =
    logistics_contracts::orders::tracking_service_client::TrackingServiceClient<
        InterceptedService<Channel, CallCredentials>,
    >;

impl TestApp {
    /// A tracking client with every scope.
    pub async fn tracking_client(&self) -> TrackingClient {
        self.tracking_client_with(&self.keys.admin).await
    }

    /// A tracking client presenting `api_key`.
    pub async fn tracking_client_with(&self, api_key: &str) -> TrackingClient {
        self.tracking_client_of(self.orders, api_key).await
    }

    /// A tracking client presenting `api_key` to the orders replica at `address`.
    pub async fn tracking_client_of(&self, address: SocketAddr, api_key: &str) -> TrackingClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        logistics_contracts::orders::tracking_service_client::TrackingServiceClient::with_interceptor(
            channel(address).await,
            credentials,
        )
    }

    /// Starts another replica of the orders service on the app's database, as a second
    /// process of the same deployment would run; it stops with the app. Answers its address.
    pub async fn spawn_orders_replica(&mut self) -> SocketAddr {
        let listener = bind().await;
        let address = listener.local_addr().expect("bound address");
        let context = self.restartable.orders.context().clone();
        self.services
            .spawn(logistics_orders::run(context, listener));
        address
    }
}

/// An order of `customer_id` (carrying `customer_references` when some are given) brought to
/// `status` through the public RPCs: created, confirmed, its pickup scheduled, then moved by
/// tracking events that occurred 200 to 100 minutes ago (a delivery or return 100 minutes ago), so
/// a test's own events "now" are newer. Returns its id and tracking number.
pub async fn order_in_status(
    app: &TestApp,
    customer_id: &str,
    status: OrderStatus,
    customer_references: &[&str],
) -> (String, String) {
    use logistics_contracts::orders::{
        CancelOrderRequest, ConfirmOrderRequest, RecordDeliveryRequest,
        RecordTrackingEventsRequest, SchedulePickupRequest, TrackingEvent, TrackingEventCode,
        TrackingEventSource,
    };
    let mut orders = app.orders_client().await;
    let mut order = road_order(customer_id);
    if !customer_references.is_empty() {
        order.customer_references = customer_references
            .iter()
            .map(|reference| (*reference).to_owned())
            .collect();
    }
    let order = place_order(&mut orders, order).await;
    let (id, number) = (order.id, order.tracking_number);
    if status == OrderStatus::Cancelled {
        orders
            .cancel_order(CancelOrderRequest {
                id: id.clone(),
                reason: "customer changed their mind".to_owned(),
                etag: String::new(),
            })
            .await
            .expect("cancelling an order");
    }
    if matches!(status, OrderStatus::Created | OrderStatus::Cancelled) {
        return (id, number);
    }
    orders
        .confirm_order(ConfirmOrderRequest {
            id: id.clone(),
            etag: String::new(),
        })
        .await
        .expect("confirming an order");
    if status == OrderStatus::Confirmed {
        return (id, number);
    }
    orders
        .schedule_pickup(SchedulePickupRequest {
            id: id.clone(),
            window: Some(window_in(24)),
            etag: String::new(),
        })
        .await
        .expect("scheduling a pickup");
    use TrackingEventCode as Code;
    let codes: &[(Code, i64)] = match status {
        OrderStatus::PickupScheduled => &[],
        OrderStatus::PickedUp => &[(Code::PickedUp, 200)],
        OrderStatus::InTransit => &[(Code::PickedUp, 200), (Code::ArrivedAtHub, 190)],
        OrderStatus::OutForDelivery | OrderStatus::Delivered => &[
            (Code::PickedUp, 200),
            (Code::ArrivedAtHub, 190),
            (Code::OutForDelivery, 180),
        ],
        OrderStatus::Exception => &[
            (Code::PickedUp, 200),
            (Code::ArrivedAtHub, 190),
            (Code::Exception, 180),
        ],
        OrderStatus::ReturnedToSender => &[
            (Code::PickedUp, 200),
            (Code::ArrivedAtHub, 190),
            (Code::ReturnedToSender, 100),
        ],
        other => panic!("no way to {other:?} in the kit"),
    };
    let ago = |minutes: i64| {
        Some(logistics_platform::time::timestamp(
            chrono::Utc::now() - chrono::Duration::minutes(minutes),
        ))
    };
    let mut tracking = app.tracking_client().await;
    if !codes.is_empty() {
        let events = codes
            .iter()
            .map(|(code, minutes)| TrackingEvent {
                client_event_id: format!("kit-{}", code.as_str_name()),
                tracking_number: number.clone(),
                code: (*code).into(),
                occur_time: ago(*minutes),
                source: TrackingEventSource::Scanner.into(),
                source_name: "kit".to_owned(),
                ..Default::default()
            })
            .collect();
        let recorded = tracking
            .record_tracking_events(RecordTrackingEventsRequest { events })
            .await
            .expect("recording the kit's events")
            .into_inner();
        assert_eq!(
            recorded.accepted_count as usize,
            codes.len(),
            "{recorded:?}"
        );
    }
    if status == OrderStatus::Delivered {
        tracking
            .record_delivery(RecordDeliveryRequest {
                tracking_number: number.clone(),
                signed_by: "Kit Recipient".to_owned(),
                delivery_time: ago(100),
                ..Default::default()
            })
            .await
            .expect("recording a delivery");
    }
    (id, number)
}

/// Moves an order's promised delivery time to `promised`: no RPC can make a promise fall due, so
/// late-shipment tests travel in time this way.
pub async fn set_promised_delivery_time(
    app: &TestApp,
    order_id: &str,
    promised: chrono::DateTime<chrono::Utc>,
) {
    let pool = app.schema_pool("orders").await;
    sqlx::query(
        "UPDATE orders SET promised_delivery_time = $2, estimated_delivery_time = $2
         WHERE id = $1::uuid",
    )
    .bind(order_id)
    .bind(promised)
    .execute(&pool)
    .await
    .expect("moving a promise");
    pool.close().await;
}

/// An address-book client (`logistics.orders.v1.AddressBookService`) that sends an API key.
pub type AddressBookClient =
    logistics_contracts::orders::address_book_service_client::AddressBookServiceClient<
        InterceptedService<Channel, CallCredentials>,
    >;

impl TestApp {
    /// An address-book client with every scope.
    pub async fn orders_address_book_client(&self) -> AddressBookClient {
        self.orders_address_book_client_with(&self.keys.admin).await
    }

    /// An address-book client presenting `api_key`.
    pub async fn orders_address_book_client_with(&self, api_key: &str) -> AddressBookClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        logistics_contracts::orders::address_book_service_client::AddressBookServiceClient::with_interceptor(
            channel(self.orders).await,
            credentials,
        )
    }
}
