//! A business calendar: the working hours against which complaint SLAs are measured.
//!
//! A calendar is data (the service versions and stores it): a time zone, working windows per
//! weekday in local wall time, holidays, and make-up working days (China's 调休: a weekend date
//! that works as a named weekday). [`BusinessCalendar::new`] validates a [`CalendarSpec`] and
//! reports every problem with the field path it concerns, ready to become gRPC field violations.
//!
//! The arithmetic works on instants ([`DateTime<Utc>`]) and walks the calendar day by day, never
//! minute by minute, for at most [`HORIZON_DAYS`] local days, so no input can make it loop for
//! long. Pauses (a complaint waiting on its customer) are half-open intervals of real time that do
//! not count, whatever the calendar says.
//!
//! Daylight saving: a window's length is the real time between its start and end instants on that
//! date, so a window 01:00-05:00 lasts 3 hours on a spring-forward night and 5 on a fall-back one
//! in Europe. A local time skipped by a spring-forward gap maps to the first instant after the
//! gap; a local time that occurs twice maps to the earlier instant for a window's start and the
//! later one for its end (a window keeps all the wall time it names). Where that makes windows
//! overlap in real time, the overlap counts once.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

use chrono::{
    DateTime, Datelike, MappedLocalTime, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone,
    Utc, Weekday,
};
use chrono_tz::Tz;

/// Minutes in a day: a window may end at this minute (24:00, the next day's midnight).
pub const MINUTES_PER_DAY: u32 = 24 * 60;
/// The most working windows a weekday may have.
pub const MAX_WINDOWS_PER_DAY: usize = 8;
/// The most holidays a calendar may list.
pub const MAX_HOLIDAYS: usize = 1000;
/// The most make-up working days a calendar may list.
pub const MAX_MAKE_UP_DAYS: usize = 1000;
/// How many local days the arithmetic walks at most (about ten years) before giving up: a due
/// time further away is no due time, and elapsed time further away is not counted.
pub const HORIZON_DAYS: u32 = 3660;

/// Weekdays in the order of [`CalendarSpec::weekdays`]: index 0 is Monday.
pub const WEEKDAYS: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

/// A stretch of working time within a day, in minutes of local wall time since midnight:
/// `[start_minute, end_minute)`, with `end_minute` up to [`MINUTES_PER_DAY`] (24:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WorkingWindow {
    /// The first working minute, 0 (00:00) to 1439 (23:59).
    pub start_minute: u32,
    /// The minute work stops, 1 (00:01) to 1440 (24:00); after `start_minute`.
    pub end_minute: u32,
}

impl WorkingWindow {
    /// The window from `start_minute` to `end_minute` (unchecked: the calendar validates it).
    pub const fn new(start_minute: u32, end_minute: u32) -> Self {
        Self {
            start_minute,
            end_minute,
        }
    }

    /// The window from `start_hour:start_minute` to `end_hour:end_minute`, e.g. `(9, 0, 12, 30)`.
    pub const fn from_hm(
        start_hour: u32,
        start_minute: u32,
        end_hour: u32,
        end_minute: u32,
    ) -> Self {
        Self::new(start_hour * 60 + start_minute, end_hour * 60 + end_minute)
    }
}

/// A date that works although it normally would not (a weekend, usually), with the working
/// windows of a named weekday: "Saturday 2026-02-28 works as a Monday".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MakeUpDay {
    /// The local date that works.
    pub date: NaiveDate,
    /// The weekday whose windows it follows.
    pub works_as: Weekday,
}

/// A calendar as the service receives and stores it, before validation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarSpec {
    /// The zone of the windows' wall times and of the dates.
    pub time_zone: Tz,
    /// Working windows per weekday, Monday first (see [`WEEKDAYS`]): sorted, non-overlapping.
    pub weekdays: [Vec<WorkingWindow>; 7],
    /// Dates with no working time, whatever their weekday.
    pub holidays: Vec<NaiveDate>,
    /// Dates that work as a named weekday. A make-up day on a date that works anyway replaces its
    /// windows with the named weekday's.
    pub make_up_days: Vec<MakeUpDay>,
}

impl CalendarSpec {
    /// A calendar in `time_zone` with no working time yet (invalid until windows are added).
    pub fn new(time_zone: Tz) -> Self {
        Self {
            time_zone,
            weekdays: Default::default(),
            holidays: Vec::new(),
            make_up_days: Vec::new(),
        }
    }
}

