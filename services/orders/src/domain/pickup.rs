//! Pickup windows: how long, how far ahead, and the same-day cut-off.

use chrono::{DateTime, Duration, NaiveTime, Utc};

use super::order::Window;

/// Shortest window a vehicle can be asked to call in.
const MIN_WINDOW: Duration = Duration::minutes(30);
/// Longest window: a longer one is no promise at all.
const MAX_WINDOW: Duration = Duration::hours(12);
/// How far ahead a pickup can be booked.
const MAX_LEAD: Duration = Duration::days(30);
/// The default same-day cut-off, company time: a pickup for today must be booked before it.
pub(crate) const DEFAULT_SAME_DAY_CUTOFF: NaiveTime = match NaiveTime::from_hms_opt(15, 0, 0) {
    Some(time) => time,
    None => panic!("15:00 is a time"),
};

/// Why a pickup window is refused, by the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum WindowProblem {
    /// The window ends before it starts or has no length.
    #[error("must be after start_time")]
    EndsBeforeStart,
    /// Shorter than [`MIN_WINDOW`] or longer than [`MAX_WINDOW`].
    #[error("the window must last from 30 minutes to 12 hours")]
    BadLength,
    /// Already over.
    #[error("the window is over: it must end in the future")]
    Over,
    /// Starts more than [`MAX_LEAD`] ahead.
    #[error("must be within 30 days")]
    TooFarAhead,
    /// Today, but booked after the cut-off.
    #[error(
        "same-day pickups must be booked before {cutoff} (company time); choose tomorrow or later"
    )]
    PastSameDayCutoff {
        /// The cut-off, as "HH:MM".
        cutoff: String,
    },
}

impl WindowProblem {
    /// The request field the problem is about, under the window's field name.
    pub(crate) fn field(&self) -> &'static str {
        match self {
            Self::EndsBeforeStart | Self::BadLength | Self::Over => "end_time",
            Self::TooFarAhead | Self::PastSameDayCutoff { .. } => "start_time",
        }
    }
}

/// The delivery promised for goods collected in `window`: its start plus the quoted transit time.
/// A quote promises delivery from the pickup it assumed; a scheduled pickup moves the promise.
pub(crate) fn promise_for(window: Window, transit_hours: i32) -> DateTime<Utc> {
    window.start + Duration::hours(i64::from(transit_hours))
}

/// Checks a pickup window booked at `now`; answers whether it is a same-day pickup.
pub(crate) fn check_window(
    window: Window,
    now: DateTime<Utc>,
    cutoff: NaiveTime,
) -> Result<bool, WindowProblem> {
    if window.end <= window.start {
        return Err(WindowProblem::EndsBeforeStart);
    }
    let length = window.end - window.start;
    if length < MIN_WINDOW || length > MAX_WINDOW {
        return Err(WindowProblem::BadLength);
    }
    if window.end <= now {
        return Err(WindowProblem::Over);
    }
    if window.start > now + MAX_LEAD {
        return Err(WindowProblem::TooFarAhead);
    }
    let zone = logistics_platform::time::company_time_zone();
    let local_now = now.with_timezone(&zone);
    let same_day = window.start.with_timezone(&zone).date_naive() <= local_now.date_naive();
    if same_day && local_now.time() >= cutoff {
        return Err(WindowProblem::PastSameDayCutoff {
            cutoff: cutoff.format("%H:%M").to_string(),
        });
    }
    Ok(same_day)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A time given in company time (UTC+8).
    fn local(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(&format!("{text}+08:00"))
            .unwrap()
            .with_timezone(&Utc)
    }

    fn window(start: &str, end: &str) -> Window {
        Window {
            start: local(start),
            end: local(end),
        }
    }

    #[test]
    fn windows_are_judged_by_length_lead_and_the_same_day_cut_off() {
        let cutoff = DEFAULT_SAME_DAY_CUTOFF;
        let morning = local("2026-11-23T09:00:00");
        let cases = [
            // Today, booked before the cut-off: a same-day pickup.
            (
                morning,
                window("2026-11-23T13:00:00", "2026-11-23T17:00:00"),
                Ok(true),
            ),
            // Tomorrow: not same-day.
            (
                morning,
                window("2026-11-24T09:00:00", "2026-11-24T12:00:00"),
                Ok(false),
            ),
            // Exactly 30 minutes and exactly 12 hours are accepted.
            (
                morning,
                window("2026-11-24T09:00:00", "2026-11-24T09:30:00"),
                Ok(false),
            ),
            (
                morning,
                window("2026-11-24T06:00:00", "2026-11-24T18:00:00"),
                Ok(false),
            ),
            // One minute shorter or longer is not.
            (
                morning,
                window("2026-11-24T09:00:00", "2026-11-24T09:29:00"),
                Err(WindowProblem::BadLength),
            ),
            (
                morning,
                window("2026-11-24T06:00:00", "2026-11-24T18:01:00"),
                Err(WindowProblem::BadLength),
            ),
            (
                morning,
                window("2026-11-24T10:00:00", "2026-11-24T09:00:00"),
                Err(WindowProblem::EndsBeforeStart),
            ),
            (
                morning,
                window("2026-11-23T06:00:00", "2026-11-23T08:00:00"),
                Err(WindowProblem::Over),
            ),
            (
                morning,
                window("2026-12-24T09:00:00", "2026-12-24T12:00:00"),
                Err(WindowProblem::TooFarAhead),
            ),
            // A window already open counts as today's.
            (
                morning,
                window("2026-11-23T08:00:00", "2026-11-23T12:00:00"),
                Ok(true),
            ),
        ];
        for (now, window, expected) in cases {
            assert_eq!(check_window(window, now, cutoff), expected, "{window:?}");
        }
    }

    #[test]
    fn the_promise_runs_from_the_windows_start() {
        let tomorrow = window("2026-11-24T09:00:00", "2026-11-24T12:00:00");
        assert_eq!(promise_for(tomorrow, 48), local("2026-11-26T09:00:00"));
    }

    #[test]
    fn same_day_pickups_close_at_the_cut_off_company_time() {
        let cutoff = DEFAULT_SAME_DAY_CUTOFF;
        let today = window("2026-11-23T16:00:00", "2026-11-23T20:00:00");
        assert_eq!(
            check_window(today, local("2026-11-23T14:59:59"), cutoff),
            Ok(true)
        );
        assert_eq!(
            check_window(today, local("2026-11-23T15:00:00"), cutoff),
            Err(WindowProblem::PastSameDayCutoff {
                cutoff: "15:00".to_owned()
            })
        );
        // After the cut-off, tomorrow is still fine.
        let tomorrow = window("2026-11-24T09:00:00", "2026-11-24T12:00:00");
        assert_eq!(
            check_window(tomorrow, local("2026-11-23T23:00:00"), cutoff),
            Ok(false)
        );
    }
}
