//! SQL on the fact tables: what later events of an order, a customer or a complaint need to
//! know (`order_facts`, `customer_facts`, `complaint_facts`).

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

/// An order as reporting keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct OrderFacts {
    /// The order.
    pub order_id: Uuid,
    /// Its customer.
    pub customer_id: Uuid,
    /// Where it ships from.
    pub origin_region: String,
    /// How it travels (stored name).
    pub mode: String,
    /// When it was created.
    pub create_time: DateTime<Utc>,
    /// Its route change was counted.
    pub route_changed: bool,
    /// Its return was counted.
    pub returned: bool,
    /// Its quoted price in fen (CNY): what it adds to its customer's spend.
    pub price_fen: i64,
}

/// Stores new orders' facts, in one statement; answers the ids of those stored now (an order
/// stored before, or twice in `orders`, changes nothing the second time).
pub(crate) async fn insert_orders(
    conn: &mut PgConnection,
    orders: &[OrderFacts],
) -> Result<Vec<Uuid>, ApiError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO order_facts (order_id, customer_id, origin_region, mode, create_time,
                                  price_fen)
         SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[],
                              $5::timestamptz[], $6::bigint[])
         ON CONFLICT (order_id) DO NOTHING
         RETURNING order_id",
    )
    .bind(column(orders, |order| order.order_id))
    .bind(column(orders, |order| order.customer_id))
    .bind(column(orders, |order| order.origin_region.clone()))
    .bind(column(orders, |order| order.mode.clone()))
    .bind(column(orders, |order| order.create_time))
    .bind(column(orders, |order| order.price_fen))
    .fetch_all(&mut *conn)
    .await?)
}

/// One field of every order, as an array to bind.
fn column<T>(orders: &[OrderFacts], field: impl Fn(&OrderFacts) -> T) -> Vec<T> {
    orders.iter().map(field).collect()
}

