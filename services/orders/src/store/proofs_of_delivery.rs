//! SQL on `proofs_of_delivery`.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

/// A stored proof of delivery.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct ProofRow {
    /// The order.
    pub(crate) order_id: Uuid,
    /// Who signed.
    pub(crate) signed_by: String,
    /// When delivered.
    pub(crate) delivery_time: DateTime<Utc>,
    /// Media type of the signature.
    pub(crate) signature_type: Option<String>,
    /// The signature (absent when omitted from the read).
    pub(crate) signature: Option<Vec<u8>>,
    /// Its size in bytes.
    pub(crate) signature_bytes: i32,
    /// Media type of the photo.
    pub(crate) photo_type: Option<String>,
    /// The photo (absent when omitted from the read).
    pub(crate) photo: Option<Vec<u8>>,
    /// Its size in bytes.
    pub(crate) photo_bytes: i32,
    /// Damaged pieces.
    pub(crate) damaged_pieces: i32,
    /// Missing pieces.
    pub(crate) missing_pieces: i32,
    /// Document errors.
    pub(crate) document_errors: bool,
    /// Route changed on the way.
    pub(crate) route_changed: bool,
    /// Delivered no later than promised.
    pub(crate) on_time: bool,
    /// The promise.
    pub(crate) promised_delivery_time: DateTime<Utc>,
    /// Driver's notes.
    pub(crate) notes: String,
    /// Facility.
    pub(crate) facility_code: String,
    /// City.
    pub(crate) city: String,
    /// Region code.
    pub(crate) region_code: String,
    /// Who recorded it.
    pub(crate) recorded_by: String,
    /// When it was recorded.
    pub(crate) record_time: DateTime<Utc>,
    /// SHA-256 of the recording request.
    pub(crate) request_sha256: Vec<u8>,
}

/// The columns of [`ProofRow`], the images' content included or not.
fn columns(with_images: bool) -> String {
    let images = if with_images {
        "signature, photo"
    } else {
        "NULL::bytea AS signature, NULL::bytea AS photo"
    };
    format!(
        "order_id, signed_by, delivery_time, signature_type, photo_type, {images},
         coalesce(octet_length(signature), 0) AS signature_bytes,
         coalesce(octet_length(photo), 0) AS photo_bytes,
         damaged_pieces, missing_pieces, document_errors, route_changed, on_time,
         promised_delivery_time, notes, facility_code, city, region_code, recorded_by,
         record_time, request_sha256"
    )
}

/// The proof of an order, if it was delivered.
pub(crate) async fn find(
    conn: &mut PgConnection,
    order_id: Uuid,
    with_images: bool,
) -> Result<Option<ProofRow>, ApiError> {
    let sql = format!(
        "SELECT {} FROM proofs_of_delivery WHERE order_id = $1",
        columns(with_images)
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .fetch_optional(conn)
        .await?)
}

/// Stores a proof.
pub(crate) async fn insert(tx: &mut PgConnection, proof: &ProofRow) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO proofs_of_delivery (order_id, signed_by, delivery_time, signature_type,
             signature, photo_type, photo, damaged_pieces, missing_pieces, document_errors,
             route_changed, on_time, promised_delivery_time, notes, facility_code, city,
             region_code, recorded_by, record_time, request_sha256)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20)",
    )
    .bind(proof.order_id)
    .bind(&proof.signed_by)
    .bind(proof.delivery_time)
    .bind(&proof.signature_type)
    .bind(&proof.signature)
    .bind(&proof.photo_type)
    .bind(&proof.photo)
    .bind(proof.damaged_pieces)
    .bind(proof.missing_pieces)
    .bind(proof.document_errors)
    .bind(proof.route_changed)
    .bind(proof.on_time)
    .bind(proof.promised_delivery_time)
    .bind(&proof.notes)
    .bind(&proof.facility_code)
    .bind(&proof.city)
    .bind(&proof.region_code)
    .bind(&proof.recorded_by)
    .bind(proof.record_time)
    .bind(&proof.request_sha256)
    .execute(tx)
    .await?;
    Ok(())
}
