//! ContactService's use cases. Contacts are personal data: sealed with the context's
//! [`PiiCipher`] before they reach the store, opened only to answer, and never written to events
//! or idempotency records (a retried AddContact answers from its sealed first answer).

use std::sync::Arc;

use logistics_contracts::customers::{
    self as pb, AddContactRequest, ContactAdded, ContactRemoved, ContactUpdated,
    EraseCustomerPersonalDataResponse, stream_changes_response,
};
use logistics_platform::error::Violations;
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use logistics_platform::pii::PiiCipher;
use logistics_platform::time::timestamp;
use logistics_platform::{ApiError, changefeed, etag};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::customers::not_found as customer_not_found;
use super::erasure;
use crate::domain::contact::{ContactDetails, ContactField, MAX_CONTACTS_PER_CUSTOMER};
use crate::domain::customer::CustomerRef;
use crate::reasons::Reason;
use crate::store::contacts::{
    self as store, ContactRow, LookupColumn, Match, SealedContact, Searchable,
};
use crate::store::customers::{self as customer_store, CustomerState};

/// Lookup-hash purposes: one per kind of value, so equal strings of two kinds never collide.
const PHONE_LOOKUP: &str = "contact.phone";
const EMAIL_LOOKUP: &str = "contact.email";

/// The contacts over their database and the cipher that seals them.
#[derive(Clone)]
pub(crate) struct Contacts {
    pool: PgPool,
    pii: Arc<PiiCipher>,
}

impl Contacts {
    /// The contacts of `pool`, sealed with `pii`.
    pub(crate) fn new(pool: PgPool, pii: Arc<PiiCipher>) -> Self {
        Self { pool, pii }
    }

    /// Adds a contact to a writable customer, once per idempotency key: a retry answers with the
    /// contact as first answered.
    pub(crate) async fn add(
        &self,
        key: &IdempotencyKey,
        request: &AddContactRequest,
        customer_ref: &CustomerRef,
        customer_text: &str,
        details: ContactDetails,
    ) -> Result<pb::Contact, ApiError> {
        let mut tx = self.pool.begin().await?;
        // The stored request hash and response must not hold personal data: hash a fingerprint
        // made with the keyed lookup hashes, and store only the new contact's id.
        let fingerprint = self.fingerprint(request);
        if let Claim::Replay(first) =
            idempotency::claim::<_, pb::Contact>(&mut tx, key, &fingerprint).await?
        {
            return self.replay_add(&mut tx, &first.id).await;
        }
        let customer = lock_customer(&mut tx, customer_ref, customer_text).await?;
        ensure_writable(&customer)?;
        if store::count(&mut tx, customer.id).await? >= MAX_CONTACTS_PER_CUSTOMER {
            return Err(ApiError::FailedPrecondition {
                reason: Reason::ContactLimitReached.as_str(),
                message: format!(
                    "customer {} has {MAX_CONTACTS_PER_CUSTOMER} contacts already; remove one first",
                    customer.customer_code
                ),
                metadata: vec![("limit", MAX_CONTACTS_PER_CUSTOMER.to_string())],
            });
        }
        let id = Uuid::now_v7();
        if details.primary {
            store::clear_primary(&mut tx, customer.id, id).await?;
        }
        let row = store::insert(&mut tx, id, customer.id, &self.seal(id, &details)).await?;
        store::keep_first_answer(&mut tx, id).await?;
        let contact = to_proto(&row, details);
        let event = stream_changes_response::Event::ContactAdded(ContactAdded {
            contact_id: contact.id.clone(),
            customer_id: contact.customer_id.clone(),
            role: contact.role.clone(),
            primary: contact.primary,
        });
        changefeed::record(&mut tx, &contact.id, event).await?;
        // The response proper is kept sealed in contact_first_answers, deleted with the contact.
        let stored = pb::Contact {
            id: contact.id.clone(),
            ..Default::default()
        };
        idempotency::record(&mut tx, key, &stored).await?;
        tx.commit().await?;
        Ok(contact)
    }

    /// What a retried AddContact answers: the contact as first answered, while it exists.
    async fn replay_add(
        &self,
        conn: &mut PgConnection,
        stored_id: &str,
    ) -> Result<pb::Contact, ApiError> {
        let id = Uuid::try_parse(stored_id)
            .map_err(|_| anyhow::anyhow!("stored AddContact response has no contact id"))?;
        let row = match store::first_answer(conn, id).await? {
            Some(first) => first,
            // Pruned at the very end of the request id's retention: the contact as it is now.
            None => store::find(conn, id, false)
                .await?
                .ok_or_else(|| contact_not_found(stored_id))?,
        };
        self.to_proto(&row)
    }

