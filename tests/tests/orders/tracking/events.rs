//! Recording events: duplicates, late events, illegal moves, batch limits and the stream.

use chrono::{Datelike as _, Duration, Months, NaiveDate, Utc};
use logistics_contracts::common::{ChangeFeedStart, change_feed_start};
use logistics_contracts::orders::stream_changes_response::Event;
use logistics_contracts::orders::{
    ConfirmOrderRequest, CreateOrderRequest, GetTrackingRequest, OrderStatus,
    RecordTrackingEventsRequest, RejectionReason, SchedulePickupRequest, StreamChangesRequest,
    StreamTrackingEventsRequest, TrackingEventCode as Code, TrackingEventOutcome as Outcome,
};
use logistics_platform::time::timestamp;
use logistics_tests::orders::{road_order, window_in};
use logistics_tests::{TestApp, order_in_status, request_id, violated_fields};
use tokio_stream::StreamExt as _;
use tonic::Code as GrpcCode;

use super::{customer_of, record, scan, tracking};

#[tokio::test]
async fn duplicate_events_are_ignored_with_a_per_event_duplicate() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::PickupScheduled, &[]).await;
    let mut client = app.tracking_client().await;
    let batch = vec![
        scan(&number, "e-1", Code::PickedUp, 30),
        scan(&number, "e-2", Code::ArrivedAtHub, 20),
        scan(&number, "e-1", Code::PickedUp, 30),
    ];

    let first = record(&mut client, batch.clone()).await;
    let outcomes: Vec<i32> = first.results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [
            Outcome::Accepted as i32,
            Outcome::Accepted as i32,
            Outcome::Duplicate as i32
        ]
    );
    assert_eq!((first.accepted_count, first.duplicate_count), (2, 1));

    let again = record(&mut client, batch).await;
    assert!(
        again
            .results
            .iter()
            .all(|r| r.outcome == Outcome::Duplicate as i32)
    );
    let tracking = tracking(&mut client, &number).await;
    assert_eq!(tracking.events.len(), 2);
    assert_eq!(tracking.status, OrderStatus::InTransit as i32);
}

#[tokio::test]
async fn an_event_resent_with_a_time_in_another_month_is_a_duplicate_but_another_source_is_not() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let mut orders = app.orders_client().await;
    let imported = orders
        .create_order(CreateOrderRequest {
            order: Some(road_order(&customer)),
            request_id: request_id(),
            import_create_time: Some(timestamp(Utc::now() - Duration::days(100))),
        })
        .await
        .expect("importing an order of 100 days ago")
        .into_inner();
    let (id, number) = (imported.id, imported.tracking_number);
    orders
        .confirm_order(ConfirmOrderRequest {
            id: id.clone(),
            etag: String::new(),
        })
        .await
        .expect("confirming the order");
    orders
        .schedule_pickup(SchedulePickupRequest {
            id,
            window: Some(window_in(24)),
            etag: String::new(),
        })
        .await
        .expect("scheduling its pickup");
    let mut client = app.tracking_client().await;
    // 99 days ago sits in the partition of old times; the correction in this month's.
    let minutes_ago = |days: i64| Duration::days(days).num_minutes();
    let first = record(
        &mut client,
        vec![scan(&number, "e-1", Code::PickedUp, minutes_ago(99))],
    )
    .await;
    assert_eq!(first.results[0].outcome, Outcome::Accepted as i32);

    let corrected = scan(&number, "e-1", Code::PickedUp, 10);
    let mut from_elsewhere = scan(&number, "e-1", Code::ArrivedAtHub, 5);
    from_elsewhere.source_name = "hub-pek-01".to_owned();
    let again = record(&mut client, vec![corrected, from_elsewhere]).await;

    let outcomes: Vec<i32> = again.results.iter().map(|r| r.outcome).collect();
    assert_eq!(
        outcomes,
        [Outcome::Duplicate as i32, Outcome::Accepted as i32]
    );
    let tracking = tracking(&mut client, &number).await;
    assert_eq!(tracking.events.len(), 2);
}

#[tokio::test]
async fn event_partitions_run_from_last_month_to_next_and_no_further() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool("orders").await;
    let partitions: Vec<String> = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'tracking_events'::regclass ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .expect("listing the partitions");

    // Each month after next would be one more empty partition for every lookup to search.
    let this_month = Utc::now()
        .date_naive()
        .with_day(1)
        .expect("the first of a month");
    let month = |date: Option<NaiveDate>| {
        format!("tracking_events_{}", date.expect("a month").format("%Y%m"))
    };
    assert_eq!(
        partitions,
        [
            month(this_month.checked_sub_months(Months::new(1))),
            month(Some(this_month)),
            month(this_month.checked_add_months(Months::new(1))),
            "tracking_events_default".to_owned(),
        ]
    );
}

