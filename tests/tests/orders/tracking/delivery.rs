//! RecordDelivery and GetProofOfDelivery.

use chrono::{Duration, Utc};
use logistics_contracts::orders::{
    DeliveryImage, GetProofOfDeliveryRequest, OrderStatus, RecordDeliveryRequest,
    StreamChangesResponse, stream_changes_response::Event,
};
use logistics_platform::time::timestamp;
use logistics_tests::{
    TestApp, order_in_status, reason, set_promised_delivery_time, violated_fields,
};
use prost::Message as _;
use tonic::Code;

use super::{customer_of, tracking};

fn png(size: usize) -> Vec<u8> {
    let mut image = b"\x89PNG\r\n\x1a\n".to_vec();
    image.resize(size, 7);
    image
}

fn delivery(number: &str, photo: Vec<u8>) -> RecordDeliveryRequest {
    RecordDeliveryRequest {
        tracking_number: number.to_owned(),
        signed_by: "Li Na".to_owned(),
        delivery_time: Some(timestamp(Utc::now() - Duration::minutes(5))),
        photo: Some(DeliveryImage {
            content_type: "image/png".to_owned(),
            content: photo,
        }),
        damaged_pieces: 1,
        missing_pieces: 1,
        document_errors: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn a_delivery_stores_its_proof_once_and_reports_its_facts() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let promised = Utc::now() - Duration::hours(1);
    let (id, number) = order_in_status(&app, &customer, OrderStatus::OutForDelivery, &[]).await;
    set_promised_delivery_time(&app, &id, promised).await;
    let mut client = app.tracking_client_with(&app.keys.orders_tracker).await;
    let request = delivery(&number, png(1024 * 1024));

    let proof = client
        .record_delivery(request.clone())
        .await
        .expect("recording a delivery")
        .into_inner();
    assert!(!proof.on_time, "delivered after the promise");
    assert_eq!(proof.photo_bytes, 1024 * 1024);
    let again = client
        .record_delivery(request.clone())
        .await
        .unwrap()
        .into_inner();
    // Compared whole, but not printed: the photo is a megabyte.
    assert!(
        again == proof,
        "the same delivery again returns the stored proof"
    );
    let mut other = request;
    other.signed_by = "Someone Else".to_owned();
    let refused = client.record_delivery(other).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ALREADY_DELIVERED");

    let mut reader = app.tracking_client_with(&app.keys.orders_reader).await;
    let stored = reader
        .get_proof_of_delivery(GetProofOfDeliveryRequest {
            tracking_number: number.clone(),
            omit_images: false,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stored.photo.as_ref().unwrap().content.len(), 1024 * 1024);
    assert_eq!((stored.damaged_pieces, stored.missing_pieces), (1, 1));
    let light = reader
        .get_proof_of_delivery(GetProofOfDeliveryRequest {
            tracking_number: number.clone(),
            omit_images: true,
        })
        .await
        .unwrap()
        .into_inner();
    assert!(light.photo.unwrap().content.is_empty());
    assert_eq!(light.photo_bytes, 1024 * 1024);

    let tracking = tracking(&mut reader, &number).await;
    assert_eq!(tracking.status, OrderStatus::Delivered as i32);
    assert!(tracking.delivery_time.is_some());

    let pool = app.schema_pool("orders").await;
    let (payload,): (Vec<u8>,) =
        sqlx::query_as("SELECT payload FROM outbox WHERE event_type = 'order.delivered'")
            .fetch_one(&pool)
            .await
            .unwrap();
    let Some(Event::OrderDelivered(facts)) = StreamChangesResponse::decode(payload.as_slice())
        .unwrap()
        .event
    else {
        panic!("order.delivered carries OrderDelivered");
    };
    assert!(!facts.on_time);
    assert_eq!(
        (
            facts.damaged_pieces,
            facts.missing_pieces,
            facts.total_pieces
        ),
        (1, 1, 5)
    );
    assert!(facts.document_errors);
}

#[tokio::test]
async fn a_delivery_refuses_a_large_photo_bad_counts_and_an_undelivered_state() {
    let app = TestApp::spawn().await;
    let customer = customer_of(&app).await;
    let mut client = app.tracking_client().await;
    let (_, number) = order_in_status(&app, &customer, OrderStatus::InTransit, &[]).await;

    let mut too_big = delivery(&number, png(1024 * 1024 + 1));
    too_big.signed_by = String::new();
    too_big.signature = Some(DeliveryImage {
        content_type: "image/svg+xml".to_owned(),
        content: b"<svg/>".to_vec(),
    });
    let refused = client.record_delivery(too_big).await.unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        ["signed_by", "signature.content_type", "photo.content"]
    );

    let mut too_many = delivery(&number, png(100));
    too_many.damaged_pieces = 3;
    too_many.missing_pieces = 3;
    let refused = client.record_delivery(too_many).await.unwrap_err();
    assert_eq!(violated_fields(&refused), ["missing_pieces"]);

    let (_, waiting) = order_in_status(&app, &customer, OrderStatus::Confirmed, &[]).await;
    let refused = client
        .record_delivery(delivery(&waiting, png(100)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ILLEGAL_TRANSITION");

    let missing = client
        .get_proof_of_delivery(GetProofOfDeliveryRequest {
            tracking_number: number,
            omit_images: false,
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
}
