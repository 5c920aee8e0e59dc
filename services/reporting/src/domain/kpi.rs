//! The KPIs of DOMAIN.md as integer sums: what each fact adds to which KPI's numerator and
//! denominator, and how a KPI's value follows from the sums. Pure: the projections store what
//! these functions say, GetKpis reads the sums back.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use logistics_platform::named_enum;

named_enum! {
    /// A key performance indicator.
    Kpi {
        /// Picked up by the end of the pickup window / picked up.
        OnTimeDispatchRate = "ON_TIME_DISPATCH_RATE",
        /// Delivered by the promised time / delivered.
        OnTimeArrivalRate = "ON_TIME_ARRIVAL_RATE",
        /// Delivered without document errors / delivered.
        DocumentAccuracyRate = "DOCUMENT_ACCURACY_RATE",
        /// Delivered with damaged pieces / delivered.
        DamageRate = "DAMAGE_RATE",
        /// Delivered with every piece missing / delivered.
        LossRate = "LOSS_RATE",
        /// Delivered with some, not all, pieces missing / delivered.
        ShortageRate = "SHORTAGE_RATE",
        /// Sum of cycle times in minutes / delivered.
        AverageCycleTime = "AVERAGE_CYCLE_TIME",
        /// Sum of squared cycle times in minutes / delivered.
        CycleTimeStddev = "CYCLE_TIME_STDDEV",
        /// Created orders whose route changed / created.
        RouteChangeRate = "ROUTE_CHANGE_RATE",
        /// Created orders returned to sender / created.
        ReturnRate = "RETURN_RATE",
        /// Complaints first answered within SLA / received.
        FeedbackTimeliness = "FEEDBACK_TIMELINESS",
        /// Resolutions within SLA / resolutions.
        ResolutionTimeliness = "RESOLUTION_TIMELINESS",
        /// Rated 4 or 5 / rated (latest rating of each complaint).
        ResolutionSatisfactionRate = "RESOLUTION_SATISFACTION_RATE",
        /// Tracking events recorded within 15 minutes of occurring / recorded.
        InformationTimeliness = "INFORMATION_TIMELINESS",
        /// Follow-ups done by their due time / follow-ups due.
        ReturnVisitRate = "RETURN_VISIT_RATE",
        /// Customers turned CHURNED in the period / customers ACTIVE at its start.
        ChurnRate = "CHURN_RATE",
        /// Delivered with damage, loss or shortage, each order once whatever the kinds / delivered.
        AccidentRate = "ACCIDENT_RATE",
    }
}

/// What one fact adds to one KPI of one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Increment {
    /// Which KPI.
    pub kpi: Kpi,
    /// The company-local day the fact belongs to.
    pub day: NaiveDate,
    /// Added above the line (negative to take back an earlier rating).
    pub numerator: i64,
    /// Added below the line.
    pub denominator: i64,
}

/// The company-local day of `instant` in `zone`.
pub fn day_of(instant: DateTime<Utc>, zone: FixedOffset) -> NaiveDate {
    instant.with_timezone(&zone).date_naive()
}

fn count(kpi: Kpi, day: NaiveDate, counted: bool) -> Increment {
    Increment {
        kpi,
        day,
        numerator: i64::from(counted),
        denominator: 1,
    }
}

/// A pickup: on time when within its window.
pub fn picked_up(day: NaiveDate, within_window: bool) -> Vec<Increment> {
    vec![count(Kpi::OnTimeDispatchRate, day, within_window)]
}

/// A delivery, as the orders feed reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivery {
    /// The company-local day of the delivery.
    pub day: NaiveDate,
    /// Delivered by the promised time.
    pub on_time: bool,
    /// The documents had errors.
    pub document_errors: bool,
    /// Pieces of the order.
    pub total_pieces: i32,
    /// Pieces delivered damaged.
    pub damaged_pieces: i32,
    /// Pieces missing at delivery.
    pub missing_pieces: i32,
    /// From creation to delivery, in whole minutes; `None` when the creation is unknown.
    pub cycle_minutes: Option<i64>,
}

