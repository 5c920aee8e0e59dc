//! AIP-155 request ids: a retried create returns the first response instead of creating twice.
//!
//! The key is claimed inside the create's own transaction with `INSERT .. ON CONFLICT DO NOTHING`.
//! A concurrent create with the same key blocks on the unique index until the first commits, then
//! finds its row and replays its response; if the first rolls back, the second proceeds as new.
//! So any number of concurrent retries make one resource and identical responses.

use std::time::Duration;

use prost::Message;
use sha2::{Digest, Sha256};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::error::ApiError;
use crate::jobs::{Job, JobRunner, Schedule};

/// How long request ids are kept, at least.
pub const RETENTION: Duration = Duration::from_secs(24 * 60 * 60);

/// Identifies one create: the caller, the method and the caller's request id.
#[derive(Debug, Clone)]
pub struct IdempotencyKey {
    /// The authenticated caller; two callers never share keys.
    pub principal: String,
    /// The RPC, e.g. "CreateCustomer".
    pub method: &'static str,
    /// The caller's `request_id`.
    pub request_id: Uuid,
}

/// What to do with a create.
#[derive(Debug)]
pub enum Claim<R> {
    /// First time this key is seen: do the work, then [`record`] the response in the same transaction.
    New,
    /// Seen before with the same request: answer with this response and change nothing.
    Replay(R),
}

/// Claims `key` for `request` within the transaction `tx` that will do the work.
///
/// The same key with a different request is INVALID_ARGUMENT (`IDEMPOTENCY_KEY_REUSED`).
pub async fn claim<Req: Message, Resp: Message + Default>(
    tx: &mut PgConnection,
    key: &IdempotencyKey,
    request: &Req,
) -> Result<Claim<Resp>, ApiError> {
    let request_hash = request_hash(request);
    let inserted = sqlx::query(
        "INSERT INTO idempotency_keys (principal, method, request_id, request_hash)
         VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING",
    )
    .bind(&key.principal)
    .bind(key.method)
    .bind(key.request_id)
    .bind(&request_hash)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        return Ok(Claim::New);
    }

    let (stored_hash, response, expired) = stored(&mut *tx, key)
        .await?
        .ok_or_else(|| anyhow::anyhow!("idempotency key {key:?} conflicted but is not stored"))?;

    if expired {
        // Past retention the key is free again: take it over for this request.
        sqlx::query(
            "UPDATE idempotency_keys SET request_hash = $4, response = NULL, create_time = now()
             WHERE principal = $1 AND method = $2 AND request_id = $3",
        )
        .bind(&key.principal)
        .bind(key.method)
        .bind(key.request_id)
        .bind(&request_hash)
        .execute(&mut *tx)
        .await?;
        return Ok(Claim::New);
    }
    Ok(Claim::Replay(replay(
        key,
        &request_hash,
        stored_hash,
        response,
    )?))
}

/// The first response to `key`, stored with `stored_hash`, for a retry whose request hashes to
/// `request_hash`; INVALID_ARGUMENT (`IDEMPOTENCY_KEY_REUSED`) if the request differs.
fn replay<Resp: Message + Default>(
    key: &IdempotencyKey,
    request_hash: &[u8],
    stored_hash: Vec<u8>,
    response: Option<Vec<u8>>,
) -> Result<Resp, ApiError> {
    if stored_hash != request_hash {
        return Err(ApiError::InvalidArgument {
            reason: "IDEMPOTENCY_KEY_REUSED",
            message: "request_id was already used for a different request".to_owned(),
            violations: vec![crate::error::FieldViolation {
                field: "request_id".to_owned(),
                description: "was already used for a different request; use a new request_id"
                    .to_owned(),
            }],
        });
    }
    let response = response
        .ok_or_else(|| anyhow::anyhow!("idempotency key committed without a response: {key:?}"))?;
    let response = Resp::decode(response.as_slice())
        .map_err(|error| anyhow::anyhow!("stored response of {key:?} does not decode: {error}"))?;
    Ok(response)
}

/// A key claimed for a request, with the answer a retry gets: one row of `idempotency_keys`, as
/// [`push_claims`] stores it.
#[derive(Debug, Clone)]
pub struct KeyClaim {
    key: IdempotencyKey,
    request_hash: Vec<u8>,
    response: Vec<u8>,
}

impl KeyClaim {
    /// `key` claimed for `request`, answered by `response`.
    pub fn new<Req: Message, Resp: Message>(
        key: IdempotencyKey,
        request: &Req,
        response: &Resp,
    ) -> Self {
        Self {
            key,
            request_hash: request_hash(request),
            response: response.encode_to_vec(),
        }
    }
}

