//! tracking.events_recorded on the orders feed: one per stored batch, counting per order the
//! events stored and those received within 15 minutes of occurring (information timeliness).

use std::time::Duration;

use chrono::{DateTime, SubsecRound as _, Utc};
use logistics_contracts::common::{ChangeFeedStart, TransportMode, change_feed_start};
use logistics_contracts::orders::stream_changes_response::Event;
use logistics_contracts::orders::{
    OrderStatus, StreamChangesRequest, StreamChangesResponse, StreamTrackingEventsRequest,
    TrackingEventCode as Code, TrackingEventCounts, TrackingEventOutcome as Outcome,
    TrackingEventsRecorded,
};
use logistics_platform::time::from_timestamp;
use logistics_tests::{TestApp, order_in_status};
use tokio_stream::StreamExt as _;
use tonic::Streaming;
use uuid::Uuid;

use super::{customer_of, record, scan};

/// The orders feed from now on: what the orders set up before it wrote is not read.
async fn feed_from_now(app: &TestApp) -> Streaming<StreamChangesResponse> {
    app.orders_client()
        .await
        .stream_changes(StreamChangesRequest {
            start: Some(ChangeFeedStart {
                position: Some(change_feed_start::Position::FromNow(true)),
            }),
            event_types: Vec::new(),
        })
        .await
        .expect("following the change feed")
        .into_inner()
}

/// The next tracking.events_recorded on `feed`, with its envelope's resource id, passing over the
/// order-level events the batch also caused.
async fn next_recorded(
    feed: &mut Streaming<StreamChangesResponse>,
) -> (String, TrackingEventsRecorded) {
    loop {
        let change = tokio::time::timeout(Duration::from_secs(10), feed.next())
            .await
            .expect("a change within 10 s")
            .expect("the feed goes on")
            .expect("a change");
        let envelope = change.envelope.expect("an envelope");
        if let Some(Event::TrackingEventsRecorded(recorded)) = change.event {
            assert_eq!(envelope.event_type, "tracking.events_recorded");
            return (envelope.resource_id, recorded);
        }
        assert_ne!(envelope.event_type, "tracking.events_recorded");
    }
}

/// The counts expected for `order_id` of the kit's road order of `customer`.
fn counts(order_id: &str, customer: &str, events: i32, timely_events: i32) -> TrackingEventCounts {
    TrackingEventCounts {
        order_id: order_id.to_owned(),
        customer_id: customer.to_owned(),
        mode: TransportMode::Road.into(),
        origin_region_code: "310115".to_owned(),
        destination_region_code: "110105".to_owned(),
        events,
        timely_events,
    }
}

/// Orders' entries come in order id order.
fn by_order_id(mut entries: Vec<TrackingEventCounts>) -> Vec<TrackingEventCounts> {
    entries.sort_by(|a, b| a.order_id.cmp(&b.order_id));
    entries
}

fn record_time(recorded: &TrackingEventsRecorded) -> DateTime<Utc> {
    from_timestamp(recorded.record_time.as_ref().expect("a record time")).expect("a valid time")
}

