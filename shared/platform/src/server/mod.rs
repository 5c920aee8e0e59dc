//! The gRPC server every service runs: health, reflection, limits, auth, telemetry, graceful shutdown.

pub mod catch_panic;
pub mod gate;
pub mod message_limit;
pub mod pre_encoded;

use std::convert::Infallible;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt as _;
use governor::Quota;
use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tokio_util::sync::CancellationToken;
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::RoutesBuilder;
use tonic_health::ServingStatus;

use crate::auth::{ApiKeys, AuthGate, ScopeTable};
use crate::telemetry::{self, KnownMethods, RpcTelemetryLayer};
use catch_panic::CatchPanicLayer;
use gate::{ConcurrencyGate, GateLayer, RateLimitGate};
use message_limit::MessageLimitLayer;

/// Server settings shared by every service.
#[derive(Debug, Clone, clap::Args)]
pub struct ServerConfig {
    /// Address the services listen on. Use 0.0.0.0 in containers.
    #[arg(
        long,
        env = "LOGISTICS_HOST",
        default_value = "127.0.0.1",
        global = true
    )]
    pub host: String,

    /// Largest request message accepted, in bytes.
    #[arg(long, env = "LOGISTICS_MAX_MESSAGE_BYTES", default_value_t = 4 * 1024 * 1024, global = true)]
    pub max_message_bytes: usize,

    /// Most calls a service handles at once; past it calls are shed with RESOURCE_EXHAUSTED.
    #[arg(
        long,
        env = "LOGISTICS_MAX_CONCURRENT_CALLS",
        default_value_t = 1024,
        global = true
    )]
    pub max_concurrent_calls: usize,

    /// Steady calls per second allowed to each caller (API key principal); 0 turns the limit off.
    #[arg(
        long,
        env = "LOGISTICS_RATE_LIMIT_PER_SECOND",
        default_value_t = 5000,
        global = true
    )]
    pub rate_limit_per_second: u32,

    /// Calls a caller may burst above its steady rate.
    #[arg(
        long,
        env = "LOGISTICS_RATE_LIMIT_BURST",
        default_value_t = 10000,
        global = true
    )]
    pub rate_limit_burst: u32,

    /// Longest a call may run, in seconds; a shorter `grpc-timeout` from the caller wins.
    #[arg(
        long,
        env = "LOGISTICS_MAX_CALL_SECONDS",
        default_value_t = 30,
        global = true
    )]
    pub max_call_seconds: u64,

    /// On shutdown, how long in-flight calls may take to finish, in seconds.
    #[arg(
        long,
        env = "LOGISTICS_SHUTDOWN_GRACE_SECONDS",
        default_value_t = 10,
        global = true
    )]
    pub shutdown_grace_seconds: u64,

    /// Serve gRPC reflection (v1 and v1alpha), so grpcurl and buf curl can discover the API.
    #[arg(long, env = "LOGISTICS_REFLECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub reflection: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            max_message_bytes: 4 * 1024 * 1024,
            max_concurrent_calls: 1024,
            rate_limit_per_second: 5000,
            rate_limit_burst: 10000,
            max_call_seconds: 30,
            shutdown_grace_seconds: 10,
            reflection: true,
        }
    }
}

/// Builds and runs one service's gRPC server.
pub struct GrpcServer {
    name: &'static str,
    domain: &'static str,
    config: ServerConfig,
    keys: Arc<ApiKeys>,
    routes: RoutesBuilder,
    scope_tables: Vec<ScopeTable>,
    grpc_services: Vec<&'static str>,
}

impl GrpcServer {
    /// A server for the service `name` (e.g. "customers"), whose errors use `domain`.
    pub fn new(
        name: &'static str,
        domain: &'static str,
        config: &ServerConfig,
        keys: Arc<ApiKeys>,
    ) -> Self {
        Self {
            name,
            domain,
            config: config.clone(),
            keys,
            routes: RoutesBuilder::default(),
            scope_tables: Vec::new(),
            grpc_services: Vec::new(),
        }
    }