/// What a delivery adds: arrival, documents, incidents, and its cycle time.
pub fn delivered(delivery: &Delivery) -> Vec<Increment> {
    let day = delivery.day;
    let lost = delivery.total_pieces > 0 && delivery.missing_pieces >= delivery.total_pieces;
    let short = delivery.missing_pieces > 0 && !lost;
    let mut increments = vec![
        count(Kpi::OnTimeArrivalRate, day, delivery.on_time),
        count(Kpi::DocumentAccuracyRate, day, !delivery.document_errors),
        count(Kpi::DamageRate, day, delivery.damaged_pieces > 0),
        count(Kpi::LossRate, day, lost),
        count(Kpi::ShortageRate, day, short),
        // Its own count: damage and shortage together are one accident, not two.
        count(
            Kpi::AccidentRate,
            day,
            delivery.damaged_pieces > 0 || lost || short,
        ),
    ];
    if let Some(minutes) = delivery.cycle_minutes {
        let minutes = minutes.max(0);
        increments.push(Increment {
            kpi: Kpi::AverageCycleTime,
            day,
            numerator: minutes,
            denominator: 1,
        });
        increments.push(Increment {
            kpi: Kpi::CycleTimeStddev,
            day,
            numerator: minutes.saturating_mul(minutes),
            denominator: 1,
        });
    }
    increments
}

/// An order created: the denominators of the route-change and return rates.
pub fn created(day: NaiveDate) -> Vec<Increment> {
    vec![
        count(Kpi::RouteChangeRate, day, false),
        count(Kpi::ReturnRate, day, false),
    ]
}

/// An order's route changed (counted once per order, on the day it was created).
pub fn route_changed(created_day: NaiveDate) -> Increment {
    Increment {
        kpi: Kpi::RouteChangeRate,
        day: created_day,
        numerator: 1,
        denominator: 0,
    }
}

/// An order went back to its sender (counted on the day it was created).
pub fn returned(created_day: NaiveDate) -> Increment {
    Increment {
        kpi: Kpi::ReturnRate,
        day: created_day,
        numerator: 1,
        denominator: 0,
    }
}

/// A batch's tracking events of one order, recorded on `day`: how many, how many in time.
pub fn tracking_recorded(day: NaiveDate, events: i32, timely_events: i32) -> Increment {
    Increment {
        kpi: Kpi::InformationTimeliness,
        day,
        numerator: i64::from(timely_events.clamp(0, events.max(0))),
        denominator: i64::from(events.max(0)),
    }
}

/// What happened to a follow-up, as the customers feed tells it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUpStep {
    /// Scheduled: one more follow-up due.
    Scheduled,
    /// Done, on time when done no later than it was due.
    Completed {
        /// Done by its due time.
        on_time: bool,
    },
    /// Called off before it was done: no longer due.
    Cancelled,
    /// Not done by its due time: nothing changes (it stays due and not done).
    Missed,
}

/// What a follow-up step adds to the return-visit rate of the day the follow-up was due.
pub fn follow_up(due_day: NaiveDate, step: FollowUpStep) -> Option<Increment> {
    let (numerator, denominator) = match step {
        FollowUpStep::Scheduled => (0, 1),
        FollowUpStep::Completed { on_time: true } => (1, 0),
        FollowUpStep::Cancelled => (0, -1),
        FollowUpStep::Completed { on_time: false } | FollowUpStep::Missed => return None,
    };
    Some(Increment {
        kpi: Kpi::ReturnVisitRate,
        day: due_day,
        numerator,
        denominator,
    })
}

/// A customer turned CHURNED on `day`: the churn rate's numerator (its denominator, the customers
/// ACTIVE when a period starts, is read from the status history, not summed).
pub fn churned(day: NaiveDate) -> Increment {
    Increment {
        kpi: Kpi::ChurnRate,
        day,
        numerator: 1,
        denominator: 0,
    }
}