/// One thing wrong with a [`CalendarSpec`]: the field it concerns, as a path like
/// `weekdays[2].windows[1].end` or `holidays[0]`, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FieldProblem {
    /// The path of the field, in the spec's (and its proto message's) field names.
    pub field: String,
    /// What is wrong, for a human.
    pub message: String,
}

impl FieldProblem {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}: {}", self.field, self.message)
    }
}

/// A stretch of real time that does not count, `[from, to)`; `to` is `None` while it lasts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Pause {
    /// When the pause began.
    pub from: DateTime<Utc>,
    /// When it ended, or `None` if it still runs.
    pub to: Option<DateTime<Utc>>,
}

impl Pause {
    /// A pause over `[from, to)`.
    #[cfg(test)]
    pub fn closed(from: DateTime<Utc>, to: DateTime<Utc>) -> Self {
        Self { from, to: Some(to) }
    }

    /// A pause that began at `from` and still runs.
    pub fn open(from: DateTime<Utc>) -> Self {
        Self { from, to: None }
    }
}

/// A validated business calendar: working time by local date, and SLA arithmetic over it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BusinessCalendar {
    spec: CalendarSpec,
    holidays: BTreeSet<NaiveDate>,
    make_up_days: BTreeMap<NaiveDate, Weekday>,
}

impl BusinessCalendar {
    /// Validates `spec`, returning every problem found (not just the first) if it is invalid.
    pub fn new(spec: CalendarSpec) -> Result<Self, Vec<FieldProblem>> {
        let problems = validation::validate(&spec);
        if !problems.is_empty() {
            return Err(problems);
        }
        let holidays = spec.holidays.iter().copied().collect();
        let make_up_days = spec
            .make_up_days
            .iter()
            .map(|day| (day.date, day.works_as))
            .collect();
        Ok(Self {
            spec,
            holidays,
            make_up_days,
        })
    }

    /// The calendar as specified (for storing it, or showing it back).
    pub fn spec(&self) -> &CalendarSpec {
        &self.spec
    }

    /// The zone of its wall times.
    pub fn time_zone(&self) -> Tz {
        self.spec.time_zone
    }

    /// The working windows of a local date: none on a holiday, the named weekday's on a make-up
    /// day, else its weekday's.
    pub fn windows_on(&self, date: NaiveDate) -> &[WorkingWindow] {
        if self.holidays.contains(&date) {
            return &[];
        }
        let weekday = self
            .make_up_days
            .get(&date)
            .copied()
            .unwrap_or_else(|| date.weekday());
        &self.spec.weekdays[weekday.num_days_from_monday() as usize]
    }

    /// The instant at which `minutes` of business time have elapsed after `start`, not counting
    /// time inside `pauses`.
    ///
    /// Zero minutes are due at `start` itself, even outside working hours or inside a pause:
    /// nothing is left to wait for (and [`Self::business_minutes_between`] of `start` and `start`
    /// is zero, so the two stay inverse). Otherwise it is the instant the last of the minutes is
    /// worked: it may fall exactly on a window's end (18:00), never on the next window's start.
    /// Seconds of `start` carry through (10:00:30 plus one minute is 10:01:30).
    ///
    /// `None` when no due time can be given: a pause still runs (`to: None`), `minutes` is
    /// negative, or the target lies beyond [`HORIZON_DAYS`] local days.
    pub fn add_business_minutes(
        &self,
        start: DateTime<Utc>,
        minutes: i64,
        pauses: &[Pause],
    ) -> Option<DateTime<Utc>> {
        if minutes < 0 {
            return None;
        }
        self.add_business_time(start, TimeDelta::try_minutes(minutes)?, pauses)
    }

