//! SQL on the `contacts` table and AddContact's `contact_first_answers`. Values arrive here already
//! sealed; this module never sees personal data in plaintext.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

const COLUMNS: &str = "id, customer_id, name_sealed, phone_sealed, email_sealed, role, is_primary, \
                       version, create_time, update_time";

/// A contact as stored: personal fields sealed.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct ContactRow {
    /// Contact id (UUIDv7).
    pub(crate) id: Uuid,
    /// Owning customer.
    pub(crate) customer_id: Uuid,
    /// Sealed name.
    pub(crate) name_sealed: Vec<u8>,
    /// Sealed normalized phone.
    pub(crate) phone_sealed: Option<Vec<u8>>,
    /// Sealed normalized email.
    pub(crate) email_sealed: Option<Vec<u8>>,
    /// Role at the customer.
    pub(crate) role: String,
    /// Main contact.
    pub(crate) is_primary: bool,
    /// Bumped by every change; the etag.
    pub(crate) version: i64,
    /// When added.
    pub(crate) create_time: DateTime<Utc>,
    /// When last changed.
    pub(crate) update_time: DateTime<Utc>,
}

/// A sealed value and its lookup hash.
#[derive(Debug, Clone)]
pub(crate) struct Searchable {
    /// The sealed value.
    pub(crate) sealed: Vec<u8>,
    /// The keyed hash of the normalized value.
    pub(crate) lookup: Vec<u8>,
}

/// What an insert or update writes.
#[derive(Debug, Clone)]
pub(crate) struct SealedContact {
    /// Sealed name.
    pub(crate) name: Vec<u8>,
    /// Phone, if any.
    pub(crate) phone: Option<Searchable>,
    /// Email, if any.
    pub(crate) email: Option<Searchable>,
    /// Role.
    pub(crate) role: String,
    /// Main contact.
    pub(crate) primary: bool,
}

/// How many contacts a customer has.
pub(crate) async fn count(conn: &mut PgConnection, customer_id: Uuid) -> Result<i64, ApiError> {
    let (count,): (i64,) = sqlx::query_as("SELECT count(*) FROM contacts WHERE customer_id = $1")
        .bind(customer_id)
        .fetch_one(conn)
        .await?;
    Ok(count)
}

/// Clears the main-contact flag of a customer's other contacts, before one becomes main.
pub(crate) async fn clear_primary(
    tx: &mut PgConnection,
    customer_id: Uuid,
    except: Uuid,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE contacts SET is_primary = false, version = version + 1, update_time = now()
         WHERE customer_id = $1 AND is_primary AND id <> $2",
    )
    .bind(customer_id)
    .bind(except)
    .execute(tx)
    .await?;
    Ok(())
}

/// Inserts a contact with the id the caller sealed it for.
pub(crate) async fn insert(
    tx: &mut PgConnection,
    id: Uuid,
    customer_id: Uuid,
    contact: &SealedContact,
) -> Result<ContactRow, ApiError> {
    let sql = format!(
        "INSERT INTO contacts (id, customer_id, name_sealed, phone_sealed, phone_lookup,
                               email_sealed, email_lookup, role, is_primary)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         RETURNING {COLUMNS}"
    );
    let row = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(customer_id)
        .bind(&contact.name)
        .bind(contact.phone.as_ref().map(|phone| &phone.sealed))
        .bind(contact.phone.as_ref().map(|phone| &phone.lookup))
        .bind(contact.email.as_ref().map(|email| &email.sealed))
        .bind(contact.email.as_ref().map(|email| &email.lookup))
        .bind(&contact.role)
        .bind(contact.primary)
        .fetch_one(tx)
        .await?;
    Ok(row)
}

