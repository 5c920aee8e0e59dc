//! The address book's use cases: saving an address (idempotently, within the book's limit),
//! changing and deleting one, each under its book's lock; and reading them.

use logistics_contracts::orders::{self as pb, CreateSavedAddressRequest};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use logistics_platform::etag;
use logistics_platform::fields::CustomerRef;
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::proto::saved_address_to_proto;
use crate::clients::CustomersDirectory;
use crate::domain::address::{
    AddressUsage, MAX_SAVED_ADDRESSES_PER_CUSTOMER, SavedAddressDetails, SavedAddressField,
};
use crate::reasons::Reason;
use crate::store::address_book::{self as store, SavedAddressRow};

/// A CreateSavedAddress whose fields `api` checked.
pub(crate) struct NewSavedAddress<'a> {
    /// Who saves it.
    pub(crate) principal: &'a str,
    /// The caller's request id: a retry answers the first address.
    pub(crate) request_id: Uuid,
    /// The request as sent, whose hash tells a retry from a reuse of its id.
    pub(crate) request: &'a CreateSavedAddressRequest,
    /// Whose book, as the caller named the customer.
    pub(crate) customer: CustomerRef,
    /// What to save.
    pub(crate) details: SavedAddressDetails,
}

/// Saves an address in its customer's book, once per request id.
pub(crate) async fn create(
    pool: &PgPool,
    customers: &CustomersDirectory,
    new: NewSavedAddress<'_>,
) -> Result<pb::SavedAddress, ApiError> {
    let NewSavedAddress {
        principal,
        request_id,
        request,
        customer,
        details,
    } = new;
    let mut tx = pool.begin().await?;
    let key = IdempotencyKey {
        principal: principal.to_owned(),
        method: "CreateSavedAddress",
        request_id,
    };
    if let Claim::Replay(first) = idempotency::claim(&mut tx, &key, request).await? {
        return Ok(first);
    }
    // After the claim, like CreateOrder: a retry is answered even while customers is down.
    let customer_id = customers.resolve(&customer).await?;
    let count = store::lock_book(&mut tx, customer_id).await?;
    if count >= MAX_SAVED_ADDRESSES_PER_CUSTOMER {
        return Err(ApiError::FailedPrecondition {
            reason: Reason::AddressBookFull.as_str(),
            message: format!(
                "customer {customer_id} has {MAX_SAVED_ADDRESSES_PER_CUSTOMER} saved addresses already; delete one first"
            ),
            metadata: vec![("limit", MAX_SAVED_ADDRESSES_PER_CUSTOMER.to_string())],
        });
    }
    ensure_label_free(&mut tx, customer_id, &details.label, None).await?;
    let id = Uuid::now_v7();
    store::clear_defaults(&mut tx, customer_id, id, &details).await?;
    let row = store::insert(&mut tx, id, customer_id, &details).await?;
    let saved = saved_address_to_proto(&row)?;
    idempotency::record(&mut tx, &key, &saved).await?;
    tx.commit().await?;
    Ok(saved)
}

/// An UpdateSavedAddress whose fields `api` checked.
pub(crate) struct SavedAddressPatch<'a> {
    /// The address.
    pub(crate) id: Uuid,
    /// How the caller wrote its id, for a NOT_FOUND.
    pub(crate) named: &'a str,
    /// The customer the caller says it belongs to; empty when not said.
    pub(crate) customer_id: &'a str,
    /// The etag the caller read.
    pub(crate) etag: &'a str,
    /// The new values of `fields`.
    pub(crate) patch: SavedAddressDetails,
    /// The fields to change.
    pub(crate) fields: Vec<SavedAddressField>,
}

