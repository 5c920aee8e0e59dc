//! Change feeds across transaction-id digit boundaries (9999 -> 10000, 99999 -> 100000).
//!
//! Feed positions are PostgreSQL transaction ids. Compared as text, "1000" sorts before "999", so a
//! feed that ever sorts or compares them as text repeats, reorders or loses events once the cluster
//! passes such a boundary. These tests burn transaction ids until the cluster stands just below each
//! boundary, write one event per transaction across it, and then read each feed as its users do: in
//! full from the beginning, resumed after every cursor, and live from "now", expecting every event
//! exactly once and in commit order each time.
//!
//! Each test starts a cluster of its own: transaction ids are the cluster's, and each test must
//! find it below the first boundary. The four services' start (migrations, partitions, default
//! settings, followers) takes nearly a thousand ids by itself, so the first boundary is 10,000:
//! 999 -> 1000 is the same text-order trap one digit earlier, and is passed before the test begins.

use std::future::Future;
use std::time::Duration;

use logistics_contracts::common::{ChangeFeedStart, EventEnvelope, change_feed_start::Position};
use logistics_contracts::{customers, orders};
use logistics_tests::orders::{place_order, road_order};
use logistics_tests::txids::{BOUNDARIES, write_across_boundaries};
use logistics_tests::{TestApp, create_customer, enterprise, start_cluster};
use sqlx::PgPool;
use tokio_stream::StreamExt as _;
use tonic::Streaming;

/// Long enough for a change to reach a reader; only waited out when nothing more is expected.
const QUIET: Duration = Duration::from_millis(1500);
/// Long enough for the customers service to follow every orders event.
const CATCH_UP: Duration = Duration::from_secs(60);

#[tokio::test]
async fn the_customers_feed_serves_each_event_once_in_commit_order_across_txid_digit_boundaries() {
    let cluster = start_cluster().expect("a cluster of the test's own");
    let app = TestApp::spawn_on(&cluster, |_| {}).await;
    let client = app.customers_client().await;
    let pool = app.schema_pool("customers").await;

    let open = |position: Option<Position>| {
        let mut client = client.clone();
        async move {
            client
                .stream_changes(customers::StreamChangesRequest {
                    start: position.map(|position| ChangeFeedStart {
                        position: Some(position),
                    }),
                    event_types: Vec::new(),
                })
                .await
                .expect("subscribing")
                .into_inner()
        }
    };
    let mut created = 0;
    let write = || {
        created += 1;
        let mut client = client.clone();
        async move {
            create_customer(&mut client, enterprise(&format!("Shipper {created}"))).await;
        }
    };
    let envelope = |response: customers::StreamChangesResponse| response.envelope;
    assert_every_read_serves_commit_order(&pool, open, envelope, write).await;
}

