//! SQL on the loyalty ledger: accounts, movements and lots, and nothing else.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::loyalty::{Lot, MovementKind};

const MOVEMENT_COLUMNS: &str =
    "id, customer_id, kind, points, balance_after, reason, reference, create_time, expire_time";

/// One ledger entry.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct MovementRow {
    /// Increasing id.
    pub(crate) id: i64,
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// What moved the points.
    pub(crate) kind: Stored<MovementKind>,
    /// Signed points.
    pub(crate) points: i64,
    /// Balance right after.
    pub(crate) balance_after: i64,
    /// Why.
    pub(crate) reason: String,
    /// Caller's reference.
    pub(crate) reference: String,
    /// When recorded.
    pub(crate) create_time: DateTime<Utc>,
    /// When added points expire.
    pub(crate) expire_time: Option<DateTime<Utc>>,
}

/// What a movement writes.
#[derive(Debug, Clone)]
pub(crate) struct NewMovement<'a> {
    /// What moves the points.
    pub(crate) kind: MovementKind,
    /// Signed points, not zero.
    pub(crate) points: i64,
    /// Balance right after.
    pub(crate) balance_after: i64,
    /// Why.
    pub(crate) reason: &'a str,
    /// Caller's reference.
    pub(crate) reference: &'a str,
    /// For added points: when they expire.
    pub(crate) expire_time: Option<DateTime<Utc>>,
}

/// An account's totals.
#[derive(Debug, Clone, Copy, Default, sqlx::FromRow)]
pub(crate) struct Account {
    /// Points of lots not yet expired by an EXPIRE movement.
    pub(crate) balance: i64,
    /// Points ever earned on shipments.
    pub(crate) lifetime_earned: i64,
}

/// The transaction's clock: every row a movement writes carries the same time.
pub(crate) async fn now(conn: &mut PgConnection) -> Result<DateTime<Utc>, ApiError> {
    let (now,): (DateTime<Utc>,) = sqlx::query_as("SELECT now()").fetch_one(conn).await?;
    Ok(now)
}

/// Creates the customer's account if needed and locks it until the transaction ends, so the
/// movements of one customer happen one after the other.
pub(crate) async fn lock_account(
    tx: &mut PgConnection,
    customer_id: Uuid,
) -> Result<Account, ApiError> {
    sqlx::query("INSERT INTO loyalty_accounts (customer_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    Ok(sqlx::query_as(
        "SELECT balance, lifetime_earned FROM loyalty_accounts WHERE customer_id = $1 FOR UPDATE",
    )
    .bind(customer_id)
    .fetch_one(tx)
    .await?)
}

/// Reads an account without locking; `None` when the customer never had points.
pub(crate) async fn account(pool: &PgPool, customer_id: Uuid) -> Result<Option<Account>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT balance, lifetime_earned FROM loyalty_accounts WHERE customer_id = $1",
    )
    .bind(customer_id)
    .fetch_optional(pool)
    .await?)
}

/// Writes an account's new totals.
pub(crate) async fn save_account(
    tx: &mut PgConnection,
    customer_id: Uuid,
    account: Account,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE loyalty_accounts SET balance = $2, lifetime_earned = $3, update_time = now()
         WHERE customer_id = $1",
    )
    .bind(customer_id)
    .bind(account.balance)
    .bind(account.lifetime_earned)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a movement at `at`.
pub(crate) async fn insert_movement(
    tx: &mut PgConnection,
    customer_id: Uuid,
    movement: &NewMovement<'_>,
    at: DateTime<Utc>,
) -> Result<MovementRow, ApiError> {
    let sql = format!(
        "INSERT INTO point_movements (customer_id, kind, points, balance_after, reason, reference,
                                      create_time, expire_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         RETURNING {MOVEMENT_COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(movement.kind.as_str())
        .bind(movement.points)
        .bind(movement.balance_after)
        .bind(movement.reason)
        .bind(movement.reference)
        .bind(at)
        .bind(movement.expire_time)
        .fetch_one(tx)
        .await?)
}

/// Opens a lot for the points a movement added.
pub(crate) async fn insert_lot(
    tx: &mut PgConnection,
    movement: &MovementRow,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO point_lots (customer_id, movement_id, points, remaining, earn_time, expire_time)
         VALUES ($1, $2, $3, $3, $4, $5)",
    )
    .bind(movement.customer_id)
    .bind(movement.id)
    .bind(movement.points)
    .bind(movement.create_time)
    .bind(movement.expire_time)
    .execute(tx)
    .await?;
    Ok(())
}

/// The customer's lots with points left, oldest first.
pub(crate) async fn open_lots(
    conn: &mut PgConnection,
    customer_id: Uuid,
) -> Result<Vec<Lot>, ApiError> {
    let rows: Vec<(i64, i64, DateTime<Utc>)> = sqlx::query_as(
        "SELECT id, remaining, expire_time FROM point_lots
         WHERE customer_id = $1 AND remaining > 0
         ORDER BY expire_time, id",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, remaining, expire_time)| Lot {
            id,
            remaining,
            expire_time,
        })
        .collect())
}

/// Takes `points` from a lot.
pub(crate) async fn take_from_lot(
    tx: &mut PgConnection,
    lot_id: i64,
    points: i64,
) -> Result<(), ApiError> {
    sqlx::query("UPDATE point_lots SET remaining = remaining - $2 WHERE id = $1")
        .bind(lot_id)
        .bind(points)
        .execute(tx)
        .await?;
    Ok(())
}

/// The EARN movement of a customer for an order reference, if awarded before.
pub(crate) async fn find_award(
    conn: &mut PgConnection,
    customer_id: Uuid,
    reference: &str,
) -> Result<Option<MovementRow>, ApiError> {
    let sql = format!(
        "SELECT {MOVEMENT_COLUMNS} FROM point_movements
         WHERE customer_id = $1 AND reference = $2 AND kind = 'EARN'"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(reference)
        .fetch_optional(conn)
        .await?)
}

/// Up to `limit` movements of a customer older than `before`, newest first.
pub(crate) async fn list_movements(
    pool: &PgPool,
    customer_id: Uuid,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<MovementRow>, ApiError> {
    let sql = format!(
        "SELECT {MOVEMENT_COLUMNS} FROM point_movements
         WHERE customer_id = $1 AND ($2::bigint IS NULL OR id < $2)
         ORDER BY id DESC LIMIT $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(before)
        .bind(limit as i64)
        .fetch_all(pool)
        .await?)
}

/// Up to `limit` customers having a lot with points left past its expiry.
pub(crate) async fn customers_with_due_lots(
    pool: &PgPool,
    limit: usize,
) -> Result<Vec<Uuid>, ApiError> {
    let rows: Vec<(Uuid,)> = sqlx::query_as(
        "SELECT DISTINCT customer_id FROM point_lots
         WHERE remaining > 0 AND expire_time <= now()
         LIMIT $1",
    )
    .bind(limit as i64)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
