//! CustomerService's lifecycle and grading use cases: recording activity, blocking and unblocking,
//! government levels, regrading, policy updates and the lifecycle sweep. Each customer's change is
//! one transaction holding its row.

use chrono::{DateTime, Utc};
use logistics_contracts::customers::stream_changes_response::Event;
use logistics_platform::cache::CachedValue;
use logistics_platform::error::Violations;
use logistics_platform::{ApiError, changefeed};
use sqlx::PgPool;
use uuid::Uuid;

use super::customer_changes::{Shipment, change_status, record_shipment, regrade};
use super::customers::{ensure_etag, ensure_not_deleted, find, lock_for_change};
use super::events::policy_to_proto;
use crate::domain::customer::{Customer, CustomerRef, Kind, Status};
use crate::domain::grading::{GovernmentLevel, GradingPolicy, ServiceLevel};
use crate::domain::lifecycle::{status_after_inactivity, status_after_unblock};
use crate::domain::value::{Quintiles, RfmScores, ValueFigures, rfm_scores};
use crate::reasons::Reason;
use crate::store::grading::{self as store, StoredPolicy};
use crate::store::{activity, customers as customer_store};

/// Who made a status change the lifecycle sweep caused.
pub(crate) const BY_SWEEP: &str = "lifecycle-sweep";
/// Customers graded per database round in the sweep.
const SWEEP_BATCH: usize = 500;

/// A shipment RecordActivity reports, validated.
pub(crate) struct NewActivity<'a> {
    /// The customer's id, as the caller wrote it (for NOT_FOUND).
    pub(crate) customer_text: &'a str,
    /// The customer's id.
    pub(crate) customer_id: Uuid,
    /// The caller's activity id: recording is idempotent by it.
    pub(crate) activity_id: &'a str,
    /// When it shipped.
    pub(crate) occur_time: DateTime<Utc>,
    /// What it cost the customer, in fen.
    pub(crate) spend_fen: i64,
}

/// Records a shipment of a live customer. Answers the customer and whether the activity id was
/// recorded before (the customer unchanged then).
pub(crate) async fn record_activity(
    pool: &PgPool,
    activity: &NewActivity<'_>,
    now: DateTime<Utc>,
) -> Result<(Customer, bool), ApiError> {
    let mut tx = pool.begin().await?;
    let customer_ref = CustomerRef::Id(activity.customer_id);
    let current = lock_for_change(&mut tx, &customer_ref, activity.customer_text).await?;
    ensure_not_deleted(&current)?;
    let shipment = Shipment {
        activity_id: activity.activity_id,
        occur_time: activity.occur_time,
        spend_fen: activity.spend_fen,
        status_reason: &format!("shipped (activity {})", activity.activity_id),
    };
    let Some(customer) = record_shipment(&mut tx, &current, &shipment, now).await? else {
        return Ok((current, true));
    };
    tx.commit().await?;
    Ok((customer, false))
}

/// Blocks a live customer that is not blocked, keeping `reason` and `principal` in its history.
pub(crate) async fn block(
    pool: &PgPool,
    customer_ref: &CustomerRef,
    id: &str,
    etag: &str,
    reason: &str,
    principal: &str,
) -> Result<Customer, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, customer_ref, id).await?;
    ensure_not_deleted(&current)?;
    ensure_etag(&current, etag)?;
    if current.status == Status::Blocked {
        return Err(illegal_transition(
            &current,
            Status::Blocked,
            Reason::AlreadyBlocked.as_str(),
        ));
    }
    let blocked = change_status(&mut tx, &current, Status::Blocked, reason, principal).await?;
    tx.commit().await?;
    Ok(blocked)
}

/// Unblocks a blocked customer into the status its activity earns, and grades it again.
pub(crate) async fn unblock(
    pool: &PgPool,
    customer_ref: &CustomerRef,
    id: &str,
    etag: &str,
    reason: &str,
    principal: &str,
) -> Result<Customer, ApiError> {
    let now = Utc::now();
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, customer_ref, id).await?;
    ensure_not_deleted(&current)?;
    ensure_etag(&current, etag)?;
    let policy = store::current_policy(&mut tx).await?;
    let to = status_after_unblock(current.last_activity_time(), now, &policy.policy);
    if current.status != Status::Blocked {
        return Err(illegal_transition(
            &current,
            to,
            Reason::NotBlocked.as_str(),
        ));
    }
    let unblocked = change_status(&mut tx, &current, to, reason, principal).await?;
    let unblocked = regrade(&mut tx, unblocked, &policy, now).await?;
    tx.commit().await?;
    Ok(unblocked)
}