#[tokio::test]
async fn the_orders_feed_serves_each_event_once_in_commit_order_across_txid_digit_boundaries() {
    let cluster = start_cluster().expect("a cluster of the test's own");
    let app = TestApp::spawn_on(&cluster, |_| {}).await;
    let mut customers = app.customers_client().await;
    let shipper = create_customer(&mut customers, enterprise("Boundary Shipper")).await;
    let client = app.orders_client().await;
    let pool = app.schema_pool("orders").await;

    let open = |position: Option<Position>| {
        let mut client = client.clone();
        async move {
            client
                .stream_changes(orders::StreamChangesRequest {
                    start: position.map(|position| ChangeFeedStart {
                        position: Some(position),
                    }),
                    event_types: Vec::new(),
                })
                .await
                .expect("subscribing")
                .into_inner()
        }
    };
    let write = || {
        let mut client = client.clone();
        let order = road_order(&shipper.id);
        async move {
            place_order(&mut client, order).await;
        }
    };
    let envelope = |response: orders::StreamChangesResponse| response.envelope;
    let expected = assert_every_read_serves_commit_order(&pool, open, envelope, write).await;

    // Customers follows this feed: it must have applied each event exactly once, no more (a
    // repeated event moves `applied_events` past the outbox's count) and no fewer.
    let customers_pool = app.schema_pool("customers").await;
    let deadline = tokio::time::Instant::now() + CATCH_UP;
    let applied = loop {
        let applied: i64 = sqlx::query_scalar(
            "SELECT coalesce(max(applied_events), 0) FROM feed_cursors WHERE feed = 'orders'",
        )
        .fetch_one(&customers_pool)
        .await
        .expect("reading the follower's cursor");
        if applied >= expected.len() as i64 || tokio::time::Instant::now() > deadline {
            break applied;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(QUIET).await;
    let settled: i64 =
        sqlx::query_scalar("SELECT applied_events FROM feed_cursors WHERE feed = 'orders'")
            .fetch_one(&customers_pool)
            .await
            .expect("reading the follower's cursor");
    assert_eq!(
        (applied, settled),
        (expected.len() as i64, expected.len() as i64),
        "the follower applies every orders event exactly once"
    );
}

/// Opens a live tail, writes across the boundaries with `write`, then checks that the live tail,
/// a full read and a read resumed after every cursor each serve every event once in commit order.
/// Returns the event ids in commit order.
async fn assert_every_read_serves_commit_order<T, Open, Opened, Write, Written>(
    pool: &PgPool,
    open: Open,
    envelope: impl Fn(T) -> Option<EventEnvelope> + Copy,
    write: Write,
) -> Vec<String>
where
    T: std::fmt::Debug,
    Open: Fn(Option<Position>) -> Opened,
    Opened: Future<Output = Streaming<T>>,
    Write: FnMut() -> Written,
    Written: Future<Output = ()>,
{
    let mut live = open(Some(Position::FromNow(true))).await;
    write_across_boundaries(pool, write).await;

    let expected = commit_order(pool).await;
    assert_events_straddle_the_boundaries(pool).await;
    assert_eq!(
        ids(&read(&mut live, expected.len(), envelope).await),
        expected,
        "the live tail"
    );
    assert_nothing_more(&mut live).await;

    let mut full = open(None).await;
    let events = read(&mut full, expected.len(), envelope).await;
    assert_eq!(ids(&events), expected, "the full read");
    assert_nothing_more(&mut full).await;

    for (index, event) in events.iter().enumerate() {
        let rest = &expected[index + 1..];
        let mut resumed = open(Some(Position::AfterCursor(event.cursor.clone()))).await;
        assert_eq!(
            ids(&read(&mut resumed, rest.len(), envelope).await),
            rest,
            "resumed after event {index}"
        );
    }
    expected
}

/// The schema's outbox event ids in commit order, the order the feed promises.
async fn commit_order(pool: &PgPool) -> Vec<String> {
    sqlx::query_scalar("SELECT event_id::text FROM outbox ORDER BY txid, id")
        .fetch_all(pool)
        .await
        .expect("reading the outbox")
}

async fn assert_events_straddle_the_boundaries(pool: &PgPool) {
    for boundary in BOUNDARIES {
        let (below, above): (i64, i64) = sqlx::query_as(
            "SELECT count(*) FILTER (WHERE txid::text::bigint < $1),
                    count(*) FILTER (WHERE txid::text::bigint >= $1)
             FROM outbox",
        )
        .bind(boundary as i64)
        .fetch_one(pool)
        .await
        .expect("counting outbox rows");
        assert!(
            below > 0 && above > 0,
            "events on both sides of txid {boundary}: {below} below, {above} above"
        );
    }
}

/// Reads `count` events from `stream`, failing if one takes longer than 10 s.
async fn read<T>(
    stream: &mut Streaming<T>,
    count: usize,
    envelope: impl Fn(T) -> Option<EventEnvelope>,
) -> Vec<EventEnvelope> {
    let mut events = Vec::with_capacity(count);
    while events.len() < count {
        let next = tokio::time::timeout(Duration::from_secs(10), stream.next())
            .await
            .unwrap_or_else(|_| panic!("event {} of {count} within 10 s", events.len() + 1))
            .expect("the stream is open")
            .expect("an event, not an error");
        events.push(envelope(next).expect("every event has its envelope"));
    }
    events
}

async fn assert_nothing_more<T: std::fmt::Debug>(stream: &mut Streaming<T>) {
    let more = tokio::time::timeout(QUIET, stream.next()).await;
    assert!(more.is_err(), "no event after the last one: {more:?}");
}

fn ids(events: &[EventEnvelope]) -> Vec<String> {
    events.iter().map(|event| event.event_id.clone()).collect()
}
