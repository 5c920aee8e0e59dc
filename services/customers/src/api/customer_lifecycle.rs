//! CustomerService RPCs of the lifecycle and grading: activity, blocking, government levels,
//! grading policy, service levels, value scores and the sweep.

use crate::reasons::Reason;
use std::time::Duration;

use chrono::Utc;
use logistics_contracts::customers::{
    self as pb, BlockCustomerRequest, GetCustomerValueRequest, GetGradingPolicyRequest,
    GetServiceLevelRequest, GetServiceLevelResponse, ListStatusHistoryRequest,
    ListStatusHistoryResponse, ListTierHistoryRequest, ListTierHistoryResponse,
    RecordActivityRequest, RecordActivityResponse, RegradeCustomerRequest,
    RunLifecycleSweepResponse, SetGovernmentLevelRequest, UnblockCustomerRequest,
    UpdateGradingPolicyRequest, stream_changes_response::Event,
};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::money::cny;
use logistics_platform::pagination::page_size;
use logistics_platform::time::timestamp;
use sqlx::PgConnection;

use super::customer_changes::{Shipment, change_status, record_shipment, regrade};
use super::customer_fields::to_proto;
use super::customer_service::{
    CustomersApi, ensure_etag, ensure_not_deleted, lock_for_change, not_found, parse_ref,
};
use super::grading_fields::{
    apply_policy_mask, fen_of, policy_to_proto, service_level_to_proto, status_change_to_proto,
    tier_change_to_proto,
};
use crate::domain::customer::{Customer, CustomerRef, Kind, Status};
use crate::domain::grading::GovernmentLevel;
use crate::domain::lifecycle::{status_after_inactivity, status_after_unblock};
use crate::domain::value::rfm_scores;
use crate::store::customers as customer_store;
use crate::store::grading::{self as store, StoredPolicy};

const MAX_REASON: usize = 500;
/// Who made a status change the lifecycle sweep caused.
pub(crate) const BY_SWEEP: &str = "lifecycle-sweep";
const MAX_ACTIVITY_ID: usize = 100;
/// How far in the future an activity may be dated (clock skew between services).
const FUTURE_TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);
/// How long GetServiceLevel serves a cached policy: another replica's update shows within it.
pub(super) const POLICY_CACHE_TTL: Duration = Duration::from_secs(5);
/// How long the population's value quintiles are reused.
pub(super) const QUINTILES_TTL: Duration = Duration::from_secs(300);
/// Customers graded per database round in the sweep.
const SWEEP_BATCH: usize = 500;

impl CustomersApi {
    pub(super) async fn record_activity(
        &self,
        request: RecordActivityRequest,
    ) -> Result<RecordActivityResponse, ApiError> {
        let now = Utc::now();
        let mut violations = Violations::new();
        let customer_id = parse_uuid(&mut violations, "customer_id", &request.customer_id);
        violations.require_text("activity_id", &request.activity_id, MAX_ACTIVITY_ID);
        let occur_time = match violations.required_time("occur_time", request.occur_time.as_ref()) {
            Some(time) if time > now + FUTURE_TOLERANCE => {
                violations.add("occur_time", "must not be in the future");
                None
            }
            read => read,
        };
        let spend_fen = fen_of(request.spend.as_ref(), "spend", &mut violations);
        let (Some(customer_id), Some(occur_time)) = (customer_id, occur_time) else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let mut tx = self.pool.begin().await?;
        let customer_ref = CustomerRef::Id(customer_id);
        let current = lock_for_change(&mut tx, &customer_ref, &request.customer_id).await?;
        ensure_not_deleted(&current)?;
        let shipment = Shipment {
            activity_id: &request.activity_id,
            occur_time,
            spend_fen,
            status_reason: &format!("shipped (activity {})", request.activity_id),
        };
        let Some(customer) = record_shipment(&mut tx, &current, &shipment, now).await? else {
            return Ok(RecordActivityResponse {
                customer: Some(to_proto(&current)),
                duplicate: true,
            });
        };
        tx.commit().await?;
        Ok(RecordActivityResponse {
            customer: Some(to_proto(&customer)),
            duplicate: false,
        })
    }

