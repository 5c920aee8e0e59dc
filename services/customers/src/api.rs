//! `logistics.customers.v1.CustomerService`: decode and validate each request, call the store in
//! one transaction, encode the response.

use logistics_contracts::common::{EventEnvelope, change_feed_start};
use logistics_contracts::customers::customer_service_server::CustomerService;
use logistics_contracts::customers::{
    self as pb, CreateCustomerRequest, CustomerCreated, CustomerDeleted, CustomerUpdated,
    DeleteCustomerRequest, GetCustomerRequest, ListCustomersRequest, ListCustomersResponse,
    StreamChangesRequest, StreamChangesResponse, UpdateCustomerRequest, stream_changes_response,
};
use logistics_platform::auth::{ScopeTable, principal_of};
use logistics_platform::changefeed::{self, ChangeFeed, FeedEvent, Start};
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::time::{optional_timestamp, timestamp};
use logistics_platform::{ApiError, ServiceContext};
use prost::Message as _;
use sqlx::PgPool;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use crate::DOMAIN;
use crate::domain::customer::{
    Customer, CustomerRef, Kind, Profile, ProfileField, Role, Status as CustomerStatus,
    is_valid_region_code,
};
use crate::store::{self, ListFilter, ListOrder, ListPosition, NewCustomer};

/// The scope each RPC needs.
pub const SCOPES: ScopeTable = &[
    (
        "/logistics.customers.v1.CustomerService/CreateCustomer",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.CustomerService/GetCustomer",
        "customers:read",
    ),
    (
        "/logistics.customers.v1.CustomerService/ListCustomers",
        "customers:read",
    ),
    (
        "/logistics.customers.v1.CustomerService/UpdateCustomer",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.CustomerService/DeleteCustomer",
        "customers:write",
    ),
    (
        "/logistics.customers.v1.CustomerService/StreamChanges",
        "customers:read",
    ),
];

const MAX_DISPLAY_NAME: usize = 200;
const MAX_INDUSTRY: usize = 100;
const MAX_ACCOUNT_MANAGER: usize = 100;
const MAX_NOTES: usize = 2000;

/// The customers API over its database.
#[derive(Clone)]
pub struct CustomersApi {
    pool: PgPool,
    page_tokens: PageTokens,
    feed: ChangeFeed,
}

impl CustomersApi {
    /// The API over `pool`, with the context's secrets and shutdown signal.
    pub fn new(pool: PgPool, context: &ServiceContext) -> Self {
        Self {
            page_tokens: PageTokens::new(context.token_key.clone(), "customers.list"),
            feed: ChangeFeed::start(
                pool.clone(),
                crate::SCHEMA,
                context.token_key.clone(),
                DOMAIN,
                context.shutdown.clone(),
            ),
            pool,
        }
    }

