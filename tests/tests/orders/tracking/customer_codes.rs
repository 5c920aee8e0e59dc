//! The customer filters of SearchTrackingByReference and ListProblemShipments take a customer's id
//! or its customer code.

use logistics_contracts::orders::{
    ListProblemShipmentsRequest, OrderStatus, SearchTrackingByReferenceRequest,
    TrackingEventCode as Code,
};
use logistics_tests::{TestApp, create_customer, enterprise, order_in_status, reason};

use super::{record, scan};

const UNKNOWN_CODE: &str = "C999999999";

#[tokio::test]
async fn a_customer_code_filters_like_the_customer_id_and_an_unknown_code_is_not_found() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme Tiles")).await;
    let globex = create_customer(&mut customers, enterprise("Globex")).await;
    let mut client = app.tracking_client().await;
    let (_, ours) = order_in_status(&app, &acme.id, OrderStatus::InTransit, &["PO-1"]).await;
    let (_, theirs) = order_in_status(&app, &globex.id, OrderStatus::InTransit, &["PO-1"]).await;
    record(
        &mut client,
        vec![
            scan(&ours, "a", Code::Exception, 5),
            scan(&theirs, "b", Code::Exception, 5),
        ],
    )
    .await;

    for customer_id in [acme.id.clone(), acme.customer_code.clone()] {
        let found = client
            .search_tracking_by_reference(SearchTrackingByReferenceRequest {
                customer_reference: "PO-1".to_owned(),
                customer_id: customer_id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("{customer_id}: {status:?}"))
            .into_inner();
        let numbers: Vec<_> = found
            .trackings
            .iter()
            .map(|t| t.tracking_number.clone())
            .collect();
        assert_eq!(numbers, std::slice::from_ref(&ours), "{customer_id}");

        let problems = client
            .list_problem_shipments(ListProblemShipmentsRequest {
                customer_id: customer_id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_or_else(|status| panic!("{customer_id}: {status:?}"))
            .into_inner();
        let numbers: Vec<_> = problems
            .shipments
            .iter()
            .map(|s| s.tracking.as_ref().unwrap().tracking_number.clone())
            .collect();
        assert_eq!(numbers, std::slice::from_ref(&ours), "{customer_id}");
        assert_eq!(problems.shipments[0].customer_id, acme.id);
    }

    let status = client
        .search_tracking_by_reference(SearchTrackingByReferenceRequest {
            customer_reference: "PO-1".to_owned(),
            customer_id: UNKNOWN_CODE.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    assert_eq!(reason(&status), "CUSTOMER_NOT_FOUND");
    let status = client
        .list_problem_shipments(ListProblemShipmentsRequest {
            customer_id: UNKNOWN_CODE.to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::NotFound, "{status:?}");
    assert_eq!(reason(&status), "CUSTOMER_NOT_FOUND");
}
