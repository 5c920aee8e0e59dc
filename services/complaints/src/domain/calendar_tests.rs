//! The calendar's arithmetic: due times, elapsed business time, pauses, holidays, make-up days
//! and odd inputs (daylight saving is in `calendar_dst_tests.rs`).

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use chrono_tz::{Asia::Shanghai, Europe::Berlin, Europe::London, UTC};

use super::{BusinessCalendar, CalendarSpec, MakeUpDay, Pause, WorkingWindow};

pub(super) const WEEKDAYS: [Weekday; 5] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
];

pub(super) fn date(text: &str) -> NaiveDate {
    text.parse().expect("a test date")
}

/// An instant from a wall time in `zone`, e.g. `at(Berlin, "2026-07-03 16:00")`; test wall
/// times are never ambiguous or skipped.
pub(super) fn at(zone: Tz, text: &str) -> DateTime<Utc> {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
        .expect("a test wall time");
    zone.from_local_datetime(&local)
        .single()
        .expect("a test wall time that occurs once")
        .to_utc()
}

pub(super) fn utc(text: &str) -> DateTime<Utc> {
    text.parse().expect("a test instant in RFC 3339")
}

/// A window from "HH:MM-HH:MM".
pub(super) fn window(text: &str) -> WorkingWindow {
    let minute = |hh_mm: &str| {
        let (hours, minutes) = hh_mm.split_once(':').expect("HH:MM");
        hours.parse::<u32>().expect("hours") * 60 + minutes.parse::<u32>().expect("minutes")
    };
    let (start, end) = text.split_once('-').expect("HH:MM-HH:MM");
    WorkingWindow::new(minute(start), minute(end))
}

/// A spec working `windows` on `days`.
pub(super) fn spec(zone: Tz, days: &[Weekday], windows: &[&str]) -> CalendarSpec {
    let mut spec = CalendarSpec::new(zone);
    for day in days {
        spec.weekdays[day.num_days_from_monday() as usize] =
            windows.iter().map(|text| window(text)).collect();
    }
    spec
}

pub(super) fn build(spec: CalendarSpec) -> BusinessCalendar {
    BusinessCalendar::new(spec).expect("a valid test calendar")
}

/// Mon-Fri 09:00-12:00 and 13:00-18:00 in Asia/Shanghai, the service's default zone.
fn shanghai_office() -> BusinessCalendar {
    build(spec(Shanghai, &WEEKDAYS, &["09:00-12:00", "13:00-18:00"]))
}

/// One due-time expectation.
pub(super) struct DueCase {
    pub(super) name: &'static str,
    pub(super) calendar: BusinessCalendar,
    pub(super) start: DateTime<Utc>,
    pub(super) minutes: i64,
    pub(super) pauses: Vec<Pause>,
    pub(super) due: Option<DateTime<Utc>>,
}

pub(super) fn check_due_cases(cases: Vec<DueCase>) {
    for case in cases {
        let due = case
            .calendar
            .add_business_minutes(case.start, case.minutes, &case.pauses);
        assert_eq!(due, case.due, "{}", case.name);
        if let Some(due) = due {
            let elapsed = case
                .calendar
                .business_minutes_between(case.start, due, &case.pauses);
            assert_eq!(
                elapsed, case.minutes,
                "{}: elapsed up to the due time",
                case.name
            );
        }
    }
}

#[test]
fn public_examples() {
    check_due_cases(vec![
        DueCase {
            name: "1. Mon-Fri 08-18 UTC, 4 h, filed Monday 17:00: due Tuesday 11:00",
            calendar: build(spec(UTC, &WEEKDAYS, &["08:00-18:00"])),
            start: utc("2026-01-05T17:00:00Z"),
            minutes: 4 * 60,
            pauses: vec![],
            due: Some(utc("2026-01-06T11:00:00Z")),
        },
        DueCase {
            name: "1. the same in Asia/Shanghai wall time",
            calendar: build(spec(Shanghai, &WEEKDAYS, &["08:00-18:00"])),
            start: at(Shanghai, "2026-01-05 17:00"),
            minutes: 4 * 60,
            pauses: vec![],
            due: Some(at(Shanghai, "2026-01-06 11:00")),
        },
        DueCase {
            name: "2. Mon-Fri 09-17 UTC, 1 h, filed Friday 16:30: due Monday 09:30",
            calendar: build(spec(UTC, &WEEKDAYS, &["09:00-17:00"])),
            start: utc("2026-01-09T16:30:00Z"),
            minutes: 60,
            pauses: vec![],
            due: Some(utc("2026-01-12T09:30:00Z")),
        },
        DueCase {
            name: "3. London with Christmas holidays, 8 h from Thursday 24 December 16:30",
            calendar: build(CalendarSpec {
                holidays: vec![date("2026-12-25"), date("2026-12-28")],
                ..spec(London, &WEEKDAYS, &["09:00-12:00", "13:00-17:00"])
            }),
            start: at(London, "2026-12-24 16:30"),
            minutes: 8 * 60,
            pauses: vec![],
            due: Some(utc("2026-12-30T09:30:00Z")),
        },
        DueCase {
            name: "4. Berlin in summer time, 8 h from Friday 16:00: Monday 16:00 local",
            calendar: build(spec(Berlin, &WEEKDAYS, &["08:00-12:00", "13:00-17:00"])),
            start: at(Berlin, "2026-07-03 16:00"),
            minutes: 8 * 60,
            pauses: vec![],
            due: Some(utc("2026-07-06T14:00:00Z")),
        },
    ]);
}

