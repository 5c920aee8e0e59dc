//! WatchTracking: the current state first, then live events, until a final status.

use std::time::Duration;

use logistics_contracts::orders::{
    DeliveryImage, OrderStatus, RecordDeliveryRequest, TrackingEventCode as Code,
    WatchTrackingRequest, WatchTrackingResponse, watch_tracking_response::Update,
};
use logistics_tests::{TestApp, order_in_status};
use tokio_stream::StreamExt as _;

use super::{customer_of, record, scan};

/// The next message of a watch, waiting at most 10 seconds.
async fn next(
    stream: &mut tonic::Streaming<WatchTrackingResponse>,
) -> Option<Result<WatchTrackingResponse, tonic::Status>> {
    tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("a message within 10 s")
}

#[tokio::test]
async fn watch_tracking_receives_live_events_and_ends_at_a_final_status() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::PickupScheduled, &[]).await;
    let mut client = app.tracking_client().await;
    let mut watcher = app.tracking_client().await;
    let mut stream = watcher
        .watch_tracking(WatchTrackingRequest {
            tracking_number: number.clone(),
        })
        .await
        .expect("watching")
        .into_inner();

    let first = next(&mut stream).await.unwrap().unwrap();
    let Some(Update::Snapshot(snapshot)) = first.update else {
        panic!("the first message is the snapshot: {first:?}");
    };
    assert_eq!(snapshot.status, OrderStatus::PickupScheduled as i32);

    record(&mut client, vec![scan(&number, "w-1", Code::PickedUp, 1)]).await;
    let picked = next(&mut stream).await.unwrap().unwrap();
    assert_eq!(picked.status, OrderStatus::PickedUp as i32);
    let Some(Update::Event(event)) = picked.update else {
        panic!("an event: {picked:?}");
    };
    assert_eq!(event.client_event_id, "w-1");

    client
        .record_delivery(RecordDeliveryRequest {
            tracking_number: number,
            signed_by: "Wang Fang".to_owned(),
            signature: Some(DeliveryImage {
                content_type: "image/png".to_owned(),
                content: b"\x89PNG\r\n\x1a\nsignature".to_vec(),
            }),
            ..Default::default()
        })
        .await
        .expect("recording the delivery");
    let delivered = next(&mut stream).await.unwrap().unwrap();
    assert_eq!(delivered.status, OrderStatus::Delivered as i32);
    assert!(matches!(delivered.update, Some(Update::Event(e)) if e.code == Code::Delivered as i32));
    assert!(
        next(&mut stream).await.is_none(),
        "the watch ends at DELIVERED"
    );
}

#[tokio::test]
async fn watching_a_finished_shipment_sends_its_state_and_ends() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::Cancelled, &[]).await;
    let mut watcher = app.tracking_client().await;
    let mut stream = watcher
        .watch_tracking(WatchTrackingRequest {
            tracking_number: number,
        })
        .await
        .unwrap()
        .into_inner();
    let first = stream.next().await.unwrap().unwrap();
    assert_eq!(first.status, OrderStatus::Cancelled as i32);
    assert!(stream.next().await.is_none());
}

#[tokio::test]
async fn a_watch_ends_with_unavailable_when_the_server_shuts_down() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    let mut watcher = app.tracking_client().await;
    let mut stream = watcher
        .watch_tracking(WatchTrackingRequest {
            tracking_number: number,
        })
        .await
        .unwrap()
        .into_inner();
    stream.next().await.unwrap().unwrap();
    app.begin_shutdown();
    let ended = tokio::time::timeout(Duration::from_secs(10), stream.next())
        .await
        .expect("the watch ends promptly");
    assert_eq!(ended.unwrap().unwrap_err().code(), tonic::Code::Unavailable);
}

#[tokio::test]
async fn a_watch_ends_as_soon_as_the_order_is_cancelled() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let (order_id, number) = order_in_status(&app, &customer, OrderStatus::Confirmed, &[]).await;
    let mut watcher = app.tracking_client().await;
    let mut stream = watcher
        .watch_tracking(WatchTrackingRequest {
            tracking_number: number,
        })
        .await
        .unwrap()
        .into_inner();
    next(&mut stream).await.unwrap().unwrap();

    app.orders_client()
        .await
        .cancel_order(logistics_contracts::orders::CancelOrderRequest {
            id: order_id,
            reason: "no longer needed".to_owned(),
            etag: String::new(),
        })
        .await
        .expect("cancelling");
    // Well before the watchers' periodic re-check: the cancellation itself wakes them.
    while let Some(message) = next(&mut stream).await {
        assert_eq!(message.unwrap().status, OrderStatus::Cancelled as i32);
    }
}
