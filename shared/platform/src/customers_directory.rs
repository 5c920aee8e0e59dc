//! The customers service as the other services see it: who a customer code names, a customer's
//! standing and service level, and its account manager. One client with one reading of the
//! customers service's refusals, shared by orders and complaints.
//!
//! Answers are cached briefly ([`crate::cache`]): a burst of orders or complaints for one customer
//! costs the customers service one call. Refusals are never cached, so a customer unblocked a
//! moment ago is served at once.

use std::time::Duration;

use logistics_contracts::customers::customer_service_client::CustomerServiceClient;
use logistics_contracts::customers::{
    Customer, GetCustomerRequest, GetServiceLevelRequest, GetServiceLevelResponse,
};
use tonic::Code;
use tonic::service::interceptor::InterceptedService;
use tonic_types::StatusExt as _;
use uuid::Uuid;

use crate::ApiError;
use crate::cache::Cache;
use crate::client::{CallCredentials, PeerChannel, PeersConfig, channel, retry_idempotent};
use crate::fields::CustomerRef;

/// The ErrorInfo reasons a caller of the directory may see; every service that uses it
/// documents them on the RPCs that name a customer.
pub mod reasons {
    /// No such customer.
    pub const CUSTOMER_NOT_FOUND: &str = "CUSTOMER_NOT_FOUND";
    /// The customer was deleted.
    pub const CUSTOMER_DELETED: &str = "CUSTOMER_DELETED";
    /// The customer is blocked (for the callers that refuse blocked customers).
    pub const CUSTOMER_BLOCKED: &str = "CUSTOMER_BLOCKED";
    /// The customer's personal data was erased.
    pub const CUSTOMER_ERASED: &str = "CUSTOMER_ERASED";
    /// The customers service refused the customer for a reason this build does not know.
    pub const CUSTOMER_NOT_ELIGIBLE: &str = "CUSTOMER_NOT_ELIGIBLE";
    /// The customers service did not answer.
    pub const CUSTOMERS_UNAVAILABLE: &str = "CUSTOMERS_UNAVAILABLE";
}

/// How long a customer's service level is reused. A customer blocked this recently may still
/// be served; in exchange a burst of calls costs the customers service one call per customer.
const SERVICE_LEVEL_TTL: Duration = Duration::from_secs(5);
/// Customers whose service level is remembered at most; the least used are forgotten first.
const SERVICE_LEVEL_CAPACITY: u64 = 10_000;
/// How long a customer code's id is reused: a code names one customer for good.
const CODE_TTL: Duration = Duration::from_secs(3600);
/// Customer codes whose id is remembered at most.
const CODE_CAPACITY: u64 = 100_000;
/// How long an account manager is reused.
const MANAGER_TTL: Duration = Duration::from_secs(60);

/// The customers service, as another service sees it.
#[derive(Clone)]
pub struct CustomersDirectory {
    client: CustomerServiceClient<InterceptedService<PeerChannel, CallCredentials>>,
    service_levels: Cache<Uuid, GetServiceLevelResponse>,
    ids: Cache<String, Uuid>,
    managers: Cache<Uuid, String>,
}

impl CustomersDirectory {
    /// A directory calling the customers service named in `peers`, with the key of `caller`
    /// (the calling service's name, for its traces).
    pub fn connect(caller: &'static str, peers: &PeersConfig) -> anyhow::Result<Self> {
        let (url, key) = peers.require("customers", peers.customers_url.as_ref())?;
        let channel = channel(caller, &url, peers.call_timeout())?;
        Ok(Self {
            client: CustomerServiceClient::with_interceptor(
                channel,
                CallCredentials::bearer(&key)?,
            ),
            service_levels: Cache::new(SERVICE_LEVEL_TTL, SERVICE_LEVEL_CAPACITY),
            ids: Cache::new(CODE_TTL, CODE_CAPACITY),
            managers: Cache::new(MANAGER_TTL, SERVICE_LEVEL_CAPACITY),
        })
    }

    /// The id of the customer a caller named by id or by customer code. A code is looked up
    /// with the customers service (deleted and erased customers too): unknown, NOT_FOUND
    /// CUSTOMER_NOT_FOUND; the customers service unreachable, UNAVAILABLE CUSTOMERS_UNAVAILABLE.
    pub async fn resolve(&self, customer: &CustomerRef) -> Result<Uuid, ApiError> {
        match customer {
            CustomerRef::Id(id) => Ok(*id),
            CustomerRef::Code(code) => {
                self.ids
                    .get_or_load(code.clone(), || self.ask_id(code.clone()))
                    .await
            }
        }
    }

