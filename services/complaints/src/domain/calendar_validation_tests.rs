//! What a calendar must be: each problem reported with the field path it concerns.

use chrono::{TimeDelta, Weekday};
use chrono_tz::Asia::Shanghai;

use super::tests::{date, spec, window};
use super::{BusinessCalendar, CalendarSpec, MakeUpDay, WorkingWindow};

/// Mon-Fri 09:00-12:00 and 13:00-18:00, with a holiday and a make-up Saturday: valid.
fn office() -> CalendarSpec {
    let weekdays = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];
    CalendarSpec {
        holidays: vec![date("2026-02-16")],
        make_up_days: vec![MakeUpDay {
            date: date("2026-02-14"),
            works_as: Weekday::Mon,
        }],
        ..spec(Shanghai, &weekdays, &["09:00-12:00", "13:00-18:00"])
    }
}

fn make_up(day: &str, works_as: Weekday) -> MakeUpDay {
    MakeUpDay {
        date: date(day),
        works_as,
    }
}

/// `count` consecutive dates from 2026-01-01.
fn dates(count: i64) -> impl Iterator<Item = chrono::NaiveDate> {
    (0..count).map(|days| date("2026-01-01") + TimeDelta::days(days))
}

#[test]
fn valid_calendars_are_accepted() {
    let mut whole_days = office();
    whole_days.weekdays[5] = vec![window("00:00-24:00")];
    let mut touching_windows = office();
    touching_windows.weekdays[0] = vec![window("09:00-12:00"), window("12:00-13:00")];
    let mut at_the_bounds = office();
    at_the_bounds.weekdays[1] = (0..8)
        .map(|hour| window(&format!("{hour:02}:00-{hour:02}:30")))
        .collect();
    at_the_bounds.make_up_days = dates(1000)
        .map(|day| make_up(&day.to_string(), Weekday::Mon))
        .collect();
    // Holidays after the make-up days, so no date is both.
    at_the_bounds.holidays = dates(2000).skip(1000).collect();
    for (name, spec) in [
        ("office", office()),
        ("a Saturday working around the clock", whole_days),
        ("windows that touch", touching_windows),
        ("8 windows, 1000 holidays, 1000 make-up days", at_the_bounds),
    ] {
        assert!(BusinessCalendar::new(spec).is_ok(), "{name}");
    }
}

#[test]
fn every_problem_is_reported_with_its_field_path() {
    type Edit = fn(&mut CalendarSpec);
    let cases: Vec<(&str, Edit, &[&str])> = vec![
        (
            "an inverted window",
            |spec| spec.weekdays[2].push(window("20:00-19:00")),
            &["weekdays[2].windows[2].end"],
        ),
        (
            "an empty window",
            |spec| spec.weekdays[0] = vec![window("09:00-09:00")],
            &["weekdays[0].windows[0].end"],
        ),
        (
            "minutes out of range",
            |spec| spec.weekdays[4] = vec![WorkingWindow::new(1440, 1500)],
            &["weekdays[4].windows[0].start", "weekdays[4].windows[0].end"],
        ),
        (
            "overlapping windows",
            |spec| spec.weekdays[2] = vec![window("09:00-12:00"), window("11:00-18:00")],
            &["weekdays[2].windows[1].start"],
        ),
        (
            "unsorted windows",
            |spec| spec.weekdays[3] = vec![window("13:00-18:00"), window("09:00-12:00")],
            &["weekdays[3].windows[1].start"],
        ),
        (
            "too many windows",
            |spec| {
                spec.weekdays[1] = (0..9)
                    .map(|hour| window(&format!("{hour:02}:00-{hour:02}:30")))
                    .collect();
            },
            &["weekdays[1].windows"],
        ),
        (
            "no working time in the week",
            |spec| {
                spec.weekdays = Default::default();
                spec.make_up_days.clear();
            },
            &["weekdays"],
        ),
        (
            "a duplicate holiday",
            |spec| {
                spec.holidays
                    .extend([date("2026-05-01"), date("2026-02-16")])
            },
            &["holidays[2]"],
        ),
        (
            "too many holidays",
            |spec| {
                spec.holidays = dates(1001).collect();
                spec.make_up_days.clear();
            },
            &["holidays"],
        ),
        (
            "a date both holiday and make-up day",
            |spec| spec.make_up_days.push(make_up("2026-02-16", Weekday::Mon)),
            &["make_up_days[1].date"],
        ),
        (
            "a duplicate make-up day",
            |spec| spec.make_up_days.push(make_up("2026-02-14", Weekday::Tue)),
            &["make_up_days[1].date"],
        ),
        (
            "a make-up day working as a day without windows",
            |spec| spec.make_up_days.push(make_up("2026-02-28", Weekday::Sun)),
            &["make_up_days[1].works_as"],
        ),
        (
            "too many make-up days",
            |spec| {
                spec.holidays.clear();
                spec.make_up_days = dates(1001)
                    .map(|day| make_up(&day.to_string(), Weekday::Fri))
                    .collect();
            },
            &["make_up_days"],
        ),
        (
            "several problems at once, in field order",
            |spec| {
                spec.weekdays[0] = vec![window("12:00-09:00"), window("08:00-10:00")];
                spec.weekdays[2] = vec![window("09:00-12:00"), WorkingWindow::new(600, 2000)];
                spec.holidays.push(date("2026-02-16"));
                spec.make_up_days.push(make_up("2026-02-16", Weekday::Sat));
            },
            &[
                "weekdays[0].windows[0].end",
                "weekdays[0].windows[1].start",
                "weekdays[2].windows[1].end",
                "weekdays[2].windows[1].start",
                "holidays[1]",
                "make_up_days[1].date",
                "make_up_days[1].works_as",
            ],
        ),
    ];
    for (name, edit, expected_fields) in cases {
        let mut spec = office();
        edit(&mut spec);
        let problems = BusinessCalendar::new(spec).expect_err(name);
        let fields: Vec<&str> = problems
            .iter()
            .map(|problem| problem.field.as_str())
            .collect();
        assert_eq!(fields, expected_fields, "{name}: {problems:?}");
        assert!(
            problems.iter().all(|problem| !problem.message.is_empty()),
            "{name}: every problem says what is wrong"
        );
    }
}

#[test]
fn problems_say_what_is_wrong() {
    let mut spec = office();
    spec.weekdays[2] = vec![window("09:00-12:00"), window("11:00-10:00")];
    spec.make_up_days.push(make_up("2026-02-16", Weekday::Mon));
    let problems: Vec<String> = BusinessCalendar::new(spec)
        .expect_err("an invalid calendar")
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(
        problems,
        [
            "weekdays[2].windows[1].end: must end after the window starts (11:00), not at 10:00",
            "weekdays[2].windows[1].start: must start at or after windows[0] ends (12:00), not at \
             11:00: sorted, no overlaps",
            "make_up_days[1].date: 2026-02-16 is also holidays[0]: \
             a date cannot both rest and work",
        ]
    );
}
