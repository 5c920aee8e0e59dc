//! The use cases of an order's own life: creating it (idempotently, priced by the rate card in
//! force, for a customer the customers service allows), confirming and cancelling it, and what
//! every later change of an order shares: the row locked, the status-changed event.

use chrono::{DateTime, SubsecRound as _, Utc};
use logistics_contracts::orders::{
    self as pb, CreateOrderRequest, OrderCancelled, OrderConfirmed, OrderCreated,
    OrderStatusChanged, stream_changes_response,
};
use logistics_platform::ApiError;
use logistics_platform::changefeed::{self, OutboxEntry};
use logistics_platform::fields::CustomerRef;
use logistics_platform::idempotency::{self, IdempotencyKey, KeyClaim, Previous};
use logistics_platform::time::timestamp;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::errors::{ensure_etag, illegal_transition, order_not_found};
use super::order_writes::{OrderWriter, Written};
use super::proto::{order_to_proto, status_to_proto};
use super::quotes::{Quoter, quote_error};
use crate::clients::{CustomerStanding, CustomersDirectory};
use crate::domain::mode::TransportMode;
use crate::domain::order::{CargoLine, Document, NewOrder, Order, PostalAddress, Window};
use crate::domain::quote::{CargoMeasure, QuoteOutcome, ShipmentSpec, quote};
use crate::domain::status::OrderStatus;
use crate::store::orders::{
    self as store, ListFilter, ListOrder, ListPosition, NumberSource, OrderCreate, OrderRef,
};

/// A new order whose every field is valid, before it is priced.
#[derive(Debug, Clone)]
pub(crate) struct OrderDraft {
    /// The ordering customer, as the caller named it (id or customer code).
    pub(crate) customer: CustomerRef,
    /// How it travels.
    pub(crate) mode: TransportMode,
    /// Where it is picked up.
    pub(crate) origin: PostalAddress,
    /// Where it goes.
    pub(crate) destination: PostalAddress,
    /// The goods, line by line.
    pub(crate) cargo: Vec<CargoLine>,
    /// What pricing needs of each line.
    pub(crate) measures: Vec<CargoMeasure>,
    /// The pickup window the customer asked for, if any.
    pub(crate) requested_pickup: Option<Window>,
    /// The customer's own references.
    pub(crate) customer_references: Vec<String>,
    /// Documents travelling with it.
    pub(crate) documents: Vec<Document>,
}

impl OrderDraft {
    /// When the goods are expected to be collected, for the promise: the requested window's start,
    /// or now when none was requested or it has begun. Whole seconds: a promise is no finer, and
    /// the stored promise and the stored quote then agree to the digit.
    pub(crate) fn pickup_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.requested_pickup
            .map(|window| window.start.max(now))
            .unwrap_or(now)
            .trunc_subsecs(0)
    }

    /// What the rate card prices.
    pub(crate) fn shipment(&self, priority_transport: bool) -> ShipmentSpec {
        ShipmentSpec {
            mode: self.mode,
            origin_region: self.origin.region_code.clone(),
            destination_region: self.destination.region_code.clone(),
            lines: self.measures.clone(),
            priority_transport,
        }
    }

    /// The order to store, accepted at `quote`.
    fn into_new_order(
        self,
        customer_id: Uuid,
        created_by: &str,
        priority_transport: bool,
        quote: &QuoteOutcome,
    ) -> NewOrder {
        NewOrder {
            customer_id,
            mode: self.mode,
            origin: self.origin,
            destination: self.destination,
            cargo: self.cargo,
            requested_pickup: self.requested_pickup,
            customer_references: self.customer_references,
            documents: self.documents,
            priority_transport,
            quote: quote.clone(),
            created_by: created_by.to_owned(),
        }
    }
}

/// An order a caller names for a change, with the etag it read.
pub(crate) struct Named<'a> {
    /// The order, by id, order number or tracking number.
    pub(crate) order_ref: OrderRef,
    /// How the caller wrote it, for a NOT_FOUND.
    pub(crate) id: &'a str,
    /// The etag the caller read; empty to change whatever is current.
    pub(crate) etag: &'a str,
}

