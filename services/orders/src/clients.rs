//! Typed clients of the services orders calls: customers, to learn whether a customer may order
//! and on which terms.

use crate::reasons::Reason;
use std::time::Duration;

use logistics_contracts::customers::customer_service_client::CustomerServiceClient;
use logistics_contracts::customers::{CustomerStatus, GetCustomerRequest, GetServiceLevelRequest};
use logistics_platform::ApiError;
use logistics_platform::cache::Cache;
use logistics_platform::client::{
    CallCredentials, PeerChannel, PeersConfig, channel, retry_idempotent,
};
use logistics_platform::fields::CustomerRef;
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// How long a customer's standing is reused. A customer blocked this recently may still place an
/// order; in exchange a burst of orders costs the customers service one call per customer.
const STANDING_TTL: Duration = Duration::from_secs(5);
/// Customers whose standing is remembered at most; the least used are forgotten first.
const STANDING_CAPACITY: u64 = 10_000;
/// How long a customer code's id is reused: a code names one customer for good.
const CODE_TTL: Duration = Duration::from_secs(3600);
/// Customer codes whose id is remembered at most.
const CODE_CAPACITY: u64 = 100_000;

/// What orders needs to know about a customer before taking an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerStanding {
    /// Whether the customer's shipments travel with priority.
    pub(crate) priority_transport: bool,
}

/// The customers service, as orders sees it.
#[derive(Clone)]
pub struct CustomersDirectory {
    client: CustomerServiceClient<InterceptedService<PeerChannel, CallCredentials>>,
    standings: Cache<Uuid, CustomerStanding>,
    ids: Cache<String, Uuid>,
}

impl CustomersDirectory {
    /// A directory calling the customers service named in `peers`, with orders' own key.
    pub fn connect(peers: &PeersConfig) -> anyhow::Result<Self> {
        let (url, key) = peers.require("customers", peers.customers_url.as_ref())?;
        let channel = channel(crate::NAME, &url, peers.call_timeout())?;
        Ok(Self {
            client: CustomerServiceClient::with_interceptor(
                channel,
                CallCredentials::bearer(&key)?,
            ),
            standings: Cache::new(STANDING_TTL, STANDING_CAPACITY),
            ids: Cache::new(CODE_TTL, CODE_CAPACITY),
        })
    }

    /// Whether `customer_id` may order, and on which terms. Unknown customers are NOT_FOUND;
    /// deleted, blocked and erased ones FAILED_PRECONDITION (CUSTOMER_DELETED, CUSTOMER_BLOCKED,
    /// CUSTOMER_ERASED), a refusal for a reason orders does not know FAILED_PRECONDITION
    /// CUSTOMER_NOT_ELIGIBLE; when the customers service cannot answer in time, UNAVAILABLE.
    pub async fn standing(&self, customer_id: Uuid) -> Result<CustomerStanding, ApiError> {
        // Refusals are not remembered: a customer unblocked a moment ago may order at once.
        self.standings
            .get_or_load(customer_id, self.ask_standing(customer_id))
            .await
    }

    /// The id of the customer a caller named by id or by customer code. A code is looked up
    /// with the customers service (deleted and erased customers too): unknown, NOT_FOUND
    /// CUSTOMER_NOT_FOUND; the customers service unreachable, UNAVAILABLE CUSTOMERS_UNAVAILABLE.
    pub(crate) async fn resolve(&self, customer: &CustomerRef) -> Result<Uuid, ApiError> {
        match customer {
            CustomerRef::Id(id) => Ok(*id),
            CustomerRef::Code(code) => {
                self.ids
                    .get_or_load(code.clone(), self.ask_id(code.clone()))
                    .await
            }
        }
    }