    async fn create(
        &self,
        principal: &str,
        request: CreateCustomerRequest,
    ) -> Result<pb::Customer, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let new = match &request.customer {
            Some(customer) => validate_new(customer, &mut violations),
            None => {
                violations.add("customer", "is required");
                None
            }
        };
        let (Some(request_id), Some(new)) = (request_id, new) else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let key = IdempotencyKey {
            principal: principal.to_owned(),
            method: "CreateCustomer",
            request_id,
        };
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(response) = idempotency::claim(&mut tx, &key, &request).await? {
            return Ok(response);
        }
        let customer = to_proto(&store::insert(&mut tx, &new).await?);
        let event = stream_changes_response::Event::CustomerCreated(CustomerCreated {
            customer: Some(customer.clone()),
        });
        append_event(&mut tx, "customer.created", &customer.id, event).await?;
        idempotency::record(&mut tx, &key, &customer).await?;
        tx.commit().await?;
        Ok(customer)
    }

    async fn get(&self, request: GetCustomerRequest) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        let mut conn = self.pool.acquire().await?;
        let customer = store::find(&mut conn, &customer_ref, false)
            .await?
            .ok_or_else(|| not_found(&request.id))?;
        Ok(to_proto(&customer))
    }

    async fn list(&self, request: ListCustomersRequest) -> Result<ListCustomersResponse, ApiError> {
        let mut violations = Violations::new();
        let filter = validate_filter(request.filter.as_ref(), &mut violations);
        let order = match pb::CustomerOrder::try_from(request.order_by) {
            Ok(pb::CustomerOrder::Unspecified | pb::CustomerOrder::CreateTimeDesc) => {
                ListOrder::CreateTimeDesc
            }
            Ok(pb::CustomerOrder::CreateTimeAsc) => ListOrder::CreateTimeAsc,
            Ok(pb::CustomerOrder::DisplayNameAsc) => ListOrder::DisplayNameAsc,
            Ok(pb::CustomerOrder::CustomerCodeAsc) => ListOrder::CustomerCodeAsc,
            Err(_) => {
                violations.add("order_by", "is not a known order");
                ListOrder::CreateTimeDesc
            }
        };
        violations.finish()?;
        let size = page_size(request.page_size)?;

        // A token is bound to the filter and the order, not to the page size.
        let query = (request.filter.unwrap_or_default(), request.order_by);
        let query = [query.0.encode_to_vec(), query.1.to_le_bytes().to_vec()].concat();
        let after: Option<ListPosition> = self.page_tokens.open(&query, &request.page_token)?;
        let (customers, next) =
            store::list(&self.pool, &filter, order, after.as_ref(), size).await?;
        Ok(ListCustomersResponse {
            customers: customers.iter().map(to_proto).collect(),
            next_page_token: next
                .map(|position| self.page_tokens.issue(&query, &position))
                .unwrap_or_default(),
        })
    }

    async fn update(&self, request: UpdateCustomerRequest) -> Result<pb::Customer, ApiError> {
        let Some(input) = request.customer else {
            return Err(ApiError::invalid_field("customer", "is required"));
        };
        let customer_ref = parse_ref("customer.id", &input.id)?;
        let mut violations = Violations::new();
        let fields = match &request.update_mask {
            Some(mask) => mask_fields(&mask.paths, &mut violations),
            None => populated_fields(&input),
        };
        let patch = validate_profile(&input, &fields, &mut violations);
        violations.finish()?;

        let mut tx = self.pool.begin().await?;
        let mut current = store::find(&mut tx, &customer_ref, true)
            .await?
            .ok_or_else(|| not_found(&input.id))?;
        ensure_not_deleted(&current)?;
        ensure_etag(&current, &input.etag)?;
        let changed = current.profile.apply(&patch, &fields);
        if changed.is_empty() {
            return Ok(to_proto(&current));
        }
        let updated =
            to_proto(&store::update_profile(&mut tx, current.id, &current.profile).await?);
        let event = stream_changes_response::Event::CustomerUpdated(CustomerUpdated {
            customer: Some(updated.clone()),
            changed_fields: changed
                .iter()
                .map(|field| field.path().to_owned())
                .collect(),
        });
        append_event(&mut tx, "customer.updated", &updated.id, event).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn delete(&self, request: DeleteCustomerRequest) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        let mut tx = self.pool.begin().await?;
        let current = store::find(&mut tx, &customer_ref, true)
            .await?
            .ok_or_else(|| not_found(&request.id))?;
        if current.delete_time.is_some() {
            // AIP-164: deleting what is already deleted is NOT_FOUND.
            return Err(not_found(&request.id));
        }
        ensure_etag(&current, &request.etag)?;
        let deleted = to_proto(&store::mark_deleted(&mut tx, current.id).await?);
        let event = stream_changes_response::Event::CustomerDeleted(CustomerDeleted {
            customer: Some(deleted.clone()),
        });
        append_event(&mut tx, "customer.deleted", &deleted.id, event).await?;
        tx.commit().await?;
        Ok(deleted)
    }

    async fn stream_changes(
        &self,
        request: StreamChangesRequest,
    ) -> Result<ReceiverStream<Result<StreamChangesResponse, Status>>, ApiError> {
        let start = match request.start.and_then(|start| start.position) {
            None => Start::Beginning,
            Some(change_feed_start::Position::AfterCursor(cursor)) => Start::After(cursor),
            Some(change_feed_start::Position::FromNow(true)) => Start::Now,
            Some(change_feed_start::Position::FromNow(false)) => Start::Beginning,
        };
        self.feed.subscribe(start, decode_event).await
    }
}