/// An order's facts, locked until the transaction ends.
pub(crate) async fn order(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<Option<OrderFacts>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT order_id, customer_id, origin_region, mode, create_time, route_changed, returned,
                price_fen
           FROM order_facts WHERE order_id = $1 FOR UPDATE",
    )
    .bind(order_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Marks the order's route change or return as counted.
pub(crate) async fn mark_order(
    conn: &mut PgConnection,
    order_id: Uuid,
    route_changed: bool,
    returned: bool,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE order_facts SET route_changed = route_changed OR $2, returned = returned OR $3
          WHERE order_id = $1",
    )
    .bind(order_id)
    .bind(route_changed)
    .bind(returned)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes an order out of its customer's spend (once: it stays cancelled).
pub(crate) async fn cancel_order(conn: &mut PgConnection, order_id: Uuid) -> Result<(), ApiError> {
    sqlx::query("UPDATE order_facts SET cancelled = true WHERE order_id = $1")
        .bind(order_id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A customer's current dimensions, as segmentation groups them: stored enum names without
/// their prefix ("ENTERPRISE", "GOVERNMENT_A"...).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CustomerFacts {
    /// The customer.
    pub customer_id: Uuid,
    /// Its home region code.
    pub region_code: String,
    /// Its kind.
    pub kind: String,
    /// Its role.
    pub role: String,
    /// Its tier.
    pub tier: String,
    /// Its value class.
    pub value_class: String,
    /// Its industry.
    pub industry: String,
    /// Its lifecycle status.
    pub status: String,
    /// Whether it was deleted.
    pub deleted: bool,
}

/// Stores or replaces a customer's facts with the whole customer a created, updated or deleted
/// event carries (the same event again writes the same values).
pub(crate) async fn upsert_customer(
    conn: &mut PgConnection,
    facts: &CustomerFacts,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO customer_facts (customer_id, region_code, kind, role, tier, value_class,
                                     industry, status, deleted)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (customer_id) DO UPDATE
            SET region_code = EXCLUDED.region_code, kind = EXCLUDED.kind, role = EXCLUDED.role,
                tier = EXCLUDED.tier, value_class = EXCLUDED.value_class,
                industry = EXCLUDED.industry, status = EXCLUDED.status,
                deleted = EXCLUDED.deleted",
    )
    .bind(facts.customer_id)
    .bind(&facts.region_code)
    .bind(&facts.kind)
    .bind(&facts.role)
    .bind(&facts.tier)
    .bind(&facts.value_class)
    .bind(&facts.industry)
    .bind(&facts.status)
    .bind(facts.deleted)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Sets a known customer's lifecycle status (a customer reporting never heard of stays unknown).
pub(crate) async fn set_customer_status(
    conn: &mut PgConnection,
    customer_id: Uuid,
    status: &str,
) -> Result<(), ApiError> {
    sqlx::query("UPDATE customer_facts SET status = $2 WHERE customer_id = $1")
        .bind(customer_id)
        .bind(status)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// Sets a known customer's tier and value class.
pub(crate) async fn set_customer_tier(
    conn: &mut PgConnection,
    customer_id: Uuid,
    tier: &str,
    value_class: &str,
) -> Result<(), ApiError> {
    sqlx::query("UPDATE customer_facts SET tier = $2, value_class = $3 WHERE customer_id = $1")
        .bind(customer_id)
        .bind(tier)
        .bind(value_class)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// A customer's region; empty when reporting has not heard of the customer.
pub(crate) async fn customer_region(
    conn: &mut PgConnection,
    customer_id: Uuid,
) -> Result<String, ApiError> {
    let region: Option<(String,)> =
        sqlx::query_as("SELECT region_code FROM customer_facts WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(region.map(|(region,)| region).unwrap_or_default())
}

/// A complaint as reporting keeps it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ComplaintFacts {
    /// The complaint.
    pub complaint_id: Uuid,
    /// Its customer.
    pub customer_id: Uuid,
    /// The customer's region when it was filed.
    pub region_code: String,
    /// The mode of the order it is about; empty when none.
    pub mode: String,
    /// The agent assigned now.
    pub agent: String,
    /// The agent assigned when it was filed: the slice its feedback timeliness is counted in.
    pub filed_agent: String,
    /// When it was filed.
    pub file_time: DateTime<Utc>,
    /// The latest rating's score.
    pub rating_score: Option<i16>,
    /// When it was given.
    pub rating_time: Option<DateTime<Utc>>,
    /// The agent the latest rating was counted under.
    pub rating_agent: Option<String>,
}

/// Stores a new complaint's facts; `false` when stored before.
pub(crate) async fn insert_complaint(
    conn: &mut PgConnection,
    facts: &ComplaintFacts,
) -> Result<bool, ApiError> {
    let inserted = sqlx::query(
        "INSERT INTO complaint_facts (complaint_id, customer_id, region_code, mode, agent,
                                      filed_agent, file_time)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (complaint_id) DO NOTHING",
    )
    .bind(facts.complaint_id)
    .bind(facts.customer_id)
    .bind(&facts.region_code)
    .bind(&facts.mode)
    .bind(&facts.agent)
    .bind(&facts.filed_agent)
    .bind(facts.file_time)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// A complaint's facts, locked until the transaction ends.
pub(crate) async fn complaint(
    conn: &mut PgConnection,
    complaint_id: Uuid,
) -> Result<Option<ComplaintFacts>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT complaint_id, customer_id, region_code, mode, agent, filed_agent, file_time,
                rating_score, rating_time, rating_agent
           FROM complaint_facts WHERE complaint_id = $1 FOR UPDATE",
    )
    .bind(complaint_id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Writes back a complaint's agent and latest rating.
pub(crate) async fn update_complaint(
    conn: &mut PgConnection,
    facts: &ComplaintFacts,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE complaint_facts SET agent = $2, rating_score = $3, rating_time = $4,
                rating_agent = $5
          WHERE complaint_id = $1",
    )
    .bind(facts.complaint_id)
    .bind(&facts.agent)
    .bind(facts.rating_score)
    .bind(facts.rating_time)
    .bind(&facts.rating_agent)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The mode of an order reporting knows; empty when it does not.
pub(crate) async fn order_mode(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> Result<String, ApiError> {
    let mode: Option<(String,)> =
        sqlx::query_as("SELECT mode FROM order_facts WHERE order_id = $1")
            .bind(order_id)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(mode.map(|(mode,)| mode).unwrap_or_default())
}

/// Records that `customer_id` has had `status` since `since` (once: the same change again is
/// nothing new).
pub(crate) async fn record_status(
    conn: &mut PgConnection,
    customer_id: Uuid,
    since: DateTime<Utc>,
    status: &str,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO customer_status_history (customer_id, since, status) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING",
    )
    .bind(customer_id)
    .bind(since)
    .bind(status)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// How many customers (of `customer_id` and `region_code`, when given) were ACTIVE at `at`: those
/// whose latest status before it is ACTIVE.
pub(crate) async fn active_at(
    conn: &mut PgConnection,
    at: DateTime<Utc>,
    customer_id: Option<Uuid>,
    region_code: Option<&str>,
) -> Result<i64, ApiError> {
    let (active,): (i64,) = sqlx::query_as(
        "SELECT count(*) FROM (
             SELECT DISTINCT ON (h.customer_id) h.customer_id, h.status
               FROM customer_status_history h
              WHERE h.since < $1 AND ($2::uuid IS NULL OR h.customer_id = $2)
              ORDER BY h.customer_id, h.since DESC
         ) latest
          WHERE latest.status = 'ACTIVE'
            AND ($3::text IS NULL OR EXISTS (
                    SELECT 1 FROM customer_facts f
                     WHERE f.customer_id = latest.customer_id AND f.region_code = $3))",
    )
    .bind(at)
    .bind(customer_id)
    .bind(region_code)
    .fetch_one(&mut *conn)
    .await?;
    Ok(active)
}
