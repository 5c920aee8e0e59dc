//! What each followed event does to reporting's read models, inside the follower's transaction
//! (which also moves the feed's cursor and skips an event id applied before): facts kept for
//! later events, the KPI increments the domain computes, added to their day's rollup, and each
//! created order's volume (shipments, pieces, grams) on its creation day.

use chrono::{DateTime, Utc};
use logistics_contracts::complaints::stream_changes_response::Event as ComplaintEvent;
use logistics_contracts::customers::stream_changes_response::Event as CustomerEvent;
use logistics_contracts::orders::stream_changes_response::Event as OrderEvent;
use logistics_platform::ApiError;
use logistics_platform::time::{company_time_zone, from_timestamp};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::app::segments::stored_name;
use crate::domain::kpi::{self, Delivery, FollowUpStep, day_of};
use crate::domain::segment::Dimension;
use crate::store::facts::{self, ComplaintFacts, CustomerFacts, OrderFacts};
use crate::store::pending::PendingRollups;
use crate::store::rollups::Slice;

/// Whether an event was taken into the read models.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Taken {
    /// Its effects are written (or it has none for reporting).
    Applied,
    /// It names a record reporting never heard of (its creation came before reporting followed
    /// the feed, or is lost): passed over.
    UnknownRecord,
}

fn time(stamp: Option<&prost_types::Timestamp>, fallback: DateTime<Utc>) -> DateTime<Utc> {
    stamp.and_then(from_timestamp).unwrap_or(fallback)
}

fn uuid(text: &str) -> Option<Uuid> {
    Uuid::try_parse(text).ok()
}

/// A transport mode's name in the rollups ("ROAD", "RAIL"...); empty for none, or for one these
/// contracts do not know. GetKpis names a mode filter the same way.
pub(crate) fn mode_name(mode: i32) -> String {
    logistics_contracts::common::TransportMode::try_from(mode)
        .ok()
        .filter(|mode| *mode != logistics_contracts::common::TransportMode::Unspecified)
        .map(|mode| {
            mode.as_str_name()
                .trim_start_matches("TRANSPORT_MODE_")
                .to_owned()
        })
        .unwrap_or_default()
}

/// A customer status's stored name ("ACTIVE", "CHURNED"...); empty for one these contracts do
/// not know.
fn status_name(status: i32) -> String {
    logistics_contracts::customers::CustomerStatus::try_from(status)
        .ok()
        .map(|status| {
            status
                .as_str_name()
                .trim_start_matches("CUSTOMER_STATUS_")
                .to_owned()
        })
        .unwrap_or_default()
}

fn order_slice(order: &OrderFacts) -> Slice {
    Slice {
        customer_id: order.customer_id,
        region_code: order.origin_region.clone(),
        mode: order.mode.clone(),
        agent: String::new(),
    }
}

