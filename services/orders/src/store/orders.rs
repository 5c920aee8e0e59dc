//! SQL on the `orders` table: orders and their pickups.

use chrono::{DateTime, Utc};
use logistics_platform::changefeed::OutboxEntry;
use logistics_platform::idempotency::{self, KeyClaim};
use logistics_platform::sequences::SequenceBlocks;
use logistics_platform::stored::Stored;
use logistics_platform::{ApiError, changefeed};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use crate::domain::mode::TransportMode;
use crate::domain::order::{
    CargoLine, Dispatch, Document, Order, OrderNumbers, PickupPlan, PostalAddress, Window,
};
use crate::domain::quote::QuoteOutcome;
use crate::domain::status::OrderStatus;
use crate::reasons::Reason;

/// Every column an [`Order`] is read from.
const COLUMNS: &str = "id, order_number, tracking_number, customer_id, mode, status, origin, \
     destination, cargo, total_pieces, total_weight_grams, requested_pickup_start, \
     requested_pickup_end, customer_references, documents, quote, priority_transport, \
     promised_delivery_time, estimated_delivery_time, pickup_window_start, pickup_window_end, \
     pickup_same_day, pickup_schedule_time, dispatch_time, vehicle_id, driver_name, pickup_time, \
     delivery_time, cancel_reason, created_by, create_time, update_time, status_time, version";

/// An `orders` row as read with [`COLUMNS`].
#[derive(sqlx::FromRow)]
struct OrderRow {
    id: Uuid,
    order_number: String,
    tracking_number: String,
    customer_id: Uuid,
    mode: Stored<TransportMode>,
    status: Stored<OrderStatus>,
    origin: Json<PostalAddress>,
    destination: Json<PostalAddress>,
    cargo: Json<Vec<CargoLine>>,
    total_pieces: i32,
    total_weight_grams: i64,
    requested_pickup_start: Option<DateTime<Utc>>,
    requested_pickup_end: Option<DateTime<Utc>>,
    customer_references: Vec<String>,
    documents: Json<Vec<Document>>,
    quote: Json<QuoteOutcome>,
    priority_transport: bool,
    promised_delivery_time: DateTime<Utc>,
    estimated_delivery_time: DateTime<Utc>,
    pickup_window_start: Option<DateTime<Utc>>,
    pickup_window_end: Option<DateTime<Utc>>,
    pickup_same_day: Option<bool>,
    pickup_schedule_time: Option<DateTime<Utc>>,
    dispatch_time: Option<DateTime<Utc>>,
    vehicle_id: Option<String>,
    driver_name: Option<String>,
    pickup_time: Option<DateTime<Utc>>,
    delivery_time: Option<DateTime<Utc>>,
    cancel_reason: Option<String>,
    created_by: String,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
    status_time: DateTime<Utc>,
    version: i64,
}

impl TryFrom<OrderRow> for Order {
    type Error = ApiError;

    fn try_from(row: OrderRow) -> Result<Self, ApiError> {
        let window = |start: Option<DateTime<Utc>>, end: Option<DateTime<Utc>>| {
            start.zip(end).map(|(start, end)| Window { start, end })
        };
        let pickup =
            window(row.pickup_window_start, row.pickup_window_end).map(|window| PickupPlan {
                window,
                same_day: row.pickup_same_day.unwrap_or(false),
                schedule_time: row.pickup_schedule_time.unwrap_or(row.update_time),
                dispatch: row.dispatch_time.map(|time| Dispatch {
                    time,
                    vehicle_id: row.vehicle_id.clone().unwrap_or_default(),
                    driver_name: row.driver_name.clone().unwrap_or_default(),
                }),
            });
        Ok(Order {
            id: row.id,
            order_number: row.order_number,
            tracking_number: row.tracking_number,
            customer_id: row.customer_id,
            mode: row.mode.0,
            status: row.status.0,
            origin: row.origin.0,
            destination: row.destination.0,
            cargo: row.cargo.0,
            total_pieces: row.total_pieces,
            total_weight_grams: row.total_weight_grams,
            requested_pickup: window(row.requested_pickup_start, row.requested_pickup_end),
            customer_references: row.customer_references,
            documents: row.documents.0,
            quote: row.quote.0,
            priority_transport: row.priority_transport,
            promised_delivery_time: row.promised_delivery_time,
            estimated_delivery_time: row.estimated_delivery_time,
            pickup,
            pickup_time: row.pickup_time,
            delivery_time: row.delivery_time,
            cancel_reason: row.cancel_reason,
            created_by: row.created_by,
            create_time: row.create_time,
            update_time: row.update_time,
            status_time: row.status_time,
            version: row.version,
        })
    }
}

