//! RenderStatement: a customer's monthly statement laid out as a document they would read, with
//! the month's daily shipments and the last twelve months' on-time rates beside the figures.
//! Everything comes from the rollups, as GetMonthlyStatement's figures do.

use chrono::{DateTime, NaiveDate, Utc};
use logistics_platform::ApiError;
use logistics_platform::documents::COMPANY_NAME;
use logistics_platform::time::company_time_zone;
use uuid::Uuid;

use super::Reports;
use crate::domain::kpi::{self, Kpi};
use crate::domain::statement::{Month, StatementSums, Sums};
use crate::render::{Compared, StatementFigures, StatementView};
use crate::store::{rollups, volume};

/// Months the rates chart shows, the statement's month last.
const CHART_MONTHS: usize = 12;

/// Who the statement is for, as the customers service names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Addressee {
    /// The customer.
    pub customer_id: Uuid,
    /// Its display name.
    pub name: String,
    /// Its customer code.
    pub code: String,
}

impl Reports {
    /// What the statement of `addressee`'s `month` shows, as of `now`.
    pub(crate) async fn statement_view(
        &self,
        addressee: Addressee,
        month: Month,
        now: DateTime<Utc>,
    ) -> Result<StatementView, ApiError> {
        let statement = self.monthly_statement(addressee.customer_id, month).await?;
        let mut conn = self.pool.acquire().await?;
        let (first, last) = (month.first_day(), month.last_day());
        let shipped =
            volume::daily_shipments(&mut conn, addressee.customer_id, first, last).await?;
        let months: Vec<Month> = std::iter::successors(Some(month), |month| Some(month.previous()))
            .take(CHART_MONTHS)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let rates = rollups::monthly_sums(
            &mut conn,
            addressee.customer_id,
            &[Kpi::OnTimeDispatchRate, Kpi::OnTimeArrivalRate],
            months[0].first_day(),
            last,
        )
        .await?;
        let rate_of = |month: Month, kpi: Kpi| {
            rates
                .iter()
                .find(|(start, of, _, _)| *start == month.first_day() && *of == kpi)
                .and_then(|(_, _, numerator, denominator)| ratio((*numerator, *denominator)))
        };
        Ok(StatementView {
            company_name: COMPANY_NAME.to_owned(),
            customer_name: addressee.name,
            customer_code: addressee.code,
            month: first.format("%Y-%m").to_string(),
            generated_at: now.with_timezone(&company_time_zone()),
            figures: figures(&statement.sums, &statement.previous),
            daily_shipments: every_day(first, last, &shipped),
            monthly_rates: months
                .iter()
                .map(|month| {
                    (
                        month.first_day().format("%Y-%m").to_string(),
                        rate_of(*month, Kpi::OnTimeDispatchRate),
                        rate_of(*month, Kpi::OnTimeArrivalRate),
                    )
                })
                .collect(),
        })
    }
}

/// Each day of `first..=last` with its shipments, zero where none were created.
fn every_day(
    first: NaiveDate,
    last: NaiveDate,
    shipped: &[(NaiveDate, i64)],
) -> Vec<(NaiveDate, i64)> {
    first
        .iter_days()
        .take_while(|day| *day <= last)
        .map(|day| {
            let count = shipped
                .iter()
                .find(|(shipped_on, _)| *shipped_on == day)
                .map_or(0, |(_, count)| *count);
            (day, count)
        })
        .collect()
}

/// numerator / denominator, none without a denominator.
fn ratio((numerator, denominator): Sums) -> Option<f64> {
    kpi::ratio(numerator, denominator)
}

/// The figures of a month beside the month before's.
fn figures(month: &StatementSums, before: &StatementSums) -> StatementFigures {
    let count = |of: fn(&StatementSums) -> i64| Compared::new(Some(of(month)), Some(of(before)));
    let rate = |of: fn(&StatementSums) -> Sums| Compared::new(ratio(of(month)), ratio(of(before)));
    let kilograms = |sums: &StatementSums| Some(sums.weight_grams as f64 / 1000.0);
    let hours = |sums: &StatementSums| ratio(sums.cycle).map(|minutes| minutes / 60.0);
    StatementFigures {
        shipments: count(|sums| sums.shipments),
        pieces: count(|sums| sums.pieces),
        weight_kg: Compared::new(kilograms(month), kilograms(before)),
        on_time_dispatch_rate: rate(|sums| sums.dispatch),
        on_time_arrival_rate: rate(|sums| sums.arrival),
        document_accuracy_rate: rate(|sums| sums.documents),
        damage_incidents: count(|sums| sums.damaged),
        loss_incidents: count(|sums| sums.lost),
        shortage_incidents: count(|sums| sums.short),
        complaints: count(|sums| sums.complaints),
        average_cycle_hours: Compared::new(hours(month), hours(before)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_day_of_the_month_is_shown_with_zero_where_nothing_shipped() {
        let day = |d| NaiveDate::from_ymd_opt(2026, 2, d).unwrap();
        let days = every_day(day(1), day(28), &[(day(2), 5), (day(28), 1)]);
        assert_eq!(days.len(), 28);
        assert_eq!(days[0], (day(1), 0));
        assert_eq!(days[1], (day(2), 5));
        assert_eq!(days[27], (day(28), 1));
    }

    #[test]
    fn rates_without_a_denominator_are_absent() {
        let month = StatementSums {
            dispatch: (3, 4),
            cycle: (180, 2),
            weight_grams: 2500,
            ..StatementSums::default()
        };
        let figures = figures(&month, &StatementSums::default());
        assert_eq!(
            figures.on_time_dispatch_rate,
            Compared::new(Some(0.75), None)
        );
        assert_eq!(figures.average_cycle_hours, Compared::new(Some(1.5), None));
        assert_eq!(figures.weight_kg, Compared::new(Some(2.5), Some(0.0)));
        assert_eq!(figures.shipments, Compared::new(Some(0), Some(0)));
    }
}
