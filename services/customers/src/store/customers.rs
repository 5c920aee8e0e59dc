//! SQL on the `customers` table: the customer records, their lifecycle and grade columns.

use chrono::{DateTime, Utc};
use logistics_platform::ApiError;
use logistics_platform::stored::Stored;
use serde::{Deserialize, Serialize};
use sqlx::{PgConnection, PgPool, Postgres, QueryBuilder};
use uuid::Uuid;

use sqlx::types::Json;

use crate::domain::customer::{
    Customer, CustomerRef, Kind, PostalAddress, Profile, Role, Status, TransportNeeds,
};
use crate::domain::grading::{GovernmentLevel, Grade, Tier, ValueClass};

/// Every column a [`Customer`] is read from.
pub(crate) const COLUMNS: &str = "id, customer_code, kind, role, display_name, industry, region_code, \
     status, account_manager, notes, version, create_time, update_time, delete_time, tier, \
     value_class, government_level, last_shipment_time, last_order_time, addresses, \
     transport_needs";

/// A `customers` row as read with [`COLUMNS`].
#[derive(sqlx::FromRow)]
pub(crate) struct CustomerRow {
    id: Uuid,
    customer_code: String,
    kind: Stored<Kind>,
    role: Stored<Role>,
    display_name: String,
    industry: String,
    region_code: String,
    status: Stored<Status>,
    account_manager: String,
    notes: String,
    version: i64,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
    delete_time: Option<DateTime<Utc>>,
    tier: Option<Stored<Tier>>,
    value_class: Stored<ValueClass>,
    government_level: Option<Stored<GovernmentLevel>>,
    last_shipment_time: Option<DateTime<Utc>>,
    last_order_time: Option<DateTime<Utc>>,
    addresses: Json<Vec<PostalAddress>>,
    transport_needs: Json<TransportNeeds>,
}

impl From<CustomerRow> for Customer {
    fn from(row: CustomerRow) -> Self {
        Customer {
            id: row.id,
            customer_code: row.customer_code,
            kind: row.kind.0,
            status: row.status.0,
            tier: row.tier.map(Stored::get),
            value_class: row.value_class.0,
            government_level: row.government_level.map(Stored::get),
            last_shipment_time: row.last_shipment_time,
            last_order_time: row.last_order_time,
            profile: Profile {
                role: row.role.0,
                display_name: row.display_name,
                industry: row.industry,
                region_code: row.region_code,
                account_manager: row.account_manager,
                notes: row.notes,
                addresses: row.addresses.0,
                transport_needs: row.transport_needs.0,
            },
            version: row.version,
            create_time: row.create_time,
            update_time: row.update_time,
            delete_time: row.delete_time,
        }
    }
}

/// What a create stores.
#[derive(Debug, Clone)]
pub(crate) struct NewCustomer {
    /// Kind of party.
    pub(crate) kind: Kind,
    /// Initial status.
    pub(crate) status: Status,
    /// Editable fields.
    pub(crate) profile: Profile,
}

/// Inserts a customer with its initial grade, assigning its id and code.
pub(crate) async fn insert(
    tx: &mut PgConnection,
    new: &NewCustomer,
    grade: &Grade,
) -> Result<Customer, ApiError> {
    let sql = format!(
        "INSERT INTO customers (id, kind, role, display_name, industry, region_code, status,
                                account_manager, notes, addresses, transport_needs, tier,
                                value_class)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(Uuid::now_v7())
        .bind(new.kind.as_str())
        .bind(new.profile.role.as_str())
        .bind(&new.profile.display_name)
        .bind(&new.profile.industry)
        .bind(&new.profile.region_code)
        .bind(new.status.as_str())
        .bind(&new.profile.account_manager)
        .bind(&new.profile.notes)
        .bind(Json(&new.profile.addresses))
        .bind(Json(&new.profile.transport_needs))
        .bind(grade.tier.map(Tier::as_str))
        .bind(grade.value_class.as_str())
        .fetch_one(tx)
        .await?;
    Ok(row.into())
}

