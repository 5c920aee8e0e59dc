//! SQL on `complaint_audit`: who did what to a complaint, and when.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::audit::{AuditAction, AuditEntry};
use crate::domain::status::Status;

/// Appends one step to a complaint's trail.
pub(crate) async fn append(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    entry: &AuditEntry,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO complaint_audit (complaint_id, action, actor, occur_time, from_status,
                to_status, detail)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(complaint_id)
    .bind(Stored(entry.action))
    .bind(&entry.actor)
    .bind(entry.occur_time)
    .bind(entry.from_status.map(Stored))
    .bind(entry.to_status.map(Stored))
    .bind(&entry.detail)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A complaint's whole trail, oldest first.
pub(crate) async fn trail(
    conn: &mut PgConnection,
    complaint_id: Uuid,
) -> Result<Vec<AuditEntry>, ApiError> {
    type Row = (
        Stored<AuditAction>,
        String,
        DateTime<Utc>,
        Option<Stored<Status>>,
        Option<Stored<Status>>,
        String,
    );
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT action, actor, occur_time, from_status, to_status, detail
           FROM complaint_audit WHERE complaint_id = $1 ORDER BY id",
    )
    .bind(complaint_id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(action, actor, occur_time, from_status, to_status, detail)| AuditEntry {
                action: action.get(),
                actor,
                occur_time,
                from_status: from_status.map(Stored::get),
                to_status: to_status.map(Stored::get),
                detail,
            },
        )
        .collect())
}
