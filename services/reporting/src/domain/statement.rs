//! Monthly statements: the calendar month in company time, the integer sums a statement keeps,
//! and its figures (values and changes) computed from them. Pure: the app reads the sums from
//! the rollups (reusing the KPI sums), stores them, and shows the figures computed here.

use std::fmt;
use std::ops::RangeInclusive;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, Utc};

use super::kpi::{self, Kpi};

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

/// The years a caller may name: reporting has nothing before 2000, and five digits are not a
/// "YYYY-MM".
pub const YEARS: RangeInclusive<i32> = 2000..=9999;

/// What a violation of a month field says.
pub const MONTH_RULE: &str = "must be a month \"YYYY-MM\" with a year from 2000 to 9999";

impl Month {
    /// Reads "YYYY-MM" (year in [`YEARS`], month 01 to 12); `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        let (year, month) = text.split_once('-')?;
        let digits = |part: &str, len: usize| {
            part.len() == len && part.bytes().all(|byte| byte.is_ascii_digit())
        };
        if !digits(year, 4) || !digits(month, 2) {
            return None;
        }
        let year: i32 = year.parse().ok()?;
        let month: u32 = month.parse().ok()?;
        (YEARS.contains(&year) && (1..=12).contains(&month)).then_some(Self { year, month })
    }

    /// The month `day` falls in.
    pub fn of_day(day: NaiveDate) -> Self {
        Self {
            year: day.year(),
            month: day.month(),
        }
    }

    /// The month of `instant` in `zone`.
    pub fn of_instant(instant: DateTime<Utc>, zone: FixedOffset) -> Self {
        Self::of_day(kpi::day_of(instant, zone))
    }

    /// Its first day.
    pub fn first_day(self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a month of a checked year")
    }

    /// Its last day.
    pub fn last_day(self) -> NaiveDate {
        self.next()
            .first_day()
            .pred_opt()
            .expect("a day before a month's first")
    }

    /// The month before.
    pub fn previous(self) -> Self {
        match self.month {
            1 => Self {
                year: self.year - 1,
                month: 12,
            },
            month => Self {
                year: self.year,
                month: month - 1,
            },
        }
    }

    /// The month after.
    pub fn next(self) -> Self {
        match self.month {
            12 => Self {
                year: self.year + 1,
                month: 1,
            },
            month => Self {
                year: self.year,
                month: month + 1,
            },
        }
    }

    /// Whether the month has ended at `now` in `zone`: its last day is over there.
    pub fn has_closed(self, now: DateTime<Utc>, zone: FixedOffset) -> bool {
        Self::of_instant(now, zone) > self
    }
}

/// The month the monthly job generates at `now`: the one before the current month (in `zone`),
/// once it has been closed for `settle` (so the events of its last minutes have come through the
/// feeds); until then, the one before that (generated already, so nothing happens).
pub fn month_to_generate(now: DateTime<Utc>, zone: FixedOffset, settle: chrono::Duration) -> Month {
    Month::of_instant(now - settle, zone).previous()
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// A numerator and its denominator.
pub type Sums = (i64, i64);

/// The integer sums of one customer's month, all read from the rollups.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatementSums {
    /// Orders created.
    pub shipments: i64,
    /// Their pieces.
    pub pieces: i64,
    /// Their actual weight, in grams.
    pub weight_grams: i64,
    /// On time dispatch: picked up in window, picked up.
    pub dispatch: Sums,
    /// On time arrival: delivered on time, delivered.
    pub arrival: Sums,
    /// Document accuracy: delivered without errors, delivered.
    pub documents: Sums,
    /// Deliveries with damage.
    pub damaged: i64,
    /// Deliveries with every piece missing.
    pub lost: i64,
    /// Deliveries with some pieces missing.
    pub short: i64,
    /// Complaints received.
    pub complaints: i64,
    /// Cycle time: sum of minutes, deliveries counted.
    pub cycle: Sums,
}

impl StatementSums {
    /// The sums of a month from its KPI sums (`kpi_sums` answers a KPI's numerator and
    /// denominator) and its volume (shipments, pieces, grams).
    pub fn from_kpis(kpi_sums: impl Fn(Kpi) -> Sums, volume: (i64, i64, i64)) -> Self {
        Self {
            shipments: volume.0,
            pieces: volume.1,
            weight_grams: volume.2,
            dispatch: kpi_sums(Kpi::OnTimeDispatchRate),
            arrival: kpi_sums(Kpi::OnTimeArrivalRate),
            documents: kpi_sums(Kpi::DocumentAccuracyRate),
            damaged: kpi_sums(Kpi::DamageRate).0,
            lost: kpi_sums(Kpi::LossRate).0,
            short: kpi_sums(Kpi::ShortageRate).0,
            // A complaint received adds one below feedback timeliness's line, on its filing day.
            complaints: kpi_sums(Kpi::FeedbackTimeliness).1,
            cycle: kpi_sums(Kpi::AverageCycleTime),
        }
    }

