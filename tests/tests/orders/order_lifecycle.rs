//! A shipment's whole life, from quote to proof of delivery, across the real orders and customers
//! services, and what the customer's record learns from it (DOMAIN.md): an individual shipping three
//! times in 30 days becomes FREQUENT (a KEY customer), earns a point per 10 CNY, and is owed a
//! thank-you call within 24 hours of each delivery.

use std::time::Duration;

use chrono::Utc;
use logistics_contracts::common::TransportMode;
use logistics_contracts::customers::{
    CustomerStatus, CustomerTier, FollowUpFilter, FollowUpReason, FollowUpStatus,
    GetCustomerRequest, GetLoyaltyAccountRequest, ListFollowUpsRequest, ValueClass,
};
use logistics_contracts::orders::{
    ConfirmOrderRequest, DeliveryImage, DispatchVehicleRequest, GetOrderRequest,
    GetProofOfDeliveryRequest, GetTrackingRequest, Order, OrderStatus, QuoteShipmentRequest,
    RecordDeliveryRequest, RecordTrackingEventsRequest, SchedulePickupRequest, TrackingEvent,
    TrackingEventCode, TrackingEventOutcome, TrackingEventSource,
};
use logistics_platform::time::timestamp;
use logistics_tests::orders::{place_order, road_order, window_in};
use logistics_tests::{TestApp, create_customer, individual};

/// A hub scan of `code`, `minutes_ago` minutes ago.
fn scan(order: &Order, code: TrackingEventCode, minutes_ago: i64) -> TrackingEvent {
    TrackingEvent {
        client_event_id: format!("{}-{}", order.order_number, code.as_str_name()),
        tracking_number: order.tracking_number.clone(),
        code: code.into(),
        occur_time: Some(timestamp(
            Utc::now() - chrono::Duration::minutes(minutes_ago),
        )),
        source: TrackingEventSource::Scanner.into(),
        source_name: "hub-sha-07".to_owned(),
        ..TrackingEvent::default()
    }
}

/// Quotes, places, confirms, schedules, dispatches, moves and delivers one road shipment for
/// `customer_id`; returns the delivered order.
async fn ship_from_quote_to_proof_of_delivery(app: &TestApp, customer_id: &str) -> Order {
    let mut quotes = app.orders_quotes_client().await;
    let mut orders = app.orders_client().await;
    let mut tracking = app.tracking_client().await;
    let draft = road_order(customer_id);

    let quote = quotes
        .quote_shipment(QuoteShipmentRequest {
            mode: TransportMode::Road.into(),
            origin: draft.origin.clone(),
            destination: draft.destination.clone(),
            cargo: draft.cargo.clone(),
            ..QuoteShipmentRequest::default()
        })
        .await
        .expect("a quote")
        .into_inner();
    let order = place_order(&mut orders, draft).await;
    assert_eq!(
        order
            .quote
            .as_ref()
            .and_then(|accepted| accepted.price.clone()),
        quote.price,
        "the order is priced as quoted"
    );

    orders
        .confirm_order(ConfirmOrderRequest {
            id: order.id.clone(),
            etag: order.etag.clone(),
        })
        .await
        .expect("confirming");
    orders
        .schedule_pickup(SchedulePickupRequest {
            id: order.id.clone(),
            window: Some(window_in(24)),
            etag: String::new(),
        })
        .await
        .expect("scheduling the pickup");
    orders
        .dispatch_vehicle(DispatchVehicleRequest {
            id: order.id.clone(),
            vehicle_id: "沪A·12345".to_owned(),
            driver_name: "Wang Wei".to_owned(),
            dispatch_time: None,
        })
        .await
        .expect("dispatching a vehicle");

    let recorded = tracking
        .record_tracking_events(RecordTrackingEventsRequest {
            events: vec![
                scan(&order, TrackingEventCode::PickedUp, 50),
                scan(&order, TrackingEventCode::DepartedHub, 40),
                scan(&order, TrackingEventCode::ArrivedAtHub, 20),
                scan(&order, TrackingEventCode::OutForDelivery, 10),
            ],
        })
        .await
        .expect("recording the scans")
        .into_inner();
    assert!(
        recorded
            .results
            .iter()
            .all(|result| result.outcome() == TrackingEventOutcome::Accepted),
        "{recorded:?}"
    );
    let on_its_way = tracking
        .get_tracking(GetTrackingRequest {
            tracking_number: order.tracking_number.clone(),
            max_events: 0,
        })
        .await
        .expect("tracking")
        .into_inner();
    assert_eq!(on_its_way.status(), OrderStatus::OutForDelivery);
    assert_eq!(on_its_way.events.len(), 4);

    tracking
        .record_delivery(RecordDeliveryRequest {
            tracking_number: order.tracking_number.clone(),
            signed_by: "Li Na".to_owned(),
            signature: Some(DeliveryImage {
                content_type: "image/png".to_owned(),
                content: b"\x89PNG\r\n\x1a\nsignature".to_vec(),
            }),
            ..RecordDeliveryRequest::default()
        })
        .await
        .expect("recording the delivery");
    let proof = tracking
        .get_proof_of_delivery(GetProofOfDeliveryRequest {
            tracking_number: order.tracking_number.clone(),
            ..GetProofOfDeliveryRequest::default()
        })
        .await
        .expect("the proof of delivery")
        .into_inner();
    assert_eq!(proof.signed_by, "Li Na");
    assert!(proof.on_time, "delivered well within the promise");

    let delivered = orders
        .get_order(GetOrderRequest { id: order.id })
        .await
        .expect("the order")
        .into_inner();
    assert_eq!(delivered.status(), OrderStatus::Delivered);
    assert!(delivered.pickup_time.is_some() && delivered.delivery_time.is_some());
    delivered
}

