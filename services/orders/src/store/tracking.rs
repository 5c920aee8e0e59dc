//! SQL of tracking: orders as tracking sees them, their events and the events' deduplication.
//! Batches are written with one statement per table (arrays through UNNEST), never row by row.

use chrono::{DateTime, Duration, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::mode::TransportMode;
use crate::domain::status::OrderStatus;
use crate::domain::tracking::{BEFORE_ORDER_TOLERANCE, EventCode, EventSource};

/// The columns of [`TrackedOrder`].
const TRACKED_COLUMNS: &str = "id, order_number, tracking_number, customer_id, mode, status,
    status_time, create_time, promised_delivery_time, estimated_delivery_time, pickup_time,
    delivery_time, last_movement_time, route_changed, origin_region, destination_region,
    tracking_sequence, total_pieces, price_fen, coalesce(pickup_window_end, requested_pickup_end)
    AS pickup_window_end";

/// An order as tracking sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct TrackedOrder {
    /// Id.
    pub(crate) id: Uuid,
    /// Order number.
    pub(crate) order_number: String,
    /// Tracking number.
    pub(crate) tracking_number: String,
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Transport mode.
    pub(crate) mode: Stored<TransportMode>,
    /// Status.
    pub(crate) status: Stored<OrderStatus>,
    /// When the status last changed.
    pub(crate) status_time: DateTime<Utc>,
    /// When the order was created.
    pub(crate) create_time: DateTime<Utc>,
    /// Promised delivery.
    pub(crate) promised_delivery_time: DateTime<Utc>,
    /// Estimated delivery.
    pub(crate) estimated_delivery_time: DateTime<Utc>,
    /// When picked up.
    pub(crate) pickup_time: Option<DateTime<Utc>>,
    /// When delivered.
    pub(crate) delivery_time: Option<DateTime<Utc>>,
    /// When the newest event occurred.
    pub(crate) last_movement_time: Option<DateTime<Utc>>,
    /// Re-routed on the way.
    pub(crate) route_changed: bool,
    /// Origin region code.
    pub(crate) origin_region: String,
    /// Destination region code.
    pub(crate) destination_region: String,
    /// Events recorded so far (the last event's sequence).
    pub(crate) tracking_sequence: i64,
    /// Pieces of the order.
    pub(crate) total_pieces: i32,
    /// Price in fen.
    pub(crate) price_fen: i64,
    /// End of the scheduled pickup window, else of the requested one.
    pub(crate) pickup_window_end: Option<DateTime<Utc>>,
}

impl TrackedOrder {
    /// The earliest occurrence time an event of this order can have: reads start there, so only
    /// the partitions since the order's creation are searched.
    pub(crate) fn events_since(&self) -> DateTime<Utc> {
        self.create_time - BEFORE_ORDER_TOLERANCE
    }
}

/// One event, as stored (its texts owned), or as about to be: `EventRow<&str>`, its texts
/// borrowed from the request it came in, not copied (500 events a batch, seven texts each).
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct EventRow<Text = String> {
    /// The order.
    pub(crate) order_id: Uuid,
    /// Position in the order's recording sequence, from 1.
    pub(crate) sequence: i64,
    /// The service's id.
    pub(crate) event_id: Uuid,
    /// The sender's id.
    pub(crate) client_event_id: Text,
    /// Who reported it.
    pub(crate) source: Stored<EventSource>,
    /// Which scanner or partner.
    pub(crate) source_name: Text,
    /// What it reports.
    pub(crate) code: Stored<EventCode>,
    /// When it happened.
    pub(crate) occur_time: DateTime<Utc>,
    /// When it was received.
    pub(crate) receive_time: DateTime<Utc>,
    /// Facility.
    pub(crate) facility_code: Text,
    /// City.
    pub(crate) city: Text,
    /// Region code.
    pub(crate) region_code: Text,
    /// Free text.
    pub(crate) description: Text,
    /// For DELAYED.
    pub(crate) new_estimated_delivery_time: Option<DateTime<Utc>>,
    /// The status it moved the order to.
    pub(crate) applied_status: Option<Stored<OrderStatus>>,
    /// Stored behind a newer event.
    pub(crate) late: bool,
    /// Who recorded it.
    pub(crate) recorded_by: Text,
}

const EVENT_COLUMNS: &str = "order_id, sequence, event_id, client_event_id, source, source_name,
    code, occur_time, receive_time, facility_code, city, region_code, description,
    new_estimated_delivery_time, applied_status, late, recorded_by";

