//! Reading and writing SlaService messages: the business calendar with its field paths as the
//! caller sent them, and the SLA policy.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveTime, Timelike as _, Weekday};
use logistics_contracts::complaints::{self as pb, Weekday as PbWeekday};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use logistics_platform::time::timestamp;

use crate::app::proto::{
    category_from_proto, category_to_proto, priority_from_proto, priority_to_proto,
};
use crate::app::settings::etag_of;
use crate::domain::calendar::{
    BusinessCalendar, CalendarSpec, MINUTES_PER_DAY, MakeUpDay, WEEKDAYS, WorkingWindow,
};
use crate::domain::policy::{SlaPolicy, Targets};
use crate::domain::settings::{CalendarVersion, PolicyVersion};

/// The zone of a calendar that names none.
const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";
/// Longest name of a holiday or make-up day.
const DAY_NAME_CHARS: usize = 100;
/// Most holidays, and most make-up days, of a calendar (the domain's bound, checked before
/// parsing so a huge list costs nothing).
const MAX_DATES: usize = 1000;
/// Most working windows of a day, checked before parsing.
const MAX_WINDOWS: usize = 8;

fn weekday_from_proto(value: i32) -> Option<Weekday> {
    let weekday = PbWeekday::try_from(value).ok()?;
    let number = usize::try_from(i32::from(weekday)).ok()?.checked_sub(1)?;
    WEEKDAYS.get(number).copied()
}

fn weekday_to_proto(weekday: Weekday) -> i32 {
    i32::try_from(weekday.number_from_monday()).unwrap_or_default()
}

/// A time of day "HH:MM"; "24:00" only where `end_of_day` allows it.
fn minute_of_day(text: &str, end_of_day: bool) -> Option<u32> {
    if end_of_day && text == "24:00" {
        return Some(MINUTES_PER_DAY);
    }
    if text.len() != 5 {
        return None;
    }
    let time = NaiveTime::parse_from_str(text, "%H:%M").ok()?;
    Some(time.hour() * 60 + time.minute())
}