    /// The sums as stored, in a fixed order.
    pub fn to_vec(self) -> Vec<i64> {
        vec![
            self.shipments,
            self.pieces,
            self.weight_grams,
            self.dispatch.0,
            self.dispatch.1,
            self.arrival.0,
            self.arrival.1,
            self.documents.0,
            self.documents.1,
            self.damaged,
            self.lost,
            self.short,
            self.complaints,
            self.cycle.0,
            self.cycle.1,
        ]
    }

    /// The sums stored by [`Self::to_vec`]; `None` for a list of another length.
    pub fn from_slice(stored: &[i64]) -> Option<Self> {
        let &[
            shipments,
            pieces,
            weight_grams,
            dispatched_on_time,
            dispatched,
            arrived_on_time,
            delivered,
            accurate,
            documented,
            damaged,
            lost,
            short,
            complaints,
            cycle_minutes,
            cycles,
        ] = stored
        else {
            return None;
        };
        Some(Self {
            shipments,
            pieces,
            weight_grams,
            dispatch: (dispatched_on_time, dispatched),
            arrival: (arrived_on_time, delivered),
            documents: (accurate, documented),
            damaged,
            lost,
            short,
            complaints,
            cycle: (cycle_minutes, cycles),
        })
    }
}

/// A count in the month and the month before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountChange {
    /// This month.
    pub value: i64,
    /// The month before.
    pub previous: i64,
    /// value - previous.
    pub change: i64,
}

/// A ratio in the month and the month before.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RatioChange {
    /// This month's sums.
    pub sums: Sums,
    /// This month's value.
    pub value: Option<f64>,
    /// The month before's sums.
    pub previous_sums: Sums,
    /// The month before's value.
    pub previous_value: Option<f64>,
    /// The difference of the values: percentage points for rates, minutes for the cycle time.
    pub change: Option<f64>,
}

/// Every figure of a statement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Orders created.
    pub shipments: CountChange,
    /// Their pieces.
    pub pieces: CountChange,
    /// Their weight in grams.
    pub weight_grams: CountChange,
    /// On-time dispatch rate.
    pub on_time_dispatch: RatioChange,
    /// On-time arrival rate.
    pub on_time_arrival: RatioChange,
    /// Document accuracy rate.
    pub document_accuracy: RatioChange,
    /// Damage incidents.
    pub damage: CountChange,
    /// Loss incidents.
    pub loss: CountChange,
    /// Shortage incidents.
    pub shortage: CountChange,
    /// Complaints received.
    pub complaints: CountChange,
    /// Average cycle time in minutes.
    pub average_cycle_time: RatioChange,
}

fn count(value: i64, previous: i64) -> CountChange {
    CountChange {
        value,
        previous,
        change: value.saturating_sub(previous),
    }
}

fn ratio(kpi: Kpi, sums: Sums, previous_sums: Sums) -> RatioChange {
    let value = kpi::value(kpi, sums.0, sums.1, None);
    let previous_value = kpi::value(kpi, previous_sums.0, previous_sums.1, None);
    // Rates change in percentage points; the cycle time in minutes.
    let scale = if kpi == Kpi::AverageCycleTime {
        1.0
    } else {
        100.0
    };
    RatioChange {
        sums,
        value,
        previous_sums,
        previous_value,
        change: value
            .zip(previous_value)
            .map(|(value, previous)| (value - previous) * scale),
    }
}