    /// Changes the contact's `fields` to `patch`'s if `etag` matches; it must stay reachable.
    pub(crate) async fn update(
        &self,
        id: Uuid,
        text: &str,
        etag: &str,
        patch: &ContactDetails,
        fields: &[ContactField],
    ) -> Result<pb::Contact, ApiError> {
        let mut tx = self.pool.begin().await?;
        let (customer, row) = lock_contact(&mut tx, id, text).await?;
        ensure_writable(&customer)?;
        ensure_etag(&row, etag)?;
        let mut details = self.open(&row)?;
        let changed = details.apply(patch, fields);
        if !details.is_reachable() {
            let mut violations = Violations::new();
            require_reachable(&mut violations);
            return Err(violations.into_error());
        }
        if changed.is_empty() {
            return Ok(to_proto(&row, details));
        }
        if details.primary {
            store::clear_primary(&mut tx, customer.id, id).await?;
        }
        let row = store::update(&mut tx, id, &self.seal(id, &details)).await?;
        let contact = to_proto(&row, details);
        let event = stream_changes_response::Event::ContactUpdated(ContactUpdated {
            contact_id: contact.id.clone(),
            customer_id: contact.customer_id.clone(),
            role: contact.role.clone(),
            primary: contact.primary,
            changed_fields: changed.iter().map(|f| f.path().to_owned()).collect(),
        });
        changefeed::record(&mut tx, &contact.id, event).await?;
        tx.commit().await?;
        Ok(contact)
    }