    /// Adds a gRPC service with the scope each of its methods needs.
    pub fn add_service<S>(mut self, service: S, scopes: ScopeTable) -> Self
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.routes.add_service(service);
        self.scope_tables.push(scopes);
        self.grpc_services.push(S::NAME);
        self
    }

    /// Serves on `listener` until `shutdown` is cancelled; then reports NOT_SERVING, stops
    /// accepting, and lets in-flight calls finish within the grace period.
    pub async fn serve(
        mut self,
        listener: TcpListener,
        shutdown: CancellationToken,
    ) -> anyhow::Result<()> {
        let (health, health_service) = tonic_health::server::health_reporter();
        let mut health_names = vec!["", self.name];
        health_names.extend(self.grpc_services.iter().copied());
        for name in &health_names {
            health
                .set_service_status(*name, ServingStatus::Serving)
                .await;
        }
        self.routes.add_service(health_service);

        if self.config.reflection {
            let reflection = || {
                // Both reflection versions and google.rpc are described too, so clients can
                // resolve every advertised service and decode error details.
                let mut builder = tonic_reflection::server::Builder::configure()
                    .include_reflection_service(false)
                    .register_encoded_file_descriptor_set(logistics_contracts::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(tonic_types::pb::FILE_DESCRIPTOR_SET)
                    .register_encoded_file_descriptor_set(
                        tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
                    )
                    .register_encoded_file_descriptor_set(
                        tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
                    )
                    .with_service_name("grpc.health.v1.Health")
                    .with_service_name(REFLECTION_SERVICES[0])
                    .with_service_name(REFLECTION_SERVICES[1]);
                for name in &self.grpc_services {
                    builder = builder.with_service_name(*name);
                }
                builder
            };
            self.routes.add_service(reflection().build_v1()?);
            self.routes.add_service(reflection().build_v1alpha()?);
        }

        let rate_limit = NonZeroU32::new(self.config.rate_limit_per_second).map(|rate| {
            let burst = NonZeroU32::new(self.config.rate_limit_burst.max(1)).unwrap_or(rate);
            Quota::per_second(rate).allow_burst(burst)
        });
        let telemetry = RpcTelemetryLayer::new(
            telemetry::service(self.name),
            self.known_methods()?,
            Duration::from_secs(self.config.max_call_seconds),
        );
        let layers = tower::ServiceBuilder::new()
            // Outermost: every call gets its span and duration, even one a gate refuses.
            .layer(telemetry)
            // Inside telemetry so the span records the INTERNAL it answers and the panic log
            // carries the trace; above every gate and handler so a panic in any of them is caught.
            .layer(CatchPanicLayer::new(self.domain))
            // Shed load before spending anything else on a call the server has no room for.
            .layer(GateLayer(ConcurrencyGate::new(
                self.config.max_concurrent_calls,
                self.domain,
            )))
            // Know the caller before limiting by caller.
            .layer(GateLayer(AuthGate::new(
                self.keys.clone(),
                &self.scope_tables,
                &self.grpc_services,
                self.domain,
            )))
            // Per-caller rate, keyed by the principal the auth gate attached.
            .layer(GateLayer(RateLimitGate::new(rate_limit, self.domain)))
            // Innermost, next to tonic's decoder whose OUT_OF_RANGE it turns into RESOURCE_EXHAUSTED.
            .layer(MessageLimitLayer::new(
                self.config.max_message_bytes,
                self.domain,
            ))
            .into_inner();

        let address = listener.local_addr()?;
        let incoming = TcpListenerStream::new(listener).map_ok(|stream| {
            // serve_with_incoming ignores the builder's TCP settings: small RPCs need no Nagle delay.
            let _ = stream.set_nodelay(true);
            stream
        });
        let names: Vec<String> = health_names.iter().map(|name| (*name).to_owned()).collect();
        let signal = {
            let shutdown = shutdown.clone();
            let health = health.clone();
            async move {
                shutdown.cancelled().await;
                for name in names {
                    health
                        .set_service_status(name, ServingStatus::NotServing)
                        .await;
                }
                tracing::info!("stopped accepting calls; draining");
            }
        };
        tracing::info!(service = self.name, %address, "serving");
        let server = tonic::transport::Server::builder()
            .timeout(Duration::from_secs(self.config.max_call_seconds))
            .layer(layers)
            .add_routes(self.routes.routes())
            .serve_with_incoming_shutdown(incoming, signal);
        let grace = Duration::from_secs(self.config.shutdown_grace_seconds);
        tokio::select! {
            served = server => served?,
            () = async { shutdown.cancelled().await; tokio::time::sleep(grace).await } => {
                tracing::warn!(service = self.name, ?grace, "calls still in flight after the grace period; stopping anyway");
            }
        }
        tracing::info!(service = self.name, "stopped");
        Ok(())
    }

    /// The methods of what this server registered: its services (as the contracts describe them
    /// and as their scope tables name them), health, and reflection when it is on. Telemetry names
    /// only these; a made-up path is recorded as `_OTHER`.
    fn known_methods(&self) -> anyhow::Result<KnownMethods> {
        let mut services = self.grpc_services.clone();
        services.push("grpc.health.v1.Health");
        if self.config.reflection {
            services.extend(REFLECTION_SERVICES);
        }
        KnownMethods::new(
            &[
                logistics_contracts::FILE_DESCRIPTOR_SET,
                tonic_health::pb::FILE_DESCRIPTOR_SET,
                tonic_reflection::pb::v1::FILE_DESCRIPTOR_SET,
                tonic_reflection::pb::v1alpha::FILE_DESCRIPTOR_SET,
            ],
            &services,
            self.scope_tables
                .iter()
                .flat_map(|table| table.iter().map(|(path, _)| *path)),
        )
    }
}

/// The reflection services, both versions.
const REFLECTION_SERVICES: [&str; 2] = [
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
];
