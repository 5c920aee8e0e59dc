//! The four services, as the binary starts them.

use std::net::SocketAddr;

use anyhow::Context as _;
use logistics_platform::ServiceContext;
use tokio::net::TcpListener;

use crate::cli::Shared;

/// One of the suite's services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Service {
    /// Customer profiles, grading, service levels, follow-ups, surveys, loyalty.
    Customers,
    /// Orders, shipments and tracking.
    Orders,
    /// Complaints, claims and SLAs.
    Complaints,
    /// Read models, KPIs and reports.
    Reporting,
}

impl Service {
    /// Every service, in port order.
    pub const ALL: [Service; 4] = [
        Service::Customers,
        Service::Orders,
        Service::Complaints,
        Service::Reporting,
    ];

    /// The service's name.
    pub fn name(self) -> &'static str {
        match self {
            Service::Customers => logistics_customers::NAME,
            Service::Orders => logistics_orders::NAME,
            Service::Complaints => logistics_complaints::NAME,
            Service::Reporting => logistics_reporting::NAME,
        }
    }

    /// Scopes the service needs on the others, for the key `up` mints for its calls.
    pub fn caller_scopes(self) -> &'static [&'static str] {
        match self {
            // Follows the orders feed (activity, points, thank-you follow-ups) and the
            // complaints feed (after-complaint follow-ups).
            Service::Customers => &["orders:read", "complaints:read"],
            // Checks customers and reads their service level.
            Service::Orders => &["customers:read"],
            // Checks customers and orders, keeps evidence, follows the orders feed.
            Service::Complaints => &["customers:read", "orders:read"],
            Service::Reporting => &["customers:read", "orders:read", "complaints:read"],
        }
    }

    fn port(self, shared: &Shared) -> u16 {
        match self {
            Service::Customers => shared.customers_port,
            Service::Orders => shared.orders_port,
            Service::Complaints => shared.complaints_port,
            Service::Reporting => shared.reporting_port,
        }
    }

    /// Binds the service's port.
    pub async fn bind(self, shared: &Shared) -> anyhow::Result<TcpListener> {
        let port = self.port(shared);
        let address = format!("{}:{port}", shared.server.host);
        let address: SocketAddr = address.parse().with_context(|| {
            format!(
                "LOGISTICS_HOST {:?} is not an IP address",
                shared.server.host
            )
        })?;
        TcpListener::bind(address).await.with_context(|| {
            format!(
                "cannot listen on {address} for {}: is another instance running? (set \
                 LOGISTICS_{}_PORT to use another port)",
                self.name(),
                self.name().to_uppercase()
            )
        })
    }

    /// Applies the service's migrations.
    pub async fn migrate(self, context: &ServiceContext) -> anyhow::Result<()> {
        match self {
            Service::Customers => logistics_customers::migrate(context).await,
            Service::Orders => logistics_orders::migrate(context).await,
            Service::Complaints => logistics_complaints::migrate(context).await,
            Service::Reporting => logistics_reporting::migrate(context).await,
        }
        .with_context(|| format!("migrating {}", self.name()))
    }

    /// Serves the service until the context's shutdown.
    pub async fn run(
        self,
        context: ServiceContext,
        shared: Shared,
        listener: TcpListener,
    ) -> anyhow::Result<()> {
        match self {
            Service::Customers => logistics_customers::run(context, listener).await,
            Service::Orders => logistics_orders::run_with(context, shared.orders, listener).await,
            Service::Complaints => {
                logistics_complaints::run_with(context, shared.complaints, listener).await
            }
            Service::Reporting => logistics_reporting::run(context, listener).await,
        }
        .with_context(|| format!("serving {}", self.name()))
    }
}
