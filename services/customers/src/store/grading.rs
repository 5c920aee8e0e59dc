//! SQL for grading and the lifecycle: policies, activity, status and tier changes with history.

use crate::reasons::Reason;
use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::customers::{COLUMNS, CustomerRow};
use crate::domain::customer::{Customer, Status};
use crate::domain::grading::{Activity, GovernmentLevel, Grade, GradingPolicy, Tier, ValueClass};
use crate::domain::value::{Quintiles, ValueFigures};

/// A policy version as stored.
#[derive(Debug, Clone)]
pub struct StoredPolicy {
    /// Version number.
    pub version: i32,
    /// The policy.
    pub policy: GradingPolicy,
    /// Who made it.
    pub created_by: String,
    /// When.
    pub create_time: DateTime<Utc>,
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
pub async fn ensure_default_policy(pool: &PgPool) -> Result<(), ApiError> {
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
pub async fn current_policy(conn: &mut PgConnection) -> Result<StoredPolicy, ApiError> {
    let row: PolicyRow = sqlx::query_as(
        "SELECT version, policy, created_by, create_time FROM grading_policies
         ORDER BY version DESC LIMIT 1",
    )
    .fetch_one(conn)
    .await?;
    Ok(stored(row))
}

/// One version of the policy.
pub async fn policy_version(
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
pub async fn insert_policy(
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

/// Records a shipment; false when this activity id was recorded before.
pub async fn record_activity(
    tx: &mut PgConnection,
    customer_id: Uuid,
    activity_id: &str,
    occur_time: DateTime<Utc>,
    spend_fen: i64,
) -> Result<bool, ApiError> {
    let inserted = sqlx::query(
        "INSERT INTO activity (customer_id, activity_id, occur_time, spend_minor)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
    )
    .bind(customer_id)
    .bind(activity_id)
    .bind(occur_time)
    .bind(spend_fen)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if inserted == 1 {
        sqlx::query(
            "UPDATE customers
             SET last_shipment_time = GREATEST(last_shipment_time, $2), update_time = now(),
                 version = version + 1
             WHERE id = $1",
        )
        .bind(customer_id)
        .bind(occur_time)
        .execute(tx)
        .await?;
    }
    Ok(inserted == 1)
}

/// Notes that the customer placed an order at `order_time` (the inactivity clock restarts from
/// its latest order as from its latest shipment). The field is internal, not part of the resource,
/// so the version (etag) stays: staff editing the customer meanwhile must not be refused for it.
pub async fn record_order(
    tx: &mut PgConnection,
    customer_id: Uuid,
    order_time: DateTime<Utc>,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE customers
         SET last_order_time = GREATEST(last_order_time, $2)
         WHERE id = $1",
    )
    .bind(customer_id)
    .bind(order_time)
    .execute(tx)
    .await?;
    Ok(())
}

/// The customer's activity within the policy's windows, as of `now`.
pub async fn activity(
    conn: &mut PgConnection,
    customer_id: Uuid,
    policy: &GradingPolicy,
    now: DateTime<Utc>,
) -> Result<Activity, ApiError> {
    let (recent_shipments, spend_fen): (i64, i64) = sqlx::query_as(
        "SELECT count(*) FILTER (WHERE occur_time > $2 - make_interval(days => $3)),
                coalesce(sum(spend_minor) FILTER (WHERE occur_time > $2 - make_interval(days => $4)), 0)::bigint
         FROM activity WHERE customer_id = $1 AND occur_time <= $2",
    )
    .bind(customer_id)
    .bind(now)
    .bind(policy.frequent_window_days as i32)
    .bind(policy.spend_window_days as i32)
    .fetch_one(conn)
    .await?;
    Ok(Activity {
        recent_shipments,
        spend_fen,
    })
}

/// A status change as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StatusChangeRow {
    /// Its id, for paging.
    pub id: i64,
    /// The customer.
    pub customer_id: Uuid,
    /// Status before.
    pub from_status: Stored<Status>,
    /// Status after.
    pub to_status: Stored<Status>,
    /// Why.
    pub reason: String,
    /// Who.
    pub changed_by: String,
    /// When.
    pub change_time: DateTime<Utc>,
}

/// Moves a customer to `to`, keeping the change in its history.
pub async fn change_status(
    tx: &mut PgConnection,
    customer: &Customer,
    to: Status,
    reason: &str,
    changed_by: &str,
) -> Result<(Customer, StatusChangeRow), ApiError> {
    let sql = format!(
        "UPDATE customers SET status = $2, version = version + 1, update_time = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer.id)
        .bind(to.as_str())
        .fetch_one(&mut *tx)
        .await?;
    let change: StatusChangeRow = sqlx::query_as(
        "INSERT INTO status_history (customer_id, from_status, to_status, reason, changed_by)
         VALUES ($1, $2, $3, $4, $5)
         RETURNING id, customer_id, from_status, to_status, reason, changed_by, change_time",
    )
    .bind(customer.id)
    .bind(customer.status.as_str())
    .bind(to.as_str())
    .bind(reason)
    .bind(changed_by)
    .fetch_one(tx)
    .await?;
    Ok((row.into(), change))
}

/// A tier change as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TierChangeRow {
    /// Its id, for paging.
    pub id: i64,
    /// The customer.
    pub customer_id: Uuid,
    /// Tier before.
    pub from_tier: Option<Stored<Tier>>,
    /// Tier after.
    pub to_tier: Stored<Tier>,
    /// Value class before.
    pub from_value_class: Stored<ValueClass>,
    /// Value class after.
    pub to_value_class: Stored<ValueClass>,
    /// Why.
    pub reason: String,
    /// Under which policy version.
    pub policy_version: i32,
    /// When.
    pub change_time: DateTime<Utc>,
}

/// Gives a customer a new grade, keeping the change in its history. The caller checks that the
/// grade differs and has a tier.
pub async fn change_grade(
    tx: &mut PgConnection,
    customer: &Customer,
    grade: &Grade,
    policy_version: i32,
) -> Result<(Customer, TierChangeRow), ApiError> {
    let to_tier = grade
        .tier
        .ok_or_else(|| anyhow::anyhow!("a grade without a tier is not stored"))?;
    let sql = format!(
        "UPDATE customers SET tier = $2, value_class = $3, version = version + 1,
                              update_time = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer.id)
        .bind(to_tier.as_str())
        .bind(grade.value_class.as_str())
        .fetch_one(&mut *tx)
        .await?;
    let change: TierChangeRow = sqlx::query_as(
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
    .await?;
    Ok((row.into(), change))
}

/// Keeps a new customer's first grade in its tier history.
pub async fn record_initial_grade(
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

/// Sets a government customer's level.
pub async fn set_government_level(
    tx: &mut PgConnection,
    id: Uuid,
    level: GovernmentLevel,
) -> Result<Customer, ApiError> {
    let sql = format!(
        "UPDATE customers SET government_level = $2, version = version + 1, update_time = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(level.as_str())
        .fetch_one(tx)
        .await?;
    Ok(row.into())
}

/// Blanks the reasons people wrote for a customer's status changes (they may name people); the
/// reasons the system wrote (`system_authors`) say nothing personal and stay.
pub async fn erase_status_reasons(
    tx: &mut PgConnection,
    customer_id: Uuid,
    system_authors: &[&str],
    erased: &str,
) -> Result<u64, ApiError> {
    Ok(sqlx::query(
        "UPDATE status_history SET reason = $3
         WHERE customer_id = $1 AND changed_by <> ALL($2)",
    )
    .bind(customer_id)
    .bind(system_authors)
    .bind(erased)
    .execute(tx)
    .await?
    .rows_affected())
}

/// A customer's status changes, newest first, older than `before` (an id) when given.
pub async fn status_history(
    pool: &PgPool,
    customer_id: Uuid,
    before: Option<i64>,
    limit: usize,
) -> Result<Vec<StatusChangeRow>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, from_status, to_status, reason, changed_by, change_time
         FROM status_history
         WHERE customer_id = $1 AND id < coalesce($2, 9223372036854775807)
         ORDER BY id DESC LIMIT $3",
    )
    .bind(customer_id)
    .bind(before)
    .bind(limit as i64)
    .fetch_all(pool)
    .await?)
}

/// A customer's tier changes, newest first, older than `before` (an id) when given.
pub async fn tier_history(
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

/// Ids of live customers after `after`, in id order: the sweep walks everyone in batches.
pub async fn customer_ids_after(
    pool: &PgPool,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Uuid>, ApiError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM customers
         WHERE delete_time IS NULL AND ($1::uuid IS NULL OR id > $1)
         ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit as i64)
    .fetch_all(pool)
    .await?)
}

/// The customer's own figures for its value scores, over the 365 days before `now`.
pub async fn value_figures(
    conn: &mut PgConnection,
    customer_id: Uuid,
    now: DateTime<Utc>,
) -> Result<ValueFigures, ApiError> {
    let (last_shipment, shipments, spend_fen): (Option<DateTime<Utc>>, i64, i64) = sqlx::query_as(
        "SELECT (SELECT last_shipment_time FROM customers WHERE id = $1),
                count(*), coalesce(sum(spend_minor), 0)::bigint
         FROM activity
         WHERE customer_id = $1 AND occur_time > $2 - interval '365 days' AND occur_time <= $2",
    )
    .bind(customer_id)
    .bind(now)
    .fetch_one(conn)
    .await?;
    Ok(ValueFigures {
        days_since_last_shipment: last_shipment.map(|last| (now - last).num_days().max(0)),
        shipments,
        spend_fen,
    })
}

/// The 20/40/60/80 % boundaries of recency (days), frequency and spend over every customer that
/// shipped in the 365 days before `now`; `None` when nobody did.
pub async fn population_quintiles(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> Result<Option<Quintiles>, ApiError> {
    type Boundaries = Option<Vec<f64>>;
    let (recency, frequency, monetary): (Boundaries, Boundaries, Boundaries) = sqlx::query_as(
        "WITH per_customer AS (
             SELECT floor(extract(epoch FROM $1 - max(occur_time)) / 86400) AS recency_days,
                    count(*)::float8 AS shipments, sum(spend_minor)::float8 AS spend
             FROM activity
             WHERE occur_time > $1 - interval '365 days' AND occur_time <= $1
             GROUP BY customer_id
         )
         SELECT percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY recency_days::float8),
                percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY shipments),
                percentile_cont(ARRAY[0.2, 0.4, 0.6, 0.8]) WITHIN GROUP (ORDER BY spend)
         FROM per_customer",
    )
    .bind(now)
    .fetch_one(conn)
    .await?;
    let four = |values: Boundaries| -> Option<[f64; 4]> { values?.try_into().ok() };
    Ok(match (four(recency), four(frequency), four(monetary)) {
        (Some(recency_days), Some(shipments), Some(spend_fen)) => Some(Quintiles {
            recency_days,
            shipments,
            spend_fen,
        }),
        _ => None,
    })
}
