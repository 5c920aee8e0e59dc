//! SQL on the `outbox` table the platform's change feed writes: erasure rewrites the past events
//! that still hold a customer's personal data.

use logistics_platform::ApiError;
use sqlx::PgConnection;

/// The outbox rows about `resource_id`, locked: (row id, payload).
pub(crate) async fn payloads_about(
    tx: &mut PgConnection,
    resource_id: &str,
) -> Result<Vec<(i64, Vec<u8>)>, ApiError> {
    Ok(
        sqlx::query_as("SELECT id, payload FROM outbox WHERE resource_id = $1 FOR UPDATE")
            .bind(resource_id)
            .fetch_all(tx)
            .await?,
    )
}

/// Replaces one outbox row's payload.
pub(crate) async fn rewrite_payload(
    tx: &mut PgConnection,
    id: i64,
    payload: &[u8],
) -> Result<(), ApiError> {
    sqlx::query("UPDATE outbox SET payload = $2 WHERE id = $1")
        .bind(id)
        .bind(payload)
        .execute(tx)
        .await?;
    Ok(())
}
