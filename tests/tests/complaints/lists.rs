//! ListComplaints and CountComplaints: queues by customer, status, kind and category, in pages.

use logistics_contracts::common::Priority;
use logistics_contracts::complaints::{
    ComplaintCategory, ComplaintFilter, ComplaintKind, ComplaintStatus, CountComplaintsRequest,
    ListComplaintsRequest, ResolveComplaintRequest,
};
use logistics_tests::complaints::{complaint, file};
use logistics_tests::{TestApp, create_customer, enterprise, reason, violated_fields};
use tonic::Code;

#[tokio::test]
async fn queues_filter_by_customer_status_and_category_and_page_without_gaps() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    let other = create_customer(&mut customers, enterprise("Other")).await;
    let mut complaints = app.complaints_client().await;
    let mut filed = Vec::new();
    for category in [
        ComplaintCategory::Damage,
        ComplaintCategory::Delay,
        ComplaintCategory::Loss,
        ComplaintCategory::Other,
        ComplaintCategory::Billing,
    ] {
        filed.push(
            file(
                &mut complaints,
                complaint(&acme.id, ComplaintKind::Inquiry, category),
            )
            .await,
        );
    }
    file(
        &mut complaints,
        complaint(
            &other.id,
            ComplaintKind::Complaint,
            ComplaintCategory::Damage,
        ),
    )
    .await;
    complaints
        .resolve_complaint(ResolveComplaintRequest {
            id: filed[0].id.clone(),
            feedback: "answered".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap();

    let by_code = ComplaintFilter {
        customer_id: acme.customer_code.clone(),
        ..Default::default()
    };
    let mut seen = Vec::new();
    let mut token = String::new();
    loop {
        let page = complaints
            .list_complaints(ListComplaintsRequest {
                page_size: 2,
                page_token: token.clone(),
                filter: Some(by_code.clone()),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.complaints.len() <= 2);
        seen.extend(page.complaints.into_iter().map(|complaint| complaint.id));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    let newest_first: Vec<_> = filed
        .iter()
        .rev()
        .map(|complaint| complaint.id.clone())
        .collect();
    assert_eq!(seen, newest_first);

    let open_damage_or_loss = complaints
        .list_complaints(ListComplaintsRequest {
            filter: Some(ComplaintFilter {
                customer_id: acme.id.clone(),
                statuses: vec![ComplaintStatus::Received.into()],
                priority: Priority::High.into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let ids: Vec<_> = open_damage_or_loss
        .complaints
        .iter()
        .map(|c| c.id.clone())
        .collect();
    assert_eq!(
        ids,
        [filed[2].id.clone()],
        "LOSS is HIGH; the DAMAGE one is resolved"
    );

    let counts = complaints
        .count_complaints(CountComplaintsRequest {
            filter: Some(by_code),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(counts.total, 5);
    let rows: Vec<_> = counts
        .counts
        .iter()
        .map(|row| (row.status(), row.priority(), row.count))
        .collect();
    assert_eq!(
        rows,
        [
            (ComplaintStatus::Received, Priority::High, 1),
            (ComplaintStatus::Received, Priority::Normal, 2),
            (ComplaintStatus::Received, Priority::Low, 1),
            (ComplaintStatus::Resolved, Priority::High, 1),
        ]
    );

    // A token belongs to its filter.
    let first = complaints
        .list_complaints(ListComplaintsRequest {
            page_size: 1,
            filter: Some(ComplaintFilter {
                customer_id: acme.id.clone(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    let refused = complaints
        .list_complaints(ListComplaintsRequest {
            page_size: 1,
            page_token: first.next_page_token,
            filter: Some(ComplaintFilter {
                customer_id: other.id.clone(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["page_token"]);
}

#[tokio::test]
async fn bad_filters_are_refused_and_an_unknown_customer_code_is_not_found() {
    let app = TestApp::spawn().await;
    let mut complaints = app.complaints_client().await;
    let refused = complaints
        .list_complaints(ListComplaintsRequest {
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    let refused = complaints
        .list_complaints(ListComplaintsRequest {
            filter: Some(ComplaintFilter {
                statuses: vec![99],
                kind: 42,
                assigned_agent: "a\u{7}".to_owned(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["filter.statuses[0]", "filter.kind", "filter.assigned_agent"]
    );
    let refused = complaints
        .count_complaints(CountComplaintsRequest {
            filter: Some(ComplaintFilter {
                customer_id: "C987654".to_owned(),
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused)),
        (Code::NotFound, "CUSTOMER_NOT_FOUND".into())
    );
}
