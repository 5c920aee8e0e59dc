//! SQL on the `status_history` table: every status change of a customer, with who made it and why.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::customer::Status;

/// A status change as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct StatusChangeRow {
    /// Its id, for paging.
    pub(crate) id: i64,
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Status before.
    pub(crate) from_status: Stored<Status>,
    /// Status after.
    pub(crate) to_status: Stored<Status>,
    /// Why.
    pub(crate) reason: String,
    /// Who.
    pub(crate) changed_by: String,
    /// When.
    pub(crate) change_time: DateTime<Utc>,
}

/// Keeps a change of the customer's status from `from` to `to` in its history.
pub(crate) async fn insert(
    tx: &mut PgConnection,
    customer_id: Uuid,
    from: Status,
    to: Status,
    reason: &str,
    changed_by: &str,
) -> Result<StatusChangeRow, ApiError> {
    Ok(sqlx::query_as(
        "INSERT INTO status_history (customer_id, from_status, to_status, reason, changed_by)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, customer_id, from_status, to_status, reason, changed_by, change_time",
    )
    .bind(customer_id)
    .bind(from.as_str())
    .bind(to.as_str())
    .bind(reason)
    .bind(changed_by)
    .fetch_one(tx)
    .await?)
}

/// Blanks the reasons people wrote for a customer's status changes (they may name people); the
/// reasons the system wrote (`system_authors`) say nothing personal and stay.
pub(crate) async fn erase_reasons(
    tx: &mut PgConnection,
    customer_id: Uuid,
    system_authors: &[&str],
    erased: &str,
) -> Result<u64, ApiError> {
    Ok(sqlx::query(
        "UPDATE status_history SET reason = $3
         WHERE customer_id = $1 AND changed_by <> ALL($2)",
    )
    .bind(customer_id)
    .bind(system_authors)
    .bind(erased)
    .execute(tx)
    .await?
    .rows_affected())
}

/// A customer's status changes, newest first, older than `before` (an id) when given.
pub(crate) async fn list(
    pool: &PgPool,
    customer_id: Uuid,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<StatusChangeRow>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, from_status, to_status, reason, changed_by, change_time
         FROM status_history
         WHERE customer_id = $1 AND id < coalesce($2, 9223372036854775807)
         ORDER BY id DESC LIMIT $3",
    )
    .bind(customer_id)
    .bind(before)
    .bind(limit as i64)
    .fetch_all(pool)
    .await?)
}
