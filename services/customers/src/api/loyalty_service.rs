//! `logistics.customers.v1.LoyaltyService`: the points ledger on the wire. Decodes and checks each
//! request, calls its use case in `app::loyalty`, encodes the answer.

use std::time::Duration;

use logistics_contracts::customers::loyalty_service_server::LoyaltyService;
use logistics_contracts::customers::{
    self as pb, AdjustPointsRequest, AwardPointsRequest, AwardPointsResponse,
    GetLoyaltyAccountRequest, ListPointMovementsRequest, ListPointMovementsResponse,
    LoyaltyAccount, RedeemPointsRequest, RunPointsExpiryRequest, RunPointsExpiryResponse,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::idempotency::IdempotencyKey;
use logistics_platform::jobs::{Job, JobRunner, Schedule};
use logistics_platform::money::required_cny_fen;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::time::timestamp;
use logistics_platform::{ApiError, ServiceContext};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

use super::customer_service::parse_ref;
use super::{customer_ref_field, principal_name, respond};
use crate::app::events::movement_to_proto;
use crate::app::loyalty::{self, Requested};
use crate::domain::loyalty::{
    self as rules, MAX_AWARD_AMOUNT_MINOR, MAX_POINTS_PER_MOVEMENT, MovementKind,
};
use crate::store::loyalty as store;

/// The scope each RPC of LoyaltyService needs.
pub(crate) const SCOPES: ScopeTable = &[
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
/// How often the service expires points on its own.
const EXPIRY_PERIOD: Duration = Duration::from_secs(60 * 60);
/// How long after start the first periodic expiry runs.
const EXPIRY_START_DELAY: Duration = Duration::from_secs(60);

/// The loyalty API over its database.
#[derive(Clone)]
pub(crate) struct LoyaltyApi {
    pool: PgPool,
    page_tokens: PageTokens,
    expiry: Job,
}

impl LoyaltyApi {
    /// The API over `pool`, with the context's secrets.
    pub(crate) fn new(pool: PgPool, context: &ServiceContext) -> Self {
        Self {
            expiry: Job::new("customers.points_expiry", pool.clone()),
            pool,
            page_tokens: PageTokens::new(context.token_key.clone(), "loyalty.movements"),
        }
    }

    /// Schedules the points expiry on `runner`: hourly, the first run a minute after start (not
    /// at once, so replicas restarting together do not all scan at the same time).
    pub(crate) fn schedule_expiry(&self, runner: &JobRunner) {
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
        let account = loyalty::account(&self.pool, &customer_ref, &request.customer_id).await?;
        let (points_expiring_soon, next_expire_time) = account.expiring_soon;
        Ok(LoyaltyAccount {
            customer_id: account.customer_id.to_string(),
            balance: account.balance,
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

        let movement = loyalty::award(
            &self.pool,
            &customer_ref,
            &request.customer_id,
            reference,
            points,
        )
        .await?;
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
        loyalty::idempotent_movement(
            &self.pool,
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
        loyalty::idempotent_movement(
            &self.pool,
            &key,
            &request,
            &customer_ref,
            &request.customer_id,
            &requested,
        )
        .await
    }

    async fn list(
        &self,
        request: ListPointMovementsRequest,
    ) -> Result<ListPointMovementsResponse, ApiError> {
        let customer_ref = parse_ref("customer_id", &request.customer_id)?;
        let size = page_size(request.page_size)?;
        let mut conn = self.pool.acquire().await?;
        let customer =
            loyalty::find_customer(&mut conn, &customer_ref, &request.customer_id).await?;
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
            movements: rows.iter().map(movement_to_proto).collect(),
            next_page_token,
        })
    }

    async fn run_expiry(&self) -> Result<RunPointsExpiryResponse, ApiError> {
        let done = loyalty::run_expiry(&self.pool).await?;
        Ok(RunPointsExpiryResponse {
            lots_expired: done.lots_expired,
            points_expired: done.points_expired,
        })
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
