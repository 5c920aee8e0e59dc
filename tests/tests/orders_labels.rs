//! Label rendering against a real orders table: lookup by id, order number or tracking number,
//! paging of the pieces, and the formats. The order rows are written with SQL until CreateOrder
//! exists; GetLabel's end-to-end test over gRPC comes with it.

use logistics_contracts::orders::{GetLabelRequest, LabelFormat};
use logistics_orders::api::labels::{get_label, label_page_tokens};
use logistics_orders::domain::numbers::tracking_number;
use logistics_platform::pagination::TokenKey;
use logistics_tests::{TestApp, reason, violated_fields};
use tonic::Code;
use uuid::Uuid;

struct StoredOrder {
    id: Uuid,
    order_number: String,
    tracking_number: String,
}

async fn insert_order(
    pool: &sqlx::PgPool,
    serial: i64,
    pieces: i32,
    dangerous: bool,
) -> StoredOrder {
    let order = StoredOrder {
        id: Uuid::now_v7(),
        order_number: format!("O20260302{serial:08}"),
        tracking_number: tracking_number(serial),
    };
    let origin = serde_json::json!({
        "recipient": "Pudong Warehouse 2", "lines": ["88 Century Avenue"], "city": "Shanghai",
        "postal_code": "200120", "region_code": "310115", "country_code": "CN"
    });
    let destination = serde_json::json!({
        "recipient": "南山仓库", "lines": ["科技园 1 号"], "city": "深圳",
        "postal_code": "518057", "region_code": "440305", "country_code": "CN"
    });
    let cargo = serde_json::json!([
        {"description": "Lamps", "pieces": pieces - 1, "weight_grams": 1000, "dangerous_goods": false},
        {"description": "Paint", "pieces": 1, "weight_grams": 1000, "dangerous_goods": dangerous,
         "un_number": if dangerous { "UN1263" } else { "" }}
    ]);
    sqlx::query(
        "INSERT INTO orders (id, order_number, tracking_number, customer_id, mode, status, origin,
             destination, origin_region, destination_region, cargo, total_pieces,
             total_weight_grams, total_volume_cm3, quote, price_fen, promised_delivery_time,
             estimated_delivery_time, created_by, create_time, update_time, status_time)
         VALUES ($1, $2, $3, $4, 'ROAD', 'CREATED', $5, $6, '310115', '440305', $7, $8, 2000, 0,
             '{}', 7500, now() + interval '2 days', now() + interval '2 days', 'test', now(),
             now(), now())",
    )
    .bind(order.id)
    .bind(&order.order_number)
    .bind(&order.tracking_number)
    .bind(Uuid::now_v7())
    .bind(origin)
    .bind(destination)
    .bind(cargo)
    .bind(pieces)
    .execute(pool)
    .await
    .expect("inserting an order");
    order
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
    let pool = app.schema_pool("orders").await;
    let tokens = label_page_tokens(TokenKey::random());
    let order = insert_order(&pool, 7, 45, true).await;

    let mut pieces = Vec::new();
    let mut token = String::new();
    loop {
        let page = get_label(
            &pool,
            &tokens,
            request(&order.tracking_number, LabelFormat::Svg, 20, &token),
        )
        .await
        .unwrap();
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

    for name in [order.id.to_string(), order.order_number.clone()] {
        let page = get_label(&pool, &tokens, request(&name, LabelFormat::Pdf, 0, ""))
            .await
            .unwrap();
        assert_eq!(page.content_type, "application/pdf");
        assert_eq!(page.labels.len(), 20, "the default page");
        assert!(
            page.labels
                .iter()
                .all(|label| label.content.starts_with(b"%PDF-"))
        );
    }
    let page = get_label(
        &pool,
        &tokens,
        request(&order.order_number, LabelFormat::Svg, 1000, ""),
    )
    .await
    .unwrap();
    assert_eq!(page.labels.len(), 45, "capped at 100, and 45 is all");
    assert!(page.next_page_token.is_empty());

    let plain = insert_order(&pool, 8, 2, false).await;
    let page = get_label(
        &pool,
        &tokens,
        request(&plain.tracking_number, LabelFormat::Svg, 0, ""),
    )
    .await
    .unwrap();
    let svg = String::from_utf8(page.labels[0].content.clone()).unwrap();
    assert!(!svg.contains("DANGEROUS GOODS"));
}

#[tokio::test]
async fn a_label_request_with_bad_fields_a_foreign_token_or_an_unknown_order_is_refused() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool("orders").await;
    let tokens = label_page_tokens(TokenKey::random());
    let order = insert_order(&pool, 9, 3, false).await;
    let other = insert_order(&pool, 10, 3, false).await;

    let status = get_label(
        &pool,
        &tokens,
        request("nonsense", LabelFormat::Unspecified, -1, ""),
    )
    .await
    .unwrap_err()
    .into_status("logistics.orders");
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["id", "format", "page_size"]);

    let first = get_label(
        &pool,
        &tokens,
        request(&order.order_number, LabelFormat::Svg, 1, ""),
    )
    .await
    .unwrap();
    for (id, format) in [
        (other.order_number.as_str(), LabelFormat::Svg),
        (order.order_number.as_str(), LabelFormat::Pdf),
    ] {
        let status = get_label(
            &pool,
            &tokens,
            request(id, format, 1, &first.next_page_token),
        )
        .await
        .unwrap_err()
        .into_status("logistics.orders");
        assert_eq!(violated_fields(&status), ["page_token"], "{id} {format:?}");
    }

    let unknown = tracking_number(99);
    let status = get_label(&pool, &tokens, request(&unknown, LabelFormat::Svg, 0, ""))
        .await
        .unwrap_err()
        .into_status("logistics.orders");
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "ORDER_NOT_FOUND");
}
