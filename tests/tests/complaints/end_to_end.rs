//! A damaged delivery from the warehouse to the customer's follow-up call, across the real
//! customers, orders and complaints services: the proactive case, the customer's claim with its
//! evidence, investigation, review, payment, resolution, rating and closing, and the check-in the
//! customers service schedules from the complaints feed.

use std::time::Duration;

use logistics_contracts::complaints::{
    AuditAction, Claim, ClaimStatus, CloseComplaintRequest, ComplaintCategory, ComplaintChannel,
    ComplaintFilter, ComplaintKind, ComplaintStatus, ComplaintView, GetComplaintRequest,
    Investigation, ListComplaintsRequest, MarkClaimPaidRequest, ProposeResolutionRequest,
    ProposedResolution, RateResolutionRequest, Rating, RecordInvestigationRequest,
    ResolutionAction, ResolutionActionKind, ResolveComplaintRequest, ResponsibleParty,
    ReviewClaimRequest, review_claim_request::Decision,
};
use logistics_contracts::customers::{FollowUpFilter, FollowUpReason, ListFollowUpsRequest};
use logistics_contracts::orders::{OrderStatus, RecordDeliveryRequest};
use logistics_platform::time::timestamp;
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::{cny, order_in_status};
use logistics_tests::{TestApp, create_customer, enterprise};