/// Reads one contact; `lock` holds its row until the transaction ends.
pub(crate) async fn find(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> Result<Option<ContactRow>, ApiError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let sql = format!("SELECT {COLUMNS} FROM contacts WHERE id = $1{lock}");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Keeps the contact as it was just inserted, for AddContact retries to answer with.
pub(crate) async fn keep_first_answer(tx: &mut PgConnection, id: Uuid) -> Result<(), ApiError> {
    let sql = format!(
        "INSERT INTO contact_first_answers ({COLUMNS}) SELECT {COLUMNS} FROM contacts WHERE id = $1"
    );
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The contact as AddContact first answered it; none once the contact is gone or the answer
/// was pruned.
pub(crate) async fn first_answer(
    conn: &mut PgConnection,
    id: Uuid,
) -> Result<Option<ContactRow>, ApiError> {
    let sql = format!("SELECT {COLUMNS} FROM contact_first_answers WHERE id = $1");
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_optional(conn)
        .await?)
}

/// Deletes the first answers older than `age`: past it their request ids have expired, and
/// personal data no retry can ask for is not kept.
pub async fn prune_first_answers(pool: &PgPool, age: std::time::Duration) -> Result<u64, ApiError> {
    Ok(sqlx::query(
        "DELETE FROM contact_first_answers WHERE create_time < now() - make_interval(secs => $1)",
    )
    .bind(age.as_secs_f64())
    .execute(pool)
    .await?
    .rows_affected())
}

/// Rewrites a contact, bumping its version.
pub(crate) async fn update(
    tx: &mut PgConnection,
    id: Uuid,
    contact: &SealedContact,
) -> Result<ContactRow, ApiError> {
    let sql = format!(
        "UPDATE contacts
         SET name_sealed = $2, phone_sealed = $3, phone_lookup = $4, email_sealed = $5,
             email_lookup = $6, role = $7, is_primary = $8, version = version + 1,
             update_time = now()
         WHERE id = $1
         RETURNING {COLUMNS}"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(&contact.name)
        .bind(contact.phone.as_ref().map(|phone| &phone.sealed))
        .bind(contact.phone.as_ref().map(|phone| &phone.lookup))
        .bind(contact.email.as_ref().map(|email| &email.sealed))
        .bind(contact.email.as_ref().map(|email| &email.lookup))
        .bind(&contact.role)
        .bind(contact.primary)
        .fetch_one(tx)
        .await?)
}

/// Deletes a contact for good.
pub(crate) async fn delete(tx: &mut PgConnection, id: Uuid) -> Result<(), ApiError> {
    sqlx::query("DELETE FROM contacts WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

/// Up to `limit` contacts of a customer after the contact `after`, oldest first.
pub(crate) async fn list(
    pool: &PgPool,
    customer_id: Uuid,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<ContactRow>, ApiError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM contacts
         WHERE customer_id = $1 AND ($2::uuid IS NULL OR id > $2)
         ORDER BY id LIMIT $3"
    );
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(customer_id)
        .bind(after)
        .bind(limit as i64)
        .fetch_all(pool)
        .await?)
}

/// Which lookup hash to search.
#[derive(Debug, Clone, Copy)]
pub(crate) enum LookupColumn {
    /// By phone.
    Phone,
    /// By email.
    Email,
}

/// A customer found through one of its contacts.
#[derive(Debug, sqlx::FromRow)]
pub(crate) struct Match {
    /// The customer.
    pub(crate) customer_id: Uuid,
    /// Its code.
    pub(crate) customer_code: String,
    /// Its display name.
    pub(crate) display_name: String,
    /// The matching contact.
    pub(crate) contact_id: Uuid,
}

/// Customers (not deleted) with a contact whose lookup hash is `hash`, at most `limit`.
pub(crate) async fn find_by_lookup(
    pool: &PgPool,
    column: LookupColumn,
    hash: &[u8],
    limit: usize,
) -> Result<Vec<Match>, ApiError> {
    let sql = match column {
        LookupColumn::Phone => {
            "SELECT c.id AS customer_id, c.customer_code, c.display_name, k.id AS contact_id
             FROM contacts k JOIN customers c ON c.id = k.customer_id
             WHERE k.phone_lookup = $1 AND c.delete_time IS NULL
             ORDER BY k.id LIMIT $2"
        }
        LookupColumn::Email => {
            "SELECT c.id AS customer_id, c.customer_code, c.display_name, k.id AS contact_id
             FROM contacts k JOIN customers c ON c.id = k.customer_id
             WHERE k.email_lookup = $1 AND c.delete_time IS NULL
             ORDER BY k.id LIMIT $2"
        }
    };
    Ok(sqlx::query_as(sql)
        .bind(hash)
        .bind(limit as i64)
        .fetch_all(pool)
        .await?)
}

/// Deletes every contact of a customer; returns how many there were.
pub(crate) async fn delete_all(tx: &mut PgConnection, customer_id: Uuid) -> Result<u64, ApiError> {
    Ok(sqlx::query("DELETE FROM contacts WHERE customer_id = $1")
        .bind(customer_id)
        .execute(tx)
        .await?
        .rows_affected())
}
