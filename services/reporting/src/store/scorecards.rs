//! SQL on `scorecard_templates` and `scorecard_template_items`: templates users create (not a
//! projection of the feeds).

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::domain::kpi::Kpi;
use crate::domain::scorecard::{Direction, Rule};

/// A stored template.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Template {
    /// Its id.
    pub id: Uuid,
    /// Its name.
    pub display_name: String,
    /// What it is for.
    pub description: String,
    /// Its rules, in order.
    pub rules: Vec<Rule>,
    /// Who created it.
    pub creator: String,
    /// When.
    pub create_time: DateTime<Utc>,
}

/// Where a page of templates ends: the last one's creation time (microseconds) and id.
pub(crate) type Position = (i64, Uuid);

/// Stores a new template.
pub(crate) async fn insert(tx: &mut PgConnection, template: &Template) -> Result<(), ApiError> {
    sqlx::query(
        "INSERT INTO scorecard_templates (id, display_name, description, creator, create_time)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(template.id)
    .bind(&template.display_name)
    .bind(&template.description)
    .bind(&template.creator)
    .bind(template.create_time)
    .execute(&mut *tx)
    .await?;
    for (position, rule) in template.rules.iter().enumerate() {
        sqlx::query(
            "INSERT INTO scorecard_template_items (template_id, position, kpi, weight_points,
                 direction, target_basis_points, deduction_centipoints, floor_basis_points)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(template.id)
        .bind(i16::try_from(position).map_err(anyhow::Error::from)?)
        .bind(Stored(rule.kpi))
        .bind(rule.weight_points)
        .bind(Stored(rule.direction))
        .bind(rule.target_basis_points)
        .bind(rule.deduction_centipoints)
        .bind(rule.floor_basis_points)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

type HeadRow = (Uuid, String, String, String, DateTime<Utc>);
type ItemRow = (Uuid, Stored<Kpi>, i32, Stored<Direction>, i32, i32, i32);

/// The templates `heads` names, with their items.
async fn with_items(
    conn: &mut PgConnection,
    heads: Vec<HeadRow>,
) -> Result<Vec<Template>, ApiError> {
    let ids: Vec<Uuid> = heads.iter().map(|head| head.0).collect();
    let items: Vec<ItemRow> = sqlx::query_as(
        "SELECT template_id, kpi, weight_points, direction, target_basis_points,
                deduction_centipoints, floor_basis_points
           FROM scorecard_template_items WHERE template_id = ANY($1)
          ORDER BY template_id, position",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?;
    Ok(heads
        .into_iter()
        .map(
            |(id, display_name, description, creator, create_time)| Template {
                id,
                display_name,
                description,
                rules: items
                    .iter()
                    .filter(|item| item.0 == id)
                    .map(|item| Rule {
                        kpi: item.1.get(),
                        weight_points: item.2,
                        direction: item.3.get(),
                        target_basis_points: item.4,
                        deduction_centipoints: item.5,
                        floor_basis_points: item.6,
                    })
                    .collect(),
                creator,
                create_time,
            },
        )
        .collect())
}

/// The template `id`, if there is one.
pub(crate) async fn get(conn: &mut PgConnection, id: Uuid) -> Result<Option<Template>, ApiError> {
    let heads: Vec<HeadRow> = sqlx::query_as(
        "SELECT id, display_name, description, creator, create_time
           FROM scorecard_templates WHERE id = $1",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    Ok(with_items(conn, heads).await?.pop())
}

/// Up to `limit` templates after `after`, oldest first.
pub(crate) async fn page(
    conn: &mut PgConnection,
    after: Option<Position>,
    limit: i64,
) -> Result<Vec<Template>, ApiError> {
    let (after_micros, after_id) = after.unzip();
    let heads: Vec<HeadRow> = sqlx::query_as(
        "SELECT id, display_name, description, creator, create_time
           FROM scorecard_templates
          WHERE $1::bigint IS NULL
             OR (create_time, id) > ('epoch'::timestamptz + $1 * interval '1 microsecond', $2)
          ORDER BY create_time, id
          LIMIT $3",
    )
    .bind(after_micros)
    .bind(after_id)
    .bind(limit)
    .fetch_all(&mut *conn)
    .await?;
    with_items(conn, heads).await
}