/// Applies an orders-feed event written at `written`, noting its rollup increments in `pending`.
pub(crate) async fn order_event(
    (tx, pending): (&mut PgConnection, &mut PendingRollups),
    event: &OrderEvent,
    written: DateTime<Utc>,
) -> Result<Taken, ApiError> {
    let zone = company_time_zone();
    // The other events read the facts of orders, maybe one created earlier in this batch.
    if !matches!(event, OrderEvent::OrderCreated(_)) {
        pending.write_new_orders(tx).await?;
    }
    match event {
        OrderEvent::OrderCreated(created) => {
            let Some(order) = &created.order else {
                return Err(anyhow::anyhow!("order.created without its order").into());
            };
            let (Some(order_id), Some(customer_id)) = (uuid(&order.id), uuid(&order.customer_id))
            else {
                return Ok(Taken::UnknownRecord);
            };
            let facts = OrderFacts {
                order_id,
                customer_id,
                origin_region: order
                    .origin
                    .as_ref()
                    .map(|origin| origin.region_code.clone())
                    .unwrap_or_default(),
                mode: mode_name(order.mode),
                create_time: time(order.create_time.as_ref(), written),
                route_changed: false,
                returned: false,
                // Spend is kept in CNY only, the currency every rate card quotes in.
                price_fen: order
                    .quote
                    .as_ref()
                    .and_then(|quote| quote.price.as_ref())
                    .filter(|price| price.currency_code == logistics_platform::money::CNY)
                    .map_or(0, |price| price.amount_minor),
            };
            let day = day_of(facts.create_time, zone);
            let (pieces, grams) = (order.total_pieces.max(0), order.total_weight_grams.max(0));
            let slice = order_slice(&facts);
            pending.add_new_order(facts, slice, day, (pieces.into(), grams));
            Ok(Taken::Applied)
        }
        OrderEvent::OrderPickedUp(picked) => {
            let Some(order) = known_order(tx, &picked.order_id).await? else {
                return Ok(Taken::UnknownRecord);
            };
            let day = day_of(time(picked.pickup_time.as_ref(), written), zone);
            pending.add(
                &order_slice(&order),
                &kpi::picked_up(day, picked.within_window),
            );
            Ok(Taken::Applied)
        }
        OrderEvent::OrderDelivered(delivered) => {
            let Some(order) = known_order(tx, &delivered.order_id).await? else {
                return Ok(Taken::UnknownRecord);
            };
            let delivery_time = time(delivered.delivery_time.as_ref(), written);
            let delivery = Delivery {
                day: day_of(delivery_time, zone),
                on_time: delivered.on_time,
                document_errors: delivered.document_errors,
                total_pieces: delivered.total_pieces,
                damaged_pieces: delivered.damaged_pieces,
                missing_pieces: delivered.missing_pieces,
                cycle_minutes: Some((delivery_time - order.create_time).num_minutes()),
            };
            pending.add(&order_slice(&order), &kpi::delivered(&delivery));
            Ok(Taken::Applied)
        }
        OrderEvent::OrderCancelled(cancelled) => {
            let Some(order) = known_order(tx, &cancelled.order_id).await? else {
                return Ok(Taken::UnknownRecord);
            };
            facts::cancel_order(tx, order.order_id).await?;
            Ok(Taken::Applied)
        }
        OrderEvent::RouteChanged(changed) => {
            once_per_order((tx, pending), &changed.order_id, Once::RouteChanged).await
        }
        OrderEvent::OrderReturned(returned) => {
            once_per_order((tx, pending), &returned.order_id, Once::Returned).await
        }
        OrderEvent::TrackingEventsRecorded(recorded) => {
            let day = day_of(time(recorded.record_time.as_ref(), written), zone);
            for counts in &recorded.orders {
                let Some(customer_id) = uuid(&counts.customer_id) else {
                    continue;
                };
                let slice = Slice {
                    customer_id,
                    region_code: counts.origin_region_code.clone(),
                    mode: mode_name(counts.mode),
                    agent: String::new(),
                };
                let increment = kpi::tracking_recorded(day, counts.events, counts.timely_events);
                pending.add(&slice, &[increment]);
            }
            Ok(Taken::Applied)
        }
        // The other events carry no KPI fact, nor does an event newer than these contracts.
        _ => Ok(Taken::Applied),
    }
}

async fn known_order(tx: &mut PgConnection, id: &str) -> Result<Option<OrderFacts>, ApiError> {
    match uuid(id) {
        Some(id) => facts::order(tx, id).await,
        None => Ok(None),
    }
}

/// The facts counted once per order whatever number of events report them.
enum Once {
    RouteChanged,
    Returned,
}

async fn once_per_order(
    (tx, pending): (&mut PgConnection, &mut PendingRollups),
    order_id: &str,
    once: Once,
) -> Result<Taken, ApiError> {
    let Some(order) = known_order(tx, order_id).await? else {
        return Ok(Taken::UnknownRecord);
    };
    let created_day = day_of(order.create_time, company_time_zone());
    let increment = match once {
        Once::RouteChanged if !order.route_changed => kpi::route_changed(created_day),
        Once::Returned if !order.returned => kpi::returned(created_day),
        _ => return Ok(Taken::Applied),
    };
    pending.add(&order_slice(&order), &[increment]);
    let (route_changed, returned) = match once {
        Once::RouteChanged => (true, false),
        Once::Returned => (false, true),
    };
    facts::mark_order(tx, order.order_id, route_changed, returned).await?;
    Ok(Taken::Applied)
}