/// Writes a change event in the transaction of the change.
async fn append_event(
    tx: &mut sqlx::PgConnection,
    event_type: &str,
    resource_id: &str,
    event: stream_changes_response::Event,
) -> Result<(), ApiError> {
    let payload = StreamChangesResponse {
        envelope: None,
        event: Some(event),
    }
    .encode_to_vec();
    changefeed::append(tx, event_type, resource_id, &payload).await?;
    Ok(())
}

/// Turns an outbox row back into the typed event, with its envelope.
fn decode_event(event: FeedEvent) -> Result<StreamChangesResponse, ApiError> {
    let mut message = StreamChangesResponse::decode(event.payload.as_slice()).map_err(|error| {
        anyhow::anyhow!("outbox event {} does not decode: {error}", event.event_id)
    })?;
    message.envelope = Some(EventEnvelope {
        event_id: event.event_id.to_string(),
        cursor: event.cursor,
        occur_time: Some(timestamp(event.occur_time)),
        event_type: event.event_type,
        resource_id: event.resource_id,
    });
    Ok(message)
}

fn not_found(id: &str) -> ApiError {
    ApiError::NotFound {
        reason: "CUSTOMER_NOT_FOUND",
        resource: "customer",
        id: id.to_owned(),
    }
}

fn ensure_not_deleted(customer: &Customer) -> Result<(), ApiError> {
    match customer.delete_time {
        None => Ok(()),
        Some(_) => Err(ApiError::FailedPrecondition {
            reason: "CUSTOMER_DELETED",
            message: format!("customer {} is deleted", customer.customer_code),
            metadata: vec![("customer_code", customer.customer_code.clone())],
        }),
    }
}

fn ensure_etag(customer: &Customer, etag: &str) -> Result<(), ApiError> {
    if etag.is_empty() || etag == customer.etag() {
        Ok(())
    } else {
        Err(ApiError::Aborted {
            reason: "ETAG_MISMATCH",
            message: format!(
                "customer {} changed since it was read (etag {etag:?}, now {:?}); read it again",
                customer.customer_code,
                customer.etag()
            ),
        })
    }
}

fn parse_ref(field: &str, text: &str) -> Result<CustomerRef, ApiError> {
    if text.is_empty() {
        return Err(ApiError::invalid_field(field, "is required"));
    }
    CustomerRef::parse(text).ok_or_else(|| {
        ApiError::invalid_field(
            field,
            "must be a customer id (UUID) or a customer code (e.g. C000042)",
        )
    })
}

fn validate_new(customer: &pb::Customer, violations: &mut Violations) -> Option<NewCustomer> {
    let kind = match pb::CustomerKind::try_from(customer.kind) {
        Ok(pb::CustomerKind::Individual) => Some(Kind::Individual),
        Ok(pb::CustomerKind::Enterprise) => Some(Kind::Enterprise),
        Ok(pb::CustomerKind::Government) => Some(Kind::Government),
        Ok(pb::CustomerKind::Unspecified) => {
            violations.add("customer.kind", "is required");
            None
        }
        Err(_) => {
            violations.add("customer.kind", "is not a known kind");
            None
        }
    };
    let status = match status_from_proto(customer.status) {
        Some(None) => Some(CustomerStatus::Prospect),
        Some(Some(status)) if status.allowed_at_creation() => Some(status),
        Some(Some(_)) => {
            violations.add("customer.status", "a new customer is PROSPECT or ACTIVE");
            None
        }
        None => {
            violations.add("customer.status", "is not a known status");
            None
        }
    };
    let profile = validate_profile(customer, ProfileField::ALL, violations);
    Some(NewCustomer {
        kind: kind?,
        status: status?,
        profile,
    })
}