/// What CreateOrder needs besides the draft: the services it asks and its idempotency key.
pub(crate) struct Creation<'a> {
    /// Who creates it.
    pub(crate) principal: &'a str,
    /// The caller's request id: a retry answers the first order.
    pub(crate) request_id: Uuid,
    /// The request as sent, whose hash tells a retry from a reuse of its id.
    pub(crate) request: &'a CreateOrderRequest,
    /// For an import: the past time the order is created as of, instead of now.
    pub(crate) imported: Option<DateTime<Utc>>,
}

/// Creates an order from `draft`, once per request id: the customer resolved and allowed by the
/// customers service, priced by the card in force, stored with its OrderCreated event.
///
/// One statement stores the order, its idempotency key (with the answer) and its event, outside
/// any transaction; creates arriving together share one ([`OrderWriter`]). The event is
/// announced to the feed's readers after it commits. The order's numbers come from memory: one
/// create in a block draws the next block first ([`NumberSource`]).
pub(crate) async fn create(
    pool: &PgPool,
    customers: &CustomersDirectory,
    quoter: &Quoter,
    writer: &OrderWriter,
    numbers: &NumberSource,
    creation: Creation<'_>,
    draft: OrderDraft,
) -> Result<pb::Order, ApiError> {
    let Creation {
        principal,
        request_id,
        request,
        imported,
    } = creation;
    let key = IdempotencyKey {
        principal: principal.to_owned(),
        method: "CreateOrder",
        request_id,
    };
    let card = quoter.current_card().await?;
    // The customer from the directory's cache when it can. If customers refuses or cannot
    // answer, a retry of an order already created still gets its order.
    let (customer_id, standing) = match customer_standing(customers, &draft.customer).await {
        Ok(customer) => customer,
        Err(error) => {
            let mut conn = pool.acquire().await?;
            return match idempotency::previous(&mut conn, &key, request).await? {
                Previous::Replay(order) => Ok(order),
                Previous::Free => Err(error),
            };
        }
    };
    // An import is created as of its own time: create time, order number, promise, event. In
    // whole microseconds, as stored, so the order answered is the order read back.
    let now = imported.unwrap_or_else(Utc::now).trunc_subsecs(6);
    let pickup_at = draft.pickup_at(now);
    let quote = quote(
        &card,
        &draft.shipment(standing.priority_transport),
        pickup_at,
    )
    .map_err(quote_error)?;
    let new = draft.into_new_order(customer_id, principal, standing.priority_transport, &quote);
    // A key found taken is either answered or, once expired, released and claimed again; the
    // bound only guards against a key that keeps expiring under us.
    for _ in 0..3 {
        let numbers = numbers.draw(pool, now).await?;
        let order = new.clone().into_order(numbers, now);
        let answer = order_to_proto(&order);
        let create = OrderCreate {
            claim: KeyClaim::new(key.clone(), request, &answer),
            event: OutboxEntry::new(
                order.id.to_string(),
                stream_changes_response::Event::OrderCreated(OrderCreated {
                    order: Some(answer.clone()),
                }),
            ),
            order,
        };
        match writer.store(create).await? {
            Written::Stored => return Ok(answer),
            Written::KeyTaken => {
                let mut conn = pool.acquire().await?;
                match idempotency::previous(&mut conn, &key, request).await? {
                    Previous::Replay(order) => return Ok(order),
                    Previous::Free => continue,
                }
            }
        }
    }
    Err(ApiError::Aborted {
        reason: "IDEMPOTENCY_KEY_CONTENDED",
        message: "the request id changed hands while this create ran; retry".to_owned(),
    })
}

/// The id of the customer `customer` names, and its standing; FAILED_PRECONDITION if it may not
/// order.
async fn customer_standing(
    customers: &CustomersDirectory,
    customer: &CustomerRef,
) -> Result<(Uuid, CustomerStanding), ApiError> {
    let customer_id = customers.resolve(customer).await?;
    Ok((customer_id, customers.standing(customer_id).await?))
}

