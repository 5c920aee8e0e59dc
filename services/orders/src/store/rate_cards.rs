//! SQL on rate cards, and [`Quoter`]: the card in force, cached, and quoting by it.

use crate::reasons::Reason;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::cache::CachedValue;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::domain::quote::{QuoteError, QuoteOutcome, ShipmentSpec, quote};
use crate::domain::rate_card::RateCard;

/// How long a replica prices with a card it read: another replica's update shows within it.
pub(crate) const CARD_CACHE_TTL: Duration = Duration::from_secs(5);

/// A version of the rate card as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredRateCard {
    /// The card, its `version` set.
    pub(crate) card: RateCard,
    /// Who made it.
    pub(crate) created_by: String,
    /// Why.
    pub(crate) change_reason: String,
    /// When.
    pub(crate) create_time: DateTime<Utc>,
}

type CardRow = (i32, Json<RateCard>, String, String, DateTime<Utc>);

fn stored((version, card, created_by, change_reason, create_time): CardRow) -> StoredRateCard {
    let mut card = card.0;
    card.version = version;
    StoredRateCard {
        card,
        created_by,
        change_reason,
        create_time,
    }
}

/// Writes version 1, the defaults, unless a card exists.
pub(crate) async fn ensure_default_card(pool: &PgPool) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO rate_cards (version, card, created_by, change_reason)
         VALUES (1, $1, 'defaults', 'the company''s default rate card')
         ON CONFLICT DO NOTHING",
    )
    .bind(Json(RateCard::default()))
    .execute(pool)
    .await?;
    Ok(())
}

/// The card in force: the highest version.
pub(crate) async fn current(conn: &mut PgConnection) -> Result<StoredRateCard, ApiError> {
    let row: Option<CardRow> = sqlx::query_as(
        "SELECT version, card, created_by, change_reason, create_time FROM rate_cards
         ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    row.map(stored)
        .ok_or_else(|| anyhow::anyhow!("no rate card: the default card was not written").into())
}

/// One version of the card.
pub(crate) async fn version(
    conn: &mut PgConnection,
    version: i32,
) -> Result<Option<StoredRateCard>, ApiError> {
    let row: Option<CardRow> = sqlx::query_as(
        "SELECT version, card, created_by, change_reason, create_time FROM rate_cards
         WHERE version = $1",
    )
    .bind(version)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(stored))
}

/// Stores `card` as version `card.version`; when a concurrent update took that version first,
/// the update is ABORTED.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    card: &RateCard,
    created_by: &str,
    change_reason: &str,
) -> Result<StoredRateCard, ApiError> {
    let row: Option<CardRow> = sqlx::query_as(
        "INSERT INTO rate_cards (version, card, created_by, change_reason) VALUES ($1, $2, $3, $4)
         ON CONFLICT DO NOTHING
         RETURNING version, card, created_by, change_reason, create_time",
    )
    .bind(card.version)
    .bind(Json(card))
    .bind(created_by)
    .bind(change_reason)
    .fetch_optional(conn)
    .await?;
    row.map(stored).ok_or(ApiError::Aborted {
        reason: Reason::ConcurrentModification.as_str(),
        message: format!(
            "rate card version {} was made meanwhile; read the card again",
            card.version
        ),
    })
}

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
            .get_or_load(async {
                let mut conn = self.pool.acquire().await?;
                Ok(Arc::new(current(&mut conn).await?.card))
            })
            .await
    }

    /// Makes `card` the cached one, e.g. right after this replica stored it.
    pub(crate) async fn remember(&self, card: Arc<RateCard>) {
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
