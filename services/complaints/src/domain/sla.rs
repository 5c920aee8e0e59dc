//! The two SLA clocks of a complaint, read from its stored timeline.
//!
//! - The **first-response clock** runs from filing to the first response and never restarts:
//!   once stopped, later responses and reopens leave it alone.
//! - The **resolution clock** runs from filing to resolution and keeps counting after a reopen:
//!   the caller passes `stopped: None` again once the complaint is reopened, and the time between
//!   resolution and reopening counts, so a complaint reopened long after its resolution can be
//!   breached at once.
//!
//! Both clocks pause while the complaint waits on the customer: each PENDING_CUSTOMER stretch is
//! one [`Pause`] of the timeline, still open (`to: None`) while it lasts. Pauses are stored as
//! intervals rather than a remaining-time counter so a calendar change or a correction of the
//! timeline recomputes every reading from the facts.
//!
//! Targets are in business minutes of a [`BusinessCalendar`]. Escalation happens at
//! [`WARNING_PER_MILLE`] (a warning), [`LEVEL_1_PER_MILLE`] (the due time: level-1 escalation)
//! and [`LEVEL_2_PER_MILLE`] (level-2 escalation) of the target; see [`escalation_points`].

use chrono::{DateTime, TimeDelta, Utc};

use super::calendar::BusinessCalendar;
pub use super::calendar::Pause;

/// The share of the target, in per mille, at which the assignee is warned.
pub const WARNING_PER_MILLE: u32 = 800;
/// The share at which the clock is due and the complaint escalates to level 1.
pub const LEVEL_1_PER_MILLE: u32 = 1000;
/// The share at which the complaint escalates to level 2.
pub const LEVEL_2_PER_MILLE: u32 = 2000;

/// What the service knows of one clock: when it started, when it stopped (if it has), and the
/// stretches spent waiting on the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClockTimeline {
    /// When the complaint was filed.
    pub started: DateTime<Utc>,
    /// The first response, or the resolution; `None` while the clock runs (again, after a
    /// reopen, for the resolution clock).
    pub stopped: Option<DateTime<Utc>>,
    /// The stretches spent waiting on the customer, in any order; at most one open.
    pub pauses: Vec<Pause>,
}

/// Where a clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClockState {
    /// Counting business time towards its due time.
    Running,
    /// Waiting on the customer: no due time until the wait ends.
    Paused,
    /// Stopped for good (first response) or until a reopen (resolution).
    Stopped,
}

/// A clock as of one instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClockReading {
    /// When the target is (or was) used up; `None` while paused, or if it lies beyond the
    /// calendar's horizon. For a stopped clock, when it would have been due.
    pub due_time: Option<DateTime<Utc>>,
    /// Business minutes from the start to the stop (or now), outside pauses, rounded down.
    pub elapsed_minutes: i64,
    /// `elapsed_minutes * 1000 / target`, saturating; [`WARNING_PER_MILLE`] and up warns. A
    /// target of zero or less counts as used up (`u32::MAX`) once anything has elapsed.
    pub used_per_mille: u32,
    /// Whether the clock ran past its due time: its end (the stop, or now) is later than the due
    /// time, counting the pauses up to that end. A clock paused after its due time stays
    /// breached.
    pub breached: bool,
    /// Where the clock stands.
    pub state: ClockState,
    /// Once stopped, whether it stopped by its due time; `None` while it runs or is paused.
    pub within_target: Option<bool>,
}

/// The instants at which a clock reaches its escalation shares; `None` where no instant can be
/// given (the clock is paused, or the instant lies beyond the calendar's horizon).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EscalationPoints {
    /// At [`WARNING_PER_MILLE`] of the target.
    pub warning: Option<DateTime<Utc>>,
    /// At [`LEVEL_1_PER_MILLE`]: the due time.
    pub level_1: Option<DateTime<Utc>>,
    /// At [`LEVEL_2_PER_MILLE`].
    pub level_2: Option<DateTime<Utc>>,
}