/// The deduplication key of an event, borrowed from the event or from a [`RecordedKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct EventKey<'a> {
    /// The order.
    pub(crate) order_id: Uuid,
    /// Source by name.
    pub(crate) source: &'static str,
    /// Which scanner or partner.
    pub(crate) source_name: &'a str,
    /// The sender's id.
    pub(crate) client_event_id: &'a str,
}

/// The deduplication key of a stored event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct RecordedKey {
    order_id: Uuid,
    source: Stored<EventSource>,
    source_name: String,
    client_event_id: String,
}

impl RecordedKey {
    /// The key, to compare with those of incoming events.
    pub(crate) fn key(&self) -> EventKey<'_> {
        EventKey {
            order_id: self.order_id,
            source: self.source.0.as_str(),
            source_name: &self.source_name,
            client_event_id: &self.client_event_id,
        }
    }
}

/// Locks the orders of `tracking_numbers` until the transaction ends, in id order so that
/// concurrent batches touching the same orders queue instead of deadlocking. Unknown numbers
/// are simply absent.
pub(crate) async fn lock_by_tracking_numbers(
    tx: &mut PgConnection,
    tracking_numbers: &[String],
) -> Result<Vec<TrackedOrder>, ApiError> {
    let sql = format!(
        "SELECT {TRACKED_COLUMNS} FROM orders WHERE tracking_number = ANY($1)
         ORDER BY id FOR UPDATE"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tracking_numbers)
        .fetch_all(tx)
        .await?)
}

/// The orders of `tracking_numbers`, unlocked; unknown numbers are absent.
pub(crate) async fn find_by_tracking_numbers(
    conn: &mut PgConnection,
    tracking_numbers: &[String],
) -> Result<Vec<TrackedOrder>, ApiError> {
    let sql = format!("SELECT {TRACKED_COLUMNS} FROM orders WHERE tracking_number = ANY($1)");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tracking_numbers)
        .fetch_all(conn)
        .await?)
}

/// The order of one tracking number, unlocked.
pub(crate) async fn find_by_tracking_number(
    conn: &mut PgConnection,
    tracking_number: &str,
) -> Result<Option<TrackedOrder>, ApiError> {
    let sql = format!("SELECT {TRACKED_COLUMNS} FROM orders WHERE tracking_number = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(tracking_number)
        .fetch_optional(conn)
        .await?)
}

/// The orders carrying `reference` (exact, through the GIN index), newest first, optionally of
/// one customer, after the keyset position `after` (create_time, id).
pub(crate) async fn find_by_reference(
    conn: &mut PgConnection,
    reference: &str,
    customer_id: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: usize,
) -> Result<Vec<TrackedOrder>, ApiError> {
    let sql = format!(
        "SELECT {TRACKED_COLUMNS} FROM orders
         WHERE customer_references @> ARRAY[$1::text]
           AND ($2::uuid IS NULL OR customer_id = $2)
           AND ($3::timestamptz IS NULL OR (create_time, id) < ($3, $4))
         ORDER BY create_time DESC, id DESC
         LIMIT $5"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(reference)
        .bind(customer_id)
        .bind(after.map(|(time, _)| time))
        .bind(after.map(|(_, id)| id))
        .bind(limit as i64)
        .fetch_all(conn)
        .await?)
}

/// The recorded keys that share their order and client event id with one of `keys`, among the
/// events that occurred from `since` on (no event of the keys' orders occurred earlier: see
/// [`TrackedOrder::events_since`]).
/// Correct only under the row locks of the keys' orders, which every writer of events holds.
pub(crate) async fn existing_keys(
    tx: &mut PgConnection,
    keys: &[EventKey<'_>],
    since: DateTime<Utc>,
) -> Result<Vec<RecordedKey>, ApiError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    // The index holds (order, client event id); the caller compares the whole key. No upper
    // bound on the time, though no event occurs later than a few minutes from now: with both
    // bounds, the primary key looks as selective as this index to the planner on a partition
    // without statistics yet, and the plan it keeps walks every event of each key's order.
    Ok(sqlx::query_as(
        "SELECT order_id, source, source_name, client_event_id FROM tracking_events
         WHERE (order_id, client_event_id) IN (SELECT unnest($1::uuid[]), unnest($2::text[]))
           AND occur_time >= $3",
    )
    .bind(keys.iter().map(|key| key.order_id).collect::<Vec<_>>())
    .bind(
        keys.iter()
            .map(|key| key.client_event_id)
            .collect::<Vec<_>>(),
    )
    .bind(since)
    .fetch_all(tx)
    .await?)
}