#[tokio::test]
async fn a_damaged_delivery_is_reached_claimed_paid_resolved_rated_closed_and_followed_up() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let (order_id, tracking) =
        order_in_status(&app, &customer.id, OrderStatus::OutForDelivery, &[]).await;
    app.tracking_client()
        .await
        .record_delivery(RecordDeliveryRequest {
            tracking_number: tracking.clone(),
            signed_by: "Wang Fang".to_owned(),
            delivery_time: Some(timestamp(
                chrono::Utc::now() - chrono::Duration::minutes(30),
            )),
            damaged_pieces: 2,
            notes: "two cartons crushed".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();

    // 1. The company reaches the customer first.
    let mut complaints = app.complaints_client().await;
    let proactive = {
        let request = ListComplaintsRequest {
            filter: Some(ComplaintFilter {
                order_id: tracking.clone(),
                channel: ComplaintChannel::Proactive.into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let mut found = Vec::new();
        for _ in 0..150 {
            found = complaints
                .list_complaints(request.clone())
                .await
                .unwrap()
                .into_inner()
                .complaints;
            if !found.is_empty() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        found.pop().expect("a proactive case within 15 s")
    };
    assert_eq!(proactive.category(), ComplaintCategory::Damage);
    assert_eq!(proactive.assigned_agent, "li.wei");

    // 2. The customer claims for the damage; the shipment is kept as evidence.
    let mut claim = complaint(
        &customer.customer_code,
        ComplaintKind::Claim,
        ComplaintCategory::Damage,
    );
    claim.order_id = tracking.clone();
    claim.claim = Some(Claim {
        claimed_amount: Some(cny(500_000)),
        evidence: vec!["photos of two crushed cartons".to_owned()],
        ..Default::default()
    });
    let filed = file(&mut complaints, claim).await;
    let id = filed.id.clone();
    assert_eq!(filed.order_id, order_id);
    let evidence = filed.evidence.unwrap();
    assert_eq!(evidence.order_status(), OrderStatus::Delivered);
    assert_eq!(evidence.delivery.unwrap().damaged_pieces, 2);

    // 3. Investigation, review, payment, resolution, rating, closing.
    complaints
        .record_investigation(RecordInvestigationRequest {
            id: id.clone(),
            investigation: Some(Investigation {
                findings: "Crushed under heavier freight on the last leg.".to_owned(),
                responsible_party: ResponsibleParty::Carrier.into(),
                root_cause: "loading order".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    complaints
        .review_claim(ReviewClaimRequest {
            id: id.clone(),
            etag: String::new(),
            decision: Some(Decision::ApprovedAmount(cny(400_000))),
        })
        .await
        .unwrap();
    let paid = complaints
        .mark_claim_paid(MarkClaimPaidRequest {
            id: id.clone(),
            etag: String::new(),
            payment_reference: "PAY-2026-0001".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.claim.unwrap().status(), ClaimStatus::Paid);
    complaints
        .propose_resolution(ProposeResolutionRequest {
            id: id.clone(),
            resolution: Some(ProposedResolution {
                actions: vec![ResolutionAction {
                    kind: ResolutionActionKind::Compensation.into(),
                    amount: Some(cny(400_000)),
                    note: "two cartons at their declared value".to_owned(),
                }],
                message: "We pay 4,000 CNY for the two cartons.".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap();
    let resolved = complaints
        .resolve_complaint(ResolveComplaintRequest {
            id: id.clone(),
            feedback: "Paid 4,000 CNY; the carrier changed its loading order.".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(resolved.status(), ComplaintStatus::Resolved);
    complaints
        .rate_resolution(RateResolutionRequest {
            id: id.clone(),
            rating: Some(Rating {
                score: 5,
                ..Default::default()
            }),
        })
        .await
        .unwrap();
    complaints
        .close_complaint(CloseComplaintRequest {
            id: id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let closed = complaints
        .get_complaint(GetComplaintRequest {
            id: id.clone(),
            view: ComplaintView::Full.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(closed.status(), ComplaintStatus::Closed);
    let trail: Vec<_> = closed
        .audit_trail
        .iter()
        .map(|entry| entry.action())
        .collect();
    assert_eq!(
        trail,
        [
            AuditAction::Filed,
            AuditAction::InvestigationRecorded,
            AuditAction::ClaimReviewed,
            AuditAction::ClaimPaid,
            AuditAction::ResolutionProposed,
            AuditAction::Resolved,
            AuditAction::Rated,
            AuditAction::Closed,
        ]
    );

    // 4. Customers heard of the resolution and schedules its check-in, once.
    let mut engagement = app.engagement_client().await;
    let request = ListFollowUpsRequest {
        filter: Some(FollowUpFilter {
            customer_id: customer.id.clone(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut check_ins = Vec::new();
    for _ in 0..150 {
        check_ins = engagement
            .list_follow_ups(request.clone())
            .await
            .unwrap()
            .into_inner()
            .follow_ups
            .into_iter()
            .filter(|follow_up| follow_up.reason() == FollowUpReason::ComplaintResolved)
            .collect();
        if !check_ins.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(check_ins.len(), 1, "one check-in for one resolution");
    assert_eq!(check_ins[0].reference, filed.complaint_number);
    assert_eq!(check_ins[0].agent, "li.wei");
}

/// The check-ins of `customer_id`'s resolved complaints, once `count` of them exist.
async fn check_ins(app: &TestApp, customer_id: &str, count: usize) -> Vec<String> {
    let mut engagement = app.engagement_client().await;
    let request = ListFollowUpsRequest {
        filter: Some(FollowUpFilter {
            customer_id: customer_id.to_owned(),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut found = Vec::new();
    for _ in 0..150 {
        found = engagement
            .list_follow_ups(request.clone())
            .await
            .unwrap()
            .into_inner()
            .follow_ups
            .into_iter()
            .filter(|follow_up| follow_up.reason() == FollowUpReason::ComplaintResolved)
            .map(|follow_up| follow_up.notes)
            .collect();
        if found.len() >= count {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    found
}

#[tokio::test]
async fn each_resolution_gets_one_check_in_and_a_restart_of_customers_doubles_none() {
    let mut app = TestApp::spawn().await;
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
    let resolve = ResolveComplaintRequest {
        id: filed.id.clone(),
        feedback: "The invoice is attached.".to_owned(),
        ..Default::default()
    };
    complaints.resolve_complaint(resolve.clone()).await.unwrap();
    assert_eq!(check_ins(&app, &customer.id, 1).await.len(), 1);

    app.stop_customers().await;
    complaints
        .reopen_complaint(logistics_contracts::complaints::ReopenComplaintRequest {
            id: filed.id.clone(),
            reason: "wrong month".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();
    complaints.resolve_complaint(resolve).await.unwrap();
    app.start_customers().await;

    let notes = check_ins(&app, &customer.id, 2).await;
    assert_eq!(notes.len(), 2, "{notes:?}");
    assert!(
        notes.iter().any(|note| note.contains("resolution 2")),
        "{notes:?}"
    );
    // Nothing more comes: the feed was read past both resolutions, each applied once.
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(check_ins(&app, &customer.id, 0).await.len(), 2);
}