    /// Business time elapsed in `[from, to)` outside `pauses`, in whole minutes rounded down
    /// (59 seconds count as none). A pause still running (`to: None`) runs to `to`.
    ///
    /// Zero when `to` is not after `from`. Only the first [`HORIZON_DAYS`] local days after
    /// `from` are walked: time beyond them is not counted.
    pub fn business_minutes_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        pauses: &[Pause],
    ) -> i64 {
        self.business_time_between(from, to, pauses).num_minutes()
    }

    /// [`Self::add_business_minutes`] to the nanosecond, for targets that are not whole minutes.
    pub(crate) fn add_business_time(
        &self,
        start: DateTime<Utc>,
        target: TimeDelta,
        pauses: &[Pause],
    ) -> Option<DateTime<Utc>> {
        if target < TimeDelta::zero() {
            return None;
        }
        if target.is_zero() {
            return Some(start);
        }
        if pauses.iter().any(|pause| pause.to.is_none()) {
            return None;
        }
        // Every pause is closed here, so the running end is never used.
        let pauses = merged_pauses(pauses, start);
        let mut remaining = target;
        for (piece_start, piece_end) in BusinessPieces::new(self, start, &pauses) {
            let piece = piece_end - piece_start;
            if remaining <= piece {
                return piece_start.checked_add_signed(remaining);
            }
            remaining -= piece;
        }
        None
    }

    /// [`Self::business_minutes_between`] to the nanosecond, unrounded.
    pub(crate) fn business_time_between(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        pauses: &[Pause],
    ) -> TimeDelta {
        let mut elapsed = TimeDelta::zero();
        if to <= from {
            return elapsed;
        }
        let pauses = merged_pauses(pauses, to);
        for (piece_start, piece_end) in BusinessPieces::new(self, from, &pauses) {
            if piece_start >= to {
                break;
            }
            elapsed += piece_end.min(to) - piece_start;
        }
        elapsed
    }

    /// The real-time intervals of a local date's working windows, in order. Intervals may
    /// overlap where a fall-back repeats an hour between two windows; the walk counts it once.
    fn working_intervals(&self, date: NaiveDate) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let time_zone = self.time_zone();
        self.windows_on(date)
            .iter()
            .filter_map(|window| {
                let start =
                    window_start_instant(time_zone, local_minute(date, window.start_minute)?)?;
                let end = window_end_instant(time_zone, local_minute(date, window.end_minute)?)?;
                // A window wholly inside a spring-forward gap has no real time at all.
                (start < end).then_some((start, end))
            })
            .collect()
    }
}

/// The local date and time `minute` minutes after the start of `date` (1440 is the next day's
/// midnight); `None` past chrono's last date.
fn local_minute(date: NaiveDate, minute: u32) -> Option<NaiveDateTime> {
    date.and_hms_opt(0, 0, 0)?
        .checked_add_signed(TimeDelta::try_minutes(i64::from(minute))?)
}

/// The wall time of `instant` in `time_zone`; `None` where it would leave chrono's range (at
/// its very ends), where chrono's own conversion panics.
fn local_time(time_zone: Tz, instant: DateTime<Utc>) -> Option<NaiveDateTime> {
    let utc = instant.naive_utc();
    let offset = time_zone.offset_from_utc_datetime(&utc).fix();
    utc.checked_add_signed(TimeDelta::try_seconds(i64::from(offset.local_minus_utc()))?)
}

/// The instant a window starting at `local` starts: the earlier of a repeated local time.
fn window_start_instant(time_zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match time_zone.from_local_datetime(&local) {
        MappedLocalTime::Single(instant) | MappedLocalTime::Ambiguous(instant, _) => {
            Some(instant.to_utc())
        }
        MappedLocalTime::None => first_instant_after_gap(time_zone, local),
    }
}

/// The instant a window ending at `local` ends: the later of a repeated local time.
fn window_end_instant(time_zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match time_zone.from_local_datetime(&local) {
        MappedLocalTime::Single(instant) | MappedLocalTime::Ambiguous(_, instant) => {
            Some(instant.to_utc())
        }
        MappedLocalTime::None => first_instant_after_gap(time_zone, local),
    }
}

/// The instant the clocks jump over `local`, a local time that never occurs (skipped by a
/// spring-forward): the first instant after the gap.
fn first_instant_after_gap(time_zone: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    let local_at = |timestamp: i64| {
        DateTime::from_timestamp(timestamp, 0).and_then(|instant| local_time(time_zone, instant))
    };
    // UTC offsets are under a day, so a day either side of `local` read as UTC brackets the
    // jump: local time is before `local` at `low` and after it at `high`. Bisecting keeps that
    // true until they are a second apart; tz transitions fall on whole seconds.
    let read_as_utc = local.and_utc().timestamp();
    let mut low = read_as_utc.checked_sub(86_400)?;
    let mut high = read_as_utc.checked_add(86_400)?;
    while high - low > 1 {
        let middle = low + (high - low) / 2;
        if local_at(middle)? > local {
            high = middle;
        } else {
            low = middle;
        }
    }
    DateTime::from_timestamp(high, 0)
}

