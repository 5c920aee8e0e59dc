//! GetKpis: every KPI of a period and slice, added up from the daily rollups.

use chrono::NaiveDate;
use logistics_platform::ApiError;

use super::Reports;
use crate::domain::kpi::{self, Kpi};
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
        let sums = rollups::sums(&mut conn, first, last, filter).await?;
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
