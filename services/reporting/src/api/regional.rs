//! GetRegionalReport: checks the period (a quarter, a year or a range of months) and encodes the
//! report.

use logistics_contracts::reporting::get_regional_report_request::Period as PeriodField;
use logistics_contracts::reporting::{
    self as pb, GetRegionalReportRequest, RegionalFigures, RegionalMonthVolume, RegionalReport,
};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;

use super::reporting_service::ReportingApi;
use super::statements::month_field;
use crate::app::regional::{self as app, Volume};
use crate::domain::regional::{MAX_MONTHS, Period, QUARTER_RULE, RangeError, Ratio, Season};
use crate::domain::statement::Month;

/// The period a request names, with a violation per bad field.
fn period(violations: &mut Violations, request: &GetRegionalReportRequest) -> Option<Period> {
    match &request.period {
        None => {
            violations.add("period", "is required: one of quarter, year or months");
            None
        }
        Some(PeriodField::Quarter(quarter)) => {
            let period = Period::quarter(quarter);
            if period.is_none() {
                violations.add("quarter", QUARTER_RULE);
            }
            period
        }
        Some(PeriodField::Year(year)) => {
            let period = Period::year(*year);
            if period.is_none() {
                violations.add("year", "must be a year from 2000 to 9999");
            }
            period
        }
        Some(PeriodField::Months(range)) => {
            let first = month_field(violations, "months.start_month", &range.start_month, true);
            let last = month_field(violations, "months.end_month", &range.end_month, true);
            match Period::range(first?, last?) {
                Ok(period) => Some(period),
                Err(RangeError::Backwards) => {
                    violations.add("months.end_month", "must not be before start_month");
                    None
                }
                Err(RangeError::TooLong) => {
                    violations.add(
                        "months.end_month",
                        format!(
                            "must be at most {} months after start_month",
                            MAX_MONTHS - 1
                        ),
                    );
                    None
                }
            }
        }
    }
}

fn ratio(ratio: Ratio) -> pb::RegionalRatio {
    pb::RegionalRatio {
        numerator: ratio.numerator,
        denominator: ratio.denominator,
        value: ratio.value(),
    }
}

fn month_volume(month: Month, volume: Volume, season: pb::RegionalSeason) -> RegionalMonthVolume {
    RegionalMonthVolume {
        month: month.to_string(),
        shipments: volume.shipments,
        pieces: volume.pieces,
        weight_grams: volume.weight_grams,
        season: season.into(),
    }
}

fn season(season: Season) -> pb::RegionalSeason {
    match season {
        Season::Peak => pb::RegionalSeason::Peak,
        Season::OffPeak => pb::RegionalSeason::OffPeak,
        Season::Normal => pb::RegionalSeason::Normal,
    }
}

fn region(figures: &app::RegionFigures) -> RegionalFigures {
    let [
        document_accuracy,
        on_time_dispatch,
        on_time_arrival,
        accident_rate,
    ] = figures.rates;
    RegionalFigures {
        region_code: figures.region_code.clone(),
        months: figures
            .months
            .iter()
            .map(|(month, volume)| month_volume(*month, *volume, pb::RegionalSeason::Unspecified))
            .collect(),
        shipments: figures.total.shipments,
        pieces: figures.total.pieces,
        weight_grams: figures.total.weight_grams,
        share: Some(ratio(figures.share)),
        first_to_last_change: figures.first_to_last_change,
        trend_slope: Some(ratio(figures.trend_slope)),
        document_accuracy: Some(ratio(document_accuracy)),
        on_time_dispatch: Some(ratio(on_time_dispatch)),
        on_time_arrival: Some(ratio(on_time_arrival)),
        accident_rate: Some(ratio(accident_rate)),
    }
}

impl ReportingApi {
    /// GetRegionalReport.
    pub(super) async fn regional_report(
        &self,
        request: GetRegionalReportRequest,
    ) -> Result<RegionalReport, ApiError> {
        let mut violations = Violations::new();
        let period = period(&mut violations, &request);
        violations.finish()?;
        let Some(period) = period else {
            return Err(ApiError::invalid_field("period", "is required"));
        };
        let report = self.reports.regional_report(period).await?;
        Ok(RegionalReport {
            start_month: report.period.first.to_string(),
            end_month: report.period.last.to_string(),
            months: report
                .months
                .iter()
                .map(|(month, volume, kind)| month_volume(*month, *volume, season(*kind)))
                .collect(),
            regions: report.regions.iter().map(region).collect(),
            omitted_regions: i32::try_from(report.omitted_regions).unwrap_or(i32::MAX),
            shipments: report.total.shipments,
            pieces: report.total.pieces,
            weight_grams: report.total.weight_grams,
        })
    }
}
