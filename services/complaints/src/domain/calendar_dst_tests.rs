//! The calendar across daylight-saving changes, and the inverse law of its two operations.

use chrono::{TimeDelta, Weekday};
use chrono_tz::Europe::Berlin;
use chrono_tz::UTC;

use super::tests::{DueCase, WEEKDAYS, at, build, check_due_cases, date, spec, utc, window};
use super::{BusinessCalendar, MakeUpDay, Pause};

/// Berlin working Sunday and Monday nights 01:00-05:00, across the clock changes at 02:00 on
/// 29 March 2026 (to 03:00) and at 03:00 on 25 October 2026 (back to 02:00).
fn berlin_night_shift(windows: &[&str]) -> BusinessCalendar {
    build(spec(Berlin, &[Weekday::Sun, Weekday::Mon], windows))
}

#[test]
fn windows_last_the_real_time_between_their_ends() {
    let cases = [
        (
            "an ordinary Sunday",
            "2026-03-22",
            &["01:00-05:00"][..],
            240,
        ),
        (
            "spring forward: 3 real hours",
            "2026-03-29",
            &["01:00-05:00"],
            180,
        ),
        (
            "fall back: 5 real hours",
            "2026-10-25",
            &["01:00-05:00"],
            300,
        ),
        (
            "a start in the gap starts after it",
            "2026-03-29",
            &["02:30-04:00"],
            60,
        ),
        (
            "a window inside the gap is empty",
            "2026-03-29",
            &["02:00-02:59"],
            0,
        ),
        (
            "an ambiguous start is the earlier",
            "2026-10-25",
            &["02:30-05:00"],
            210,
        ),
        (
            "an ambiguous end is the later",
            "2026-10-25",
            &["01:00-02:30"],
            150,
        ),
        (
            "both ambiguous: 15 min + the repeated hour",
            "2026-10-25",
            &["02:30-02:45"],
            75,
        ),
        (
            "the repeated hour between two windows counts once",
            "2026-10-25",
            &["01:00-02:30", "02:30-04:00"],
            240,
        ),
    ];
    for (name, sunday, windows, minutes) in cases {
        let calendar = berlin_night_shift(windows);
        let start = at(Berlin, &format!("{sunday} 00:00"));
        let end = start + TimeDelta::hours(12);
        assert_eq!(
            calendar.business_minutes_between(start, end, &[]),
            minutes,
            "{name}"
        );
    }
}

#[test]
fn due_times_across_daylight_saving_changes() {
    let night_shift = || berlin_night_shift(&["01:00-05:00"]);
    check_due_cases(vec![
        DueCase {
            name: "spring forward: 3 h on Sunday, the 4th on Monday",
            calendar: night_shift(),
            start: at(Berlin, "2026-03-28 12:00"),
            minutes: 240,
            pauses: vec![],
            due: Some(at(Berlin, "2026-03-30 02:00")),
        },
        DueCase {
            name: "fall back: 4 h end at 04:00 winter time",
            calendar: night_shift(),
            start: at(Berlin, "2026-10-24 12:00"),
            minutes: 240,
            pauses: vec![],
            due: Some(utc("2026-10-25T03:00:00Z")),
        },
        DueCase {
            name: "fall back: the 5th hour ends at 05:00",
            calendar: night_shift(),
            start: at(Berlin, "2026-10-24 12:00"),
            minutes: 300,
            pauses: vec![],
            due: Some(at(Berlin, "2026-10-25 05:00")),
        },
        DueCase {
            name: "a start in the gap is the first instant after it",
            calendar: berlin_night_shift(&["02:30-04:00"]),
            start: at(Berlin, "2026-03-28 12:00"),
            minutes: 1,
            pauses: vec![],
            due: Some(utc("2026-03-29T01:01:00Z")),
        },
        DueCase {
            name: "office hours, filed the Friday before spring forward",
            calendar: build(spec(Berlin, &WEEKDAYS, &["08:00-12:00", "13:00-17:00"])),
            start: at(Berlin, "2026-03-27 16:00"),
            minutes: 8 * 60,
            pauses: vec![],
            due: Some(utc("2026-03-30T14:00:00Z")),
        },
    ]);
}

#[test]
fn a_window_to_midnight_runs_into_the_next_days_first_window() {
    let mut spec = spec(UTC, &WEEKDAYS, &["09:00-17:00"]);
    spec.weekdays[6] = vec![window("22:00-24:00")];
    spec.weekdays[0] = vec![window("00:00-02:00")];
    let calendar = build(spec);
    check_due_cases(vec![DueCase {
        name: "Sunday 23:00 + 2 h",
        calendar,
        start: utc("2026-01-11T23:00:00Z"),
        minutes: 120,
        pauses: vec![],
        due: Some(utc("2026-01-12T01:00:00Z")),
    }]);
}

/// A small deterministic generator, so the property loop needs no crate and replays alike.
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

#[test]
fn business_minutes_between_inverts_add_business_minutes() {
    // Berlin over a year with both clock changes, lunch breaks, a holiday, a make-up Saturday,
    // and a night window on Sundays that the clock changes cut into.
    let mut spec = spec(Berlin, &WEEKDAYS, &["08:00-12:00", "13:00-17:30"]);
    spec.weekdays[6] = vec![window("01:00-05:00")];
    spec.holidays = vec![date("2026-05-01"), date("2026-10-26")];
    spec.make_up_days = vec![MakeUpDay {
        date: date("2026-10-24"),
        works_as: Weekday::Fri,
    }];
    let calendar = build(spec);
    let year_start = utc("2026-01-01T00:00:00Z");
    let mut random = Lcg(20_260_329);
    for _ in 0..400 {
        let start = year_start + TimeDelta::seconds(random.below(365 * 86_400) as i64);
        let minutes = random.below(6_000) as i64;
        let pauses: Vec<Pause> = (0..random.below(3))
            .map(|_| {
                let from = start + TimeDelta::seconds(random.below(14 * 86_400) as i64);
                Pause::closed(from, from + TimeDelta::seconds(random.below(86_400) as i64))
            })
            .collect();
        let due = calendar
            .add_business_minutes(start, minutes, &pauses)
            .expect("a due time within the horizon");
        let case = format!("start {start}, {minutes} min, pauses {pauses:?}");
        assert_eq!(
            calendar.business_minutes_between(start, due, &pauses),
            minutes,
            "{case}"
        );
        if minutes > 0 {
            let just_before = due - TimeDelta::seconds(1);
            assert_eq!(
                calendar.business_minutes_between(start, just_before, &pauses),
                minutes - 1,
                "{case}: one second earlier"
            );
        }
    }
}
