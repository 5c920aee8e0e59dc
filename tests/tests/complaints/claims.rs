//! Claims (索赔): filed within their window against a delivered (or lost) shipment, reviewed
//! once, capped by the claimed amount and the declared value, paid once.

use logistics_contracts::complaints::{
    Claim, ClaimStatus, Complaint, ComplaintCategory, ComplaintKind, FileComplaintRequest,
    Investigation, MarkClaimPaidRequest, RecordInvestigationRequest, ResolveComplaintRequest,
    ResponsibleParty, ReviewClaimRequest, review_claim_request::Decision,
};
use logistics_contracts::orders::OrderStatus;
use logistics_tests::complaints::{ComplaintsClient, complaint, file};
use logistics_tests::orders::{cny, order_in_status};
use logistics_tests::{TestApp, create_customer, enterprise, reason, request_id, violated_fields};
use tonic::Code;

fn claim_about(customer_id: &str, order: &str, category: ComplaintCategory, fen: i64) -> Complaint {
    let mut claim = complaint(customer_id, ComplaintKind::Claim, category);
    claim.order_id = order.to_owned();
    claim.claim = Some(Claim {
        claimed_amount: Some(cny(fen)),
        evidence: vec![
            "photo 1: crushed carton".to_owned(),
            "delivery note".to_owned(),
        ],
        ..Claim::default()
    });
    claim
}

async fn refused_filing(complaints: &mut ComplaintsClient, claim: Complaint) -> tonic::Status {
    complaints
        .file_complaint(FileComplaintRequest {
            complaint: Some(claim),
            request_id: request_id(),
        })
        .await
        .unwrap_err()
}

fn review(id: &str, decision: Decision) -> ReviewClaimRequest {
    ReviewClaimRequest {
        id: id.to_owned(),
        etag: String::new(),
        decision: Some(decision),
    }
}

#[tokio::test]
async fn a_damage_claim_is_reviewed_capped_paid_once_and_then_resolved() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let (_, tracking) = order_in_status(&app, &customer.id, OrderStatus::Delivered, &[]).await;
    let mut complaints = app.complaints_client().await;

    let filed = file(
        &mut complaints,
        claim_about(
            &customer.id,
            &tracking,
            ComplaintCategory::Damage,
            1_500_000,
        ),
    )
    .await;
    let claim = filed.claim.clone().unwrap();
    assert_eq!(claim.status(), ClaimStatus::Submitted);
    let window_end = claim.window_end_time.unwrap();
    let days_left = (window_end.seconds - chrono::Utc::now().timestamp()) / 86_400;
    assert!(
        (20..=21).contains(&days_left),
        "{days_left} days left to claim"
    );
    let evidence = filed.evidence.clone().unwrap();
    assert!(evidence.delivery.is_some(), "the proof of delivery is kept");

    let investigated = complaints
        .record_investigation(RecordInvestigationRequest {
            id: filed.id.clone(),
            investigation: Some(Investigation {
                findings: "Crushed in the line-haul truck.".to_owned(),
                responsible_party: ResponsibleParty::Carrier.into(),
                root_cause: "load not strapped".to_owned(),
                ..Investigation::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        investigated.claim.unwrap().status(),
        ClaimStatus::UnderReview
    );
    let resolve = ResolveComplaintRequest {
        id: filed.id.clone(),
        feedback: "Paid.".to_owned(),
        ..Default::default()
    };
    let refused = complaints
        .resolve_complaint(resolve.clone())
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "CLAIM_NOT_DECIDED");

    let refused = complaints
        .review_claim(review(&filed.id, Decision::ApprovedAmount(cny(1_600_000))))
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::FailedPrecondition, "APPROVED_ABOVE_CLAIMED".into())
    );
    let refused = complaints
        .review_claim(review(&filed.id, Decision::ApprovedAmount(cny(1_300_000))))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "APPROVED_ABOVE_DECLARED_VALUE");
    let approved = complaints
        .review_claim(review(&filed.id, Decision::ApprovedAmount(cny(1_200_000))))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(approved.status(), ClaimStatus::Approved);
    assert_eq!(approved.approved_amount.unwrap().amount_minor, 1_200_000);
    let refused = complaints
        .review_claim(review(
            &filed.id,
            Decision::RejectionReason("second thoughts".to_owned()),
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "CLAIM_ALREADY_DECIDED");

    let pay = |reference: &str| MarkClaimPaidRequest {
        id: filed.id.clone(),
        etag: String::new(),
        payment_reference: reference.to_owned(),
    };
    let paid = complaints
        .mark_claim_paid(pay("PAY-0001"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(paid.claim.as_ref().unwrap().status(), ClaimStatus::Paid);
    let again = complaints
        .mark_claim_paid(pay("PAY-0001"))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        again.etag, paid.etag,
        "paying again with the same reference changes nothing"
    );
    let refused = complaints
        .mark_claim_paid(pay("PAY-0002"))
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "ALREADY_PAID");

    complaints.resolve_complaint(resolve).await.unwrap();
}

