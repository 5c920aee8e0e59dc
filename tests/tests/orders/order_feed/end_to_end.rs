//! The real follower on the real orders feed: the customers service reads `OrderService/
//! StreamChanges` with its own key, and survives its own death and the orders service's.
//!
//! Orders are placed and cancelled through the real OrderService. Deliveries are written straight
//! into the orders outbox with `logistics_platform::changefeed::append`, as the orders service
//! writes them: tracking's RecordDelivery, which produces `order.delivered`, is not on main yet.
//! Only that producer is bypassed; the feed the follower reads (StreamChanges, cursors, commit
//! order) is the real one.

use std::time::Duration;

use chrono::Utc;
use logistics_contracts::customers::CustomerStatus;
use logistics_contracts::feeds::FeedEvent as _;
use logistics_contracts::orders::{
    CancelOrderRequest, StreamChangesResponse, stream_changes_response::Event,
};
use logistics_platform::changefeed;
use logistics_tests::orders::{place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise, individual};
use prost::Message as _;

use super::{
    PRICE_FEN, cursor_row, customer, delivered, eventually, points, shipments, shipped_days_ago,
    status_after_sweep, status_history, thank_yous,
};

/// Long enough for the follower to reconnect after its longest backoff and catch up.
const CATCH_UP: Duration = Duration::from_secs(60);
/// Points one delivery at [`PRICE_FEN`] earns.
const POINTS_EACH: i64 = PRICE_FEN / 1000;

/// Writes `events` to the orders outbox, `per_transaction` to a transaction, as orders would.
pub(super) async fn produce(app: &TestApp, events: Vec<Event>, per_transaction: usize) {
    let pool = app.schema_pool("orders").await;
    for chunk in events.chunks(per_transaction.max(1)) {
        let mut tx = pool.begin().await.expect("an orders transaction");
        for event in chunk {
            let payload = StreamChangesResponse {
                envelope: None,
                event: Some(event.clone()),
            }
            .encode_to_vec();
            changefeed::append(&mut tx, event.event_type(), "an order", &payload)
                .await
                .expect("writing to the orders outbox");
        }
        tx.commit().await.expect("committing orders events");
    }
    pool.close().await;
}

/// `count` deliveries spread over `customers` in turn, numbered from `first`.
pub(super) fn deliveries(customers: &[String], first: usize, count: usize) -> Vec<Event> {
    (first..first + count)
        .map(|n| {
            let customer = &customers[n % customers.len()];
            delivered(customer, &format!("O-{n:05}"), PRICE_FEN, Utc::now())
        })
        .collect()
}

async fn applied(app: &TestApp) -> i64 {
    cursor_row(app).await.map_or(0, |(_, applied, _)| applied)
}

async fn wait_for_applied(app: &TestApp, expected: i64) {
    eventually(CATCH_UP, &format!("{expected} events applied"), || async {
        applied(app).await >= expected
    })
    .await;
    assert_eq!(applied(app).await, expected, "no event applied twice");
}

/// Creates `count` enterprise customers and returns their ids.
async fn customers(app: &TestApp, count: usize) -> Vec<String> {
    let mut client = app.customers_client().await;
    let mut ids = Vec::new();
    for n in 0..count {
        let created = create_customer(&mut client, enterprise(&format!("Shipper {n}"))).await;
        ids.push(created.id);
    }
    ids
}

/// Checks that every customer has exactly `per_customer` deliveries' worth of everything, and that
/// the customers feed announced each effect exactly once.
async fn assert_exactly(app: &TestApp, ids: &[String], per_customer: usize) {
    for id in ids {
        assert_eq!(shipments(app, id).await, per_customer as i64, "shipments");
        assert_eq!(
            points(app, id).await,
            (POINTS_EACH * per_customer as i64, per_customer),
            "points and EARN movements"
        );
        assert_eq!(thank_yous(app, id).await.len(), per_customer, "thank-yous");
    }
    let pool = app.schema_pool("customers").await;
    let announced: Vec<(String, i64)> = sqlx::query_as(
        "SELECT event_type, count(*) FROM outbox
         WHERE event_type IN ('customer.activity_recorded', 'customer.points_moved',
                              'follow_up.scheduled')
         GROUP BY event_type ORDER BY event_type",
    )
    .fetch_all(&pool)
    .await
    .expect("counting customer events");
    pool.close().await;
    let total = (ids.len() * per_customer) as i64;
    assert_eq!(
        announced,
        [
            ("customer.activity_recorded".to_owned(), total),
            ("customer.points_moved".to_owned(), total),
            ("follow_up.scheduled".to_owned(), total),
        ]
    );
}

#[tokio::test]
async fn deliveries_on_the_orders_feed_reach_their_customers_once() {
    let app = TestApp::spawn().await;
    let ids = customers(&app, 2).await;

    produce(&app, deliveries(&ids, 0, 6), 3).await;

    wait_for_applied(&app, 6).await;
    assert_exactly(&app, &ids, 3).await;
    assert_eq!(
        cursor_row(&app).await.map(|(_, _, skipped)| skipped),
        Some(0)
    );
}

