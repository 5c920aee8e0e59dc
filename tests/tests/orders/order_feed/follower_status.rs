//! The platform's feed follower on its own, over the real orders feed: a probe handler in a scratch
//! schema (only the follower's own migration there), and what the follower's status says as
//! events are applied, across a restart.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_contracts::orders::StreamChangesResponse;
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_platform::ApiError;
use logistics_platform::client::{CallCredentials, channel};
use logistics_platform::feed_follower::{
    self, EventPosition, FeedFollower, FeedHandler, FollowerHandle, FollowerStatus, Handled,
};
use logistics_tests::TestApp;
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;

use super::end_to_end::{deliveries, produce};
use super::eventually;

/// The probe follower's schema and service name (its lock: `logistics.feed_probe.feed.orders`,
/// apart from customers' own follower of the same feed).
const PROBE: &str = "feed_probe";
const WAIT: Duration = Duration::from_secs(30);

/// Counts the events it is given, and writes each event id in the follower's transaction.
#[derive(Clone, Default)]
struct Probe {
    seen: Arc<AtomicUsize>,
}

impl FeedHandler for Probe {
    type Event = StreamChangesResponse;
    type Batch = ();

    async fn apply(
        &self,
        tx: &mut PgConnection,
        _event: &StreamChangesResponse,
        position: &EventPosition,
        _batch: &mut (),
    ) -> Result<Handled, ApiError> {
        sqlx::query("INSERT INTO probe_seen (event_id) VALUES ($1)")
            .bind(&position.event_id)
            .execute(tx)
            .await?;
        self.seen.fetch_add(1, Ordering::SeqCst);
        Ok(Handled::Applied)
    }
}

/// Starts the probe follower on the app's orders service, with customers' own service key.
fn spawn_probe(app: &TestApp, pool: &PgPool, probe: &Probe) -> (FollowerHandle, CancellationToken) {
    let client = OrderServiceClient::with_interceptor(
        channel(
            PROBE,
            &format!("http://{}", app.orders),
            Duration::from_secs(2),
        )
        .expect("a channel to orders"),
        CallCredentials::bearer(&app.keys.customers_service).expect("printable key"),
    );
    let shutdown = CancellationToken::new();
    let handle = FeedFollower::new(pool.clone(), PROBE, "orders", probe.clone()).spawn(
        move |request| {
            let mut client = client.clone();
            async move { client.stream_changes(request).await }
        },
        shutdown.clone(),
    );
    (handle, shutdown)
}

async fn wait_for(handle: &FollowerHandle, applied: i64) -> FollowerStatus {
    eventually(WAIT, &format!("{applied} events applied"), || async {
        handle.status().applied_events >= applied
    })
    .await;
    let status = handle.status();
    assert_eq!(status.applied_events, applied, "no event applied twice");
    status
}

/// The probe schema's cursor row: (cursor, applied events, last event time).
async fn stored(pool: &PgPool) -> (String, i64, Option<DateTime<Utc>>) {
    sqlx::query_as(
        "SELECT cursor, applied_events, last_event_time FROM feed_cursors WHERE feed = 'orders'",
    )
    .fetch_one(pool)
    .await
    .expect("reading the probe's cursor")
}

/// When the newest event in the orders outbox was written.
async fn newest_event(app: &TestApp) -> DateTime<Utc> {
    let pool = app.schema_pool("orders").await;
    let newest = sqlx::query_scalar("SELECT max(occur_time) FROM outbox")
        .fetch_one(&pool)
        .await
        .expect("reading the orders outbox");
    pool.close().await;
    newest
}

