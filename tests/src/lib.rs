//! The test kit: starts the real services against a real PostgreSQL and hands out clients.
//!
//! Each test binary gets one throwaway PostgreSQL cluster (started on first use, removed when the
//! process exits) and each [`TestApp`] gets a fresh database in it, so tests never see each
//! other's data. Services listen on port 0 and are called through the generated clients.

pub mod complaints;
pub mod orders;
pub mod reporting;
mod restarts;
pub mod txids;

pub use orders::{
    AddressBookClient, QuotesClient, TrackingClient, order_in_status, set_promised_delivery_time,
};
use restarts::{Restartable, RestartableService};

use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};

use logistics_contracts::customers::contact_service_client::ContactServiceClient;
use logistics_contracts::customers::customer_service_client::CustomerServiceClient;
use logistics_contracts::customers::engagement_service_client::EngagementServiceClient;
use logistics_contracts::customers::loyalty_service_client::LoyaltyServiceClient;
use logistics_platform::ServiceContext;
use logistics_platform::auth::{ApiKeys, mint_key};
use logistics_platform::client::{CallCredentials, PeersConfig};
use logistics_platform::db::DatabaseConfig;
use logistics_platform::embedded_pg::{EmbeddedPostgres, Persistence};
use logistics_platform::pagination::TokenKey;
use logistics_platform::pii::PiiCipher;
use logistics_platform::server::ServerConfig;
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic_types::StatusExt as _;

/// A customers client that sends an API key.
pub type CustomersClient = CustomerServiceClient<InterceptedService<Channel, CallCredentials>>;

/// An engagement client (interactions, follow-ups, surveys) that sends an API key.
pub type EngagementClient = EngagementServiceClient<InterceptedService<Channel, CallCredentials>>;
/// A contacts client that sends an API key.
pub type ContactsClient = ContactServiceClient<InterceptedService<Channel, CallCredentials>>;
/// A loyalty client that sends an API key.
pub type LoyaltyClient = LoyaltyServiceClient<InterceptedService<Channel, CallCredentials>>;

/// The cluster shared by every test of this binary.
pub fn cluster() -> &'static EmbeddedPostgres {
    static CLUSTER: OnceLock<EmbeddedPostgres> = OnceLock::new();
    CLUSTER.get_or_init(|| start_cluster().expect("starting the test PostgreSQL cluster"))
}

