//! SQL on `complaint_pauses`: the stretches a complaint waited for the customer.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::calendar::Pause;

/// The pauses of complaint `id`, oldest first.
pub(super) async fn of(conn: &mut PgConnection, id: Uuid) -> Result<Vec<Pause>, ApiError> {
    let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT pause_time, resume_time FROM complaint_pauses
          WHERE complaint_id = $1 ORDER BY pause_time",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(from, to)| Pause { from, to })
        .collect())
}

/// The pauses of each of `ids`.
pub(super) async fn of_all(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Pause>>, ApiError> {
    let rows: Vec<(Uuid, DateTime<Utc>, Option<DateTime<Utc>>)> = sqlx::query_as(
        "SELECT complaint_id, pause_time, resume_time FROM complaint_pauses
          WHERE complaint_id = ANY($1) ORDER BY complaint_id, pause_time",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    let mut pauses: HashMap<Uuid, Vec<Pause>> = HashMap::new();
    for (id, from, to) in rows {
        pauses.entry(id).or_default().push(Pause { from, to });
    }
    Ok(pauses)
}

/// Stores new pauses and the end of the running one.
pub(super) async fn save(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    pauses: &[Pause],
) -> Result<(), ApiError> {
    for pause in pauses {
        sqlx::query(
            "INSERT INTO complaint_pauses (complaint_id, pause_time, resume_time)
             VALUES ($1, $2, $3)
             ON CONFLICT (complaint_id, pause_time) DO UPDATE SET resume_time = $3",
        )
        .bind(complaint_id)
        .bind(pause.from)
        .bind(pause.to)
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}
