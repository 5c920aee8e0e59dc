//! SchedulePickup, CancelPickup and DispatchVehicle, and the events they write.

use logistics_contracts::orders::{
    CancelPickupRequest, ConfirmOrderRequest, DispatchVehicleRequest, OrderStatus,
    SchedulePickupRequest, StreamChangesRequest, TimeWindow,
};
use logistics_platform::time::timestamp;
use logistics_tests::orders::{order_ready_for_pickup, place_order, road_order, window_in};
use logistics_tests::{TestApp, create_customer, enterprise, reason, violated_fields};
use tokio_stream::StreamExt as _;
use tonic::Code;

#[tokio::test]
async fn a_pickup_is_scheduled_dispatched_and_its_on_time_dispatch_recorded() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;

    let scheduled = order_ready_for_pickup(&mut orders, &customer.id).await;
    assert_eq!(scheduled.status(), OrderStatus::PickupScheduled);
    let pickup = scheduled.pickup.clone().expect("the pickup");
    assert!(!pickup.same_day, "tomorrow's window");
    assert!(pickup.dispatch_time.is_none());
    // The quote promised delivery from a pickup now; the scheduled window moves the promise.
    let window_start = pickup.window.as_ref().unwrap().start_time.unwrap();
    let transit_seconds = i64::from(scheduled.quote.as_ref().unwrap().transit_hours) * 3600;
    let promised = scheduled.promised_delivery_time.unwrap();
    assert_eq!(promised.seconds, window_start.seconds + transit_seconds);
    assert_eq!(
        scheduled.estimated_delivery_time,
        scheduled.promised_delivery_time
    );

    let dispatched = orders
        .dispatch_vehicle(DispatchVehicleRequest {
            id: scheduled.tracking_number.clone(),
            vehicle_id: "沪A·12345".to_owned(),
            driver_name: "Wang Wei".to_owned(),
            dispatch_time: None,
        })
        .await
        .expect("dispatching")
        .into_inner();
    let pickup = dispatched.pickup.clone().expect("the pickup");
    assert_eq!(pickup.vehicle_id, "沪A·12345");
    assert!(pickup.dispatch_time.is_some());
    assert_eq!(
        pickup.dispatched_on_time,
        Some(true),
        "left before the window opened"
    );
    assert_eq!(dispatched.status(), OrderStatus::PickupScheduled);

    let again = orders
        .dispatch_vehicle(DispatchVehicleRequest {
            id: scheduled.id.clone(),
            vehicle_id: "沪B·99999".to_owned(),
            ..DispatchVehicleRequest::default()
        })
        .await
        .expect_err("one vehicle per pickup");
    assert_eq!(reason(&again), "VEHICLE_DISPATCHED");
}

#[tokio::test]
async fn a_cancelled_pickup_returns_the_order_to_confirmed() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let scheduled = order_ready_for_pickup(&mut orders, &customer.id).await;

    let confirmed = orders
        .cancel_pickup(CancelPickupRequest {
            id: scheduled.id.clone(),
            reason: "warehouse closed".to_owned(),
            etag: scheduled.etag.clone(),
        })
        .await
        .expect("cancelling the pickup")
        .into_inner();
    assert_eq!(confirmed.status(), OrderStatus::Confirmed);
    assert!(confirmed.pickup.is_none());

    let nothing = orders
        .cancel_pickup(CancelPickupRequest {
            id: scheduled.id.clone(),
            reason: "again".to_owned(),
            etag: String::new(),
        })
        .await
        .expect_err("no pickup left to cancel");
    assert_eq!(nothing.code(), Code::FailedPrecondition);
    assert_eq!(reason(&nothing), "NO_PICKUP_SCHEDULED");
}

#[tokio::test]
async fn a_pickup_needs_a_confirmed_order_and_a_sensible_window() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let order = place_order(&mut orders, road_order(&customer.id)).await;

    let unconfirmed = orders
        .schedule_pickup(SchedulePickupRequest {
            id: order.id.clone(),
            window: Some(window_in(24)),
            etag: String::new(),
        })
        .await
        .expect_err("not confirmed yet");
    assert_eq!(unconfirmed.code(), Code::FailedPrecondition);
    assert_eq!(reason(&unconfirmed), "ILLEGAL_TRANSITION");

    orders
        .confirm_order(ConfirmOrderRequest {
            id: order.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let start = chrono::Utc::now() + chrono::Duration::hours(30);
    let bad_windows = [
        (None, "window"),
        (
            Some(TimeWindow {
                start_time: Some(timestamp(start)),
                end_time: Some(timestamp(start - chrono::Duration::hours(1))),
            }),
            "window.end_time",
        ),
        (
            Some(TimeWindow {
                start_time: Some(timestamp(start)),
                end_time: Some(timestamp(start + chrono::Duration::minutes(10))),
            }),
            "window.end_time",
        ),
        (Some(window_in(24 * 40)), "window.start_time"),
        (Some(window_in(-10)), "window.end_time"),
    ];
    for (window, field) in bad_windows {
        let refused = orders
            .schedule_pickup(SchedulePickupRequest {
                id: order.id.clone(),
                window,
                etag: String::new(),
            })
            .await
            .expect_err("a bad window");
        assert_eq!(refused.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&refused), [field]);
    }
}

#[tokio::test]
async fn order_changes_are_streamed_in_order_with_their_facts() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let scheduled = order_ready_for_pickup(&mut orders, &customer.id).await;
    orders
        .dispatch_vehicle(DispatchVehicleRequest {
            id: scheduled.id.clone(),
            vehicle_id: "沪A·12345".to_owned(),
            ..DispatchVehicleRequest::default()
        })
        .await
        .unwrap();

    let mut feed = orders
        .stream_changes(StreamChangesRequest::default())
        .await
        .expect("following the feed")
        .into_inner();
    let mut types = Vec::new();
    while types.len() < 6 {
        let event = tokio::time::timeout(std::time::Duration::from_secs(10), feed.next())
            .await
            .expect("events arrive")
            .expect("the feed stays open")
            .expect("an event");
        let envelope = event.envelope.expect("an envelope");
        assert_eq!(envelope.resource_id, scheduled.id);
        types.push(envelope.event_type);
    }
    assert_eq!(
        types,
        [
            "order.created",
            "order.confirmed",
            "order.status_changed",
            "order.pickup_scheduled",
            "order.status_changed",
            "order.vehicle_dispatched",
        ]
    );
}