/// Changes the named fields of a saved address; a change that changes nothing writes nothing.
pub(crate) async fn update(
    pool: &PgPool,
    change: SavedAddressPatch<'_>,
) -> Result<SavedAddressRow, ApiError> {
    let SavedAddressPatch {
        id,
        named,
        customer_id,
        etag,
        patch,
        fields,
    } = change;
    let mut tx = pool.begin().await?;
    let row = lock_address(&mut tx, id, named).await?;
    if !customer_id.is_empty() && customer_id != row.customer_id.to_string() {
        return Err(ApiError::invalid_field(
            "saved_address.customer_id",
            "cannot change: a saved address stays with its customer",
        ));
    }
    ensure_etag(&row, etag)?;
    let mut details = row.details();
    let changed = details.apply(&patch, &fields);
    let mut violations = Violations::new();
    report_problems(&details, &mut violations);
    violations.finish()?;
    if changed.is_empty() {
        return Ok(row);
    }
    if changed.contains(&SavedAddressField::Label) {
        ensure_label_free(&mut tx, row.customer_id, &details.label, Some(id)).await?;
    }
    store::clear_defaults(&mut tx, row.customer_id, id, &details).await?;
    let row = store::update(&mut tx, id, &details).await?;
    tx.commit().await?;
    Ok(row)
}

/// Deletes a saved address the caller read at `etag`.
pub(crate) async fn delete(
    pool: &PgPool,
    id: Uuid,
    named: &str,
    etag: &str,
) -> Result<(), ApiError> {
    let mut tx = pool.begin().await?;
    let row = lock_address(&mut tx, id, named).await?;
    ensure_etag(&row, etag)?;
    store::delete(&mut tx, id).await?;
    tx.commit().await?;
    Ok(())
}

/// One saved address.
pub(crate) async fn get(pool: &PgPool, id: Uuid, named: &str) -> Result<SavedAddressRow, ApiError> {
    let mut conn = pool.acquire().await?;
    store::find(&mut conn, id, false)
        .await?
        .ok_or_else(|| not_found(named))
}

/// A page of a customer's addresses after `after` (oldest first), usable for one of `usages`.
pub(crate) async fn list(
    pool: &PgPool,
    customer_id: Uuid,
    usages: &[AddressUsage],
    after: Option<Uuid>,
    limit: usize,
) -> Result<Vec<SavedAddressRow>, ApiError> {
    store::list(pool, customer_id, usages, after, limit).await
}

/// Records what the domain finds wrong with `details`, under `saved_address.`.
pub(crate) fn report_problems(details: &SavedAddressDetails, violations: &mut Violations) {
    for (field, problem) in details.problems() {
        violations.add(format!("saved_address.{field}"), problem);
    }
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        reason: Reason::SavedAddressNotFound.as_str(),
        resource: "saved address",
        id: id.to_owned(),
    }
}

/// Locks the address's book, then the address: the order CreateSavedAddress takes them in, so
/// concurrent changes of one book queue instead of deadlocking.
async fn lock_address(
    tx: &mut PgConnection,
    id: Uuid,
    text: &str,
) -> Result<SavedAddressRow, ApiError> {
    let unlocked = store::find(tx, id, false)
        .await?
        .ok_or_else(|| not_found(text))?;
    store::lock_book(tx, unlocked.customer_id).await?;
    store::find(tx, id, true)
        .await?
        .ok_or_else(|| not_found(text))
}

/// Refuses a label another of the customer's addresses has.
async fn ensure_label_free(
    tx: &mut PgConnection,
    customer_id: Uuid,
    label: &str,
    except: Option<Uuid>,
) -> Result<(), ApiError> {
    if store::label_taken(tx, customer_id, label, except).await? {
        return Err(ApiError::AlreadyExists {
            reason: Reason::SavedAddressLabelTaken.as_str(),
            message: format!("the customer has a saved address labelled {label:?} already"),
        });
    }
    Ok(())
}

/// Refuses a write over a newer state than the caller read.
fn ensure_etag(row: &SavedAddressRow, etag: &str) -> Result<(), ApiError> {
    etag::check(etag, row.version, format_args!("saved address {}", row.id))
}
