//! The apply function on its own: what each event does, once, against the app's real database.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use logistics_contracts::customers::{
    CustomerStatus, CustomerTier, DeleteCustomerRequest, FollowUpReason, FollowUpStatus,
    GetCustomerValueRequest, ValueClass,
};
use logistics_contracts::feeds::FeedEvent as _;
use logistics_contracts::orders::{StreamChangesResponse, stream_changes_response::Event};
use logistics_customers::{Applied, apply_orders_event as apply};
use logistics_platform::time::timestamp;
use logistics_tests::{TestApp, create_customer, enterprise, individual};
use sqlx::PgPool;

use super::{
    PRICE_FEN, cancelled, created, cursor_row, customer, delivered, envelope, points, returned,
    shipments, shipped_days_ago, status_after_sweep, status_history, thank_yous,
};

/// A follower of made-up cursors "c1", "c2", ... over the customers schema.
struct Feeder {
    pool: PgPool,
    after: String,
    sent: u32,
}

impl Feeder {
    async fn new(app: &TestApp) -> Self {
        Self {
            pool: app.schema_pool("customers").await,
            after: String::new(),
            sent: 0,
        }
    }

    /// The next event of the feed, as the orders service would send it.
    fn next(&mut self, event: Event) -> StreamChangesResponse {
        self.sent += 1;
        let cursor = format!("c{}", self.sent);
        StreamChangesResponse {
            envelope: envelope(event.event_type(), "an order", &cursor),
            event: Some(event),
        }
    }

    /// Applies the next event, expecting the cursor to move past it.
    async fn apply(&mut self, event: Event) -> Applied {
        self.apply_batch(vec![event]).await
    }

    /// Applies the next events in one batch (one transaction), expecting the cursor to move
    /// past the last; answers how the last went.
    async fn apply_batch(&mut self, events: Vec<Event>) -> Applied {
        let messages: Vec<_> = events.into_iter().map(|event| self.next(event)).collect();
        let applied = apply(&self.pool, &self.after, &messages)
            .await
            .expect("applying orders events");
        assert!(
            !matches!(applied, Applied::Superseded { .. }),
            "a lone follower is never superseded"
        );
        self.after = messages.last().unwrap().envelope.clone().unwrap().cursor;
        applied
    }
}

/// An `order.created` event of `order_number` for `customer_id`, placed `days` days ago.
fn created_days_ago(customer_id: &str, order_number: &str, days: i64) -> Event {
    let mut event = created(customer_id, order_number);
    if let Event::OrderCreated(created) = &mut event {
        created.order.as_mut().unwrap().create_time =
            Some(timestamp(Utc::now() - Duration::days(days)));
    }
    event
}

/// A time a few hours ago, whole seconds (so it compares equal after a round trip).
fn hours_ago(hours: i64) -> DateTime<Utc> {
    let time = Utc::now() - Duration::hours(hours);
    DateTime::from_timestamp(time.timestamp(), 0).unwrap()
}

/// How many events of each type the customers outbox holds about anything.
async fn customer_events(app: &TestApp) -> BTreeMap<String, i64> {
    let pool = app.schema_pool("customers").await;
    let rows: Vec<(String, i64)> =
        sqlx::query_as("SELECT event_type, count(*) FROM outbox GROUP BY event_type")
            .fetch_all(&pool)
            .await
            .expect("counting customer events");
    pool.close().await;
    rows.into_iter().collect()
}

