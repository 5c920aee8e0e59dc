//! The business calendar and the SLA policy through SlaService, and the sweep that warns,
//! escalates and closes by itself.

use std::time::Duration;

use logistics_contracts::common::Priority;
use logistics_contracts::complaints::{
    AuditAction, BusinessCalendar, ComplaintCategory, ComplaintFilter, ComplaintKind,
    ComplaintStatus, ComplaintView, GetBusinessCalendarRequest, GetComplaintRequest,
    GetSlaPolicyRequest, Holiday, ListComplaintsRequest, MakeUpDay, ResolveComplaintRequest,
    RunSlaSweepRequest, UpdateBusinessCalendarRequest, UpdateSlaPolicyRequest, Weekday, WorkingDay,
    WorkingWindow,
};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::{TestApp, create_customer, enterprise, reason, violated_fields};
use tonic::Code;

fn window(start: &str, end: &str) -> WorkingWindow {
    WorkingWindow {
        start_time: start.to_owned(),
        end_time: end.to_owned(),
    }
}

fn day(weekday: Weekday, windows: Vec<WorkingWindow>) -> WorkingDay {
    WorkingDay {
        weekday: weekday.into(),
        windows,
    }
}

/// Every hour of every day counts: clocks run on wall time, which tests can reason about.
fn around_the_clock() -> BusinessCalendar {
    BusinessCalendar {
        time_zone: "UTC".to_owned(),
        week: [
            Weekday::Monday,
            Weekday::Tuesday,
            Weekday::Wednesday,
            Weekday::Thursday,
            Weekday::Friday,
            Weekday::Saturday,
            Weekday::Sunday,
        ]
        .into_iter()
        .map(|weekday| day(weekday, vec![window("00:00", "24:00")]))
        .collect(),
        ..Default::default()
    }
}

