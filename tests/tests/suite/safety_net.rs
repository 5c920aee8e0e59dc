//! The server stack's safety nets: a panicking handler and an oversized message, end to end.

use std::convert::Infallible;
use std::sync::Arc;
use std::task::{Context, Poll};

use logistics_contracts::customers::customer_service_client::CustomerServiceClient;
use logistics_contracts::customers::{
    CreateCustomerRequest, Customer, CustomerKind, GetCustomerRequest,
};
use logistics_platform::auth::{ApiKeys, ScopeTable, mint_key};
use logistics_platform::client::CallCredentials;
use logistics_platform::server::{GrpcServer, ServerConfig};
use logistics_tests::{TestApp, channel, domain, reason, request_id};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tonic::Code;
use tonic::body::Body;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;

/// A test-only stand-in for the customers service whose every call panics, as a handler with a
/// bug would.
#[derive(Clone)]
struct PanickingCustomers;

impl tonic::server::NamedService for PanickingCustomers {
    const NAME: &'static str = "logistics.customers.v1.CustomerService";
}

impl tower::Service<http::Request<Body>> for PanickingCustomers {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = futures::future::BoxFuture<'static, Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<Body>) -> Self::Future {
        Box::pin(async move {
            tokio::task::yield_now().await;
            panic!("a bug in {}", request.uri().path());
        })
    }
}

const SCOPES: ScopeTable = logistics_platform::scope_table!("logistics.customers.v1.CustomerService" {
    GetCustomer => "customers:read",
});

#[tokio::test]
async fn a_handler_that_panics_answers_internal_and_the_server_keeps_serving() {
    let (key, stored) = mint_key("tester", vec!["customers:read".to_owned()]);
    let keys = Arc::new(ApiKeys::new([stored]).unwrap());
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let shutdown = CancellationToken::new();
    let server = GrpcServer::new(
        "customers",
        "logistics.customers",
        &ServerConfig {
            shutdown_grace_seconds: 1,
            ..ServerConfig::default()
        },
        keys,
    )
    .add_service(PanickingCustomers, SCOPES);
    let served = tokio::spawn(server.serve(listener, shutdown.clone()));

    let connection = channel(address).await;
    let credentials = CallCredentials::bearer(&key).unwrap();
    let mut client = CustomerServiceClient::with_interceptor(connection.clone(), credentials);
    for _ in 0..3 {
        let status = client
            .get_customer(GetCustomerRequest::default())
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::Internal, "{status:?}");
        assert_eq!(reason(&status), "INTERNAL");
        assert_eq!(domain(&status), "logistics.customers");
        assert!(!status.message().contains("a bug"), "{status:?}");
    }
    let health = HealthClient::new(connection)
        .check(HealthCheckRequest::default())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(health.status(), ServingStatus::Serving);

    drop(client);
    shutdown.cancel();
    served.await.unwrap().unwrap();
}

#[tokio::test]
async fn a_message_over_the_size_limit_is_resource_exhausted_and_the_next_call_works() {
    let app = TestApp::spawn_with(|server| server.max_message_bytes = 64 * 1024).await;
    let mut client = app.customers_client().await;
    let create = |display_name: String| CreateCustomerRequest {
        customer: Some(Customer {
            kind: CustomerKind::Individual.into(),
            display_name,
            ..Default::default()
        }),
        request_id: request_id(),
    };

    let status = client
        .create_customer(create("x".repeat(65 * 1024)))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted, "{status:?}");
    assert_eq!(reason(&status), "MESSAGE_TOO_LARGE");
    assert_eq!(domain(&status), "logistics.customers");

    client
        .create_customer(create("Wang Fang".to_owned()))
        .await
        .unwrap();
}
