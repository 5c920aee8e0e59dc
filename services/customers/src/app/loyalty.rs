//! LoyaltyService's use cases: the points ledger. Every movement runs in one transaction holding
//! the customer's account row, first expiring its lots that are past due, so balances never go
//! below zero and concurrent redemptions queue instead of both passing.

use chrono::{DateTime, Utc};
use logistics_contracts::customers::{self as pb, PointsMoved, stream_changes_response};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use prost::Message;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::customers::not_found;
use super::events::movement_to_proto;
use crate::domain::customer::CustomerRef;
use crate::domain::loyalty::{self as rules, Insufficient, MovementKind};
use crate::reasons::Reason;
use crate::store::customers::{self as customer_store, CustomerState};
use crate::store::loyalty::{self as store, Account, NewMovement};

/// Customers expired per batch of the points expiry, each in a transaction of its own.
const EXPIRY_BATCH: usize = 500;

/// A movement a caller asked for, validated.
pub(crate) struct Requested<'a> {
    /// What kind of movement.
    pub(crate) kind: MovementKind,
    /// Points added (positive) or taken (negative).
    pub(crate) points: i64,
    /// Why, as the caller wrote it.
    pub(crate) reason: &'a str,
    /// What it refers to (a shipment, a voucher), or empty.
    pub(crate) reference: &'a str,
}

/// A customer's points as the ledger stands now.
pub(crate) struct AccountView {
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Points it can spend.
    pub(crate) balance: i64,
    /// Points it ever earned.
    pub(crate) lifetime_earned: i64,
    /// Points that expire within the notice period, and when the first of them does.
    pub(crate) expiring_soon: (i64, Option<DateTime<Utc>>),
}

/// The points of the customer `customer_ref` names (as `text`), deleted or not.
pub(crate) async fn account(
    pool: &PgPool,
    customer_ref: &CustomerRef,
    text: &str,
) -> Result<AccountView, ApiError> {
    let mut conn = pool.acquire().await?;
    let customer = find_customer(&mut conn, customer_ref, text).await?;
    let now = store::now(&mut conn).await?;
    // Lots past due count for nothing even before the expiry job has written them off.
    let lots = store::open_lots(&mut conn, customer.id).await?;
    let account = store::account(pool, customer.id).await?.unwrap_or_default();
    Ok(AccountView {
        customer_id: customer.id,
        balance: rules::available(&lots, now),
        lifetime_earned: account.lifetime_earned,
        expiring_soon: rules::expiring_soon(&lots, now),
    })
}

/// Awards the points `fen` of spend earns for the shipment `reference` to the live customer
/// `customer_ref` names (as `text`); see [`award_in`].
pub(crate) async fn award(
    pool: &PgPool,
    customer_ref: &CustomerRef,
    text: &str,
    reference: &str,
    points: i64,
) -> Result<Option<pb::PointMovement>, ApiError> {
    let mut tx = pool.begin().await?;
    let customer = find_customer(&mut tx, customer_ref, text).await?;
    ensure_not_deleted(&customer)?;
    let movement = award_in(&mut tx, customer.id, reference, points).await?;
    tx.commit().await?;
    Ok(movement)
}

/// Moves the live customer's points as `requested`, once per idempotency key: a retry answers
/// with the first movement.
pub(crate) async fn idempotent_movement<R: Message>(
    pool: &PgPool,
    key: &IdempotencyKey,
    request: &R,
    customer_ref: &CustomerRef,
    customer_text: &str,
    requested: &Requested<'_>,
) -> Result<pb::PointMovement, ApiError> {
    let mut tx = pool.begin().await?;
    if let Claim::Replay(first) = idempotency::claim(&mut tx, key, request).await? {
        return Ok(first);
    }
    let customer = find_customer(&mut tx, customer_ref, customer_text).await?;
    ensure_not_deleted(&customer)?;
    let account = store::lock_account(&mut tx, customer.id).await?;
    let movement = move_points(&mut tx, customer.id, account, requested).await?;
    idempotency::record(&mut tx, key, &movement).await?;
    tx.commit().await?;
    Ok(movement)
}

/// What one points expiry did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct ExpiryOutcome {
    /// Lots written off.
    pub(crate) lots_expired: i32,
    /// Points they held.
    pub(crate) points_expired: i64,
}

/// Writes off every lot past due, customer by customer, each in a transaction of its own.
pub(crate) async fn run_expiry(pool: &PgPool) -> Result<ExpiryOutcome, ApiError> {
    let mut done = ExpiryOutcome::default();
    loop {
        let due = store::customers_with_due_lots(pool, EXPIRY_BATCH).await?;
        if due.is_empty() {
            return Ok(done);
        }
        for customer_id in due {
            let mut tx = pool.begin().await?;
            let mut account = store::lock_account(&mut tx, customer_id).await?;
            let now = store::now(&mut tx).await?;
            let before = account.balance;
            let lots = expire_due(&mut tx, customer_id, &mut account, now).await?;
            store::save_account(&mut tx, customer_id, account).await?;
            tx.commit().await?;
            done.lots_expired += lots;
            done.points_expired += before - account.balance;
        }
    }
}