/// Applies a customers-feed event written at `written`: reporting keeps each customer's current
/// dimensions (region, kind, tier, status... for complaints and segmentation),
/// and counts follow-ups by the day they were due.
pub(crate) async fn customer_event(
    (tx, pending): (&mut PgConnection, &mut PendingRollups),
    event: &CustomerEvent,
    written: DateTime<Utc>,
) -> Result<Taken, ApiError> {
    let step = match event {
        CustomerEvent::FollowUpScheduled(scheduled) => Some((
            &scheduled.customer_id,
            scheduled.due_time.as_ref(),
            FollowUpStep::Scheduled,
        )),
        CustomerEvent::FollowUpCompleted(completed) => {
            let due = time(completed.due_time.as_ref(), written);
            let done = time(completed.complete_time.as_ref(), written);
            Some((
                &completed.customer_id,
                completed.due_time.as_ref(),
                FollowUpStep::Completed {
                    on_time: done <= due,
                },
            ))
        }
        CustomerEvent::FollowUpMissed(missed) => Some((
            &missed.customer_id,
            missed.due_time.as_ref(),
            FollowUpStep::Missed,
        )),
        CustomerEvent::FollowUpCancelled(cancelled) => Some((
            &cancelled.customer_id,
            cancelled.due_time.as_ref(),
            FollowUpStep::Cancelled,
        )),
        _ => None,
    };
    if let Some((customer_id, due_time, step)) = step {
        let Some(customer_id) = uuid(customer_id) else {
            return Ok(Taken::UnknownRecord);
        };
        let due_day = day_of(time(due_time, written), company_time_zone());
        if let Some(increment) = kpi::follow_up(due_day, step) {
            let slice = Slice {
                customer_id,
                region_code: facts::customer_region(tx, customer_id).await?,
                mode: String::new(),
                agent: String::new(),
            };
            pending.add(&slice, &[increment]);
        }
        return Ok(Taken::Applied);
    }
    if let CustomerEvent::CustomerStatusChanged(change) = event {
        let Some(customer_id) = uuid(&change.customer_id) else {
            return Ok(Taken::UnknownRecord);
        };
        let since = time(change.change_time.as_ref(), written);
        let status = status_name(change.to_status);
        facts::record_status(tx, customer_id, since, &status).await?;
        facts::set_customer_status(tx, customer_id, &status).await?;
        if status == "CHURNED" {
            let slice = Slice {
                customer_id,
                region_code: facts::customer_region(tx, customer_id).await?,
                mode: String::new(),
                agent: String::new(),
            };
            let day = day_of(since, company_time_zone());
            pending.add(&slice, &[kpi::churned(day)]);
        }
        return Ok(Taken::Applied);
    }
    if let CustomerEvent::CustomerTierChanged(change) = event {
        let Some(customer_id) = uuid(&change.customer_id) else {
            return Ok(Taken::UnknownRecord);
        };
        let tier = stored_name(Dimension::Tier, change.to_tier).unwrap_or_default();
        let value_class =
            stored_name(Dimension::ValueClass, change.to_value_class).unwrap_or_default();
        facts::set_customer_tier(tx, customer_id, &tier, &value_class).await?;
        return Ok(Taken::Applied);
    }
    if let CustomerEvent::CustomerCreated(created) = event
        && let Some(customer) = &created.customer
        && let Some(customer_id) = uuid(&customer.id)
    {
        let since = time(customer.create_time.as_ref(), written);
        facts::record_status(tx, customer_id, since, &status_name(customer.status)).await?;
    }
    let (customer, deleted) = match event {
        CustomerEvent::CustomerCreated(created) => (created.customer.as_ref(), false),
        CustomerEvent::CustomerUpdated(updated) => (updated.customer.as_ref(), false),
        CustomerEvent::CustomerDeleted(deleted) => (deleted.customer.as_ref(), true),
        _ => return Ok(Taken::Applied),
    };
    let Some(customer) = customer else {
        return Err(anyhow::anyhow!("a customer event without its customer").into());
    };
    let Some(id) = uuid(&customer.id) else {
        return Ok(Taken::UnknownRecord);
    };
    let name = |dimension, value| stored_name(dimension, value).unwrap_or_default();
    let facts = CustomerFacts {
        customer_id: id,
        region_code: customer.region_code.clone(),
        kind: name(Dimension::Kind, customer.kind),
        role: name(Dimension::Role, customer.role),
        tier: name(Dimension::Tier, customer.tier),
        value_class: name(Dimension::ValueClass, customer.value_class),
        industry: customer.industry.clone(),
        status: status_name(customer.status),
        deleted: deleted || customer.delete_time.is_some(),
    };
    facts::upsert_customer(tx, &facts).await?;
    Ok(Taken::Applied)
}

fn complaint_slice(complaint: &ComplaintFacts, agent: &str) -> Slice {
    Slice {
        customer_id: complaint.customer_id,
        region_code: complaint.region_code.clone(),
        mode: complaint.mode.clone(),
        agent: agent.to_owned(),
    }
}