#[tokio::test]
async fn a_delivery_counts_as_a_shipment_regrades_awards_points_and_schedules_a_thank_you() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let company = create_customer(&mut client, enterprise("Hua Tong Freight")).await;
    assert_eq!(company.status(), CustomerStatus::Prospect);
    let before = customer_events(&app).await;
    let delivery_time = hours_ago(2);

    let mut feed = Feeder::new(&app).await;
    let applied = feed
        .apply(delivered(&company.id, "O-1001", PRICE_FEN, delivery_time))
        .await;

    assert_eq!(applied, Applied::Applied);
    let company = customer(&app, &company.id).await;
    assert_eq!(company.status(), CustomerStatus::Active);
    assert_eq!(company.tier(), CustomerTier::Medium);
    assert_eq!(company.value_class(), ValueClass::General);
    assert_eq!(company.last_shipment_time, Some(timestamp(delivery_time)));
    assert_eq!(shipments(&app, &company.id).await, 1);
    let value = client
        .get_customer_value(GetCustomerValueRequest {
            id: company.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(value.shipments_last_year, 1);
    assert_eq!(value.spend_last_year.unwrap().amount_minor, PRICE_FEN);
    assert_eq!(points(&app, &company.id).await, (12_345, 1));

    let follow_ups = thank_yous(&app, &company.id).await;
    assert_eq!(follow_ups.len(), 1);
    let thank_you = &follow_ups[0];
    assert_eq!(thank_you.reason(), FollowUpReason::ThankYouAfterDelivery);
    assert_eq!(thank_you.status(), FollowUpStatus::Scheduled);
    assert_eq!(
        thank_you.due_time,
        Some(timestamp(delivery_time + Duration::hours(24)))
    );
    assert_eq!(thank_you.reference, "O-1001");
    assert_eq!(thank_you.agent, "li.wei");

    let history = status_history(&app, &company.id).await;
    assert_eq!(history[0].from_status(), CustomerStatus::Prospect);
    assert_eq!(history[0].to_status(), CustomerStatus::Active);
    assert_eq!(history[0].reason, "shipped (order O-1001 delivered)");
    assert_eq!(history[0].changed_by, "activity");

    // Every change went out on the customers feed, in the same transaction as the change.
    let after = customer_events(&app).await;
    let new = |event: &str| after.get(event).unwrap_or(&0) - before.get(event).unwrap_or(&0);
    assert_eq!(new("customer.activity_recorded"), 1);
    assert_eq!(new("customer.status_changed"), 1);
    assert_eq!(new("customer.tier_changed"), 1);
    assert_eq!(new("customer.points_moved"), 1);
    assert_eq!(new("follow_up.scheduled"), 1);
    assert_eq!(cursor_row(&app).await, Some(("c1".to_owned(), 1, 0)));
}

#[tokio::test]
async fn the_same_delivery_applied_again_under_a_new_cursor_changes_nothing_twice() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let company = create_customer(&mut client, enterprise("Replay Ltd")).await;
    let delivery = delivered(&company.id, "O-2001", PRICE_FEN, hours_ago(5));
    let mut feed = Feeder::new(&app).await;
    feed.apply(delivery.clone()).await;
    let events_once = customer_events(&app).await;

    // As if the cursor had been lost or reset: each effect is idempotent by its own key.
    assert_eq!(feed.apply(delivery).await, Applied::Applied);

    assert_eq!(shipments(&app, &company.id).await, 1);
    assert_eq!(points(&app, &company.id).await, (12_345, 1));
    assert_eq!(thank_yous(&app, &company.id).await.len(), 1);
    assert_eq!(customer_events(&app).await, events_once);
    assert_eq!(cursor_row(&app).await, Some(("c2".to_owned(), 2, 0)));
}

#[tokio::test]
async fn the_same_event_id_again_under_a_new_cursor_is_passed_over_without_its_effects() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let company = create_customer(&mut client, enterprise("Echo Ltd")).await;
    let mut feed = Feeder::new(&app).await;
    let first = feed.next(delivered(&company.id, "O-2501", PRICE_FEN, hours_ago(2)));
    assert_eq!(
        apply(&feed.pool, "", std::slice::from_ref(&first))
            .await
            .unwrap(),
        Applied::Applied
    );
    let events_once = customer_events(&app).await;

    // The producer sends it again after a cursor reset: same id, another cursor.
    let mut again = first.clone();
    again.envelope.as_mut().unwrap().cursor = "c2".to_owned();
    assert_eq!(
        apply(&feed.pool, "c1", std::slice::from_ref(&again))
            .await
            .unwrap(),
        Applied::Duplicate
    );

    assert_eq!(shipments(&app, &company.id).await, 1);
    assert_eq!(points(&app, &company.id).await, (12_345, 1));
    assert_eq!(customer_events(&app).await, events_once);
    assert_eq!(cursor_row(&app).await, Some(("c2".to_owned(), 2, 0)));
}

#[tokio::test]
async fn a_batch_applies_each_event_once_even_when_it_carries_an_id_twice() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let company = create_customer(&mut client, enterprise("Batch Freight")).await;
    let mut feed = Feeder::new(&app).await;
    let first = feed.next(delivered(&company.id, "O-2601", PRICE_FEN, hours_ago(3)));
    let second = feed.next(delivered(&company.id, "O-2602", PRICE_FEN, hours_ago(2)));
    // The producer repeats the first event later in the same batch, under a newer cursor.
    let mut repeated = first.clone();
    repeated.envelope.as_mut().unwrap().cursor = "c3".to_owned();

    let applied = apply(&feed.pool, "", &[first, second, repeated])
        .await
        .expect("applying a batch of orders events");

    assert_eq!(
        applied,
        Applied::Duplicate,
        "the batch answers for its last"
    );
    assert_eq!(shipments(&app, &company.id).await, 2);
    assert_eq!(points(&app, &company.id).await, (2 * 12_345, 2));
    assert_eq!(thank_yous(&app, &company.id).await.len(), 2);
    assert_eq!(cursor_row(&app).await, Some(("c3".to_owned(), 3, 0)));
    let pool = app.schema_pool("customers").await;
    let (recorded_ids, duplicates): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM feed_applied_events WHERE feed = 'orders'),
                (SELECT duplicate_events FROM feed_cursors WHERE feed = 'orders')",
    )
    .fetch_one(&pool)
    .await
    .expect("reading what the follower recorded");
    assert_eq!((recorded_ids, duplicates), (2, 1));
}

