//! `logistics.customers.v1.LoyaltyService`: the points ledger. Every movement runs in one
//! transaction holding the customer's account row, first expiring its lots that are past due, so
//! balances never go below zero and concurrent redemptions queue instead of both passing.

use crate::reasons::Reason;
use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_contracts::customers::loyalty_service_server::LoyaltyService;
use logistics_contracts::customers::{
    self as pb, AdjustPointsRequest, AwardPointsRequest, AwardPointsResponse,
    GetLoyaltyAccountRequest, ListPointMovementsRequest, ListPointMovementsResponse,
    LoyaltyAccount, PointMovementKind, PointsMoved, RedeemPointsRequest, RunPointsExpiryRequest,
    RunPointsExpiryResponse, stream_changes_response,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::changefeed;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use logistics_platform::jobs::{Job, JobRunner, Schedule};
use logistics_platform::money::required_cny_fen;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::time::{optional_timestamp, timestamp};
use logistics_platform::{ApiError, ServiceContext};
use prost::Message;
use sqlx::{PgConnection, PgPool};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::customer_service::parse_ref;
use super::{customer_ref_field, principal_name, respond};
use crate::app::customers::not_found as customer_not_found;
use crate::domain::customer::CustomerRef;
use crate::domain::loyalty::{
    self as rules, Insufficient, MAX_AWARD_AMOUNT_MINOR, MAX_POINTS_PER_MOVEMENT, MovementKind,
};
use crate::store::contacts::{CustomerState, customer_state};
use crate::store::loyalty::{self as store, Account, MovementRow, NewMovement};

/// The scope each RPC of LoyaltyService needs.
pub const SCOPES: ScopeTable = &[
    (
        "/logistics.customers.v1.LoyaltyService/GetLoyaltyAccount",
        "customers:read",
    ),
    (
        "/logistics.customers.v1.LoyaltyService/AwardPoints",
        "customers:internal",
    ),
    (
        "/logistics.customers.v1.LoyaltyService/AdjustPoints",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.LoyaltyService/RedeemPoints",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.LoyaltyService/ListPointMovements",
        "customers:read",
    ),
    (
        "/logistics.customers.v1.LoyaltyService/RunPointsExpiry",
        "customers:admin",
    ),
];

const MAX_REASON_CHARS: usize = 200;
const MAX_REFERENCE_CHARS: usize = 100;
/// Customers expired per batch of RunPointsExpiry, each in a transaction of its own.
const EXPIRY_BATCH: usize = 500;
/// How often the service expires points on its own.
const EXPIRY_PERIOD: Duration = Duration::from_secs(60 * 60);
/// How long after start the first periodic expiry runs.
const EXPIRY_START_DELAY: Duration = Duration::from_secs(60);

/// The loyalty API over its database.
#[derive(Clone)]
pub struct LoyaltyApi {
    pool: PgPool,
    page_tokens: PageTokens,
    expiry: Job,
}

/// A movement a caller asked for, validated.
struct Requested<'a> {
    kind: MovementKind,
    points: i64,
    reason: &'a str,
    reference: &'a str,
}

impl LoyaltyApi {
    /// The API over `pool`, with the context's secrets.
    pub fn new(pool: PgPool, context: &ServiceContext) -> Self {
        Self {
            expiry: Job::new("customers.points_expiry", pool.clone()),
            pool,
            page_tokens: PageTokens::new(context.token_key.clone(), "loyalty.movements"),
        }
    }

    /// Schedules the points expiry on `runner`: hourly, the first run a minute after start (not
    /// at once, so replicas restarting together do not all scan at the same time).
    pub fn schedule_expiry(&self, runner: &JobRunner) {
        let api = self.clone();
        let schedule = Schedule::every(EXPIRY_PERIOD).first_after(EXPIRY_START_DELAY);
        runner.schedule(self.expiry.clone(), schedule, move || {
            let api = api.clone();
            async move {
                let done = api.run_expiry().await?;
                if done.lots_expired > 0 {
                    tracing::info!(
                        lots = done.lots_expired,
                        points = done.points_expired,
                        "expired loyalty points"
                    );
                }
                Ok(done)
            }
        });
    }

