//! A batch of orders-feed events applied as the follower applies one: new orders' facts are
//! stored together, before any later event of the batch reads them, and each order counts once.

use chrono::{Duration, Utc};
use logistics_contracts::common::Address;
use logistics_contracts::orders::stream_changes_response::Event;
use logistics_contracts::orders::{Order, OrderCreated, OrderPickedUp};
use logistics_platform::time::timestamp;
use logistics_tests::TestApp;
use uuid::Uuid;

fn created(order_id: Uuid, customer_id: Uuid, pieces: i32, grams: i64) -> Event {
    Event::OrderCreated(OrderCreated {
        order: Some(Order {
            id: order_id.to_string(),
            customer_id: customer_id.to_string(),
            origin: Some(Address {
                region_code: "CN-31".to_owned(),
                ..Address::default()
            }),
            total_pieces: pieces,
            total_weight_grams: grams,
            create_time: Some(timestamp(Utc::now() - Duration::hours(2))),
            ..Order::default()
        }),
    })
}

#[tokio::test]
async fn a_batch_stores_its_new_orders_before_its_later_events_read_them_and_counts_each_once() {
    let app = TestApp::spawn().await;
    // A schema of its own: the live followers write to reporting's.
    let pool = app.schema_pool("reporting_batch_test").await;
    logistics_reporting::migrate_schema(&pool)
        .await
        .expect("creating the read models");
    let (customer, first, second) = (Uuid::new_v4(), Uuid::new_v4(), Uuid::new_v4());
    let written = Utc::now() - Duration::hours(1);
    let picked_up = Event::OrderPickedUp(OrderPickedUp {
        order_id: first.to_string(),
        customer_id: customer.to_string(),
        pickup_time: Some(timestamp(written)),
        within_window: true,
    });
    let batch = [
        created(first, customer, 2, 3_000),
        // The same order again, as a replay under another event id brings it.
        created(first, customer, 2, 3_000),
        created(second, customer, 1, 1_000),
        picked_up,
    ]
    .map(|event| (event, written));

    let mut conn = pool.acquire().await.unwrap();
    logistics_reporting::apply_orders_events(&mut conn, &batch)
        .await
        .expect("applying the batch");

    let volume: (i64, i64, i64) = sqlx::query_as(
        "SELECT sum(shipments)::bigint, sum(pieces)::bigint, sum(weight_grams)::bigint
           FROM volume_rollups WHERE customer_id = $1",
    )
    .bind(customer)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(volume, (2, 3, 4_000), "each order counts once");
    // Route-change and return denominators of two orders, and the pickup of the first, which
    // is found only if its facts were stored before the pickup was applied.
    let kpis: (i64, i64, i64) = sqlx::query_as(
        "SELECT count(DISTINCT kpi), sum(numerator)::bigint, sum(denominator)::bigint
           FROM kpi_rollups WHERE customer_id = $1",
    )
    .bind(customer)
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(kpis, (3, 1, 5));
}