/// The figures of a month with `sums`, after a month with `previous`.
pub fn figures(sums: &StatementSums, previous: &StatementSums) -> Figures {
    Figures {
        shipments: count(sums.shipments, previous.shipments),
        pieces: count(sums.pieces, previous.pieces),
        weight_grams: count(sums.weight_grams, previous.weight_grams),
        on_time_dispatch: ratio(Kpi::OnTimeDispatchRate, sums.dispatch, previous.dispatch),
        on_time_arrival: ratio(Kpi::OnTimeArrivalRate, sums.arrival, previous.arrival),
        document_accuracy: ratio(
            Kpi::DocumentAccuracyRate,
            sums.documents,
            previous.documents,
        ),
        damage: count(sums.damaged, previous.damaged),
        loss: count(sums.lost, previous.lost),
        shortage: count(sums.short, previous.short),
        complaints: count(sums.complaints, previous.complaints),
        average_cycle_time: ratio(Kpi::AverageCycleTime, sums.cycle, previous.cycle),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_month_is_read_only_as_yyyy_mm_within_the_years() {
        let cases = [
            ("2026-11", Some("2026-11")),
            ("2000-01", Some("2000-01")),
            ("9999-12", Some("9999-12")),
            ("1999-12", None),
            ("10000-01", None),
            ("2026-13", None),
            ("2026-00", None),
            ("2026-1", None),
            ("2026-+1", None),
            ("+026-01", None),
            ("2026-11-01", None),
            ("2026\u{0}-11", None),
            ("", None),
        ];
        for (text, expected) in cases {
            let parsed = Month::parse(text).map(|month| month.to_string());
            assert_eq!(parsed.as_deref(), expected, "{text:?}");
        }
    }

    #[test]
    fn months_step_over_years_and_know_their_days() {
        let january = Month::parse("2026-01").unwrap();
        assert_eq!(january.previous().to_string(), "2025-12");
        assert_eq!(january.previous().next(), january);
        assert_eq!(
            Month::parse("2024-02").unwrap().last_day().to_string(),
            "2024-02-29"
        );
        assert_eq!(
            Month::parse("9999-12").unwrap().last_day().to_string(),
            "9999-12-31"
        );
    }

    #[test]
    fn a_month_closes_at_midnight_company_time() {
        let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
        let november = Month::parse("2026-11").unwrap();
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        // 2026-11-30T15:59:59Z is 23:59:59 on 30 November in Shanghai.
        assert!(!november.has_closed(at("2026-11-30T15:59:59Z"), shanghai));
        assert!(november.has_closed(at("2026-11-30T16:00:00Z"), shanghai));
        assert!(
            !Month::parse("2026-12")
                .unwrap()
                .has_closed(at("2026-11-30T16:00:00Z"), shanghai)
        );
    }

    #[test]
    fn the_job_generates_the_month_before_once_it_has_settled() {
        let shanghai = FixedOffset::east_opt(8 * 3600).unwrap();
        let hour = chrono::Duration::hours(1);
        let at = |text: &str| text.parse::<DateTime<Utc>>().unwrap();
        // 00:30 on 1 December in Shanghai: November closed half an hour ago, not settled.
        let month = month_to_generate(at("2026-11-30T16:30:00Z"), shanghai, hour);
        assert_eq!(month.to_string(), "2026-10");
        let month = month_to_generate(at("2026-11-30T17:00:00Z"), shanghai, hour);
        assert_eq!(month.to_string(), "2026-11");
        let month = month_to_generate(at("2027-01-15T00:00:00Z"), shanghai, hour);
        assert_eq!(month.to_string(), "2026-12");
    }

    #[test]
    fn stored_sums_read_back_the_same() {
        let sums = StatementSums {
            shipments: 3,
            pieces: 15,
            weight_grams: 1_470_000,
            dispatch: (1, 2),
            arrival: (1, 2),
            documents: (2, 2),
            damaged: 1,
            lost: 0,
            short: 0,
            complaints: 2,
            cycle: (300, 2),
        };
        assert_eq!(sums.to_vec().len(), 15);
        assert_eq!(StatementSums::from_slice(&sums.to_vec()), Some(sums));
        assert_eq!(StatementSums::from_slice(&[1, 2, 3]), None);
    }

    #[test]
    fn changes_are_differences_rates_in_percentage_points() {
        let now = StatementSums {
            shipments: 3,
            dispatch: (1, 2),
            cycle: (300, 2),
            ..StatementSums::default()
        };
        let before = StatementSums {
            shipments: 5,
            dispatch: (3, 4),
            cycle: (100, 1),
            ..StatementSums::default()
        };
        let figures = figures(&now, &before);
        assert_eq!(figures.shipments.change, -2);
        assert_eq!(figures.on_time_dispatch.value, Some(0.5));
        assert_eq!(figures.on_time_dispatch.previous_value, Some(0.75));
        assert_eq!(figures.on_time_dispatch.change, Some(-25.0));
        assert_eq!(figures.average_cycle_time.change, Some(50.0));
        // Nothing delivered either month: no value, no change.
        assert_eq!(figures.on_time_arrival.value, None);
        assert_eq!(figures.on_time_arrival.change, None);
        let empty = super::figures(&now, &StatementSums::default());
        assert_eq!(empty.on_time_dispatch.change, None);
        assert_eq!(empty.shipments.change, 3);
    }
}