/// A complaint received: the denominator of feedback timeliness, on the day of filing.
pub fn complaint_filed(day: NaiveDate) -> Increment {
    count(Kpi::FeedbackTimeliness, day, false)
}

/// The first answer to a complaint filed on `filed_day`: counted when within its SLA.
pub fn first_response(filed_day: NaiveDate, within_sla: bool) -> Option<Increment> {
    within_sla.then_some(Increment {
        kpi: Kpi::FeedbackTimeliness,
        day: filed_day,
        numerator: 1,
        denominator: 0,
    })
}

/// A resolution, on its day.
pub fn resolved(day: NaiveDate, within_sla: bool) -> Increment {
    count(Kpi::ResolutionTimeliness, day, within_sla)
}

/// Whether a score makes a satisfied customer.
fn satisfied(score: i32) -> bool {
    score >= 4
}

/// A rating on `day`, replacing the complaint's earlier one (`previous`: its day and score), so
/// only the latest rating of each complaint counts.
pub fn rated(day: NaiveDate, score: i32, previous: Option<(NaiveDate, i32)>) -> Vec<Increment> {
    let mut increments = Vec::new();
    if let Some((previous_day, previous_score)) = previous {
        increments.push(Increment {
            kpi: Kpi::ResolutionSatisfactionRate,
            day: previous_day,
            numerator: -i64::from(satisfied(previous_score)),
            denominator: -1,
        });
    }
    increments.push(count(
        Kpi::ResolutionSatisfactionRate,
        day,
        satisfied(score),
    ));
    increments
}

/// numerator / denominator; `None` when the denominator is not positive (nothing was counted).
/// Every rate and average of reporting is read through it.
pub fn ratio(numerator: i64, denominator: i64) -> Option<f64> {
    #[allow(clippy::cast_precision_loss)] // sums far below 2^52 in practice; a report, not money
    (denominator > 0).then(|| numerator as f64 / denominator as f64)
}

