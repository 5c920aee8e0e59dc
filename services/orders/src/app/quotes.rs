//! Quotes and the rate card: pricing by the card in force (cached, so a burst of quotes and
//! orders reads it once), and changing the card.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::cache::CachedValue;
use sqlx::PgPool;

use crate::domain::quote::{QuoteError, QuoteOutcome, ShipmentSpec, quote};
use crate::domain::rate_card::RateCard;
use crate::reasons::Reason;
use crate::store::rate_cards::{self as store, StoredRateCard};

/// How long a replica prices with a card it read: another replica's update shows within it.
const CARD_CACHE_TTL: Duration = Duration::from_secs(5);

/// Quotes by the rate card in force, which it caches for [`CARD_CACHE_TTL`]. Cheap to clone:
/// clones share the cache.
#[derive(Clone)]
pub(crate) struct Quoter {
    pool: PgPool,
    card: CachedValue<Arc<RateCard>>,
}

impl std::fmt::Debug for Quoter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Quoter").finish_non_exhaustive()
    }
}

impl Quoter {
    /// A quoter reading cards from `pool` (the orders schema).
    pub(crate) fn new(pool: PgPool) -> Self {
        Self {
            pool,
            card: CachedValue::new(CARD_CACHE_TTL),
        }
    }

    /// The card in force, at most [`CARD_CACHE_TTL`] old.
    pub(crate) async fn current_card(&self) -> Result<Arc<RateCard>, ApiError> {
        self.card
            .get_or_load(|| async {
                let mut conn = self.pool.acquire().await?;
                Ok(Arc::new(store::current(&mut conn).await?.card))
            })
            .await
    }

    /// Makes `card` the cached one, e.g. right after this replica stored it.
    async fn remember(&self, card: Arc<RateCard>) {
        self.card.set(card).await;
    }

    /// Prices `spec` by the card in force for a pickup at `pickup_at`. Cargo and region codes must
    /// have been validated; a shipment the card has no lane or mode for is FAILED_PRECONDITION.
    pub(crate) async fn quote(
        &self,
        spec: &ShipmentSpec,
        pickup_at: DateTime<Utc>,
    ) -> Result<QuoteOutcome, ApiError> {
        let card = self.current_card().await?;
        quote(&card, spec, pickup_at).map_err(quote_error)
    }
}

/// The API error of a refused quote. Cargo problems name the request's `cargo` field: callers
/// validate cargo first, so they are reached only by a caller that did not.
pub(crate) fn quote_error(error: QuoteError) -> ApiError {
    let message = error.to_string();
    match error {
        QuoteError::NoCargo | QuoteError::TooLarge => ApiError::invalid_field("cargo", message),
        QuoteError::BadCargoLine { line } => {
            ApiError::invalid_field(format!("cargo[{line}]"), message)
        }
        QuoteError::ModeNotOffered { mode, version } => ApiError::FailedPrecondition {
            reason: Reason::ModeNotOffered.as_str(),
            message,
            metadata: vec![
                ("mode", mode.as_str().to_owned()),
                ("rate_card_version", version.to_string()),
            ],
        },
        QuoteError::NoLane {
            mode,
            origin_zone,
            destination_zone,
        } => ApiError::FailedPrecondition {
            reason: Reason::NoLane.as_str(),
            message,
            metadata: vec![
                ("mode", mode.as_str().to_owned()),
                ("origin_zone", origin_zone),
                ("destination_zone", destination_zone),
            ],
        },
    }
}

/// The card of version `version`, or the one in force for 0.
pub(crate) async fn rate_card(pool: &PgPool, version: i32) -> Result<StoredRateCard, ApiError> {
    let mut conn = pool.acquire().await?;
    match version {
        0 => store::current(&mut conn).await,
        version if version < 0 => Err(ApiError::invalid_field(
            "version",
            "must be a version (from 1), or 0 for the one in force",
        )),
        version => store::version(&mut conn, version)
            .await?
            .ok_or(ApiError::NotFound {
                reason: Reason::RateCardVersionNotFound.as_str(),
                resource: "rate card version",
                id: version.to_string(),
            }),
    }
}

/// Stores `card` as the next version, as `principal` for `reason` (trimmed), unless the card
/// changed since the caller read it at `etag`; this replica quotes by it at once.
pub(crate) async fn update_rate_card(
    pool: &PgPool,
    quoter: &Quoter,
    mut card: RateCard,
    (principal, etag, reason): (&str, &str, &str),
) -> Result<StoredRateCard, ApiError> {
    let mut tx = pool.begin().await?;
    let current = store::current(&mut tx).await?;
    logistics_platform::etag::check(etag, current.card.version.into(), "the rate card")?;
    card.version = current.card.version + 1;
    let stored = store::insert(&mut tx, &card, principal, reason).await?;
    tx.commit().await?;
    quoter.remember(Arc::new(stored.card.clone())).await;
    Ok(stored)
}