/// Writes accepted events: one statement.
pub(crate) async fn insert_events<'a>(
    tx: &mut PgConnection,
    events: &[EventRow<&'a str>],
) -> Result<(), ApiError> {
    if events.is_empty() {
        return Ok(());
    }
    let column =
        |pick: fn(&EventRow<&'a str>) -> &'a str| events.iter().map(pick).collect::<Vec<_>>();
    // The arrays are unnested in the select list, side by side (they have one length): the same
    // rows as `SELECT * FROM unnest(..)`, which first copies them all into a tuple store. That
    // copy was a tenth of PostgreSQL's time per batch (A/B: 8-13 % more events per second).
    let sql = format!(
        "INSERT INTO tracking_events ({EVENT_COLUMNS})
         SELECT unnest($1::uuid[]), unnest($2::int8[]), unnest($3::uuid[]), unnest($4::text[]),
             unnest($5::text[]), unnest($6::text[]), unnest($7::text[]),
             unnest($8::timestamptz[]), unnest($9::timestamptz[]), unnest($10::text[]),
             unnest($11::text[]), unnest($12::text[]), unnest($13::text[]),
             unnest($14::timestamptz[]), unnest($15::text[]), unnest($16::bool[]),
             unnest($17::text[])"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(events.iter().map(|e| e.order_id).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.sequence).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.event_id).collect::<Vec<_>>())
        .bind(column(|e| e.client_event_id))
        .bind(events.iter().map(|e| e.source).collect::<Vec<_>>())
        .bind(column(|e| e.source_name))
        .bind(events.iter().map(|e| e.code).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.occur_time).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.receive_time).collect::<Vec<_>>())
        .bind(column(|e| e.facility_code))
        .bind(column(|e| e.city))
        .bind(column(|e| e.region_code))
        .bind(column(|e| e.description))
        .bind(
            events
                .iter()
                .map(|e| e.new_estimated_delivery_time)
                .collect::<Vec<_>>(),
        )
        .bind(events.iter().map(|e| e.applied_status).collect::<Vec<_>>())
        .bind(events.iter().map(|e| e.late).collect::<Vec<_>>())
        .bind(column(|e| e.recorded_by))
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// What tracking changed on one order.
#[derive(Debug, Clone)]
pub(crate) struct OrderTrackingUpdate {
    /// The order.
    pub(crate) id: Uuid,
    /// Status.
    pub(crate) status: OrderStatus,
    /// When the status last changed.
    pub(crate) status_time: DateTime<Utc>,
    /// When picked up.
    pub(crate) pickup_time: Option<DateTime<Utc>>,
    /// When the newest event occurred.
    pub(crate) last_movement_time: Option<DateTime<Utc>>,
    /// Estimated delivery.
    pub(crate) estimated_delivery_time: DateTime<Utc>,
    /// Re-routed.
    pub(crate) route_changed: bool,
    /// The last event's sequence.
    pub(crate) tracking_sequence: i64,
}

/// Writes what tracking changed on the orders, bumping their version (etag): one statement.
pub(crate) async fn save_orders(
    tx: &mut PgConnection,
    updates: &[OrderTrackingUpdate],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    if updates.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE orders o SET
             status = u.status, status_time = u.status_time, pickup_time = u.pickup_time,
             last_movement_time = u.last_movement_time,
             estimated_delivery_time = u.estimated_delivery_time, route_changed = u.route_changed,
             tracking_sequence = u.tracking_sequence, version = o.version + 1, update_time = $9
         FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::timestamptz[],
                     $5::timestamptz[], $6::timestamptz[], $7::bool[], $8::int8[])
              AS u (id, status, status_time, pickup_time, last_movement_time,
                    estimated_delivery_time, route_changed, tracking_sequence)
         WHERE o.id = u.id",
    )
    .bind(updates.iter().map(|u| u.id).collect::<Vec<_>>())
    .bind(
        updates
            .iter()
            .map(|u| u.status.as_str())
            .collect::<Vec<_>>(),
    )
    .bind(updates.iter().map(|u| u.status_time).collect::<Vec<_>>())
    .bind(updates.iter().map(|u| u.pickup_time).collect::<Vec<_>>())
    .bind(
        updates
            .iter()
            .map(|u| u.last_movement_time)
            .collect::<Vec<_>>(),
    )
    .bind(
        updates
            .iter()
            .map(|u| u.estimated_delivery_time)
            .collect::<Vec<_>>(),
    )
    .bind(updates.iter().map(|u| u.route_changed).collect::<Vec<_>>())
    .bind(
        updates
            .iter()
            .map(|u| u.tracking_sequence)
            .collect::<Vec<_>>(),
    )
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Marks an order delivered at `delivery_time` with its DELIVERED event as the `sequence`-th.
pub(crate) async fn mark_delivered(
    tx: &mut PgConnection,
    order_id: Uuid,
    delivery_time: DateTime<Utc>,
    route_changed: bool,
    sequence: i64,
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE orders SET status = 'DELIVERED', status_time = $2, delivery_time = $2,
             route_changed = $3, tracking_sequence = $4,
             last_movement_time = greatest(last_movement_time, $2),
             version = version + 1, update_time = $5
         WHERE id = $1",
    )
    .bind(order_id)
    .bind(delivery_time)
    .bind(route_changed)
    .bind(sequence)
    .bind(now)
    .execute(tx)
    .await?;
    Ok(())
}

