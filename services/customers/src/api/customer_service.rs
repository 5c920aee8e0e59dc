//! `logistics.customers.v1.CustomerService`: customer records. Decodes and validates each
//! request, calls its use case in `app`, encodes the answer.

use logistics_contracts::customers::customer_service_server::CustomerService;
use logistics_contracts::customers::{
    self as pb, BlockCustomerRequest, CreateCustomerRequest, DeleteCustomerRequest,
    GetCustomerRequest, GetCustomerValueRequest, GetGradingPolicyRequest, GetServiceLevelRequest,
    GetServiceLevelResponse, ListCustomersRequest, ListCustomersResponse, ListStatusHistoryRequest,
    ListStatusHistoryResponse, ListTierHistoryRequest, ListTierHistoryResponse,
    RecordActivityRequest, RecordActivityResponse, RegradeCustomerRequest,
    RunLifecycleSweepRequest, RunLifecycleSweepResponse, SetGovernmentLevelRequest,
    StreamChangesRequest, StreamChangesResponse, UnblockCustomerRequest, UpdateCustomerRequest,
    UpdateGradingPolicyRequest,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::cache::CachedValue;
use logistics_platform::changefeed::ChangeFeed;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::idempotency::IdempotencyKey;
use logistics_platform::jobs::Job;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::{ApiError, ServiceContext};
use prost::Message as _;
use sqlx::PgPool;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::customer_fields::{
    mask_fields, populated_fields, validate_filter, validate_new, validate_profile,
};
use super::customer_lifecycle::{POLICY_CACHE_TTL, QUINTILES_TTL};
use super::{principal_name, respond};
use crate::DOMAIN;
use crate::app::events::customer_to_proto;
use crate::app::{customers, lifecycle};
use crate::domain::customer::CustomerRef;
use crate::domain::value::Quintiles;
use crate::store::customers::{self as store, ListOrder, ListPosition};
use crate::store::grading::StoredPolicy;

/// The scope each RPC of CustomerService needs.
pub(crate) const SCOPES: ScopeTable = logistics_platform::scope_table!(
    "logistics.customers.v1.CustomerService" {
        CreateCustomer => "customers:write",
        GetCustomer => "customers:read",
        ListCustomers => "customers:read",
        UpdateCustomer => "customers:write",
        DeleteCustomer => "customers:write",
        StreamChanges => "customers:read",
        RecordActivity => "customers:internal",
        BlockCustomer => "customers:write",
        UnblockCustomer => "customers:write",
        SetGovernmentLevel => "customers:write",
        RegradeCustomer => "customers:write",
        ListStatusHistory => "customers:read",
        ListTierHistory => "customers:read",
        GetGradingPolicy => "customers:read",
        UpdateGradingPolicy => "customers:admin",
        GetServiceLevel => "customers:read",
        GetCustomerValue => "customers:read",
        RunLifecycleSweep => "customers:admin",
    }
);

/// The customers API over its database.
#[derive(Clone)]
pub(crate) struct CustomersApi {
    pub(super) pool: PgPool,
    page_tokens: PageTokens,
    pub(super) history_tokens: PageTokens,
    feed: ChangeFeed,
    /// The grading policy as last read, for the hot GetServiceLevel path.
    pub(super) policy_cache: CachedValue<StoredPolicy>,
    /// The population's value quintiles as last computed.
    pub(super) quintiles_cache: CachedValue<Option<Quintiles>>,
    /// The lifecycle sweep, scheduled by the service and run by RunLifecycleSweep.
    lifecycle_sweep: Job,
}

/// The lifecycle sweep's job name (and lock) across the suite.
const LIFECYCLE_SWEEP_JOB: &str = "customers.lifecycle_sweep";

impl CustomersApi {
    /// The API over `pool`, with the context's secrets and shutdown signal.
    pub(crate) fn new(pool: PgPool, context: &ServiceContext) -> Self {
        Self {
            page_tokens: PageTokens::new(context.token_key.clone(), "customers.list"),
            history_tokens: PageTokens::new(context.token_key.clone(), "customers.history"),
            policy_cache: CachedValue::new(POLICY_CACHE_TTL),
            quintiles_cache: CachedValue::new(QUINTILES_TTL),
            lifecycle_sweep: Job::new(LIFECYCLE_SWEEP_JOB, pool.clone()),
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

    /// The lifecycle sweep's job, for the service to schedule.
    pub(crate) fn lifecycle_sweep_job(&self) -> Job {
        self.lifecycle_sweep.clone()
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
        customers::create(&self.pool, &key, &request, &new).await
    }

    async fn get(&self, request: GetCustomerRequest) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        let mut conn = self.pool.acquire().await?;
        let customer = customers::find(&mut conn, &customer_ref, &request.id).await?;
        Ok(customer_to_proto(&customer))
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
            customers: customers.iter().map(customer_to_proto).collect(),
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

        customers::update(
            &self.pool,
            &customer_ref,
            &input.id,
            &input.etag,
            &patch,
            &fields,
        )
        .await
    }

    async fn delete(&self, request: DeleteCustomerRequest) -> Result<pb::Customer, ApiError> {
        let customer_ref = parse_ref("id", &request.id)?;
        customers::delete(&self.pool, &customer_ref, &request.id, &request.etag).await
    }

    async fn stream_changes(
        &self,
        request: StreamChangesRequest,
    ) -> Result<ReceiverStream<Result<StreamChangesResponse, Status>>, ApiError> {
        self.feed
            .subscribe(request.start, request.event_types)
            .await
    }
}

/// Reads a customer reference from `field`: INVALID_ARGUMENT when it is missing or malformed.
pub(super) fn parse_ref(field: &str, text: &str) -> Result<CustomerRef, ApiError> {
    let mut violations = Violations::new();
    let parsed = super::customer_ref_field(&mut violations, field, text);
    violations.finish()?;
    parsed.ok_or_else(|| ApiError::invalid_field(field, super::CUSTOMER_REF_FORMAT))
}

#[tonic::async_trait]
impl CustomerService for CustomersApi {
    async fn create_customer(
        &self,
        request: Request<CreateCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let principal = principal_name(&request)?;
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

    async fn record_activity(
        &self,
        request: Request<RecordActivityRequest>,
    ) -> Result<Response<RecordActivityResponse>, Status> {
        respond(self.record_activity(request.into_inner()).await)
    }

    async fn block_customer(
        &self,
        request: Request<BlockCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let principal = principal_name(&request)?;
        respond(self.block(&principal, request.into_inner()).await)
    }

    async fn unblock_customer(
        &self,
        request: Request<UnblockCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        let principal = principal_name(&request)?;
        respond(self.unblock(&principal, request.into_inner()).await)
    }

    async fn set_government_level(
        &self,
        request: Request<SetGovernmentLevelRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        respond(self.set_government_level(request.into_inner()).await)
    }

    async fn regrade_customer(
        &self,
        request: Request<RegradeCustomerRequest>,
    ) -> Result<Response<pb::Customer>, Status> {
        respond(self.regrade_now(request.into_inner()).await)
    }

    async fn list_status_history(
        &self,
        request: Request<ListStatusHistoryRequest>,
    ) -> Result<Response<ListStatusHistoryResponse>, Status> {
        respond(self.status_history(request.into_inner()).await)
    }

    async fn list_tier_history(
        &self,
        request: Request<ListTierHistoryRequest>,
    ) -> Result<Response<ListTierHistoryResponse>, Status> {
        respond(self.tier_history(request.into_inner()).await)
    }

    async fn get_grading_policy(
        &self,
        request: Request<GetGradingPolicyRequest>,
    ) -> Result<Response<pb::GradingPolicy>, Status> {
        respond(self.grading_policy(request.into_inner()).await)
    }

    async fn update_grading_policy(
        &self,
        request: Request<UpdateGradingPolicyRequest>,
    ) -> Result<Response<pb::GradingPolicy>, Status> {
        let principal = principal_name(&request)?;
        respond(
            self.update_grading_policy(&principal, request.into_inner())
                .await,
        )
    }

    async fn get_service_level(
        &self,
        request: Request<GetServiceLevelRequest>,
    ) -> Result<Response<GetServiceLevelResponse>, Status> {
        respond(self.service_level(request.into_inner()).await)
    }

    async fn get_customer_value(
        &self,
        request: Request<GetCustomerValueRequest>,
    ) -> Result<Response<pb::CustomerValue>, Status> {
        respond(self.customer_value(request.into_inner()).await)
    }

    async fn run_lifecycle_sweep(
        &self,
        _request: Request<RunLifecycleSweepRequest>,
    ) -> Result<Response<RunLifecycleSweepResponse>, Status> {
        let swept = self
            .lifecycle_sweep
            .run_now(lifecycle::sweep(&self.pool))
            .await
            .map(|swept| RunLifecycleSweepResponse {
                became_dormant: swept.became_dormant,
                became_churned: swept.became_churned,
                regraded: swept.regraded,
            });
        respond(swept)
    }

    type StreamChangesStream = ReceiverStream<Result<StreamChangesResponse, Status>>;

    async fn stream_changes(
        &self,
        request: Request<StreamChangesRequest>,
    ) -> Result<Response<Self::StreamChangesStream>, Status> {
        respond(self.stream_changes(request.into_inner()).await)
    }
}
