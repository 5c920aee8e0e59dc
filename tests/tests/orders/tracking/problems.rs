//! ListProblemShipments.

use chrono::{Duration, Utc};
use logistics_contracts::orders::{
    ListProblemShipmentsRequest, OrderStatus, ProblemReason, TrackingEventCode as Code,
};
use logistics_tests::{TestApp, order_in_status, set_promised_delivery_time, violated_fields};

use super::{customer_of, record, scan};

#[tokio::test]
async fn problem_shipments_are_exceptions_late_ones_and_those_that_stopped_moving() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let mut client = app.tracking_client().await;
    let (_, exception) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    let (late_id, late) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    set_promised_delivery_time(&app, &late_id, Utc::now() - Duration::hours(1)).await;
    let (_, still) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    let (_, healthy) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;
    let (delivered_id, delivered) =
        order_in_status(&app, &customer, OrderStatus::Delivered, &[]).await;
    set_promised_delivery_time(&app, &delivered_id, Utc::now() - Duration::hours(1)).await;
    record(
        &mut client,
        vec![
            scan(&exception, "x", Code::Exception, 5),
            scan(&late, "l", Code::DepartedHub, 5),
            scan(&still, "s", Code::ArrivedAtHub, 120),
            scan(&healthy, "h", Code::ArrivedAtHub, 5),
        ],
    )
    .await;

    let mut listed = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_problem_shipments(ListProblemShipmentsRequest {
                no_movement_seconds: 3600,
                page_size: 1,
                page_token: page_token.clone(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        listed.extend(page.shipments);
        if page.next_page_token.is_empty() {
            break;
        }
        page_token = page.next_page_token;
    }
    let reasons_of = |number: &str| {
        listed
            .iter()
            .find(|s| s.tracking.as_ref().unwrap().tracking_number == number)
            .map(|s| s.reasons.clone())
    };
    assert_eq!(
        reasons_of(&exception),
        Some(vec![ProblemReason::Exception as i32])
    );
    assert_eq!(reasons_of(&late), Some(vec![ProblemReason::Late as i32]));
    assert_eq!(
        reasons_of(&still),
        Some(vec![ProblemReason::NoMovement as i32])
    );
    assert_eq!(reasons_of(&healthy), None);
    assert_eq!(reasons_of(&delivered), None);
    assert_eq!(listed.len(), 3);

    // With the default threshold (24 hours) the two-hour-old scan is no problem.
    let default = client
        .list_problem_shipments(ListProblemShipmentsRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(default.shipments.len(), 2);

    let refused = client
        .list_problem_shipments(ListProblemShipmentsRequest {
            no_movement_seconds: 60,
            customer_id: "nope".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["customer_id", "no_movement_seconds"]
    );
}

#[tokio::test]
async fn a_no_movement_threshold_outside_one_hour_to_thirty_days_is_an_invalid_argument() {
    let app = TestApp::spawn().await;
    let mut client = app.tracking_client().await;
    let refused = [
        i64::MIN,
        i64::MAX,
        9_223_372_036_854_776,
        -9_223_372_036_854_776,
        i64::MAX / 1000 + 1,
        30 * 86_400 + 1,
        3599,
        -1,
        -3600,
    ];
    for seconds in refused {
        let status = client
            .list_problem_shipments(ListProblemShipmentsRequest {
                no_movement_seconds: seconds,
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            tonic::Code::InvalidArgument,
            "{seconds}: {status:?}"
        );
        assert_eq!(
            violated_fields(&status),
            ["no_movement_seconds"],
            "{seconds}"
        );
    }
    // 0 means the default; the bounds themselves are accepted.
    for seconds in [0, 3600, 30 * 86_400] {
        client
            .list_problem_shipments(ListProblemShipmentsRequest {
                no_movement_seconds: seconds,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("{seconds}: {status:?}"));
    }
}