#[tokio::test]
async fn three_shipments_from_quote_to_proof_of_delivery_make_an_individual_frequent_with_points_and_thank_you_calls()
 {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let customer = create_customer(&mut customers, individual("Li Na")).await;
    assert_eq!(customer.status(), CustomerStatus::Prospect);
    assert_eq!(customer.tier(), CustomerTier::Occasional);

    let mut delivered = Vec::new();
    for _ in 0..3 {
        delivered.push(ship_from_quote_to_proof_of_delivery(&app, &customer.id).await);
    }

    // The customers service learns from the orders feed, a moment later.
    let graded = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            let current = customers
                .get_customer(GetCustomerRequest {
                    id: customer.id.clone(),
                })
                .await
                .expect("the customer")
                .into_inner();
            if current.tier() == CustomerTier::Frequent {
                break current;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await
    .expect("three deliveries in 30 days make an individual FREQUENT");
    assert_eq!(graded.status(), CustomerStatus::Active);
    assert_eq!(graded.value_class(), ValueClass::Key);
    assert_eq!(
        graded.last_shipment_time,
        delivered.last().unwrap().delivery_time,
        "the last shipment is the last delivery"
    );

    let points = app
        .loyalty_client()
        .await
        .get_loyalty_account(GetLoyaltyAccountRequest {
            customer_id: customer.id.clone(),
        })
        .await
        .expect("the loyalty account")
        .into_inner();
    let expected: i64 = delivered
        .iter()
        .map(|order| {
            order
                .quote
                .as_ref()
                .unwrap()
                .price
                .as_ref()
                .unwrap()
                .amount_minor
                / 1000
        })
        .sum();
    assert!(expected > 0);
    assert_eq!(
        points.balance, expected,
        "1 point per 10 CNY of each delivered price"
    );

    let follow_ups = app
        .engagement_client()
        .await
        .list_follow_ups(ListFollowUpsRequest {
            filter: Some(FollowUpFilter {
                customer_id: customer.id.clone(),
                ..FollowUpFilter::default()
            }),
            ..ListFollowUpsRequest::default()
        })
        .await
        .expect("the follow-ups")
        .into_inner()
        .follow_ups;
    let thank_yous: Vec<_> = follow_ups
        .iter()
        .filter(|follow_up| follow_up.reason() == FollowUpReason::ThankYouAfterDelivery)
        .collect();
    assert_eq!(
        thank_yous.len(),
        3,
        "one thank-you per delivery: {follow_ups:?}"
    );
    for order in &delivered {
        let delivery = order.delivery_time.unwrap();
        let due = prost_types::Timestamp {
            seconds: delivery.seconds + 24 * 3600,
            nanos: delivery.nanos,
        };
        assert!(
            thank_yous
                .iter()
                .any(|follow_up| follow_up.due_time.as_ref() == Some(&due)
                    && follow_up.status() == FollowUpStatus::Scheduled),
            "a thank-you due 24 h after {}'s delivery",
            order.order_number
        );
    }
}

/// A name stored in an enum's text column that the code does not know fails the read, saying
/// which enum and which name; known names read as the enum.
#[tokio::test]
async fn a_stored_enum_reads_its_names_and_refuses_unknown_ones() {
    use logistics_orders::OrderStatus as Status;
    use logistics_platform::stored::Stored;

    let app = TestApp::spawn().await;
    let pool = app.schema_pool("orders").await;
    let known: Stored<Status> = sqlx::query_scalar("SELECT 'IN_TRANSIT'::text")
        .fetch_one(&pool)
        .await
        .expect("a known name");
    assert_eq!(known.get(), Status::InTransit);
    let error = sqlx::query_scalar::<_, Stored<Status>>("SELECT 'LOST'::text")
        .fetch_one(&pool)
        .await
        .expect_err("an unknown name");
    assert!(
        error.to_string().contains(r#"unknown OrderStatus "LOST""#),
        "{error}"
    );
    let written: String = sqlx::query_scalar("SELECT $1")
        .bind(Stored(Status::PickedUp))
        .fetch_one(&pool)
        .await
        .expect("a stored enum as a parameter");
    assert_eq!(written, "PICKED_UP");
}
