//! Validation of a [`CalendarSpec`]: every problem, with the field path it concerns.

use std::collections::BTreeMap;

use super::{
    CalendarSpec, FieldProblem, MAX_HOLIDAYS, MAX_MAKE_UP_DAYS, MAX_WINDOWS_PER_DAY,
    MINUTES_PER_DAY, WorkingWindow,
};

pub(super) fn validate(spec: &CalendarSpec) -> Vec<FieldProblem> {
    let mut problems = Vec::new();
    for (day_index, windows) in spec.weekdays.iter().enumerate() {
        validate_windows(day_index, windows, &mut problems);
    }
    if spec.weekdays.iter().all(Vec::is_empty) {
        problems.push(FieldProblem::new(
            "weekdays",
            "no working time on any weekday: due times would never come",
        ));
    }

    if spec.holidays.len() > MAX_HOLIDAYS {
        problems.push(FieldProblem::new(
            "holidays",
            format!(
                "at most {MAX_HOLIDAYS} holidays, not {}",
                spec.holidays.len()
            ),
        ));
    }
    let mut holiday_indexes = BTreeMap::new();
    for (index, date) in spec.holidays.iter().enumerate() {
        if let Some(&first) = holiday_indexes.get(date) {
            problems.push(FieldProblem::new(
                format!("holidays[{index}]"),
                format!("{date} is already holidays[{first}]"),
            ));
        } else {
            holiday_indexes.insert(*date, index);
        }
    }

    if spec.make_up_days.len() > MAX_MAKE_UP_DAYS {
        problems.push(FieldProblem::new(
            "make_up_days",
            format!(
                "at most {MAX_MAKE_UP_DAYS} make-up days, not {}",
                spec.make_up_days.len()
            ),
        ));
    }
    let mut make_up_indexes = BTreeMap::new();
    for (index, day) in spec.make_up_days.iter().enumerate() {
        let date = day.date;
        if let Some(&first) = make_up_indexes.get(&date) {
            problems.push(FieldProblem::new(
                format!("make_up_days[{index}].date"),
                format!("{date} is already make_up_days[{first}]"),
            ));
        } else {
            make_up_indexes.insert(date, index);
        }
        if let Some(holiday) = holiday_indexes.get(&date) {
            problems.push(FieldProblem::new(
                format!("make_up_days[{index}].date"),
                format!("{date} is also holidays[{holiday}]: a date cannot both rest and work"),
            ));
        }
        let works_as = day.works_as;
        if spec.weekdays[works_as.num_days_from_monday() as usize].is_empty() {
            problems.push(FieldProblem::new(
                format!("make_up_days[{index}].works_as"),
                format!("{works_as} has no working windows: the make-up day would add no work"),
            ));
        }
    }
    problems
}

fn validate_windows(day_index: usize, windows: &[WorkingWindow], problems: &mut Vec<FieldProblem>) {
    if windows.len() > MAX_WINDOWS_PER_DAY {
        problems.push(FieldProblem::new(
            format!("weekdays[{day_index}].windows"),
            format!(
                "at most {MAX_WINDOWS_PER_DAY} windows a day, not {}",
                windows.len()
            ),
        ));
    }
    let mut previous_end: Option<u32> = None;
    for (index, window) in windows.iter().enumerate() {
        let path = format!("weekdays[{day_index}].windows[{index}]");
        let (start, end) = (window.start_minute, window.end_minute);
        let start_in_range = start < MINUTES_PER_DAY;
        let end_in_range = end <= MINUTES_PER_DAY;
        if !start_in_range {
            problems.push(FieldProblem::new(
                format!("{path}.start"),
                format!("minute {start} is not a time of day (0 to 1439)"),
            ));
        }
        if !end_in_range {
            problems.push(FieldProblem::new(
                format!("{path}.end"),
                format!("minute {end} is not a time of day (1 to 1440, 24:00)"),
            ));
        }
        if start_in_range && end_in_range && end <= start {
            problems.push(FieldProblem::new(
                format!("{path}.end"),
                format!(
                    "must end after the window starts ({}), not at {}",
                    hh_mm(start),
                    hh_mm(end)
                ),
            ));
        }
        if let Some(previous_end) = previous_end
            && start < previous_end
        {
            problems.push(FieldProblem::new(
                format!("{path}.start"),
                format!(
                    "must start at or after windows[{}] ends ({}), not at {}: sorted, no overlaps",
                    index - 1,
                    hh_mm(previous_end),
                    hh_mm(start)
                ),
            ));
        }
        previous_end = Some(end);
    }
}

fn hh_mm(minute: u32) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}