#[tokio::test]
async fn a_rejected_claim_is_never_paid() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let (_, tracking) = order_in_status(&app, &customer.id, OrderStatus::Delivered, &[]).await;
    let mut complaints = app.complaints_client().await;
    let filed = file(
        &mut complaints,
        claim_about(&customer.id, &tracking, ComplaintCategory::Shortage, 10_000),
    )
    .await;
    let rejected = complaints
        .review_claim(review(
            &filed.id,
            Decision::RejectionReason("all pieces signed for".to_owned()),
        ))
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(rejected.status(), ClaimStatus::Rejected);
    assert_eq!(rejected.rejection_reason, "all pieces signed for");
    let refused = complaints
        .mark_claim_paid(MarkClaimPaidRequest {
            id: filed.id,
            etag: String::new(),
            payment_reference: "PAY-9".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&refused), "CLAIM_NOT_APPROVED");
}

#[tokio::test]
async fn claims_that_do_not_fit_the_shipment_are_refused_with_the_reason() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let (_, in_transit) = order_in_status(&app, &customer.id, OrderStatus::InTransit, &[]).await;
    let (delivered_id, delivered) =
        order_in_status(&app, &customer.id, OrderStatus::Delivered, &[]).await;
    let mut complaints = app.complaints_client().await;

    let refused = refused_filing(
        &mut complaints,
        claim_about(&customer.id, &in_transit, ComplaintCategory::Damage, 100),
    )
    .await;
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::FailedPrecondition, "CLAIM_BEFORE_DELIVERY".into())
    );
    let refused = refused_filing(
        &mut complaints,
        claim_about(&customer.id, &delivered, ComplaintCategory::Loss, 100),
    )
    .await;
    assert_eq!(reason(&refused), "CLAIM_NOT_LOST");
    // On its way and promised for later: not lost yet.
    let refused = refused_filing(
        &mut complaints,
        claim_about(&customer.id, &in_transit, ComplaintCategory::Loss, 100),
    )
    .await;
    assert_eq!(reason(&refused), "CLAIM_NOT_LOST");
    let refused = refused_filing(
        &mut complaints,
        claim_about(&customer.id, &delivered, ComplaintCategory::Billing, 100),
    )
    .await;
    assert_eq!(reason(&refused), "NOT_CLAIMABLE");

    let mut without_order = claim_about(&customer.id, "", ComplaintCategory::Damage, 100);
    without_order.claim.as_mut().unwrap().evidence.clear();
    let refused = refused_filing(&mut complaints, without_order).await;
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        ["complaint.order_id", "complaint.claim.evidence"]
    );

    // Delivered 30 days ago: the 21 days are over.
    let orders = app.schema_pool("orders").await;
    sqlx::query("UPDATE orders SET delivery_time = now() - interval '30 days' WHERE id = $1::uuid")
        .bind(&delivered_id)
        .execute(&orders)
        .await
        .unwrap();
    let refused = refused_filing(
        &mut complaints,
        claim_about(&customer.id, &delivered, ComplaintCategory::Damage, 100),
    )
    .await;
    assert_eq!(reason(&refused), "CLAIM_WINDOW_CLOSED");
}
