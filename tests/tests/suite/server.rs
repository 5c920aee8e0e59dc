//! What every service's server does: auth, health, reflection, limits, deadlines, shutdown.

use std::time::Duration;

use logistics_contracts::customers::{
    CreateCustomerRequest, Customer, CustomerKind, GetCustomerRequest, ListCustomersRequest,
    UpdateCustomerRequest,
};
use logistics_tests::{TestApp, channel, domain, lock_customer_row, reason, request_id};
use prost::Message as _;
use tonic::Code;
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_reflection::pb::v1::ServerReflectionRequest;
use tonic_reflection::pb::v1::server_reflection_client::ServerReflectionClient;
use tonic_reflection::pb::v1::server_reflection_request::MessageRequest;
use tonic_reflection::pb::v1::server_reflection_response::MessageResponse;

fn new_customer() -> CreateCustomerRequest {
    CreateCustomerRequest {
        customer: Some(Customer {
            kind: CustomerKind::Individual.into(),
            display_name: "Wang Fang".to_owned(),
            ..Default::default()
        }),
        request_id: request_id(),
    }
}

#[tokio::test]
async fn calls_without_a_valid_key_are_unauthenticated() {
    let app = TestApp::spawn().await;

    let status = app
        .anonymous_customers_client()
        .await
        .list_customers(ListCustomersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "MISSING_CREDENTIALS");

    let status = app
        .customers_client_with("lgk_not-a-key-we-know")
        .await
        .list_customers(ListCustomersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unauthenticated);
    assert_eq!(reason(&status), "UNKNOWN_API_KEY");
    assert_eq!(domain(&status), "logistics.customers");
}

#[tokio::test]
async fn the_bearer_scheme_may_be_written_in_any_case() {
    let app = TestApp::spawn().await;
    for scheme in ["Bearer", "bearer", "BEARER"] {
        let value: tonic::metadata::MetadataValue<_> = format!("{scheme} {}", app.keys.admin)
            .parse()
            .expect("a printable header");
        let mut request = tonic::Request::new(ListCustomersRequest::default());
        request.metadata_mut().insert("authorization", value);
        let answer = app
            .anonymous_customers_client()
            .await
            .list_customers(request)
            .await;
        assert!(answer.is_ok(), "{scheme}: {answer:?}");
    }
}

#[tokio::test]
async fn each_key_may_call_exactly_what_its_scopes_allow() {
    let app = TestApp::spawn().await;
    let mut reader = app.customers_client_with(&app.keys.customers_reader).await;
    let mut writer = app.customers_client_with(&app.keys.customers_writer).await;
    let mut outsider = app.customers_client_with(&app.keys.orders_only).await;

    let created = writer
        .create_customer(new_customer())
        .await
        .unwrap()
        .into_inner();
    let get = || GetCustomerRequest {
        id: created.id.clone(),
    };
    reader.get_customer(get()).await.unwrap();

    let denied = [
        reader.create_customer(new_customer()).await.unwrap_err(),
        writer.get_customer(get()).await.unwrap_err(),
        outsider.get_customer(get()).await.unwrap_err(),
        outsider.create_customer(new_customer()).await.unwrap_err(),
    ];
    for status in denied {
        assert_eq!(status.code(), Code::PermissionDenied, "{status:?}");
        assert_eq!(reason(&status), "MISSING_SCOPE");
    }
}

/// The RPCs of `package` in the descriptor set reflection serves, as gRPC paths.
fn rpcs_of(package: &str) -> Vec<String> {
    let descriptors =
        prost_types::FileDescriptorSet::decode(logistics_contracts::FILE_DESCRIPTOR_SET).unwrap();
    let mut methods = Vec::new();
    for file in descriptors.file {
        if file.package() != package {
            continue;
        }
        for service in &file.service {
            for method in &service.method {
                methods.push(format!("/{package}.{}/{}", service.name(), method.name()));
            }
        }
    }
    methods.sort();
    methods
}

#[test]
fn every_rpc_of_every_package_names_the_scope_it_needs() {
    let packages = [
        ("logistics.customers.v1", logistics_customers::SCOPES),
        ("logistics.orders.v1", logistics_orders::SCOPES),
        ("logistics.complaints.v1", logistics_complaints::SCOPES),
        ("logistics.reporting.v1", logistics_reporting::SCOPES),
    ];
    for (package, tables) in packages {
        let mut scoped: Vec<String> = tables
            .iter()
            .flat_map(|table| table.iter())
            .map(|(path, _)| (*path).to_owned())
            .collect();
        scoped.sort();
        let methods = rpcs_of(package);
        assert!(!methods.is_empty(), "{package} has RPCs");
        assert_eq!(methods, scoped, "{package}");
    }
    assert!(
        rpcs_of("logistics.orders.v1")
            .contains(&"/logistics.orders.v1.TrackingService/WatchTracking".to_owned())
    );
}

