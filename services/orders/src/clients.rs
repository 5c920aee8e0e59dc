//! Typed clients of the services orders calls: customers, to learn whether a customer may order
//! and on which terms.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use logistics_contracts::customers::customer_service_client::CustomerServiceClient;
use logistics_contracts::customers::{CustomerStatus, GetServiceLevelRequest};
use logistics_platform::ApiError;
use logistics_platform::client::{CallCredentials, PeersConfig, channel, retry_idempotent};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use uuid::Uuid;

/// How long a customer's standing is reused. A customer blocked this recently may still place an
/// order; in exchange a burst of orders costs the customers service one call per customer.
const STANDING_TTL: Duration = Duration::from_secs(5);
/// Customers whose standing is remembered at most; past it the memory starts afresh.
const STANDING_CAPACITY: usize = 10_000;

/// What orders needs to know about a customer before taking an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerStanding {
    /// Whether the customer's shipments travel with priority.
    pub priority_transport: bool,
}

/// The customers service, as orders sees it.
#[derive(Clone)]
pub struct CustomersDirectory {
    client: CustomerServiceClient<InterceptedService<Channel, CallCredentials>>,
    remembered: Arc<Mutex<HashMap<Uuid, (Instant, CustomerStanding)>>>,
}

impl CustomersDirectory {
    /// A directory calling the customers service named in `peers`, with orders' own key.
    pub fn connect(peers: &PeersConfig) -> anyhow::Result<Self> {
        let (url, key) = peers.require("customers", peers.customers_url.as_ref())?;
        let channel = channel(&url, peers.call_timeout())?;
        Ok(Self {
            client: CustomerServiceClient::with_interceptor(
                channel,
                CallCredentials::bearer(&key)?,
            ),
            remembered: Arc::default(),
        })
    }

    /// Whether `customer_id` may order, and on which terms. Unknown and deleted customers are
    /// NOT_FOUND / FAILED_PRECONDITION, blocked ones FAILED_PRECONDITION (CUSTOMER_BLOCKED); when
    /// the customers service cannot answer in time, UNAVAILABLE.
    pub async fn standing(&self, customer_id: Uuid) -> Result<CustomerStanding, ApiError> {
        if let Some(standing) = self.recall(customer_id) {
            return Ok(standing);
        }
        let request = GetServiceLevelRequest {
            customer_id: customer_id.to_string(),
        };
        let answer = retry_idempotent(|| {
            let mut client = self.client.clone();
            let request = request.clone();
            async move { client.get_service_level(request).await }
        })
        .await
        .map_err(|status| refusal(customer_id, status))?
        .into_inner();
        if answer.status() == CustomerStatus::Blocked {
            return Err(ApiError::FailedPrecondition {
                reason: "CUSTOMER_BLOCKED",
                message: format!("customer {customer_id} is blocked and may not order"),
                metadata: vec![("customer_id", customer_id.to_string())],
            });
        }
        let standing = CustomerStanding {
            priority_transport: answer
                .service_level
                .is_some_and(|level| level.priority_transport),
        };
        self.remember(customer_id, standing);
        Ok(standing)
    }

    fn recall(&self, customer_id: Uuid) -> Option<CustomerStanding> {
        let remembered = self.remembered.lock().expect("standing cache lock");
        remembered
            .get(&customer_id)
            .filter(|(read, _)| read.elapsed() < STANDING_TTL)
            .map(|(_, standing)| *standing)
    }

    fn remember(&self, customer_id: Uuid, standing: CustomerStanding) {
        let mut remembered = self.remembered.lock().expect("standing cache lock");
        if remembered.len() >= STANDING_CAPACITY {
            remembered.clear();
        }
        remembered.insert(customer_id, (Instant::now(), standing));
    }
}

/// What the customers service's refusal means for an order.
fn refusal(customer_id: Uuid, status: tonic::Status) -> ApiError {
    match status.code() {
        Code::NotFound => ApiError::NotFound {
            reason: "CUSTOMER_NOT_FOUND",
            resource: "customer",
            id: customer_id.to_string(),
        },
        Code::FailedPrecondition => ApiError::FailedPrecondition {
            reason: "CUSTOMER_DELETED",
            message: format!("customer {customer_id} is deleted and may not order"),
            metadata: vec![("customer_id", customer_id.to_string())],
        },
        code => {
            // Our own key refused, a deadline, the service down: nothing the caller did wrong,
            // and nothing written. The details stay in our log.
            if matches!(code, Code::Unauthenticated | Code::PermissionDenied) {
                tracing::error!(
                    code = ?code,
                    error = status.message(),
                    "the customers service refused orders' key: check LOGISTICS_SERVICE_API_KEY"
                );
            }
            ApiError::Unavailable {
                reason: "CUSTOMERS_UNAVAILABLE",
                message: "the customers service could not confirm the customer; retry later"
                    .to_owned(),
                source: Some(anyhow::anyhow!(
                    "GetServiceLevel: {code:?}: {}",
                    status.message()
                )),
            }
        }
    }
}
