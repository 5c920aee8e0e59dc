//! The kit's part for the orders service: clients, and orders ready to place.

use chrono::{Duration, Utc};
use logistics_contracts::common::{Address, Money, TransportMode};
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_contracts::orders::{
    CargoLine, ConfirmOrderRequest, CreateOrderRequest, Order, SchedulePickupRequest, TimeWindow,
};
use logistics_platform::client::CallCredentials;
use logistics_platform::time::timestamp;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use crate::{TestApp, channel};

/// An orders client that sends an API key.
pub type OrdersClient = OrderServiceClient<InterceptedService<Channel, CallCredentials>>;

impl TestApp {
    /// An orders client with every scope.
    pub async fn orders_client(&self) -> OrdersClient {
        self.orders_client_with(&self.keys.admin).await
    }

    /// An orders client presenting `api_key`.
    pub async fn orders_client_with(&self, api_key: &str) -> OrdersClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        OrderServiceClient::with_interceptor(channel(self.orders).await, credentials)
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
            request_id: String::new(),
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
