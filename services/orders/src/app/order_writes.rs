//! Where CreateOrder's rows are written: creates that arrive together on a replica are stored
//! several to a statement (the platform's [`Batcher`]), so they share the statement's start, its
//! commit and the round trip. A lone create is written at once, on its own.
//!
//! A statement of several creates fails whole: one key already taken (a retry, or the same
//! request id twice in one batch) or one row PostgreSQL refuses would fail the others. So a batch
//! that fails is written again one create per statement, and each create gets its own answer.

use futures::future::join_all;
use logistics_platform::ApiError;
use logistics_platform::batching::Batcher;
use logistics_platform::changefeed::Announcer;
use logistics_platform::idempotency;
use sqlx::PgPool;

use crate::store::orders::{self as store, OrderCreate};

/// Tasks writing creates at once, each on one pooled connection while it writes. Two keep
/// PostgreSQL busy while the other's batch gathers; with four, a free writer took a lone create
/// more often, and creates per second did not rise (A/B of one, two and four on two CPUs).
const WRITERS: usize = 2;
/// The most creates one statement stores (36 parameters each).
const MAX_BATCH: usize = 32;

/// What became of a create handed to the writers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Written {
    /// Stored, with its key and event; its event has been announced.
    Stored,
    /// Nothing was stored: its idempotency key was taken (see [`idempotency::previous`]).
    KeyTaken,
}

/// Stores the new orders of one replica's calls; see the module docs.
#[derive(Clone, Debug)]
pub(crate) struct OrderWriter {
    creates: Batcher<OrderCreate, Result<Written, ApiError>>,
}

impl OrderWriter {
    /// Writers storing on `pool` and announcing the stored events with `announcer`.
    pub(crate) fn start(pool: PgPool, announcer: Announcer) -> Self {
        let creates = Batcher::start(WRITERS, MAX_BATCH, move |creates| {
            let (pool, announcer) = (pool.clone(), announcer.clone());
            async move { write(&pool, &announcer, creates).await }
        });
        Self { creates }
    }

    /// Stores `create`, alone or with others queued at the same time.
    pub(crate) async fn store(&self, create: OrderCreate) -> Result<Written, ApiError> {
        self.creates
            .submit(create)
            .await
            .map_err(|error| ApiError::Internal(error.into()))?
    }
}

/// Writes `creates` with one statement, or each on its own if that fails; one answer per create.
async fn write(
    pool: &PgPool,
    announcer: &Announcer,
    creates: Vec<OrderCreate>,
) -> Vec<Result<Written, ApiError>> {
    let answers = match write_together(pool, &creates).await {
        Ok(()) => creates.iter().map(|_| Ok(Written::Stored)).collect(),
        Err(error) if creates.len() == 1 => vec![answer(error)],
        Err(error) => {
            tracing::debug!(
                %error,
                creates_in_batch = creates.len(),
                "a batch of creates failed; writing each alone"
            );
            // At once, not one after the other: a create waiting on another's key (the same
            // request id twice) must not hold up the rest.
            join_all(creates.chunks(1).map(|create| async move {
                write_together(pool, create)
                    .await
                    .map_or_else(answer, |()| Ok(Written::Stored))
            }))
            .await
        }
    };
    if answers
        .iter()
        .any(|answer| matches!(answer, Ok(Written::Stored)))
    {
        announcer.announce();
    }
    answers
}

async fn write_together(pool: &PgPool, creates: &[OrderCreate]) -> Result<(), sqlx::Error> {
    let mut conn = pool.acquire().await?;
    store::create(&mut conn, creates).await
}

/// A create's answer from the error its statement failed with.
fn answer(error: sqlx::Error) -> Result<Written, ApiError> {
    if idempotency::is_taken(&error) {
        Ok(Written::KeyTaken)
    } else {
        Err(error.into())
    }
}
