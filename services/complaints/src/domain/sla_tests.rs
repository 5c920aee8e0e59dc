//! Clock readings and escalation points over an office calendar in Asia/Shanghai.

use chrono::{DateTime, NaiveDateTime, TimeDelta, TimeZone, Utc, Weekday};
use chrono_tz::Asia::Shanghai;

use super::{
    ClockReading, ClockState, ClockTimeline, EscalationPoints, Pause, WARNING_PER_MILLE,
    escalation_points, reading, time_at_per_mille,
};
use crate::domain::calendar::{BusinessCalendar, CalendarSpec, WorkingWindow};

/// Mon-Fri 09:00-12:00 and 13:00-18:00: eight business hours a day.
fn office() -> BusinessCalendar {
    let mut spec = CalendarSpec::new(Shanghai);
    for day in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ] {
        spec.weekdays[day.num_days_from_monday() as usize] = vec![
            WorkingWindow::from_hm(9, 0, 12, 0),
            WorkingWindow::from_hm(13, 0, 18, 0),
        ];
    }
    BusinessCalendar::new(spec).expect("a valid test calendar")
}

/// An instant from a Shanghai wall time, "2026-01-05 09:00".
fn at(text: &str) -> DateTime<Utc> {
    let local = NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").expect("a test wall time");
    Shanghai
        .from_local_datetime(&local)
        .single()
        .expect("Shanghai has no clock changes")
        .to_utc()
}

/// Filed Monday 5 January 2026 at 09:00.
fn filed_monday(stopped: Option<&str>, pauses: Vec<Pause>) -> ClockTimeline {
    ClockTimeline {
        started: at("2026-01-05 09:00"),
        stopped: stopped.map(at),
        pauses,
    }
}

fn paused(from: &str, to: &str) -> Pause {
    Pause::closed(at(from), at(to))
}

fn running(due: &str, elapsed_minutes: i64, used_per_mille: u32, breached: bool) -> ClockReading {
    ClockReading {
        due_time: Some(at(due)),
        elapsed_minutes,
        used_per_mille,
        breached,
        state: ClockState::Running,
        within_target: None,
    }
}

fn stopped(due: &str, elapsed_minutes: i64, used_per_mille: u32, breached: bool) -> ClockReading {
    ClockReading {
        state: ClockState::Stopped,
        within_target: Some(!breached),
        ..running(due, elapsed_minutes, used_per_mille, breached)
    }
}

fn paused_reading(elapsed_minutes: i64, used_per_mille: u32, breached: bool) -> ClockReading {
    ClockReading {
        due_time: None,
        elapsed_minutes,
        used_per_mille,
        breached,
        state: ClockState::Paused,
        within_target: None,
    }
}

const ONE_DAY: i64 = 8 * 60;

#[test]
fn readings() {
    let cases = [
        (
            "half way",
            filed_monday(None, vec![]),
            "2026-01-05 14:00",
            running("2026-01-05 18:00", 240, 500, false),
        ),
        (
            "a minute before the warning",
            filed_monday(None, vec![]),
            "2026-01-05 16:23",
            running("2026-01-05 18:00", 383, 797, false),
        ),
        (
            "the warning at 80%",
            filed_monday(None, vec![]),
            "2026-01-05 16:24",
            running("2026-01-05 18:00", 384, 800, false),
        ),
        (
            "exactly at the due time: not yet breached",
            filed_monday(None, vec![]),
            "2026-01-05 18:00",
            running("2026-01-05 18:00", 480, 1000, false),
        ),
        (
            "after the due time, outside working hours: breached",
            filed_monday(None, vec![]),
            "2026-01-05 20:00",
            running("2026-01-05 18:00", 480, 1000, true),
        ),
        (
            "past the target",
            filed_monday(None, vec![]),
            "2026-01-06 09:01",
            running("2026-01-05 18:00", 481, 1002, true),
        ),
        (
            "an ended pause moves the due time",
            filed_monday(None, vec![paused("2026-01-05 10:00", "2026-01-05 11:00")]),
            "2026-01-05 14:00",
            running("2026-01-06 10:00", 180, 375, false),
        ),
        (
            "waiting on the customer: no due time",
            filed_monday(None, vec![Pause::open(at("2026-01-05 10:00"))]),
            "2026-01-05 15:00",
            paused_reading(60, 125, false),
        ),
        (
            "paused after the due time: still breached",
            filed_monday(None, vec![Pause::open(at("2026-01-06 10:00"))]),
            "2026-01-06 15:00",
            paused_reading(540, 1125, true),
        ),
        (
            "stopped within the target",
            filed_monday(Some("2026-01-05 17:00"), vec![]),
            "2026-01-07 12:00",
            stopped("2026-01-05 18:00", 420, 875, false),
        ),
        (
            "stopped past the target",
            filed_monday(Some("2026-01-06 09:30"), vec![]),
            "2026-01-07 12:00",
            stopped("2026-01-05 18:00", 510, 1062, true),
        ),
        (
            "stopped after the due time, outside working hours: not within the target",
            filed_monday(Some("2026-01-05 19:00"), vec![]),
            "2026-01-07 12:00",
            stopped("2026-01-05 18:00", 480, 1000, true),
        ),
        (
            "stopped while waiting on the customer: the wait ends at the stop",
            filed_monday(
                Some("2026-01-05 12:00"),
                vec![Pause::open(at("2026-01-05 10:00"))],
            ),
            "2026-01-07 12:00",
            stopped("2026-01-06 11:00", 60, 125, false),
        ),
        (
            "read before it started",
            filed_monday(None, vec![]),
            "2026-01-02 12:00",
            running("2026-01-05 18:00", 0, 0, false),
        ),
    ];
    let calendar = office();
    for (name, timeline, now, expected) in cases {
        assert_eq!(
            reading(&calendar, &timeline, ONE_DAY, at(now)),
            expected,
            "{name}"
        );
    }
}

