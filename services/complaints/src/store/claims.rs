//! SQL on `claims`: the claim of a CLAIM complaint.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::claim::{Claim, ClaimStatus};

/// A `claims` row.
#[derive(sqlx::FromRow)]
pub(super) struct ClaimRow {
    claimed_fen: i64,
    evidence: Vec<String>,
    status: Stored<ClaimStatus>,
    window_end: DateTime<Utc>,
    declared_value_fen: Option<i64>,
    approved_fen: Option<i64>,
    rejection_reason: Option<String>,
    reviewed_by: Option<String>,
    review_time: Option<DateTime<Utc>>,
    payment_reference: Option<String>,
    pay_time: Option<DateTime<Utc>>,
}

impl From<ClaimRow> for Claim {
    fn from(row: ClaimRow) -> Self {
        Claim {
            claimed_fen: row.claimed_fen,
            evidence: row.evidence,
            status: row.status.get(),
            window_end: row.window_end,
            declared_value_fen: row.declared_value_fen,
            approved_fen: row.approved_fen,
            rejection_reason: row.rejection_reason,
            reviewed_by: row.reviewed_by,
            review_time: row.review_time,
            payment_reference: row.payment_reference,
            pay_time: row.pay_time,
        }
    }
}

/// Every column a [`ClaimRow`] is read from.
const CLAIM_COLUMNS: &str = "claimed_fen, evidence, status, window_end, declared_value_fen, \
     approved_fen, rejection_reason, reviewed_by, review_time, payment_reference, pay_time";

/// The claim of complaint `id`, if it has one.
pub(super) async fn of(conn: &mut PgConnection, id: Uuid) -> Result<Option<Claim>, ApiError> {
    let claim: Option<ClaimRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {CLAIM_COLUMNS} FROM claims WHERE complaint_id = $1"
    )))
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(claim.map(Claim::from))
}

/// The claims of those of `ids` that have one.
pub(super) async fn of_all(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Claim>, ApiError> {
    let rows: Vec<ClaimWithId> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT complaint_id, {CLAIM_COLUMNS} FROM claims WHERE complaint_id = ANY($1)"
    )))
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| (row.complaint_id, Claim::from(row.claim)))
        .collect())
}

/// A `claims` row with the complaint it belongs to.
#[derive(sqlx::FromRow)]
struct ClaimWithId {
    complaint_id: Uuid,
    #[sqlx(flatten)]
    claim: ClaimRow,
}

/// Stores the claim of a new complaint.
pub(super) async fn insert(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    claim: &Claim,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO claims (complaint_id, claimed_fen, evidence, status, window_end,
                declared_value_fen)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(complaint_id)
    .bind(claim.claimed_fen)
    .bind(&claim.evidence)
    .bind(Stored(claim.status))
    .bind(claim.window_end)
    .bind(claim.declared_value_fen)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Writes back what a review or a payment changed.
pub(super) async fn update(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    claim: &Claim,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE claims SET status = $2, approved_fen = $3, rejection_reason = $4,
                reviewed_by = $5, review_time = $6, payment_reference = $7, pay_time = $8
          WHERE complaint_id = $1",
    )
    .bind(complaint_id)
    .bind(Stored(claim.status))
    .bind(claim.approved_fen)
    .bind(&claim.rejection_reason)
    .bind(&claim.reviewed_by)
    .bind(claim.review_time)
    .bind(&claim.payment_reference)
    .bind(claim.pay_time)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