/// Validates the profile fields named in `fields`; others are taken as they are.
fn validate_profile(
    customer: &pb::Customer,
    fields: &[ProfileField],
    violations: &mut Violations,
) -> Profile {
    let field = |name: &str| format!("customer.{name}");
    let role = match pb::CustomerRole::try_from(customer.role) {
        Ok(pb::CustomerRole::Unspecified | pb::CustomerRole::EndCustomer) => Role::EndCustomer,
        Ok(pb::CustomerRole::Intermediary) => Role::Intermediary,
        Err(_) => {
            if fields.contains(&ProfileField::Role) {
                violations.add(field("role"), "is not a known role");
            }
            Role::EndCustomer
        }
    };
    for &checked in fields {
        let name = field(checked.path());
        match checked {
            ProfileField::Role => {}
            ProfileField::DisplayName => {
                violations.require_text(&name, &customer.display_name, MAX_DISPLAY_NAME)
            }
            ProfileField::Industry => {
                violations.limit_text(&name, &customer.industry, MAX_INDUSTRY)
            }
            ProfileField::AccountManager => {
                violations.limit_text(&name, &customer.account_manager, MAX_ACCOUNT_MANAGER)
            }
            ProfileField::Notes => violations.limit_text(&name, &customer.notes, MAX_NOTES),
            ProfileField::RegionCode => {
                if !customer.region_code.is_empty() && !is_valid_region_code(&customer.region_code)
                {
                    violations.add(
                        name,
                        "must be a region code such as \"310115\" or \"CN-SH\" (upper case, at most 16)",
                    );
                }
            }
        }
    }
    Profile {
        role,
        display_name: customer.display_name.trim().to_owned(),
        industry: customer.industry.trim().to_owned(),
        region_code: customer.region_code.clone(),
        account_manager: customer.account_manager.trim().to_owned(),
        notes: customer.notes.clone(),
    }
}

/// The editable fields an update mask names; `*` names them all.
fn mask_fields(paths: &[String], violations: &mut Violations) -> Vec<ProfileField> {
    if paths.is_empty() {
        violations.add(
            "update_mask",
            "names no field; list the fields to change or \"*\"",
        );
        return Vec::new();
    }
    let mut fields = Vec::new();
    for (at, path) in paths.iter().enumerate() {
        if path == "*" {
            return ProfileField::ALL.to_vec();
        }
        match ProfileField::from_path(path) {
            Some(field) => fields.push(field),
            None => violations.add(
                format!("update_mask.paths[{at}]"),
                format!(
                    "{path:?} cannot be updated; updatable: role, display_name, industry, \
                     region_code, account_manager, notes"
                ),
            ),
        }
    }
    fields
}

/// Without a mask, AIP-134 updates every field the caller set to a non-default value.
fn populated_fields(customer: &pb::Customer) -> Vec<ProfileField> {
    ProfileField::ALL
        .iter()
        .copied()
        .filter(|field| match field {
            ProfileField::Role => customer.role != 0,
            ProfileField::DisplayName => !customer.display_name.is_empty(),
            ProfileField::Industry => !customer.industry.is_empty(),
            ProfileField::RegionCode => !customer.region_code.is_empty(),
            ProfileField::AccountManager => !customer.account_manager.is_empty(),
            ProfileField::Notes => !customer.notes.is_empty(),
        })
        .collect()
}

fn validate_filter(filter: Option<&pb::CustomerFilter>, violations: &mut Violations) -> ListFilter {
    let Some(filter) = filter else {
        return ListFilter::default();
    };
    let kind = match pb::CustomerKind::try_from(filter.kind) {
        Ok(pb::CustomerKind::Unspecified) => None,
        Ok(pb::CustomerKind::Individual) => Some(Kind::Individual),
        Ok(pb::CustomerKind::Enterprise) => Some(Kind::Enterprise),
        Ok(pb::CustomerKind::Government) => Some(Kind::Government),
        Err(_) => {
            violations.add("filter.kind", "is not a known kind");
            None
        }
    };
    let status = status_from_proto(filter.status).unwrap_or_else(|| {
        violations.add("filter.status", "is not a known status");
        None
    });
    if !filter.region_code.is_empty() && !is_valid_region_code(&filter.region_code) {
        violations.add(
            "filter.region_code",
            "must be a region code such as \"310115\" or \"CN-SH\"",
        );
    }
    violations.limit_text(
        "filter.display_name_prefix",
        &filter.display_name_prefix,
        MAX_DISPLAY_NAME,
    );
    ListFilter {
        kind,
        status,
        region_code: (!filter.region_code.is_empty()).then(|| filter.region_code.clone()),
        display_name_prefix: (!filter.display_name_prefix.is_empty())
            .then(|| filter.display_name_prefix.clone()),
        show_deleted: filter.show_deleted,
    }
}

