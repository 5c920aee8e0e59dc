//! CustomerService RPCs of the lifecycle and grading: activity, blocking, government levels,
//! grading policy, service levels, value scores and the sweep.

use std::time::Duration;

use chrono::Utc;
use logistics_contracts::customers::{
    self as pb, BlockCustomerRequest, GetCustomerValueRequest, GetGradingPolicyRequest,
    GetServiceLevelRequest, GetServiceLevelResponse, ListStatusHistoryRequest,
    ListStatusHistoryResponse, ListTierHistoryRequest, ListTierHistoryResponse,
    RecordActivityRequest, RecordActivityResponse, RegradeCustomerRequest,
    SetGovernmentLevelRequest, UnblockCustomerRequest, UpdateGradingPolicyRequest,
};
use logistics_platform::ApiError;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::money::cny;
use logistics_platform::pagination::page_size;
use logistics_platform::time::timestamp;

use super::customer_service::{CustomersApi, parse_ref};
use super::grading_fields::{apply_policy_mask, fen_of};
use crate::app::customers::find;
use crate::app::events::{
    customer_to_proto, policy_to_proto, service_level_to_proto, status_change_to_proto,
    status_to_proto, tier_change_to_proto,
};
use crate::app::lifecycle::{self, NewActivity};
use crate::domain::customer::Customer;
use crate::domain::grading::GovernmentLevel;
use crate::reasons::Reason;
use crate::store::grading as store;
use crate::store::status_history;

const MAX_REASON: usize = 500;
const MAX_ACTIVITY_ID: usize = 100;
/// How far in the future an activity may be dated (clock skew between services).
const FUTURE_TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);
/// How long GetServiceLevel serves a cached policy: another replica's update shows within it.
pub(super) const POLICY_CACHE_TTL: Duration = Duration::from_secs(5);
/// How long the population's value quintiles are reused.
pub(super) const QUINTILES_TTL: Duration = Duration::from_secs(300);

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

        let activity = NewActivity {
            customer_text: &request.customer_id,
            customer_id,
            activity_id: &request.activity_id,
            occur_time,
            spend_fen,
        };
        let (customer, duplicate) = lifecycle::record_activity(&self.pool, &activity, now).await?;
        Ok(RecordActivityResponse {
            customer: Some(customer_to_proto(&customer)),
            duplicate,
        })
    }

    pub(super) async fn block(
        &self,
        principal: &str,
        request: BlockCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        require_reason(&request.reason)?;
        let blocked = lifecycle::block(
            &self.pool,
            &customer_ref,
            &request.id,
            &request.etag,
            &request.reason,
            principal,
        )
        .await?;
        Ok(customer_to_proto(&blocked))
    }

    pub(super) async fn unblock(
        &self,
        principal: &str,
        request: UnblockCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        require_reason(&request.reason)?;
        let unblocked = lifecycle::unblock(
            &self.pool,
            &customer_ref,
            &request.id,
            &request.etag,
            &request.reason,
            principal,
        )
        .await?;
        Ok(customer_to_proto(&unblocked))
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
        let updated = lifecycle::set_government_level(
            &self.pool,
            &customer_ref,
            &request.id,
            &request.etag,
            level,
        )
        .await?;
        Ok(customer_to_proto(&updated))
    }

    pub(super) async fn regrade_now(
        &self,
        request: RegradeCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        let graded = lifecycle::regrade_now(&self.pool, &customer_ref, &request.id).await?;
        Ok(customer_to_proto(&graded))
    }

    pub(super) async fn status_history(
        &self,
        request: ListStatusHistoryRequest,
    ) -> Result<ListStatusHistoryResponse, ApiError> {
        let (customer, size, before) = self
            .history_page(&request.customer_id, request.page_size, &request.page_token)
            .await?;
        let mut rows = status_history::list(&self.pool, customer.id, before, size + 1).await?;
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
        let customer = find(&mut conn, &customer_ref, id).await?;
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
        let stored =
            lifecycle::update_policy(&self.pool, &input.etag, principal, |policy, violations| {
                apply_policy_mask(policy, &input, &paths, violations)
            })
            .await?;
        let proto = policy_to_proto(&stored);
        self.policy_cache.set(stored).await;
        Ok(proto)
    }

    pub(super) async fn service_level(
        &self,
        request: GetServiceLevelRequest,
    ) -> Result<GetServiceLevelResponse, ApiError> {
        let customer_ref = parse_ref("customer_id", &request.customer_id)?;
        let (customer, terms, policy_version) = lifecycle::service_level(
            &self.pool,
            &self.policy_cache,
            &customer_ref,
            &request.customer_id,
        )
        .await?;
        Ok(GetServiceLevelResponse {
            customer_id: customer.id.to_string(),
            status: status_to_proto(customer.status).into(),
            service_level: Some(service_level_to_proto(&terms)),
            policy_version,
        })
    }

    pub(super) async fn customer_value(
        &self,
        request: GetCustomerValueRequest,
    ) -> Result<pb::CustomerValue, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        let now = Utc::now();
        let (customer, figures, scores) = lifecycle::value(
            &self.pool,
            &self.quintiles_cache,
            &customer_ref,
            &request.id,
            now,
        )
        .await?;
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
}

fn require_reason(reason: &str) -> Result<(), ApiError> {
    let mut violations = Violations::new();
    violations.require_text("reason", reason, MAX_REASON);
    violations.finish()
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