#[tokio::test]
async fn a_second_follower_behind_the_cursor_writes_nothing_even_racing_the_first() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let company = create_customer(&mut client, enterprise("Race Co")).await;
    let pool = app.schema_pool("customers").await;
    let mut feed = Feeder::new(&app).await;
    let first = feed.next(delivered(&company.id, "O-3001", PRICE_FEN, hours_ago(1)));

    // Two followers read the same event after the same cursor, at the same time.
    let (one, two) = tokio::join!(
        apply(&pool, "", std::slice::from_ref(&first)),
        apply(&pool, "", std::slice::from_ref(&first))
    );
    let mut outcomes = [one.unwrap(), two.unwrap()];
    outcomes.sort_by_key(|outcome| format!("{outcome:?}"));
    assert_eq!(
        outcomes,
        [
            Applied::Applied,
            Applied::Superseded {
                stored: "c1".to_owned()
            }
        ]
    );
    // A follower that comes back later with its old position is turned away too.
    assert_eq!(
        apply(&pool, "", std::slice::from_ref(&first))
            .await
            .unwrap(),
        Applied::Superseded {
            stored: "c1".to_owned()
        }
    );

    assert_eq!(shipments(&app, &company.id).await, 1);
    assert_eq!(points(&app, &company.id).await, (12_345, 1));
    assert_eq!(thank_yous(&app, &company.id).await.len(), 1);
    assert_eq!(cursor_row(&app).await, Some(("c1".to_owned(), 1, 0)));
}

#[tokio::test]
async fn a_dormant_customer_ordering_again_becomes_active_and_stays_so_while_the_order_travels() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let person = create_customer(&mut client, individual("Wang Fang")).await;
    shipped_days_ago(&app, &person.id, 100).await;
    assert_eq!(
        status_after_sweep(&app, &person.id).await,
        CustomerStatus::Dormant
    );

    let mut feed = Feeder::new(&app).await;
    assert_eq!(
        feed.apply(created(&person.id, "O-4001")).await,
        Applied::Applied
    );

    assert_eq!(
        customer(&app, &person.id).await.status(),
        CustomerStatus::Active
    );
    let history = status_history(&app, &person.id).await;
    assert_eq!(history[0].from_status(), CustomerStatus::Dormant);
    assert_eq!(history[0].to_status(), CustomerStatus::Active);
    assert_eq!(history[0].reason, "ordered again (order O-4001)");
    // An order is not a shipment: nothing counted, nothing earned until it is delivered.
    assert_eq!(shipments(&app, &person.id).await, 1);
    assert_eq!(points(&app, &person.id).await, (0, 0));
    // The last shipment is still 100 days old, but the order restarted the inactivity clock.
    assert_eq!(
        status_after_sweep(&app, &person.id).await,
        CustomerStatus::Active
    );
}

#[tokio::test]
async fn an_active_customer_ordering_restarts_its_inactivity_clock_and_keeps_its_status() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let person = create_customer(&mut client, individual("Zhao Lei")).await;
    // Active by a shipment 100 days ago: the next sweep would find it dormant.
    shipped_days_ago(&app, &person.id, 100).await;
    assert_eq!(
        customer(&app, &person.id).await.status(),
        CustomerStatus::Active
    );
    let history_before = status_history(&app, &person.id).await.len();

    let mut feed = Feeder::new(&app).await;
    assert_eq!(
        feed.apply(created(&person.id, "O-4501")).await,
        Applied::Applied
    );
    assert_eq!(
        status_after_sweep(&app, &person.id).await,
        CustomerStatus::Active
    );
    assert_eq!(status_history(&app, &person.id).await.len(), history_before);
    assert_eq!(cursor_row(&app).await, Some(("c1".to_owned(), 1, 0)));
}