fn time_of_day(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn date(text: &str) -> Option<NaiveDate> {
    (text.len() == 10)
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten()
}

/// UpdateBusinessCalendar's calendar: the domain's calendar and the names of its dates, or every
/// problem at the field the caller sent it in (`calendar.week[1].windows[0].end_time`).
pub(super) fn calendar(
    calendar: Option<&pb::BusinessCalendar>,
) -> Result<(BusinessCalendar, BTreeMap<NaiveDate, String>, String), ApiError> {
    let Some(calendar) = calendar else {
        return Err(ApiError::invalid_field("calendar", "is required"));
    };
    let mut violations = Violations::new();
    let zone_name = if calendar.time_zone.is_empty() {
        DEFAULT_TIME_ZONE
    } else {
        calendar.time_zone.as_str()
    };
    let zone: Option<chrono_tz::Tz> = zone_name.parse().ok();
    if zone.is_none() {
        violations.add(
            "calendar.time_zone",
            "must be an IANA time zone, e.g. \"Asia/Shanghai\"",
        );
    }
    let mut spec = CalendarSpec::new(zone.unwrap_or(chrono_tz::Asia::Shanghai));
    // Where each weekday was sent, to name the caller's fields in the domain's problems.
    let mut sent_at: [Option<usize>; 7] = [None; 7];
    for (index, day) in calendar.week.iter().enumerate().take(7) {
        let field = format!("calendar.week[{index}]");
        let Some(weekday) = weekday_from_proto(day.weekday) else {
            violations.add(format!("{field}.weekday"), "is required");
            continue;
        };
        let slot = weekday.num_days_from_monday() as usize;
        if sent_at[slot].replace(index).is_some() {
            violations.add(format!("{field}.weekday"), "is listed twice");
        }
        if day.windows.len() > MAX_WINDOWS {
            violations.add(
                format!("{field}.windows"),
                format!("must list at most {MAX_WINDOWS} windows"),
            );
            continue;
        }
        for (position, window) in day.windows.iter().enumerate() {
            let window_field = format!("{field}.windows[{position}]");
            let start = minute_of_day(&window.start_time, false);
            let end = minute_of_day(&window.end_time, true);
            if start.is_none() {
                violations.add(
                    format!("{window_field}.start_time"),
                    "must be a time \"HH:MM\" from 00:00 to 23:59",
                );
            }
            if end.is_none() {
                violations.add(
                    format!("{window_field}.end_time"),
                    "must be a time \"HH:MM\" from 00:01 to 24:00",
                );
            }
            if let (Some(start), Some(end)) = (start, end) {
                spec.weekdays[slot].push(WorkingWindow::new(start, end));
            }
        }
    }
    if calendar.week.len() > 7 {
        violations.add("calendar.week", "must list each weekday at most once");
    }
    let mut names = BTreeMap::new();
    if calendar.holidays.len() > MAX_DATES {
        violations.add(
            "calendar.holidays",
            format!("must list at most {MAX_DATES} dates"),
        );
    } else {
        for (index, holiday) in calendar.holidays.iter().enumerate() {
            let field = format!("calendar.holidays[{index}]");
            violations.limit_text(&format!("{field}.name"), &holiday.name, DAY_NAME_CHARS);
            match date(&holiday.date) {
                Some(day) => {
                    spec.holidays.push(day);
                    if !holiday.name.is_empty() {
                        names.insert(day, holiday.name.clone());
                    }
                }
                None => violations.add(format!("{field}.date"), "must be a date \"YYYY-MM-DD\""),
            }
        }
    }
    if calendar.make_up_days.len() > MAX_DATES {
        violations.add(
            "calendar.make_up_days",
            format!("must list at most {MAX_DATES} dates"),
        );
    } else {
        for (index, day) in calendar.make_up_days.iter().enumerate() {
            let field = format!("calendar.make_up_days[{index}]");
            violations.limit_text(&format!("{field}.name"), &day.name, DAY_NAME_CHARS);
            let works_as = weekday_from_proto(day.works_as);
            if works_as.is_none() {
                violations.add(format!("{field}.works_as"), "is required");
            }
            let parsed = date(&day.date);
            if parsed.is_none() {
                violations.add(format!("{field}.date"), "must be a date \"YYYY-MM-DD\"");
            }
            if let (Some(date), Some(works_as)) = (parsed, works_as) {
                spec.make_up_days.push(MakeUpDay { date, works_as });
                if !day.name.is_empty() {
                    names.insert(date, day.name.clone());
                }
            }
        }
    }
    // The domain's checks name its own fields; they are only meaningful once every field
    // parsed, so the indices of both agree.
    violations.finish()?;
    let business = BusinessCalendar::new(spec).map_err(|problems| {
        let mut violations = Violations::new();
        for problem in problems {
            violations.add(caller_field(&problem.field, &sent_at), problem.message);
        }
        violations.into_error()
    })?;
    Ok((business, names, calendar.etag.clone()))
}

/// The caller's field for a path of the domain's calendar.
fn caller_field(path: &str, sent_at: &[Option<usize>; 7]) -> String {
    if let Some(rest) = path.strip_prefix("weekdays[") {
        let (day, rest) = rest.split_once(']').unwrap_or((rest, ""));
        let index = day
            .parse::<usize>()
            .ok()
            .and_then(|day| sent_at.get(day).copied().flatten());
        let rest = rest
            .replace(".start", ".start_time")
            .replace(".end", ".end_time");
        return match index {
            Some(index) => format!("calendar.week[{index}]{rest}"),
            None => "calendar.week".to_owned(),
        };
    }
    if path == "weekdays" {
        return "calendar.week".to_owned();
    }
    if path.starts_with("holidays[") && !path.contains('.') {
        return format!("calendar.{path}.date");
    }
    format!("calendar.{path}")
}

/// A calendar version as the contract shows it.
pub(super) fn calendar_to_proto(version: &CalendarVersion) -> pb::BusinessCalendar {
    let spec = version.calendar.spec();
    let name = |date: &NaiveDate| version.day_names.get(date).cloned().unwrap_or_default();
    pb::BusinessCalendar {
        time_zone: spec.time_zone.name().to_owned(),
        week: WEEKDAYS
            .iter()
            .zip(&spec.weekdays)
            .filter(|(_, windows)| !windows.is_empty())
            .map(|(weekday, windows)| pb::WorkingDay {
                weekday: weekday_to_proto(*weekday),
                windows: windows
                    .iter()
                    .map(|window| pb::WorkingWindow {
                        start_time: time_of_day(window.start_minute),
                        end_time: time_of_day(window.end_minute),
                    })
                    .collect(),
            })
            .collect(),
        holidays: spec
            .holidays
            .iter()
            .map(|date| pb::Holiday {
                date: date.to_string(),
                name: name(date),
            })
            .collect(),
        make_up_days: spec
            .make_up_days
            .iter()
            .map(|day| pb::MakeUpDay {
                date: day.date.to_string(),
                works_as: weekday_to_proto(day.works_as),
                name: name(&day.date),
            })
            .collect(),
        version: version.version,
        updated_by: version.updated_by.clone(),
        update_time: Some(timestamp(version.update_time)),
        etag: etag_of(version.version),
    }
}

/// UpdateSlaPolicy's policy, or every problem at the caller's field.
pub(super) fn policy(policy: Option<&pb::SlaPolicy>) -> Result<(SlaPolicy, String), ApiError> {
    let Some(policy) = policy else {
        return Err(ApiError::invalid_field("policy", "is required"));
    };
    let mut violations = Violations::new();
    if policy.targets.len() > 4 {
        violations.add("policy.targets", "must list each priority once");
    }
    if policy.severities.len() > 9 {
        violations.add("policy.severities", "must list each category once");
    }
    if !violations.is_empty() {
        return Err(violations.into_error());
    }
    let mut violations = Violations::new();
    let mut targets = Vec::new();
    for (index, target) in policy.targets.iter().enumerate() {
        let priority = logistics_contracts::common::Priority::try_from(target.priority)
            .ok()
            .and_then(priority_from_proto);
        match priority {
            Some(priority) => targets.push((
                priority,
                Targets {
                    first_response_minutes: target.first_response_minutes,
                    resolution_minutes: target.resolution_minutes,
                },
            )),
            None => violations.add(format!("policy.targets[{index}].priority"), "is required"),
        }
    }
    let mut severities = Vec::new();
    for (index, severity) in policy.severities.iter().enumerate() {
        let category = pb::ComplaintCategory::try_from(severity.category)
            .ok()
            .and_then(category_from_proto);
        let priority = logistics_contracts::common::Priority::try_from(severity.priority)
            .ok()
            .and_then(priority_from_proto);
        match (category, priority) {
            (Some(category), Some(priority)) => severities.push((category, priority)),
            (None, _) => {
                violations.add(
                    format!("policy.severities[{index}].category"),
                    "is required",
                );
            }
            (_, None) => {
                violations.add(
                    format!("policy.severities[{index}].priority"),
                    "is required",
                );
            }
        }
    }
    violations.finish()?;
    let checked = SlaPolicy::new(&targets, &severities).map_err(|problems| {
        let mut violations = Violations::new();
        for (field, message) in problems {
            violations.add(format!("policy.{field}"), message);
        }
        violations.into_error()
    })?;
    Ok((checked, policy.etag.clone()))
}

/// A policy version as the contract shows it.
pub(super) fn policy_to_proto(version: &PolicyVersion) -> pb::SlaPolicy {
    pb::SlaPolicy {
        targets: version
            .policy
            .targets()
            .map(|(priority, targets)| pb::PriorityTarget {
                priority: priority_to_proto(priority).into(),
                first_response_minutes: targets.first_response_minutes,
                resolution_minutes: targets.resolution_minutes,
            })
            .collect(),
        severities: version
            .policy
            .severities()
            .map(|(category, priority)| pb::CategorySeverity {
                category: category_to_proto(category).into(),
                priority: priority_to_proto(priority).into(),
            })
            .collect(),
        version: version.version,
        updated_by: version.updated_by.clone(),
        update_time: Some(timestamp(version.update_time)),
        etag: etag_of(version.version),
    }
}
