//! GetRegionalReport: shipments by origin region and month, shares, trends, seasons and each
//! region's accuracy, timeliness and accident rate, from the volume and KPI rollups.

use std::collections::BTreeMap;

use logistics_platform::ApiError;

use super::Reports;
use crate::domain::kpi::Kpi;
use crate::domain::regional::{self, Period, Ratio, Season};
use crate::domain::statement::Month;
use crate::store::regional as store;

/// The most regions a report lists; the rest are counted, not listed.
pub(crate) const MAX_REGIONS: usize = 500;

/// The KPIs a region's figures show, in the order of [`RegionFigures::rates`].
pub(crate) const REGION_KPIS: [Kpi; 4] = [
    Kpi::DocumentAccuracyRate,
    Kpi::OnTimeDispatchRate,
    Kpi::OnTimeArrivalRate,
    Kpi::AccidentRate,
];

/// Shipments, pieces and grams.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Volume {
    pub shipments: i64,
    pub pieces: i64,
    pub weight_grams: i64,
}

impl Volume {
    fn add(&mut self, other: Volume) {
        self.shipments = self.shipments.saturating_add(other.shipments);
        self.pieces = self.pieces.saturating_add(other.pieces);
        self.weight_grams = self.weight_grams.saturating_add(other.weight_grams);
    }
}

/// One region of the report.
#[derive(Debug, Clone)]
pub(crate) struct RegionFigures {
    pub region_code: String,
    /// Every month of the period, in order.
    pub months: Vec<(Month, Volume)>,
    pub total: Volume,
    /// Its shipments over the company's.
    pub share: Ratio,
    /// Last month's shipments minus the first's.
    pub first_to_last_change: i64,
    pub trend_slope: Ratio,
    /// The sums of [`REGION_KPIS`], in that order.
    pub rates: [Ratio; 4],
}

/// A regional report.
#[derive(Debug, Clone)]
pub(crate) struct RegionalReport {
    pub period: Period,
    /// Every month company-wide, with its season.
    pub months: Vec<(Month, Volume, Season)>,
    pub regions: Vec<RegionFigures>,
    pub omitted_regions: usize,
    pub total: Volume,
}

impl Reports {
    /// The regional report of `period`.
    pub(crate) async fn regional_report(&self, period: Period) -> Result<RegionalReport, ApiError> {
        let (first, last) = (period.first.first_day(), period.last.last_day());
        let mut conn = self.pool.acquire().await?;
        let volumes = store::volume_by_region_and_month(&mut conn, first, last).await?;
        let rates = store::kpis_by_region(&mut conn, first, last, &REGION_KPIS).await?;
        drop(conn);

        let months = period.months();
        let index_of: BTreeMap<Month, usize> = months
            .iter()
            .enumerate()
            .map(|(index, month)| (*month, index))
            .collect();
        let empty = || {
            (
                vec![Volume::default(); months.len()],
                [Ratio {
                    numerator: 0,
                    denominator: 0,
                }; 4],
            )
        };
        let mut by_region: BTreeMap<String, (Vec<Volume>, [Ratio; 4])> = BTreeMap::new();
        let mut company = vec![Volume::default(); months.len()];
        for row in volumes {
            let Some(&index) = index_of.get(&Month::of_day(row.month)) else {
                continue;
            };
            let volume = Volume {
                shipments: row.shipments,
                pieces: row.pieces,
                weight_grams: row.weight_grams,
            };
            by_region.entry(row.region_code).or_insert_with(empty).0[index].add(volume);
            company[index].add(volume);
        }
        for (region, kpi, numerator, denominator) in rates {
            let Some(slot) = REGION_KPIS.iter().position(|wanted| *wanted == kpi) else {
                continue;
            };
            by_region.entry(region).or_insert_with(empty).1[slot] = Ratio {
                numerator,
                denominator,
            };
        }
        let mut total = Volume::default();
        company.iter().for_each(|month| total.add(*month));

        let mut regions: Vec<RegionFigures> = by_region
            .into_iter()
            .map(|(region_code, (volumes, rates))| {
                let mut region_total = Volume::default();
                volumes.iter().for_each(|month| region_total.add(*month));
                let series: Vec<i64> = volumes.iter().map(|month| month.shipments).collect();
                let change = match (series.first(), series.last()) {
                    (Some(first), Some(last)) => last.saturating_sub(*first),
                    _ => 0,
                };
                RegionFigures {
                    region_code,
                    months: months.iter().copied().zip(volumes).collect(),
                    share: Ratio {
                        numerator: region_total.shipments,
                        denominator: total.shipments,
                    },
                    total: region_total,
                    first_to_last_change: change,
                    trend_slope: regional::slope(&series),
                    rates,
                }
            })
            .collect();
        regions.sort_by(|a, b| {
            b.total
                .shipments
                .cmp(&a.total.shipments)
                .then_with(|| a.region_code.cmp(&b.region_code))
        });
        let omitted_regions = regions.len().saturating_sub(MAX_REGIONS);
        regions.truncate(MAX_REGIONS);
        let count = months.len();
        Ok(RegionalReport {
            period,
            months: months
                .iter()
                .zip(company)
                .map(|(month, volume)| {
                    let season = regional::season(volume.shipments, total.shipments, count);
                    (*month, volume, season)
                })
                .collect(),
            regions,
            omitted_regions,
            total,
        })
    }
}
