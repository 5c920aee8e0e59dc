//! Proactive cases: the company reaches the customer before the customer complains, from what
//! the orders feed tells the complaints service.

use std::time::Duration;

use logistics_contracts::complaints::{
    Complaint, ComplaintCategory, ComplaintChannel, ComplaintFilter, ComplaintKind,
    ListComplaintsRequest,
};
use logistics_contracts::orders::{
    OrderStatus, RecordDeliveryRequest, RecordTrackingEventsRequest, TrackingEvent,
    TrackingEventCode, TrackingEventSource,
};
use logistics_platform::time::timestamp;
use logistics_tests::complaints::{ComplaintsClient, complaint, file};
use logistics_tests::orders::{order_in_status, place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise};

/// The complaints about `order` (a tracking number), once `count` of them exist.
async fn wait_for_cases(
    complaints: &mut ComplaintsClient,
    order: &str,
    count: usize,
) -> Vec<Complaint> {
    let request = ListComplaintsRequest {
        filter: Some(ComplaintFilter {
            order_id: order.to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    };
    for _ in 0..150 {
        let listed = complaints
            .list_complaints(request.clone())
            .await
            .unwrap()
            .into_inner()
            .complaints;
        if listed.len() >= count {
            return listed;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no {count} complaints about {order} within 15 s");
}

/// Delivers the order out for delivery under `tracking`, with `damaged` damaged pieces.
async fn deliver(app: &TestApp, tracking: &str, damaged: i32) {
    app.tracking_client()
        .await
        .record_delivery(RecordDeliveryRequest {
            tracking_number: tracking.to_owned(),
            signed_by: "Wang Fang".to_owned(),
            delivery_time: Some(timestamp(chrono::Utc::now() - chrono::Duration::minutes(5))),
            damaged_pieces: damaged,
            ..Default::default()
        })
        .await
        .expect("recording the delivery");
}

#[tokio::test]
async fn a_damaged_delivery_opens_a_case_for_the_account_manager() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let (order_id, tracking) =
        order_in_status(&app, &customer.id, OrderStatus::OutForDelivery, &[]).await;
    deliver(&app, &tracking, 2).await;

    let mut complaints = app.complaints_client().await;
    let cases = wait_for_cases(&mut complaints, &tracking, 1).await;
    let case = &cases[0];
    assert_eq!(case.channel(), ComplaintChannel::Proactive);
    assert_eq!(case.kind(), ComplaintKind::Complaint);
    assert_eq!(case.category(), ComplaintCategory::Damage);
    assert_eq!(case.customer_id, customer.id);
    assert_eq!(case.order_id, order_id);
    assert_eq!(
        case.assigned_agent, "li.wei",
        "the customer's account manager"
    );
    assert_eq!(case.filed_by, "proactive");
    let delivery = case.evidence.as_ref().unwrap().delivery.unwrap();
    assert_eq!(delivery.damaged_pieces, 2);
}

#[tokio::test]
async fn a_clean_delivery_opens_nothing_and_an_open_complaint_keeps_a_second_case_away() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let (_, clean) = order_in_status(&app, &customer.id, OrderStatus::OutForDelivery, &[]).await;
    let (_, damaged) = order_in_status(&app, &customer.id, OrderStatus::OutForDelivery, &[]).await;
    let mut complaints = app.complaints_client().await;
    let mut first = complaint(
        &customer.id,
        ComplaintKind::Complaint,
        ComplaintCategory::Delay,
    );
    first.order_id = damaged.clone();
    let filed = file(&mut complaints, first).await;

    deliver(&app, &clean, 0).await;
    deliver(&app, &damaged, 1).await;
    // A third order's damaged delivery, applied after the two above: once its case exists,
    // the feed has passed the others.
    let (_, marker) = order_in_status(&app, &customer.id, OrderStatus::OutForDelivery, &[]).await;
    deliver(&app, &marker, 1).await;
    wait_for_cases(&mut complaints, &marker, 1).await;

    assert!(wait_for_cases(&mut complaints, &clean, 0).await.is_empty());
    let about_damaged = wait_for_cases(&mut complaints, &damaged, 1).await;
    let ids: Vec<_> = about_damaged.iter().map(|c| c.id.clone()).collect();
    assert_eq!(
        ids,
        [filed.id],
        "the customer's own open complaint is the only one"
    );
}

#[tokio::test]
async fn a_shipment_in_exception_opens_a_delay_case() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let (_, tracking) = order_in_status(&app, &customer.id, OrderStatus::InTransit, &[]).await;
    app.tracking_client()
        .await
        .record_tracking_events(RecordTrackingEventsRequest {
            events: vec![TrackingEvent {
                client_event_id: "customs-hold-1".to_owned(),
                tracking_number: tracking.clone(),
                code: TrackingEventCode::Exception.into(),
                occur_time: Some(timestamp(chrono::Utc::now() - chrono::Duration::minutes(1))),
                source: TrackingEventSource::Scanner.into(),
                source_name: "hub-sha-07".to_owned(),
                description: "Held at customs".to_owned(),
                ..Default::default()
            }],
        })
        .await
        .unwrap();
    let mut complaints = app.complaints_client().await;
    let cases = wait_for_cases(&mut complaints, &tracking, 1).await;
    assert_eq!(cases[0].category(), ComplaintCategory::Delay);
    assert_eq!(cases[0].channel(), ComplaintChannel::Proactive);
    assert_eq!(
        cases[0].evidence.as_ref().unwrap().order_status(),
        OrderStatus::Exception
    );
}

#[tokio::test]
async fn new_orders_cost_the_follower_no_transaction_of_its_own_only_checkpoints() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    for _ in 0..3 {
        place_order(&mut orders, road_order(&customer.id)).await;
    }

    // Complaints asks the orders feed for deliveries and status changes only: the creations
    // are passed over, and a checkpoint moves its cursor past them.
    let pool = app.schema_pool("complaints").await;
    let mut stored = None;
    for _ in 0..150 {
        stored = sqlx::query_as::<_, (String, i64)>(
            "SELECT cursor, applied_events FROM feed_cursors WHERE feed = 'orders'",
        )
        .fetch_optional(&pool)
        .await
        .expect("reading the follower's cursor")
        .filter(|(cursor, _)| !cursor.is_empty());
        if stored.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (_, applied) = stored.expect("a checkpoint moved the cursor within 15 s");
    assert_eq!(applied, 0, "no event was handed to the handler");
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM feed_applied_events")
        .fetch_one(&pool)
        .await
        .expect("counting the recorded event ids");
    assert_eq!(recorded, 0, "no event id was recorded");
}
