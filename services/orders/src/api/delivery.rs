//! RecordDelivery and GetProofOfDelivery: the request's own fields checked, the proof encoded;
//! `app::delivery` records and reads.

use chrono::{DateTime, Utc};
use logistics_contracts::orders::{
    DeliveryImage, GetProofOfDeliveryRequest, ProofOfDelivery, RecordDeliveryRequest,
};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use logistics_platform::time::timestamp;

use super::tracking_fields::{
    MAX_SOURCE_NAME_CHARS, location_field, location_to_proto, tracking_number_field,
};
use super::tracking_service::TrackingApi;
use crate::app::delivery::{self, CheckedDelivery};
use crate::app::tracking_record::Location;
use crate::domain::delivery::image_problem;
use crate::store::proofs_of_delivery::ProofRow;

/// Longest signer name.
const MAX_SIGNED_BY_CHARS: usize = 100;
/// Longest driver's notes.
const MAX_NOTES_CHARS: usize = 500;

impl TrackingApi {
    /// RecordDelivery: the request checked here, recorded by the use case.
    pub(super) async fn deliver(
        &self,
        principal: &str,
        request: RecordDeliveryRequest,
    ) -> Result<ProofOfDelivery, ApiError> {
        let (location, delivery_time) = check_request(&request)?;
        let checked = CheckedDelivery {
            request: &request,
            location,
            delivery_time,
        };
        let recorded = delivery::record_delivery(&self.pool, principal, checked).await;
        self.cache.invalidate([request.tracking_number.as_str()]);
        let (proof, tracking_number) = recorded?;
        Ok(proof_to_proto(&proof, &tracking_number))
    }

    /// GetProofOfDelivery.
    pub(super) async fn proof(
        &self,
        request: GetProofOfDeliveryRequest,
    ) -> Result<ProofOfDelivery, ApiError> {
        let mut violations = Violations::new();
        tracking_number_field(&mut violations, "tracking_number", &request.tracking_number);
        violations.finish()?;
        let (proof, tracking_number) =
            delivery::proof(&self.pool, &request.tracking_number, !request.omit_images).await?;
        Ok(proof_to_proto(&proof, &tracking_number))
    }
}

/// Checks a RecordDelivery request's own fields, every bad one reported: answers the location
/// and the delivery time it gives, if any.
fn check_request(
    request: &RecordDeliveryRequest,
) -> Result<(Location, Option<DateTime<Utc>>), ApiError> {
    let mut violations = Violations::new();
    tracking_number_field(&mut violations, "tracking_number", &request.tracking_number);
    violations.require_text("signed_by", &request.signed_by, MAX_SIGNED_BY_CHARS);
    violations.limit_multiline_text("notes", &request.notes, MAX_NOTES_CHARS);
    violations.limit_text("source_name", &request.source_name, MAX_SOURCE_NAME_CHARS);
    let location = location_field(&mut violations, request.location.as_ref());
    let delivery_time = request
        .delivery_time
        .as_ref()
        .and_then(|time| violations.time("delivery_time", time));
    for (field, image) in [("signature", &request.signature), ("photo", &request.photo)] {
        if let Some(image) = image
            && let Some((part, problem)) = image_problem(&image.content_type, &image.content)
        {
            violations.add(format!("{field}.{part}"), problem);
        }
    }
    if request.damaged_pieces < 0 {
        violations.add("damaged_pieces", "must not be negative");
    }
    if request.missing_pieces < 0 {
        violations.add("missing_pieces", "must not be negative");
    }
    violations.finish()?;
    Ok((location, delivery_time))
}

/// A proof in its proto form.
fn proof_to_proto(proof: &ProofRow, tracking_number: &str) -> ProofOfDelivery {
    let image = |content_type: &Option<String>, content: &Option<Vec<u8>>| {
        content_type.as_ref().map(|content_type| DeliveryImage {
            content_type: content_type.clone(),
            content: content.clone().unwrap_or_default(),
        })
    };
    ProofOfDelivery {
        order_id: proof.order_id.to_string(),
        tracking_number: tracking_number.to_owned(),
        signed_by: proof.signed_by.clone(),
        delivery_time: Some(timestamp(proof.delivery_time)),
        signature: image(&proof.signature_type, &proof.signature),
        photo: image(&proof.photo_type, &proof.photo),
        signature_bytes: proof.signature_bytes,
        photo_bytes: proof.photo_bytes,
        damaged_pieces: proof.damaged_pieces,
        missing_pieces: proof.missing_pieces,
        document_errors: proof.document_errors,
        route_changed: proof.route_changed,
        on_time: proof.on_time,
        promised_delivery_time: Some(timestamp(proof.promised_delivery_time)),
        notes: proof.notes.clone(),
        location: location_to_proto(&proof.facility_code, &proof.city, &proof.region_code),
        recorded_by: proof.recorded_by.clone(),
        record_time: Some(timestamp(proof.record_time)),
    }
}