/// Reads one customer, deleted or not. `lock` takes a row lock for the rest of the transaction.
pub(crate) async fn find(
    conn: &mut PgConnection,
    customer: &CustomerRef,
    lock: bool,
) -> Result<Option<Customer>, ApiError> {
    let lock = if lock { " FOR UPDATE" } else { "" };
    let (column, query) = match customer {
        CustomerRef::Id(_) => ("id", "$1::uuid"),
        CustomerRef::Code(_) => ("customer_code", "$1"),
    };
    let sql = format!("SELECT {COLUMNS} FROM customers WHERE {column} = {query}{lock}");
    let query = sqlx::query_as::<_, CustomerRow>(sqlx::AssertSqlSafe(sql));
    let query = match customer {
        CustomerRef::Id(id) => query.bind(id.to_string()),
        CustomerRef::Code(code) => query.bind(code.clone()),
    };
    Ok(query.fetch_optional(conn).await?.map(Customer::from))
}

/// Writes a customer's profile, bumping its version.
pub(crate) async fn update_profile(
    tx: &mut PgConnection,
    id: Uuid,
    profile: &Profile,
) -> Result<Customer, ApiError> {
    let sql = format!(
        "UPDATE customers
         SET role = $2, display_name = $3, industry = $4, region_code = $5, account_manager = $6,
             notes = $7, addresses = $8, transport_needs = $9, version = version + 1,
             update_time = now()
         WHERE id = $1
         RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(profile.role.as_str())
        .bind(&profile.display_name)
        .bind(&profile.industry)
        .bind(&profile.region_code)
        .bind(&profile.account_manager)
        .bind(&profile.notes)
        .bind(Json(&profile.addresses))
        .bind(Json(&profile.transport_needs))
        .fetch_one(tx)
        .await?;
    Ok(row.into())
}

/// Marks a customer deleted, bumping its version.
pub(crate) async fn mark_deleted(tx: &mut PgConnection, id: Uuid) -> Result<Customer, ApiError> {
    let sql = format!(
        "UPDATE customers SET delete_time = now(), update_time = now(), version = version + 1
         WHERE id = $1
         RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .fetch_one(tx)
        .await?;
    Ok(row.into())
}

/// Which customers to list.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListFilter {
    /// Only this kind.
    pub(crate) kind: Option<Kind>,
    /// Only this status.
    pub(crate) status: Option<Status>,
    /// Only this region.
    pub(crate) region_code: Option<String>,
    /// Only display names starting with this, ignoring case.
    pub(crate) display_name_prefix: Option<String>,
    /// Deleted ones too.
    pub(crate) show_deleted: bool,
}

/// Sort orders of a list; each is a keyset over (key, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListOrder {
    /// Newest first.
    CreateTimeDesc,
    /// Oldest first.
    CreateTimeAsc,
    /// By display name.
    DisplayNameAsc,
    /// By customer code number.
    CustomerCodeAsc,
}

impl ListOrder {
    fn key_column(self) -> &'static str {
        match self {
            Self::CreateTimeDesc | Self::CreateTimeAsc => "create_time",
            Self::DisplayNameAsc => "display_name",
            Self::CustomerCodeAsc => "code_number",
        }
    }

    fn key_type(self) -> &'static str {
        match self {
            Self::CreateTimeDesc | Self::CreateTimeAsc => "timestamptz",
            Self::DisplayNameAsc => "text",
            Self::CustomerCodeAsc => "bigint",
        }
    }

    fn descending(self) -> bool {
        self == Self::CreateTimeDesc
    }
}

/// Where a page ends: the sort key (as text) and id of its last customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ListPosition {
    key: String,
    id: Uuid,
}

/// One page of customers after `after`, and the position after it when more follow.
pub(crate) async fn list(
    pool: &PgPool,
    filter: &ListFilter,
    order: ListOrder,
    after: Option<&ListPosition>,
    page_size: usize,
) -> Result<(Vec<Customer>, Option<ListPosition>), ApiError> {
    let key = order.key_column();
    let mut query = QueryBuilder::<Postgres>::new(format!(
        "SELECT {COLUMNS}, {key}::text AS sort_key FROM customers WHERE true"
    ));
    if !filter.show_deleted {
        query.push(" AND delete_time IS NULL");
    }
    if let Some(kind) = filter.kind {
        query.push(" AND kind = ").push_bind(kind.as_str());
    }
    if let Some(status) = filter.status {
        query.push(" AND status = ").push_bind(status.as_str());
    }
    if let Some(region) = &filter.region_code {
        query.push(" AND region_code = ").push_bind(region.clone());
    }
    if let Some(prefix) = &filter.display_name_prefix {
        query
            .push(" AND lower(display_name) LIKE ")
            .push_bind(format!("{}%", escape_like(&prefix.to_lowercase())))
            .push(r" ESCAPE '\'");
    }
    let direction = if order.descending() { "DESC" } else { "ASC" };
    if let Some(after) = after {
        let comparison = if order.descending() { "<" } else { ">" };
        query
            .push(format!(" AND ({key}, id) {comparison} ("))
            .push_bind(after.key.clone())
            .push(format!("::{}, ", order.key_type()))
            .push_bind(after.id)
            .push(")");
    }
    query
        .push(format!(
            " ORDER BY {key} {direction}, id {direction} LIMIT "
        ))
        .push_bind(page_size as i64 + 1);

    let rows: Vec<(CustomerRow, String)> = query
        .build()
        .try_map(|row: sqlx::postgres::PgRow| {
            use sqlx::{FromRow as _, Row as _};
            Ok((CustomerRow::from_row(&row)?, row.try_get("sort_key")?))
        })
        .fetch_all(pool)
        .await?;

    let more = rows.len() > page_size;
    let mut customers = Vec::with_capacity(rows.len().min(page_size));
    let mut next = None;
    for (row, sort_key) in rows.into_iter().take(page_size) {
        next = Some(ListPosition {
            key: sort_key,
            id: row.id,
        });
        customers.push(Customer::from(row));
    }
    Ok((customers, if more { next } else { None }))
}

