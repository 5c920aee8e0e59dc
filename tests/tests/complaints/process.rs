//! The process from RECEIVED to CLOSED: every step through its RPC, refused moves, etags, and
//! the audit trail that records who did what.

use logistics_contracts::common::Priority;
use logistics_contracts::complaints::{
    AcknowledgeComplaintRequest, AddComplaintNoteRequest, AssignComplaintRequest, AuditAction,
    CloseComplaintRequest, Complaint, ComplaintCategory, ComplaintKind, ComplaintStatus,
    ComplaintView, GetComplaintRequest, Investigation, ProposeResolutionRequest,
    ProposedResolution, RateResolutionRequest, Rating, RecordInvestigationRequest,
    ReopenComplaintRequest, ResolutionAction, ResolutionActionKind, ResolveComplaintRequest,
    ResponsibleParty, ResumeComplaintRequest, SetComplaintPriorityRequest, SlaClockState,
    WaitForCustomerRequest,
};
use logistics_tests::complaints::{ComplaintsClient, complaint, file};
use logistics_tests::orders::cny;
use logistics_tests::{TestApp, create_customer, enterprise, reason};
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

async fn filed(app: &TestApp, kind: ComplaintKind) -> (ComplaintsClient, Complaint) {
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut complaints = app.complaints_client().await;
    let filed = file(
        &mut complaints,
        complaint(&customer.id, kind, ComplaintCategory::Damage),
    )
    .await;
    (complaints, filed)
}

fn investigation() -> Investigation {
    Investigation {
        findings: "Cartons were stacked under steel coils at the Wuxi hub.".to_owned(),
        responsible_party: ResponsibleParty::Warehouse.into(),
        root_cause: "stacking rules not followed".to_owned(),
        ..Investigation::default()
    }
}