/// Confirms an order, with its OrderConfirmed and status-changed events.
pub(crate) async fn confirm(pool: &PgPool, named: Named<'_>) -> Result<Order, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, &named.order_ref, named.id).await?;
    ensure_etag(&current, named.etag)?;
    let to = current
        .status
        .transition(OrderStatus::Confirmed)
        .map_err(|_| illegal_transition(&current, OrderStatus::Confirmed))?;
    let now = Utc::now();
    let confirmed = store::set_status(&mut tx, current.id, to, None, now).await?;
    let event = stream_changes_response::Event::OrderConfirmed(OrderConfirmed {
        order_id: confirmed.id.to_string(),
        customer_id: confirmed.customer_id.to_string(),
        confirm_time: Some(timestamp(now)),
    });
    changefeed::record(&mut tx, &confirmed.id.to_string(), event).await?;
    append_status_changed(&mut tx, &current, &confirmed, "ConfirmOrder").await?;
    tx.commit().await?;
    Ok(confirmed)
}

/// Cancels an order for `reason` (trimmed), with its OrderCancelled and status-changed events.
pub(crate) async fn cancel(
    pool: &PgPool,
    named: Named<'_>,
    reason: &str,
) -> Result<Order, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, &named.order_ref, named.id).await?;
    ensure_etag(&current, named.etag)?;
    let to = current
        .status
        .transition(OrderStatus::Cancelled)
        .map_err(|_| illegal_transition(&current, OrderStatus::Cancelled))?;
    let now = Utc::now();
    let cancelled = store::set_status(&mut tx, current.id, to, Some(reason), now).await?;
    let event = stream_changes_response::Event::OrderCancelled(OrderCancelled {
        order_id: cancelled.id.to_string(),
        customer_id: cancelled.customer_id.to_string(),
        reason: reason.to_owned(),
        cancel_time: Some(timestamp(now)),
    });
    changefeed::record(&mut tx, &cancelled.id.to_string(), event).await?;
    append_status_changed(&mut tx, &current, &cancelled, "CancelOrder").await?;
    tx.commit().await?;
    Ok(cancelled)
}

/// The order the caller named as `named`.
pub(crate) async fn get(
    pool: &PgPool,
    order_ref: &OrderRef,
    named: &str,
) -> Result<Order, ApiError> {
    let mut conn = pool.acquire().await?;
    store::find(&mut conn, order_ref, false)
        .await?
        .ok_or_else(|| order_not_found(named))
}

/// A page of the orders `filter` lets through, in `order`, after `after`; and the position of
/// the next page, if any.
pub(crate) async fn list(
    pool: &PgPool,
    filter: &ListFilter,
    order: ListOrder,
    after: Option<&ListPosition>,
    size: usize,
) -> Result<(Vec<Order>, Option<ListPosition>), ApiError> {
    store::list(pool, filter, order, after, size).await
}

/// Reads an order and locks its row until the transaction ends, so concurrent changes queue.
pub(crate) async fn lock_for_change(
    tx: &mut PgConnection,
    order_ref: &OrderRef,
    id: &str,
) -> Result<Order, ApiError> {
    store::find(tx, order_ref, true)
        .await?
        .ok_or_else(|| order_not_found(id))
}

/// Writes the `order.status_changed` event of a move from `before` to `after`.
pub(crate) async fn append_status_changed(
    tx: &mut PgConnection,
    before: &Order,
    after: &Order,
    cause: &str,
) -> Result<(), ApiError> {
    let event = stream_changes_response::Event::OrderStatusChanged(OrderStatusChanged {
        order_id: after.id.to_string(),
        customer_id: after.customer_id.to_string(),
        from_status: status_to_proto(before.status).into(),
        to_status: status_to_proto(after.status).into(),
        change_time: Some(timestamp(after.status_time)),
        cause: cause.to_owned(),
    });
    changefeed::record(tx, &after.id.to_string(), event).await
}
