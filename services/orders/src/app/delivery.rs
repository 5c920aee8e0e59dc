//! Recording a delivery with its proof, the DELIVERED event and the change events that carry the
//! delivery's facts; and reading a proof back.

use crate::reasons::Reason;
use chrono::{DateTime, SubsecRound as _, Utc};
use logistics_contracts::orders::{DeliveryImage, RecordDeliveryRequest};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use prost::Message as _;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use uuid::Uuid;

use super::errors::shipment_not_found as not_found;
use super::proto::status_to_proto;
use super::tracking_changes as changes;
use super::tracking_record::Location;
use crate::domain::delivery::{DeliveryRefused, check_delivery, on_time, pieces_problem};
use crate::domain::status::OrderStatus;
use crate::domain::tracking::{EventCode, EventSource};
use crate::store::proofs_of_delivery::{self as store, ProofRow};
use crate::store::tracking::{self as tracking_store, EventRow, TrackedOrder};

/// The client event id of the DELIVERED event a delivery stores: one delivery per order.
const DELIVERY_EVENT_ID: &str = "delivery";

/// A RecordDelivery request whose own fields `api` checked, with the location and the delivery
/// time (if any) it read from them.
pub(crate) struct CheckedDelivery<'a> {
    /// The request: its hash makes a retry answer the first proof, and the proof copies it.
    pub(crate) request: &'a RecordDeliveryRequest,
    /// Where it was delivered.
    pub(crate) location: Location,
    /// When, if the request says.
    pub(crate) delivery_time: Option<DateTime<Utc>>,
}

/// Records a delivery as `principal`: the proof, the DELIVERED event, the order's new state and
/// the change events, in one transaction. A retry with the same request answers the first proof.
/// Answers the proof and the shipment's tracking number.
pub(crate) async fn record_delivery(
    pool: &PgPool,
    principal: &str,
    checked: CheckedDelivery<'_>,
) -> Result<(ProofRow, String), ApiError> {
    let CheckedDelivery {
        request,
        location,
        delivery_time,
    } = checked;
    let request_sha256 = Sha256::digest(request.encode_to_vec()).to_vec();
    // PostgreSQL keeps microseconds: the proof answered now must equal the one read later.
    let now = Utc::now().trunc_subsecs(6);
    let delivery_time = delivery_time.map_or(now, |time| time.trunc_subsecs(6));

    let mut tx = pool.begin().await?;
    let order = tracking_store::lock_by_tracking_numbers(
        &mut tx,
        std::slice::from_ref(&request.tracking_number),
    )
    .await?
    .pop()
    .ok_or_else(|| not_found(&request.tracking_number))?;
    if let Some(stored) = store::find(&mut tx, order.id, true).await? {
        if stored.request_sha256 == request_sha256 {
            return Ok((stored, order.tracking_number));
        }
        return Err(ApiError::FailedPrecondition {
            reason: Reason::AlreadyDelivered.as_str(),
            message: format!(
                "shipment {} was delivered already, with another proof",
                order.tracking_number
            ),
            metadata: vec![("tracking_number", order.tracking_number.clone())],
        });
    }
    if let Some((field, problem)) = pieces_problem(
        request.damaged_pieces,
        request.missing_pieces,
        order.total_pieces,
    ) {
        return Err(ApiError::invalid_field(field, problem));
    }
    let from = order.status.get();
    check_delivery(from, order.pickup_time, delivery_time, now).map_err(refused)?;

    let route_changed = order.route_changed || request.route_changed;
    let delivered = Delivered {
        at: delivery_time,
        route_changed,
        location: &location,
        principal,
        now,
    };
    let proof = proof_row(request, &order, delivered, request_sha256);
    store::insert(&mut tx, &proof).await?;

    let sequence = order.tracking_sequence + 1;
    let description = format!("Delivered, signed by {}", proof.signed_by);
    let event = delivered_event(request, &order, &description, sequence, delivered);
    tracking_store::insert_events(&mut tx, std::slice::from_ref(&event)).await?;
    tracking_store::mark_delivered(
        &mut tx,
        order.id,
        delivery_time,
        route_changed,
        sequence,
        now,
    )
    .await?;
    let mut events = vec![
        changes::status_changed(
            &order,
            (from, OrderStatus::Delivered),
            delivery_time,
            "RecordDelivery",
        ),
        changes::delivered(&order, &proof),
    ];
    if route_changed && !order.route_changed {
        events.push(changes::route_changed(
            &order,
            delivery_time,
            "reported at delivery",
        ));
    }
    changes::append_changes(&mut tx, events).await?;
    tx.commit().await?;
    Ok((proof, order.tracking_number))
}