/// A cluster of its own, for tests that stop their database.
pub fn start_cluster() -> anyhow::Result<EmbeddedPostgres> {
    let root = std::env::temp_dir().join(format!(
        "logistics-test-pg-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    EmbeddedPostgres::start(&root, Persistence::Throwaway)
}

/// API keys the kit mints for every app, one per kind of caller.
#[derive(Debug, Clone)]
pub struct TestKeys {
    /// Every scope.
    pub admin: String,
    /// `customers:read` only.
    pub customers_reader: String,
    /// `customers:write` only.
    pub customers_writer: String,
    /// `customers:read` and `customers:write` but not `customers:pii`: service staff who keep
    /// contacts up to date without reading them back.
    pub customers_staff: String,
    /// `orders:*` only: nothing on customers.
    pub orders_only: String,
    /// The orders service's own key for its calls (`customers:read`).
    pub orders_service: String,
    /// The customers service's own key for its calls (`orders:read`, `complaints:read`).
    pub customers_service: String,
    /// `orders:read` only.
    pub orders_reader: String,
    /// `orders:read` and `orders:write`: everything of an orders client but imports.
    pub orders_writer: String,
    /// `orders:track` only: what scanners and partners get.
    pub orders_tracker: String,
    /// The complaints service's own key for its calls (`customers:read`, `orders:read`).
    pub complaints_service: String,
    /// `complaints:read` and `complaints:write`: a service agent, who may not change the
    /// calendar, the policy, or run the sweep.
    pub complaints_agent: String,
    /// `complaints:read` only.
    pub complaints_reader: String,
    /// `reporting:read` only.
    pub reporting_reader: String,
    /// The reporting service's own key for its calls (the three feeds, customer codes).
    pub reporting_service: String,
}

/// The four services running against a fresh database.
pub struct TestApp {
    /// Address of the customers service.
    pub customers: SocketAddr,
    /// Address of the orders service.
    pub orders: SocketAddr,
    /// Address of the complaints service.
    pub complaints: SocketAddr,
    /// Address of the reporting service.
    pub reporting: SocketAddr,
    /// URL of the app's own database.
    pub database_url: String,
    /// Keys for each kind of caller.
    pub keys: TestKeys,
    shutdown: CancellationToken,
    services: JoinSet<anyhow::Result<()>>,
    /// Customers and orders, which a test may stop and start again on their own.
    restartable: Restartable,
}

impl TestApp {
    /// Starts the services with default settings on the shared cluster.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts the services with settings adjusted by `configure`, on the shared cluster.
    pub async fn spawn_with(configure: impl FnOnce(&mut ServerConfig)) -> Self {
        Self::spawn_on(cluster(), configure).await
    }

    /// Starts the services on `cluster`, in a fresh database.
    pub async fn spawn_on(
        cluster: &EmbeddedPostgres,
        configure: impl FnOnce(&mut ServerConfig),
    ) -> Self {
        Self::start(cluster, configure, true).await
    }

    /// Starts customers, orders and complaints, and migrates reporting's schema without starting
    /// it: a test runs reporting itself (as a process of its own) on the address `reporting`,
    /// which is free, with the keys `keys.reporting_service` calls with and `keys.admin`.
    pub async fn spawn_without_reporting() -> Self {
        Self::start(cluster(), |_| {}, false).await
    }

    async fn start(
        cluster: &EmbeddedPostgres,
        configure: impl FnOnce(&mut ServerConfig),
        with_reporting: bool,
    ) -> Self {
        log_when_asked();
        let database = format!("test_{}", uuid::Uuid::new_v4().simple());
        cluster
            .ensure_database(&database)
            .await
            .expect("creating the test database");
        let database_url = cluster.url(&database);

        let mut server = ServerConfig {
            shutdown_grace_seconds: 2,
            ..ServerConfig::default()
        };
        configure(&mut server);
        let (keys, stored) = test_keys();
        let context = ServiceContext {
            server,
            database: DatabaseConfig {
                database_url: Some(database_url.clone()),
                db_max_connections: 8,
                db_acquire_timeout_ms: 2000,
            },
            database_url: database_url.clone(),
            keys: Arc::new(ApiKeys::new(stored).expect("test keys")),
            token_key: TokenKey::random(),
            pii: Some(Arc::new(random_pii_cipher())),
            peers: PeersConfig::default(),
            shutdown: CancellationToken::new(),
        };

        logistics_customers::migrate(&context)
            .await
            .expect("migrating customers");
        logistics_orders::migrate(&context)
            .await
            .expect("migrating orders");
        logistics_complaints::migrate(&context)
            .await
            .expect("migrating complaints");
        logistics_reporting::migrate(&context)
            .await
            .expect("migrating reporting");

        let mut services = JoinSet::new();
        let customers = bind().await;
        let orders = bind().await;
        let complaints = bind().await;
        let reporting = bind().await;
        let addresses = [&customers, &orders, &complaints, &reporting]
            .map(|listener| listener.local_addr().expect("bound address"));
        let peers = PeersConfig {
            customers_url: Some(format!("http://{}", addresses[0])),
            orders_url: Some(format!("http://{}", addresses[1])),
            complaints_url: Some(format!("http://{}", addresses[2])),
            ..PeersConfig::default()
        };
        let calling_as = |key: &str| ServiceContext {
            peers: PeersConfig {
                service_api_key: Some(key.to_owned()),
                ..peers.clone()
            },
            ..context.clone()
        };
        let restartable = Restartable {
            customers: RestartableService::start(
                calling_as(&keys.customers_service),
                customers,
                |context, listener| Box::pin(logistics_customers::run(context, listener)),
            ),
            orders: RestartableService::start(
                calling_as(&keys.orders_service),
                orders,
                |context, listener| Box::pin(logistics_orders::run(context, listener)),
            ),
        };
        // The SLA sweep every second, so a test sees warnings and escalations come by
        // themselves without waiting a minute.
        let complaints_settings = logistics_complaints::ComplaintsSettings {
            sla_sweep_seconds: 1,
            ..logistics_complaints::ComplaintsSettings::default()
        };
        services.spawn(logistics_complaints::run_with(
            calling_as(&keys.complaints_service),
            complaints_settings,
            complaints,
        ));
        if with_reporting {
            services.spawn(logistics_reporting::run(
                calling_as(&keys.reporting_service),
                reporting,
            ));
        } else {
            // Its port is free again for the test's own reporting.
            drop(reporting);
        }

        Self {
            customers: addresses[0],
            orders: addresses[1],
            complaints: addresses[2],
            reporting: addresses[3],
            database_url,
            keys,
            shutdown: context.shutdown,
            services,
            restartable,
        }
    }

    /// A customers client with every scope.
    pub async fn customers_client(&self) -> CustomersClient {
        self.customers_client_with(&self.keys.admin).await
    }

    /// A customers client presenting `api_key`.
    pub async fn customers_client_with(&self, api_key: &str) -> CustomersClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        CustomerServiceClient::with_interceptor(channel(self.customers).await, credentials)
    }

    /// An engagement client with every scope.
    pub async fn engagement_client(&self) -> EngagementClient {
        self.engagement_client_with(&self.keys.admin).await
    }

    /// An engagement client presenting `api_key`.
    pub async fn engagement_client_with(&self, api_key: &str) -> EngagementClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        EngagementServiceClient::with_interceptor(channel(self.customers).await, credentials)
    }

    /// A contacts client with every scope.
    pub async fn contacts_client(&self) -> ContactsClient {
        self.contacts_client_with(&self.keys.admin).await
    }

    /// A contacts client presenting `api_key`.
    pub async fn contacts_client_with(&self, api_key: &str) -> ContactsClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        ContactServiceClient::with_interceptor(channel(self.customers).await, credentials)
    }

    /// A loyalty client with every scope.
    pub async fn loyalty_client(&self) -> LoyaltyClient {
        self.loyalty_client_with(&self.keys.admin).await
    }

    /// A loyalty client presenting `api_key`.
    pub async fn loyalty_client_with(&self, api_key: &str) -> LoyaltyClient {
        let credentials = CallCredentials::bearer(api_key).expect("printable key");
        LoyaltyServiceClient::with_interceptor(channel(self.customers).await, credentials)
    }

    /// A customers client with no credentials at all.
    pub async fn anonymous_customers_client(&self) -> CustomerServiceClient<Channel> {
        CustomerServiceClient::new(channel(self.customers).await)
    }

    /// A direct connection pool on a service's schema, for setting up what RPCs cannot.
    pub async fn schema_pool(&self, schema: &str) -> sqlx::PgPool {
        logistics_platform::db::connect(
            &self.database_url,
            schema,
            &DatabaseConfig {
                database_url: None,
                db_max_connections: 4,
                db_acquire_timeout_ms: 2000,
            },
        )
        .await
        .expect("connecting to the test database")
    }

    /// Starts a graceful shutdown, as a signal would.
    pub fn begin_shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Shuts down and waits until every service has stopped; fails if one failed.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        self.restartable.customers.stop().await;
        self.restartable.orders.stop().await;
        while let Some(stopped) = self.services.join_next().await {
            stopped
                .expect("service task panicked")
                .expect("service failed");
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// With `LOGISTICS_TEST_LOG` set (a log filter, e.g. `warn` or `logistics_customers=debug`),
/// the services' logs go to the test output: how to see what lies behind an INTERNAL.
fn log_when_asked() {
    if let Ok(filter) = std::env::var("LOGISTICS_TEST_LOG") {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    }
}

/// An eagerly connected channel to a test service.
pub async fn channel(address: SocketAddr) -> Channel {
    Channel::from_shared(format!("http://{address}"))
        .expect("valid URL")
        .connect()
        .await
        .expect("connecting to a test service")
}

async fn bind() -> TcpListener {
    TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binding a test port")
}

fn test_keys() -> (TestKeys, Vec<logistics_platform::auth::StoredKey>) {
    let scopes = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect();
    let (admin, admin_stored) = mint_key("admin", scopes(&["*"]));
    let (reader, reader_stored) = mint_key("reader", scopes(&["customers:read"]));
    let (writer, writer_stored) = mint_key("writer", scopes(&["customers:write"]));
    let (staff, staff_stored) = mint_key("staff", scopes(&["customers:read", "customers:write"]));
    let (orders, orders_stored) = mint_key("orders-team", scopes(&["orders:*"]));
    let (orders_service, orders_service_stored) =
        mint_key("orders-service", scopes(&["customers:read"]));
    let (customers_service, customers_service_stored) = mint_key(
        "customers-service",
        scopes(&["orders:read", "complaints:read"]),
    );
    let (orders_reader, orders_reader_stored) = mint_key("orders-reader", scopes(&["orders:read"]));
    let (orders_writer, orders_writer_stored) =
        mint_key("orders-writer", scopes(&["orders:read", "orders:write"]));
    let (orders_tracker, orders_tracker_stored) =
        mint_key("orders-tracker", scopes(&["orders:track"]));
    let (complaints_service, complaints_service_stored) = mint_key(
        "complaints-service",
        scopes(&["customers:read", "orders:read"]),
    );
    let (complaints_agent, complaints_agent_stored) = mint_key(
        "complaints-agent",
        scopes(&["complaints:read", "complaints:write"]),
    );
    let (reporting_reader, reporting_reader_stored) =
        mint_key("reporting-reader", scopes(&["reporting:read"]));
    let (complaints_reader, complaints_reader_stored) =
        mint_key("complaints-reader", scopes(&["complaints:read"]));
    let (reporting_service, reporting_service_stored) = mint_key(
        "reporting-service",
        scopes(&["customers:read", "orders:read", "complaints:read"]),
    );
    (
        TestKeys {
            admin,
            customers_reader: reader,
            customers_writer: writer,
            customers_staff: staff,
            orders_only: orders,
            orders_service,
            customers_service,
            orders_reader,
            orders_writer,
            orders_tracker,
            complaints_service,
            complaints_agent,
            complaints_reader,
            reporting_reader,
            reporting_service,
        },
        vec![
            admin_stored,
            reader_stored,
            writer_stored,
            staff_stored,
            orders_stored,
            orders_service_stored,
            customers_service_stored,
            orders_reader_stored,
            orders_writer_stored,
            orders_tracker_stored,
            complaints_service_stored,
            complaints_agent_stored,
            complaints_reader_stored,
            reporting_reader_stored,
            reporting_service_stored,
        ],
    )
}

/// A personal-data cipher with fresh random keys, so no two apps share keys.
fn random_pii_cipher() -> PiiCipher {
    let (keys, lookup) = PiiCipher::generate_config("test");
    PiiCipher::from_config(&keys, &lookup).expect("generated PII keys")
}

/// The ErrorInfo reason of a status.
pub fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

/// The ErrorInfo domain of a status.
pub fn domain(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.domain.clone())
        .unwrap_or_default()
}

