//! FileComplaint and GetComplaint: what a filed complaint holds, its retries, its refusals, and
//! the shipment kept as evidence.

use logistics_contracts::common::Priority;
use logistics_contracts::complaints::{
    AuditAction, Complaint, ComplaintCategory, ComplaintChannel, ComplaintKind, ComplaintStatus,
    ComplaintView, FileComplaintRequest, GetComplaintRequest, SlaClockState,
};
use logistics_contracts::orders::{CancelOrderRequest, OrderStatus};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::orders::{place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise, reason, request_id, violated_fields};
use tonic::Code;

#[tokio::test]
async fn a_filed_complaint_is_received_numbered_prioritised_and_its_clocks_run() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut complaints = app.complaints_client().await;

    let filed = file(
        &mut complaints,
        complaint(
            &customer.customer_code,
            ComplaintKind::Complaint,
            ComplaintCategory::Delay,
        ),
    )
    .await;

    assert_eq!(filed.status(), ComplaintStatus::Received);
    assert_eq!(
        filed.customer_id, customer.id,
        "a customer code is answered as the id"
    );
    assert!(
        filed.complaint_number.starts_with('K'),
        "{}",
        filed.complaint_number
    );
    assert_eq!(filed.complaint_number.len(), 17);
    assert_eq!(
        filed.priority(),
        Priority::Normal,
        "DELAY is NORMAL by default"
    );
    assert_eq!(filed.filed_by, "admin");
    let sla = filed.sla.expect("clocks");
    for clock in [sla.first_response.unwrap(), sla.resolution.unwrap()] {
        assert_eq!(clock.state(), SlaClockState::Running);
        assert!(clock.due_time.is_some());
        assert!(clock.target_minutes > 0);
        assert!(!clock.breached);
    }

    let by_number = complaints
        .get_complaint(GetComplaintRequest {
            id: filed.complaint_number.clone(),
            view: ComplaintView::Full.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_number.id, filed.id);
    assert_eq!(by_number.etag, filed.etag);
    let trail: Vec<_> = by_number
        .audit_trail
        .iter()
        .map(|entry| entry.action())
        .collect();
    assert_eq!(trail, [AuditAction::Filed]);
    assert_eq!(
        by_number.audit_trail[0].to_status(),
        ComplaintStatus::Received
    );
}

#[tokio::test]
async fn a_retry_answers_the_first_complaint_and_a_reused_request_id_is_refused() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut complaints = app.complaints_client().await;
    let request = FileComplaintRequest {
        complaint: Some(complaint(
            &customer.id,
            ComplaintKind::Inquiry,
            ComplaintCategory::Billing,
        )),
        request_id: request_id(),
    };

    let first = complaints
        .file_complaint(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = complaints
        .file_complaint(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);

    let mut changed = request;
    changed.complaint.as_mut().unwrap().subject = "Another question".to_owned();
    let refused = complaints.file_complaint(changed).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(reason(&refused), "IDEMPOTENCY_KEY_REUSED");
}

#[tokio::test]
async fn every_bad_field_is_named_in_one_refusal() {
    let app = TestApp::spawn().await;
    let mut complaints = app.complaints_client().await;
    let bad = Complaint {
        kind: 0,
        channel: ComplaintChannel::Proactive.into(),
        category: 99,
        customer_id: "nobody".to_owned(),
        order_id: "O2026'; DROP".to_owned(),
        subject: "   ".to_owned(),
        description: "nul\0inside".to_owned(),
        ..Complaint::default()
    };
    let refused = complaints
        .file_complaint(FileComplaintRequest {
            complaint: Some(bad),
            request_id: "not-a-uuid".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let mut fields = violated_fields(&refused);
    fields.sort();
    assert_eq!(
        fields,
        [
            "complaint.category",
            "complaint.channel",
            "complaint.customer_id",
            "complaint.description",
            "complaint.kind",
            "complaint.order_id",
            "complaint.subject",
            "request_id",
        ]
    );
}

#[tokio::test]
async fn an_unknown_customer_or_order_is_not_found() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut complaints = app.complaints_client().await;
    let refused = complaints
        .file_complaint(FileComplaintRequest {
            complaint: Some(complaint(
                "C999999",
                ComplaintKind::Complaint,
                ComplaintCategory::Other,
            )),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::NotFound, "CUSTOMER_NOT_FOUND".into())
    );

    let mut about_nothing = complaint(
        &customer.id,
        ComplaintKind::Complaint,
        ComplaintCategory::Delay,
    );
    about_nothing.order_id = "O2026010100000001".to_owned();
    let refused = complaints
        .file_complaint(FileComplaintRequest {
            complaint: Some(about_nothing),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::NotFound, "ORDER_NOT_FOUND".into())
    );
}

#[tokio::test]
async fn the_shipment_at_filing_is_kept_as_evidence_and_later_changes_leave_it_alone() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let order = place_order(&mut orders, road_order(&customer.id)).await;
    let mut complaints = app.complaints_client().await;
    let mut about_order = complaint(
        &customer.id,
        ComplaintKind::Complaint,
        ComplaintCategory::Delay,
    );
    about_order.order_id = order.order_number.clone();

    let filed = file(&mut complaints, about_order).await;
    assert_eq!(filed.order_id, order.id);
    assert_eq!(filed.tracking_number, order.tracking_number);
    let evidence = filed.evidence.clone().expect("evidence");
    assert_eq!(evidence.order_status(), OrderStatus::Created);
    assert_eq!(evidence.order_number, order.order_number);
    assert_eq!(evidence.total_pieces, 5);
    assert_eq!(
        evidence
            .declared_value
            .as_ref()
            .map(|money| money.amount_minor),
        Some(1_200_000)
    );
    assert!(evidence.capture_time.is_some());

    orders
        .cancel_order(CancelOrderRequest {
            id: order.id.clone(),
            reason: "the customer changed their mind".to_owned(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let later = complaints
        .get_complaint(GetComplaintRequest {
            id: filed.id.clone(),
            view: ComplaintView::Full.into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(later.evidence.unwrap().order_status(), OrderStatus::Created);
}

#[tokio::test]
async fn an_order_of_another_customer_is_refused() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let owner = create_customer(&mut customers, enterprise("Owner")).await;
    let stranger = create_customer(&mut customers, enterprise("Stranger")).await;
    let order = place_order(&mut app.orders_client().await, road_order(&owner.id)).await;
    let mut complaints = app.complaints_client().await;
    let mut about_order = complaint(
        &stranger.id,
        ComplaintKind::Complaint,
        ComplaintCategory::Delay,
    );
    about_order.order_id = order.tracking_number.clone();

    let refused = complaints
        .file_complaint(FileComplaintRequest {
            complaint: Some(about_order),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ORDER_OF_ANOTHER_CUSTOMER");
}

#[tokio::test]
async fn a_reader_may_look_but_not_file() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut reader = app
        .complaints_client_with(&app.keys.complaints_reader)
        .await;
    let refused = reader
        .file_complaint(FileComplaintRequest {
            complaint: Some(complaint(
                &customer.id,
                ComplaintKind::Complaint,
                ComplaintCategory::Other,
            )),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let refused = app
        .complaints_client_with(&app.keys.orders_only)
        .await
        .get_complaint(GetComplaintRequest {
            id: uuid::Uuid::new_v4().to_string(),
            view: 0,
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}
