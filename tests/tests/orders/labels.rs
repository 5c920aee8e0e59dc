//! GetLabel: a label per piece, paged, as SVG or PDF.

use logistics_contracts::orders::{GetLabelRequest, LabelFormat};
use logistics_tests::orders::{place_order, road_order};
use logistics_tests::{TestApp, create_customer, enterprise, violated_fields};
use tonic::Code;

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

#[tokio::test]
async fn a_label_request_names_its_bad_fields() {
    let app = TestApp::spawn().await;
    let refused = app
        .orders_client()
        .await
        .get_label(GetLabelRequest {
            id: "nope".to_owned(),
            format: 0,
            ..GetLabelRequest::default()
        })
        .await
        .expect_err("bad request");
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["id", "format"]);
}
