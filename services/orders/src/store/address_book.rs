//! SQL on the address book: saved addresses, and the per-customer row that serializes changes.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use sqlx::types::Json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::domain::address::{AddressUsage, SavedAddressDetails};
use crate::domain::order::PostalAddress;

const COLUMNS: &str = "id, customer_id, label, address, usage, default_sender, default_recipient, \
                       version, create_time, update_time";

/// A saved address as stored.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct SavedAddressRow {
    /// Its id (UUIDv7).
    pub(crate) id: Uuid,
    /// The customer's id.
    pub(crate) customer_id: Uuid,
    /// The customer's name for it.
    pub(crate) label: String,
    /// The address.
    pub(crate) address: Json<PostalAddress>,
    /// SENDER, RECIPIENT or BOTH.
    pub(crate) usage: Stored<AddressUsage>,
    /// Default sender address.
    pub(crate) default_sender: bool,
    /// Default recipient address.
    pub(crate) default_recipient: bool,
    /// Bumped by every change; the etag.
    pub(crate) version: i64,
    /// When saved.
    pub(crate) create_time: DateTime<Utc>,
    /// When last changed.
    pub(crate) update_time: DateTime<Utc>,
}

impl SavedAddressRow {
    /// The fields callers set.
    pub(crate) fn details(&self) -> SavedAddressDetails {
        SavedAddressDetails {
            label: self.label.clone(),
            address: self.address.0.clone(),
            usage: self.usage.0,
            default_sender: self.default_sender,
            default_recipient: self.default_recipient,
        }
    }
}

/// Locks the customer's address book (creating it on first use) until the transaction ends, and
/// returns how many addresses it holds. Every change of the book takes this lock first, so the
/// limit and the default flags hold under concurrency.
pub(crate) async fn lock_book(tx: &mut PgConnection, customer_id: Uuid) -> Result<i64, ApiError> {
    sqlx::query("INSERT INTO address_books (customer_id) VALUES ($1) ON CONFLICT DO NOTHING")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("SELECT 1 FROM address_books WHERE customer_id = $1 FOR UPDATE")
        .bind(customer_id)
        .execute(&mut *tx)
        .await?;
    let (count,): (i64,) =
        sqlx::query_as("SELECT count(*) FROM saved_addresses WHERE customer_id = $1")
            .bind(customer_id)
            .fetch_one(&mut *tx)
            .await?;
    Ok(count)
}

/// Clears the default flags that `details` takes from the customer's other addresses.
pub(crate) async fn clear_defaults(
    tx: &mut PgConnection,
    customer_id: Uuid,
    except: Uuid,
    details: &SavedAddressDetails,
) -> Result<(), ApiError> {
    if !details.default_sender && !details.default_recipient {
        return Ok(());
    }
    sqlx::query(
        "UPDATE saved_addresses
         SET default_sender = default_sender AND NOT $3,
             default_recipient = default_recipient AND NOT $4,
             version = version + 1, update_time = now()
         WHERE customer_id = $1 AND id <> $2
           AND ((default_sender AND $3) OR (default_recipient AND $4))",
    )
    .bind(customer_id)
    .bind(except)
    .bind(details.default_sender)
    .bind(details.default_recipient)
    .execute(tx)
    .await?;
    Ok(())
}

/// Whether another of the customer's addresses has this label (ignoring case).
pub(crate) async fn label_taken(
    conn: &mut PgConnection,
    customer_id: Uuid,
    label: &str,
    except: Option<Uuid>,
) -> Result<bool, ApiError> {
    let (taken,): (bool,) = sqlx::query_as(
        "SELECT EXISTS (SELECT 1 FROM saved_addresses
                        WHERE customer_id = $1 AND lower(label) = lower($2)
                          AND id IS DISTINCT FROM $3)",
    )
    .bind(customer_id)
    .bind(label)
    .bind(except)
    .fetch_one(conn)
    .await?;
    Ok(taken)
}

/// Inserts a saved address.
pub(crate) async fn insert(
    tx: &mut PgConnection,
    id: Uuid,
    customer_id: Uuid,
    details: &SavedAddressDetails,
) -> Result<SavedAddressRow, ApiError> {
    let sql = format!(
        "INSERT INTO saved_addresses (id, customer_id, label, address, usage, default_sender,
                                      default_recipient)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(customer_id)
        .bind(&details.label)
        .bind(Json(&details.address))
        .bind(details.usage.as_str())
        .bind(details.default_sender)
        .bind(details.default_recipient)
        .fetch_one(tx)
        .await?)
}

/// Reads one saved address; `lock` holds its row until the transaction ends.
pub(crate) async fn find(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<SavedAddressRow>, ApiError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM saved_addresses WHERE id = $1{lock}");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Rewrites a saved address, bumping its version.
pub(crate) async fn update(
    tx: &mut PgConnection,
    id: Uuid,
    details: &SavedAddressDetails,
) -> Result<SavedAddressRow, ApiError> {
    let sql = format!(
        "UPDATE saved_addresses
         SET label = $2, address = $3, usage = $4, default_sender = $5, default_recipient = $6,
             version = version + 1, update_time = now()
         WHERE id = $1
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(&details.label)
        .bind(Json(&details.address))
        .bind(details.usage.as_str())
        .bind(details.default_sender)
        .bind(details.default_recipient)
        .fetch_one(tx)
        .await?)
}

/// Deletes a saved address.
pub(crate) async fn delete(tx: &mut PgConnection, id: Uuid) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM saved_addresses WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

/// A page of a customer's addresses after `after` (oldest first), usable for one of `usages`.
pub(crate) async fn list(
    pool: &PgPool,
    customer_id: Uuid,
    usages: &[AddressUsage],
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<SavedAddressRow>, ApiError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM saved_addresses
         WHERE customer_id = $1 AND usage = ANY($2) AND ($3::uuid IS NULL OR id > $3)
         ORDER BY id LIMIT $4"
    );
    let usages: Vec<&str> = usages.iter().map(|usage| usage.as_str()).collect();
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(usages)
        .bind(after)
        .bind(limit as i64)
        .fetch_all(pool)
        .await?)
}
