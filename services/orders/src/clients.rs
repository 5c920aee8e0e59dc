//! Typed clients of the services orders calls: customers, through the platform's directory, with
//! what orders makes of a customer's standing (a blocked customer may not order).

use logistics_contracts::customers::CustomerStatus;
use logistics_platform::ApiError;
use logistics_platform::client::PeersConfig;
use logistics_platform::customers_directory::{self, reasons};
use logistics_platform::fields::CustomerRef;
use uuid::Uuid;

/// What orders needs to know about a customer before taking an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerStanding {
    /// Whether the customer's shipments travel with priority.
    pub(crate) priority_transport: bool,
}

/// The customers service, as orders sees it.
#[derive(Clone)]
pub struct CustomersDirectory {
    directory: customers_directory::CustomersDirectory,
}

impl CustomersDirectory {
    /// A directory calling the customers service named in `peers`, with orders' own key.
    pub fn connect(peers: &PeersConfig) -> anyhow::Result<Self> {
        Ok(Self {
            directory: customers_directory::CustomersDirectory::connect(crate::NAME, peers)?,
        })
    }

    /// Whether `customer_id` may order, and on which terms. Unknown customers are NOT_FOUND;
    /// deleted, blocked and erased ones FAILED_PRECONDITION (CUSTOMER_DELETED, CUSTOMER_BLOCKED,
    /// CUSTOMER_ERASED), a refusal for a reason orders does not know FAILED_PRECONDITION
    /// CUSTOMER_NOT_ELIGIBLE; when the customers service cannot answer in time, UNAVAILABLE.
    pub async fn standing(&self, customer_id: Uuid) -> Result<CustomerStanding, ApiError> {
        let answer = self.directory.service_level(customer_id).await?;
        if answer.status() == CustomerStatus::Blocked {
            return Err(ApiError::FailedPrecondition {
                reason: reasons::CUSTOMER_BLOCKED,
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

    /// The id of the customer a caller named by id or by customer code (see
    /// [`customers_directory::CustomersDirectory::resolve`]).
    pub(crate) async fn resolve(&self, customer: &CustomerRef) -> Result<Uuid, ApiError> {
        self.directory.resolve(customer).await
    }
}
