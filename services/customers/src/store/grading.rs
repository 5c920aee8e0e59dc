//! SQL on the grading tables: `grading_policies` (the policy's versions) and `tier_history` (every
//! grade a customer was given).

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::customer::Customer;
use crate::domain::grading::{Grade, GradingPolicy, Tier, ValueClass};
use crate::reasons::Reason;

/// A policy version as stored.
#[derive(Debug, Clone)]
pub(crate) struct StoredPolicy {
    /// Version number.
    pub(crate) version: i32,
    /// The policy.
    pub(crate) policy: GradingPolicy,
    /// Who made it.
    pub(crate) created_by: String,
    /// When.
    pub(crate) create_time: DateTime<Utc>,
}

type PolicyRow = (i32, Json<GradingPolicy>, String, DateTime<Utc>);

fn stored((version, policy, created_by, create_time): PolicyRow) -> StoredPolicy {
    StoredPolicy {
        version,
        policy: policy.0,
        created_by,
        create_time,
    }
}

/// Writes version 1, the handbook's defaults, unless a policy exists.
pub(crate) async fn ensure_default_policy(pool: &PgPool) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO grading_policies (version, policy, created_by) VALUES (1, $1, 'defaults')
         ON CONFLICT DO NOTHING",
    )
    .bind(Json(GradingPolicy::default()))
    .execute(pool)
    .await?;
    Ok(())
}

/// The policy in force: the highest version.
pub(crate) async fn current_policy(conn: &mut PgConnection) -> Result<StoredPolicy, ApiError> {
    let row: PolicyRow = sqlx::query_as(
        "SELECT version, policy, created_by, create_time FROM grading_policies
         ORDER BY version DESC LIMIT 1",
    )
    .fetch_one(conn)
    .await?;
    Ok(stored(row))
}

/// One version of the policy.
pub(crate) async fn policy_version(
    conn: &mut PgConnection,
    version: i32,
) -> Result<Option<StoredPolicy>, ApiError> {
    let row: Option<PolicyRow> = sqlx::query_as(
        "SELECT version, policy, created_by, create_time FROM grading_policies WHERE version = $1",
    )
    .bind(version)
    .fetch_optional(conn)
    .await?;
    Ok(row.map(stored))
}

/// Stores `policy` as `version`; a concurrent update that took the version first is ABORTED.
pub(crate) async fn insert_policy(
    tx: &mut PgConnection,
    version: i32,
    policy: &GradingPolicy,
    created_by: &str,
) -> Result<StoredPolicy, ApiError> {
    let row: Option<PolicyRow> = sqlx::query_as(
        "INSERT INTO grading_policies (version, policy, created_by) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING
         RETURNING version, policy, created_by, create_time",
    )
    .bind(version)
    .bind(Json(policy))
    .bind(created_by)
    .fetch_optional(tx)
    .await?;
    row.map(stored).ok_or(ApiError::Aborted {
        reason: Reason::ConcurrentModification.as_str(),
        message: "the grading policy changed meanwhile; read it again".to_owned(),
    })
}

/// A tier change as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TierChangeRow {
    /// Its id, for paging.
    pub(crate) id: i64,
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Tier before.
    pub(crate) from_tier: Option<Stored<Tier>>,
    /// Tier after.
    pub(crate) to_tier: Stored<Tier>,
    /// Value class before.
    pub(crate) from_value_class: Stored<ValueClass>,
    /// Value class after.
    pub(crate) to_value_class: Stored<ValueClass>,
    /// Why.
    pub(crate) reason: String,
    /// Under which policy version.
    pub(crate) policy_version: i32,
    /// When.
    pub(crate) change_time: DateTime<Utc>,
}

/// Keeps a grade change in the customer's tier history; `to_tier` is the tier the customer got.
pub(crate) async fn insert_tier_change(
    tx: &mut PgConnection,
    customer: &Customer,
    to_tier: Tier,
    grade: &Grade,
    policy_version: i32,
) -> Result<TierChangeRow, ApiError> {
    Ok(sqlx::query_as(
        "INSERT INTO tier_history (customer_id, from_tier, to_tier, from_value_class,
                                   to_value_class, reason, policy_version)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING id, customer_id, from_tier, to_tier, from_value_class, to_value_class, reason,
                   policy_version, change_time",
    )
    .bind(customer.id)
    .bind(customer.tier.map(|tier| tier.as_str()))
    .bind(to_tier.as_str())
    .bind(customer.value_class.as_str())
    .bind(grade.value_class.as_str())
    .bind(&grade.reason)
    .bind(policy_version)
    .fetch_one(tx)
    .await?)
}

/// Keeps a new customer's first grade in its tier history.
pub(crate) async fn record_initial_grade(
    tx: &mut PgConnection,
    customer: &Customer,
    grade: &Grade,
    policy_version: i32,
) -> Result<(), ApiError> {
    let Some(tier) = grade.tier else {
        return Ok(());
    };
    sqlx::query(
        "INSERT INTO tier_history (customer_id, from_tier, to_tier, from_value_class,
                                   to_value_class, reason, policy_version)
         VALUES ($1, NULL, $2, $3, $3, $4, $5)",
    )
    .bind(customer.id)
    .bind(tier.as_str())
    .bind(grade.value_class.as_str())
    .bind(format!("initial grade: {}", grade.reason))
    .bind(policy_version)
    .execute(tx)
    .await?;
    Ok(())
}

/// A customer's tier changes, newest first, older than `before` (an id) when given.
pub(crate) async fn tier_history(
    pool: &PgPool,
    customer_id: Uuid,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<TierChangeRow>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, from_tier, to_tier, from_value_class, to_value_class, reason,
                policy_version, change_time
         FROM tier_history
         WHERE customer_id = $1 AND id < coalesce($2, 9223372036854775807)
         ORDER BY id DESC LIMIT $3",
    )
    .bind(customer_id)
    .bind(before)
    .bind(limit as i64)
    .fetch_all(pool)
    .await?)
}
