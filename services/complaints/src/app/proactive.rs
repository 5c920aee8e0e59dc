//! Opening a proactive case (channel PROACTIVE) from the orders feed, in the follower's
//! transaction: assigned to the customer's account manager, with the shipment as evidence, unless
//! the customer already has an open complaint about the order.

use chrono::Utc;
use logistics_platform::ApiError;
use logistics_platform::fields::CustomerRef;
use sqlx::PgConnection;
use uuid::Uuid;

use super::filing::NewComplaint;
use super::{Complaints, actors};
use crate::domain::kinds::{Channel, Kind};
use crate::domain::proactive::ProactiveCase;
use crate::store;

/// What became of a shipment that called for a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// A case was opened.
    Opened,
    /// The customer has an open complaint about the order already.
    AlreadyOpen,
}

impl Complaints {
    /// Opens `case` about `order_id` of `customer_id` within `tx`.
    pub(crate) async fn open_proactive(
        &self,
        tx: &mut PgConnection,
        customer_id: Uuid,
        order_id: Uuid,
        case: ProactiveCase,
    ) -> Result<Opened, ApiError> {
        // Serialises the cases of one order: two events about it in quick succession (an
        // exception, then a damaged delivery) open one case, not two.
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind(format!("complaints.proactive.{order_id}"))
            .execute(&mut *tx)
            .await?;
        if store::complaints::has_open_about(tx, customer_id, order_id).await? {
            return Ok(Opened::AlreadyOpen);
        }
        let settings = self.settings().await?;
        let new = NewComplaint {
            kind: Kind::Complaint,
            channel: Channel::Proactive,
            category: case.category,
            customer: CustomerRef::Id(customer_id),
            order: Some(order_id.to_string()),
            subject: case.subject,
            description: String::new(),
            claim: None,
        };
        let parties = self.parties(&new).await?;
        let manager = self.customers.account_manager(customer_id).await?;
        self.open(
            tx,
            &settings,
            &new,
            &parties,
            actors::PROACTIVE,
            manager,
            Utc::now(),
        )
        .await?;
        Ok(Opened::Opened)
    }
}