#[test]
fn a_reopened_resolution_clock_counts_on_and_can_be_breached_at_once() {
    let calendar = office();
    let resolved = filed_monday(Some("2026-01-05 15:00"), vec![]);
    let at_resolution = reading(&calendar, &resolved, ONE_DAY, at("2026-01-05 15:00"));
    assert_eq!(at_resolution.within_target, Some(true));

    // Reopened four weeks later: the caller clears the stop, and the weeks in between count.
    let reopened = ClockTimeline {
        stopped: None,
        ..resolved
    };
    let now = at("2026-02-02 10:00");
    let after_reopen = reading(&calendar, &reopened, ONE_DAY, now);
    assert_eq!(
        after_reopen,
        running("2026-01-05 18:00", 20 * ONE_DAY + 60, 20_125, true),
    );
    let points = escalation_points(&calendar, &reopened, ONE_DAY);
    assert!(
        points.level_2.is_some_and(|level_2| level_2 < now),
        "{points:?}"
    );
}

#[test]
fn the_first_response_clock_with_a_short_target() {
    let calendar = office();
    let filed_friday_evening = ClockTimeline {
        started: at("2026-01-09 17:30"),
        stopped: None,
        pauses: vec![],
    };
    let cases = [
        (
            "over the weekend nothing counts",
            "2026-01-11 12:00",
            30,
            500,
            false,
        ),
        ("Monday morning", "2026-01-12 09:30", 60, 1000, false),
        ("Monday a minute later", "2026-01-12 09:31", 61, 1016, true),
    ];
    for (name, now, elapsed, per_mille, breached) in cases {
        let expected = running("2026-01-12 09:30", elapsed, per_mille, breached);
        assert_eq!(
            reading(&calendar, &filed_friday_evening, 60, at(now)),
            expected,
            "{name}"
        );
    }
}

#[test]
fn targets_of_zero_or_less_are_used_up_at_once() {
    let calendar = office();
    let timeline = filed_monday(None, vec![]);
    let at_start = reading(&calendar, &timeline, 0, at("2026-01-05 09:00"));
    assert_eq!(at_start, running("2026-01-05 09:00", 0, 0, false));
    for target in [0, -5] {
        let later = reading(&calendar, &timeline, target, at("2026-01-05 10:00"));
        assert!(later.breached, "{target}");
        assert_eq!(later.used_per_mille, u32::MAX, "{target}");
    }
}

#[test]
fn escalation_points_at_80_100_and_200_percent() {
    let calendar = office();
    let points = |timeline: &ClockTimeline, target| escalation_points(&calendar, timeline, target);
    let expected = |warning: &str, level_1: &str, level_2: &str| EscalationPoints {
        warning: Some(at(warning)),
        level_1: Some(at(level_1)),
        level_2: Some(at(level_2)),
    };
    assert_eq!(
        points(&filed_monday(None, vec![]), ONE_DAY),
        expected("2026-01-05 16:24", "2026-01-05 18:00", "2026-01-06 18:00"),
    );
    assert_eq!(
        points(&filed_monday(None, vec![]), 9),
        expected("2026-01-05 09:08", "2026-01-05 09:09", "2026-01-05 09:18"),
        "80% of 9 minutes rounds up to 8",
    );
    let lunch_long_pause = vec![paused("2026-01-05 11:00", "2026-01-05 14:00")];
    assert_eq!(
        points(&filed_monday(None, lunch_long_pause), ONE_DAY),
        expected("2026-01-06 09:24", "2026-01-06 11:00", "2026-01-07 11:00"),
        "a pause of two business hours",
    );
    let waiting = filed_monday(None, vec![Pause::open(at("2026-01-05 10:00"))]);
    assert_eq!(
        points(&waiting, ONE_DAY),
        EscalationPoints {
            warning: None,
            level_1: None,
            level_2: None,
        },
        "no points while waiting on the customer"
    );
    let stopped_while_waiting = ClockTimeline {
        stopped: Some(at("2026-01-05 12:00")),
        ..waiting
    };
    assert_eq!(
        points(&stopped_while_waiting, ONE_DAY),
        expected("2026-01-06 09:24", "2026-01-06 11:00", "2026-01-07 11:00"),
    );
}

#[test]
fn the_warning_point_is_where_readings_reach_800_per_mille() {
    let calendar = office();
    let timeline = ClockTimeline {
        started: at("2026-01-05 11:47"),
        stopped: None,
        pauses: vec![paused("2026-01-05 14:10", "2026-01-05 15:05")],
    };
    for target in 1..=200 {
        let warning = time_at_per_mille(&calendar, &timeline, target, WARNING_PER_MILLE)
            .expect("a warning point");
        let used = |now| reading(&calendar, &timeline, target, now).used_per_mille;
        assert!(used(warning) >= WARNING_PER_MILLE, "target {target}");
        assert!(
            used(warning - TimeDelta::seconds(1)) < WARNING_PER_MILLE,
            "target {target}: a second earlier"
        );
    }
}
