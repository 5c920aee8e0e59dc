use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::*;
use crate::domain::calendar::{CalendarSpec, WorkingWindow};

/// Monday to Friday, 09:00-18:00 UTC.
fn office_hours() -> BusinessCalendar {
    let mut spec = CalendarSpec::new(chrono_tz::UTC);
    for day in &mut spec.weekdays[..5] {
        day.push(WorkingWindow::from_hm(9, 0, 18, 0));
    }
    BusinessCalendar::new(spec).expect("a valid calendar")
}

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// A complaint filed on Monday 2026-12-07 09:00Z with targets of 1 and 8 business hours.
fn filed(kind: Kind) -> Complaint {
    let file_time = at("2026-12-07T09:00:00Z");
    Complaint {
        id: Uuid::nil(),
        number: "K2026120700000001".to_owned(),
        kind,
        channel: Channel::Hotline,
        category: Category::Damage,
        customer_id: Uuid::nil(),
        order_id: None,
        tracking_number: None,
        subject: "crushed carton".to_owned(),
        description: String::new(),
        status: Status::Received,
        paused_in: None,
        priority: Priority::High,
        priority_override_reason: String::new(),
        assigned_agent: String::new(),
        assigned_team: String::new(),
        investigation: None,
        proposal: None,
        resolution_feedback: String::new(),
        targets: Targets {
            first_response_minutes: 60,
            resolution_minutes: 8 * 60,
        },
        first_response: ClockMarks::default(),
        resolution: ClockMarks::default(),
        resolution_count: 0,
        reopen_count: 0,
        file_time,
        first_response_time: None,
        resolve_time: None,
        close_time: None,
        update_time: file_time,
        filed_by: "agent".to_owned(),
        version: 1,
        pauses: Vec::new(),
        claim: None,
        rating: None,
    }
}

fn investigation(now: DateTime<Utc>) -> Investigation {
    Investigation {
        findings: "carton crushed at the hub".to_owned(),
        responsible_party: ResponsibleParty::Warehouse,
        root_cause: "stacked under steel".to_owned(),
        recorded_by: "agent".to_owned(),
        record_time: now,
    }
}

#[test]
fn a_fresh_complaint_has_its_warning_due_and_double_marks_on_the_calendar() {
    let calendar = office_hours();
    let mut complaint = filed(Kind::Complaint);
    complaint.refresh_clocks(&calendar, complaint.file_time);
    let marks = complaint.first_response;
    assert_eq!(marks.warn_at, Some(at("2026-12-07T09:48:00Z")));
    assert_eq!(marks.due_at, Some(at("2026-12-07T10:00:00Z")));
    assert_eq!(marks.double_at, Some(at("2026-12-07T11:00:00Z")));
    // Eight business hours from Monday 09:00 end at 17:00 the same day; twice that, Tuesday 16:00.
    assert_eq!(
        complaint.resolution.due_at,
        Some(at("2026-12-07T17:00:00Z"))
    );
    assert_eq!(
        complaint.resolution.double_at,
        Some(at("2026-12-08T16:00:00Z"))
    );
    assert!(!marks.breached);
}

#[test]
fn waiting_for_the_customer_answers_pauses_and_resuming_moves_the_due_time_by_the_wait() {
    let calendar = office_hours();
    let mut complaint = filed(Kind::Complaint);
    let outcome = complaint
        .wait_for_customer(at("2026-12-07T09:30:00Z"))
        .unwrap();
    assert!(outcome.first_response);
    assert_eq!(outcome.status_changed_from, Some(Status::Received));
    complaint.refresh_clocks(&calendar, at("2026-12-07T09:30:00Z"));
    assert_eq!(
        complaint.resolution.due_at, None,
        "a paused clock has no due time"
    );
    assert_eq!(
        complaint.first_response.due_at, None,
        "the first response was given"
    );

    let outcome = complaint.resume(at("2026-12-07T11:30:00Z")).unwrap();
    assert_eq!(complaint.status, Status::Received);
    assert_eq!(
        outcome.ended_pause.and_then(|pause| pause.to),
        Some(at("2026-12-07T11:30:00Z"))
    );
    complaint.refresh_clocks(&calendar, at("2026-12-07T11:30:00Z"));
    // Two hours of waiting: due at 19:00 would be past closing, so Tuesday 10:00.
    assert_eq!(
        complaint.resolution.due_at,
        Some(at("2026-12-08T10:00:00Z"))
    );
}

#[test]
fn a_complaint_is_investigated_before_it_is_resolved_and_the_resolution_answers_the_customer() {
    let mut complaint = filed(Kind::Complaint);
    let now = at("2026-12-07T10:30:00Z");
    let refused = complaint.resolve("sorry".to_owned(), now).unwrap_err();
    assert_eq!(
        refused,
        Refusal::Illegal(IllegalTransition {
            current: Status::Received,
            requested: Status::Resolved
        })
    );
    complaint.investigate(investigation(now)).unwrap();
    let outcome = complaint.resolve("sorry".to_owned(), now).unwrap();
    assert!(outcome.first_response, "nobody had answered before");
    assert_eq!(complaint.first_response_time, Some(now));
    assert_eq!(
        (complaint.resolution_count, complaint.resolve_time),
        (1, Some(now))
    );
}

