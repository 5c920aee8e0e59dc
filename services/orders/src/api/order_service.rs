//! `logistics.orders.v1.OrderService`: orders from creation to pickup. Decode and validate each
//! request, call the store in one transaction with its change events, encode the response.

use chrono::Utc;
use logistics_contracts::orders::order_service_server::OrderService;
use logistics_contracts::orders::{
    self as pb, CancelOrderRequest, CancelPickupRequest, ConfirmOrderRequest, CreateOrderRequest,
    DispatchVehicleRequest, GetLabelRequest, GetLabelResponse, GetOrderRequest, ListOrdersRequest,
    ListOrdersResponse, OrderCancelled, OrderConfirmed, OrderCreated, OrderStatusChanged,
    SchedulePickupRequest, StreamChangesRequest, StreamChangesResponse, stream_changes_response,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::changefeed::{self, ChangeFeed, Start};
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::fields::customer_ref_field;
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::time::timestamp;
use logistics_platform::{ApiError, ServiceContext};
use prost::Message as _;
use sqlx::{PgConnection, PgPool};
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

use super::order_fields::{
    ensure_etag, illegal_transition, order_not_found, parse_order_ref, read_filter,
    status_to_proto, to_proto,
};
use super::order_input::validate_new_order;
use super::{principal_name, respond};
use crate::DOMAIN;
use crate::clients::CustomersDirectory;
use crate::domain::order::Order;
use crate::domain::quote::quote;
use crate::domain::status::OrderStatus;
use crate::store::orders::{self as store, ListOrder, ListPosition, OrderRef};
use crate::store::rate_cards::{Quoter, quote_error};

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
}

impl OrdersApi {
    /// The API over `pool`, calling customers through `customers`.
    pub(crate) fn new(
        pool: PgPool,
        customers: CustomersDirectory,
        quoter: Quoter,
        settings: &crate::OrdersSettings,
        context: &ServiceContext,
    ) -> Self {
        Self {
            same_day_cutoff: settings.same_day_pickup_cutoff,
            customers,
            quoter,
            page_tokens: PageTokens::new(context.token_key.clone(), "orders.list"),
            label_tokens: PageTokens::new(context.token_key.clone(), "orders.labels"),
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
        request: CreateOrderRequest,
    ) -> Result<pb::Order, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let draft = match &request.order {
            Some(order) => validate_new_order(&mut violations, order),
            None => {
                violations.add("order", "is required");
                None
            }
        };
        violations.finish()?;
        let (Some(draft), Some(request_id)) = (draft, request_id) else {
            return Err(ApiError::invalid_field("order", "is not a valid order"));
        };

        let key = IdempotencyKey {
            principal: principal.to_owned(),
            method: "CreateOrder",
            request_id,
        };
        // The rate card before the transaction: reading it on a cache miss (every
        // CARD_CACHE_TTL) takes a connection of its own, and concurrent creates each holding
        // their transaction's connection while waiting for a second one would drain the pool
        // until its acquire timeout (seen under load as waves of DATABASE_UNAVAILABLE).
        let card = self.quoter.current_card().await?;
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(response) = idempotency::claim(&mut tx, &key, &request).await? {
            return Ok(response);
        }
        // Asked only once the request is known to be new, so a retry of a created order is
        // answered even while customers is down. The claim's row lock makes a concurrent
        // duplicate wait here and then replay. If customers refuses or cannot answer, the
        // transaction rolls back: nothing is written.
        let customer_id = self.customers.resolve(&draft.customer).await?;
        let standing = self.customers.standing(customer_id).await?;
        let now = Utc::now();
        let pickup_at = draft.pickup_at(now);
        let quote = quote(
            &card,
            &draft.shipment(standing.priority_transport),
            pickup_at,
        )
        .map_err(quote_error)?;
        let new = draft.into_new_order(customer_id, principal, standing.priority_transport, &quote);
        let order = to_proto(&store::insert(&mut tx, &new, now).await?);
        let event = stream_changes_response::Event::OrderCreated(OrderCreated {
            order: Some(order.clone()),
        });
        changefeed::record(&mut tx, &order.id, event).await?;
        idempotency::record(&mut tx, &key, &order).await?;
        tx.commit().await?;
        Ok(order)
    }

