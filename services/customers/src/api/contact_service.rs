//! `logistics.customers.v1.ContactService`: customer contacts, which are personal data. They are
//! sealed before they reach the store (see `app::contacts`), shown only to callers holding
//! `customers:pii` (every answer passes through [`Audience::present`]), and never written to
//! logs, events or idempotency records.

use logistics_contracts::customers::contact_service_server::ContactService;
use logistics_contracts::customers::{
    self as pb, AddContactRequest, CustomerMatch, EraseCustomerPersonalDataRequest,
    EraseCustomerPersonalDataResponse, FindCustomersByContactRequest,
    FindCustomersByContactResponse, ListContactsRequest, ListContactsResponse,
    RemoveContactRequest, UpdateContactRequest,
};
use logistics_platform::auth::{Principal, ScopeTable, principal_of};
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::idempotency::IdempotencyKey;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::{ApiError, ServiceContext};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::contact_fields::{mask_fields, populated_fields, validate_details};
use super::customer_service::parse_ref;
use super::{customer_ref_field, respond};
use crate::app::contacts::{Contacts, require_reachable};
use crate::app::customers::not_found as customer_not_found;
use crate::domain::contact::{ContactDetails, ContactField};
use crate::store::contacts::{self as store, LookupColumn};
use crate::store::customers as customer_store;

/// The scope each RPC of ContactService needs: reading personal data has a scope of its own.
pub(crate) const SCOPES: ScopeTable = &[
    (
        "/logistics.customers.v1.ContactService/AddContact",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.ContactService/UpdateContact",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.ContactService/RemoveContact",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.ContactService/ListContacts",
        "customers:pii",
    ),
    (
        "/logistics.customers.v1.ContactService/FindCustomersByContact",
        "customers:pii",
    ),
    (
        "/logistics.customers.v1.ContactService/EraseCustomerPersonalData",
        "customers:admin",
    ),
];

/// The scope that shows a contact's name, phone and email.
const PII_SCOPE: &str = "customers:pii";

/// Who an answer is for: the caller's scopes decide whether it shows personal data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Audience {
    /// The caller holds `customers:pii`.
    Trusted,
    /// The caller may write contacts but not read them back.
    Redacted,
}

impl Audience {
    fn of(caller: &Principal) -> Self {
        if caller.allows(PII_SCOPE) {
            Self::Trusted
        } else {
            Self::Redacted
        }
    }

    /// The contact as this audience may see it.
    fn present(self, contact: pb::Contact) -> pb::Contact {
        match self {
            Self::Trusted => contact,
            Self::Redacted => pb::Contact {
                name: String::new(),
                phone: String::new(),
                email: String::new(),
                personal_data_redacted: true,
                ..contact
            },
        }
    }
}

/// Most customers FindCustomersByContact returns.
const MAX_MATCHES: usize = 100;

/// The contacts API over its database and cipher.
#[derive(Clone)]
pub(crate) struct ContactsApi {
    pool: PgPool,
    contacts: Contacts,
    page_tokens: PageTokens,
}

impl ContactsApi {
    /// The API over `pool`; fails when the context has no personal-data keys.
    pub(crate) fn new(pool: PgPool, context: &ServiceContext) -> anyhow::Result<Self> {
        let pii = context.pii.clone().ok_or_else(|| {
            anyhow::anyhow!(
                "customers stores personal data: set LOGISTICS_PII_KEYS and LOGISTICS_PII_LOOKUP_KEY"
            )
        })?;
        Ok(Self {
            contacts: Contacts::new(pool.clone(), pii),
            pool,
            page_tokens: PageTokens::new(context.token_key.clone(), "contacts.list"),
        })
    }