/// A KPI's value from its sums: numerator / denominator, the square root of the variance for the
/// cycle time's deviation (its average is `average_cycle`'s value); `None` with nothing counted.
pub fn value(
    kpi: Kpi,
    numerator: i64,
    denominator: i64,
    average_cycle: Option<f64>,
) -> Option<f64> {
    let ratio = ratio(numerator, denominator)?;
    match kpi {
        Kpi::CycleTimeStddev => {
            let mean = average_cycle?;
            Some((ratio - mean * mean).max(0.0).sqrt())
        }
        _ => Some(ratio),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_delivery_counts_once_below_every_delivery_kpi_and_above_those_it_meets() {
        let delivery = Delivery {
            day: day("2026-12-05"),
            on_time: true,
            document_errors: true,
            total_pieces: 5,
            damaged_pieces: 1,
            missing_pieces: 2,
            cycle_minutes: Some(90),
        };
        let increments = delivered(&delivery);
        let of = |kpi| {
            increments
                .iter()
                .find(|increment| increment.kpi == kpi)
                .map(|increment| (increment.numerator, increment.denominator))
        };
        assert_eq!(of(Kpi::OnTimeArrivalRate), Some((1, 1)));
        assert_eq!(of(Kpi::DocumentAccuracyRate), Some((0, 1)));
        assert_eq!(of(Kpi::DamageRate), Some((1, 1)));
        assert_eq!(of(Kpi::ShortageRate), Some((1, 1)));
        assert_eq!(of(Kpi::LossRate), Some((0, 1)));
        assert_eq!(
            of(Kpi::AccidentRate),
            Some((1, 1)),
            "damaged and short: one accident"
        );
        assert_eq!(of(Kpi::AverageCycleTime), Some((90, 1)));
        assert_eq!(of(Kpi::CycleTimeStddev), Some((8100, 1)));
    }

    #[test]
    fn every_piece_missing_is_a_loss_not_a_shortage() {
        let delivery = Delivery {
            day: day("2026-12-05"),
            on_time: false,
            document_errors: false,
            total_pieces: 3,
            damaged_pieces: 0,
            missing_pieces: 3,
            cycle_minutes: None,
        };
        let increments = delivered(&delivery);
        let counted: Vec<_> = increments
            .iter()
            .filter(|increment| increment.numerator == 1)
            .map(|increment| increment.kpi)
            .collect();
        assert_eq!(
            counted,
            [Kpi::DocumentAccuracyRate, Kpi::LossRate, Kpi::AccidentRate]
        );
        assert!(increments.iter().all(|i| i.kpi != Kpi::AverageCycleTime));
    }

    #[test]
    fn a_new_rating_takes_back_the_earlier_one_of_the_same_complaint() {
        let first = rated(day("2026-12-01"), 2, None);
        assert_eq!(first.len(), 1);
        assert_eq!((first[0].numerator, first[0].denominator), (0, 1));
        let second = rated(day("2026-12-03"), 5, Some((day("2026-12-01"), 2)));
        let sums = second
            .iter()
            .fold((0, 0), |(n, d), i| (n + i.numerator, d + i.denominator));
        assert_eq!(sums, (1, 0), "one rated complaint, now satisfied");
        assert_eq!(second[0].day, day("2026-12-01"));
    }

    #[test]
    fn values_follow_from_the_sums_and_the_deviation_from_the_squares() {
        assert_eq!(value(Kpi::OnTimeArrivalRate, 3, 4, None), Some(0.75));
        assert_eq!(value(Kpi::OnTimeArrivalRate, 0, 0, None), None);
        // Cycle times 60 and 120 minutes: average 90, deviation 30.
        let average = value(Kpi::AverageCycleTime, 180, 2, None);
        assert_eq!(average, Some(90.0));
        assert_eq!(
            value(Kpi::CycleTimeStddev, 3600 + 14_400, 2, average),
            Some(30.0)
        );
    }

    #[test]
    fn a_batch_counts_its_events_and_the_timely_ones_never_more_than_it_stored() {
        let on = day("2026-12-05");
        let counted = tracking_recorded(on, 7, 3);
        assert_eq!(
            (counted.kpi, counted.numerator, counted.denominator),
            (Kpi::InformationTimeliness, 3, 7)
        );
        let odd = tracking_recorded(on, 2, 5);
        assert_eq!((odd.numerator, odd.denominator), (2, 2));
        let negative = tracking_recorded(on, -1, -1);
        assert_eq!((negative.numerator, negative.denominator), (0, 0));
    }

    #[test]
    fn a_follow_up_is_due_once_done_in_time_or_not_and_a_cancelled_one_is_not_due() {
        let due = day("2026-12-05");
        let sum = |steps: &[FollowUpStep]| {
            steps
                .iter()
                .filter_map(|step| follow_up(due, *step))
                .fold((0, 0), |(n, d), i| (n + i.numerator, d + i.denominator))
        };
        use FollowUpStep::*;
        assert_eq!(sum(&[Scheduled, Completed { on_time: true }]), (1, 1));
        assert_eq!(
            sum(&[Scheduled, Missed, Completed { on_time: false }]),
            (0, 1)
        );
        assert_eq!(sum(&[Scheduled, Cancelled]), (0, 0));
    }

    #[test]
    fn a_churned_customer_counts_above_the_line_on_its_day() {
        let on = day("2026-12-05");
        let counted = churned(on);
        assert_eq!(
            (
                counted.kpi,
                counted.day,
                counted.numerator,
                counted.denominator
            ),
            (Kpi::ChurnRate, on, 1, 0)
        );
    }

    #[test]
    fn a_day_is_the_company_local_day() {
        let zone = logistics_platform::time::company_time_zone();
        let late_utc = DateTime::parse_from_rfc3339("2026-12-04T16:30:00Z")
            .unwrap()
            .to_utc();
        assert_eq!(day_of(late_utc, zone), day("2026-12-05"));
    }
}
