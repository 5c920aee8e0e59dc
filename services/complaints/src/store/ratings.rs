//! SQL on `ratings`: the customer's rating of each resolution.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::complaint::Rating;

/// The latest rating of complaint `id`.
pub(super) async fn latest(conn: &mut PgConnection, id: Uuid) -> Result<Option<Rating>, ApiError> {
    let row: Option<(i32, i16, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT resolution_number, score, comment, rate_time FROM ratings
          WHERE complaint_id = $1 ORDER BY resolution_number DESC LIMIT 1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(
        row.map(|(resolution_number, score, comment, rate_time)| Rating {
            resolution_number,
            score,
            comment,
            rate_time,
        }),
    )
}

/// The latest rating of those of `ids` that were rated.
pub(super) async fn latest_of_all(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, Rating>, ApiError> {
    let rows: Vec<(Uuid, i32, i16, String, DateTime<Utc>)> = sqlx::query_as(
        "SELECT DISTINCT ON (complaint_id) complaint_id, resolution_number, score, comment,
                rate_time
           FROM ratings WHERE complaint_id = ANY($1)
          ORDER BY complaint_id, resolution_number DESC",
    )
    .bind(ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, resolution_number, score, comment, rate_time)| {
            let rating = Rating {
                resolution_number,
                score,
                comment,
                rate_time,
            };
            (id, rating)
        })
        .collect())
}

/// Stores the rating of one resolution, by `rated_by`.
pub(crate) async fn insert(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    rating: &Rating,
    rated_by: &str,
) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO ratings (complaint_id, resolution_number, score, comment, rated_by, rate_time)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(complaint_id)
    .bind(rating.resolution_number)
    .bind(rating.score)
    .bind(&rating.comment)
    .bind(rated_by)
    .bind(rating.rate_time)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
