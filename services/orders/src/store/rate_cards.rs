//! SQL on `rate_cards`: its versions, the one in force, and the defaults as version 1.

use crate::reasons::Reason;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};

use crate::domain::rate_card::RateCard;

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