#[tokio::test]
async fn a_late_event_is_stored_in_time_order_without_moving_the_status_back() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::PickupScheduled, &[]).await;
    let mut client = app.tracking_client().await;
    record(
        &mut client,
        vec![
            scan(&number, "pickup", Code::PickedUp, 60),
            scan(&number, "out", Code::OutForDelivery, 10),
        ],
    )
    .await;

    let late = record(
        &mut client,
        vec![scan(&number, "hub", Code::ArrivedAtHub, 30)],
    )
    .await;
    assert_eq!(late.results[0].outcome, Outcome::Accepted as i32);
    assert!(late.results[0].late);
    assert_eq!(
        late.results[0].applied_status,
        OrderStatus::Unspecified as i32
    );

    let tracking = tracking(&mut client, &number).await;
    assert_eq!(tracking.status, OrderStatus::OutForDelivery as i32);
    let ids: Vec<&str> = tracking
        .events
        .iter()
        .map(|e| e.client_event_id.as_str())
        .collect();
    assert_eq!(ids, ["pickup", "hub", "out"]);
    assert!(tracking.events[1].late);
    assert!(tracking.pickup_time.is_some());
    assert!(tracking.events.iter().all(|e| e.receive_time.is_some()));
}

#[tokio::test]
async fn each_illegal_transition_is_refused_and_the_rest_of_the_batch_is_recorded() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let mut client = app.tracking_client().await;
    // (status of the order, event, expected reason)
    let cases = [
        (
            OrderStatus::Created,
            Code::PickedUp,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::Confirmed,
            Code::ArrivedAtHub,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::Confirmed,
            Code::Exception,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::Confirmed,
            Code::Delayed,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::PickupScheduled,
            Code::OutForDelivery,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::PickupScheduled,
            Code::ReturnedToSender,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::InTransit,
            Code::PickedUp,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::Delivered,
            Code::InTransit,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::ReturnedToSender,
            Code::OutForDelivery,
            RejectionReason::IllegalTransition,
        ),
        (
            OrderStatus::Cancelled,
            Code::PickedUp,
            RejectionReason::OrderCancelled,
        ),
        (
            OrderStatus::OutForDelivery,
            Code::Delivered,
            RejectionReason::DeliveryNeedsProof,
        ),
    ];
    let mut batch = Vec::new();
    let mut numbers = Vec::new();
    for (at, (status, code, _)) in cases.iter().enumerate() {
        let (_, number) = order_in_status(&app, &customer, *status, &[]).await;
        batch.push(scan(&number, &format!("bad-{at}"), *code, 5));
        numbers.push(number);
    }
    // A good event in the same batch, an unknown number, a future time and a malformed event.
    let (_, good) = order_in_status(&app, &customer, OrderStatus::Confirmed, &[]).await;
    batch.push(scan(&good, "good", Code::PickedUp, 5));
    let unknown = logistics_orders::tracking_number(89_999_999_999).unwrap();
    batch.push(scan(&unknown, "unknown", Code::InTransit, 5));
    batch.push(scan(&good, "future", Code::InTransit, -60));
    let mut malformed = scan(&good, "", Code::Unspecified, 5);
    malformed.occur_time = None;
    batch.push(malformed);

    let response = record(&mut client, batch).await;
    for (at, (status, code, reason)) in cases.iter().enumerate() {
        let result = &response.results[at];
        assert_eq!(
            result.outcome,
            Outcome::Rejected as i32,
            "{status:?} + {code:?}"
        );
        assert_eq!(
            result.rejection_reason, *reason as i32,
            "{status:?} + {code:?}: {}",
            result.message
        );
    }
    let tail = &response.results[cases.len()..];
    assert_eq!(tail[0].outcome, Outcome::Accepted as i32);
    assert_eq!(tail[0].applied_status, OrderStatus::PickedUp as i32);
    assert_eq!(
        tail[1].rejection_reason,
        RejectionReason::UnknownTrackingNumber as i32
    );
    assert_eq!(tail[2].rejection_reason, RejectionReason::FutureTime as i32);
    assert_eq!(
        tail[3].rejection_reason,
        RejectionReason::InvalidEvent as i32
    );
    let fields: Vec<&str> = tail[3]
        .field_violations
        .iter()
        .map(|v| v.field.as_str())
        .collect();
    assert_eq!(fields, ["client_event_id", "code", "occur_time"]);
    assert_eq!(response.accepted_count, 1);

    // Nothing refused was stored, and the statuses did not move.
    let tracking = tracking(&mut client, &numbers[1]).await;
    assert!(tracking.events.is_empty());
    assert_eq!(tracking.status, OrderStatus::Confirmed as i32);
}