/// Applies a complaints-feed event written at `written`.
pub(crate) async fn complaint_event(
    (tx, pending): (&mut PgConnection, &mut PendingRollups),
    event: &ComplaintEvent,
    written: DateTime<Utc>,
) -> Result<Taken, ApiError> {
    let zone = company_time_zone();
    match event {
        ComplaintEvent::ComplaintFiled(filed) => {
            let (Some(complaint_id), Some(customer_id)) =
                (uuid(&filed.complaint_id), uuid(&filed.customer_id))
            else {
                return Ok(Taken::UnknownRecord);
            };
            let mode = match uuid(&filed.order_id) {
                Some(order_id) => facts::order_mode(tx, order_id).await?,
                None => String::new(),
            };
            let complaint = ComplaintFacts {
                complaint_id,
                customer_id,
                region_code: facts::customer_region(tx, customer_id).await?,
                mode,
                agent: filed.assigned_agent.clone(),
                filed_agent: filed.assigned_agent.clone(),
                file_time: time(filed.file_time.as_ref(), written),
                rating_score: None,
                rating_time: None,
                rating_agent: None,
            };
            if facts::insert_complaint(tx, &complaint).await? {
                let increment = kpi::complaint_filed(day_of(complaint.file_time, zone));
                let slice = complaint_slice(&complaint, &complaint.filed_agent);
                pending.add(&slice, &[increment]);
            }
            Ok(Taken::Applied)
        }
        ComplaintEvent::ComplaintAssigned(assigned) => {
            let Some(mut complaint) = known_complaint(tx, &assigned.complaint_id).await? else {
                return Ok(Taken::UnknownRecord);
            };
            complaint.agent.clone_from(&assigned.agent);
            facts::update_complaint(tx, &complaint).await?;
            Ok(Taken::Applied)
        }
        ComplaintEvent::ComplaintAcknowledged(acknowledged) => {
            let Some(complaint) = known_complaint(tx, &acknowledged.complaint_id).await? else {
                return Ok(Taken::UnknownRecord);
            };
            let filed_day = day_of(complaint.file_time, zone);
            if let Some(increment) = kpi::first_response(filed_day, acknowledged.within_sla) {
                // Counted under the slice the complaint was received in, so the numerator and
                // its denominator stay in one row.
                let slice = complaint_slice(&complaint, &complaint.filed_agent);
                pending.add(&slice, &[increment]);
            }
            Ok(Taken::Applied)
        }
        ComplaintEvent::ComplaintResolved(resolved) => {
            let Some(complaint) = known_complaint(tx, &resolved.complaint_id).await? else {
                return Ok(Taken::UnknownRecord);
            };
            let day = day_of(time(resolved.resolve_time.as_ref(), written), zone);
            let increment = kpi::resolved(day, resolved.within_sla);
            let slice = complaint_slice(&complaint, &resolved.assigned_agent);
            pending.add(&slice, &[increment]);
            Ok(Taken::Applied)
        }
        ComplaintEvent::ComplaintRated(rated) => {
            let Some(mut complaint) = known_complaint(tx, &rated.complaint_id).await? else {
                return Ok(Taken::UnknownRecord);
            };
            let rate_time = time(rated.rate_time.as_ref(), written);
            let previous = match (complaint.rating_time, complaint.rating_score) {
                (Some(at), Some(score)) => Some((day_of(at, zone), i32::from(score))),
                _ => None,
            };
            let increments = kpi::rated(day_of(rate_time, zone), rated.score, previous);
            // The earlier rating is taken back from the slice it was counted in.
            let (earlier, latest) = increments.split_at(increments.len() - 1);
            if !earlier.is_empty() {
                let agent = complaint.rating_agent.clone().unwrap_or_default();
                pending.add(&complaint_slice(&complaint, &agent), earlier);
            }
            pending.add(&complaint_slice(&complaint, &rated.assigned_agent), latest);
            complaint.rating_score = i16::try_from(rated.score).ok();
            complaint.rating_time = Some(rate_time);
            complaint.rating_agent = Some(rated.assigned_agent.clone());
            facts::update_complaint(tx, &complaint).await?;
            Ok(Taken::Applied)
        }
        _ => Ok(Taken::Applied),
    }
}

async fn known_complaint(
    tx: &mut PgConnection,
    id: &str,
) -> Result<Option<ComplaintFacts>, ApiError> {
    match uuid(id) {
        Some(id) => facts::complaint(tx, id).await,
        None => Ok(None),
    }
}
