//! GetKpis and GetProjectionStatus over a small known data set.

use std::collections::BTreeMap;
use std::time::Duration;

use logistics_contracts::complaints::{
    AcknowledgeComplaintRequest, ComplaintCategory, ComplaintKind, RateResolutionRequest, Rating,
    ReopenComplaintRequest, ResolveComplaintRequest,
};
use logistics_contracts::orders::{
    OrderStatus, RecordDeliveryRequest, RecordTrackingEventsRequest, TrackingEvent,
    TrackingEventCode, TrackingEventSource,
};
use logistics_contracts::reporting::{GetKpisRequest, GetProjectionStatusRequest, Kpi, KpiFilter};
use logistics_platform::time::{company_time_zone, timestamp};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::{order_in_status, place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise, violated_fields};
use tonic::Code;

/// The company-local day `days_ago` days before today, as GetKpis takes it. The kit's events
/// occurred up to 200 minutes ago, which may be yesterday in Shanghai.
fn day(days_ago: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::days(days_ago))
        .with_timezone(&company_time_zone())
        .format("%Y-%m-%d")
        .to_string()
}

/// Each KPI's (numerator, denominator) for `customer_id` since yesterday, once `ready` holds.
async fn kpis_when(
    app: &TestApp,
    customer_id: &str,
    ready: impl Fn(&BTreeMap<Kpi, (i64, i64)>) -> bool,
) -> BTreeMap<Kpi, (i64, i64)> {
    let mut reporting = app.reporting_client().await;
    let request = GetKpisRequest {
        start_date: day(1),
        end_date: day(0),
        filter: Some(KpiFilter {
            customer_id: customer_id.to_owned(),
            ..Default::default()
        }),
    };
    let mut figures = BTreeMap::new();
    for _ in 0..200 {
        figures = reporting
            .get_kpis(request.clone())
            .await
            .unwrap()
            .into_inner()
            .kpis
            .into_iter()
            .map(|figure| (figure.kpi(), (figure.numerator, figure.denominator)))
            .collect();
        if ready(&figures) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    figures
}

#[tokio::test]
async fn kpis_count_what_the_services_did_for_the_customer() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    let other = create_customer(&mut customers, enterprise("Other")).await;

    // Orders: one created only, one delivered clean, one delivered with damage.
    place_order(&mut app.orders_client().await, road_order(&acme.id)).await;
    order_in_status(&app, &acme.id, OrderStatus::Delivered, &[]).await;
    let (_, damaged) = order_in_status(&app, &acme.id, OrderStatus::OutForDelivery, &[]).await;
    app.tracking_client()
        .await
        .record_tracking_events(RecordTrackingEventsRequest {
            events: vec![TrackingEvent {
                client_event_id: "attempt-1".to_owned(),
                tracking_number: damaged.clone(),
                code: TrackingEventCode::DeliveryAttempted.into(),
                occur_time: Some(timestamp(chrono::Utc::now() - chrono::Duration::minutes(1))),
                source: TrackingEventSource::DriverApp.into(),
                source_name: "driver-07".to_owned(),
                ..Default::default()
            }],
        })
        .await
        .unwrap();
    app.tracking_client()
        .await
        .record_delivery(RecordDeliveryRequest {
            tracking_number: damaged,
            signed_by: "Wang Fang".to_owned(),
            delivery_time: Some(timestamp(chrono::Utc::now() - chrono::Duration::minutes(5))),
            damaged_pieces: 1,
            ..Default::default()
        })
        .await
        .unwrap();

    // Complaints: two received, one answered at once; an inquiry resolved, rated 5, reopened,
    // resolved again and rated 2 (the latest rating counts).
    let mut complaints = app.complaints_client().await;
    let answered = file(
        &mut complaints,
        complaint(&acme.id, ComplaintKind::Complaint, ComplaintCategory::Delay),
    )
    .await;
    complaints
        .acknowledge_complaint(AcknowledgeComplaintRequest {
            id: answered.id.clone(),
            message: "We are on it.".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let inquiry = file(
        &mut complaints,
        complaint(&acme.id, ComplaintKind::Inquiry, ComplaintCategory::Billing),
    )
    .await;
    let resolve = ResolveComplaintRequest {
        id: inquiry.id.clone(),
        feedback: "The invoice is attached.".to_owned(),
        ..Default::default()
    };
    let rate = |score| RateResolutionRequest {
        id: inquiry.id.clone(),
        rating: Some(Rating {
            score,
            ..Default::default()
        }),
    };
    complaints.resolve_complaint(resolve.clone()).await.unwrap();
    complaints.rate_resolution(rate(5)).await.unwrap();
    complaints
        .reopen_complaint(ReopenComplaintRequest {
            id: inquiry.id.clone(),
            reason: "wrong month".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    complaints.resolve_complaint(resolve).await.unwrap();
    complaints.rate_resolution(rate(2)).await.unwrap();

    let figures = kpis_when(&app, &acme.customer_code, |figures| {
        figures
            .get(&Kpi::OnTimeArrivalRate)
            .is_some_and(|(_, d)| *d == 2)
            && figures.get(&Kpi::ResolutionSatisfactionRate) == Some(&(0, 1))
            && figures
                .get(&Kpi::ResolutionTimeliness)
                .is_some_and(|(_, d)| *d == 2)
            && figures
                .get(&Kpi::FeedbackTimeliness)
                .is_some_and(|(_, d)| *d == 3)
            && figures
                .get(&Kpi::InformationTimeliness)
                .is_some_and(|(_, d)| *d == 7)
    })
    .await;
    assert_eq!(figures.len(), 14, "every KPI is answered: {figures:?}");
    // Seven scans recorded: the kit's three per order, which occurred 200 to 180 minutes before,
    // and the delivery attempt a minute ago, the only one in time.
    assert_eq!(figures[&Kpi::InformationTimeliness], (1, 7));
    assert_eq!(figures[&Kpi::DocumentAccuracyRate], (2, 2));
    assert_eq!(figures[&Kpi::DamageRate], (1, 2));
    assert_eq!(figures[&Kpi::LossRate], (0, 2));
    assert_eq!(figures[&Kpi::ShortageRate], (0, 2));
    assert_eq!(figures[&Kpi::RouteChangeRate], (0, 3));
    assert_eq!(figures[&Kpi::ReturnRate], (0, 3));
    // Three received: the two filed and the proactive case the damaged delivery opened; two
    // answered (the inquiry's answer was its resolution), the proactive case not yet.
    assert_eq!(figures[&Kpi::FeedbackTimeliness], (2, 3));
    assert_eq!(figures[&Kpi::ResolutionTimeliness], (2, 2));
    assert_eq!(
        figures[&Kpi::ResolutionSatisfactionRate],
        (0, 1),
        "rated 5, then 2"
    );
    assert_eq!(figures[&Kpi::AverageCycleTime].1, 2);

    // Another customer's figures are its own: nothing.
    let nothing = kpis_when(&app, &other.id, |_| true).await;
    assert!(nothing.values().all(|sums| *sums == (0, 0)), "{nothing:?}");

    let status = app
        .reporting_client()
        .await
        .get_projection_status(GetProjectionStatusRequest {})
        .await
        .unwrap()
        .into_inner();
    let feeds: Vec<_> = status.feeds.iter().map(|feed| feed.feed.as_str()).collect();
    assert_eq!(feeds, ["customers", "orders", "complaints"]);
    assert!(
        status
            .feeds
            .iter()
            .all(|feed| feed.following && feed.applied_events > 0)
    );
}

#[tokio::test]
async fn a_bad_period_or_filter_is_refused_with_its_fields() {
    let app = TestApp::spawn().await;
    let mut reporting = app.reporting_client().await;
    let refused = reporting
        .get_kpis(GetKpisRequest {
            start_date: "2026-02-30".to_owned(),
            end_date: String::new(),
            filter: Some(KpiFilter {
                customer_id: "nobody".to_owned(),
                mode: 99,
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        [
            "start_date",
            "end_date",
            "filter.customer_id",
            "filter.mode"
        ]
    );
    let refused = reporting
        .get_kpis(GetKpisRequest {
            start_date: "2025-01-01".to_owned(),
            end_date: "2026-12-31".to_owned(),
            filter: None,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["end_date"]);
}
