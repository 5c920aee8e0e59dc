//! GetKpis: every KPI of a period and slice, added up from the daily rollups.

use chrono::NaiveDate;
use logistics_platform::ApiError;
use logistics_platform::time::company_time_zone;

use super::Reports;
use crate::domain::kpi::{self, Kpi};
use crate::store::facts;
use crate::store::rollups::{self, SliceFilter};

/// One KPI over a period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct KpiFigure {
    /// Which.
    pub kpi: Kpi,
    /// Above the line.
    pub numerator: i64,
    /// Below the line.
    pub denominator: i64,
    /// Their ratio (or the deviation); `None` with nothing counted.
    pub value: Option<f64>,
}

impl Reports {
    /// Every KPI over `first..=last` (company-local days) of the slices `filter` takes, in the
    /// order of [`Kpi::ALL`].
    pub(crate) async fn kpis(
        &self,
        first: NaiveDate,
        last: NaiveDate,
        filter: &SliceFilter,
    ) -> Result<Vec<KpiFigure>, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let mut sums = rollups::sums(&mut conn, first, last, filter).await?;
        // Churn's denominator is a state at the period's start, not a sum of days; the status
        // history has no mode or agent, so such a filter counts no customer.
        let start = first
            .and_hms_opt(0, 0, 0)
            .and_then(|midnight| midnight.and_local_timezone(company_time_zone()).single())
            .map(|start| start.to_utc());
        let active = match start {
            Some(start) if filter.mode.is_none() && filter.agent.is_none() => {
                let region = filter.region_code.as_deref();
                facts::active_at(&mut conn, start, filter.customer_id, region).await?
            }
            _ => 0,
        };
        match sums.iter_mut().find(|(kpi, _, _)| *kpi == Kpi::ChurnRate) {
            Some(churn) => churn.2 = active,
            None => sums.push((Kpi::ChurnRate, 0, active)),
        }
        let sum_of = |wanted: Kpi| {
            sums.iter()
                .find(|(kpi, _, _)| *kpi == wanted)
                .map_or((0, 0), |(_, numerator, denominator)| {
                    (*numerator, *denominator)
                })
        };
        let (cycle_sum, delivered) = sum_of(Kpi::AverageCycleTime);
        let average_cycle = kpi::value(Kpi::AverageCycleTime, cycle_sum, delivered, None);
        Ok(Kpi::ALL
            .iter()
            .map(|&kpi| {
                let (numerator, denominator) = sum_of(kpi);
                KpiFigure {
                    kpi,
                    numerator,
                    denominator,
                    value: kpi::value(kpi, numerator, denominator, average_cycle),
                }
            })
            .collect())
    }
}
