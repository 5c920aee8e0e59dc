//! What the complaints feed's events do to a customer, inside the follower's transaction: a
//! resolved complaint schedules the check-in follow-up, once per resolution.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::PgConnection;

use super::follow_up_sweep::append_scheduled;
use crate::domain::complaint_feed::{check_in_due, check_in_key, check_in_notes};
use crate::domain::customer::Customer;
use crate::domain::follow_up::FollowUpReason;
use crate::store::engagement::{self, NewFollowUp};

/// A resolution of a complaint, as the feed reported it.
pub(crate) struct Resolution<'a> {
    /// The complaint's id.
    pub(crate) complaint_id: &'a str,
    /// Its number, as people read it.
    pub(crate) complaint_number: &'a str,
    /// Which resolution (1 for the first).
    pub(crate) resolution_number: i32,
    /// When.
    pub(crate) resolve_time: DateTime<Utc>,
}

/// A complaint of `customer` (locked, live) was resolved: its account manager checks in with the
/// customer two days later. Nothing happens when this resolution has its check-in already.
pub(crate) async fn complaint_resolved(
    tx: &mut PgConnection,
    customer: &Customer,
    resolution: &Resolution<'_>,
) -> Result<(), ApiError> {
    let check_in = NewFollowUp {
        customer_id: customer.id,
        reason: FollowUpReason::ComplaintResolved,
        due_time: check_in_due(resolution.resolve_time),
        agent: customer.profile.account_manager.clone(),
        notes: check_in_notes(resolution.complaint_number, resolution.resolution_number),
        reference: resolution.complaint_number.to_owned(),
    };
    let key = check_in_key(resolution.complaint_id, resolution.resolution_number);
    if let Some(row) = engagement::insert_sourced_follow_up(tx, &check_in, &key).await? {
        append_scheduled(tx, &row).await?;
    }
    Ok(())
}