/// How a caller names an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum OrderRef {
    /// By id.
    Id(Uuid),
    /// By order number.
    Number(String),
    /// By tracking number.
    Tracking(String),
}

/// Creates between them that spend a round trip on drawing numbers: one in this many.
const NUMBER_BLOCK: u16 = 32;

/// Where the numbers of new orders come from: the order-number and tracking-serial sequences,
/// drawn in blocks ([`SequenceBlocks`]), one source per replica shared by its calls.
#[derive(Debug)]
pub(crate) struct NumberSource(SequenceBlocks<2>);

impl NumberSource {
    pub(crate) fn new() -> Self {
        Self(SequenceBlocks::new(
            ["order_number_seq", "tracking_serial_seq"],
            NUMBER_BLOCK,
        ))
    }

    /// The numbers of a new order created at `now`, drawing a block on `pool` if none is left.
    pub(crate) async fn draw(
        &self,
        pool: &PgPool,
        now: DateTime<Utc>,
    ) -> Result<OrderNumbers, ApiError> {
        let [order_sequence, tracking_serial] = self.0.next(pool).await?;
        let tracking_number =
            crate::domain::numbers::tracking_number(tracking_serial).ok_or_else(|| {
                ApiError::ResourceExhausted {
                    reason: Reason::TrackingNumbersExhausted.as_str(),
                    message: "every tracking number is used; no order can be created".to_owned(),
                }
            })?;
        Ok(OrderNumbers {
            id: Uuid::now_v7(),
            order_number: crate::domain::numbers::order_number(
                now,
                logistics_platform::time::company_time_zone(),
                order_sequence,
            ),
            tracking_number,
        })
    }
}

/// A new order as the create statement stores it, with the idempotency key it is created under
/// (answered on a retry) and its event for the outbox.
#[derive(Debug, Clone)]
pub(crate) struct OrderCreate {
    pub(crate) order: Order,
    pub(crate) claim: KeyClaim,
    pub(crate) event: OutboxEntry,
}

/// Stores new orders, each with its idempotency key and event, as one statement: one round
/// trip, and a transaction of its own. A key already taken fails it with nothing written
/// ([`idempotency::is_taken`]).
pub(crate) async fn create(
    conn: &mut PgConnection,
    creates: &[OrderCreate],
) -> Result<(), sqlx::Error> {
    let mut query = QueryBuilder::new("WITH ");
    idempotency::push_claims(&mut query, creates.iter().map(|create| &create.claim));
    query.push(", ");
    changefeed::push_appends(&mut query, creates.iter().map(|create| &create.event));
    query.push(
        " INSERT INTO orders (id, order_number, tracking_number, customer_id, mode, status, \
         origin, destination, origin_region, destination_region, cargo, total_pieces, \
         total_weight_grams, total_volume_cm3, requested_pickup_start, requested_pickup_end, \
         customer_references, documents, quote, price_fen, priority_transport, \
         promised_delivery_time, estimated_delivery_time, created_by, create_time, update_time, \
         status_time, version) ",
    );
    query.push_values(creates, |mut values, OrderCreate { order, .. }| {
        values
            .push_bind(order.id)
            .push_bind(&order.order_number)
            .push_bind(&order.tracking_number)
            .push_bind(order.customer_id)
            .push_bind(order.mode.as_str())
            .push_bind(order.status.as_str())
            .push_bind(Json(&order.origin))
            .push_bind(Json(&order.destination))
            .push_bind(&order.origin.region_code)
            .push_bind(&order.destination.region_code)
            .push_bind(Json(&order.cargo))
            .push_bind(order.total_pieces)
            .push_bind(order.total_weight_grams)
            .push_bind(order.total_volume_cm3())
            .push_bind(order.requested_pickup.map(|window| window.start))
            .push_bind(order.requested_pickup.map(|window| window.end))
            .push_bind(&order.customer_references)
            .push_bind(Json(&order.documents))
            .push_bind(Json(&order.quote))
            .push_bind(order.quote.price_fen)
            .push_bind(order.priority_transport)
            .push_bind(order.promised_delivery_time)
            .push_bind(order.estimated_delivery_time)
            .push_bind(&order.created_by)
            .push_bind(order.create_time)
            .push_bind(order.update_time)
            .push_bind(order.status_time)
            .push_bind(order.version);
    });
    query.build().execute(&mut *conn).await?;
    Ok(())
}