    pub(super) async fn block(
        &self,
        principal: &str,
        request: BlockCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        require_reason(&request.reason)?;
        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &customer_ref, &request.id).await?;
        ensure_not_deleted(&current)?;
        ensure_etag(&current, &request.etag)?;
        if current.status == Status::Blocked {
            return Err(illegal_transition(
                &current,
                Status::Blocked,
                Reason::AlreadyBlocked.as_str(),
            ));
        }
        let blocked = change_status(
            &mut tx,
            &current,
            Status::Blocked,
            &request.reason,
            principal,
        )
        .await?;
        tx.commit().await?;
        Ok(to_proto(&blocked))
    }

    pub(super) async fn unblock(
        &self,
        principal: &str,
        request: UnblockCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        require_reason(&request.reason)?;
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &customer_ref, &request.id).await?;
        ensure_not_deleted(&current)?;
        ensure_etag(&current, &request.etag)?;
        let policy = store::current_policy(&mut tx).await?;
        let to = status_after_unblock(current.last_activity_time(), now, &policy.policy);
        if current.status != Status::Blocked {
            return Err(illegal_transition(
                &current,
                to,
                Reason::NotBlocked.as_str(),
            ));
        }
        let unblocked = change_status(&mut tx, &current, to, &request.reason, principal).await?;
        let unblocked = regrade(&mut tx, unblocked, &policy, now).await?;
        tx.commit().await?;
        Ok(to_proto(&unblocked))
    }

    pub(super) async fn set_government_level(
        &self,
        request: SetGovernmentLevelRequest,
    ) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        let mut violations = Violations::new();
        let level = match pb::GovernmentLevel::try_from(request.level) {
            Ok(pb::GovernmentLevel::A) => Some(GovernmentLevel::A),
            Ok(pb::GovernmentLevel::B) => Some(GovernmentLevel::B),
            Ok(pb::GovernmentLevel::C) => Some(GovernmentLevel::C),
            _ => {
                violations.add("level", "must be GOVERNMENT_LEVEL_A, _B or _C");
                None
            }
        };
        violations.require_text("reason", &request.reason, MAX_REASON);
        let Some(level) = level else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &customer_ref, &request.id).await?;
        ensure_not_deleted(&current)?;
        ensure_etag(&current, &request.etag)?;
        if current.kind != Kind::Government {
            return Err(ApiError::FailedPrecondition {
                reason: Reason::NotAGovernmentCustomer.as_str(),
                message: format!(
                    "customer {} is {}, not a government customer",
                    current.customer_code,
                    current.kind.as_str()
                ),
                metadata: vec![("kind", current.kind.as_str().to_owned())],
            });
        }
        let updated = store::set_government_level(&mut tx, current.id, level).await?;
        let policy = store::current_policy(&mut tx).await?;
        let updated = regrade(&mut tx, updated, &policy, Utc::now()).await?;
        tx.commit().await?;
        Ok(to_proto(&updated))
    }

    pub(super) async fn regrade_now(
        &self,
        request: RegradeCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &customer_ref, &request.id).await?;
        ensure_not_deleted(&current)?;
        let policy = store::current_policy(&mut tx).await?;
        let graded = regrade(&mut tx, current, &policy, Utc::now()).await?;
        tx.commit().await?;
        Ok(to_proto(&graded))
    }

    pub(super) async fn status_history(
        &self,
        request: ListStatusHistoryRequest,
    ) -> Result<ListStatusHistoryResponse, ApiError> {
        let (customer, size, before) = self
            .history_page(&request.customer_id, request.page_size, &request.page_token)
            .await?;
        let mut rows = store::status_history(&self.pool, customer.id, before, size + 1).await?;
        let next = next_token(
            &mut rows,
            size,
            |row| row.id,
            |last| self.history_tokens.issue(customer.id.as_bytes(), &last),
        );
        Ok(ListStatusHistoryResponse {
            changes: rows.iter().map(status_change_to_proto).collect(),
            next_page_token: next,
        })
    }

    pub(super) async fn tier_history(
        &self,
        request: ListTierHistoryRequest,
    ) -> Result<ListTierHistoryResponse, ApiError> {
        let (customer, size, before) = self
            .history_page(&request.customer_id, request.page_size, &request.page_token)
            .await?;
        let mut rows = store::tier_history(&self.pool, customer.id, before, size + 1).await?;
        let next = next_token(
            &mut rows,
            size,
            |row| row.id,
            |last| self.history_tokens.issue(customer.id.as_bytes(), &last),
        );
        Ok(ListTierHistoryResponse {
            changes: rows.iter().map(tier_change_to_proto).collect(),
            next_page_token: next,
        })
    }

    /// The customer, page size and position of a history page. Tokens are bound to the customer.
    async fn history_page(
        &self,
        id: &str,
        requested_size: i32,
        token: &str,
    ) -> Result<(Customer, usize, Option<i64>), ApiError> {
        let customer_ref = parse_ref("customer_id", id)?;
        let size = page_size(requested_size)?;
        let mut conn = self.pool.acquire().await?;
        let customer = customer_store::find(&mut conn, &customer_ref, false)
            .await?
            .ok_or_else(|| not_found(id))?;
        let before = self.history_tokens.open(customer.id.as_bytes(), token)?;
        Ok((customer, size, before))
    }

    pub(super) async fn grading_policy(
        &self,
        request: GetGradingPolicyRequest,
    ) -> Result<pb::GradingPolicy, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let stored = match request.version {
            0 => store::current_policy(&mut conn).await?,
            version if version < 0 => {
                return Err(ApiError::invalid_field("version", "must not be negative"));
            }
            version => {
                store::policy_version(&mut conn, version)
                    .await?
                    .ok_or(ApiError::NotFound {
                        reason: Reason::PolicyVersionNotFound.as_str(),
                        resource: "grading policy version",
                        id: version.to_string(),
                    })?
            }
        };
        Ok(policy_to_proto(&stored))
    }

    pub(super) async fn update_grading_policy(
        &self,
        principal: &str,
        request: UpdateGradingPolicyRequest,
    ) -> Result<pb::GradingPolicy, ApiError> {
        let Some(input) = request.policy else {
            return Err(ApiError::invalid_field("policy", "is required"));
        };
        let paths = request
            .update_mask
            .map(|mask| mask.paths)
            .unwrap_or_default();
        let mut tx = self.pool.begin().await?;
        let current = store::current_policy(&mut tx).await?;
        logistics_platform::etag::check(&input.etag, current.version.into(), "the grading policy")?;
        let mut policy = current.policy.clone();
        let mut violations = Violations::new();
        apply_policy_mask(&mut policy, &input, &paths, &mut violations);
        if violations.is_empty() {
            for (field, problem) in policy.problems() {
                violations.add(format!("policy.{field}"), problem);
            }
        }
        violations.finish()?;
        let stored = store::insert_policy(&mut tx, current.version + 1, &policy, principal).await?;
        let proto = policy_to_proto(&stored);
        let event = Event::GradingPolicyUpdated(proto.clone());
        changefeed::record(&mut tx, &stored.version.to_string(), event).await?;
        tx.commit().await?;
        self.policy_cache.set(stored).await;
        Ok(proto)
    }

    pub(super) async fn service_level(
        &self,
        request: GetServiceLevelRequest,
    ) -> Result<GetServiceLevelResponse, ApiError> {
        let customer_ref = parse_ref("customer_id", &request.customer_id)?;
        let mut conn = self.pool.acquire().await?;
        let customer = customer_store::find(&mut conn, &customer_ref, false)
            .await?
            .ok_or_else(|| not_found(&request.customer_id))?;
        ensure_not_deleted(&customer)?;
        let policy = self.cached_policy(&mut conn).await?;
        let terms = policy
            .policy
            .service_level(customer.value_class)
            .ok_or_else(|| {
                anyhow::anyhow!(
                    "policy v{} has no terms for {}",
                    policy.version,
                    customer.value_class.as_str()
                )
            })?;
        Ok(GetServiceLevelResponse {
            customer_id: customer.id.to_string(),
            status: super::customer_fields::status_to_proto(customer.status).into(),
            service_level: Some(service_level_to_proto(terms)),
            policy_version: policy.version,
        })
    }

    async fn cached_policy(&self, conn: &mut PgConnection) -> Result<StoredPolicy, ApiError> {
        self.policy_cache
            .get_or_load(store::current_policy(conn))
            .await
    }

    pub(super) async fn customer_value(
        &self,
        request: GetCustomerValueRequest,
    ) -> Result<pb::CustomerValue, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        let now = Utc::now();
        let mut conn = self.pool.acquire().await?;
        let customer = customer_store::find(&mut conn, &customer_ref, false)
            .await?
            .ok_or_else(|| not_found(&request.id))?;
        let figures = store::value_figures(&mut conn, customer.id, now).await?;
        let quintiles = self
            .quintiles_cache
            .get_or_load(store::population_quintiles(&mut conn, now))
            .await?;
        let scores = rfm_scores(figures, quintiles.as_ref());
        Ok(pb::CustomerValue {
            customer_id: customer.id.to_string(),
            recency_score: scores.recency,
            frequency_score: scores.frequency,
            monetary_score: scores.monetary,
            days_since_last_shipment: figures
                .days_since_last_shipment
                .map_or(0, |days| days.min(i64::from(i32::MAX)) as i32),
            has_shipped: figures.days_since_last_shipment.is_some(),
            shipments_last_year: figures.shipments,
            spend_last_year: Some(cny(figures.spend_fen)),
            compute_time: Some(timestamp(now)),
        })
    }

    /// Moves idle customers to DORMANT or CHURNED and grades everyone again, one customer per
    /// transaction so the sweep never holds many locks.
    pub(crate) async fn sweep(&self) -> Result<RunLifecycleSweepResponse, ApiError> {
        let now = Utc::now();
        let policy = {
            let mut conn = self.pool.acquire().await?;
            store::current_policy(&mut conn).await?
        };
        let mut outcome = RunLifecycleSweepResponse::default();
        let mut after = None;
        loop {
            let ids = store::customer_ids_after(&self.pool, after, SWEEP_BATCH).await?;
            let Some(&last) = ids.last() else {
                return Ok(outcome);
            };
            after = Some(last);
            for id in ids {
                let mut tx = self.pool.begin().await?;
                let customer_ref = CustomerRef::Id(id);
                let Some(mut customer) = customer_store::find(&mut tx, &customer_ref, true).await?
                else {
                    continue;
                };
                if customer.delete_time.is_some() {
                    continue;
                }
                let idle = status_after_inactivity(
                    customer.status,
                    customer.last_activity_time(),
                    now,
                    &policy.policy,
                );
                if let Some(to) = idle {
                    let days = customer
                        .last_activity_time()
                        .map_or(0, |last| (now - last).num_days());
                    let reason = match customer.last_order_time {
                        None => format!("no shipment for {days} days"),
                        Some(_) => format!("no shipment or order for {days} days"),
                    };
                    customer = change_status(&mut tx, &customer, to, &reason, BY_SWEEP).await?;
                    match to {
                        Status::Dormant => outcome.became_dormant += 1,
                        _ => outcome.became_churned += 1,
                    }
                }
                let before = (customer.tier, customer.value_class);
                let graded = regrade(&mut tx, customer, &policy, now).await?;
                if (graded.tier, graded.value_class) != before {
                    outcome.regraded += 1;
                }
                tx.commit().await?;
            }
        }
    }
}

fn require_reason(reason: &str) -> Result<(), ApiError> {
    let mut violations = Violations::new();
    violations.require_text("reason", reason, MAX_REASON);
    violations.finish()
}

fn illegal_transition(customer: &Customer, requested: Status, reason: &'static str) -> ApiError {
    ApiError::FailedPrecondition {
        reason,
        message: format!(
            "customer {} is {}; it cannot become {}",
            customer.customer_code,
            customer.status.as_str(),
            requested.as_str()
        ),
        metadata: vec![
            ("current_status", customer.status.as_str().to_owned()),
            ("requested_status", requested.as_str().to_owned()),
        ],
    }
}

/// Cuts `rows` to `size` and returns the token of the page after it, if there is one.
fn next_token<T>(
    rows: &mut Vec<T>,
    size: usize,
    position: impl Fn(&T) -> i64,
    issue: impl Fn(i64) -> String,
) -> String {
    if rows.len() <= size {
        return String::new();
    }
    rows.truncate(size);
    rows.last()
        .map(|row| issue(position(row)))
        .unwrap_or_default()
}
