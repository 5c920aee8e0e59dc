//! The versioned settings complaints are timed by: the business calendar and the SLA policy.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};

use super::calendar::{BusinessCalendar, CalendarSpec, WorkingWindow};
use super::policy::SlaPolicy;

/// One version of the business calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarVersion {
    /// From 1; each update adds one.
    pub version: i32,
    /// The calendar.
    pub calendar: BusinessCalendar,
    /// The names of holidays and make-up days, by date: shown, never counted.
    pub day_names: BTreeMap<NaiveDate, String>,
    /// Who made it.
    pub updated_by: String,
    /// When.
    pub update_time: DateTime<Utc>,
}

/// One version of the SLA policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    /// From 1; each update adds one.
    pub version: i32,
    /// The policy.
    pub policy: SlaPolicy,
    /// Who made it.
    pub updated_by: String,
    /// When.
    pub update_time: DateTime<Utc>,
}

/// The calendar a new installation starts with: Asia/Shanghai, Monday to Friday 09:00-12:00
/// and 13:00-18:00 (DOMAIN.md's example), no holidays yet.
pub fn default_calendar() -> BusinessCalendar {
    let mut spec = CalendarSpec::new(chrono_tz::Asia::Shanghai);
    for day in &mut spec.weekdays[..5] {
        day.push(WorkingWindow::from_hm(9, 0, 12, 0));
        day.push(WorkingWindow::from_hm(13, 0, 18, 0));
    }
    BusinessCalendar::new(spec).expect("the default calendar is valid")
}

#[cfg(test)]
mod tests {
    use super::default_calendar;

    #[test]
    fn the_default_calendar_has_eight_working_hours_on_weekdays() {
        let calendar = default_calendar();
        let monday = chrono::NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let minutes: u32 = calendar
            .windows_on(monday)
            .iter()
            .map(|window| window.end_minute - window.start_minute)
            .sum();
        assert_eq!(minutes, 8 * 60);
        let saturday = chrono::NaiveDate::from_ymd_opt(2026, 12, 12).unwrap();
        assert!(calendar.windows_on(saturday).is_empty());
    }
}