/// Finds an order; with `lock`, its row stays locked until the transaction ends so concurrent
/// changes queue behind this one.
pub(crate) async fn find(
    conn: &mut PgConnection,
    order_ref: &OrderRef,
    lock: bool,
) -> Result<Option<Order>, ApiError> {
    let (column, value): (&str, String) = match order_ref {
        OrderRef::Id(id) => ("id", id.to_string()),
        OrderRef::Number(number) => ("order_number", number.clone()),
        OrderRef::Tracking(number) => ("tracking_number", number.clone()),
    };
    let cast = if column == "id" { "::uuid" } else { "" };
    let suffix = if lock { " FOR UPDATE" } else { "" };
    let row: Option<OrderRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM orders WHERE {column} = $1{cast}{suffix}"
    )))
    .bind(value)
    .fetch_optional(&mut *conn)
    .await?;
    row.map(Order::try_from).transpose()
}

/// Moves an order to `status` at `now`, with the columns the move sets.
pub(crate) async fn set_status(
    tx: &mut PgConnection,
    id: Uuid,
    status: OrderStatus,
    cancel_reason: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Order, ApiError> {
    let row: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET status = $2, status_time = $3, update_time = $3,
             cancel_reason = COALESCE($4, cancel_reason), version = version + 1
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(status.as_str())
    .bind(now)
    .bind(cancel_reason)
    .fetch_one(&mut *tx)
    .await?;
    row.try_into()
}

/// Records a scheduled pickup (or clears it with `None`) and the status it brings; a scheduled
/// pickup also sets the promise (and the estimate, which no tracking event has moved yet).
pub(crate) async fn set_pickup(
    tx: &mut PgConnection,
    id: Uuid,
    plan: Option<(&PickupPlan, DateTime<Utc>)>,
    status: OrderStatus,
    now: DateTime<Utc>,
) -> Result<Order, ApiError> {
    let promised = plan.map(|(_, promised)| promised);
    let plan = plan.map(|(plan, _)| plan);
    let row: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET pickup_window_start = $2, pickup_window_end = $3,
             pickup_same_day = $4, pickup_schedule_time = $5, dispatch_time = NULL,
             vehicle_id = NULL, driver_name = NULL, status = $6,
             status_time = CASE WHEN status = $6 THEN status_time ELSE $7 END,
             promised_delivery_time = COALESCE($8, promised_delivery_time),
             estimated_delivery_time = COALESCE($8, estimated_delivery_time),
             update_time = $7, version = version + 1
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(plan.map(|plan| plan.window.start))
    .bind(plan.map(|plan| plan.window.end))
    .bind(plan.map(|plan| plan.same_day))
    .bind(plan.map(|plan| plan.schedule_time))
    .bind(status.as_str())
    .bind(now)
    .bind(promised)
    .fetch_one(&mut *tx)
    .await?;
    row.try_into()
}

/// Records the dispatch of a vehicle for the scheduled pickup.
pub(crate) async fn set_dispatch(
    tx: &mut PgConnection,
    id: Uuid,
    dispatch: &Dispatch,
    now: DateTime<Utc>,
) -> Result<Order, ApiError> {
    let row: OrderRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "UPDATE orders SET dispatch_time = $2, vehicle_id = $3, driver_name = $4,
             update_time = $5, version = version + 1
         WHERE id = $1 RETURNING {COLUMNS}"
    )))
    .bind(id)
    .bind(dispatch.time)
    .bind(&dispatch.vehicle_id)
    .bind(&dispatch.driver_name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    row.try_into()
}