    /// The customer's status and service level. Unknown customers are NOT_FOUND
    /// CUSTOMER_NOT_FOUND; deleted and erased ones FAILED_PRECONDITION (CUSTOMER_DELETED,
    /// CUSTOMER_ERASED, and CUSTOMER_BLOCKED should the customers service refuse a blocked one);
    /// a refusal for a reason this build does not know FAILED_PRECONDITION
    /// CUSTOMER_NOT_ELIGIBLE; when the customers service cannot answer in time, UNAVAILABLE
    /// CUSTOMERS_UNAVAILABLE. A BLOCKED customer is answered: each caller decides what that
    /// means for it.
    pub async fn service_level(
        &self,
        customer_id: Uuid,
    ) -> Result<GetServiceLevelResponse, ApiError> {
        self.service_levels
            .get_or_load(customer_id, || self.ask_service_level(customer_id))
            .await
    }

    /// The customer's account manager (a login); empty when it has none.
    pub async fn account_manager(&self, customer_id: Uuid) -> Result<String, ApiError> {
        self.managers
            .get_or_load(customer_id, || self.ask_account_manager(customer_id))
            .await
    }

    /// The customer's display name and customer code, read now (for documents that name the
    /// customer, such as a statement). Refusals as [`Self::service_level`].
    pub async fn name_and_code(&self, customer_id: Uuid) -> Result<(String, String), ApiError> {
        let customer = self.customer(customer_id).await?;
        Ok((customer.display_name, customer.customer_code))
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
                reason: reasons::CUSTOMER_NOT_FOUND,
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

    async fn ask_service_level(
        &self,
        customer_id: Uuid,
    ) -> Result<GetServiceLevelResponse, ApiError> {
        let request = GetServiceLevelRequest {
            customer_id: customer_id.to_string(),
        };
        retry_idempotent(|| {
            let mut client = self.client.clone();
            let request = request.clone();
            async move { client.get_service_level(request).await }
        })
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| refusal(customer_id, "GetServiceLevel", status))
    }

    async fn ask_account_manager(&self, customer_id: Uuid) -> Result<String, ApiError> {
        Ok(self.customer(customer_id).await?.account_manager)
    }

    /// The customer as the customers service has it now (GetCustomer, retried while it fails
    /// for a transient reason); its refusals read as [`refusal`] says.
    async fn customer(&self, customer_id: Uuid) -> Result<Customer, ApiError> {
        let request = GetCustomerRequest {
            id: customer_id.to_string(),
        };
        retry_idempotent(|| {
            let mut client = self.client.clone();
            let request = request.clone();
            async move { client.get_customer(request).await }
        })
        .await
        .map(tonic::Response::into_inner)
        .map_err(|status| refusal(customer_id, "GetCustomer", status))
    }
}

/// What the customers service's refusal of `customer_id` means for the caller. A refusal is
/// read by its `google.rpc.ErrorInfo` reason, never by its code alone: FAILED_PRECONDITION
/// covers several standings, and calling an erased customer deleted would send the caller the
/// wrong way.
fn refusal(customer_id: Uuid, call: &str, status: tonic::Status) -> ApiError {
    let peer_reason = status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default();
    let refused = |reason: &'static str, standing: &str| ApiError::FailedPrecondition {
        reason,
        message: format!("customer {customer_id} is {standing}"),
        metadata: vec![("customer_id", customer_id.to_string())],
    };
    match (status.code(), peer_reason.as_str()) {
        (Code::NotFound, _) => ApiError::NotFound {
            reason: reasons::CUSTOMER_NOT_FOUND,
            resource: "customer",
            id: customer_id.to_string(),
        },
        (Code::FailedPrecondition, "CUSTOMER_DELETED") => {
            refused(reasons::CUSTOMER_DELETED, "deleted")
        }
        (Code::FailedPrecondition, "CUSTOMER_ERASED") => {
            refused(reasons::CUSTOMER_ERASED, "erased")
        }
        (Code::FailedPrecondition, "CUSTOMER_BLOCKED") => {
            refused(reasons::CUSTOMER_BLOCKED, "blocked")
        }
        (Code::FailedPrecondition, _) => {
            // A standing this build does not know (a newer customers service): we must not
            // guess why. The peer's reason goes along for programs.
            tracing::warn!(
                peer_reason,
                error = status.message(),
                "the customers service refused a customer for a reason this service does not know"
            );
            ApiError::FailedPrecondition {
                reason: reasons::CUSTOMER_NOT_ELIGIBLE,
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
        (code, _) => unavailable(&format!("{call}: {code:?} {peer_reason}"), &status),
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
            "the customers service refused this service's key: check LOGISTICS_SERVICE_API_KEY"
        );
    }
    ApiError::Unavailable {
        reason: reasons::CUSTOMERS_UNAVAILABLE,
        message: "the customers service could not confirm the customer; retry later".to_owned(),
        source: Some(anyhow::anyhow!("{call}: {}", status.message())),
    }
}