#[tokio::test]
async fn the_follower_status_shows_cursor_times_and_lag_moving_as_events_are_applied() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool(PROBE).await;
    feed_follower::migrate(&pool)
        .await
        .expect("the follower's tables in a fresh schema");
    sqlx::query("CREATE TABLE probe_seen (event_id text PRIMARY KEY)")
        .execute(&pool)
        .await
        .expect("the probe's table");
    let customers = vec![uuid::Uuid::new_v4().to_string()];
    let probe = Probe::default();

    let (handle, shutdown) = spawn_probe(&app, &pool, &probe);
    eventually(WAIT, "the probe following", || async {
        handle.status().following
    })
    .await;
    let before = handle.status();
    assert_eq!(
        (before.feed, before.cursor.as_str(), before.applied_events),
        ("orders", "", 0)
    );
    assert_eq!(
        (before.last_event_time, before.last_applied_time, before.lag),
        (None, None, None)
    );

    // Three events: the status follows the stored cursor.
    produce(&app, deliveries(&customers, 0, 3), 3).await;
    let first = wait_for(&handle, 3).await;
    assert!(!first.cursor.is_empty());
    assert_eq!(
        stored(&pool).await,
        (first.cursor.clone(), 3, first.last_event_time)
    );
    assert_eq!(first.last_event_time, Some(newest_event(&app).await));
    let (written, applied) = (
        first.last_event_time.unwrap(),
        first.last_applied_time.expect("a last applied time"),
    );
    assert!(applied >= written);
    assert_eq!(first.lag, Some((applied - written).to_std().unwrap()));
    assert!(first.lag.unwrap() < WAIT);

    // Two more: cursor, times move on.
    produce(&app, deliveries(&customers, 3, 2), 1).await;
    let second = wait_for(&handle, 5).await;
    assert_ne!(second.cursor, first.cursor);
    assert!(second.last_event_time.unwrap() > written);
    assert!(second.last_applied_time.unwrap() > applied);
    assert_eq!(stored(&pool).await.0, second.cursor);

    // Stopped (and joined), an event waits; the next follower starts from the stored status, and
    // the event's lag shows how long it waited.
    shutdown.cancel();
    handle.join().await;
    produce(&app, deliveries(&customers, 5, 1), 1).await;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (handle, shutdown) = spawn_probe(&app, &pool, &probe);
    let third = wait_for(&handle, 6).await;
    assert!(third.following);
    assert!(
        third.lag.unwrap() >= Duration::from_secs(1),
        "lag {:?} counts the time the event waited",
        third.lag
    );
    assert_eq!(third.last_event_time, Some(newest_event(&app).await));
    assert_eq!(probe.seen.load(Ordering::SeqCst), 6);
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM probe_seen")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(
        seen, 6,
        "each event applied once, in the follower's transaction"
    );

    shutdown.cancel();
    handle.join().await;
    assert_eq!(stored(&pool).await.0, third.cursor);
    pool.close().await;
}

#[tokio::test]
async fn the_follower_migration_keeps_a_cursor_table_an_older_service_migration_created() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool("feed_legacy").await;
    // feed_cursors as customers' migration 0006 created it, with a feed half followed.
    sqlx::raw_sql(
        "CREATE TABLE feed_cursors (
             feed           text        PRIMARY KEY,
             cursor         text        NOT NULL,
             applied_events bigint      NOT NULL DEFAULT 0 CHECK (applied_events >= 0),
             skipped_events bigint      NOT NULL DEFAULT 0 CHECK (skipped_events >= 0),
             update_time    timestamptz NOT NULL DEFAULT now()
         );
         INSERT INTO feed_cursors (feed, cursor, applied_events, skipped_events)
         VALUES ('orders', 'old-cursor', 42, 2);",
    )
    .execute(&pool)
    .await
    .expect("the old table");

    feed_follower::migrate(&pool).await.expect("migrating");
    feed_follower::migrate(&pool)
        .await
        .expect("migrating again");

    let row: (String, i64, i64, i64, Option<DateTime<Utc>>) = sqlx::query_as(
        "SELECT cursor, applied_events, skipped_events, duplicate_events, last_event_time
         FROM feed_cursors WHERE feed = 'orders'",
    )
    .fetch_one(&pool)
    .await
    .expect("reading the cursor");
    assert_eq!(row, ("old-cursor".to_owned(), 42, 2, 0, None));
    let dedupe: i64 = sqlx::query_scalar("SELECT count(*) FROM feed_applied_events")
        .fetch_one(&pool)
        .await
        .expect("the dedupe table");
    assert_eq!(dedupe, 0);
    pool.close().await;
}
