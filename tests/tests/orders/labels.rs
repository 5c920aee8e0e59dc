//! GetLabel: a label per piece, paged by a sealed token, as SVG or PDF, found by any of the
//! order's names.

use logistics_contracts::orders::{CargoLine, GetLabelRequest, LabelFormat, Order};
use logistics_tests::orders::{OrdersClient, place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise, reason, violated_fields};
use tonic::Code;

/// Places a road order to Shenzhen of `pieces` pieces, the last line dangerous goods if asked.
async fn order_with(
    orders: &mut OrdersClient,
    customer_id: &str,
    pieces: i32,
    dangerous: bool,
) -> Order {
    let mut order = road_order(customer_id);
    order.destination.as_mut().unwrap().recipient = "南山仓库".to_owned();
    order.destination.as_mut().unwrap().region_code = "440305".to_owned();
    order.cargo = vec![
        CargoLine {
            description: "Lamps".to_owned(),
            pieces: pieces - 1,
            weight_grams: 1_000,
            ..CargoLine::default()
        },
        CargoLine {
            description: "Paint".to_owned(),
            pieces: 1,
            weight_grams: 1_000,
            dangerous_goods: dangerous,
            un_number: if dangerous {
                "UN1263".to_owned()
            } else {
                String::new()
            },
            ..CargoLine::default()
        },
    ];
    place_order(orders, order).await
}

fn request(id: &str, format: LabelFormat, page_size: i32, page_token: &str) -> GetLabelRequest {
    GetLabelRequest {
        id: id.to_owned(),
        format: format.into(),
        page_size,
        page_token: page_token.to_owned(),
    }
}

#[tokio::test]
async fn labels_are_paged_by_piece_and_found_by_any_of_the_orders_names() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut labels = app.orders_client().await;
    let order = order_with(&mut labels, &customer.id, 45, true).await;

    let mut pieces = Vec::new();
    let mut token = String::new();
    loop {
        let page = labels
            .get_label(request(
                &order.tracking_number,
                LabelFormat::Svg,
                20,
                &token,
            ))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.tracking_number, order.tracking_number);
        assert_eq!(page.content_type, "image/svg+xml");
        assert_eq!(page.total_pieces, 45);
        for label in &page.labels {
            let svg = String::from_utf8(label.content.clone()).unwrap();
            assert!(svg.contains(&format!("Piece {} / 45", label.piece_number)));
            assert!(svg.contains("DANGEROUS GOODS"));
            assert!(svg.contains("南山仓库"));
        }
        pieces.extend(page.labels.iter().map(|label| label.piece_number));
        token = page.next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(pieces, (1..=45).collect::<Vec<_>>());

    for name in [order.id.clone(), order.order_number.clone()] {
        let page = labels
            .get_label(request(&name, LabelFormat::Pdf, 0, ""))
            .await
            .unwrap()
            .into_inner();
        assert_eq!(page.content_type, "application/pdf");
        assert_eq!(page.labels.len(), 20, "the default page");
        assert!(
            page.labels
                .iter()
                .all(|label| label.content.starts_with(b"%PDF-"))
        );
    }
    let page = labels
        .get_label(request(&order.order_number, LabelFormat::Svg, 100, ""))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.labels.len(), 45, "up to 100 per page, and 45 is all");
    assert!(page.next_page_token.is_empty());
    for too_many in [101, 1000, i32::MAX, i32::MIN] {
        let status = labels
            .get_label(request(&order.order_number, LabelFormat::Svg, too_many, ""))
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "page_size {too_many}");
        assert_eq!(violated_fields(&status), ["page_size"]);
    }

    let plain = order_with(&mut labels, &customer.id, 2, false).await;
    let page = labels
        .get_label(request(&plain.tracking_number, LabelFormat::Svg, 0, ""))
        .await
        .unwrap()
        .into_inner();
    let svg = String::from_utf8(page.labels[0].content.clone()).unwrap();
    assert!(!svg.contains("DANGEROUS GOODS"));
}

#[tokio::test]
async fn a_label_request_with_bad_fields_a_foreign_token_or_an_unknown_order_is_refused() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut labels = app.orders_client().await;
    let order = order_with(&mut labels, &customer.id, 3, false).await;
    let other = order_with(&mut labels, &customer.id, 3, false).await;

    let status = labels
        .get_label(request("nonsense", LabelFormat::Unspecified, -1, ""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["id", "format", "page_size"]);

    let first = labels
        .get_label(request(&order.order_number, LabelFormat::Svg, 1, ""))
        .await
        .unwrap()
        .into_inner();
    for (id, format) in [
        (other.order_number.as_str(), LabelFormat::Svg),
        (order.order_number.as_str(), LabelFormat::Pdf),
    ] {
        let status = labels
            .get_label(request(id, format, 1, &first.next_page_token))
            .await
            .unwrap_err();
        assert_eq!(violated_fields(&status), ["page_token"], "{id} {format:?}");
    }

    let unknown = logistics_orders::tracking_number(99_999).unwrap();
    let status = labels
        .get_label(request(&unknown, LabelFormat::Svg, 0, ""))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "ORDER_NOT_FOUND");
}

#[tokio::test]
async fn every_piece_gets_a_label_page_by_page_in_svg_and_pdf() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut orders = app.orders_client().await;
    let order = place_order(&mut orders, road_order(&customer.id)).await;

    for (format, content_type, magic) in [
        (LabelFormat::Svg, "image/svg+xml", "<svg"),
        (LabelFormat::Pdf, "application/pdf", "%PDF"),
    ] {
        let mut pieces = Vec::new();
        let mut token = String::new();
        loop {
            let page = orders
                .get_label(GetLabelRequest {
                    id: order.tracking_number.clone(),
                    format: format.into(),
                    page_size: 2,
                    page_token: token,
                })
                .await
                .expect("labels")
                .into_inner();
            assert_eq!(page.tracking_number, order.tracking_number);
            assert_eq!(page.content_type, content_type);
            assert_eq!(page.total_pieces, 5);
            for label in page.labels {
                let text = String::from_utf8_lossy(&label.content);
                assert!(
                    text.contains(magic),
                    "{format:?} piece {}",
                    label.piece_number
                );
                if format == LabelFormat::Svg {
                    assert!(
                        text.contains(&order.tracking_number),
                        "human-readable number"
                    );
                }
                pieces.push(label.piece_number);
            }
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        assert_eq!(pieces, [1, 2, 3, 4, 5], "{format:?}");
    }
}
