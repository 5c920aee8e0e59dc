//! SQL for labels: the few facts of an order a label prints.

use logistics_platform::ApiError;
use serde_json::Value;
use sqlx::PgConnection;
use sqlx::types::Json;
use uuid::Uuid;

/// How a caller names an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrderKey {
    /// Its id.
    Id(Uuid),
    /// Its order number, e.g. "O2026112300000042".
    OrderNumber(String),
    /// Its tracking number.
    TrackingNumber(String),
}

/// An order's label facts as stored. The addresses are the stored `logistics.common.v1.Address`
/// JSON (`recipient`, `city`, `region_code`, ...).
#[derive(Debug, sqlx::FromRow)]
pub struct LabelRow {
    /// The order's id.
    pub id: Uuid,
    /// Its order number.
    pub order_number: String,
    /// Its tracking number.
    pub tracking_number: String,
    /// Its transport mode, by name.
    pub mode: String,
    /// Its pieces over all cargo lines.
    pub total_pieces: i32,
    /// Where the goods come from.
    pub origin: Json<Value>,
    /// Where they go.
    pub destination: Json<Value>,
    /// Whether a cargo line has `"dangerous_goods": true`.
    pub dangerous_goods: bool,
}

/// The label facts of the order named by `key`, if it exists.
pub async fn find(conn: &mut PgConnection, key: &OrderKey) -> Result<Option<LabelRow>, ApiError> {
    let (column, value) = match key {
        OrderKey::Id(id) => ("id", id.to_string()),
        OrderKey::OrderNumber(number) => ("order_number", number.clone()),
        OrderKey::TrackingNumber(number) => ("tracking_number", number.clone()),
    };
    let cast = if column == "id" { "::uuid" } else { "" };
    let sql = format!(
        r#"SELECT id, order_number, tracking_number, mode, total_pieces, origin, destination,
                cargo @> '[{{"dangerous_goods": true}}]'::jsonb AS dangerous_goods
         FROM orders WHERE {column} = $1{cast}"#
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(value)
        .fetch_optional(conn)
        .await?)
}
