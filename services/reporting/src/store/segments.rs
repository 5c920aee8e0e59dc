//! SQL for customer segmentation: `customer_facts` (each customer's current dimensions) grouped
//! by the requested dimensions, with the spend summed from `order_facts` at read time.

use logistics_platform::ApiError;
use serde::{Deserialize, Serialize};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, QueryBuilder, Row};

use crate::domain::segment::Dimension;

/// Where a page ended: the sort key of its last row (depth, spend descending, customers
/// descending, then the values, an ungrouped one as "").
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Position {
    /// The row's depth.
    pub depth: i32,
    /// Its spend in fen.
    pub spend: i64,
    /// Its customers.
    pub customers: i64,
    /// Its values, one per requested dimension.
    pub values: Vec<String>,
}

/// What to group and which page of it.
#[derive(Debug, Clone)]
pub(crate) struct SegmentQuery {
    /// Group by these, coarse to fine (checked: at least one, none twice).
    pub dimensions: Vec<Dimension>,
    /// Only the customers with these stored values.
    pub filter: Vec<(Dimension, String)>,
    /// Also the subtotals of each coarser level, down to the total.
    pub subtotals: bool,
    /// Rows after this position only.
    pub after: Option<Position>,
    /// At most this many rows.
    pub limit: usize,
}

/// One group of customers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SegmentRow {
    /// How many of the leading dimensions it is grouped by.
    pub depth: i32,
    /// Customers in it.
    pub customers: i64,
    /// Their orders not cancelled.
    pub orders: i64,
    /// The sum of those orders' prices, in fen.
    pub spend: i64,
    /// Its stored value of each requested dimension; `None` past its depth.
    pub values: Vec<Option<String>>,
}

impl SegmentRow {
    /// The position just after this row.
    pub(crate) fn position(&self) -> Position {
        Position {
            depth: self.depth,
            spend: self.spend,
            customers: self.customers,
            values: self
                .values
                .iter()
                .map(|value| value.clone().unwrap_or_default())
                .collect(),
        }
    }
}

/// The rows of `query`'s page, in its order.
pub(crate) async fn segments(
    conn: &mut PgConnection,
    query: &SegmentQuery,
) -> Result<Vec<SegmentRow>, ApiError> {
    let columns: Vec<&str> = query.dimensions.iter().map(|d| d.column()).collect();
    let mut sql = QueryBuilder::<Postgres>::new(
        "WITH picked AS (
             SELECT * FROM customer_facts WHERE NOT deleted",
    );
    for (dimension, value) in &query.filter {
        sql.push(format_args!(" AND {} = ", dimension.column()))
            .push_bind(value.clone());
    }
    sql.push(
        "), spend AS (
             SELECT o.customer_id, count(*) AS orders, sum(o.price_fen) AS spend
               FROM order_facts o JOIN picked p USING (customer_id)
              WHERE NOT o.cancelled GROUP BY o.customer_id
         ), groups AS (SELECT ",
    );
    let grouped: Vec<String> = columns.iter().map(|c| format!("p.{c}")).collect();
    if query.subtotals {
        let rolled: Vec<String> = grouped.iter().map(|c| format!("GROUPING({c})")).collect();
        sql.push(format_args!("{} - ({})", columns.len(), rolled.join(" + ")));
    } else {
        sql.push(columns.len());
    }
    sql.push(
        "::int AS depth, count(*)::bigint AS customers,
                coalesce(sum(s.orders), 0)::bigint AS orders,
                coalesce(sum(s.spend), 0)::bigint AS spend",
    );
    for (index, column) in grouped.iter().enumerate() {
        sql.push(format_args!(", {column} AS v{index}"));
    }
    sql.push(" FROM picked p LEFT JOIN spend s USING (customer_id) GROUP BY ");
    if query.subtotals {
        sql.push(format_args!("ROLLUP ({})", grouped.join(", ")));
    } else {
        sql.push(grouped.join(", "));
    }
    // The sort key, ungrouped values as "": within a depth the same dimensions are grouped,
    // so "" never meets a NULL it could be confused with.
    let values: Vec<String> = (0..columns.len())
        .map(|index| format!("coalesce(v{index}, '')"))
        .collect();
    sql.push(") SELECT * FROM groups");
    if let Some(after) = &query.after {
        sql.push(format_args!(
            " WHERE (depth, -spend, -customers, {}) > (",
            values.join(", ")
        ));
        let mut key = sql.separated(", ");
        key.push_bind(after.depth)
            .push_bind(after.spend.saturating_neg())
            .push_bind(after.customers.saturating_neg());
        for value in &after.values {
            key.push_bind(value.clone());
        }
        sql.push(")");
    }
    sql.push(format_args!(
        " ORDER BY depth, spend DESC, customers DESC, {} LIMIT ",
        values.join(", ")
    ));
    sql.push_bind(i64::try_from(query.limit).unwrap_or(i64::MAX));
    let rows = sql.build().fetch_all(&mut *conn).await?;
    rows.iter()
        .map(|row| segment_row(row, columns.len()))
        .collect()
}

fn segment_row(row: &PgRow, dimensions: usize) -> Result<SegmentRow, ApiError> {
    Ok(SegmentRow {
        depth: row.try_get("depth")?,
        customers: row.try_get("customers")?,
        orders: row.try_get("orders")?,
        spend: row.try_get("spend")?,
        values: (0..dimensions)
            .map(|index| row.try_get(format!("v{index}").as_str()))
            .collect::<Result<_, _>>()?,
    })
}
