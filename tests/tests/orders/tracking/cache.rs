//! Tracking served from memory stays right: the replica that wrote answers with the write at
//! once, another replica within a second, whoever made the change (an RPC on either replica, or
//! SQL by an operator), and also when the replicas' notification listeners are cut off.

use std::time::{Duration, Instant};

use logistics_contracts::orders::{
    BatchGetTrackingRequest, CancelOrderRequest, OrderStatus, Tracking, TrackingEventCode as Code,
};
use logistics_tests::{TestApp, TrackingClient, order_in_status};

use super::{customer_of, record, scan, tracking};

/// What the issue promises another replica: a change seen within this.
const ACROSS_REPLICAS: Duration = Duration::from_secs(1);

async fn batch_tracking(client: &mut TrackingClient, number: &str) -> Tracking {
    let mut entries = client
        .batch_get_tracking(BatchGetTrackingRequest {
            tracking_numbers: vec![number.to_owned()],
            max_events: 0,
        })
        .await
        .expect("reading tracking in a batch")
        .into_inner()
        .entries;
    entries.remove(0).tracking.expect("the shipment exists")
}

/// Reads the shipment of `number` through `client` until `seen` holds. Fails if a read sent
/// [`ACROSS_REPLICAS`] or more after the start still found the old state: the server answered
/// it after the promised time.
async fn seen_within_a_second(
    what: &str,
    (client, number): (&TrackingClient, &str),
    seen: impl Fn(&Tracking) -> bool,
) {
    let mut client = client.clone();
    let start = Instant::now();
    loop {
        let asked = start.elapsed();
        if seen(&tracking(&mut client, number).await) {
            return;
        }
        assert!(
            asked < ACROSS_REPLICAS,
            "{what}: still not seen by a read sent {asked:?} after the change"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_replica_that_recorded_an_event_answers_with_it_at_once_and_another_within_a_second() {
    let mut app = TestApp::spawn().await;
    let second = app.spawn_orders_replica().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::PickupScheduled, &[]).await;
    let mut first_client = app.tracking_client().await;
    let mut second_client = app.tracking_client_of(second, &app.keys.admin).await;
    record(
        &mut first_client,
        vec![scan(&number, "p", Code::PickedUp, 30)],
    )
    .await;
    // Both replicas hold the shipment in memory with its one event.
    for _ in 0..2 {
        assert_eq!(tracking(&mut first_client, &number).await.events.len(), 1);
        assert_eq!(
            batch_tracking(&mut first_client, &number)
                .await
                .events
                .len(),
            1
        );
    }
    seen_within_a_second(
        "the first event on the second replica",
        (&second_client, &number),
        |read| read.events.len() == 1,
    )
    .await;
    assert_eq!(
        batch_tracking(&mut second_client, &number)
            .await
            .events
            .len(),
        1
    );

    record(
        &mut first_client,
        vec![scan(&number, "h", Code::ArrivedAtHub, 20)],
    )
    .await;
    let read = tracking(&mut first_client, &number).await;
    assert_eq!(
        read.events.len(),
        2,
        "the recording replica answers at once"
    );
    assert_eq!(read.events[1].code, i32::from(Code::ArrivedAtHub));
    assert_eq!(
        batch_tracking(&mut first_client, &number)
            .await
            .events
            .len(),
        2
    );
    seen_within_a_second(
        "an event recorded on the first replica",
        (&second_client, &number),
        |read| read.events.len() == 2,
    )
    .await;
    assert_eq!(
        batch_tracking(&mut second_client, &number)
            .await
            .events
            .len(),
        2
    );

    record(
        &mut second_client,
        vec![scan(&number, "d", Code::DepartedHub, 10)],
    )
    .await;
    assert_eq!(tracking(&mut second_client, &number).await.events.len(), 3);
    seen_within_a_second(
        "an event recorded on the second replica",
        (&first_client, &number),
        |read| read.events.len() == 3,
    )
    .await;
    assert_eq!(
        batch_tracking(&mut first_client, &number)
            .await
            .events
            .len(),
        3
    );
    app.stop().await;
}

#[tokio::test]
async fn a_cancellation_shows_at_once_and_a_change_made_with_sql_within_a_second() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (id, number) = order_in_status(&app, &customer, OrderStatus::Confirmed, &[]).await;
    let mut client = app.tracking_client().await;
    let before = tracking(&mut client, &number).await;
    assert_eq!(before.status, i32::from(OrderStatus::Confirmed));
    assert!(!before.route_changed);

    // An operator's fix by hand goes through no RPC; the row's trigger tells the cache.
    let orders_db = app.schema_pool("orders").await;
    sqlx::query("UPDATE orders SET route_changed = true WHERE tracking_number = $1")
        .bind(&number)
        .execute(&orders_db)
        .await
        .expect("changing the order by hand");
    seen_within_a_second("a change made with SQL", (&client, &number), |read| {
        read.route_changed
    })
    .await;

    app.orders_client()
        .await
        .cancel_order(CancelOrderRequest {
            id,
            reason: "the customer changed their mind".to_owned(),
            etag: String::new(),
        })
        .await
        .expect("cancelling");
    let after = tracking(&mut client, &number).await;
    assert_eq!(after.status, i32::from(OrderStatus::Cancelled));
}

/// Cuts the listeners off this many times: each reconnect is a fresh chance for a change made
/// meanwhile to go unheard (one race, between a reconnect and the listener's next question, was
/// lost about once in several CI runs with a single cut).
const CUTS: usize = 6;

#[tokio::test]
async fn reads_stay_right_while_the_notification_listeners_are_cut_off() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::Confirmed, &[]).await;
    let mut client = app.tracking_client().await;
    assert!(!tracking(&mut client, &number).await.route_changed);
    assert!(!tracking(&mut client, &number).await.route_changed);

    let orders_db = app.schema_pool("orders").await;
    let listening = all_listening(&orders_db).await;
    for cut in 1..=CUTS {
        // Reads go to the database as soon as a listener is cut off, so a change can be seen
        // before the listeners are back: wait for them, or the next cut would find none.
        let started = Instant::now();
        let listeners = loop {
            let found = listeners(&orders_db).await;
            if found.len() == listening {
                break found;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "the listeners came back: {} of {listening}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        for pid in &listeners {
            sqlx::query("SELECT pg_terminate_backend($1)")
                .bind(pid)
                .execute(&orders_db)
                .await
                .expect("cutting a listener off");
        }
        // Changed while nobody listens: the notification is lost for good.
        let changed = cut % 2 == 1;
        sqlx::query("UPDATE orders SET route_changed = $2 WHERE tracking_number = $1")
            .bind(&number)
            .bind(changed)
            .execute(&orders_db)
            .await
            .expect("changing the order by hand");
        seen_within_a_second(
            &format!("a change made while the listeners were down (cut {cut})"),
            (&client, &number),
            |read| read.route_changed == changed,
        )
        .await;
    }
}

/// The backends of the services' notification listeners.
/// How many listeners the suite's services hold once all are connected: each service connects
/// its own when it starts, so the app may answer calls before the last one is there. The count
/// that holds for a second.
async fn all_listening(db: &sqlx::PgPool) -> usize {
    let started = Instant::now();
    let (mut count, mut since) = (listeners(db).await.len(), Instant::now());
    while count == 0 || since.elapsed() < Duration::from_secs(1) {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the services listen: {count} listeners after 10 s"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = listeners(db).await.len();
        if now != count {
            (count, since) = (now, Instant::now());
        }
    }
    count
}

async fn listeners(db: &sqlx::PgPool) -> Vec<i32> {
    sqlx::query_scalar(
        "SELECT pid FROM pg_stat_activity
         WHERE datname = current_database() AND application_name = $1",
    )
    .bind(logistics_platform::notifications::LISTENER_NAME)
    .fetch_all(db)
    .await
    .expect("finding the listeners")
}