/// Escapes LIKE wildcards so a prefix matches literally.
fn escape_like(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Moves the customer's last shipment time up to `occur_time` (a shipment dated earlier than the
/// last leaves it) and bumps its version: the shipment changed the resource.
pub(crate) async fn note_shipment(
    tx: &mut PgConnection,
    customer_id: Uuid,
    occur_time: DateTime<Utc>,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE customers
         SET last_shipment_time = GREATEST(last_shipment_time, $2), update_time = now(),
             version = version + 1
         WHERE id = $1",
    )
    .bind(customer_id)
    .bind(occur_time)
    .execute(tx)
    .await?;
    Ok(())
}

/// Moves the last order time of `customer_id` to `order_time` when it is a live customer in one
/// of `statuses`; false, with nothing written, when it is not.
pub(crate) async fn record_order_in_status(
    tx: &mut PgConnection,
    customer_id: Uuid,
    order_time: DateTime<Utc>,
    statuses: &[&str],
) -> Result<bool, ApiError> {
    let updated = sqlx::query(
        "UPDATE customers
         SET last_order_time = GREATEST(last_order_time, $2)
         WHERE id = $1 AND delete_time IS NULL AND status = ANY($3)",
    )
    .bind(customer_id)
    .bind(order_time)
    .bind(statuses)
    .execute(tx)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// Notes that the customer placed an order at `order_time` (the inactivity clock restarts from
/// its latest order as from its latest shipment). The field is internal, not part of the resource,
/// so the version (etag) stays: staff editing the customer meanwhile must not be refused for it.
pub(crate) async fn record_order(
    tx: &mut PgConnection,
    customer_id: Uuid,
    order_time: DateTime<Utc>,
) -> Result<(), ApiError> {
    sqlx::query(
        "UPDATE customers
         SET last_order_time = GREATEST(last_order_time, $2)
         WHERE id = $1",
    )
    .bind(customer_id)
    .bind(order_time)
    .execute(tx)
    .await?;
    Ok(())
}

/// Sets the customer's status; its history row is the caller's to write
/// ([`super::status_history::insert`]).
pub(crate) async fn set_status(
    tx: &mut PgConnection,
    id: Uuid,
    to: Status,
) -> Result<Customer, ApiError> {
    let sql = format!(
        "UPDATE customers SET status = $2, version = version + 1, update_time = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(to.as_str())
        .fetch_one(tx)
        .await?;
    Ok(row.into())
}

/// Sets the customer's tier and value class; the tier history row is the caller's to write
/// ([`super::grading::insert_tier_change`]).
pub(crate) async fn set_grade(
    tx: &mut PgConnection,
    id: Uuid,
    tier: Tier,
    value_class: ValueClass,
) -> Result<Customer, ApiError> {
    let sql = format!(
        "UPDATE customers SET tier = $2, value_class = $3, version = version + 1,
                              update_time = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(tier.as_str())
        .bind(value_class.as_str())
        .fetch_one(tx)
        .await?;
    Ok(row.into())
}

/// Sets a government customer's level.
pub(crate) async fn set_government_level(
    tx: &mut PgConnection,
    id: Uuid,
    level: GovernmentLevel,
) -> Result<Customer, ApiError> {
    let sql = format!(
        "UPDATE customers SET government_level = $2, version = version + 1, update_time = now()
         WHERE id = $1 RETURNING {COLUMNS}"
    );
    let row: CustomerRow = sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(level.as_str())
        .fetch_one(tx)
        .await?;
    Ok(row.into())
}

/// Ids of live customers after `after`, in id order: the sweep walks everyone in batches.
pub(crate) async fn customer_ids_after(
    pool: &PgPool,
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<Uuid>, ApiError> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM customers
         WHERE delete_time IS NULL AND ($1::uuid IS NULL OR id > $1)
         ORDER BY id LIMIT $2",
    )
    .bind(after)
    .bind(limit as i64)
    .fetch_all(pool)
    .await?)
}

/// Clears the customer's free-text personal fields and marks it erased (keeping the first erase
/// time). `display_name` replaces the name when given (individuals: their name is personal data).
pub(crate) async fn erase_customer_fields(
    tx: &mut PgConnection,
    customer_id: Uuid,
    display_name: Option<&str>,
) -> Result<DateTime<Utc>, ApiError> {
    let (erase_time,): (DateTime<Utc>,) = sqlx::query_as(
        "UPDATE customers
         SET notes = '', addresses = '[]', display_name = coalesce($2, display_name),
             erase_time = coalesce(erase_time, now()), version = version + 1, update_time = now()
         WHERE id = $1
         RETURNING erase_time",
    )
    .bind(customer_id)
    .bind(display_name)
    .fetch_one(tx)
    .await?;
    Ok(erase_time)
}

/// The facts about a customer that contact, loyalty and erasure changes check.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct CustomerState {
    /// Its id.
    pub(crate) id: Uuid,
    /// Its code.
    pub(crate) customer_code: String,
    /// INDIVIDUAL, ENTERPRISE or GOVERNMENT.
    pub(crate) kind: Stored<Kind>,
    /// Whether it is deleted.
    pub(crate) deleted: bool,
    /// When its personal data was first erased.
    pub(crate) erase_time: Option<DateTime<Utc>>,
}