#[tokio::test]
async fn a_batch_of_orders_restarts_each_customers_inactivity_clock_from_its_latest_order() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let regular = create_customer(&mut client, individual("Zhao Lei")).await;
    // Active by a shipment 100 days ago: the next sweep would find it dormant.
    shipped_days_ago(&app, &regular.id, 100).await;
    let newcomer = create_customer(&mut client, individual("Li Na")).await;

    // One batch, as the follower reads it under load: each customer's first order here is
    // written at once, the later ones are folded, and only one of them is recent.
    let mut feed = Feeder::new(&app).await;
    feed.apply_batch(vec![
        created_days_ago(&regular.id, "O-6001", 150),
        created_days_ago(&newcomer.id, "O-6002", 140),
        created_days_ago(&regular.id, "O-6003", 5),
        created_days_ago(&newcomer.id, "O-6004", 150),
        created_days_ago(&regular.id, "O-6005", 160),
        created_days_ago(&newcomer.id, "O-6006", 3),
    ])
    .await;

    assert_eq!(
        status_after_sweep(&app, &regular.id).await,
        CustomerStatus::Active
    );
    assert_eq!(
        status_after_sweep(&app, &newcomer.id).await,
        CustomerStatus::Active
    );
    assert_eq!(status_history(&app, &newcomer.id).await.len(), 1);
    assert_eq!(cursor_row(&app).await, Some(("c6".to_owned(), 6, 0)));
}

#[tokio::test]
async fn a_prospect_placing_its_first_order_becomes_active() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let person = create_customer(&mut client, individual("Li Na")).await;

    let mut feed = Feeder::new(&app).await;
    feed.apply(created(&person.id, "O-5001")).await;

    assert_eq!(
        customer(&app, &person.id).await.status(),
        CustomerStatus::Active
    );
    let history = status_history(&app, &person.id).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].from_status(), CustomerStatus::Prospect);
    assert_eq!(history[0].reason, "first order (order O-5001)");
    // Ordering again while ACTIVE changes no status.
    feed.apply(created(&person.id, "O-5002")).await;
    assert_eq!(status_history(&app, &person.id).await.len(), 1);
}

#[tokio::test]
async fn cancelled_and_returned_orders_change_nothing_for_the_customer() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let company = create_customer(&mut client, enterprise("Never Shipped Inc")).await;
    let mut feed = Feeder::new(&app).await;
    feed.apply(created(&company.id, "O-6001")).await;
    let events_before = customer_events(&app).await;

    assert_eq!(feed.apply(cancelled(&company.id)).await, Applied::Applied);
    assert_eq!(feed.apply(returned(&company.id)).await, Applied::Applied);

    let company = customer(&app, &company.id).await;
    assert_eq!(company.last_shipment_time, None);
    assert_eq!(shipments(&app, &company.id).await, 0);
    assert_eq!(points(&app, &company.id).await, (0, 0));
    assert!(thank_yous(&app, &company.id).await.is_empty());
    assert_eq!(customer_events(&app).await, events_before);
    assert_eq!(cursor_row(&app).await, Some(("c3".to_owned(), 3, 0)));
}

#[tokio::test]
async fn events_for_unknown_or_deleted_customers_are_skipped_and_counted_without_wedging_the_feed()
{
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let gone = create_customer(&mut client, enterprise("Gone Ltd")).await;
    client
        .delete_customer(DeleteCustomerRequest {
            id: gone.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let known = create_customer(&mut client, enterprise("Known Ltd")).await;
    let stranger = uuid::Uuid::new_v4().to_string();

    let mut feed = Feeder::new(&app).await;
    let when = hours_ago(3);
    assert_eq!(
        feed.apply(delivered(&stranger, "O-7001", PRICE_FEN, when))
            .await,
        Applied::Skipped
    );
    assert_eq!(
        feed.apply(created("not-a-customer-id", "O-7002")).await,
        Applied::Skipped
    );
    assert_eq!(
        feed.apply(delivered(&gone.id, "O-7003", PRICE_FEN, when))
            .await,
        Applied::Skipped
    );
    assert_eq!(
        feed.apply(delivered(&known.id, "O-7004", PRICE_FEN, when))
            .await,
        Applied::Applied
    );

    assert_eq!(cursor_row(&app).await, Some(("c4".to_owned(), 4, 3)));
    assert_eq!(shipments(&app, &gone.id).await, 0);
    assert_eq!(shipments(&app, &known.id).await, 1);
    assert_eq!(points(&app, &known.id).await, (12_345, 1));
}

#[tokio::test]
async fn a_delivery_priced_in_another_currency_counts_as_a_shipment_without_spend_or_points() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let company = create_customer(&mut client, enterprise("Dollar Corp")).await;
    let mut delivery = delivered(&company.id, "O-8001", PRICE_FEN, hours_ago(1));
    if let Event::OrderDelivered(details) = &mut delivery {
        details.price.as_mut().unwrap().currency_code = "USD".to_owned();
    }

    let mut feed = Feeder::new(&app).await;
    assert_eq!(feed.apply(delivery).await, Applied::Applied);

    assert_eq!(shipments(&app, &company.id).await, 1);
    assert_eq!(points(&app, &company.id).await, (0, 0));
    assert_eq!(thank_yous(&app, &company.id).await.len(), 1);
    assert_eq!(
        customer(&app, &company.id).await.tier(),
        CustomerTier::Small
    );
}