#[tokio::test]
async fn the_default_calendar_has_a_lunch_break_and_each_update_is_a_new_version() {
    let app = TestApp::spawn().await;
    let mut sla = app.sla_client().await;
    let first = sla
        .get_business_calendar(GetBusinessCalendarRequest { version: 0 })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (first.version, first.time_zone.as_str()),
        (1, "Asia/Shanghai")
    );
    assert_eq!(first.week.len(), 5);
    assert_eq!(
        first.week[0].windows,
        [window("09:00", "12:00"), window("13:00", "18:00")]
    );

    let mut update = first.clone();
    update.holidays = vec![Holiday {
        date: "2026-10-01".to_owned(),
        name: "国庆节".to_owned(),
    }];
    update.make_up_days = vec![MakeUpDay {
        date: "2026-10-10".to_owned(),
        works_as: Weekday::Monday.into(),
        name: "国庆节调休".to_owned(),
    }];
    let second = sla
        .update_business_calendar(UpdateBusinessCalendarRequest {
            calendar: Some(update.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(second.version, 2);
    assert_eq!(second.updated_by, "admin");
    assert_eq!(second.holidays, update.holidays);
    assert_eq!(second.make_up_days, update.make_up_days);

    let refused = sla
        .update_business_calendar(UpdateBusinessCalendarRequest {
            calendar: Some(update),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Aborted, "the etag named version 1");
    let old = sla
        .get_business_calendar(GetBusinessCalendarRequest { version: 1 })
        .await
        .unwrap()
        .into_inner();
    assert!(old.holidays.is_empty());
    let refused = sla
        .get_business_calendar(GetBusinessCalendarRequest { version: 3 })
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "CALENDAR_VERSION_NOT_FOUND");

    let mut agent_sla =
        logistics_contracts::complaints::sla_service_client::SlaServiceClient::with_interceptor(
            logistics_tests::channel(app.complaints).await,
            logistics_platform::client::CallCredentials::bearer(&app.keys.complaints_agent)
                .unwrap(),
        );
    let refused = agent_sla
        .update_business_calendar(UpdateBusinessCalendarRequest {
            calendar: Some(around_the_clock()),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn a_bad_calendar_is_refused_at_the_fields_the_caller_sent() {
    let app = TestApp::spawn().await;
    let mut sla = app.sla_client().await;
    let malformed = BusinessCalendar {
        time_zone: "Mars/Olympus".to_owned(),
        week: vec![
            day(Weekday::Monday, vec![window("9:00", "25:00")]),
            day(Weekday::Monday, vec![]),
        ],
        holidays: vec![Holiday {
            date: "2026-13-01".to_owned(),
            name: String::new(),
        }],
        ..Default::default()
    };
    let refused = sla
        .update_business_calendar(UpdateBusinessCalendarRequest {
            calendar: Some(malformed),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        [
            "calendar.time_zone",
            "calendar.week[0].windows[0].start_time",
            "calendar.week[0].windows[0].end_time",
            "calendar.week[1].weekday",
            "calendar.holidays[0].date",
        ]
    );

    let overlapping = BusinessCalendar {
        time_zone: "Europe/Berlin".to_owned(),
        week: vec![
            day(Weekday::Friday, vec![window("08:00", "12:00")]),
            day(
                Weekday::Tuesday,
                vec![window("09:00", "12:00"), window("11:00", "13:00")],
            ),
        ],
        ..Default::default()
    };
    let refused = sla
        .update_business_calendar(UpdateBusinessCalendarRequest {
            calendar: Some(overlapping),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["calendar.week[1].windows[1].start_time"]
    );
}

#[tokio::test]
async fn the_policy_sets_targets_per_priority_and_refuses_gaps() {
    let app = TestApp::spawn().await;
    let mut sla = app.sla_client().await;
    let mut policy = sla
        .get_sla_policy(GetSlaPolicyRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            policy.version,
            policy.targets.len(),
            policy.severities.len()
        ),
        (1, 4, 9)
    );
    let urgent = policy
        .targets
        .iter_mut()
        .find(|target| target.priority() == Priority::Urgent)
        .unwrap();
    urgent.first_response_minutes = 15;
    let updated = sla
        .update_sla_policy(UpdateSlaPolicyRequest {
            policy: Some(policy.clone()),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.version, 2);

    let mut gaps = updated;
    gaps.targets.pop();
    gaps.targets[0].resolution_minutes = 0;
    let refused = sla
        .update_sla_policy(UpdateSlaPolicyRequest { policy: Some(gaps) })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        ["policy.targets[0].resolution_minutes", "policy.targets"]
    );
}

/// Moves a complaint's filing `minutes` into the past, with the marks the sweep looks for: no
/// RPC can make business time pass, so SLA tests travel in time this way.
async fn file_minutes_ago(app: &TestApp, id: &str, minutes: i64) {
    let pool = app.schema_pool("complaints").await;
    sqlx::query(
        "UPDATE complaints
            SET file_time = now() - make_interval(mins => $2),
                first_response_warn_at = now() - interval '1 minute',
                resolution_warn_at = now() - interval '1 minute'
          WHERE id = $1::uuid",
    )
    .bind(id)
    .bind(i32::try_from(minutes).unwrap())
    .execute(&pool)
    .await
    .unwrap();
}

#[tokio::test]
async fn a_clock_past_its_target_is_warned_and_escalated_with_no_call() {
    let app = TestApp::spawn().await;
    let mut sla = app.sla_client().await;
    sla.update_business_calendar(UpdateBusinessCalendarRequest {
        calendar: Some(around_the_clock()),
    })
    .await
    .unwrap();
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut complaints = app.complaints_client().await;
    let filed = file(
        &mut complaints,
        complaint(
            &customer.id,
            ComplaintKind::Complaint,
            ComplaintCategory::Delay,
        ),
    )
    .await;
    let target = filed
        .sla
        .as_ref()
        .unwrap()
        .first_response
        .as_ref()
        .unwrap()
        .target_minutes;
    // A quarter past the first-response target; far from the resolution target's 80%.
    file_minutes_ago(&app, &filed.id, target * 5 / 4).await;

    // The sweep runs every second in tests: no RPC is called until it has acted.
    let mut escalated = None;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let pool = app.schema_pool("complaints").await;
        let (level,): (i16,) =
            sqlx::query_as("SELECT first_response_level FROM complaints WHERE id = $1::uuid")
                .bind(&filed.id)
                .fetch_one(&pool)
                .await
                .unwrap();
        if level == 1 {
            escalated = Some(level);
            break;
        }
    }
    assert_eq!(escalated, Some(1), "the sweep escalated by itself");

    let full = complaints
        .get_complaint(GetComplaintRequest {
            id: filed.id.clone(),
            view: ComplaintView::Full.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(full.escalation_level, 1);
    let steps: Vec<_> = full
        .audit_trail
        .iter()
        .map(|entry| (entry.action(), entry.actor.as_str()))
        .collect();
    assert_eq!(
        steps,
        [
            (AuditAction::Filed, "admin"),
            (AuditAction::SlaWarned, "sla-sweep"),
            (AuditAction::Escalated, "sla-sweep"),
        ]
    );
    let first_response = full.sla.unwrap().first_response.unwrap();
    assert!(first_response.breached);
    assert!(first_response.used_per_mille >= 1250);

    let breached = complaints
        .list_complaints(ListComplaintsRequest {
            filter: Some(ComplaintFilter {
                breached: true,
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(breached.complaints.len(), 1);

    // Each warning and escalation happens once.
    let again = sla
        .run_sla_sweep(RunSlaSweepRequest {})
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            again.warned,
            again.escalated_level_1,
            again.escalated_level_2
        ),
        (0, 0, 0)
    );
}

#[tokio::test]
async fn a_complaint_resolved_seven_days_ago_is_closed_by_the_sweep() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut complaints = app.complaints_client().await;
    let filed = file(
        &mut complaints,
        complaint(
            &customer.id,
            ComplaintKind::Inquiry,
            ComplaintCategory::Billing,
        ),
    )
    .await;
    complaints
        .resolve_complaint(ResolveComplaintRequest {
            id: filed.id.clone(),
            feedback: "Your invoice is attached.".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let pool = app.schema_pool("complaints").await;
    sqlx::query(
        "UPDATE complaints SET resolve_time = now() - interval '8 days' WHERE id = $1::uuid",
    )
    .bind(&filed.id)
    .execute(&pool)
    .await
    .unwrap();

    let mut sla = app.sla_client().await;
    sla.run_sla_sweep(RunSlaSweepRequest {}).await.unwrap();
    let closed = complaints
        .get_complaint(GetComplaintRequest {
            id: filed.id,
            view: ComplaintView::Full.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.status(), ComplaintStatus::Closed);
    let last = closed.audit_trail.last().unwrap();
    assert_eq!(
        (last.action(), last.actor.as_str()),
        (AuditAction::Closed, "auto-close")
    );
}