#[test]
fn starts_outside_working_time_wait_for_the_next_window() {
    let case = |name, start, minutes, due: &str| DueCase {
        name,
        calendar: shanghai_office(),
        start: at(Shanghai, start),
        minutes,
        pauses: vec![],
        due: Some(at(Shanghai, due)),
    };
    check_due_cases(vec![
        case("filed at night", "2026-01-05 22:00", 60, "2026-01-06 10:00"),
        case(
            "filed before opening",
            "2026-01-06 06:00",
            30,
            "2026-01-06 09:30",
        ),
        case(
            "filed on Saturday",
            "2026-01-10 10:00",
            60,
            "2026-01-12 10:00",
        ),
        case(
            "filed late on Sunday",
            "2026-01-11 23:59:30",
            1,
            "2026-01-12 09:01",
        ),
        case(
            "filed in the lunch break",
            "2026-01-05 12:30",
            60,
            "2026-01-05 14:00",
        ),
        case(
            "the lunch break does not count",
            "2026-01-05 11:30",
            60,
            "2026-01-05 13:30",
        ),
        case(
            "due exactly at closing, not the next opening",
            "2026-01-05 17:00",
            60,
            "2026-01-05 18:00",
        ),
        case(
            "a start between minutes keeps its seconds",
            "2026-01-05 10:00:30",
            1,
            "2026-01-05 10:01:30",
        ),
        case(
            "zero minutes are due at once, even on Saturday",
            "2026-01-10 10:00",
            0,
            "2026-01-10 10:00",
        ),
    ]);
}

#[test]
fn pauses_push_the_due_time_by_the_business_time_they_cover() {
    let monday_9 = at(Shanghai, "2026-01-05 09:00");
    let paused = |from: &str, to: &str| Pause::closed(at(Shanghai, from), at(Shanghai, to));
    let case = |name, start, pauses, due: Option<&str>| DueCase {
        name,
        calendar: shanghai_office(),
        start,
        minutes: 8 * 60,
        pauses,
        due: due.map(|due| at(Shanghai, due)),
    };
    check_due_cases(vec![
        case("no pause", monday_9, vec![], Some("2026-01-05 18:00")),
        case(
            "an hour's pause mid-morning",
            monday_9,
            vec![paused("2026-01-05 10:00", "2026-01-05 11:00")],
            Some("2026-01-06 10:00"),
        ),
        case(
            "a pause over lunch counts only its working part (30 + 60 min)",
            monday_9,
            vec![paused("2026-01-05 11:30", "2026-01-05 14:00")],
            Some("2026-01-06 10:30"),
        ),
        case(
            "overlapping pauses count once",
            monday_9,
            vec![
                paused("2026-01-05 10:30", "2026-01-05 11:30"),
                paused("2026-01-05 10:00", "2026-01-05 11:00"),
            ],
            Some("2026-01-06 10:30"),
        ),
        case(
            "a pause covering the start",
            monday_9,
            vec![paused("2026-01-05 08:00", "2026-01-05 10:00")],
            Some("2026-01-06 10:00"),
        ),
        case(
            "a pause before the start changes nothing",
            monday_9,
            vec![paused("2026-01-02 10:00", "2026-01-02 11:00")],
            Some("2026-01-05 18:00"),
        ),
        case(
            "an inverted pause is empty",
            monday_9,
            vec![paused("2026-01-05 11:00", "2026-01-05 10:00")],
            Some("2026-01-05 18:00"),
        ),
        case(
            "a pause over the weekend pushes nothing",
            at(Shanghai, "2026-01-09 15:00"),
            vec![paused("2026-01-09 18:00", "2026-01-12 09:00")],
            Some("2026-01-12 15:00"),
        ),
        case(
            "without that pause",
            at(Shanghai, "2026-01-09 15:00"),
            vec![],
            Some("2026-01-12 15:00"),
        ),
        case(
            "an open pause gives no due time",
            monday_9,
            vec![Pause::open(at(Shanghai, "2026-01-05 10:00"))],
            None,
        ),
        case(
            "an open pause from before the start too",
            monday_9,
            vec![Pause::open(at(Shanghai, "2026-01-01 10:00"))],
            None,
        ),
    ]);
}