    async fn add(
        &self,
        principal: &str,
        request: AddContactRequest,
    ) -> Result<pb::Contact, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let customer_ref = customer_ref_field(&mut violations, "customer_id", &request.customer_id);
        let details = match &request.contact {
            Some(contact) => {
                let details = validate_details(contact, ContactField::ALL, &mut violations);
                if contact.phone.trim().is_empty() && contact.email.trim().is_empty() {
                    require_reachable(&mut violations);
                }
                details
            }
            None => {
                violations.add("contact", "is required");
                ContactDetails::default()
            }
        };
        let (Some(request_id), Some(customer_ref)) = (request_id, customer_ref) else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let key = IdempotencyKey {
            principal: principal.to_owned(),
            method: "AddContact",
            request_id,
        };
        self.contacts
            .add(&key, &request, &customer_ref, &request.customer_id, details)
            .await
    }

    async fn update(&self, request: UpdateContactRequest) -> Result<pb::Contact, ApiError> {
        let Some(input) = request.contact else {
            return Err(ApiError::invalid_field("contact", "is required"));
        };
        let mut violations = Violations::new();
        let id = parse_uuid(&mut violations, "contact.id", &input.id);
        let fields = match &request.update_mask {
            Some(mask) => mask_fields(&mask.paths, &mut violations),
            None => populated_fields(&input),
        };
        let patch = validate_details(&input, &fields, &mut violations);
        let Some(id) = id else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        self.contacts
            .update(id, &input.id, &input.etag, &patch, &fields)
            .await
    }

    async fn remove(&self, request: RemoveContactRequest) -> Result<(), ApiError> {
        let mut violations = Violations::new();
        let id = parse_uuid(&mut violations, "id", &request.id);
        let Some(id) = id else {
            return Err(violations.into_error());
        };
        self.contacts.remove(id, &request.id, &request.etag).await
    }

    async fn list(&self, request: ListContactsRequest) -> Result<ListContactsResponse, ApiError> {
        let customer_ref = parse_ref("customer_id", &request.customer_id)?;
        let size = page_size(request.page_size)?;
        let mut conn = self.pool.acquire().await?;
        let customer = customer_store::state(&mut conn, &customer_ref, false)
            .await?
            .ok_or_else(|| customer_not_found(&request.customer_id))?;
        drop(conn);
        let query = customer.id.as_bytes().to_vec();
        let after: Option<Uuid> = self.page_tokens.open(&query, &request.page_token)?;
        let mut rows = store::list(&self.pool, customer.id, after, size + 1).await?;
        let more = rows.len() > size;
        rows.truncate(size);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => self.page_tokens.issue(&query, &last.id),
            _ => String::new(),
        };
        Ok(ListContactsResponse {
            contacts: rows
                .iter()
                .map(|row| self.contacts.to_proto(row))
                .collect::<Result<_, _>>()?,
            next_page_token,
        })
    }

    async fn find_customers(
        &self,
        request: FindCustomersByContactRequest,
    ) -> Result<FindCustomersByContactResponse, ApiError> {
        let phone = request.phone.trim();
        let email = request.email.trim();
        let (column, normalized) = match (phone.is_empty(), email.is_empty()) {
            (true, true) => {
                return Err(ApiError::invalid_field(
                    "phone",
                    "one of phone and email is required",
                ));
            }
            (false, false) => {
                return Err(ApiError::invalid_field(
                    "email",
                    "only one of phone and email may be set",
                ));
            }
            (false, true) => (
                LookupColumn::Phone,
                crate::domain::contact::normalize_phone(phone)
                    .map_err(|problem| ApiError::invalid_field("phone", problem))?,
            ),
            (true, false) => (
                LookupColumn::Email,
                crate::domain::contact::normalize_email(email)
                    .map_err(|problem| ApiError::invalid_field("email", problem))?,
            ),
        };
        let found = self
            .contacts
            .find_customers(column, &normalized, MAX_MATCHES)
            .await?;
        Ok(FindCustomersByContactResponse {
            matches: found
                .into_iter()
                .map(|found| CustomerMatch {
                    customer_id: found.customer_id.to_string(),
                    customer_code: found.customer_code,
                    display_name: found.display_name,
                    contact_id: found.contact_id.to_string(),
                })
                .collect(),
        })
    }

    async fn erase(
        &self,
        request: EraseCustomerPersonalDataRequest,
    ) -> Result<EraseCustomerPersonalDataResponse, ApiError> {
        let customer_ref = parse_ref("customer_id", &request.customer_id)?;
        self.contacts
            .erase(&customer_ref, &request.customer_id)
            .await
    }
}

/// The caller's name (for idempotency keys) and what it may see.
fn caller<T>(request: &Request<T>) -> Result<(String, Audience), Status> {
    let principal = principal_of(request).map_err(|error| error.into_status(crate::DOMAIN))?;
    Ok((principal.name.to_string(), Audience::of(principal)))
}

#[tonic::async_trait]
impl ContactService for ContactsApi {
    async fn add_contact(
        &self,
        request: Request<AddContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        let (principal, audience) = caller(&request)?;
        let added = self.add(&principal, request.into_inner()).await;
        respond(added.map(|contact| audience.present(contact)))
    }

    async fn update_contact(
        &self,
        request: Request<UpdateContactRequest>,
    ) -> Result<Response<pb::Contact>, Status> {
        let (_, audience) = caller(&request)?;
        let updated = self.update(request.into_inner()).await;
        respond(updated.map(|contact| audience.present(contact)))
    }

    async fn remove_contact(
        &self,
        request: Request<RemoveContactRequest>,
    ) -> Result<Response<()>, Status> {
        respond(self.remove(request.into_inner()).await)
    }

    async fn list_contacts(
        &self,
        request: Request<ListContactsRequest>,
    ) -> Result<Response<ListContactsResponse>, Status> {
        // The scope table asks customers:pii here; presenting anyway keeps that one table from
        // being the only guard.
        let (_, audience) = caller(&request)?;
        let mut listed = self.list(request.into_inner()).await;
        if let Ok(page) = &mut listed {
            page.contacts = std::mem::take(&mut page.contacts)
                .into_iter()
                .map(|contact| audience.present(contact))
                .collect();
        }
        respond(listed)
    }

    async fn find_customers_by_contact(
        &self,
        request: Request<FindCustomersByContactRequest>,
    ) -> Result<Response<FindCustomersByContactResponse>, Status> {
        respond(self.find_customers(request.into_inner()).await)
    }

    async fn erase_customer_personal_data(
        &self,
        request: Request<EraseCustomerPersonalDataRequest>,
    ) -> Result<Response<EraseCustomerPersonalDataResponse>, Status> {
        respond(self.erase(request.into_inner()).await)
    }
}
