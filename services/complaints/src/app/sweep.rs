//! The SLA sweep, a periodic job: warns of clocks at 80% of their target, escalates on a breach
//! (level 1, the team lead) and at twice the target (level 2, the manager), each once per clock,
//! and closes complaints 7 days after their resolution. It reads the marks every write keeps
//! (`warn_at`, `due_at`, `double_at`), so a run touches only complaints with something to do.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use logistics_contracts::complaints::RunSlaSweepResponse;
use logistics_contracts::complaints::stream_changes_response::Event;
use logistics_platform::{ApiError, changefeed};
use sqlx::PgConnection;
use uuid::Uuid;

use super::events::{self, Clock};
use super::{Complaints, Settings, actors};
use crate::domain::audit::{AuditAction, AuditEntry};
use crate::domain::calendar::BusinessCalendar;
use crate::domain::complaint::Complaint;
use crate::domain::sla::{self, ClockState, LEVEL_2_PER_MILLE, WARNING_PER_MILLE};
use crate::domain::status::Status;
use crate::store;
use crate::store::complaints::ComplaintRef;

/// How often the sweep runs by itself.
pub(crate) const PERIOD: Duration = Duration::from_secs(60);
/// How long after its resolution a complaint closes by itself (DOMAIN.md).
pub(crate) const AUTO_CLOSE_AFTER: TimeDelta = TimeDelta::days(7);
/// Complaints handled per batch; a run goes on until none is left.
const BATCH: i64 = 200;

impl Complaints {
    /// Runs the sweep once over every complaint with something due by now.
    pub(crate) async fn sweep(&self) -> Result<RunSlaSweepResponse, ApiError> {
        let settings = self.settings().await?;
        let now = Utc::now();
        let mut totals = RunSlaSweepResponse::default();
        let mut seen = std::collections::HashSet::new();
        loop {
            let mut conn = self.pool.acquire().await?;
            let due = store::complaint_lists::due_for_sweep(
                &mut conn,
                now,
                now - AUTO_CLOSE_AFTER,
                BATCH,
            )
            .await?;
            drop(conn);
            // A complaint swept once and still listed (its marks moved past `now` again, or
            // another writer raced) waits for the next run rather than looping here.
            let fresh: Vec<Uuid> = due.into_iter().filter(|id| seen.insert(*id)).collect();
            if fresh.is_empty() {
                break;
            }
            for id in fresh {
                let mut tx = self.pool.begin().await?;
                sweep_one(&mut tx, id, &settings, now, &mut totals).await?;
                tx.commit().await?;
            }
        }
        Ok(totals)
    }
}

/// Recomputes the clock marks of every complaint that is not closed, after the calendar
/// changed, in the caller's transaction.
pub(crate) async fn refresh_all(
    tx: &mut PgConnection,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
) -> Result<u64, ApiError> {
    let mut refreshed = 0;
    for id in store::complaint_lists::open_ids(tx).await? {
        let Some(mut complaint) = store::complaints::find(tx, &ComplaintRef::Id(id), true).await?
        else {
            continue;
        };
        let before = complaint.clone();
        complaint.refresh_clocks(calendar, now);
        if complaint != before {
            store::complaints::save(tx, &complaint).await?;
            refreshed += 1;
        }
    }
    Ok(refreshed)
}