/// Reads a customer's state; `lock` holds its row until the transaction ends, so contact changes
/// of one customer queue (the contact limit holds under concurrency).
pub(crate) async fn state(
    conn: &mut PgConnection,
    customer: &CustomerRef,
    lock: bool,
) -> Result<Option<CustomerState>, ApiError> {
    let sql = match (customer, lock) {
        (CustomerRef::Id(_), false) => {
            "SELECT id, customer_code, kind, delete_time IS NOT NULL AS deleted, erase_time FROM customers \
             WHERE id = $1::uuid"
        }
        (CustomerRef::Id(_), true) => {
            "SELECT id, customer_code, kind, delete_time IS NOT NULL AS deleted, erase_time FROM customers \
             WHERE id = $1::uuid FOR UPDATE"
        }
        (CustomerRef::Code(_), false) => {
            "SELECT id, customer_code, kind, delete_time IS NOT NULL AS deleted, erase_time FROM customers \
             WHERE customer_code = $1"
        }
        (CustomerRef::Code(_), true) => {
            "SELECT id, customer_code, kind, delete_time IS NOT NULL AS deleted, erase_time FROM customers \
             WHERE customer_code = $1 FOR UPDATE"
        }
    };
    let key = match customer {
        CustomerRef::Id(id) => id.to_string(),
        CustomerRef::Code(code) => code.to_uppercase(),
    };
    Ok(sqlx::query_as(sql).bind(key).fetch_optional(conn).await?)
}

/// Whether a customer can take new engagement records.
#[derive(Debug, Clone)]
pub(crate) struct DeletionState {
    /// Its code, for error messages.
    pub(crate) customer_code: String,
    /// When it was deleted, if it was.
    pub(crate) delete_time: Option<DateTime<Utc>>,
}

/// Reads a customer's code and deletion, holding a share lock until the transaction ends so a
/// concurrent delete waits for the record being added.
pub(crate) async fn lock_shared(
    tx: &mut PgConnection,
    customer_id: Uuid,
) -> Result<Option<DeletionState>, ApiError> {
    let row: Option<(String, Option<DateTime<Utc>>)> =
        sqlx::query_as("SELECT customer_code, delete_time FROM customers WHERE id = $1 FOR SHARE")
            .bind(customer_id)
            .fetch_optional(tx)
            .await?;
    Ok(row.map(|(customer_code, delete_time)| DeletionState {
        customer_code,
        delete_time,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_prefix_match_literally() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
        assert_eq!(escape_like("acme"), "acme");
    }
}