/// The fields named by a status's BadRequest, in order.
pub fn violated_fields(status: &tonic::Status) -> Vec<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|v| v.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// A fresh request id.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// An enterprise customer ready to create, with a region, industry and account manager.
pub fn enterprise(name: &str) -> logistics_contracts::customers::Customer {
    logistics_contracts::customers::Customer {
        kind: logistics_contracts::customers::CustomerKind::Enterprise.into(),
        display_name: name.to_owned(),
        industry: "electronics".to_owned(),
        region_code: "CN-SH".to_owned(),
        account_manager: "li.wei".to_owned(),
        ..Default::default()
    }
}

/// An individual customer ready to create.
pub fn individual(name: &str) -> logistics_contracts::customers::Customer {
    logistics_contracts::customers::Customer {
        kind: logistics_contracts::customers::CustomerKind::Individual.into(),
        display_name: name.to_owned(),
        ..Default::default()
    }
}

/// Creates `customer` with a fresh request id and returns it as stored.
pub async fn create_customer(
    client: &mut CustomersClient,
    customer: logistics_contracts::customers::Customer,
) -> logistics_contracts::customers::Customer {
    client
        .create_customer(logistics_contracts::customers::CreateCustomerRequest {
            customer: Some(customer),
            request_id: request_id(),
        })
        .await
        .expect("creating a customer")
        .into_inner()
}

/// Takes the row lock of a customer in a transaction of its own, so calls on it wait.
pub async fn lock_customer_row(
    pool: &sqlx::PgPool,
    customer_id: &str,
) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut holder = pool.begin().await.expect("a transaction");
    sqlx::query("SELECT 1 FROM customers WHERE id = $1::uuid FOR UPDATE")
        .bind(customer_id)
        .execute(&mut *holder)
        .await
        .expect("locking the customer's row");
    holder
}
