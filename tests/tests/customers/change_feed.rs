//! The customers change feed: commit order, no event skipped behind a slow transaction, resuming.

use std::time::Duration;

use logistics_contracts::common::{ChangeFeedStart, Money, change_feed_start};
use logistics_contracts::customers::{
    Customer, CustomerCreated, RecordActivityRequest, StreamChangesRequest, StreamChangesResponse,
    UpdateCustomerRequest, stream_changes_response::Event,
};
use logistics_platform::changefeed::{self, ChangeFeed};
use logistics_platform::pagination::TokenKey;
use logistics_tests::{CustomersClient, TestApp, create_customer, enterprise, violated_fields};
use prost::Message as _;
use sqlx::postgres::PgListener;
use tokio_stream::StreamExt as _;
use tokio_util::sync::CancellationToken;
use tonic::{Code, Streaming};

/// Long enough for a change to reach a reader; only waited out when nothing is expected.
const QUIET: Duration = Duration::from_millis(1500);

async fn create(client: &mut CustomersClient, name: &str) -> Customer {
    create_customer(client, enterprise(name)).await
}

async fn subscribe(
    client: &mut CustomersClient,
    position: Option<change_feed_start::Position>,
) -> Streaming<StreamChangesResponse> {
    client
        .stream_changes(StreamChangesRequest {
            start: position.map(|position| ChangeFeedStart {
                position: Some(position),
            }),
            event_types: Vec::new(),
        })
        .await
        .unwrap()
        .into_inner()
}

async fn next(stream: &mut Streaming<StreamChangesResponse>) -> StreamChangesResponse {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("an event within 10 s")
        .expect("the stream is open")
        .expect("an event, not an error")
}

fn created_name(event: &StreamChangesResponse) -> &str {
    match &event.event {
        Some(Event::CustomerCreated(created)) => &created.customer.as_ref().unwrap().display_name,
        other => panic!("expected customer.created, got {other:?}"),
    }
}

#[tokio::test]
async fn the_feed_replays_the_backlog_then_streams_live_changes_in_commit_order() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let first = create(&mut client, "First").await;

    let mut feed = subscribe(&mut client, None).await;
    let backlog = next(&mut feed).await;
    assert_eq!(created_name(&backlog), "First");
    let envelope = backlog.envelope.as_ref().unwrap();
    assert_eq!(envelope.event_type, "customer.created");
    assert_eq!(envelope.resource_id, first.id);

    create(&mut client, "Second").await;
    client
        .update_customer(UpdateCustomerRequest {
            customer: Some(Customer {
                id: first.id.clone(),
                notes: "changed".to_owned(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap();

    assert_eq!(created_name(&next(&mut feed).await), "Second");
    match next(&mut feed).await.event {
        Some(Event::CustomerUpdated(updated)) => {
            assert_eq!(updated.changed_fields, ["notes"]);
        }
        other => panic!("expected customer.updated, got {other:?}"),
    }
}

#[tokio::test]
async fn an_event_of_a_transaction_held_open_arrives_first_once_it_commits() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let mut feed = subscribe(&mut client, None).await;

    // A slow writer: its transaction takes its id (and an outbox row) first and commits last.
    let pool = app.schema_pool("customers").await;
    let mut slow = pool.begin().await.unwrap();
    let held = StreamChangesResponse {
        envelope: None,
        event: Some(Event::CustomerCreated(CustomerCreated {
            customer: Some(Customer {
                display_name: "Held".to_owned(),
                ..Default::default()
            }),
        })),
    };
    changefeed::append(&mut slow, "customer.created", "held", &held.encode_to_vec())
        .await
        .unwrap();

    // A fast writer commits meanwhile, with a later transaction and a later outbox id.
    create(&mut client, "Fast").await;
    let early = tokio::time::timeout(QUIET, feed.next()).await;
    assert!(
        early.is_err(),
        "nothing may be served past a running writer: {early:?}"
    );

    slow.commit().await.unwrap();
    assert_eq!(created_name(&next(&mut feed).await), "Held");
    assert_eq!(created_name(&next(&mut feed).await), "Fast");
}

#[tokio::test]
async fn a_reader_resumes_after_its_cursor_without_gaps_or_repeats() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    for name in ["A", "B", "C"] {
        create(&mut client, name).await;
    }
    let mut feed = subscribe(&mut client, None).await;
    next(&mut feed).await;
    let cursor = next(&mut feed).await.envelope.unwrap().cursor;
    drop(feed);

    let mut resumed = subscribe(
        &mut client,
        Some(change_feed_start::Position::AfterCursor(cursor)),
    )
    .await;
    assert_eq!(created_name(&next(&mut resumed).await), "C");
    create(&mut client, "D").await;
    assert_eq!(created_name(&next(&mut resumed).await), "D");
}

#[tokio::test]
async fn a_reader_starting_from_now_skips_what_committed_before_even_behind_a_slow_writer() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    // A transaction that has taken an id holds the horizon back while "Old" commits.
    let pool = app.schema_pool("customers").await;
    let mut slow = pool.begin().await.unwrap();
    sqlx::query("SELECT pg_current_xact_id()")
        .execute(&mut *slow)
        .await
        .unwrap();
    create(&mut client, "Old").await;

    let mut feed = subscribe(
        &mut client,
        Some(change_feed_start::Position::FromNow(true)),
    )
    .await;
    slow.rollback().await.unwrap();
    create(&mut client, "New").await;

    assert_eq!(created_name(&next(&mut feed).await), "New");
}

#[tokio::test]
async fn a_forged_cursor_is_refused() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let status = client
        .stream_changes(StreamChangesRequest {
            start: Some(ChangeFeedStart {
                position: Some(change_feed_start::Position::AfterCursor(
                    "eyJ0eGlkIjo5OTk5OTk5OSwiaWQiOjF9".to_owned(),
                )),
            }),
            event_types: Vec::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["start.after_cursor"]);
}

#[tokio::test]
async fn activity_status_and_tier_changes_reach_the_feed_in_order() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let customer = create(&mut client, "Busy Shipper").await;
    let mut feed = subscribe(
        &mut client,
        Some(change_feed_start::Position::FromNow(true)),
    )
    .await;

    client
        .record_activity(RecordActivityRequest {
            customer_id: customer.id.clone(),
            activity_id: "SO-1".to_owned(),
            occur_time: Some(prost_types::Timestamp {
                seconds: chrono::Utc::now().timestamp() - 60,
                nanos: 0,
            }),
            spend: Some(Money {
                currency_code: "CNY".to_owned(),
                amount_minor: 60_000_000,
            }),
        })
        .await
        .unwrap();

    let types: Vec<String> = [
        next(&mut feed).await,
        next(&mut feed).await,
        next(&mut feed).await,
    ]
    .into_iter()
    .map(|event| event.envelope.unwrap().event_type)
    .collect();
    assert_eq!(
        types,
        [
            "customer.activity_recorded",
            "customer.status_changed",
            "customer.tier_changed"
        ]
    );
}