/// Sets a live government customer's level and grades it again.
pub(crate) async fn set_government_level(
    pool: &PgPool,
    customer_ref: &CustomerRef,
    id: &str,
    etag: &str,
    level: GovernmentLevel,
) -> Result<Customer, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, customer_ref, id).await?;
    ensure_not_deleted(&current)?;
    ensure_etag(&current, etag)?;
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
    let updated = customer_store::set_government_level(&mut tx, current.id, level).await?;
    let policy = store::current_policy(&mut tx).await?;
    let updated = regrade(&mut tx, updated, &policy, Utc::now()).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Grades a live customer again under the policy in force.
pub(crate) async fn regrade_now(
    pool: &PgPool,
    customer_ref: &CustomerRef,
    id: &str,
) -> Result<Customer, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, customer_ref, id).await?;
    ensure_not_deleted(&current)?;
    let policy = store::current_policy(&mut tx).await?;
    let graded = regrade(&mut tx, current, &policy, Utc::now()).await?;
    tx.commit().await?;
    Ok(graded)
}

/// Stores the next version of the grading policy: the current one as `edit` changes it (`edit`
/// records what it cannot take), if `etag` names the current version and the result holds
/// together. Answers the stored version for the caller's cache.
pub(crate) async fn update_policy(
    pool: &PgPool,
    etag: &str,
    principal: &str,
    edit: impl FnOnce(&mut GradingPolicy, &mut Violations),
) -> Result<StoredPolicy, ApiError> {
    let mut tx = pool.begin().await?;
    let current = store::current_policy(&mut tx).await?;
    logistics_platform::etag::check(etag, current.version.into(), "the grading policy")?;
    let mut policy = current.policy.clone();
    let mut violations = Violations::new();
    edit(&mut policy, &mut violations);
    if violations.is_empty() {
        for (field, problem) in policy.problems() {
            violations.add(format!("policy.{field}"), problem);
        }
    }
    violations.finish()?;
    let stored = store::insert_policy(&mut tx, current.version + 1, &policy, principal).await?;
    let event = Event::GradingPolicyUpdated(policy_to_proto(&stored));
    changefeed::record(&mut tx, &stored.version.to_string(), event).await?;
    tx.commit().await?;
    Ok(stored)
}

/// What one lifecycle sweep did.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SweepOutcome {
    /// Customers that became DORMANT.
    pub(crate) became_dormant: i64,
    /// Customers that became CHURNED.
    pub(crate) became_churned: i64,
    /// Customers whose tier or value class changed.
    pub(crate) regraded: i64,
}

/// Moves idle customers to DORMANT or CHURNED and grades everyone again, one customer per
/// transaction so the sweep never holds many locks.
pub(crate) async fn sweep(pool: &PgPool) -> Result<SweepOutcome, ApiError> {
    let now = Utc::now();
    let policy = {
        let mut conn = pool.acquire().await?;
        store::current_policy(&mut conn).await?
    };
    let mut outcome = SweepOutcome::default();
    let mut after = None;
    loop {
        let ids = customer_store::customer_ids_after(pool, after, SWEEP_BATCH).await?;
        let Some(&last) = ids.last() else {
            return Ok(outcome);
        };
        after = Some(last);
        for id in ids {
            let mut tx = pool.begin().await?;
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

/// The service terms a live customer's value class earns under the policy in force (as `policy`
/// caches it), with the customer they are for and the policy version.
pub(crate) async fn service_level(
    pool: &PgPool,
    policy_cache: &CachedValue<StoredPolicy>,
    customer_ref: &CustomerRef,
    id: &str,
) -> Result<(Customer, ServiceLevel, i32), ApiError> {
    let mut conn = pool.acquire().await?;
    let customer = find(&mut conn, customer_ref, id).await?;
    ensure_not_deleted(&customer)?;
    let conn = &mut *conn;
    let policy = policy_cache
        .get_or_load(move || store::current_policy(conn))
        .await?;
    let terms = policy
        .policy
        .service_level(customer.value_class)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "policy v{} has no terms for {}",
                policy.version,
                customer.value_class.as_str()
            )
        })?
        .clone();
    Ok((customer, terms, policy.version))
}

/// A customer's value over the year before `now`: its own figures and their RFM scores against
/// the population's quintiles (as `quintiles_cache` keeps them).
pub(crate) async fn value(
    pool: &PgPool,
    quintiles_cache: &CachedValue<Option<Quintiles>>,
    customer_ref: &CustomerRef,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(Customer, ValueFigures, RfmScores), ApiError> {
    let mut conn = pool.acquire().await?;
    let customer = find(&mut conn, customer_ref, id).await?;
    let figures = activity::value_figures(&mut conn, customer.id, now).await?;
    let conn = &mut *conn;
    let quintiles = quintiles_cache
        .get_or_load(move || activity::population_quintiles(conn, now))
        .await?;
    let scores = rfm_scores(figures, quintiles.as_ref());
    Ok((customer, figures, scores))
}

/// FAILED_PRECONDITION for a status change the customer's status does not allow.
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