    async fn get(&self, request: GetOrderRequest) -> Result<pb::Order, ApiError> {
        let order_ref = parse_order_ref("id", &request.id)?;
        let mut conn = self.pool.acquire().await?;
        let order = store::find(&mut conn, &order_ref, false)
            .await?
            .ok_or_else(|| order_not_found(&request.id))?;
        Ok(to_proto(&order))
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
        let (orders, next) = store::list(&self.pool, &filter, order, after.as_ref(), size).await?;
        Ok(ListOrdersResponse {
            orders: orders.iter().map(to_proto).collect(),
            next_page_token: next
                .map(|position| self.page_tokens.issue(&query, &position))
                .unwrap_or_default(),
        })
    }

    async fn confirm(&self, request: ConfirmOrderRequest) -> Result<pb::Order, ApiError> {
        let order_ref = parse_order_ref("id", &request.id)?;
        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &order_ref, &request.id).await?;
        ensure_etag(&current, &request.etag)?;
        let to = current
            .status
            .transition(OrderStatus::Confirmed)
            .map_err(|_| illegal_transition(&current, OrderStatus::Confirmed))?;
        let now = Utc::now();
        let confirmed = store::set_status(&mut tx, current.id, to, None, now).await?;
        let event = stream_changes_response::Event::OrderConfirmed(OrderConfirmed {
            order_id: confirmed.id.to_string(),
            customer_id: confirmed.customer_id.to_string(),
            confirm_time: Some(timestamp(now)),
        });
        changefeed::record(&mut tx, &confirmed.id.to_string(), event).await?;
        append_status_changed(&mut tx, &current, &confirmed, "ConfirmOrder").await?;
        tx.commit().await?;
        Ok(to_proto(&confirmed))
    }

    async fn cancel(&self, request: CancelOrderRequest) -> Result<pb::Order, ApiError> {
        let mut violations = Violations::new();
        violations.require_text("reason", &request.reason, 500);
        let order_ref = parse_order_ref("id", &request.id);
        violations.finish()?;
        let order_ref = order_ref?;
        let mut tx = self.pool.begin().await?;
        let current = lock_for_change(&mut tx, &order_ref, &request.id).await?;
        ensure_etag(&current, &request.etag)?;
        let to = current
            .status
            .transition(OrderStatus::Cancelled)
            .map_err(|_| illegal_transition(&current, OrderStatus::Cancelled))?;
        let now = Utc::now();
        let cancelled =
            store::set_status(&mut tx, current.id, to, Some(request.reason.trim()), now).await?;
        let event = stream_changes_response::Event::OrderCancelled(OrderCancelled {
            order_id: cancelled.id.to_string(),
            customer_id: cancelled.customer_id.to_string(),
            reason: request.reason.trim().to_owned(),
            cancel_time: Some(timestamp(now)),
        });
        changefeed::record(&mut tx, &cancelled.id.to_string(), event).await?;
        append_status_changed(&mut tx, &current, &cancelled, "CancelOrder").await?;
        // Watchers of the shipment end at a final status: wake them now, not at their next re-check.
        crate::store::tracking::notify_new_events(&mut tx, &[cancelled.id]).await?;
        tx.commit().await?;
        Ok(to_proto(&cancelled))
    }

    async fn stream_changes(
        &self,
        request: StreamChangesRequest,
    ) -> Result<ReceiverStream<Result<StreamChangesResponse, Status>>, ApiError> {
        let start = Start::requested(request.start);
        self.feed.subscribe(start, changefeed::decode).await
    }
}

/// Reads an order and locks its row until the transaction ends, so concurrent changes queue.
pub(super) async fn lock_for_change(
    tx: &mut PgConnection,
    order_ref: &OrderRef,
    id: &str,
) -> Result<Order, ApiError> {
    store::find(tx, order_ref, true)
        .await?
        .ok_or_else(|| order_not_found(id))
}

/// Writes the `order.status_changed` event of a move from `before` to `after`.
pub(super) async fn append_status_changed(
    tx: &mut PgConnection,
    before: &Order,
    after: &Order,
    cause: &str,
) -> Result<(), ApiError> {
    let event = stream_changes_response::Event::OrderStatusChanged(OrderStatusChanged {
        order_id: after.id.to_string(),
        customer_id: after.customer_id.to_string(),
        from_status: status_to_proto(before.status).into(),
        to_status: status_to_proto(after.status).into(),
        change_time: Some(timestamp(after.status_time)),
        cause: cause.to_owned(),
    });
    changefeed::record(tx, &after.id.to_string(), event).await
}

#[tonic::async_trait]
impl OrderService for OrdersApi {
    async fn create_order(
        &self,
        request: Request<CreateOrderRequest>,
    ) -> Result<Response<pb::Order>, Status> {
        let principal = principal_name(&request)?;
        respond(self.create(&principal, request.into_inner()).await)
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