/// The proof of delivery of the shipment of `tracking_number`, its images' content included or
/// not, with the shipment's tracking number.
pub(crate) async fn proof(
    pool: &PgPool,
    tracking_number: &str,
    with_images: bool,
) -> Result<(ProofRow, String), ApiError> {
    let mut conn = pool.acquire().await?;
    let order = tracking_store::find_by_tracking_number(&mut conn, tracking_number)
        .await?
        .ok_or_else(|| not_found(tracking_number))?;
    let proof = store::find(&mut conn, order.id, with_images)
        .await?
        .ok_or_else(|| ApiError::NotFound {
            reason: Reason::ProofOfDeliveryNotFound.as_str(),
            resource: "proof of delivery",
            id: tracking_number.to_owned(),
        })?;
    Ok((proof, order.tracking_number))
}

/// The facts of a delivery being recorded, shared by the rows it writes.
#[derive(Clone, Copy)]
struct Delivered<'a> {
    /// When it was delivered.
    at: DateTime<Utc>,
    /// Whether the shipment left its planned route, before or at delivery.
    route_changed: bool,
    /// Where.
    location: &'a Location,
    /// Who records it.
    principal: &'a str,
    /// When it is recorded.
    now: DateTime<Utc>,
}

/// The proof of delivery as stored.
fn proof_row(
    request: &RecordDeliveryRequest,
    order: &TrackedOrder,
    delivered: Delivered<'_>,
    request_sha256: Vec<u8>,
) -> ProofRow {
    let image = |image: &Option<DeliveryImage>| {
        image
            .as_ref()
            .map(|image| (image.content_type.clone(), image.content.clone()))
            .unzip()
    };
    let (signature_type, signature) = image(&request.signature);
    let (photo_type, photo) = image(&request.photo);
    ProofRow {
        order_id: order.id,
        signed_by: request.signed_by.trim().to_owned(),
        delivery_time: delivered.at,
        signature_bytes: signature
            .as_ref()
            .map_or(0, |bytes: &Vec<u8>| bytes.len() as i32),
        signature_type,
        signature,
        photo_bytes: photo
            .as_ref()
            .map_or(0, |bytes: &Vec<u8>| bytes.len() as i32),
        photo_type,
        photo,
        damaged_pieces: request.damaged_pieces,
        missing_pieces: request.missing_pieces,
        document_errors: request.document_errors,
        route_changed: delivered.route_changed,
        on_time: on_time(delivered.at, order.promised_delivery_time),
        promised_delivery_time: order.promised_delivery_time,
        notes: request.notes.trim().to_owned(),
        facility_code: delivered.location.facility_code.clone(),
        city: delivered.location.city.clone(),
        region_code: delivered.location.region_code.clone(),
        recorded_by: delivered.principal.to_owned(),
        record_time: delivered.now,
        request_sha256,
    }
}

/// The DELIVERED tracking event a delivery writes, `sequence` in the order's history, described
/// by `description`.
fn delivered_event<'a>(
    request: &'a RecordDeliveryRequest,
    order: &TrackedOrder,
    description: &'a str,
    sequence: i64,
    delivered: Delivered<'a>,
) -> EventRow<&'a str> {
    let source_name = match request.source_name.trim() {
        "" => delivered.principal,
        name => name,
    };
    EventRow {
        order_id: order.id,
        sequence,
        event_id: Uuid::now_v7(),
        client_event_id: DELIVERY_EVENT_ID,
        source: Stored(EventSource::System),
        source_name,
        code: Stored(EventCode::Delivered),
        occur_time: delivered.at,
        receive_time: delivered.now,
        facility_code: &delivered.location.facility_code,
        city: &delivered.location.city,
        region_code: &delivered.location.region_code,
        description,
        new_estimated_delivery_time: None,
        applied_status: Some(Stored(OrderStatus::Delivered)),
        late: order
            .last_movement_time
            .is_some_and(|newest| delivered.at < newest),
        recorded_by: delivered.principal,
    }
}

/// The error of a delivery the domain refuses.
fn refused(refused: DeliveryRefused) -> ApiError {
    match refused {
        DeliveryRefused::Illegal(illegal) => ApiError::FailedPrecondition {
            reason: Reason::IllegalTransition.as_str(),
            message: illegal.to_string(),
            metadata: vec![
                (
                    "current_status",
                    status_to_proto(illegal.from).as_str_name().to_owned(),
                ),
                (
                    "requested_status",
                    status_to_proto(illegal.to).as_str_name().to_owned(),
                ),
            ],
        },
        DeliveryRefused::FutureTime | DeliveryRefused::BeforePickup => {
            ApiError::invalid_field("delivery_time", refused.to_string())
        }
    }
}
