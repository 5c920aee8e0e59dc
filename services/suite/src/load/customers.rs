//! Calls of the customers service, and the customer that orders calls order for.

use anyhow::Context as _;
use logistics_contracts::customers::customer_service_client::CustomerServiceClient;
use logistics_contracts::customers::{
    CreateCustomerRequest, Customer, CustomerKind, GetCustomerRequest, ListCustomersRequest,
};
use logistics_platform::client::CallCredentials;
use tonic::Status;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

use super::LoadCall;

/// A customers client that sends the API key.
pub type Customers = CustomerServiceClient<InterceptedService<Channel, CallCredentials>>;

/// A customers client over `channel`.
pub fn client(channel: Channel, credentials: CallCredentials) -> Customers {
    CustomerServiceClient::with_interceptor(channel, credentials)
}

/// One worker's customers calls.
pub struct Worker {
    call: LoadCall,
    client: Customers,
    customer_id: Option<String>,
}

impl Worker {
    /// A worker making `call`; GetCustomer reads `customer_id`.
    pub fn new(call: LoadCall, client: Customers, customer_id: Option<String>) -> Self {
        Self {
            call,
            client,
            customer_id,
        }
    }

    /// Makes one call.
    pub async fn call(&mut self) -> Result<(), Status> {
        match self.call {
            LoadCall::GetCustomer => self
                .client
                .get_customer(GetCustomerRequest {
                    id: self.customer_id.clone().unwrap_or_default(),
                })
                .await
                .map(drop),
            LoadCall::ListCustomers => self
                .client
                .list_customers(ListCustomersRequest::default())
                .await
                .map(drop),
            LoadCall::CreateCustomer => self
                .client
                .create_customer(new_customer("Load Test Customer"))
                .await
                .map(drop),
            other => unreachable!("{other:?} is not a customers call"),
        }
    }
}

/// Creates the customer a run reads or orders for; returns its id.
pub async fn seed_customer(client: &mut Customers) -> anyhow::Result<String> {
    let customer = client
        .create_customer(new_customer("Load Test Reader"))
        .await
        .context("creating the customer of the load")?
        .into_inner();
    Ok(customer.id)
}

fn new_customer(name: &str) -> CreateCustomerRequest {
    CreateCustomerRequest {
        customer: Some(Customer {
            kind: CustomerKind::Enterprise.into(),
            display_name: name.to_owned(),
            region_code: "310115".to_owned(),
            ..Default::default()
        }),
        request_id: uuid::Uuid::new_v4().to_string(),
    }
}