#[tokio::test]
async fn killing_the_customers_service_mid_feed_and_restarting_it_loses_and_doubles_nothing() {
    let mut app = TestApp::spawn().await;
    let ids = customers(&app, 3).await;
    const TOTAL: usize = 240;
    produce(&app, deliveries(&ids, 0, TOTAL), 40).await;

    // Twice: kill it while it is working through the backlog, then start a new instance.
    for stop_after in [20, 100] {
        eventually(CATCH_UP, "the follower at work", || async {
            applied(&app).await >= stop_after
        })
        .await;
        app.stop_customers().await;
        let at_kill = applied(&app).await;
        assert!(
            at_kill < TOTAL as i64,
            "killed mid-feed ({at_kill} of {TOTAL} applied); make the backlog longer"
        );
        // Dead means dead: nothing moves while it is down.
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(applied(&app).await, at_kill);
        app.start_customers().await;
    }

    wait_for_applied(&app, TOTAL as i64).await;
    assert_exactly(&app, &ids, TOTAL / ids.len()).await;
}

#[tokio::test]
async fn the_orders_service_going_down_and_coming_back_loses_no_event() {
    let mut app = TestApp::spawn().await;
    let ids = customers(&app, 2).await;
    produce(&app, deliveries(&ids, 0, 4), 4).await;
    wait_for_applied(&app, 4).await;

    // Written while orders is down: waits in its outbox.
    app.stop_orders().await;
    produce(&app, deliveries(&ids, 4, 4), 2).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(applied(&app).await, 4);
    app.start_orders().await;
    wait_for_applied(&app, 8).await;

    // Restarted while the follower is streaming a backlog.
    produce(&app, deliveries(&ids, 8, 120), 30).await;
    eventually(CATCH_UP, "the follower streaming", || async {
        applied(&app).await > 12
    })
    .await;
    app.stop_orders().await;
    app.start_orders().await;

    wait_for_applied(&app, 128).await;
    assert_exactly(&app, &ids, 64).await;
}

#[tokio::test]
async fn one_replica_follows_and_a_standby_takes_over_when_it_stops() {
    let mut app = TestApp::spawn().await;
    let ids = customers(&app, 2).await;
    app.spawn_customers_replica().await;
    produce(&app, deliveries(&ids, 0, 40), 10).await;
    wait_for_applied(&app, 40).await;

    let pool = app.schema_pool("customers").await;
    // The customers follower's lock only: complaints follows the orders feed too, and jobs
    // take locks of their own. A one-key advisory lock shows its key's low 32 bits as objid.
    let held: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()
           AND l.objsubid = 1 AND l.objid::bigint = (hashtext($1)::bigint & 4294967295)",
    )
    .bind("logistics.customers.feed.orders")
    .fetch_one(&pool)
    .await
    .expect("reading the locks");
    pool.close().await;
    assert_eq!(
        held, 1,
        "one follower holds the feed lock, the other stands by"
    );

    // Whichever of the two follows, stopping the first instance leaves one that must follow.
    app.stop_customers().await;
    produce(&app, deliveries(&ids, 40, 40), 10).await;

    wait_for_applied(&app, 80).await;
    // The kit's clients talk to the first instance: bring it back to read the results.
    app.start_customers().await;
    assert_exactly(&app, &ids, 40).await;
}

#[tokio::test]
async fn a_dormant_customer_placing_an_order_becomes_active_and_a_cancelled_order_counts_for_nothing()
 {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let person = create_customer(&mut client, individual("Zhao Lei")).await;
    shipped_days_ago(&app, &person.id, 120).await;
    assert_eq!(
        status_after_sweep(&app, &person.id).await,
        CustomerStatus::Dormant
    );

    let mut orders = app.orders_client().await;
    let order = place_order(&mut orders, road_order(&person.id)).await;
    orders
        .cancel_order(CancelOrderRequest {
            id: order.id.clone(),
            reason: "ordered by mistake".to_owned(),
            etag: String::new(),
        })
        .await
        .expect("cancelling the order");

    eventually(CATCH_UP, "the customer active again", || async {
        customer(&app, &person.id).await.status() == CustomerStatus::Active
    })
    .await;
    let history = status_history(&app, &person.id).await;
    assert_eq!(history[0].from_status(), CustomerStatus::Dormant);
    assert_eq!(
        history[0].reason,
        format!("ordered again (order {})", order.order_number)
    );
    // Customers asks the feed for created and delivered orders only: the cancellation (and
    // every status change orders announced) is passed over, and the cursor moves past it with a
    // checkpoint carrying its write time. None counted as a shipment.
    eventually(CATCH_UP, "the follower past the cancellation", || async {
        let pool = app.schema_pool("orders").await;
        let past: Option<bool> = sqlx::query_scalar(
            "SELECT (SELECT last_event_time FROM customers.feed_cursors WHERE feed = 'orders')
                    >= (SELECT max(occur_time) FROM outbox)",
        )
        .fetch_one(&pool)
        .await
        .expect("comparing the follower's cursor with the feed");
        pool.close().await;
        past == Some(true)
    })
    .await;
    assert_eq!(shipments(&app, &person.id).await, 1);
    assert_eq!(points(&app, &person.id).await, (0, 0));
    assert!(thank_yous(&app, &person.id).await.is_empty());
}