    /// Removes the contact if `etag` matches.
    pub(crate) async fn remove(&self, id: Uuid, text: &str, etag: &str) -> Result<(), ApiError> {
        let mut tx = self.pool.begin().await?;
        let (customer, row) = lock_contact(&mut tx, id, text).await?;
        ensure_etag(&row, etag)?;
        store::delete(&mut tx, id).await?;
        let event = stream_changes_response::Event::ContactRemoved(ContactRemoved {
            contact_id: id.to_string(),
            customer_id: customer.id.to_string(),
        });
        changefeed::record(&mut tx, &id.to_string(), event).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The customers with a contact whose phone or email (normalised) is `normalized`.
    pub(crate) async fn find_customers(
        &self,
        column: LookupColumn,
        normalized: &str,
        limit: usize,
    ) -> Result<Vec<Match>, ApiError> {
        let purpose = match column {
            LookupColumn::Phone => PHONE_LOOKUP,
            LookupColumn::Email => EMAIL_LOOKUP,
        };
        let hash = self.pii.lookup_hash(purpose, normalized);
        store::find_by_lookup(&self.pool, column, &hash, limit).await
    }

    /// Erases the customer's personal data for good (see [`erasure`]).
    pub(crate) async fn erase(
        &self,
        customer_ref: &CustomerRef,
        text: &str,
    ) -> Result<EraseCustomerPersonalDataResponse, ApiError> {
        let mut tx = self.pool.begin().await?;
        let customer = lock_customer(&mut tx, customer_ref, text).await?;
        let response = erasure::erase(&mut tx, &customer).await?;
        tx.commit().await?;
        Ok(response)
    }

    /// Seals each personal field, bound to its field and this contact's id, and hashes the
    /// searchable ones for lookup.
    fn seal(&self, id: Uuid, details: &ContactDetails) -> SealedContact {
        let searchable = |field: &str, lookup: &str, value: &Option<String>| {
            value.as_ref().map(|value| Searchable {
                sealed: self.pii.seal(&purpose(field, id), value),
                lookup: self.pii.lookup_hash(lookup, value),
            })
        };
        SealedContact {
            name: self.pii.seal(&purpose("name", id), &details.name),
            phone: searchable("phone", PHONE_LOOKUP, &details.phone),
            email: searchable("email", EMAIL_LOOKUP, &details.email),
            role: details.role.clone(),
            primary: details.primary,
        }
    }

    /// Opens the contact's sealed fields.
    fn open(&self, row: &ContactRow) -> Result<ContactDetails, ApiError> {
        let open = |field: &str, sealed: &[u8]| {
            self.pii
                .open(&purpose(field, row.id), sealed)
                .map_err(|error| {
                    ApiError::Internal(anyhow::anyhow!("contact {} {field}: {error}", row.id))
                })
        };
        Ok(ContactDetails {
            name: open("name", &row.name_sealed)?,
            phone: row
                .phone_sealed
                .as_deref()
                .map(|s| open("phone", s))
                .transpose()?,
            email: row
                .email_sealed
                .as_deref()
                .map(|s| open("email", s))
                .transpose()?,
            role: row.role.clone(),
            primary: row.is_primary,
        })
    }

    /// The contact as the wire shows it, opened: for the api's ListContacts.
    pub(crate) fn to_proto(&self, row: &ContactRow) -> Result<pb::Contact, ApiError> {
        Ok(to_proto(row, self.open(row)?))
    }

    /// The request with its personal fields replaced by their keyed hashes: the same request
    /// gives the same fingerprint, and the fingerprint reveals nothing without the lookup key.
    fn fingerprint(&self, request: &AddContactRequest) -> AddContactRequest {
        let hashed = |purpose: &str, value: &str| hex(&self.pii.lookup_hash(purpose, value));
        let mut fingerprint = request.clone();
        if let Some(contact) = &mut fingerprint.contact {
            contact.name = hashed("fingerprint.name", &contact.name);
            contact.phone = hashed("fingerprint.phone", &contact.phone);
            contact.email = hashed("fingerprint.email", &contact.email);
        }
        fingerprint
    }
}

/// What a sealed field is bound to: the field and its contact.
fn purpose(field: &str, contact_id: Uuid) -> String {
    format!("contact.{field}/{contact_id}")
}

/// Lowercase hex of `bytes`.
fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The contact with its opened `details`, as the wire shows it.
fn to_proto(row: &ContactRow, details: ContactDetails) -> pb::Contact {
    pb::Contact {
        id: row.id.to_string(),
        customer_id: row.customer_id.to_string(),
        name: details.name,
        phone: details.phone.unwrap_or_default(),
        email: details.email.unwrap_or_default(),
        role: details.role,
        primary: details.primary,
        create_time: Some(timestamp(row.create_time)),
        update_time: Some(timestamp(row.update_time)),
        etag: etag::of(row.version),
        personal_data_redacted: false,
    }
}

/// Reads the customer and locks its row until the transaction ends.
async fn lock_customer(
    tx: &mut PgConnection,
    customer_ref: &CustomerRef,
    id: &str,
) -> Result<CustomerState, ApiError> {
    customer_store::state(tx, customer_ref, true)
        .await?
        .ok_or_else(|| customer_not_found(id))
}

/// Locks the contact's customer, then the contact: the order AddContact takes them in, so
/// concurrent changes of one customer's contacts queue instead of deadlocking.
async fn lock_contact(
    tx: &mut PgConnection,
    id: Uuid,
    text: &str,
) -> Result<(CustomerState, ContactRow), ApiError> {
    let unlocked = store::find(tx, id, false)
        .await?
        .ok_or_else(|| contact_not_found(text))?;
    let customer = lock_customer(tx, &CustomerRef::Id(unlocked.customer_id), text).await?;
    let row = store::find(tx, id, true)
        .await?
        .ok_or_else(|| contact_not_found(text))?;
    Ok((customer, row))
}

/// NOT_FOUND for the contact the caller named `id`.
fn contact_not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        reason: Reason::ContactNotFound.as_str(),
        resource: "contact",
        id: id.to_owned(),
    }
}

/// FAILED_PRECONDITION when the customer is deleted or erased: its contacts no longer change.
fn ensure_writable(customer: &CustomerState) -> Result<(), ApiError> {
    let refusal = |reason, state| ApiError::FailedPrecondition {
        reason,
        message: format!("customer {} is {state}", customer.customer_code),
        metadata: vec![("customer_code", customer.customer_code.clone())],
    };
    if customer.deleted {
        Err(refusal(Reason::CustomerDeleted.as_str(), "deleted"))
    } else if customer.erase_time.is_some() {
        Err(refusal(Reason::CustomerErased.as_str(), "erased"))
    } else {
        Ok(())
    }
}

/// ABORTED when the caller's etag is not the contact's current one (an empty etag passes).
fn ensure_etag(row: &ContactRow, etag: &str) -> Result<(), ApiError> {
    etag::check(etag, row.version, format_args!("contact {}", row.id))
}

/// Records that a contact has neither phone nor email, on both fields.
pub(crate) fn require_reachable(violations: &mut Violations) {
    for path in ["contact.phone", "contact.email"] {
        violations.add(path, "at least one of phone and email is required");
    }
}