/// Reads a clock with a target of `target_minutes` business minutes as of `now`.
pub fn reading(
    calendar: &BusinessCalendar,
    timeline: &ClockTimeline,
    target_minutes: i64,
    now: DateTime<Utc>,
) -> ClockReading {
    let end = timeline.stopped.unwrap_or(now);
    let state = if timeline.stopped.is_some() {
        ClockState::Stopped
    } else if timeline
        .pauses
        .iter()
        .any(|pause| pause.to.is_none() && pause.from <= now)
    {
        ClockState::Paused
    } else {
        ClockState::Running
    };
    // Closing the running pause at the clock's end gives the due time as things stand: it is
    // what a stopped clock is judged by, and what a paused clock was breached by.
    let pauses = pauses_closed_at(&timeline.pauses, end);
    let target = TimeDelta::try_minutes(target_minutes.max(0)).unwrap_or(TimeDelta::MAX);
    let due_as_of_end = calendar.add_business_time(timeline.started, target, &pauses);
    let elapsed = calendar.business_time_between(timeline.started, end, &pauses);
    let breached = elapsed > target || due_as_of_end.is_some_and(|due| end > due);
    let elapsed_minutes = elapsed.num_minutes();
    ClockReading {
        due_time: match state {
            ClockState::Paused => None,
            ClockState::Running | ClockState::Stopped => due_as_of_end,
        },
        elapsed_minutes,
        used_per_mille: used_per_mille(elapsed_minutes, target_minutes, breached),
        breached,
        state,
        within_target: (state == ClockState::Stopped).then_some(!breached),
    }
}

/// The instants at which the clock reaches 80%, 100% and 200% of its target, for the warning
/// and the two escalation levels. A stopped clock's running pause ends at its stop.
pub fn escalation_points(
    calendar: &BusinessCalendar,
    timeline: &ClockTimeline,
    target_minutes: i64,
) -> EscalationPoints {
    let point = |per_mille| time_at_per_mille(calendar, timeline, target_minutes, per_mille);
    EscalationPoints {
        warning: point(WARNING_PER_MILLE),
        level_1: point(LEVEL_1_PER_MILLE),
        level_2: point(LEVEL_2_PER_MILLE),
    }
}

/// The instant at which the clock has used `per_mille` of its target: the first at which a
/// reading's `used_per_mille` reaches it (so the minutes are rounded up: 80% of 10 minutes is
/// reached at 8, of 9 minutes at 8 too). `None` while a pause is open, for a negative target,
/// or beyond the calendar's horizon.
pub fn time_at_per_mille(
    calendar: &BusinessCalendar,
    timeline: &ClockTimeline,
    target_minutes: i64,
    per_mille: u32,
) -> Option<DateTime<Utc>> {
    if target_minutes < 0 {
        return None;
    }
    let scaled = i128::from(target_minutes) * i128::from(per_mille);
    let minutes = i64::try_from((scaled + 999) / 1000).ok()?;
    let pauses = match timeline.stopped {
        Some(stopped) => pauses_closed_at(&timeline.pauses, stopped),
        None => timeline.pauses.clone(),
    };
    calendar.add_business_minutes(timeline.started, minutes, &pauses)
}

fn pauses_closed_at(pauses: &[Pause], end: DateTime<Utc>) -> Vec<Pause> {
    pauses
        .iter()
        .map(|pause| Pause {
            from: pause.from,
            to: Some(pause.to.unwrap_or(end)),
        })
        .collect()
}

fn used_per_mille(elapsed_minutes: i64, target_minutes: i64, breached: bool) -> u32 {
    if target_minutes <= 0 {
        return if breached { u32::MAX } else { 0 };
    }
    let per_mille = i128::from(elapsed_minutes) * 1000 / i128::from(target_minutes);
    u32::try_from(per_mille.max(0)).unwrap_or(u32::MAX)
}

#[cfg(test)]
#[path = "sla_tests.rs"]
mod tests;