#[test]
fn a_complaint_reopened_long_after_its_resolution_is_breached_at_once() {
    let calendar = office_hours();
    let mut complaint = filed(Kind::Inquiry);
    complaint.acknowledge(at("2026-12-07T09:10:00Z")).unwrap();
    let resolved = at("2026-12-07T12:00:00Z");
    complaint.resolve("answered".to_owned(), resolved).unwrap();
    complaint.refresh_clocks(&calendar, resolved);
    assert!(!complaint.resolution.breached);
    complaint.close(at("2026-12-14T12:00:00Z")).unwrap();

    let reopened = at("2027-01-11T10:00:00Z");
    complaint.reopen().unwrap();
    complaint.refresh_clocks(&calendar, reopened);
    assert_eq!(complaint.status, Status::Reopened);
    assert_eq!((complaint.resolve_time, complaint.close_time), (None, None));
    assert!(complaint.resolution.breached);
    assert!(
        complaint
            .resolution
            .due_at
            .is_some_and(|due| due < reopened)
    );
    assert!(
        !complaint.first_response.breached,
        "the first response stays as it was"
    );
}

#[test]
fn a_resolution_is_rated_once_and_a_new_resolution_may_be_rated_again() {
    let mut complaint = filed(Kind::Inquiry);
    let now = at("2026-12-07T12:00:00Z");
    assert_eq!(
        complaint.rate(5, String::new(), now),
        Err(Refusal::NotResolved(Status::Received))
    );
    complaint.resolve("answered".to_owned(), now).unwrap();
    assert_eq!(
        complaint
            .rate(2, "slow".to_owned(), now)
            .unwrap()
            .resolution_number,
        1
    );
    assert_eq!(
        complaint.rate(5, String::new(), now),
        Err(Refusal::AlreadyRated(1))
    );
    complaint.reopen().unwrap();
    complaint
        .resolve("answered better".to_owned(), now)
        .unwrap();
    let second = complaint.rate(5, String::new(), now).unwrap();
    assert_eq!((second.resolution_number, second.score), (2, 5));
}

#[test]
fn a_claim_is_decided_before_its_complaint_is_resolved() {
    let now = at("2026-12-07T12:00:00Z");
    let mut complaint = filed(Kind::Claim);
    complaint.claim = Some(Claim {
        claimed_fen: 10_000,
        evidence: vec!["photo".to_owned()],
        status: ClaimStatus::Submitted,
        window_end: at("2026-12-28T16:00:00Z"),
        declared_value_fen: None,
        approved_fen: None,
        rejection_reason: None,
        reviewed_by: None,
        review_time: None,
        payment_reference: None,
        pay_time: None,
    });
    complaint.investigate(investigation(now)).unwrap();
    assert_eq!(
        complaint.claim.as_ref().map(|claim| claim.status),
        Some(ClaimStatus::UnderReview)
    );
    assert_eq!(
        complaint.resolve("paid".to_owned(), now),
        Err(Refusal::ClaimNotDecided(ClaimStatus::UnderReview))
    );
    complaint
        .review_claim(Decision::Approve(8_000), "lead", now)
        .unwrap();
    assert_eq!(complaint.mark_claim_paid("PAY-7", now), Ok(true));
    complaint.resolve("paid".to_owned(), now).unwrap();
    assert_eq!(complaint.status, Status::Resolved);
}

#[test]
fn a_closed_complaint_refuses_everything_but_reopening_ratings_and_payments() {
    let now = at("2026-12-07T12:00:00Z");
    let mut complaint = filed(Kind::Inquiry);
    complaint.resolve("answered".to_owned(), now).unwrap();
    complaint.close(now).unwrap();
    assert_eq!(complaint.acknowledge(now), Err(Refusal::Closed));
    assert_eq!(
        complaint.assign("a".to_owned(), String::new()),
        Err(Refusal::Closed)
    );
    assert!(complaint.rate(4, String::new(), now).is_ok());
    assert!(complaint.reopen().is_ok());
}

#[test]
fn the_first_response_is_given_once() {
    let now = at("2026-12-07T09:10:00Z");
    let mut complaint = filed(Kind::Complaint);
    assert!(complaint.acknowledge(now).unwrap().first_response);
    assert_eq!(
        complaint.acknowledge(now),
        Err(Refusal::AlreadyAcknowledged(now))
    );
    // Later answers (a wait for the customer) are not first responses.
    assert!(!complaint.wait_for_customer(now).unwrap().first_response);
}

#[test]
fn only_a_complaint_waiting_for_the_customer_can_be_resumed() {
    let now = at("2026-12-07T09:10:00Z");
    let mut complaint = filed(Kind::Complaint);
    assert_eq!(
        complaint.resume(now),
        Err(Refusal::NotWaiting(Status::Received))
    );
    complaint.wait_for_customer(now).unwrap();
    assert!(complaint.resume(now).is_ok());
    assert_eq!(
        complaint.resume(now),
        Err(Refusal::NotWaiting(Status::Received))
    );
}
