//! SQL on the `idempotency_keys` table the platform's idempotency writes: erasure rewrites the
//! stored first answers that still hold a customer's personal data.

use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

/// Stored responses of idempotent calls of `method`, locked: (principal, request id, response).
pub(crate) async fn stored_responses(
    tx: &mut PgConnection,
    method: &str,
) -> Result<Vec<(String, Uuid, Vec<u8>)>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT principal, request_id, response FROM idempotency_keys
         WHERE method = $1 AND response IS NOT NULL FOR UPDATE",
    )
    .bind(method)
    .fetch_all(tx)
    .await?)
}

/// Replaces one stored idempotent response.
pub(crate) async fn rewrite_response(
    tx: &mut PgConnection,
    (principal, method, request_id): (&str, &str, Uuid),
    response: &[u8],
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE idempotency_keys SET response = $4
         WHERE principal = $1 AND method = $2 AND request_id = $3",
    )
    .bind(principal)
    .bind(method)
    .bind(request_id)
    .bind(response)
    .execute(tx)
    .await?;
    Ok(())
}
