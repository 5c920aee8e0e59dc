//! SQL on `business_calendars` and `sla_policies`: one row per version, the highest current.
//! Each is kept as a JSON document of plain names and numbers, so psql shows it as it reads.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc, Weekday};
use logistics_platform::ApiError;
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use sqlx::types::Json;

use crate::domain::calendar::{BusinessCalendar, CalendarSpec, MakeUpDay, WEEKDAYS, WorkingWindow};
use crate::domain::kinds::Category;
use crate::domain::policy::{Priority, SlaPolicy, Targets};
use crate::domain::settings::{CalendarVersion, PolicyVersion};

/// A calendar as stored.
#[derive(Serialize, Deserialize)]
struct CalendarDocument {
    time_zone: String,
    /// Per weekday, Monday first: each window as [start minute, end minute].
    week: Vec<Vec<[u32; 2]>>,
    holidays: Vec<NamedDate>,
    make_up_days: Vec<MakeUpDocument>,
}

#[derive(Serialize, Deserialize)]
struct NamedDate {
    date: NaiveDate,
    name: String,
}

#[derive(Serialize, Deserialize)]
struct MakeUpDocument {
    date: NaiveDate,
    /// The weekday it works as, 1 (Monday) to 7.
    works_as: u32,
    name: String,
}

impl CalendarDocument {
    fn of(calendar: &BusinessCalendar, names: &BTreeMap<NaiveDate, String>) -> Self {
        let spec = calendar.spec();
        let name = |date: &NaiveDate| names.get(date).cloned().unwrap_or_default();
        Self {
            time_zone: spec.time_zone.name().to_owned(),
            week: spec
                .weekdays
                .iter()
                .map(|windows| {
                    windows
                        .iter()
                        .map(|window| [window.start_minute, window.end_minute])
                        .collect()
                })
                .collect(),
            holidays: spec
                .holidays
                .iter()
                .map(|date| NamedDate {
                    date: *date,
                    name: name(date),
                })
                .collect(),
            make_up_days: spec
                .make_up_days
                .iter()
                .map(|day| MakeUpDocument {
                    date: day.date,
                    works_as: day.works_as.number_from_monday(),
                    name: name(&day.date),
                })
                .collect(),
        }
    }

    fn into_calendar(self) -> Result<(BusinessCalendar, BTreeMap<NaiveDate, String>), ApiError> {
        let corrupt =
            |what: String| ApiError::Internal(anyhow::anyhow!("stored business calendar: {what}"));
        let time_zone = self
            .time_zone
            .parse()
            .map_err(|_| corrupt(format!("unknown time zone {:?}", self.time_zone)))?;
        let mut spec = CalendarSpec::new(time_zone);
        for (day, windows) in spec.weekdays.iter_mut().zip(self.week) {
            *day = windows
                .into_iter()
                .map(|[start, end]| WorkingWindow::new(start, end))
                .collect();
        }
        let mut names = BTreeMap::new();
        for holiday in self.holidays {
            spec.holidays.push(holiday.date);
            names.insert(holiday.date, holiday.name);
        }
        for day in self.make_up_days {
            let works_as = usize::try_from(day.works_as)
                .ok()
                .and_then(|number| number.checked_sub(1))
                .and_then(|index| WEEKDAYS.get(index).copied())
                .unwrap_or(Weekday::Mon);
            spec.make_up_days.push(MakeUpDay {
                date: day.date,
                works_as,
            });
            names.insert(day.date, day.name);
        }
        let calendar = BusinessCalendar::new(spec).map_err(|problems| {
            corrupt(format!(
                "{} problems, the first: {}",
                problems.len(),
                problems[0]
            ))
        })?;
        names.retain(|_, name| !name.is_empty());
        Ok((calendar, names))
    }
}

