//! The business calendar and the SLA policy: read any version, replace the current one. A new
//! calendar moves the due times of every complaint still open, in the same transaction.

use chrono::{NaiveDate, Utc};
use logistics_platform::{ApiError, etag};
use std::collections::BTreeMap;

use super::{Complaints, Settings, sweep};
use crate::domain::calendar::BusinessCalendar;
use crate::domain::policy::SlaPolicy;
use crate::domain::settings::{CalendarVersion, PolicyVersion};
use crate::reasons::Reason;
use crate::store;

/// The etag of a settings version.
pub(crate) fn etag_of(version: i32) -> String {
    etag::of(i64::from(version))
}

impl Complaints {
    /// The current calendar, or `version` of it.
    pub(crate) async fn calendar(&self, version: Option<i32>) -> Result<CalendarVersion, ApiError> {
        if version.is_none() {
            return Ok(self.settings().await?.calendar.clone());
        }
        let mut conn = self.pool.acquire().await?;
        store::settings::calendar(&mut conn, version)
            .await?
            .ok_or_else(|| ApiError::NotFound {
                reason: Reason::CalendarVersionNotFound.as_str(),
                resource: "business calendar version",
                id: version
                    .map(|version| version.to_string())
                    .unwrap_or_default(),
            })
    }

    /// Replaces the calendar with a new version (refused with ABORTED when `etag` names an
    /// older one), and moves the due times of open complaints onto it.
    pub(crate) async fn update_calendar(
        &self,
        calendar: BusinessCalendar,
        day_names: BTreeMap<NaiveDate, String>,
        given_etag: &str,
        actor: &str,
    ) -> Result<CalendarVersion, ApiError> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        // One writer at a time: versions are numbered in order and never collide.
        sqlx::query("LOCK TABLE business_calendars IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let current = store::settings::calendar(&mut tx, None)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no business calendar stored"))?;
        if !given_etag.is_empty() {
            etag::check(given_etag, i64::from(current.version), "business calendar")?;
        }
        let next = CalendarVersion {
            version: current.version + 1,
            calendar,
            day_names,
            updated_by: actor.to_owned(),
            update_time: now,
        };
        store::settings::insert_calendar(&mut tx, &next).await?;
        let moved = sweep::refresh_all(&mut tx, &next.calendar, now).await?;
        let policy = store::settings::policy(&mut tx)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no SLA policy stored"))?;
        tx.commit().await?;
        tracing::info!(version = next.version, moved, "business calendar updated");
        self.remember(Settings {
            calendar: next.clone(),
            policy,
        })
        .await;
        Ok(next)
    }

    /// The current SLA policy.
    pub(crate) async fn policy(&self) -> Result<PolicyVersion, ApiError> {
        Ok(self.settings().await?.policy.clone())
    }

    /// Replaces the SLA policy with a new version (refused with ABORTED when `etag` names an
    /// older one). Filed complaints keep their targets.
    pub(crate) async fn update_policy(
        &self,
        policy: SlaPolicy,
        given_etag: &str,
        actor: &str,
    ) -> Result<PolicyVersion, ApiError> {
        let now = Utc::now();
        let mut tx = self.pool.begin().await?;
        sqlx::query("LOCK TABLE sla_policies IN EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await?;
        let current = store::settings::policy(&mut tx)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no SLA policy stored"))?;
        if !given_etag.is_empty() {
            etag::check(given_etag, i64::from(current.version), "SLA policy")?;
        }
        let next = PolicyVersion {
            version: current.version + 1,
            policy,
            updated_by: actor.to_owned(),
            update_time: now,
        };
        store::settings::insert_policy(&mut tx, &next).await?;
        let calendar = store::settings::calendar(&mut tx, None)
            .await?
            .ok_or_else(|| anyhow::anyhow!("no business calendar stored"))?;
        tx.commit().await?;
        self.remember(Settings {
            calendar,
            policy: next.clone(),
        })
        .await;
        Ok(next)
    }
}