#[tokio::test]
async fn health_answers_serving_for_the_server_and_each_service_without_credentials() {
    let app = TestApp::spawn().await;
    let ports = [
        (
            app.customers,
            "customers",
            Some("logistics.customers.v1.CustomerService"),
        ),
        (app.orders, "orders", None),
        (
            app.complaints,
            "complaints",
            Some("logistics.complaints.v1.ComplaintService"),
        ),
        (
            app.reporting,
            "reporting",
            Some("logistics.reporting.v1.ReportingService"),
        ),
    ];
    for (address, name, grpc_service) in ports {
        let mut health = HealthClient::new(channel(address).await);
        for service in ["", name].into_iter().chain(grpc_service) {
            let answer = health
                .check(HealthCheckRequest {
                    service: service.to_owned(),
                })
                .await
                .unwrap()
                .into_inner();
            assert_eq!(
                answer.status(),
                ServingStatus::Serving,
                "{name}: {service:?}"
            );
        }
    }
}

async fn reflect(address: std::net::SocketAddr, request: MessageRequest) -> MessageResponse {
    let mut client = ServerReflectionClient::new(channel(address).await);
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    responses
        .message()
        .await
        .unwrap()
        .unwrap()
        .message_response
        .unwrap()
}

#[tokio::test]
async fn reflection_lists_the_served_services_and_describes_them_and_health() {
    let app = TestApp::spawn().await;

    let MessageResponse::ListServicesResponse(list) =
        reflect(app.customers, MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    assert_eq!(
        names,
        [
            "grpc.health.v1.Health",
            "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection",
            "logistics.customers.v1.ContactService",
            "logistics.customers.v1.CustomerService",
            "logistics.customers.v1.EngagementService",
            "logistics.customers.v1.LoyaltyService",
        ]
    );

    for symbol in [
        "logistics.customers.v1.CustomerService",
        "logistics.customers.v1.EngagementService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1alpha.ServerReflection",
        "google.rpc.BadRequest",
    ] {
        let answer = reflect(
            app.customers,
            MessageRequest::FileContainingSymbol(symbol.to_owned()),
        )
        .await;
        assert!(
            matches!(answer, MessageResponse::FileDescriptorResponse(_)),
            "{symbol}: {answer:?}"
        );
    }

    let MessageResponse::ListServicesResponse(list) =
        reflect(app.orders, MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    let names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    for served in [
        "grpc.health.v1.Health",
        "logistics.orders.v1.AddressBookService",
        "logistics.orders.v1.QuoteService",
    ] {
        assert!(
            names.iter().any(|name| name == served),
            "{served} in {names:?}"
        );
    }
    assert!(
        names
            .iter()
            .all(|name| !name.starts_with("logistics.") || name.starts_with("logistics.orders.")),
        "orders advertises only its own package: {names:?}"
    );

    let MessageResponse::ListServicesResponse(list) =
        reflect(app.complaints, MessageRequest::ListServices(String::new())).await
    else {
        panic!("expected a service list");
    };
    let mut names: Vec<_> = list.service.into_iter().map(|s| s.name).collect();
    names.retain(|name| name.starts_with("logistics."));
    names.sort();
    assert_eq!(
        names,
        [
            "logistics.complaints.v1.ComplaintService",
            "logistics.complaints.v1.SlaService",
        ]
    );
}

#[tokio::test]
async fn reflection_can_be_switched_off() {
    let app = TestApp::spawn_with(|server| server.reflection = false).await;
    let mut client = ServerReflectionClient::new(channel(app.customers).await);
    let status = client
        .server_reflection_info(tokio_stream::iter([ServerReflectionRequest {
            host: String::new(),
            message_request: Some(MessageRequest::ListServices(String::new())),
        }]))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unimplemented);
}

#[tokio::test]
async fn a_caller_over_its_rate_is_told_to_back_off() {
    let app = TestApp::spawn_with(|server| {
        server.rate_limit_per_second = 1;
        server.rate_limit_burst = 3;
    })
    .await;
    let mut client = app.customers_client().await;

    let mut outcomes = Vec::new();
    for _ in 0..4 {
        outcomes.push(client.list_customers(ListCustomersRequest::default()).await);
    }

    assert!(outcomes[..3].iter().all(Result::is_ok));
    let status = outcomes[3].as_ref().unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(reason(status), "RATE_LIMITED");
    // Another caller has its own budget.
    app.customers_client_with(&app.keys.customers_reader)
        .await
        .list_customers(ListCustomersRequest::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn calls_beyond_the_concurrency_limit_are_shed_at_once() {
    let app = TestApp::spawn_with(|server| server.max_concurrent_calls = 1).await;
    let mut client = app.customers_client().await;
    let created = client
        .create_customer(new_customer())
        .await
        .unwrap()
        .into_inner();

    // Hold the customer's row so an update stays in flight, occupying the only slot.
    let pool = app.schema_pool("customers").await;
    let blocker = lock_customer_row(&pool, &created.id).await;
    let mut stuck_client = client.clone();
    let update = UpdateCustomerRequest {
        customer: Some(Customer {
            id: created.id.clone(),
            notes: "waits for the lock".to_owned(),
            ..Default::default()
        }),
        update_mask: None,
    };
    let stuck = tokio::spawn(async move { stuck_client.update_customer(update).await });
    // Wait until the update holds the slot: it shows as a lock wait in PostgreSQL.
    wait_for_lock_waiter(&pool).await;

    let status = client
        .get_customer(GetCustomerRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::ResourceExhausted);
    assert_eq!(reason(&status), "SERVER_OVERLOADED");

    blocker.rollback().await.unwrap();
    stuck.await.unwrap().unwrap();
    client
        .get_customer(GetCustomerRequest { id: created.id })
        .await
        .unwrap();
}

async fn wait_for_lock_waiter(pool: &sqlx::PgPool) {
    for _ in 0..200 {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        if waiting > 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the update never waited for the lock");
}

#[tokio::test]
async fn the_server_abandons_a_call_whose_deadline_passed() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let created = client
        .create_customer(new_customer())
        .await
        .unwrap()
        .into_inner();
    let pool = app.schema_pool("customers").await;
    let blocker = lock_customer_row(&pool, &created.id).await;

    let mut request = tonic::Request::new(UpdateCustomerRequest {
        customer: Some(Customer {
            id: created.id.clone(),
            notes: "too slow".to_owned(),
            ..Default::default()
        }),
        update_mask: None,
    });
    request.set_timeout(Duration::from_millis(300));
    let status = client.update_customer(request).await.unwrap_err();
    assert!(
        matches!(status.code(), Code::DeadlineExceeded | Code::Cancelled),
        "{status:?}"
    );

    // The server counts the deadline from when the call reached it, which on a loaded machine
    // can be most of the timeout after the client started counting: let that much more pass, so
    // its deadline has too before the lock frees (else its update may rightly go on and commit).
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The server's update waited behind the lock; free it, then wait until no session holds a
    // write transaction or waits for a lock: the server's transaction has ended one way or the
    // other, and only then is the row's state the final word.
    blocker.rollback().await.unwrap();
    let mut observer = pool.acquire().await.unwrap();
    let mut settled = false;
    for _ in 0..400 {
        let busy: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND pid <> pg_backend_pid()
               AND (backend_xid IS NOT NULL OR wait_event_type = 'Lock')",
        )
        .fetch_one(&mut *observer)
        .await
        .unwrap();
        if busy == 0 {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert!(settled, "the server's transaction never ended");
    let current = client
        .get_customer(GetCustomerRequest { id: created.id })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(current.notes, "", "the abandoned update was not committed");
    assert_eq!(current.etag, created.etag);
}

#[tokio::test]
async fn on_shutdown_health_turns_not_serving_and_the_services_stop() {
    let app = TestApp::spawn().await;
    let mut health = HealthClient::new(channel(app.customers).await);
    let mut watch = health
        .watch(HealthCheckRequest {
            service: "customers".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    let first = watch.message().await.unwrap().unwrap();
    assert_eq!(first.status(), ServingStatus::Serving);

    app.begin_shutdown();

    let next = tokio::time::timeout(Duration::from_secs(5), watch.message())
        .await
        .expect("a status change")
        .unwrap()
        .unwrap();
    assert_eq!(next.status(), ServingStatus::NotServing);
    tokio::time::timeout(Duration::from_secs(10), app.stop())
        .await
        .expect("services stop within the grace period");
}
