//! What a batch of feed events writes, gathered and written once for the batch: new orders'
//! facts, and rollup increments.
//!
//! Under a steady stream of orders most events of a batch add to the same few rows (one customer's
//! day and month of one KPI); writing each event's increments as it comes would update those rows
//! once per event. Increments only add up, so summing them first and writing each row once at the
//! end of the batch, in the same transaction, leaves the same totals. New orders' facts go in with
//! one statement, before any event of the batch reads facts and before the rollups.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

use super::facts::{self, OrderFacts};
use super::rollups::{self, Slice};
use super::volume;
use crate::domain::kpi::{self, Increment};

/// What a batch of events writes: new orders, and what it adds to the KPI and volume rollups.
#[derive(Debug, Default)]
pub(crate) struct PendingRollups {
    new_orders: Vec<NewOrder>,
    kpis: HashMap<Slice, Vec<Increment>>,
    /// Shipments, pieces and grams by slice and day.
    volumes: HashMap<(Slice, NaiveDate), (i64, i64, i64)>,
}

/// A created order, counted once its facts are stored for the first time.
#[derive(Debug)]
struct NewOrder {
    facts: OrderFacts,
    slice: Slice,
    day: NaiveDate,
    pieces: i64,
    grams: i64,
}

impl PendingRollups {
    /// Notes an order created on `day` (in `slice`) with `pieces` and `grams`: its facts are
    /// stored by [`Self::write_new_orders`], and it is counted if they were not stored before.
    pub(crate) fn add_new_order(
        &mut self,
        facts: OrderFacts,
        slice: Slice,
        day: NaiveDate,
        (pieces, grams): (i64, i64),
    ) {
        self.new_orders.push(NewOrder {
            facts,
            slice,
            day,
            pieces,
            grams,
        });
    }

    /// Stores the facts of the orders noted so far, and counts those stored for the first time:
    /// call before reading facts.
    pub(crate) async fn write_new_orders(
        &mut self,
        conn: &mut PgConnection,
    ) -> Result<(), ApiError> {
        if self.new_orders.is_empty() {
            return Ok(());
        }
        let new_orders = std::mem::take(&mut self.new_orders);
        let facts: Vec<OrderFacts> = new_orders.iter().map(|new| new.facts.clone()).collect();
        let mut stored: HashSet<Uuid> = facts::insert_orders(conn, &facts)
            .await?
            .into_iter()
            .collect();
        for new in new_orders {
            // An order noted twice is counted once.
            if stored.remove(&new.facts.order_id) {
                self.add(&new.slice, &kpi::created(new.day));
                self.add_order(&new.slice, new.day, new.pieces, new.grams);
            }
        }
        Ok(())
    }

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
    fn add_order(&mut self, slice: &Slice, day: NaiveDate, pieces: i64, grams: i64) {
        let (shipments, all_pieces, all_grams) =
            self.volumes.entry((slice.clone(), day)).or_default();
        *shipments += 1;
        *all_pieces += pieces;
        *all_grams += grams;
    }

    /// Writes what was noted: the new orders' facts, one statement per slice for the KPIs (which
    /// sums a slice's increments by day and KPI) and one per slice and day for the volumes.
    pub(crate) async fn write(mut self, conn: &mut PgConnection) -> Result<(), ApiError> {
        self.write_new_orders(conn).await?;
        for (slice, increments) in &self.kpis {
            rollups::add(conn, slice, increments).await?;
        }
        for ((slice, day), totals) in &self.volumes {
            volume::add_orders(conn, slice, *day, *totals).await?;
        }
        Ok(())
    }
}
