//! How orders reads a refusal of the customers service: by its ErrorInfo reason, over real gRPC,
//! against a stand-in customers service that answers every call with one status.

use std::collections::HashMap;
use std::convert::Infallible;
use std::task::{Context, Poll};

use logistics_orders::CustomersDirectory;
use logistics_platform::client::PeersConfig;
use logistics_tests::reason;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::body::Body;
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};

/// A test-only customers service answering every call with the same status.
#[derive(Clone)]
struct RefusingCustomers {
    code: Code,
    reason: Option<&'static str>,
}

impl tonic::server::NamedService for RefusingCustomers {
    const NAME: &'static str = "logistics.customers.v1.CustomerService";
}

impl tower::Service<http::Request<Body>> for RefusingCustomers {
    type Response = http::Response<Body>;
    type Error = Infallible;
    type Future = std::future::Ready<Result<Self::Response, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _: http::Request<Body>) -> Self::Future {
        let status = match self.reason {
            Some(reason) => Status::with_error_details(
                self.code,
                "refused",
                ErrorDetails::with_error_info(reason, "logistics.customers", HashMap::new()),
            ),
            None => Status::new(self.code, "refused"),
        };
        std::future::ready(Ok(status.into_http()))
    }
}

/// The status orders answers when customers answers `code` with `peer_reason`.
async fn orders_answer(code: Code, peer_reason: Option<&'static str>) -> Status {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tonic::transport::Server::builder()
        .add_service(RefusingCustomers {
            code,
            reason: peer_reason,
        })
        .serve_with_incoming(TcpListenerStream::new(listener));
    let served = tokio::spawn(server);
    let directory = CustomersDirectory::connect(&PeersConfig {
        customers_url: Some(format!("http://{address}")),
        service_api_key: Some("lgk_orders-own-key".to_owned()),
        ..PeersConfig::default()
    })
    .unwrap();
    let answer = directory.standing(uuid::Uuid::new_v4()).await.unwrap_err();
    served.abort();
    answer.into_status("logistics.orders")
}

#[tokio::test]
async fn each_refusal_of_the_customers_service_is_named_by_its_own_reason() {
    let cases = [
        (
            Code::FailedPrecondition,
            "CUSTOMER_DELETED",
            "CUSTOMER_DELETED",
        ),
        (
            Code::FailedPrecondition,
            "CUSTOMER_BLOCKED",
            "CUSTOMER_BLOCKED",
        ),
        (
            Code::FailedPrecondition,
            "CUSTOMER_ERASED",
            "CUSTOMER_ERASED",
        ),
        (Code::NotFound, "CUSTOMER_NOT_FOUND", "CUSTOMER_NOT_FOUND"),
    ];
    for (code, peer_reason, expected) in cases {
        let status = orders_answer(code, Some(peer_reason)).await;
        assert_eq!(status.code(), code, "{peer_reason}: {status:?}");
        assert_eq!(reason(&status), expected, "{peer_reason}");
    }
}

#[tokio::test]
async fn a_refusal_for_a_reason_orders_does_not_know_is_not_called_deleted() {
    let status = orders_answer(Code::FailedPrecondition, Some("CUSTOMER_SUSPENDED")).await;
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "CUSTOMER_NOT_ELIGIBLE");
    let details = status.get_error_details();
    let info = details.error_info().unwrap();
    assert_eq!(info.metadata["customers_reason"], "CUSTOMER_SUSPENDED");

    let status = orders_answer(Code::FailedPrecondition, None).await;
    assert_eq!(reason(&status), "CUSTOMER_NOT_ELIGIBLE");
}
