//! The complaints service's use cases, one transaction each: load the complaint, let the domain
//! decide, store it, append its audit entries and change events. The periodic jobs (the SLA
//! sweep) and the effects of followed feeds live here too. `api/` calls these; nothing here
//! knows the transport.

pub(crate) mod changes;
pub(crate) mod events;
pub(crate) mod filing;
pub(crate) mod proactive;
pub(crate) mod proto;
pub(crate) mod queries;
pub(crate) mod settings;
pub(crate) mod sweep;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::cache::CachedValue;
use logistics_platform::sequences::SequenceBlocks;
use logistics_platform::time::company_time_zone;
use sqlx::{PgConnection, PgPool};

use crate::clients::{CustomersDirectory, OrdersDirectory};
use crate::domain::claim::{ClaimMoveRefused, ClaimWindows};
use crate::domain::complaint::Refusal;
use crate::domain::policy::SlaPolicy;
use crate::domain::settings::{CalendarVersion, PolicyVersion, default_calendar};
use crate::reasons::Reason;
use crate::store;

/// How long a replica reuses the calendar and the policy it read. An update is seen at once by
/// the replica that made it and by the others within this time.
const SETTINGS_TTL: Duration = Duration::from_secs(5);

/// Filings between them that spend a round trip on drawing complaint numbers: one in this many.
const NUMBER_BLOCK: u16 = 16;

/// The calendar and the policy in force.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// The business calendar.
    pub calendar: CalendarVersion,
    /// The SLA policy.
    pub policy: PolicyVersion,
}

/// What every use case works with: the database, the peers and the settings.
#[derive(Clone)]
pub(crate) struct Complaints {
    pool: PgPool,
    customers: CustomersDirectory,
    orders: OrdersDirectory,
    windows: ClaimWindows,
    settings: CachedValue<Arc<Settings>>,
    /// The complaint sequence, drawn in blocks: one source per replica, shared by its filings.
    numbers: Arc<SequenceBlocks<1>>,
}

/// Who the service's own steps are by, in the audit trail and the events.
pub(crate) mod actors {
    /// The SLA sweep's warnings and escalations.
    pub(crate) const SLA_SWEEP: &str = "sla-sweep";
    /// The close 7 days after a resolution.
    pub(crate) const AUTO_CLOSE: &str = "auto-close";
    /// Cases the service opens from the orders feed.
    pub(crate) const PROACTIVE: &str = "proactive";
}

impl Complaints {
    /// The use cases over `pool`, calling customers and orders through the directories.
    pub(crate) fn new(
        pool: PgPool,
        customers: CustomersDirectory,
        orders: OrdersDirectory,
        windows: ClaimWindows,
    ) -> Self {
        Self {
            pool,
            customers,
            orders,
            windows,
            settings: CachedValue::new(SETTINGS_TTL),
            numbers: Arc::new(SequenceBlocks::new(["complaint_number_seq"], NUMBER_BLOCK)),
        }
    }

    /// The database.
    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The calendar and the policy in force, from the cache. Read before a transaction: a miss
    /// takes a connection of its own.
    pub(crate) async fn settings(&self) -> Result<Arc<Settings>, ApiError> {
        let pool = self.pool.clone();
        self.settings
            .get_or_load(|| async move {
                let mut conn = pool.acquire().await?;
                read_settings(&mut conn).await.map(Arc::new)
            })
            .await
    }

    /// Replaces the cached settings after this replica changed them.
    async fn remember(&self, settings: Settings) {
        self.settings.set(Arc::new(settings)).await;
    }
}

/// The settings in force as stored; the defaults until the first are stored.
async fn read_settings(conn: &mut PgConnection) -> Result<Settings, ApiError> {
    let calendar = store::settings::calendar(conn, None)
        .await?
        .unwrap_or_else(|| initial_calendar(DateTime::UNIX_EPOCH));
    let policy = store::settings::policy(conn)
        .await?
        .unwrap_or_else(|| initial_policy(DateTime::UNIX_EPOCH));
    Ok(Settings { calendar, policy })
}

