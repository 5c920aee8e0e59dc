//! CustomerService's record use cases: create, update and delete a customer, each one transaction
//! with its change event; and the checks every use case on a customer row shares.

use logistics_contracts::customers::{
    self as pb, CreateCustomerRequest, CustomerCreated, CustomerDeleted, CustomerUpdated,
    stream_changes_response::Event,
};
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use logistics_platform::{ApiError, changefeed, etag};
use sqlx::{PgConnection, PgPool};

use super::events::customer_to_proto;
use crate::domain::customer::{Customer, CustomerRef, Profile, ProfileField};
use crate::domain::grading::{Activity, grade};
use crate::reasons::Reason;
use crate::store::customers::{self as store, NewCustomer};
use crate::store::grading as grading_store;

/// Creates the customer, graded from the start, once per idempotency key: a retry answers with
/// the first answer.
pub(crate) async fn create(
    pool: &PgPool,
    key: &IdempotencyKey,
    request: &CreateCustomerRequest,
    new: &NewCustomer,
) -> Result<pb::Customer, ApiError> {
    let mut tx = pool.begin().await?;
    if let Claim::Replay(response) = idempotency::claim(&mut tx, key, request).await? {
        return Ok(response);
    }
    // Graded from the start, under the policy in force, with no activity yet.
    let policy = grading_store::current_policy(&mut tx).await?;
    let grade = grade(
        new.kind,
        new.status,
        None,
        Activity::default(),
        &policy.policy,
    );
    let inserted = store::insert(&mut tx, new, &grade).await?;
    grading_store::record_initial_grade(&mut tx, &inserted, &grade, policy.version).await?;
    let customer = customer_to_proto(&inserted);
    let event = Event::CustomerCreated(CustomerCreated {
        customer: Some(customer.clone()),
    });
    changefeed::record(&mut tx, &customer.id, event).await?;
    idempotency::record(&mut tx, key, &customer).await?;
    tx.commit().await?;
    Ok(customer)
}

/// Applies `patch`'s `fields` to the customer `id` names (as `customer_ref`) if `etag` matches;
/// an update that changes nothing writes nothing and answers the customer as it is.
pub(crate) async fn update(
    pool: &PgPool,
    customer_ref: &CustomerRef,
    id: &str,
    etag: &str,
    patch: &Profile,
    fields: &[ProfileField],
) -> Result<pb::Customer, ApiError> {
    let mut tx = pool.begin().await?;
    let mut current = lock_for_change(&mut tx, customer_ref, id).await?;
    ensure_not_deleted(&current)?;
    ensure_etag(&current, etag)?;
    let changed = current.profile.apply(patch, fields);
    if changed.is_empty() {
        return Ok(customer_to_proto(&current));
    }
    let updated =
        customer_to_proto(&store::update_profile(&mut tx, current.id, &current.profile).await?);
    let event = Event::CustomerUpdated(CustomerUpdated {
        customer: Some(updated.clone()),
        changed_fields: changed
            .iter()
            .map(|field| field.path().to_owned())
            .collect(),
    });
    changefeed::record(&mut tx, &updated.id, event).await?;
    tx.commit().await?;
    Ok(updated)
}

/// Soft-deletes the customer if `etag` matches.
pub(crate) async fn delete(
    pool: &PgPool,
    customer_ref: &CustomerRef,
    id: &str,
    etag: &str,
) -> Result<pb::Customer, ApiError> {
    let mut tx = pool.begin().await?;
    let current = lock_for_change(&mut tx, customer_ref, id).await?;
    if current.delete_time.is_some() {
        // AIP-164: deleting what is already deleted is NOT_FOUND.
        return Err(not_found(id));
    }
    ensure_etag(&current, etag)?;
    let deleted = customer_to_proto(&store::mark_deleted(&mut tx, current.id).await?);
    let event = Event::CustomerDeleted(CustomerDeleted {
        customer: Some(deleted.clone()),
    });
    changefeed::record(&mut tx, &deleted.id, event).await?;
    tx.commit().await?;
    Ok(deleted)
}

/// Reads a customer and locks its row until the transaction ends, so concurrent changes queue.
pub(crate) async fn lock_for_change(
    tx: &mut PgConnection,
    customer_ref: &CustomerRef,
    id: &str,
) -> Result<Customer, ApiError> {
    store::find(tx, customer_ref, true)
        .await?
        .ok_or_else(|| not_found(id))
}

/// Reads a live or deleted customer without locking it; NOT_FOUND (naming `id`, as the caller
/// wrote it) when there is none.
pub(crate) async fn find(
    conn: &mut PgConnection,
    customer_ref: &CustomerRef,
    id: &str,
) -> Result<Customer, ApiError> {
    store::find(conn, customer_ref, false)
        .await?
        .ok_or_else(|| not_found(id))
}

/// NOT_FOUND for the customer the caller named `id`.
pub(crate) fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        reason: Reason::CustomerNotFound.as_str(),
        resource: "customer",
        id: id.to_owned(),
    }
}

/// FAILED_PRECONDITION when the customer is deleted: only reads and deletes reach it then.
pub(crate) fn ensure_not_deleted(customer: &Customer) -> Result<(), ApiError> {
    match customer.delete_time {
        None => Ok(()),
        Some(_) => Err(ApiError::FailedPrecondition {
            reason: Reason::CustomerDeleted.as_str(),
            message: format!("customer {} is deleted", customer.customer_code),
            metadata: vec![("customer_code", customer.customer_code.clone())],
        }),
    }
}

/// ABORTED when the caller's etag is not the customer's current one (an empty etag passes).
pub(crate) fn ensure_etag(customer: &Customer, etag: &str) -> Result<(), ApiError> {
    etag::check(
        etag,
        customer.version,
        format_args!("customer {}", customer.customer_code),
    )
}