/// `None` for an unknown value, `Some(None)` for UNSPECIFIED.
fn status_from_proto(value: i32) -> Option<Option<CustomerStatus>> {
    Some(match pb::CustomerStatus::try_from(value).ok()? {
        pb::CustomerStatus::Unspecified => None,
        pb::CustomerStatus::Prospect => Some(CustomerStatus::Prospect),
        pb::CustomerStatus::Active => Some(CustomerStatus::Active),
        pb::CustomerStatus::Dormant => Some(CustomerStatus::Dormant),
        pb::CustomerStatus::Churned => Some(CustomerStatus::Churned),
        pb::CustomerStatus::Blocked => Some(CustomerStatus::Blocked),
    })
}

fn to_proto(customer: &Customer) -> pb::Customer {
    let kind = match customer.kind {
        Kind::Individual => pb::CustomerKind::Individual,
        Kind::Enterprise => pb::CustomerKind::Enterprise,
        Kind::Government => pb::CustomerKind::Government,
    };
    let role = match customer.profile.role {
        Role::EndCustomer => pb::CustomerRole::EndCustomer,
        Role::Intermediary => pb::CustomerRole::Intermediary,
    };
    let status = match customer.status {
        CustomerStatus::Prospect => pb::CustomerStatus::Prospect,
        CustomerStatus::Active => pb::CustomerStatus::Active,
        CustomerStatus::Dormant => pb::CustomerStatus::Dormant,
        CustomerStatus::Churned => pb::CustomerStatus::Churned,
        CustomerStatus::Blocked => pb::CustomerStatus::Blocked,
    };
    pb::Customer {
        id: customer.id.to_string(),
        customer_code: customer.customer_code.clone(),
        kind: kind.into(),
        role: role.into(),
        display_name: customer.profile.display_name.clone(),
        industry: customer.profile.industry.clone(),
        region_code: customer.profile.region_code.clone(),
        status: status.into(),
        account_manager: customer.profile.account_manager.clone(),
        notes: customer.profile.notes.clone(),
        create_time: Some(timestamp(customer.create_time)),
        update_time: Some(timestamp(customer.update_time)),
        delete_time: optional_timestamp(customer.delete_time),
        etag: customer.etag(),
    }
}

#[tonic::async_trait]
impl CustomerService for CustomersApi {
    async fn create_customer(
        &self,
        request: Request<CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let principal = principal_of(&request)
            .map_err(|error| error.into_status(DOMAIN))?
            .name
            .clone();
        respond(self.create(&principal, request.into_inner()).await)
    }

    async fn get_customer(
        &self,
        request: Request<GetCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        respond(self.get(request.into_inner()).await)
    }

    async fn list_customers(
        &self,
        request: Request<ListCustomersRequest>,
    ) -> Result<Response<ListCustomersResponse>, Status> {
        respond(self.list(request.into_inner()).await)
    }

    async fn update_customer(
        &self,
        request: Request<UpdateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        respond(self.update(request.into_inner()).await)
    }

    async fn delete_customer(
        &self,
        request: Request<DeleteCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        respond(self.delete(request.into_inner()).await)
    }

    type StreamChangesStream = ReceiverStream<Result<StreamChangesResponse, Status>>;

    async fn stream_changes(
        &self,
        request: Request<StreamChangesRequest>,
    ) -> Result<Response<Self::StreamChangesStream>, Status> {
        respond(self.stream_changes(request.into_inner()).await)
    }
}

fn respond<T>(result: Result<T, ApiError>) -> Result<Response<T>, Status> {
    result
        .map(Response::new)
        .map_err(|error| error.into_status(DOMAIN))
}