/// Version 1 of the calendar: the default.
fn initial_calendar(update_time: DateTime<Utc>) -> CalendarVersion {
    CalendarVersion {
        version: 1,
        calendar: default_calendar(),
        day_names: Default::default(),
        updated_by: "default".to_owned(),
        update_time,
    }
}

/// Version 1 of the policy: the default.
fn initial_policy(update_time: DateTime<Utc>) -> PolicyVersion {
    PolicyVersion {
        version: 1,
        policy: SlaPolicy::default(),
        updated_by: "default".to_owned(),
        update_time,
    }
}

/// Stores version 1 of the calendar and the policy when there is none yet, so what callers
/// read is what is stored.
pub(crate) async fn ensure_default_settings(pool: &PgPool) -> Result<(), ApiError> {
    let mut tx = pool.begin().await?;
    sqlx::query("LOCK TABLE business_calendars, sla_policies IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await?;
    let now = Utc::now();
    if store::settings::calendar(&mut tx, None).await?.is_none() {
        store::settings::insert_calendar(&mut tx, &initial_calendar(now)).await?;
    }
    if store::settings::policy(&mut tx).await?.is_none() {
        store::settings::insert_policy(&mut tx, &initial_policy(now)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The company's time zone, for complaint numbers and claim windows.
fn company_zone() -> chrono::FixedOffset {
    company_time_zone()
}

/// A refusal of the domain as the caller sees it: FAILED_PRECONDITION with its reason, and the
/// statuses in the metadata where a move was refused.
pub(crate) fn refused(refusal: Refusal) -> ApiError {
    let message = refusal.to_string();
    let (reason, metadata) = match &refusal {
        Refusal::Illegal(illegal) => (
            Reason::IllegalTransition,
            vec![
                ("current_status", illegal.current.as_str().to_owned()),
                ("requested_status", illegal.requested.as_str().to_owned()),
            ],
        ),
        Refusal::NotWaiting(status) => (
            Reason::IllegalTransition,
            vec![("current_status", status.as_str().to_owned())],
        ),
        Refusal::Closed => (Reason::ComplaintClosed, Vec::new()),
        Refusal::AlreadyAcknowledged(at) => (
            Reason::AlreadyAcknowledged,
            vec![("first_response_time", at.to_rfc3339())],
        ),
        Refusal::NotResolved(status) => (
            Reason::NotResolved,
            vec![("current_status", status.as_str().to_owned())],
        ),
        Refusal::AlreadyRated(number) => (
            Reason::AlreadyRated,
            vec![("resolution_number", number.to_string())],
        ),
        Refusal::NotAClaim => (Reason::NotAClaim, Vec::new()),
        Refusal::ClaimNotDecided(status) => (
            Reason::ClaimNotDecided,
            vec![("claim_status", status.as_str().to_owned())],
        ),
        Refusal::Claim(ClaimMoveRefused::AlreadyDecided(status)) => (
            Reason::ClaimAlreadyDecided,
            vec![("claim_status", status.as_str().to_owned())],
        ),
        Refusal::Claim(ClaimMoveRefused::NotApproved(status)) => (
            Reason::ClaimNotApproved,
            vec![("claim_status", status.as_str().to_owned())],
        ),
        Refusal::Claim(ClaimMoveRefused::AlreadyPaid(reference)) => (
            Reason::AlreadyPaid,
            vec![("payment_reference", reference.clone())],
        ),
        Refusal::Claim(ClaimMoveRefused::Approval(approval)) => match approval {
            crate::domain::claim::ApprovalRefused::AboveClaimed { claimed, .. } => (
                Reason::ApprovedAboveClaimed,
                vec![("claimed_fen", claimed.to_string())],
            ),
            crate::domain::claim::ApprovalRefused::AboveDeclaredValue { declared, .. } => (
                Reason::ApprovedAboveDeclaredValue,
                vec![("declared_value_fen", declared.to_string())],
            ),
        },
    };
    ApiError::FailedPrecondition {
        reason: reason.as_str(),
        message,
        metadata,
    }
}

/// The complaint a caller named does not exist.
pub(crate) fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        reason: Reason::ComplaintNotFound.as_str(),
        resource: "complaint",
        id: id.to_owned(),
    }
}