#[test]
fn an_open_pause_runs_to_the_end_of_the_measured_span() {
    let calendar = shanghai_office();
    let pauses = [Pause::open(at(Shanghai, "2026-01-05 10:00"))];
    let elapsed = calendar.business_minutes_between(
        at(Shanghai, "2026-01-05 09:00"),
        at(Shanghai, "2026-01-06 18:00"),
        &pauses,
    );
    assert_eq!(elapsed, 60);
}

/// China's 2026 Spring Festival: 15-23 February off, Saturdays 14 and 28 February worked.
fn shanghai_spring_festival() -> BusinessCalendar {
    let holidays = ["2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19"];
    build(CalendarSpec {
        holidays: holidays
            .into_iter()
            .chain(["2026-02-20", "2026-02-23"])
            .map(date)
            .collect(),
        make_up_days: ["2026-02-14", "2026-02-28"]
            .into_iter()
            .map(|day| MakeUpDay {
                date: date(day),
                works_as: Weekday::Mon,
            })
            .collect(),
        ..spec(Shanghai, &WEEKDAYS, &["09:00-12:00", "13:00-18:00"])
    })
}

#[test]
fn holidays_rest_and_make_up_days_work() {
    let case = |name, start, minutes, due: &str| DueCase {
        name,
        calendar: shanghai_spring_festival(),
        start: at(Shanghai, start),
        minutes,
        pauses: vec![],
        due: Some(at(Shanghai, due)),
    };
    check_due_cases(vec![
        case(
            "make-up Saturday 14 February works",
            "2026-02-13 17:00",
            120,
            "2026-02-14 10:00",
        ),
        case(
            "then nine days off, six of them weekdays",
            "2026-02-14 17:00",
            120,
            "2026-02-24 10:00",
        ),
        case(
            "make-up Saturday 28 February works too",
            "2026-02-27 18:00",
            60,
            "2026-02-28 10:00",
        ),
    ]);
    let calendar = shanghai_spring_festival();
    let day = |from: &str, to: &str| {
        calendar.business_minutes_between(at(Shanghai, from), at(Shanghai, to), &[])
    };
    assert_eq!(
        day("2026-02-16 00:00", "2026-02-17 00:00"),
        0,
        "a holiday Monday"
    );
    assert_eq!(
        day("2026-02-14 00:00", "2026-02-15 00:00"),
        480,
        "a make-up Saturday"
    );
    assert_eq!(
        day("2026-02-21 00:00", "2026-02-22 00:00"),
        0,
        "an ordinary Saturday"
    );
    assert_eq!(
        day("2026-02-24 00:00", "2026-02-25 00:00"),
        480,
        "back at work"
    );
}

#[test]
fn a_make_up_day_follows_the_windows_of_its_named_weekday() {
    let mut short_mondays = spec(Shanghai, &WEEKDAYS[1..], &["09:00-18:00"]);
    short_mondays.weekdays[0] = vec![window("10:00-11:00")];
    short_mondays.make_up_days = vec![MakeUpDay {
        date: date("2026-02-28"),
        works_as: Weekday::Mon,
    }];
    let calendar = build(short_mondays);
    assert_eq!(
        calendar.windows_on(date("2026-02-28")),
        [window("10:00-11:00")]
    );
    let saturday = calendar.business_minutes_between(
        at(Shanghai, "2026-02-28 00:00"),
        at(Shanghai, "2026-03-01 00:00"),
        &[],
    );
    assert_eq!(saturday, 60);
}

#[test]
fn elapsed_minutes_round_down() {
    let calendar = shanghai_office();
    let start = at(Shanghai, "2026-01-05 10:00");
    let cases = [(59, 0), (60, 1), (119, 1), (3599, 59), (3600, 60)];
    for (seconds, minutes) in cases {
        let to = start + TimeDelta::seconds(seconds);
        assert_eq!(
            calendar.business_minutes_between(start, to, &[]),
            minutes,
            "{seconds} s"
        );
    }
    assert_eq!(calendar.business_minutes_between(start, start, &[]), 0);
    assert_eq!(
        calendar.business_minutes_between(start, start - TimeDelta::hours(5), &[]),
        0,
        "a span that ends before it starts"
    );
}

#[test]
fn no_input_loops_long_or_panics() {
    let calendar = shanghai_office();
    let start = at(Shanghai, "2026-01-05 09:00");
    let cases = [
        ("negative minutes", start, -1),
        ("beyond the ten-year horizon", start, 3_000_000),
        ("too many minutes for a duration", start, i64::MAX),
        (
            "the last instant chrono knows",
            DateTime::<Utc>::MAX_UTC,
            60,
        ),
    ];
    for (name, start, minutes) in cases {
        assert_eq!(
            calendar.add_business_minutes(start, minutes, &[]),
            None,
            "{name}"
        );
    }
    let distant = calendar.add_business_minutes(DateTime::<Utc>::MIN_UTC, 60, &[]);
    assert!(distant.is_some(), "the first instant chrono knows");
    let everything =
        calendar.business_minutes_between(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC, &[]);
    let horizon_bound = 3661 * 24 * 60;
    assert!((0..horizon_bound).contains(&everything), "{everything}");
}