/// A stream of the customers feed from the beginning, of `event_types` only.
async fn subscribe_to_types(
    client: &mut CustomersClient,
    event_types: &[&str],
) -> Streaming<StreamChangesResponse> {
    client
        .stream_changes(StreamChangesRequest {
            start: None,
            event_types: event_types.iter().map(ToString::to_string).collect(),
        })
        .await
        .expect("subscribing to some event types")
        .into_inner()
}

#[tokio::test]
async fn a_reader_of_some_types_gets_only_those_and_checkpoints_past_the_others() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let mut updates = subscribe_to_types(&mut client, &["customer.updated"]).await;
    let customer = create(&mut client, "Passed Over Ltd").await;

    // The creation is passed over; a checkpoint carries the cursor past it within a second.
    let checkpoint = next(&mut updates).await;
    assert_eq!(checkpoint.event, None, "a checkpoint carries no event");
    let envelope = checkpoint.envelope.expect("a checkpoint's envelope");
    assert!(!envelope.cursor.is_empty());
    assert!(envelope.occur_time.is_some());
    assert_eq!(
        (envelope.event_id.as_str(), envelope.event_type.as_str()),
        ("", "")
    );
    assert_eq!(envelope.resource_id, "");

    client
        .update_customer(UpdateCustomerRequest {
            customer: Some(Customer {
                id: customer.id.clone(),
                notes: "checked".to_owned(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .expect("updating the customer");
    let updated = next(&mut updates).await;
    assert!(matches!(updated.event, Some(Event::CustomerUpdated(_))));
    assert_eq!(updated.envelope.unwrap().resource_id, customer.id);

    // Every type again, from the checkpoint: what it passed over stays behind it.
    let mut resumed = subscribe(
        &mut client,
        Some(change_feed_start::Position::AfterCursor(envelope.cursor)),
    )
    .await;
    let first = next(&mut resumed).await;
    assert!(
        matches!(first.event, Some(Event::CustomerUpdated(_))),
        "the first event after the checkpoint is the update, not {first:?}"
    );
}

#[tokio::test]
async fn a_type_the_feed_does_not_carry_is_refused_naming_each_bad_entry() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let ask = |event_types: Vec<String>| StreamChangesRequest {
        start: None,
        event_types,
    };

    let status = client
        .stream_changes(ask(vec![
            "customer.created".to_owned(),
            "order.created".to_owned(),
            "customer.created\u{7}".to_owned(),
        ]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        ["event_types[1]", "event_types[2]"]
    );

    let status = client
        .stream_changes(ask(vec!["customer.created".to_owned(); 33]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["event_types"]);
}

/// Whether `listener` hears a notification within `wait`.
async fn heard_within(listener: &mut PgListener, wait: Duration) -> bool {
    tokio::time::timeout(wait, listener.recv()).await.is_ok()
}

#[tokio::test]
async fn announcements_in_a_burst_share_a_notification_and_the_last_is_never_lost() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool("customers").await;
    let shutdown = CancellationToken::new();
    let feed = ChangeFeed::start(
        pool.clone(),
        "burst_probe",
        TokenKey::random(),
        "logistics.test",
        shutdown.clone(),
    );
    let mut listener = PgListener::connect_with(&pool).await.expect("a listener");
    listener
        .listen("logistics_changes.burst_probe")
        .await
        .expect("listening");
    feed.announcer().announce();
    assert!(heard_within(&mut listener, Duration::from_secs(5)).await);
    // A commit every 2 ms: without a gap between NOTIFYs, each would make its own.
    let started = std::time::Instant::now();
    for _ in 0..20 {
        feed.announcer().announce();
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let burst = started.elapsed();
    assert!(
        heard_within(&mut listener, Duration::from_secs(5)).await,
        "the burst is announced"
    );
    let mut heard = 1;
    while heard_within(&mut listener, QUIET).await {
        heard += 1;
    }
    let allowed = burst.as_millis() / changefeed::ANNOUNCE_GAP.as_millis() + 2;
    assert!(
        heard <= allowed,
        "20 announcements in {burst:?} made {heard} notifications, more than {allowed}"
    );
    shutdown.cancel();
}
