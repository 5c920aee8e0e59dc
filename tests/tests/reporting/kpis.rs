//! GetKpis and GetProjectionStatus over a small known data set.

use std::collections::BTreeMap;
use std::time::Duration;

use logistics_contracts::complaints::{
    AcknowledgeComplaintRequest, ComplaintCategory, ComplaintKind, RateResolutionRequest, Rating,
    ReopenComplaintRequest, ResolveComplaintRequest,
};
use logistics_contracts::customers::{
    CompleteFollowUpRequest, FollowUp, FollowUpFilter, FollowUpReason, FollowUpStatus,
    ListFollowUpsRequest, ScheduleFollowUpRequest,
};
use logistics_contracts::orders::{
    OrderStatus, RecordDeliveryRequest, RecordTrackingEventsRequest, TrackingEvent,
    TrackingEventCode, TrackingEventSource,
};
use logistics_contracts::reporting::{GetKpisRequest, GetProjectionStatusRequest, Kpi, KpiFilter};
use logistics_platform::time::{company_time_zone, timestamp};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::{order_in_status, place_order, road_order};
use logistics_tests::reporting::company_day;
use logistics_tests::{TestApp, create_customer, enterprise, violated_fields};
use tonic::Code;

/// Each KPI's (numerator, denominator) for `customer_id` since yesterday, once `ready` holds.
/// The period the figures are asked for: yesterday to tomorrow, company time. A follow-up due
/// ten minutes from now falls on tomorrow when the test runs in the company's last ten minutes
/// of the day, and must still count.
fn period() -> (String, String) {
    (company_day(1), company_day(-1))
}

async fn kpis_when(
    app: &TestApp,
    customer_id: &str,
    ready: impl Fn(&BTreeMap<Kpi, (i64, i64)>) -> bool,
) -> BTreeMap<Kpi, (i64, i64)> {
    let mut reporting = app.reporting_client().await;
    let (start_date, end_date) = period();
    let request = GetKpisRequest {
        start_date,
        end_date,
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

/// The return-visit figures of `customer_id`'s follow-ups as customers lists them, computed here
/// from the list: due (not cancelled) within the period, and of them, done by their due time.
async fn expected_return_visits(app: &TestApp, customer_id: &str) -> (i64, i64) {
    // Wait for the follow-ups the service schedules from the feeds (one thank-you per delivery).
    let mut engagement = app.engagement_client().await;
    let request = ListFollowUpsRequest {
        filter: Some(FollowUpFilter {
            customer_id: customer_id.to_owned(),
            ..Default::default()
        }),
        page_size: 1000,
        ..Default::default()
    };
    let mut follow_ups = Vec::new();
    for _ in 0..150 {
        follow_ups = engagement
            .list_follow_ups(request.clone())
            .await
            .unwrap()
            .into_inner()
            .follow_ups;
        let thank_yous = follow_ups
            .iter()
            .filter(|f| f.reason() == FollowUpReason::ThankYouAfterDelivery)
            .count();
        if thank_yous == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (first, last) = period();
    let day_of = |stamp: &prost_types::Timestamp| {
        let instant = chrono::DateTime::from_timestamp(stamp.seconds, 0).unwrap();
        instant
            .with_timezone(&company_time_zone())
            .format("%Y-%m-%d")
            .to_string()
    };
    let mut sums = (0, 0);
    for follow_up in &follow_ups {
        let due = follow_up.due_time.as_ref().unwrap();
        let due_day = day_of(due);
        if follow_up.status() == FollowUpStatus::Cancelled || due_day < first || due_day > last {
            continue;
        }
        sums.1 += 1;
        let done_in_time = follow_up.status() == FollowUpStatus::Completed
            && follow_up
                .complete_time
                .as_ref()
                .is_some_and(|done| (done.seconds, done.nanos) <= (due.seconds, due.nanos));
        sums.0 += i64::from(done_in_time);
    }
    sums
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

    // Follow-ups: one scheduled and done at once; the service schedules more by itself
    // (thank-you calls after deliveries, check-ins after resolutions).
    let mut engagement = app.engagement_client().await;
    let visit = engagement
        .schedule_follow_up(ScheduleFollowUpRequest {
            follow_up: Some(FollowUp {
                customer_id: acme.id.clone(),
                reason: FollowUpReason::Other.into(),
                due_time: Some(timestamp(
                    chrono::Utc::now() + chrono::Duration::minutes(10),
                )),
                notes: "ask about the spring schedule".to_owned(),
                ..Default::default()
            }),
            request_id: logistics_tests::request_id(),
        })
        .await
        .unwrap()
        .into_inner();
    engagement
        .complete_follow_up(CompleteFollowUpRequest {
            id: visit.id,
            outcome: "spring schedule agreed".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let return_visits = expected_return_visits(&app, &acme.id).await;

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
            && figures.get(&Kpi::ReturnVisitRate) == Some(&return_visits)
    })
    .await;
    assert_eq!(figures.len(), 17, "every KPI is answered: {figures:?}");
    // Acme became ACTIVE with its first order today: not yet at the period's start.
    assert_eq!(figures[&Kpi::ChurnRate], (0, 0));
    assert_eq!(figures[&Kpi::ReturnVisitRate], return_visits);
    assert!(
        return_visits.0 >= 1,
        "the visit done at once counts: {return_visits:?}"
    );
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

    // From tomorrow on, Acme counts among the customers ACTIVE at a period's start; Other is
    // still a PROSPECT and never does.
    let mut reporting = app.reporting_client().await;
    let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1))
        .with_timezone(&company_time_zone())
        .format("%Y-%m-%d")
        .to_string();
    let churn = |customer_id: &str| GetKpisRequest {
        start_date: tomorrow.clone(),
        end_date: tomorrow.clone(),
        filter: Some(KpiFilter {
            customer_id: customer_id.to_owned(),
            ..Default::default()
        }),
    };
    let churn_of = |response: logistics_contracts::reporting::GetKpisResponse| {
        response
            .kpis
            .iter()
            .find(|figure| figure.kpi() == Kpi::ChurnRate)
            .map(|figure| (figure.numerator, figure.denominator))
    };
    let acme_churn = churn_of(
        reporting
            .get_kpis(churn(&acme.id))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(acme_churn, Some((0, 1)));
    let other_churn = churn_of(
        reporting
            .get_kpis(churn(&other.id))
            .await
            .unwrap()
            .into_inner(),
    );
    assert_eq!(other_churn, Some((0, 0)));

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