/// Pushes onto `query` a common table expression, `claimed`, that claims each key of `claims`
/// and stores its response at once: for a create that is a single statement, so its own
/// transaction. If a key was taken, the statement fails with an error [`is_taken`] recognises,
/// having changed nothing; [`previous`] then tells what to answer. A concurrent create with the
/// same key waits on the key's index until the first one ends, as with [`claim`].
pub fn push_claims<'c>(
    query: &mut QueryBuilder<Postgres>,
    claims: impl IntoIterator<Item = &'c KeyClaim>,
) {
    query.push(
        "claimed AS (INSERT INTO idempotency_keys \
         (principal, method, request_id, request_hash, response) ",
    );
    query.push_values(claims, |mut row, claim| {
        row.push_bind(&claim.key.principal)
            .push_bind(claim.key.method)
            .push_bind(claim.key.request_id)
            .push_bind(&claim.request_hash)
            .push_bind(&claim.response);
    });
    query.push(")");
}

/// Whether `error` is a statement of [`push_claims`] finding a key taken.
pub fn is_taken(error: &sqlx::Error) -> bool {
    error
        .as_database_error()
        .is_some_and(|error| error.constraint() == Some("idempotency_keys_pkey"))
}

/// What a key [`push_claims`] found taken means for the create that tried it.
#[derive(Debug)]
pub enum Previous<R> {
    /// The same request was made before: answer with its response.
    Replay(R),
    /// The key is free again (it expired, or was purged meanwhile): try the create again.
    Free,
}

/// What to answer a create whose key [`push_claims`] found taken. An expired key is released.
pub async fn previous<Req: Message, Resp: Message + Default>(
    conn: &mut PgConnection,
    key: &IdempotencyKey,
    request: &Req,
) -> Result<Previous<Resp>, ApiError> {
    let Some((stored_hash, response, expired)) = stored(&mut *conn, key).await? else {
        return Ok(Previous::Free);
    };
    if expired {
        // Past retention the key is free again, as with `claim`.
        sqlx::query(
            "DELETE FROM idempotency_keys
             WHERE principal = $1 AND method = $2 AND request_id = $3
               AND create_time < now() - make_interval(secs => $4)",
        )
        .bind(&key.principal)
        .bind(key.method)
        .bind(key.request_id)
        .bind(RETENTION.as_secs_f64())
        .execute(&mut *conn)
        .await?;
        return Ok(Previous::Free);
    }
    let request_hash = request_hash(request);
    Ok(Previous::Replay(replay(
        key,
        &request_hash,
        stored_hash,
        response,
    )?))
}

/// The stored row of `key`: its request's hash, its response once recorded, and whether it is past
/// retention. Locked until the transaction ends, so a concurrent claim waits.
async fn stored(
    conn: &mut PgConnection,
    key: &IdempotencyKey,
) -> Result<Option<(Vec<u8>, Option<Vec<u8>>, bool)>, sqlx::Error> {
    sqlx::query_as(
        "SELECT request_hash, response, create_time < now() - make_interval(secs => $4)
         FROM idempotency_keys
         WHERE principal = $1 AND method = $2 AND request_id = $3
         FOR UPDATE",
    )
    .bind(&key.principal)
    .bind(key.method)
    .bind(key.request_id)
    .bind(RETENTION.as_secs_f64())
    .fetch_optional(conn)
    .await
}

/// What tells a retry from a reuse of its request id: the hash of the request as sent.
fn request_hash<Req: Message>(request: &Req) -> Vec<u8> {
    Sha256::digest(request.encode_to_vec()).to_vec()
}

/// Stores the response of a [`Claim::New`] create, in the same transaction as its work.
pub async fn record<Resp: Message>(
    tx: &mut PgConnection,
    key: &IdempotencyKey,
    response: &Resp,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE idempotency_keys SET response = $4
         WHERE principal = $1 AND method = $2 AND request_id = $3",
    )
    .bind(&key.principal)
    .bind(key.method)
    .bind(key.request_id)
    .bind(response.encode_to_vec())
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// Deletes keys older than the retention; run periodically.
pub async fn purge_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    let purged = sqlx::query(
        "DELETE FROM idempotency_keys WHERE create_time < now() - make_interval(secs => $1)",
    )
    .bind(RETENTION.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected();
    Ok(purged)
}

/// How often expired keys are purged.
pub const PURGE_EVERY: Duration = Duration::from_secs(60 * 60);

/// Schedules the hourly purge of expired keys as the job `job_name` (e.g.
/// "customers.idempotency_purge": the name of its lock across services).
pub fn schedule_purge(runner: &JobRunner, job_name: &'static str, pool: PgPool) {
    let job = Job::new(job_name, pool.clone());
    runner.schedule(job, Schedule::every(PURGE_EVERY), move || {
        let pool = pool.clone();
        async move {
            let purged = purge_expired(&pool).await?;
            if purged > 0 {
                tracing::info!(purged, "purged expired idempotency keys");
            }
            Ok(purged)
        }
    });
}
