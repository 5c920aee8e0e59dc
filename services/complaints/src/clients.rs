//! Typed clients of the services complaints calls: customers (who the customer is, its service
//! level and account manager: the platform's directory) and orders (the shipment a complaint is
//! about, kept as evidence).

use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_contracts::orders::tracking_service_client::TrackingServiceClient;
use logistics_contracts::orders::{
    GetOrderRequest, GetProofOfDeliveryRequest, GetTrackingRequest, Order, OrderStatus,
    ProofOfDelivery, TrackingEvent,
};
use logistics_platform::ApiError;
use logistics_platform::client::{
    CallCredentials, PeerChannel, PeersConfig, channel, retry_idempotent,
};
pub(crate) use logistics_platform::customers_directory::CustomersDirectory;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;

use crate::reasons::Reason;

/// The latest tracking events kept as evidence.
pub(crate) const EVIDENCE_EVENTS: i32 = 50;

/// A shipment as the orders service shows it at one moment.
#[derive(Debug, Clone)]
pub(crate) struct Shipment {
    /// The order.
    pub order: Order,
    /// Its latest tracking events, oldest first.
    pub events: Vec<TrackingEvent>,
    /// Its proof of delivery, without images, when delivered.
    pub delivery: Option<ProofOfDelivery>,
}

type Channel = InterceptedService<PeerChannel, CallCredentials>;

/// The orders service, as complaints sees it.
#[derive(Clone)]
pub(crate) struct OrdersDirectory {
    orders: OrderServiceClient<Channel>,
    tracking: TrackingServiceClient<Channel>,
}

impl OrdersDirectory {
    /// A directory calling the orders service named in `peers`, with complaints' own key.
    pub(crate) fn connect(peers: &PeersConfig) -> anyhow::Result<Self> {
        let (url, key) = peers.require("orders", peers.orders_url.as_ref())?;
        let channel = channel(crate::NAME, &url, peers.call_timeout())?;
        let credentials = CallCredentials::bearer(&key)?;
        Ok(Self {
            orders: OrderServiceClient::with_interceptor(channel.clone(), credentials.clone()),
            tracking: TrackingServiceClient::with_interceptor(channel, credentials),
        })
    }

    /// The order `reference` names (an id, an order number or a tracking number) with its
    /// latest events and, once delivered, its proof of delivery. Unknown: NOT_FOUND
    /// ORDER_NOT_FOUND; the orders service unreachable: UNAVAILABLE ORDERS_UNAVAILABLE.
    pub(crate) async fn shipment(&self, reference: &str) -> Result<Shipment, ApiError> {
        let request = GetOrderRequest {
            id: reference.to_owned(),
        };
        let order = retry_idempotent(|| {
            let mut client = self.orders.clone();
            let request = request.clone();
            async move { client.get_order(request).await }
        })
        .await
        .map_err(|status| refusal(reference, "GetOrder", &status))?
        .into_inner();
        let request = GetTrackingRequest {
            tracking_number: order.tracking_number.clone(),
            max_events: EVIDENCE_EVENTS,
        };
        let tracking = retry_idempotent(|| {
            let mut client = self.tracking.clone();
            let request = request.clone();
            async move { client.get_tracking(request).await }
        })
        .await
        .map_err(|status| refusal(reference, "GetTracking", &status))?
        .into_inner();
        let delivery = if order.status() == OrderStatus::Delivered {
            let request = GetProofOfDeliveryRequest {
                tracking_number: order.tracking_number.clone(),
                omit_images: true,
            };
            let proof = retry_idempotent(|| {
                let mut client = self.tracking.clone();
                let request = request.clone();
                async move { client.get_proof_of_delivery(request).await }
            })
            .await
            .map_err(|status| refusal(reference, "GetProofOfDelivery", &status))?
            .into_inner();
            Some(proof)
        } else {
            None
        };
        Ok(Shipment {
            order,
            events: tracking.events,
            delivery,
        })
    }
}

/// What the orders service's refusal means: the order is unknown, or orders could not answer.
fn refusal(reference: &str, call: &str, status: &tonic::Status) -> ApiError {
    match status.code() {
        Code::NotFound | Code::InvalidArgument => ApiError::NotFound {
            reason: Reason::OrderNotFound.as_str(),
            resource: "order",
            id: reference.to_owned(),
        },
        code => {
            if matches!(code, Code::Unauthenticated | Code::PermissionDenied) {
                tracing::error!(
                    ?code,
                    error = status.message(),
                    "the orders service refused complaints' key: check LOGISTICS_SERVICE_API_KEY"
                );
            }
            ApiError::Unavailable {
                reason: Reason::OrdersUnavailable.as_str(),
                message: "the orders service could not show the order; retry later".to_owned(),
                source: Some(anyhow::anyhow!("{call}: {code:?} {}", status.message())),
            }
        }
    }
}