/// Sorted, disjoint, non-empty closed pauses: running pauses end at `running_end`.
fn merged_pauses(
    pauses: &[Pause],
    running_end: DateTime<Utc>,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut intervals: Vec<_> = pauses
        .iter()
        .map(|pause| (pause.from, pause.to.unwrap_or(running_end)))
        .filter(|(from, to)| from < to)
        .collect();
    intervals.sort_unstable();
    let mut merged: Vec<(DateTime<Utc>, DateTime<Utc>)> = Vec::with_capacity(intervals.len());
    for (from, to) in intervals {
        match merged.last_mut() {
            Some(last) if from <= last.1 => last.1 = last.1.max(to),
            _ => merged.push((from, to)),
        }
    }
    merged
}

/// The business time after a cursor, as disjoint real-time pieces in order: working intervals
/// day by day minus pauses, for at most [`HORIZON_DAYS`] local days.
struct BusinessPieces<'a> {
    calendar: &'a BusinessCalendar,
    /// Sorted, disjoint pauses (see [`merged_pauses`]).
    pauses: &'a [(DateTime<Utc>, DateTime<Utc>)],
    /// The first pause that may still matter: earlier ones end before the cursor.
    next_pause: usize,
    /// Nothing before it counts: the walk's start, then the end of what was last counted or
    /// paused. It only moves forward, so overlapping intervals count once.
    cursor: DateTime<Utc>,
    /// The next local date whose windows to expand.
    next_date: Option<NaiveDate>,
    days_left: u32,
    /// Working intervals expanded but not yet walked.
    intervals: VecDeque<(DateTime<Utc>, DateTime<Utc>)>,
}

impl<'a> BusinessPieces<'a> {
    fn new(
        calendar: &'a BusinessCalendar,
        start: DateTime<Utc>,
        pauses: &'a [(DateTime<Utc>, DateTime<Utc>)],
    ) -> Self {
        let start_date = local_time(calendar.time_zone(), start)
            .unwrap_or_else(|| start.naive_utc())
            .date();
        // The day before can reach past midnight into the start's date: a window ending at 24:00
        // on a night the clocks fall back at midnight.
        let first_date = start_date.pred_opt().unwrap_or(start_date);
        Self {
            calendar,
            pauses,
            next_pause: 0,
            cursor: start,
            next_date: Some(first_date),
            days_left: HORIZON_DAYS + 1,
            intervals: VecDeque::new(),
        }
    }

    /// Queues the next date's working intervals; false once the horizon or the last date is
    /// reached.
    fn expand_next_day(&mut self) -> bool {
        let Some(date) = self.next_date else {
            return false;
        };
        if self.days_left == 0 {
            return false;
        }
        self.days_left -= 1;
        self.intervals.extend(self.calendar.working_intervals(date));
        self.next_date = date.succ_opt();
        true
    }
}

impl Iterator for BusinessPieces<'_> {
    type Item = (DateTime<Utc>, DateTime<Utc>);

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            let Some((interval_start, end)) = self.intervals.pop_front() else {
                if self.expand_next_day() {
                    continue;
                }
                return None;
            };
            let start = interval_start.max(self.cursor);
            if start >= end {
                continue;
            }
            while self
                .pauses
                .get(self.next_pause)
                .is_some_and(|&(_, pause_end)| pause_end <= start)
            {
                self.next_pause += 1;
            }
            match self.pauses.get(self.next_pause) {
                Some(&(pause_start, pause_end)) if pause_start < end => {
                    // Whatever of the interval follows the pause is walked next.
                    self.cursor = pause_end;
                    self.intervals.push_front((pause_end, end));
                    if pause_start > start {
                        return Some((start, pause_start));
                    }
                }
                _ => {
                    self.cursor = end;
                    return Some((start, end));
                }
            }
        }
    }
}

mod validation;

#[cfg(test)]
#[path = "calendar_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "calendar_dst_tests.rs"]
mod dst_tests;

#[cfg(test)]
#[path = "calendar_validation_tests.rs"]
mod validation_tests;
