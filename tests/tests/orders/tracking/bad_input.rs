//! Input no check used to catch: one bad event among good ones, and times out of range.

use chrono::{Duration, Utc};
use logistics_contracts::orders::{
    GetTrackingRequest, OrderStatus, RejectionReason, TrackingEventCode as Code,
    TrackingEventOutcome as Outcome,
};
use logistics_platform::time::timestamp;
use logistics_tests::{TestApp, order_in_status};
use prost_types::Timestamp;

use super::{customer_of, record, scan};

/// 1 January of year -5000 (proleptic Gregorian), in seconds since the Unix epoch.
const YEAR_MINUS_5000: i64 = -219_952_022_400;

#[tokio::test]
async fn an_event_with_a_time_out_of_range_is_rejected_alone_and_the_rest_of_the_batch_is_accepted()
{
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let mut client = app.tracking_client().await;
    let mut numbers = Vec::new();
    for _ in 0..4 {
        numbers.push(
            order_in_status(&app, &customer, OrderStatus::InTransit, &[])
                .await
                .1,
        );
    }
    let mut ancient_estimate = scan(&numbers[1], "ancient-estimate", Code::Delayed, 5);
    ancient_estimate.new_estimated_delivery_time = Some(Timestamp {
        seconds: YEAR_MINUS_5000,
        nanos: 0,
    });
    let mut endless_estimate = scan(&numbers[2], "endless-estimate", Code::Delayed, 5);
    endless_estimate.new_estimated_delivery_time = Some(Timestamp {
        seconds: i64::MAX,
        nanos: 0,
    });
    let mut ancient_scan = scan(&numbers[3], "ancient-scan", Code::ArrivedAtHub, 5);
    ancient_scan.occur_time = Some(Timestamp {
        seconds: YEAR_MINUS_5000,
        nanos: 0,
    });
    let batch = vec![
        scan(&numbers[0], "good-1", Code::ArrivedAtHub, 10),
        ancient_estimate,
        endless_estimate,
        ancient_scan,
        scan(&numbers[0], "good-2", Code::DepartedHub, 5),
        scan(&numbers[1], "good-3", Code::Delayed, 4),
    ];

    let response = record(&mut client, batch).await;

    let outcomes: Vec<i32> = response.results.iter().map(|r| r.outcome).collect();
    let (accepted, rejected) = (Outcome::Accepted as i32, Outcome::Rejected as i32);
    assert_eq!(
        outcomes,
        [accepted, rejected, rejected, rejected, accepted, accepted],
        "{response:?}"
    );
    for (at, field) in [
        (1, "new_estimated_delivery_time"),
        (2, "new_estimated_delivery_time"),
        (3, "occur_time"),
    ] {
        let result = &response.results[at];
        assert_eq!(
            result.rejection_reason,
            RejectionReason::InvalidEvent as i32
        );
        let fields: Vec<&str> = result
            .field_violations
            .iter()
            .map(|v| v.field.as_str())
            .collect();
        assert_eq!(fields, [field], "event {at}");
    }
    assert_eq!(response.accepted_count, 3);
    assert_eq!(response.rejected_count, 3);

    // The accepted DELAYED event moved the estimate; the refused one left no trace.
    let tracking = client
        .get_tracking(GetTrackingRequest {
            tracking_number: numbers[1].clone(),
            max_events: 10,
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<&str> = tracking
        .events
        .iter()
        .map(|event| event.client_event_id.as_str())
        .collect();
    assert_eq!(ids.last(), Some(&"good-3"));
    assert!(!ids.contains(&"ancient-estimate"), "{ids:?}");
    let estimate = tracking.estimated_delivery_time.unwrap();
    assert!(estimate.seconds > timestamp(Utc::now() + Duration::days(2)).seconds);
}