    async fn ask_id(&self, code: String) -> Result<Uuid, ApiError> {
        let request = GetCustomerRequest { id: code.clone() };
        let answer = retry_idempotent(|| {
            let mut client = self.client.clone();
            let request = request.clone();
            async move { client.get_customer(request).await }
        })
        .await
        .map_err(|status| match status.code() {
            Code::NotFound => ApiError::NotFound {
                reason: Reason::CustomerNotFound.as_str(),
                resource: "customer",
                id: code.clone(),
            },
            code => unavailable(&format!("GetCustomer: {code:?}"), &status),
        })?
        .into_inner();
        Uuid::try_parse(&answer.id).map_err(|_| {
            ApiError::Internal(anyhow::anyhow!(
                "the customers service answered {code} with id {:?}",
                answer.id
            ))
        })
    }

    async fn ask_standing(&self, customer_id: Uuid) -> Result<CustomerStanding, ApiError> {
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
                reason: Reason::CustomerBlocked.as_str(),
                message: format!("customer {customer_id} is blocked and may not order"),
                metadata: vec![("customer_id", customer_id.to_string())],
            });
        }
        Ok(CustomerStanding {
            priority_transport: answer
                .service_level
                .is_some_and(|level| level.priority_transport),
        })
    }
}

/// What the customers service's refusal means for an order. A refusal is read by its
/// `google.rpc.ErrorInfo` reason, never by its code alone: FAILED_PRECONDITION covers several
/// standings, and calling a blocked customer deleted would send the caller the wrong way.
fn refusal(customer_id: Uuid, status: tonic::Status) -> ApiError {
    let peer_reason = status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default();
    let refused = |reason: &'static str, standing: &str| ApiError::FailedPrecondition {
        reason,
        message: format!("customer {customer_id} is {standing} and may not order"),
        metadata: vec![("customer_id", customer_id.to_string())],
    };
    match (status.code(), peer_reason.as_str()) {
        (Code::NotFound, _) => ApiError::NotFound {
            reason: Reason::CustomerNotFound.as_str(),
            resource: "customer",
            id: customer_id.to_string(),
        },
        (Code::FailedPrecondition, "CUSTOMER_DELETED") => {
            refused(Reason::CustomerDeleted.as_str(), "deleted")
        }
        (Code::FailedPrecondition, "CUSTOMER_BLOCKED") => {
            refused(Reason::CustomerBlocked.as_str(), "blocked")
        }
        (Code::FailedPrecondition, "CUSTOMER_ERASED") => {
            refused(Reason::CustomerErased.as_str(), "erased")
        }
        (Code::FailedPrecondition, _) => {
            // A standing this build does not know (a newer customers service): the customer may
            // not order, but we must not guess why. The peer's reason goes along for programs.
            tracing::warn!(
                peer_reason,
                error = status.message(),
                "the customers service refused a customer for a reason orders does not know"
            );
            ApiError::FailedPrecondition {
                reason: Reason::CustomerNotEligible.as_str(),
                message: format!(
                    "the customers service refused customer {customer_id} ({})",
                    if peer_reason.is_empty() {
                        "no reason given"
                    } else {
                        &peer_reason
                    }
                ),
                metadata: vec![
                    ("customer_id", customer_id.to_string()),
                    ("customers_reason", peer_reason.clone()),
                ],
            }
        }
        (code, _) => unavailable(&format!("GetServiceLevel: {code:?} {peer_reason}"), &status),
    }
}

/// Our own key refused, a deadline, the service down: nothing the caller did wrong, and nothing
/// written. The details stay in our log.
fn unavailable(call: &str, status: &tonic::Status) -> ApiError {
    if matches!(
        status.code(),
        Code::Unauthenticated | Code::PermissionDenied
    ) {
        tracing::error!(
            code = ?status.code(),
            error = status.message(),
            "the customers service refused orders' key: check LOGISTICS_SERVICE_API_KEY"
        );
    }
    ApiError::Unavailable {
        reason: Reason::CustomersUnavailable.as_str(),
        message: "the customers service could not confirm the customer; retry later".to_owned(),
        source: Some(anyhow::anyhow!("{call}: {}", status.message())),
    }
}
