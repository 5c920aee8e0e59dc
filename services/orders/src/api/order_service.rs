//! `logistics.orders.v1.OrderService`: orders from creation to pickup. Decode and validate each
//! request, call its use case in `app`, encode the response.

use std::sync::Arc;

use chrono::{DateTime, TimeDelta, Utc};
use logistics_contracts::orders::order_service_server::OrderService;
use logistics_contracts::orders::{
    self as pb, CancelOrderRequest, CancelPickupRequest, ConfirmOrderRequest, CreateOrderRequest,
    DispatchVehicleRequest, GetLabelRequest, GetLabelResponse, GetOrderRequest, ListOrdersRequest,
    ListOrdersResponse, SchedulePickupRequest, StreamChangesRequest, StreamChangesResponse,
};
use logistics_platform::auth::{ScopeTable, principal_of};
use logistics_platform::changefeed::ChangeFeed;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::fields::customer_ref_field;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::{ApiError, ServiceContext};
use prost::Message as _;
use sqlx::PgPool;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::order_fields::{parse_order_ref, read_filter};
use super::order_input::validate_new_order;
use super::respond;
use crate::DOMAIN;
use crate::app::order_writes::OrderWriter;
use crate::app::orders::{self, Creation, Named};
use crate::app::proto::order_to_proto as to_proto;
use crate::app::quotes::Quoter;
use crate::app::tracking_cache::TrackingCache;
use crate::clients::CustomersDirectory;
use crate::domain::order::Order;
use crate::reasons::Reason;
use crate::store::orders::{ListOrder, ListPosition, NumberSource};

/// The scope each RPC of OrderService needs.
pub(crate) const SCOPES: ScopeTable = logistics_platform::scope_table!(
    "logistics.orders.v1.OrderService" {
        CreateOrder => "orders:write",
        GetOrder => "orders:read",
        ListOrders => "orders:read",
        ConfirmOrder => "orders:write",
        CancelOrder => "orders:write",
        SchedulePickup => "orders:write",
        CancelPickup => "orders:write",
        DispatchVehicle => "orders:write",
        GetLabel => "orders:read",
        StreamChanges => "orders:read",
    }
);

/// The scope CreateOrder's `import_create_time` needs besides `orders:write`.
const IMPORT_SCOPE: &str = "orders:import";
/// How far ahead of this server's clock an imported creation time may be: the importer's clock.
const IMPORT_CLOCK_SKEW: TimeDelta = TimeDelta::minutes(1);
/// How far back an order may be imported.
const IMPORT_MAX_AGE: TimeDelta = TimeDelta::days(2 * 365);

/// Reads `import_create_time` as of `now`: a valid timestamp, not in the future (beyond the
/// clock skew) nor older than [`IMPORT_MAX_AGE`].
fn import_time(
    violations: &mut Violations,
    time: &prost_types::Timestamp,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    const FIELD: &str = "import_create_time";
    let at = violations.time(FIELD, time)?;
    if at > now + IMPORT_CLOCK_SKEW {
        violations.add(FIELD, "must not be in the future");
        None
    } else if at < now - IMPORT_MAX_AGE {
        violations.add(FIELD, "must be at most 2 years back");
        None
    } else {
        Some(at)
    }
}

/// The orders API over its database and the customers service.
#[derive(Clone)]
pub(crate) struct OrdersApi {
    pub(super) pool: PgPool,
    customers: CustomersDirectory,
    quoter: Quoter,
    page_tokens: PageTokens,
    pub(super) label_tokens: PageTokens,
    feed: ChangeFeed,
    /// A pickup for today must be booked before this time of day, company time.
    pub(super) same_day_cutoff: chrono::NaiveTime,
    /// Shipments in memory, forgotten by every change of an order here before it answers.
    tracking: TrackingCache,
    /// The numbers of new orders, drawn in blocks shared by this replica's calls.
    numbers: Arc<NumberSource>,
    /// Stores new orders, several to a statement when they arrive together.
    writer: OrderWriter,
}

impl OrdersApi {
    /// The API over `pool`, calling customers through `customers`.
    pub(crate) fn new(
        pool: PgPool,
        customers: CustomersDirectory,
        quoter: Quoter,
        tracking: TrackingCache,
        settings: &crate::OrdersSettings,
        context: &ServiceContext,
    ) -> Self {
        let feed = ChangeFeed::start(
            pool.clone(),
            crate::SCHEMA,
            context.token_key.clone(),
            DOMAIN,
            context.shutdown.clone(),
        );
        Self {
            tracking,
            numbers: Arc::new(NumberSource::new()),
            writer: OrderWriter::start(pool.clone(), feed.announcer().clone()),
            same_day_cutoff: settings.same_day_pickup_cutoff,
            customers,
            quoter,
            page_tokens: PageTokens::new(context.token_key.clone(), "orders.list"),
            label_tokens: PageTokens::new(context.token_key.clone(), "orders.labels"),
            feed,
            pool,
        }
    }

    async fn create(
        &self,
        principal: &str,
        may_import: bool,
        request: CreateOrderRequest,
    ) -> Result<pb::Order, ApiError> {
        // The scope first: a key that may not import learns nothing of its times' validity.
        if request.import_create_time.is_some() && !may_import {
            return Err(ApiError::PermissionDenied {
                reason: Reason::ImportNotAllowed.as_str(),
                message: format!("import_create_time needs the scope `{IMPORT_SCOPE}`"),
                scope: IMPORT_SCOPE.to_owned(),
            });
        }
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let now = Utc::now();
        let imported = request
            .import_create_time
            .as_ref()
            .and_then(|time| import_time(&mut violations, time, now));
        let draft = match &request.order {
            Some(order) => validate_new_order(&mut violations, order, imported.unwrap_or(now)),
            None => {
                violations.add("order", "is required");
                None
            }
        };
        violations.finish()?;
        let (Some(draft), Some(request_id)) = (draft, request_id) else {
            return Err(ApiError::invalid_field("order", "is not a valid order"));
        };

        let creation = Creation {
            principal,
            request_id,
            request: &request,
            imported,
        };
        orders::create(
            &self.pool,
            &self.customers,
            &self.quoter,
            &self.writer,
            &self.numbers,
            creation,
            draft,
        )
        .await
    }