/// Which orders a list shows.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter {
    /// Only this customer's.
    pub(crate) customer_id: Option<Uuid>,
    /// Only these statuses (any when empty).
    pub(crate) statuses: Vec<OrderStatus>,
    /// Only this mode.
    pub(crate) mode: Option<TransportMode>,
    /// Origin or destination region starting with this.
    pub(crate) region_code_prefix: Option<String>,
    /// Created at or after.
    pub(crate) created_after: Option<DateTime<Utc>>,
    /// Created before.
    pub(crate) created_before: Option<DateTime<Utc>>,
    /// Carrying this reference.
    pub(crate) customer_reference: Option<String>,
}

/// The orders of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListOrder {
    /// Newest first.
    CreateTimeDesc,
    /// Oldest first.
    CreateTimeAsc,
    /// Earliest promise first.
    PromisedDeliveryAsc,
}

impl ListOrder {
    fn key_column(self) -> &'static str {
        match self {
            Self::CreateTimeDesc | Self::CreateTimeAsc => "create_time",
            Self::PromisedDeliveryAsc => "promised_delivery_time",
        }
    }

    fn descending(self) -> bool {
        self == Self::CreateTimeDesc
    }
}

/// Where a page ended: the last order's sort key and id.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ListPosition {
    key: DateTime<Utc>,
    id: Uuid,
}

/// A page of orders after `after`, and where the next page starts if there is one.
pub(crate) async fn list(
    pool: &PgPool,
    filter: &ListFilter,
    order: ListOrder,
    after: Option<&ListPosition>,
    page_size: usize,
) -> Result<(Vec<Order>, Option<ListPosition>), ApiError> {
    let key = order.key_column();
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT {COLUMNS}, {key} AS sort_key FROM orders WHERE true"
    ));
    if let Some(customer_id) = filter.customer_id {
        query.push(" AND customer_id = ").push_bind(customer_id);
    }
    if !filter.statuses.is_empty() {
        let statuses: Vec<&str> = filter
            .statuses
            .iter()
            .map(|status| status.as_str())
            .collect();
        query
            .push(" AND status = ANY(")
            .push_bind(statuses)
            .push(")");
    }
    if let Some(mode) = filter.mode {
        query.push(" AND mode = ").push_bind(mode.as_str());
    }
    if let Some(prefix) = &filter.region_code_prefix {
        // Region codes are validated to letters, digits and dashes: no LIKE wildcard gets in.
        let pattern = format!("{prefix}%");
        query
            .push(" AND (origin_region LIKE ")
            .push_bind(pattern.clone())
            .push(" OR destination_region LIKE ")
            .push_bind(pattern)
            .push(")");
    }
    if let Some(after) = filter.created_after {
        query.push(" AND create_time >= ").push_bind(after);
    }
    if let Some(before) = filter.created_before {
        query.push(" AND create_time < ").push_bind(before);
    }
    if let Some(reference) = &filter.customer_reference {
        query
            .push(" AND customer_references @> ARRAY[")
            .push_bind(reference.clone())
            .push("]::text[]");
    }
    let direction = if order.descending() { "DESC" } else { "ASC" };
    if let Some(after) = after {
        let comparison = if order.descending() { "<" } else { ">" };
        query
            .push(format!(" AND ({key}, id) {comparison} ("))
            .push_bind(after.key)
            .push(", ")
            .push_bind(after.id)
            .push(")");
    }
    query
        .push(format!(
            " ORDER BY {key} {direction}, id {direction} LIMIT "
        ))
        .push_bind(page_size as i64 + 1);

    let rows: Vec<(OrderRow, DateTime<Utc>)> = query
        .build()
        .try_map(|row: sqlx::postgres::PgRow| {
            use sqlx::{FromRow as _, Row as _};
            Ok((OrderRow::from_row(&row)?, row.try_get("sort_key")?))
        })
        .fetch_all(pool)
        .await?;

    let more = rows.len() > page_size;
    let mut orders = Vec::with_capacity(rows.len().min(page_size));
    let mut next = None;
    for (row, key) in rows.into_iter().take(page_size) {
        next = Some(ListPosition { key, id: row.id });
        orders.push(Order::try_from(row)?);
    }
    Ok((orders, if more { next } else { None }))
}