fn metadata(status: &Status, key: &str) -> String {
    status
        .get_error_details()
        .error_info()
        .and_then(|info| info.metadata.get(key).cloned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_complaint_goes_from_received_to_closed_and_every_step_is_on_its_trail() {
    let app = TestApp::spawn().await;
    let (mut complaints, filed) = filed(&app, ComplaintKind::Complaint).await;
    let id = filed.id.clone();
    let agent = app.complaints_client_with(&app.keys.complaints_agent).await;
    let mut agent = agent;

    let acknowledged = agent
        .acknowledge_complaint(AcknowledgeComplaintRequest {
            id: id.clone(),
            etag: filed.etag.clone(),
            message: "We are sorry; we are looking into it.".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(acknowledged.first_response_time.is_some());
    let first_response = acknowledged.sla.unwrap().first_response.unwrap();
    assert_eq!(first_response.state(), SlaClockState::Stopped);
    assert!(!first_response.breached);

    agent
        .assign_complaint(AssignComplaintRequest {
            id: id.clone(),
            agent: "zhang.min".to_owned(),
            team: "east-claims".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    let raised = agent
        .set_complaint_priority(SetComplaintPriorityRequest {
            id: id.clone(),
            priority: Priority::Urgent.into(),
            reason: "key account, goods for a launch".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(raised.priority(), Priority::Urgent);
    assert_eq!(
        raised.priority_override_reason,
        "key account, goods for a launch"
    );

    let investigating = agent
        .record_investigation(RecordInvestigationRequest {
            id: id.clone(),
            investigation: Some(investigation()),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(investigating.status(), ComplaintStatus::Investigating);
    assert_eq!(
        investigating.investigation.unwrap().recorded_by,
        "complaints-agent"
    );

    let proposed = agent
        .propose_resolution(ProposeResolutionRequest {
            id: id.clone(),
            resolution: Some(ProposedResolution {
                actions: vec![
                    ResolutionAction {
                        kind: ResolutionActionKind::Compensation.into(),
                        amount: Some(cny(50_000)),
                        note: "two cartons".to_owned(),
                    },
                    ResolutionAction {
                        kind: ResolutionActionKind::Apology.into(),
                        ..Default::default()
                    },
                ],
                message: "We propose 500 CNY and our apologies.".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(proposed.status(), ComplaintStatus::ResolutionProposed);

    let waiting = agent
        .wait_for_customer(WaitForCustomerRequest {
            id: id.clone(),
            reason: "Asked for the bank account for the payment.".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(waiting.status(), ComplaintStatus::PendingCustomer);
    let resolution = waiting.sla.unwrap().resolution.unwrap();
    assert_eq!(resolution.state(), SlaClockState::Paused);
    assert!(
        resolution.due_time.is_none(),
        "a paused clock is due at no time"
    );

    let resumed = agent
        .resume_complaint(ResumeComplaintRequest {
            id: id.clone(),
            note: "The customer sent the account.".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        resumed.status(),
        ComplaintStatus::ResolutionProposed,
        "back where it paused"
    );

    let resolved = agent
        .resolve_complaint(ResolveComplaintRequest {
            id: id.clone(),
            feedback: "Compensation paid; the hub retrained its staff.".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.status(), ComplaintStatus::Resolved);
    assert_eq!(resolved.resolution_count, 1);
    assert_eq!(
        resolved.sla.unwrap().resolution.unwrap().state(),
        SlaClockState::Stopped
    );

    let rated = agent
        .rate_resolution(RateResolutionRequest {
            id: id.clone(),
            rating: Some(Rating {
                score: 4,
                comment: "Quick and fair.".to_owned(),
                ..Default::default()
            }),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rated.rating.unwrap().resolution_number, 1);
    agent
        .add_complaint_note(AddComplaintNoteRequest {
            id: id.clone(),
            note: "Customer called to thank the team.".to_owned(),
        })
        .await
        .unwrap();
    let closed = agent
        .close_complaint(CloseComplaintRequest {
            id: id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.status(), ComplaintStatus::Closed);
    assert!(closed.close_time.is_some());

    let full = complaints
        .get_complaint(GetComplaintRequest {
            id,
            view: ComplaintView::Full.into(),
        })
        .await
        .unwrap()
        .into_inner();
    let trail: Vec<_> = full
        .audit_trail
        .iter()
        .map(|entry| entry.action())
        .collect();
    assert_eq!(
        trail,
        [
            AuditAction::Filed,
            AuditAction::Acknowledged,
            AuditAction::Assigned,
            AuditAction::PrioritySet,
            AuditAction::InvestigationRecorded,
            AuditAction::ResolutionProposed,
            AuditAction::Paused,
            AuditAction::Resumed,
            AuditAction::Resolved,
            AuditAction::Rated,
            AuditAction::NoteAdded,
            AuditAction::Closed,
        ]
    );
    assert!(
        full.audit_trail[1..]
            .iter()
            .all(|entry| entry.actor == "complaints-agent")
    );
    let paused = &full.audit_trail[6];
    assert_eq!(
        (paused.from_status(), paused.to_status()),
        (
            ComplaintStatus::ResolutionProposed,
            ComplaintStatus::PendingCustomer
        )
    );
}

#[tokio::test]
async fn illegal_moves_are_refused_with_the_current_and_requested_status() {
    let app = TestApp::spawn().await;
    let (mut complaints, filed) = filed(&app, ComplaintKind::Complaint).await;
    let id = filed.id.clone();

    let refused = complaints
        .resolve_complaint(ResolveComplaintRequest {
            id: id.clone(),
            feedback: "done".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ILLEGAL_TRANSITION");
    assert_eq!(metadata(&refused, "current_status"), "RECEIVED");
    assert_eq!(metadata(&refused, "requested_status"), "RESOLVED");

    for refused in [
        complaints
            .close_complaint(CloseComplaintRequest {
                id: id.clone(),
                etag: String::new(),
            })
            .await
            .unwrap_err(),
        complaints
            .resume_complaint(ResumeComplaintRequest {
                id: id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        complaints
            .reopen_complaint(ReopenComplaintRequest {
                id: id.clone(),
                reason: "again".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap_err(),
        complaints
            .propose_resolution(ProposeResolutionRequest {
                id: id.clone(),
                resolution: Some(ProposedResolution {
                    actions: vec![ResolutionAction {
                        kind: ResolutionActionKind::Apology.into(),
                        ..Default::default()
                    }],
                    ..Default::default()
                }),
                ..Default::default()
            })
            .await
            .unwrap_err(),
    ] {
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert_eq!(reason(&refused), "ILLEGAL_TRANSITION");
        assert_eq!(metadata(&refused, "current_status"), "RECEIVED");
    }

    let rate = RateResolutionRequest {
        id: id.clone(),
        rating: Some(Rating {
            score: 5,
            ..Default::default()
        }),
    };
    let refused = complaints.rate_resolution(rate.clone()).await.unwrap_err();
    assert_eq!(reason(&refused), "NOT_RESOLVED");

    let acknowledge = AcknowledgeComplaintRequest {
        id: id.clone(),
        message: "We hear you.".to_owned(),
        ..Default::default()
    };
    complaints
        .acknowledge_complaint(acknowledge.clone())
        .await
        .unwrap();
    let refused = complaints
        .acknowledge_complaint(acknowledge)
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "ALREADY_ACKNOWLEDGED");

    complaints
        .record_investigation(RecordInvestigationRequest {
            id: id.clone(),
            investigation: Some(investigation()),
            ..Default::default()
        })
        .await
        .unwrap();
    complaints
        .resolve_complaint(ResolveComplaintRequest {
            id: id.clone(),
            feedback: "done".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    complaints.rate_resolution(rate.clone()).await.unwrap();
    let refused = complaints.rate_resolution(rate).await.unwrap_err();
    assert_eq!(reason(&refused), "ALREADY_RATED");
}

#[tokio::test]
async fn a_stale_etag_is_aborted_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (mut complaints, filed) = filed(&app, ComplaintKind::Complaint).await;
    complaints
        .assign_complaint(AssignComplaintRequest {
            id: filed.id.clone(),
            etag: filed.etag.clone(),
            agent: "zhang.min".to_owned(),
            team: String::new(),
        })
        .await
        .unwrap();
    let refused = complaints
        .assign_complaint(AssignComplaintRequest {
            id: filed.id.clone(),
            etag: filed.etag.clone(),
            agent: "wang.fang".to_owned(),
            team: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::Aborted);
    let now = complaints
        .get_complaint(GetComplaintRequest {
            id: filed.id,
            view: 0,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(now.assigned_agent, "zhang.min");
}

#[tokio::test]
async fn an_inquiry_is_answered_at_once_and_a_reopened_one_is_rated_again() {
    let app = TestApp::spawn().await;
    let (mut complaints, filed) = filed(&app, ComplaintKind::Inquiry).await;
    let id = filed.id.clone();
    let resolve = ResolveComplaintRequest {
        id: id.clone(),
        feedback: "Your invoice is attached.".to_owned(),
        ..Default::default()
    };
    let answered = complaints
        .resolve_complaint(resolve.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answered.status(), ComplaintStatus::Resolved);
    assert!(
        answered.first_response_time.is_some(),
        "the answer was the first response"
    );
    let rate = |score| RateResolutionRequest {
        id: id.clone(),
        rating: Some(Rating {
            score,
            ..Default::default()
        }),
    };
    complaints.rate_resolution(rate(2)).await.unwrap();

    let reopened = complaints
        .reopen_complaint(ReopenComplaintRequest {
            id: id.clone(),
            reason: "The invoice was for another month.".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(reopened.status(), ComplaintStatus::Reopened);
    assert_eq!(reopened.reopen_count, 1);
    assert!(reopened.resolve_time.is_none());
    assert_eq!(
        reopened.sla.unwrap().resolution.unwrap().state(),
        SlaClockState::Running,
        "the resolution clock runs again"
    );
    complaints.resolve_complaint(resolve).await.unwrap();
    let rated = complaints
        .rate_resolution(rate(5))
        .await
        .unwrap()
        .into_inner();
    let rating = rated.rating.unwrap();
    assert_eq!((rating.resolution_number, rating.score), (2, 5));
}

#[tokio::test]
async fn bad_step_fields_are_refused_before_anything_is_read() {
    let app = TestApp::spawn().await;
    let (mut complaints, filed) = filed(&app, ComplaintKind::Complaint).await;
    let refused = complaints
        .record_investigation(RecordInvestigationRequest {
            id: filed.id.clone(),
            investigation: Some(Investigation {
                findings: String::new(),
                responsible_party: 42,
                root_cause: "x".repeat(501),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        logistics_tests::violated_fields(&refused),
        [
            "investigation.findings",
            "investigation.responsible_party",
            "investigation.root_cause"
        ]
    );
    let refused = complaints
        .get_complaint(GetComplaintRequest {
            id: "K123".to_owned(),
            view: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let refused = complaints
        .get_complaint(GetComplaintRequest {
            id: "K2026010100000001".to_owned(),
            view: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::NotFound, "COMPLAINT_NOT_FOUND".into())
    );
}