    async fn get(&self, request: GetOrderRequest) -> Result<pb::Order, ApiError> {
        let order_ref = parse_order_ref("id", &request.id)?;
        Ok(to_proto(
            &orders::get(&self.pool, &order_ref, &request.id).await?,
        ))
    }

    async fn list(&self, request: ListOrdersRequest) -> Result<ListOrdersResponse, ApiError> {
        let mut violations = Violations::new();
        let customer = request.filter.as_ref().and_then(|filter| {
            customer_ref_field(
                &mut violations,
                "filter.customer_id",
                &filter.customer_id,
                false,
            )
        });
        let mut filter = read_filter(&mut violations, request.filter.as_ref());
        let order = match pb::OrderOrder::try_from(request.order_by) {
            Ok(pb::OrderOrder::Unspecified | pb::OrderOrder::CreateTimeDesc) => {
                ListOrder::CreateTimeDesc
            }
            Ok(pb::OrderOrder::CreateTimeAsc) => ListOrder::CreateTimeAsc,
            Ok(pb::OrderOrder::PromisedDeliveryAsc) => ListOrder::PromisedDeliveryAsc,
            Err(_) => {
                violations.add("order_by", "is not a known order");
                ListOrder::CreateTimeDesc
            }
        };
        violations.finish()?;
        if let Some(customer) = &customer {
            filter.customer_id = Some(self.customers.resolve(customer).await?);
        }
        let size = page_size(request.page_size)?;
        // A token is bound to the filter and the order, not to the page size.
        let query = [
            request.filter.unwrap_or_default().encode_to_vec(),
            request.order_by.to_le_bytes().to_vec(),
        ]
        .concat();
        let after: Option<ListPosition> = self.page_tokens.open(&query, &request.page_token)?;
        let (orders, next) = orders::list(&self.pool, &filter, order, after.as_ref(), size).await?;
        Ok(ListOrdersResponse {
            orders: orders.iter().map(to_proto).collect(),
            next_page_token: next
                .map(|position| self.page_tokens.issue(&query, &position))
                .unwrap_or_default(),
        })
    }

    async fn confirm(&self, request: ConfirmOrderRequest) -> Result<pb::Order, ApiError> {
        let named = Named {
            order_ref: parse_order_ref("id", &request.id)?,
            id: &request.id,
            etag: &request.etag,
        };
        Ok(self.changed(&orders::confirm(&self.pool, named).await?))
    }

    async fn cancel(&self, request: CancelOrderRequest) -> Result<pb::Order, ApiError> {
        let mut violations = Violations::new();
        violations.require_text("reason", &request.reason, 500);
        let order_ref = parse_order_ref("id", &request.id);
        violations.finish()?;
        let named = Named {
            order_ref: order_ref?,
            id: &request.id,
            etag: &request.etag,
        };
        let cancelled = orders::cancel(&self.pool, named, request.reason.trim()).await?;
        Ok(self.changed(&cancelled))
    }

    /// The answer of a change of `order`, once this replica's tracking cache forgot it.
    pub(super) fn changed(&self, order: &Order) -> pb::Order {
        self.tracking.invalidate([order.tracking_number.as_str()]);
        to_proto(order)
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

#[tonic::async_trait]
impl OrderService for OrdersApi {
    async fn create_order(
        &self,
        request: Request<CreateOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let principal = principal_of(&request).map_err(|error| error.into_status(DOMAIN))?;
        let (name, may_import) = (principal.name.to_string(), principal.allows(IMPORT_SCOPE));
        respond(self.create(&name, may_import, request.into_inner()).await)
    }

    async fn get_order(
        &self,
        request: Request<GetOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        respond(self.get(request.into_inner()).await)
    }

    async fn list_orders(
        &self,
        request: Request<ListOrdersRequest>,
    ) -> Result<Response<ListOrdersResponse>, Status> {
        respond(self.list(request.into_inner()).await)
    }

    async fn confirm_order(
        &self,
        request: Request<ConfirmOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        respond(self.confirm(request.into_inner()).await)
    }

    async fn cancel_order(
        &self,
        request: Request<CancelOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        respond(self.cancel(request.into_inner()).await)
    }

    async fn schedule_pickup(
        &self,
        request: Request<SchedulePickupRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        respond(self.schedule_pickup(request.into_inner()).await)
    }

    async fn cancel_pickup(
        &self,
        request: Request<CancelPickupRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        respond(self.cancel_pickup(request.into_inner()).await)
    }

    async fn dispatch_vehicle(
        &self,
        request: Request<DispatchVehicleRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        respond(self.dispatch_vehicle(request.into_inner()).await)
    }

    async fn get_label(
        &self,
        request: Request<GetLabelRequest>,
    ) -> Result<Response<GetLabelResponse>, Status> {
        respond(
            super::labels::get_label(&self.pool, &self.label_tokens, request.into_inner()).await,
        )
    }

    type StreamChangesStream = ReceiverStream<Result<StreamChangesResponse, Status>>;

    async fn stream_changes(
        &self,
        request: Request<StreamChangesRequest>,
    ) -> Result<Response<Self::StreamChangesStream>, Status> {
        respond(self.stream_changes(request.into_inner()).await)
    }
}