/// Sweeps one complaint: closes it when its resolution is old enough, warns and escalates its
/// running clocks.
async fn sweep_one(
    tx: &mut PgConnection,
    id: Uuid,
    settings: &Settings,
    now: DateTime<Utc>,
    totals: &mut RunSlaSweepResponse,
) -> Result<(), ApiError> {
    let Some(mut complaint) = store::complaints::find(tx, &ComplaintRef::Id(id), true).await?
    else {
        return Ok(());
    };
    let before = complaint.clone();
    let calendar = &settings.calendar.calendar;
    let mut entries = Vec::new();
    let mut feed = Vec::new();
    let resolved_long_ago = complaint
        .resolve_time
        .is_some_and(|resolved| resolved <= now - AUTO_CLOSE_AFTER);
    if complaint.status == Status::Resolved && resolved_long_ago {
        complaint
            .close(now)
            .map_err(|refusal| ApiError::Internal(anyhow::anyhow!("auto-close: {refusal}")))?;
        entries.push(entry(
            AuditAction::Closed,
            actors::AUTO_CLOSE,
            now,
            Some((Status::Resolved, Status::Closed)),
            "7 days after the resolution".to_owned(),
        ));
        feed.push(events::status_changed(
            &complaint,
            Status::Resolved,
            actors::AUTO_CLOSE,
            now,
        ));
        feed.push(events::closed(&complaint, true, now));
        totals.closed += 1;
    }
    complaint.refresh_clocks(calendar, now);
    for clock in [Clock::FirstResponse, Clock::Resolution] {
        escalate(
            &mut complaint,
            clock,
            calendar,
            now,
            &mut entries,
            &mut feed,
            totals,
        );
    }
    if complaint == before {
        return Ok(());
    }
    store::complaints::save(tx, &complaint).await?;
    for entry in &entries {
        store::audit::append(tx, complaint.id, entry).await?;
    }
    let resource = complaint.id.to_string();
    let changes = feed.into_iter().map(|event| (resource.clone(), event));
    changefeed::record_all(tx, changes).await?;
    Ok(())
}

/// Warns of and escalates one running clock, each step once.
fn escalate(
    complaint: &mut Complaint,
    clock: Clock,
    calendar: &BusinessCalendar,
    now: DateTime<Utc>,
    entries: &mut Vec<AuditEntry>,
    feed: &mut Vec<Event>,
    totals: &mut RunSlaSweepResponse,
) {
    let (timeline, target) = match clock {
        Clock::FirstResponse => (
            complaint.first_response_timeline(),
            complaint.targets.first_response_minutes,
        ),
        Clock::Resolution => (
            complaint.resolution_timeline(),
            complaint.targets.resolution_minutes,
        ),
    };
    let reading = sla::reading(calendar, &timeline, target, now);
    if reading.state != ClockState::Running {
        return;
    }
    let marks = match clock {
        Clock::FirstResponse => &mut complaint.first_response,
        Clock::Resolution => &mut complaint.resolution,
    };
    let mut steps = Vec::new();
    if reading.used_per_mille >= WARNING_PER_MILLE && !marks.warned {
        marks.warned = true;
        steps.push(0);
    }
    if reading.breached && marks.level < 1 {
        marks.level = 1;
        steps.push(1);
    }
    if reading.used_per_mille >= LEVEL_2_PER_MILLE && marks.level < 2 {
        marks.level = 2;
        steps.push(2);
    }
    for level in steps {
        if level == 0 {
            entries.push(entry(
                AuditAction::SlaWarned,
                actors::SLA_SWEEP,
                now,
                None,
                format!(
                    "{} clock at {}% of its target",
                    clock.name(),
                    reading.used_per_mille / 10
                ),
            ));
            feed.push(events::warned(complaint, clock, reading.due_time, now));
            totals.warned += 1;
        } else {
            let who = if level == 1 { "team lead" } else { "manager" };
            entries.push(entry(
                AuditAction::Escalated,
                actors::SLA_SWEEP,
                now,
                None,
                format!(
                    "level {level} ({who}): {} clock past {}% of its target",
                    clock.name(),
                    level * 100
                ),
            ));
            feed.push(events::escalated(complaint, clock, level, now));
            if level == 1 {
                totals.escalated_level_1 += 1;
            } else {
                totals.escalated_level_2 += 1;
            }
        }
    }
}

fn entry(
    action: AuditAction,
    actor: &str,
    now: DateTime<Utc>,
    moved: Option<(Status, Status)>,
    detail: String,
) -> AuditEntry {
    AuditEntry {
        action,
        actor: actor.to_owned(),
        occur_time: now,
        from_status: moved.map(|(from, _)| from),
        to_status: moved.map(|(_, to)| to),
        detail,
    }
}