#[tokio::test]
async fn an_empty_batch_and_one_over_a_thousand_are_invalid_arguments() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let mut client = app.tracking_client().await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    for count in [0, 1001] {
        let events = (0..count)
            .map(|at| scan(&number, &format!("e-{at}"), Code::InTransit, 5))
            .collect();
        let status = client
            .record_tracking_events(RecordTrackingEventsRequest { events })
            .await
            .unwrap_err();
        assert_eq!(status.code(), GrpcCode::InvalidArgument, "{count} events");
        assert_eq!(violated_fields(&status), ["events"]);
    }
    let thousand = (0..1000)
        .map(|at| scan(&number, &format!("e-{at}"), Code::InTransit, 5))
        .collect();
    let response = record(&mut client, thousand).await;
    assert_eq!(response.accepted_count, 1000);
}

#[tokio::test]
async fn a_stream_of_events_is_recorded_in_batches_and_summed_up() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::PickupScheduled, &[]).await;
    let mut client = app.tracking_client_with(&app.keys.orders_tracker).await;
    let messages = vec![
        StreamTrackingEventsRequest {
            events: vec![scan(&number, "s-1", Code::PickedUp, 50)],
        },
        StreamTrackingEventsRequest {
            events: vec![
                scan(&number, "s-2", Code::ArrivedAtHub, 40),
                scan(&number, "s-1", Code::PickedUp, 50),
            ],
        },
        StreamTrackingEventsRequest {
            events: vec![
                scan(&number, "s-3", Code::PickedUp, 30),
                scan(&number, "s-4", Code::OutForDelivery, 20),
            ],
        },
    ];
    let summary = client
        .stream_tracking_events(tokio_stream::iter(messages))
        .await
        .expect("streaming events")
        .into_inner();
    assert_eq!(summary.received_count, 5);
    assert_eq!(summary.accepted_count, 3);
    assert_eq!(summary.duplicate_count, 1);
    assert_eq!(summary.rejected_count, 1);
    assert_eq!(summary.first_rejections[0].index, 3);
    assert_eq!(
        summary.first_rejections[0].rejection_reason,
        RejectionReason::IllegalTransition as i32
    );

    // The tracker key records but cannot read.
    let refused = client
        .get_tracking(GetTrackingRequest {
            tracking_number: number,
            max_events: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), GrpcCode::PermissionDenied);
}

#[tokio::test]
async fn a_bad_message_ends_a_stream_keeping_what_was_recorded_before_it() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::PickupScheduled, &[]).await;
    let mut client = app.tracking_client_with(&app.keys.orders_tracker).await;
    let (messages, outgoing) = tokio::sync::mpsc::channel(2);
    let first = StreamTrackingEventsRequest {
        events: vec![scan(&number, "s-1", Code::PickedUp, 50)],
    };
    messages.send(first).await.unwrap();
    let sent = tokio::spawn(async move {
        // Long past the stream's 50 ms flush: the first event is recorded before the bad message.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        messages
            .send(StreamTrackingEventsRequest { events: vec![] })
            .await
    });
    let refused = client
        .stream_tracking_events(tokio_stream::wrappers::ReceiverStream::new(outgoing))
        .await
        .expect_err("an empty message is refused");
    sent.await.unwrap().unwrap();
    assert_eq!(refused.code(), GrpcCode::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["events"]);
    assert!(
        refused
            .message()
            .contains("the 1 events before it were recorded"),
        "{}",
        refused.message()
    );
    let mut reader = app.tracking_client().await;
    assert_eq!(tracking(&mut reader, &number).await.events.len(), 1);
}

#[tokio::test]
async fn tracking_changes_appear_in_the_orders_change_feed() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (id, number) = order_in_status(&app, &customer, OrderStatus::PickupScheduled, &[]).await;
    let mut feed = app
        .orders_client()
        .await
        .stream_changes(StreamChangesRequest {
            start: Some(ChangeFeedStart {
                position: Some(change_feed_start::Position::FromNow(true)),
            }),
            event_types: Vec::new(),
        })
        .await
        .expect("following the change feed")
        .into_inner();
    let mut client = app.tracking_client().await;
    record(
        &mut client,
        vec![
            scan(&number, "c-1", Code::PickedUp, 50),
            scan(&number, "c-2", Code::RouteChanged, 40),
            scan(&number, "c-3", Code::ReturnedToSender, 30),
        ],
    )
    .await;

    let mut types = Vec::new();
    while types.len() < 5 {
        let change = tokio::time::timeout(std::time::Duration::from_secs(10), feed.next())
            .await
            .expect("a change within 10 s")
            .expect("the feed goes on")
            .expect("a change");
        let envelope = change.envelope.unwrap();
        assert_eq!(envelope.resource_id, id);
        types.push(envelope.event_type);
        if let Some(Event::OrderStatusChanged(changed)) = change.event {
            assert!(changed.change_time.is_some());
            assert!(!changed.cause.is_empty());
        }
    }
    assert_eq!(
        types,
        [
            "order.status_changed",
            "order.picked_up",
            "order.route_changed",
            "order.status_changed",
            "order.returned",
        ]
    );
}