    async fn get(&self, request: GetLoyaltyAccountRequest) -> Result<LoyaltyAccount, ApiError> {
        let customer_ref = parse_ref("customer_id", &request.customer_id)?;
        let mut conn = self.pool.acquire().await?;
        let customer = find_customer(&mut conn, &customer_ref, &request.customer_id).await?;
        let now = store::now(&mut conn).await?;
        // Lots past due count for nothing even before the expiry job has written them off.
        let lots = store::open_lots(&mut conn, customer.id).await?;
        let account = store::account(&self.pool, customer.id)
            .await?
            .unwrap_or_default();
        let (points_expiring_soon, next_expire_time) = rules::expiring_soon(&lots, now);
        Ok(LoyaltyAccount {
            customer_id: customer.id.to_string(),
            balance: rules::available(&lots, now),
            lifetime_earned: account.lifetime_earned,
            points_expiring_soon,
            next_expire_time: next_expire_time.map(timestamp),
        })
    }

    async fn award(&self, request: AwardPointsRequest) -> Result<AwardPointsResponse, ApiError> {
        let mut violations = Violations::new();
        let customer_ref = customer_ref_field(&mut violations, "customer_id", &request.customer_id);
        violations.require_text("reference", &request.reference, MAX_REFERENCE_CHARS);
        let fen = required_cny_fen(
            &mut violations,
            "amount",
            request.amount.as_ref(),
            0..=MAX_AWARD_AMOUNT_MINOR,
        );
        let Some(customer_ref) = customer_ref else {
            return Err(violations.into_error());
        };
        violations.finish()?;
        let reference = request.reference.trim();
        let points = rules::points_for_spend(fen);

        let mut tx = self.pool.begin().await?;
        let customer = find_customer(&mut tx, &customer_ref, &request.customer_id).await?;
        ensure_not_deleted(&customer)?;
        let movement = award_in(&mut tx, customer.id, reference, points).await?;
        tx.commit().await?;
        Ok(AwardPointsResponse { movement })
    }