#[tokio::test]
async fn a_batch_counts_per_order_the_stored_events_and_the_timely_ones() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (a_id, a) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    let (b_id, b) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    let mut client = app.tracking_client().await;
    record(&mut client, vec![scan(&a, "a-0", Code::ArrivedAtHub, 30)]).await;
    let mut feed = feed_from_now(&app).await;

    let mut invalid = scan(&b, "", Code::InTransit, 1);
    invalid.client_event_id.clear();
    // The server keeps microseconds.
    let before = Utc::now().trunc_subsecs(6);
    let response = record(
        &mut client,
        vec![
            scan(&a, "a-1", Code::DepartedHub, 20),
            scan(&a, "a-2", Code::ArrivedAtHub, 1),
            // Stored by an earlier batch, and repeated within this one.
            scan(&a, "a-0", Code::ArrivedAtHub, 30),
            scan(&a, "a-2", Code::ArrivedAtHub, 1),
            scan(&b, "b-1", Code::DepartedHub, 20),
            scan(&b, "b-2", Code::InTransit, 1),
            scan(&b, "b-3", Code::ArrivedAtHub, 1),
            // Rejected: DELIVERED takes RecordDelivery; an invalid event; an unknown shipment.
            scan(&b, "b-4", Code::Delivered, 1),
            invalid,
            scan("NO-SUCH-NUMBER", "x-1", Code::InTransit, 1),
        ],
    )
    .await;
    let after = Utc::now();
    let outcomes: Vec<i32> = response.results.iter().map(|r| r.outcome).collect();
    let (accepted, duplicate, rejected) = (
        Outcome::Accepted as i32,
        Outcome::Duplicate as i32,
        Outcome::Rejected as i32,
    );
    assert_eq!(
        outcomes,
        [
            accepted, accepted, duplicate, duplicate, accepted, accepted, accepted, rejected,
            rejected, rejected
        ]
    );

    let (resource_id, recorded) = next_recorded(&mut feed).await;
    assert_eq!(
        recorded.orders,
        by_order_id(vec![
            counts(&a_id, &customer, 2, 1),
            counts(&b_id, &customer, 3, 2),
        ])
    );
    let at = record_time(&recorded);
    assert!(
        before <= at && at <= after,
        "{at} not in [{before}, {after}]"
    );
    // A batch of its own, not one of its orders.
    resource_id.parse::<Uuid>().expect("a UUID resource id");
    assert!(resource_id != a_id && resource_id != b_id);

    // A batch that stores nothing writes no event: the next one read is the following batch's.
    record(&mut client, vec![scan(&a, "a-1", Code::DepartedHub, 20)]).await;
    record(&mut client, vec![scan(&b, "b-5", Code::InTransit, 16)]).await;
    let (_, next) = next_recorded(&mut feed).await;
    assert_eq!(next.orders, [counts(&b_id, &customer, 1, 0)]);
}

#[tokio::test]
async fn a_stream_writes_one_event_per_flushed_batch() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (a_id, a) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    let (b_id, b) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    let mut feed = feed_from_now(&app).await;
    let mut client = app.tracking_client_with(&app.keys.orders_tracker).await;

    // 500 events fill a batch, written as soon as they arrive; the rest is written at the end.
    let full = (0..500)
        .map(|at| {
            let minutes_ago = if at < 300 { 20 } else { 1 };
            scan(&a, &format!("s-{at}"), Code::InTransit, minutes_ago)
        })
        .collect();
    let messages = vec![
        StreamTrackingEventsRequest { events: full },
        StreamTrackingEventsRequest {
            events: vec![
                scan(&a, "s-0", Code::InTransit, 20),
                scan(&b, "t-1", Code::InTransit, 1),
                scan(&b, "t-2", Code::Delivered, 1),
            ],
        },
    ];
    let summary = client
        .stream_tracking_events(tokio_stream::iter(messages))
        .await
        .expect("streaming events")
        .into_inner();
    assert_eq!(
        (
            summary.accepted_count,
            summary.duplicate_count,
            summary.rejected_count
        ),
        (501, 1, 1)
    );

    let (_, first) = next_recorded(&mut feed).await;
    assert_eq!(first.orders, [counts(&a_id, &customer, 500, 200)]);
    let (_, second) = next_recorded(&mut feed).await;
    assert_eq!(second.orders, [counts(&b_id, &customer, 1, 1)]);
    assert!(record_time(&first) <= record_time(&second));

    // No third: the next one read is a later batch's.
    let mut recorder = app.tracking_client().await;
    record(&mut recorder, vec![scan(&a, "after", Code::InTransit, 1)]).await;
    let (_, later) = next_recorded(&mut feed).await;
    assert_eq!(later.orders, [counts(&a_id, &customer, 1, 1)]);
}