/// Awards `points` for the delivered shipment `reference` within `tx`, once per customer and
/// reference: a second award answers with the first movement. Zero points record nothing and
/// answer no movement. The customer must exist and not be deleted.
pub(crate) async fn award_in(
    tx: &mut PgConnection,
    customer_id: Uuid,
    reference: &str,
    points: i64,
) -> Result<Option<pb::PointMovement>, ApiError> {
    let account = store::lock_account(tx, customer_id).await?;
    if let Some(first) = store::find_award(tx, customer_id, reference).await? {
        return Ok(Some(movement_to_proto(&first)));
    }
    if points == 0 {
        return Ok(None);
    }
    let requested = Requested {
        kind: MovementKind::Earn,
        points,
        reason: AWARD_REASON,
        reference,
    };
    move_points(tx, customer_id, account, &requested)
        .await
        .map(Some)
}

/// The reason of every EARN movement.
const AWARD_REASON: &str = "delivered shipment";

/// Writes one movement within `tx`, which holds the account's lock: expires due lots first, then
/// adds a lot for added points or takes spent points from the oldest lots.
async fn move_points(
    tx: &mut PgConnection,
    customer_id: Uuid,
    mut account: Account,
    requested: &Requested<'_>,
) -> Result<pb::PointMovement, ApiError> {
    let now = store::now(tx).await?;
    expire_due(tx, customer_id, &mut account, now).await?;
    let expire_time = (requested.points > 0).then(|| rules::expire_time_of(now));
    if requested.points < 0 {
        let lots = store::open_lots(tx, customer_id).await?;
        let takes = rules::consume_fifo(&lots, -requested.points, now).map_err(insufficient)?;
        for (lot_id, take) in takes {
            store::take_from_lot(tx, lot_id, take).await?;
        }
    }
    account.balance += requested.points;
    if requested.kind == MovementKind::Earn {
        account.lifetime_earned += requested.points;
    }
    let movement = NewMovement {
        kind: requested.kind,
        points: requested.points,
        balance_after: account.balance,
        reason: requested.reason,
        reference: requested.reference,
        expire_time,
    };
    let row = store::insert_movement(tx, customer_id, &movement, now).await?;
    if requested.points > 0 {
        store::insert_lot(tx, &row).await?;
    }
    store::save_account(tx, customer_id, account).await?;
    let movement = movement_to_proto(&row);
    emit(tx, &movement).await?;
    Ok(movement)
}

/// Writes off every lot of the customer past its expiry at `now`, one EXPIRE movement each;
/// returns how many lots expired. The caller holds the account's lock and saves it.
async fn expire_due(
    tx: &mut PgConnection,
    customer_id: Uuid,
    account: &mut Account,
    now: DateTime<Utc>,
) -> Result<i32, ApiError> {
    let mut expired = 0;
    for lot in store::open_lots(tx, customer_id).await? {
        if !rules::is_expired(lot.expire_time, now) {
            continue;
        }
        store::take_from_lot(tx, lot.id, lot.remaining).await?;
        account.balance -= lot.remaining;
        let reference = format!("lot {}", lot.id);
        let movement = NewMovement {
            kind: MovementKind::Expire,
            points: -lot.remaining,
            balance_after: account.balance,
            reason: "points expired 365 days after they were earned",
            reference: &reference,
            expire_time: None,
        };
        let row = store::insert_movement(tx, customer_id, &movement, now).await?;
        emit(tx, &movement_to_proto(&row)).await?;
        expired += 1;
    }
    Ok(expired)
}

/// Records the movement's PointsMoved event.
async fn emit(tx: &mut PgConnection, movement: &pb::PointMovement) -> Result<(), ApiError> {
    let event = stream_changes_response::Event::PointsMoved(PointsMoved {
        movement: Some(movement.clone()),
    });
    changefeed::record(tx, &movement.customer_id, event).await
}

/// FAILED_PRECONDITION for a redemption or deduction larger than the balance.
fn insufficient(refused: Insufficient) -> ApiError {
    ApiError::FailedPrecondition {
        reason: Reason::InsufficientPoints.as_str(),
        message: format!(
            "the balance is {} points; {} requested",
            refused.balance, refused.requested
        ),
        metadata: vec![
            ("balance", refused.balance.to_string()),
            ("requested", refused.requested.to_string()),
        ],
    }
}

/// The customer `customer_ref` names (the caller wrote it as `text`), deleted or not.
pub(crate) async fn find_customer(
    conn: &mut PgConnection,
    customer_ref: &CustomerRef,
    text: &str,
) -> Result<CustomerState, ApiError> {
    customer_store::state(conn, customer_ref, false)
        .await?
        .ok_or_else(|| not_found(text))
}

/// FAILED_PRECONDITION when the customer is deleted: its points no longer move.
fn ensure_not_deleted(customer: &CustomerState) -> Result<(), ApiError> {
    if customer.deleted {
        Err(ApiError::FailedPrecondition {
            reason: Reason::CustomerDeleted.as_str(),
            message: format!("customer {} is deleted", customer.customer_code),
            metadata: vec![("customer_code", customer.customer_code.clone())],
        })
    } else {
        Ok(())
    }
}
