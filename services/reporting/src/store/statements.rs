//! SQL on the generated statements: `monthly_statements` (one row per customer and month) and
//! `statement_generations` (the months generated).

use chrono::{DateTime, NaiveDate, Utc};
use logistics_platform::ApiError;
use sqlx::{PgConnection, Postgres, QueryBuilder};
use uuid::Uuid;

/// A stored statement as its row holds it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct StoredStatement {
    /// Its id.
    pub id: Uuid,
    /// The customer.
    pub customer_id: Uuid,
    /// The month's first day.
    pub month: NaiveDate,
    /// When it was generated.
    pub generate_time: DateTime<Utc>,
    /// The month's sums, in the domain's stored order.
    pub sums: Vec<i64>,
    /// The month before's sums.
    pub previous_sums: Vec<i64>,
}

/// One customer's sums of a month and of the month before, to store.
#[derive(Debug, Clone)]
pub(crate) struct NewStatement {
    /// The customer.
    pub customer_id: Uuid,
    /// The month's sums.
    pub sums: Vec<i64>,
    /// The month before's sums.
    pub previous_sums: Vec<i64>,
}

/// Replaces the statements of the month starting `month` with `statements`: a customer's row
/// keeps its id and gets the new sums, rows of customers no longer in the list go, and the month
/// is recorded as generated at `now`.
pub(crate) async fn replace_month(
    conn: &mut PgConnection,
    month: NaiveDate,
    statements: &[NewStatement],
    now: DateTime<Utc>,
) -> Result<(), ApiError> {
    let customers: Vec<Uuid> = statements.iter().map(|s| s.customer_id).collect();
    sqlx::query("DELETE FROM monthly_statements WHERE month = $1 AND customer_id <> ALL($2)")
        .bind(month)
        .bind(&customers)
        .execute(&mut *conn)
        .await?;
    for statement in statements {
        sqlx::query(
            "INSERT INTO monthly_statements (id, customer_id, month, generate_time, sums,
                                             previous_sums)
             VALUES (gen_random_uuid(), $1, $2, $3, $4, $5)
             ON CONFLICT (customer_id, month) DO UPDATE
                SET generate_time = EXCLUDED.generate_time, sums = EXCLUDED.sums,
                    previous_sums = EXCLUDED.previous_sums",
        )
        .bind(statement.customer_id)
        .bind(month)
        .bind(now)
        .bind(&statement.sums)
        .bind(&statement.previous_sums)
        .execute(&mut *conn)
        .await?;
    }
    let count = i32::try_from(statements.len()).unwrap_or(i32::MAX);
    sqlx::query(
        "INSERT INTO statement_generations (month, generate_time, statements_count)
         VALUES ($1, $2, $3)
         ON CONFLICT (month) DO UPDATE
            SET generate_time = EXCLUDED.generate_time,
                statements_count = EXCLUDED.statements_count",
    )
    .bind(month)
    .bind(now)
    .bind(count)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Whether the month starting `month` was generated.
pub(crate) async fn generated(conn: &mut PgConnection, month: NaiveDate) -> Result<bool, ApiError> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM statement_generations WHERE month = $1)")
            .bind(month)
            .fetch_one(&mut *conn)
            .await?,
    )
}

/// The statement with `id`.
pub(crate) async fn by_id(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<StoredStatement>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, month, generate_time, sums, previous_sums
           FROM monthly_statements WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?)
}

/// The statement of `customer_id` for the month starting `month`.
pub(crate) async fn by_customer_month(
    conn: &mut PgConnection,
    customer_id: Uuid,
    month: NaiveDate,
) -> Result<Option<StoredStatement>, ApiError> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, month, generate_time, sums, previous_sums
           FROM monthly_statements WHERE customer_id = $1 AND month = $2",
    )
    .bind(customer_id)
    .bind(month)
    .fetch_optional(&mut *conn)
    .await?)
}

/// Up to `limit` statements of the filter, newest month first then by customer id, after the
/// position `after` (a month's first day and a customer id).
pub(crate) async fn list(
    conn: &mut PgConnection,
    customer_id: Option<Uuid>,
    month: Option<NaiveDate>,
    after: Option<(NaiveDate, Uuid)>,
    limit: usize,
) -> Result<Vec<StoredStatement>, ApiError> {
    let mut query = QueryBuilder::<Postgres>::new(
        "SELECT id, customer_id, month, generate_time, sums, previous_sums
           FROM monthly_statements WHERE true",
    );
    if let Some(customer_id) = customer_id {
        query.push(" AND customer_id = ").push_bind(customer_id);
    }
    if let Some(month) = month {
        query.push(" AND month = ").push_bind(month);
    }
    if let Some((month, customer_id)) = after {
        query
            .push(" AND (month < ")
            .push_bind(month)
            .push(" OR (month = ")
            .push_bind(month)
            .push(" AND customer_id > ")
            .push_bind(customer_id)
            .push("))");
    }
    query
        .push(" ORDER BY month DESC, customer_id LIMIT ")
        .push_bind(i64::try_from(limit).unwrap_or(i64::MAX));
    Ok(query.build_query_as().fetch_all(&mut *conn).await?)
}