/// The current calendar, or `version` of it; `None` when there is no such version.
pub(crate) async fn calendar(
    conn: &mut PgConnection,
    version: Option<i32>,
) -> Result<Option<CalendarVersion>, ApiError> {
    let row: Option<(i32, Json<CalendarDocument>, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT version, calendar, updated_by, update_time FROM business_calendars
          WHERE $1::integer IS NULL OR version = $1
          ORDER BY version DESC LIMIT 1",
    )
    .bind(version)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((version, document, updated_by, update_time)) = row else {
        return Ok(None);
    };
    let (calendar, day_names) = document.0.into_calendar()?;
    Ok(Some(CalendarVersion {
        version,
        calendar,
        day_names,
        updated_by,
        update_time,
    }))
}

/// Stores a new version of the calendar. Two writers of the same version: the second fails on
/// the primary key, which the caller reports as a concurrent change.
pub(crate) async fn insert_calendar(
    conn: &mut PgConnection,
    version: &CalendarVersion,
) -> Result<(), ApiError> {
    let document = CalendarDocument::of(&version.calendar, &version.day_names);
    sqlx::query(
        "INSERT INTO business_calendars (version, calendar, updated_by, update_time)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(version.version)
    .bind(Json(document))
    .bind(&version.updated_by)
    .bind(version.update_time)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// A policy as stored: targets and severities by name.
#[derive(Serialize, Deserialize)]
struct PolicyDocument {
    targets: Vec<TargetDocument>,
    severities: BTreeMap<String, String>,
}

#[derive(Serialize, Deserialize)]
struct TargetDocument {
    priority: String,
    first_response_minutes: i64,
    resolution_minutes: i64,
}

impl PolicyDocument {
    fn of(policy: &SlaPolicy) -> Self {
        Self {
            targets: policy
                .targets()
                .map(|(priority, targets)| TargetDocument {
                    priority: priority.as_str().to_owned(),
                    first_response_minutes: targets.first_response_minutes,
                    resolution_minutes: targets.resolution_minutes,
                })
                .collect(),
            severities: policy
                .severities()
                .map(|(category, priority)| {
                    (category.as_str().to_owned(), priority.as_str().to_owned())
                })
                .collect(),
        }
    }

    fn into_policy(self) -> Result<SlaPolicy, ApiError> {
        let corrupt =
            |what: String| ApiError::Internal(anyhow::anyhow!("stored SLA policy: {what}"));
        let priority = |name: &str| {
            Priority::parse(name).ok_or_else(|| corrupt(format!("unknown priority {name:?}")))
        };
        let targets = self
            .targets
            .iter()
            .map(|target| {
                Ok((
                    priority(&target.priority)?,
                    Targets {
                        first_response_minutes: target.first_response_minutes,
                        resolution_minutes: target.resolution_minutes,
                    },
                ))
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        let severities = self
            .severities
            .iter()
            .map(|(category, severity)| {
                let category = Category::parse(category)
                    .ok_or_else(|| corrupt(format!("unknown category {category:?}")))?;
                Ok((category, priority(severity)?))
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        SlaPolicy::new(&targets, &severities).map_err(|problems| {
            corrupt(format!(
                "{} problems, the first: {:?}",
                problems.len(),
                problems[0]
            ))
        })
    }
}

/// The current SLA policy; `None` before the first is stored.
pub(crate) async fn policy(conn: &mut PgConnection) -> Result<Option<PolicyVersion>, ApiError> {
    let row: Option<(i32, Json<PolicyDocument>, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT version, policy, updated_by, update_time FROM sla_policies
          ORDER BY version DESC LIMIT 1",
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some((version, document, updated_by, update_time)) = row else {
        return Ok(None);
    };
    Ok(Some(PolicyVersion {
        version,
        policy: document.0.into_policy()?,
        updated_by,
        update_time,
    }))
}

/// Stores a new version of the policy.
pub(crate) async fn insert_policy(
    conn: &mut PgConnection,
    version: &PolicyVersion,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO sla_policies (version, policy, updated_by, update_time)
         VALUES ($1, $2, $3, $4)",
    )
    .bind(version.version)
    .bind(Json(PolicyDocument::of(&version.policy)))
    .bind(&version.updated_by)
    .bind(version.update_time)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