/// Open orders that are in EXCEPTION, past their promise at `now`, or on their way without an
/// event for `no_movement`; earliest promise first, after the keyset position `after`
/// (promised_delivery_time, id). The three conditions match the partial indexes of open orders
/// (by promise, by last movement, in exception).
pub(crate) async fn problem_shipments(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
    no_movement: Duration,
    customer_id: Option<Uuid>,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: usize,
) -> Result<Vec<TrackedOrder>, ApiError> {
    let sql = format!(
        "SELECT {} FROM orders
         WHERE status NOT IN ('DELIVERED', 'RETURNED_TO_SENDER', 'CANCELLED')
           AND (status = 'EXCEPTION'
                OR promised_delivery_time < $1
                OR (status IN ('PICKED_UP', 'IN_TRANSIT', 'OUT_FOR_DELIVERY', 'EXCEPTION')
                    AND coalesce(last_movement_time, pickup_time) < $2))
           AND ($3::uuid IS NULL OR customer_id = $3)
           AND ($4::timestamptz IS NULL OR (promised_delivery_time, id) > ($4, $5))
         ORDER BY promised_delivery_time, id
         LIMIT $6",
        TRACKED_COLUMNS
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(now)
        .bind(now - no_movement)
        .bind(customer_id)
        .bind(after.map(|(time, _)| time))
        .bind(after.map(|(_, id)| id))
        .bind(limit as i64)
        .fetch_all(conn)
        .await?)
}

/// The latest `limit` events of each order (given with the earliest time its events can have),
/// newest first per order.
pub(crate) async fn latest_events(
    conn: &mut PgConnection,
    orders: &[(Uuid, DateTime<Utc>)],
    limit: usize,
) -> Result<Vec<EventRow>, ApiError> {
    if orders.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    if let [(order_id, since)] = orders {
        // One order (GetTracking, watches): a statement PostgreSQL plans once per connection
        // (generic plan, partitions pruned when it runs). The batch form below is planned again
        // on every call, over every partition: most of a GetTracking's database time.
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM tracking_events
             WHERE order_id = $1 AND occur_time >= $2
             ORDER BY occur_time DESC, sequence DESC
             LIMIT $3"
        );
        return Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(order_id)
            .bind(since)
            .bind(limit as i64)
            .fetch_all(conn)
            .await?);
    }
    let sql = format!(
        "SELECT e.* FROM unnest($1::uuid[], $2::timestamptz[]) AS o (id, since)
         CROSS JOIN LATERAL (
             SELECT {EVENT_COLUMNS} FROM tracking_events
             WHERE order_id = o.id AND occur_time >= o.since
             ORDER BY occur_time DESC, sequence DESC
             LIMIT $3
         ) e"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(orders.iter().map(|(id, _)| *id).collect::<Vec<_>>())
        .bind(orders.iter().map(|(_, since)| *since).collect::<Vec<_>>())
        .bind(limit as i64)
        .fetch_all(conn)
        .await?)
}

/// The events of an order recorded after its `after_sequence`-th, in recording order.
pub(crate) async fn events_recorded_after(
    conn: &mut PgConnection,
    order_id: Uuid,
    since: DateTime<Utc>,
    after_sequence: i64,
) -> Result<Vec<EventRow>, ApiError> {
    let sql = format!(
        "SELECT {EVENT_COLUMNS} FROM tracking_events
         WHERE order_id = $1 AND occur_time >= $2 AND sequence > $3
         ORDER BY sequence"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(order_id)
        .bind(since)
        .bind(after_sequence)
        .fetch_all(conn)
        .await?)
}

/// Creates the event partitions of the coming months that are missing; returns how many.
pub(crate) async fn ensure_partitions(
    conn: &mut PgConnection,
    months_ahead: i32,
) -> Result<i32, ApiError> {
    let (created,): (i32,) = sqlx::query_as("SELECT ensure_tracking_event_partitions($1)")
        .bind(months_ahead)
        .fetch_one(conn)
        .await?;
    Ok(created)
}
