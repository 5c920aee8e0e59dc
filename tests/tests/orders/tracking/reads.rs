//! Reading tracking: one number, a batch of up to 30, and by customer reference.

use logistics_contracts::orders::{
    BatchGetTrackingRequest, GetTrackingRequest, OrderStatus, SearchTrackingByReferenceRequest,
    TrackingEventCode as Code,
};
use logistics_tests::{TestApp, TrackingClient, order_in_status, reason, violated_fields};
use tonic::Code as GrpcCode;

use super::{customer_of, record, scan};

#[tokio::test]
async fn batch_get_tracking_answers_thirty_numbers_and_refuses_thirty_one() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let mut client = app.tracking_client().await;
    let (_, known) = order_in_status(&app, &customer, OrderStatus::PickupScheduled, &[]).await;
    record(&mut client, vec![scan(&known, "p", Code::PickedUp, 5)]).await;
    let mut numbers: Vec<String> = (0..29)
        .map(|at| logistics_orders::tracking_number(80_000_000_000 + at).unwrap())
        .collect();
    numbers.insert(7, known.clone());

    let response = client
        .batch_get_tracking(BatchGetTrackingRequest {
            tracking_numbers: numbers.clone(),
            max_events: 0,
        })
        .await
        .expect("30 numbers are fine")
        .into_inner();
    assert_eq!(response.entries.len(), 30);
    let found: Vec<usize> = (0..30).filter(|&at| response.entries[at].found).collect();
    assert_eq!(found, [7]);
    let tracking = response.entries[7].tracking.as_ref().unwrap();
    assert_eq!(tracking.tracking_number, known);
    assert_eq!(tracking.events.len(), 1);
    assert!(response.entries[0].tracking.is_none());

    numbers.push(logistics_orders::tracking_number(1).unwrap());
    let refused = client
        .batch_get_tracking(BatchGetTrackingRequest {
            tracking_numbers: numbers,
            max_events: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), GrpcCode::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["tracking_numbers"]);
}

#[tokio::test]
async fn get_tracking_refuses_a_malformed_number_and_reports_an_unknown_one() {
    let app = TestApp::spawn().await;
    let mut client = app.tracking_client_with(&app.keys.orders_reader).await;
    let malformed = client
        .get_tracking(GetTrackingRequest {
            tracking_number: "123456789012".to_owned(),
            max_events: -1,
        })
        .await
        .unwrap_err();
    assert_eq!(malformed.code(), GrpcCode::InvalidArgument);
    assert_eq!(
        violated_fields(&malformed),
        ["tracking_number", "max_events"]
    );

    let unknown = client
        .get_tracking(GetTrackingRequest {
            tracking_number: logistics_orders::tracking_number(42).unwrap(),
            max_events: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), GrpcCode::NotFound);
    assert_eq!(reason(&unknown), "TRACKING_NUMBER_NOT_FOUND");
}

/// A shipment in transit with five hub scans, "h-0" (the oldest) to "h-4", recorded after the
/// events of its status changes; and the client that recorded them.
async fn in_transit_with_five_hub_scans(app: &TestApp) -> (TrackingClient, String) {
    let customer = customer_of(app).await;
    let mut client = app.tracking_client().await;
    let (_, number) = order_in_status(app, &customer, OrderStatus::InTransit, &[]).await;
    let events = (0..5)
        .map(|at| scan(&number, &format!("h-{at}"), Code::ArrivedAtHub, 50 - at))
        .collect();
    record(&mut client, events).await;
    (client, number)
}

#[tokio::test]
async fn get_tracking_bounds_the_events_and_says_older_ones_exist() {
    let app = TestApp::spawn().await;
    let (mut client, number) = in_transit_with_five_hub_scans(&app).await;
    let tracking = client
        .get_tracking(GetTrackingRequest {
            tracking_number: number,
            max_events: 3,
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = tracking
        .events
        .iter()
        .map(|e| e.client_event_id.as_str())
        .collect();
    assert_eq!(ids, ["h-2", "h-3", "h-4"]);
    assert!(tracking.has_older_events);
}

#[tokio::test]
async fn a_shipment_read_again_from_memory_shows_as_many_events_as_each_call_asks() {
    let app = TestApp::spawn().await;
    let (mut client, number) = in_transit_with_five_hub_scans(&app).await;

    // The first read fills the cache; each later one is answered from the kept shipment.
    let all = |asked: i32| GetTrackingRequest {
        tracking_number: number.clone(),
        max_events: asked,
    };
    let total = client.get_tracking(all(0)).await.unwrap().into_inner();
    let total = total.events.len();
    assert!(
        total >= 5,
        "the five scans and the status changes before them"
    );
    for (asked, shown, older) in [
        (3, 3, true),
        (0, total, false),
        (total, total, false),
        (total - 1, total - 1, true),
        (3, 3, true),
    ] {
        let tracking = client
            .get_tracking(all(asked as i32))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(tracking.events.len(), shown, "max_events {asked}");
        assert_eq!(tracking.has_older_events, older, "max_events {asked}");
        assert_eq!(tracking.events.last().unwrap().client_event_id, "h-4");
    }
    let unknown = logistics_orders::tracking_number(80_000_000_001).unwrap();
    let batch = client
        .batch_get_tracking(BatchGetTrackingRequest {
            tracking_numbers: vec![number.clone(), unknown.clone(), number.clone()],
            max_events: 2,
        })
        .await
        .unwrap()
        .into_inner();
    let entries: Vec<(&str, bool, usize)> = batch
        .entries
        .iter()
        .map(|entry| {
            let shown = entry.tracking.as_ref().map_or(0, |t| t.events.len());
            (entry.tracking_number.as_str(), entry.found, shown)
        })
        .collect();
    assert_eq!(
        entries,
        [
            (number.as_str(), true, 2),
            (unknown.as_str(), false, 0),
            (number.as_str(), true, 2)
        ]
    );
}

#[tokio::test]
async fn tracking_is_found_by_customer_reference_page_by_page() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let mut client = app.tracking_client().await;
    let mut numbers = Vec::new();
    for _ in 0..3 {
        let (_, number) =
            order_in_status(&app, &customer, OrderStatus::InTransit, &["PO-7731", "X"]).await;
        numbers.push(number);
    }
    order_in_status(&app, &customer, OrderStatus::InTransit, &["PO-7732"]).await;

    let mut seen = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .search_tracking_by_reference(SearchTrackingByReferenceRequest {
                customer_reference: "PO-7731".to_owned(),
                page_size: 2,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        seen.extend(page.trackings.into_iter().map(|t| t.tracking_number));
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    seen.sort();
    numbers.sort();
    assert_eq!(seen, numbers);

    let refused = client
        .search_tracking_by_reference(SearchTrackingByReferenceRequest {
            customer_reference: String::new(),
            customer_id: "not-a-uuid".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["customer_reference", "customer_id"]
    );
}
