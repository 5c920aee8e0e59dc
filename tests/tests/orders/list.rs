//! ListOrders: filters and pages.

use logistics_contracts::common::TransportMode;
use logistics_contracts::orders::{
    CancelOrderRequest, ListOrdersRequest, Order, OrderFilter, OrderOrder, OrderStatus,
};
use logistics_tests::orders::{OrdersClient, address, place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise, violated_fields};
use tonic::Code;

async fn list(orders: &mut OrdersClient, filter: OrderFilter) -> Vec<String> {
    orders
        .list_orders(ListOrdersRequest {
            filter: Some(filter),
            page_size: 100,
            ..ListOrdersRequest::default()
        })
        .await
        .expect("listing")
        .into_inner()
        .orders
        .into_iter()
        .map(|order| order.order_number)
        .collect()
}

#[tokio::test]
async fn orders_are_filtered_by_customer_status_mode_region_and_reference() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    let globex = create_customer(&mut customers, enterprise("Globex")).await;
    let mut orders = app.orders_client().await;

    let road = place_order(&mut orders, road_order(&acme.id)).await;
    let rail = place_order(
        &mut orders,
        Order {
            mode: TransportMode::Rail.into(),
            destination: Some(address("Tianhe Depot", "Guangzhou", "440106")),
            customer_references: vec!["PO-RAIL".to_owned()],
            ..road_order(&acme.id)
        },
    )
    .await;
    let other = place_order(&mut orders, road_order(&globex.id)).await;
    orders
        .cancel_order(CancelOrderRequest {
            id: other.id.clone(),
            reason: "duplicate".to_owned(),
            etag: String::new(),
        })
        .await
        .unwrap();

    let by_customer = list(
        &mut orders,
        OrderFilter {
            customer_id: acme.id.clone(),
            ..OrderFilter::default()
        },
    )
    .await;
    assert_eq!(
        by_customer,
        [rail.order_number.clone(), road.order_number.clone()],
        "newest first"
    );
    let by_customer_code = list(
        &mut orders,
        OrderFilter {
            customer_id: acme.customer_code.clone(),
            ..OrderFilter::default()
        },
    )
    .await;
    assert_eq!(
        by_customer_code, by_customer,
        "a customer code names the customer too"
    );
    let cancelled = list(
        &mut orders,
        OrderFilter {
            statuses: vec![OrderStatus::Cancelled.into()],
            ..OrderFilter::default()
        },
    )
    .await;
    assert_eq!(cancelled, vec![other.order_number.clone()]);
    let by_rail = list(
        &mut orders,
        OrderFilter {
            mode: TransportMode::Rail.into(),
            ..OrderFilter::default()
        },
    )
    .await;
    assert_eq!(by_rail, vec![rail.order_number.clone()]);
    let to_guangdong = list(
        &mut orders,
        OrderFilter {
            region_code_prefix: "44".to_owned(),
            ..OrderFilter::default()
        },
    )
    .await;
    assert_eq!(to_guangdong, vec![rail.order_number.clone()]);
    let by_reference = list(
        &mut orders,
        OrderFilter {
            customer_reference: "PO-RAIL".to_owned(),
            ..OrderFilter::default()
        },
    )
    .await;
    assert_eq!(by_reference, vec![rail.order_number.clone()]);
    let since_rail = list(
        &mut orders,
        OrderFilter {
            create_time_after: rail.create_time,
            ..OrderFilter::default()
        },
    )
    .await;
    assert_eq!(
        since_rail,
        [other.order_number.clone(), rail.order_number.clone()]
    );
}

#[tokio::test]
async fn pages_of_orders_add_up_to_the_whole_list_in_every_order() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    for _ in 0..7 {
        place_order(&mut orders, road_order(&customer.id)).await;
    }
    for order_by in [
        OrderOrder::CreateTimeDesc,
        OrderOrder::CreateTimeAsc,
        OrderOrder::PromisedDeliveryAsc,
    ] {
        let whole = orders
            .list_orders(ListOrdersRequest {
                order_by: order_by.into(),
                page_size: 100,
                ..ListOrdersRequest::default()
            })
            .await
            .unwrap()
            .into_inner()
            .orders;
        assert_eq!(whole.len(), 7);
        let mut paged = Vec::new();
        let mut token = String::new();
        loop {
            let page = orders
                .list_orders(ListOrdersRequest {
                    order_by: order_by.into(),
                    page_size: 3,
                    page_token: token,
                    ..ListOrdersRequest::default()
                })
                .await
                .unwrap()
                .into_inner();
            paged.extend(page.orders);
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(paged, whole, "{order_by:?}");
    }
}

#[tokio::test]
async fn a_bad_filter_names_every_bad_field() {
    let app = TestApp::spawn().await;
    let refused = app
        .orders_client()
        .await
        .list_orders(ListOrdersRequest {
            filter: Some(OrderFilter {
                customer_id: "nope".to_owned(),
                statuses: vec![99],
                mode: 42,
                region_code_prefix: "31%".to_owned(),
                customer_reference: "x".repeat(65),
                ..OrderFilter::default()
            }),
            page_size: -1,
            ..ListOrdersRequest::default()
        })
        .await
        .expect_err("a bad filter");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        [
            "filter.customer_id",
            "filter.statuses[0]",
            "filter.mode",
            "filter.region_code_prefix",
            "filter.customer_reference",
        ]
    );
}

#[tokio::test]
async fn a_nul_or_a_line_break_in_the_customer_reference_filter_is_an_invalid_argument() {
    let app = TestApp::spawn().await;
    let mut orders = app.orders_client().await;
    for reference in ["PO\u{0}1", "\u{0}", "PO\n1", "PO\u{1b}[2J"] {
        let refused = orders
            .list_orders(ListOrdersRequest {
                filter: Some(OrderFilter {
                    customer_reference: reference.to_owned(),
                    ..OrderFilter::default()
                }),
                ..ListOrdersRequest::default()
            })
            .await
            .expect_err("a control character in a filter");
        assert_eq!(
            refused.code(),
            Code::InvalidArgument,
            "{reference:?}: {refused:?}"
        );
        assert_eq!(violated_fields(&refused), ["filter.customer_reference"]);
    }
}
