//! Customers learns from orders (issue item 12): what each orders event does to its customer, that
//! each is applied once whatever replays or competes, and that killing and restarting either
//! service loses and doubles nothing.
//!
//! `apply` drives the customers crate's transactional apply function directly on the app's
//! database, with made-up cursors (the app's own follower finds the orders feed empty there, so
//! it never competes); `end_to_end` lets the real follower read the real orders feed;
//! `follower_status` runs the platform's follower on its own over that feed, and reads its status.

use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_contracts::common::{EventEnvelope, Money};
use logistics_contracts::customers::{
    self as customers_pb, FollowUp, FollowUpFilter, GetCustomerRequest, GetLoyaltyAccountRequest,
    ListFollowUpsRequest, ListPointMovementsRequest, ListStatusHistoryRequest, StatusChange,
};
use logistics_contracts::orders::{
    self as orders_pb, OrderCancelled, OrderCreated, OrderDelivered, OrderReturned,
    stream_changes_response::Event,
};
use logistics_platform::time::timestamp;
use logistics_tests::TestApp;

mod apply;
mod end_to_end;
mod follower_status;

/// Prices in fen: 123,456.78 CNY (MEDIUM spend for an enterprise, 12,345 points).
const PRICE_FEN: i64 = 12_345_678;

fn cny(fen: i64) -> Option<Money> {
    Some(Money {
        currency_code: "CNY".to_owned(),
        amount_minor: fen,
    })
}

fn envelope(event_type: &str, resource_id: &str, cursor: &str) -> Option<EventEnvelope> {
    Some(EventEnvelope {
        event_id: uuid::Uuid::new_v4().to_string(),
        cursor: cursor.to_owned(),
        occur_time: Some(timestamp(Utc::now())),
        event_type: event_type.to_owned(),
        resource_id: resource_id.to_owned(),
    })
}

/// An `order.delivered` event of `order_number` for `customer_id`.
fn delivered(
    customer_id: &str,
    order_number: &str,
    price_fen: i64,
    delivery_time: DateTime<Utc>,
) -> Event {
    Event::OrderDelivered(OrderDelivered {
        order_id: uuid::Uuid::new_v4().to_string(),
        customer_id: customer_id.to_owned(),
        order_number: order_number.to_owned(),
        tracking_number: format!("T{order_number}"),
        price: cny(price_fen),
        delivery_time: Some(timestamp(delivery_time)),
        total_pieces: 1,
        ..Default::default()
    })
}

/// An `order.created` event of `order_number` for `customer_id`.
fn created(customer_id: &str, order_number: &str) -> Event {
    Event::OrderCreated(OrderCreated {
        order: Some(orders_pb::Order {
            id: uuid::Uuid::new_v4().to_string(),
            order_number: order_number.to_owned(),
            customer_id: customer_id.to_owned(),
            create_time: Some(timestamp(Utc::now())),
            ..Default::default()
        }),
    })
}

fn cancelled(customer_id: &str) -> Event {
    Event::OrderCancelled(OrderCancelled {
        order_id: uuid::Uuid::new_v4().to_string(),
        customer_id: customer_id.to_owned(),
        reason: "changed plans".to_owned(),
        cancel_time: Some(timestamp(Utc::now())),
    })
}

fn returned(customer_id: &str) -> Event {
    Event::OrderReturned(OrderReturned {
        order_id: uuid::Uuid::new_v4().to_string(),
        customer_id: customer_id.to_owned(),
        reason: "refused by the consignee".to_owned(),
        return_time: Some(timestamp(Utc::now())),
    })
}

/// The orders feed's cursor row as customers stored it: (cursor, applied, skipped).
async fn cursor_row(app: &TestApp) -> Option<(String, i64, i64)> {
    let pool = app.schema_pool("customers").await;
    let row = sqlx::query_as(
        "SELECT cursor, applied_events, skipped_events FROM feed_cursors WHERE feed = 'orders'",
    )
    .fetch_optional(&pool)
    .await
    .expect("reading the feed cursor");
    pool.close().await;
    row
}

/// Records a shipment of `customer_id` made `days` days ago: the customer is ACTIVE, and the next
/// lifecycle sweep finds it idle that long.
async fn shipped_days_ago(app: &TestApp, customer_id: &str, days: i64) {
    app.customers_client()
        .await
        .record_activity(customers_pb::RecordActivityRequest {
            customer_id: customer_id.to_owned(),
            activity_id: format!("shipment-{days}-days-ago"),
            occur_time: Some(timestamp(Utc::now() - chrono::Duration::days(days))),
            spend: None,
        })
        .await
        .expect("recording an old shipment");
}

async fn customer(app: &TestApp, id: &str) -> customers_pb::Customer {
    app.customers_client()
        .await
        .get_customer(GetCustomerRequest { id: id.to_owned() })
        .await
        .expect("getting the customer")
        .into_inner()
}

/// The status of customer `id` after a lifecycle sweep.
async fn status_after_sweep(app: &TestApp, id: &str) -> customers_pb::CustomerStatus {
    app.customers_client()
        .await
        .run_lifecycle_sweep(customers_pb::RunLifecycleSweepRequest {})
        .await
        .expect("running the lifecycle sweep");
    customer(app, id).await.status()
}

async fn thank_yous(app: &TestApp, customer_id: &str) -> Vec<FollowUp> {
    app.engagement_client()
        .await
        .list_follow_ups(ListFollowUpsRequest {
            page_size: 1000,
            page_token: String::new(),
            filter: Some(FollowUpFilter {
                customer_id: customer_id.to_owned(),
                ..Default::default()
            }),
        })
        .await
        .expect("listing follow-ups")
        .into_inner()
        .follow_ups
}

/// (balance, EARN movements) of the customer's loyalty account.
async fn points(app: &TestApp, customer_id: &str) -> (i64, usize) {
    let mut loyalty = app.loyalty_client().await;
    let account = loyalty
        .get_loyalty_account(GetLoyaltyAccountRequest {
            customer_id: customer_id.to_owned(),
        })
        .await
        .expect("reading the loyalty account")
        .into_inner();
    let movements = loyalty
        .list_point_movements(ListPointMovementsRequest {
            customer_id: customer_id.to_owned(),
            page_size: 1000,
            page_token: String::new(),
        })
        .await
        .expect("listing point movements")
        .into_inner()
        .movements;
    (account.balance, movements.len())
}

async fn status_history(app: &TestApp, customer_id: &str) -> Vec<StatusChange> {
    app.customers_client()
        .await
        .list_status_history(ListStatusHistoryRequest {
            customer_id: customer_id.to_owned(),
            page_size: 100,
            page_token: String::new(),
        })
        .await
        .expect("listing the status history")
        .into_inner()
        .changes
}

/// Shipments recorded for the customer, straight from its activity table.
async fn shipments(app: &TestApp, customer_id: &str) -> i64 {
    let pool = app.schema_pool("customers").await;
    let count = sqlx::query_scalar("SELECT count(*) FROM activity WHERE customer_id = $1::uuid")
        .bind(customer_id)
        .fetch_one(&pool)
        .await
        .expect("counting activity");
    pool.close().await;
    count
}

/// Polls `check` every 50 ms until it holds, for at most `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "{what} within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