    async fn adjust(
        &self,
        principal: &str,
        request: AdjustPointsRequest,
    ) -> Result<pb::PointMovement, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let customer_ref = customer_ref_field(&mut violations, "customer_id", &request.customer_id);
        // A range, not `abs()`: i64::MIN has no absolute value (a panic in debug builds, and in
        // release it wraps to itself and would pass).
        if request.points == 0
            || !(-MAX_POINTS_PER_MOVEMENT..=MAX_POINTS_PER_MOVEMENT).contains(&request.points)
        {
            violations.add("points", "must be -1,000,000 to 1,000,000 and not 0");
        }
        violations.require_text("reason", &request.reason, MAX_REASON_CHARS);
        let (Some(request_id), Some(customer_ref)) = (request_id, customer_ref) else {
            return Err(violations.into_error());
        };
        violations.finish()?;
        let requested = Requested {
            kind: MovementKind::Adjust,
            points: request.points,
            reason: request.reason.trim(),
            reference: "",
        };
        let key = IdempotencyKey {
            principal: principal.to_owned(),
            method: "AdjustPoints",
            request_id,
        };
        self.idempotent_movement(
            &key,
            &request,
            &customer_ref,
            &request.customer_id,
            &requested,
        )
        .await
    }

    async fn redeem(
        &self,
        principal: &str,
        request: RedeemPointsRequest,
    ) -> Result<pb::PointMovement, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let customer_ref = customer_ref_field(&mut violations, "customer_id", &request.customer_id);
        if !(1..=MAX_POINTS_PER_MOVEMENT).contains(&request.points) {
            violations.add("points", "must be 1 to 1,000,000");
        }
        violations.require_text("reason", &request.reason, MAX_REASON_CHARS);
        violations.limit_text("reference", &request.reference, MAX_REFERENCE_CHARS);
        let (Some(request_id), Some(customer_ref)) = (request_id, customer_ref) else {
            return Err(violations.into_error());
        };
        violations.finish()?;
        let requested = Requested {
            kind: MovementKind::Redeem,
            points: -request.points,
            reason: request.reason.trim(),
            reference: request.reference.trim(),
        };
        let key = IdempotencyKey {
            principal: principal.to_owned(),
            method: "RedeemPoints",
            request_id,
        };
        self.idempotent_movement(
            &key,
            &request,
            &customer_ref,
            &request.customer_id,
            &requested,
        )
        .await
    }

    async fn idempotent_movement<R: Message>(
        &self,
        key: &IdempotencyKey,
        request: &R,
        customer_ref: &CustomerRef,
        customer_text: &str,
        requested: &Requested<'_>,
    ) -> Result<pb::PointMovement, ApiError> {
        let mut tx = self.pool.begin().await?;
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

    async fn list(
        &self,
        request: ListPointMovementsRequest,
    ) -> Result<ListPointMovementsResponse, ApiError> {
        let customer_ref = parse_ref("customer_id", &request.customer_id)?;
        let size = page_size(request.page_size)?;
        let mut conn = self.pool.acquire().await?;
        let customer = find_customer(&mut conn, &customer_ref, &request.customer_id).await?;
        drop(conn);
        let query = customer.id.as_bytes().to_vec();
        let before: Option<i64> = self.page_tokens.open(&query, &request.page_token)?;
        let mut rows = store::list_movements(&self.pool, customer.id, before, size + 1).await?;
        let more = rows.len() > size;
        rows.truncate(size);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => self.page_tokens.issue(&query, &last.id),
            _ => String::new(),
        };
        Ok(ListPointMovementsResponse {
            movements: rows.iter().map(to_proto).collect(),
            next_page_token,
        })
    }

    async fn run_expiry(&self) -> Result<RunPointsExpiryResponse, ApiError> {
        let mut done = RunPointsExpiryResponse::default();
        loop {
            let due = store::customers_with_due_lots(&self.pool, EXPIRY_BATCH).await?;
            if due.is_empty() {
                return Ok(done);
            }
            for customer_id in due {
                let mut tx = self.pool.begin().await?;
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
        return Ok(Some(to_proto(&first)));
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
    let movement = to_proto(&row);
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
        emit(tx, &to_proto(&row)).await?;
        expired += 1;
    }
    Ok(expired)
}

async fn emit(tx: &mut PgConnection, movement: &pb::PointMovement) -> Result<(), ApiError> {
    let event = stream_changes_response::Event::PointsMoved(PointsMoved {
        movement: Some(movement.clone()),
    });
    changefeed::record(tx, &movement.customer_id, event).await
}

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

fn to_proto(row: &MovementRow) -> pb::PointMovement {
    let kind = match row.kind.0 {
        MovementKind::Earn => PointMovementKind::Earn,
        MovementKind::Redeem => PointMovementKind::Redeem,
        MovementKind::Adjust => PointMovementKind::Adjust,
        MovementKind::Expire => PointMovementKind::Expire,
    };
    pb::PointMovement {
        id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        kind: kind.into(),
        points: row.points,
        balance_after: row.balance_after,
        reason: row.reason.clone(),
        reference: row.reference.clone(),
        create_time: Some(timestamp(row.create_time)),
        expire_time: optional_timestamp(row.expire_time),
    }
}

async fn find_customer(
    conn: &mut PgConnection,
    customer_ref: &CustomerRef,
    text: &str,
) -> Result<CustomerState, ApiError> {
    customer_state(conn, customer_ref, false)
        .await?
        .ok_or_else(|| customer_not_found(text))
}

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

#[tonic::async_trait]
impl LoyaltyService for LoyaltyApi {
    async fn get_loyalty_account(
        &self,
        request: Request<GetLoyaltyAccountRequest>,
    ) -> Result<Response<LoyaltyAccount>, Status> {
        respond(self.get(request.into_inner()).await)
    }

    async fn award_points(
        &self,
        request: Request<AwardPointsRequest>,
    ) -> Result<Response<AwardPointsResponse>, Status> {
        respond(self.award(request.into_inner()).await)
    }

    async fn adjust_points(
        &self,
        request: Request<AdjustPointsRequest>,
    ) -> Result<Response<pb::PointMovement>, Status> {
        let principal = principal_name(&request)?;
        respond(self.adjust(&principal, request.into_inner()).await)
    }

    async fn redeem_points(
        &self,
        request: Request<RedeemPointsRequest>,
    ) -> Result<Response<pb::PointMovement>, Status> {
        let principal = principal_name(&request)?;
        respond(self.redeem(&principal, request.into_inner()).await)
    }

    async fn list_point_movements(
        &self,
        request: Request<ListPointMovementsRequest>,
    ) -> Result<Response<ListPointMovementsResponse>, Status> {
        respond(self.list(request.into_inner()).await)
    }

    async fn run_points_expiry(
        &self,
        _request: Request<RunPointsExpiryRequest>,
    ) -> Result<Response<RunPointsExpiryResponse>, Status> {
        respond(self.expiry.run_now(self.run_expiry()).await)
    }
}
