//! Rollup increments gathered over a batch of feed events and written once for the batch.
//!
//! Under a steady stream of orders most events of a batch add to the same few rows (one customer's
//! day and month of one KPI); writing each event's increments as it comes would update those rows
//! once per event. Increments only add up, so summing them first and writing each row once at the
//! end of the batch, in the same transaction, leaves the same totals.

use std::collections::HashMap;

use chrono::NaiveDate;
use logistics_platform::ApiError;
use sqlx::PgConnection;

use super::rollups::{self, Slice};
use super::volume;
use crate::domain::kpi::Increment;

/// What a batch of events adds to the KPI and volume rollups, by slice.
#[derive(Debug, Default)]
pub(crate) struct PendingRollups {
    kpis: HashMap<Slice, Vec<Increment>>,
    /// Shipments, pieces and grams by slice and day.
    volumes: HashMap<(Slice, NaiveDate), (i64, i64, i64)>,
}

impl PendingRollups {
    /// Notes `increments` to the KPIs of `slice`.
    pub(crate) fn add(&mut self, slice: &Slice, increments: &[Increment]) {
        if increments.is_empty() {
            return;
        }
        self.kpis
            .entry(slice.clone())
            .or_default()
            .extend_from_slice(increments);
    }

    /// Notes one order of `pieces` and `weight_grams` created on `day` in `slice`.
    pub(crate) fn add_order(&mut self, slice: &Slice, day: NaiveDate, pieces: i64, grams: i64) {
        let (shipments, all_pieces, all_grams) =
            self.volumes.entry((slice.clone(), day)).or_default();
        *shipments += 1;
        *all_pieces += pieces;
        *all_grams += grams;
    }

    /// Writes what was noted: one statement per slice for the KPIs (which sums a slice's
    /// increments by day and KPI) and one per slice and day for the volumes.
    pub(crate) async fn write(self, conn: &mut PgConnection) -> Result<(), ApiError> {
        for (slice, increments) in &self.kpis {
            rollups::add(conn, slice, increments).await?;
        }
        for ((slice, day), totals) in &self.volumes {
            volume::add_orders(conn, slice, *day, *totals).await?;
        }
        Ok(())
    }
}
