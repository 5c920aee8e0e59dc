//! `logistics`: the one binary of the suite. `up` runs everything on a laptop, `serve` runs one
//! service per process (Kubernetes), `migrate` applies schema migrations.

mod bench;
mod cli;
mod dev;
mod load;
mod seed;
mod services;

use std::sync::Arc;

use anyhow::Context as _;
use clap::Parser as _;
use logistics_platform::auth::{ApiKeys, mint_key};
use logistics_platform::pagination::TokenKey;
use logistics_platform::pii::PiiCipher;
use logistics_platform::{ServiceContext, telemetry};
use tokio_util::sync::CancellationToken;

use cli::{Cli, Command};
use services::Service;

/// Every call allocates many small strings and buffers; mimalloc serves them from per-thread
/// pages where glibc's malloc spent a third of the server's CPU (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::NewKey { principal, scopes } = &cli.command {
        let (key, stored) = mint_key(principal, scopes.clone());
        println!("API key (shown once): {key}\n\nAdd to the API keys file:\n");
        println!("[[keys]]\n{}", toml_entry(&stored));
        return Ok(());
    }
    let runtime = match &cli.command {
        Command::Load(args) => load::runtime(args)?,
        _ => tokio::runtime::Runtime::new()?,
    };
    runtime.block_on(run(cli))
}

fn toml_entry(stored: &logistics_platform::auth::StoredKey) -> String {
    format!(
        "principal = {:?}\nsha256 = {:?}\nscopes = {:?}",
        stored.principal, stored.sha256, stored.scopes
    )
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    let service_name = match &cli.command {
        Command::Serve { service } => format!("logistics-{}", service.name()),
        _ => "logistics".to_owned(),
    };
    let _telemetry = telemetry::init(&cli.telemetry, &service_name)?;
    match cli.command {
        Command::Up { demo } => up(cli.shared, demo).await,
        Command::Seed(args) => seed::run(args, &cli.shared.data_dir).await,
        Command::Serve { service } => serve(cli.shared, service).await,
        Command::Migrate { service } => migrate(cli.shared, service).await,
        Command::Load(args) => load::run(args, &cli.shared.data_dir).await,
        Command::Bench { bench } => {
            bench::run(
                &bench,
                cli.shared.database.database_url.as_deref(),
                &cli.shared.data_dir,
            )
            .await
        }
        Command::NewKey { .. } => unreachable!("handled before the runtime starts"),
    }
}

/// Monolithic mode: embedded PostgreSQL unless a URL is given, all four services in one process.
async fn up(shared: cli::Shared, demo: bool) -> anyhow::Result<()> {
    let dev = dev::prepare(&shared).await?;
    let mut keys = ApiKeys::load(&dev.keys_file)?;
    let mut service_keys = Vec::new();
    for service in Service::ALL {
        let scopes = service
            .caller_scopes()
            .iter()
            .map(|s| s.to_string())
            .collect();
        let (key, stored) = mint_key(&format!("{}-service", service.name()), scopes);
        keys.insert(stored)?;
        service_keys.push(key);
    }
    // The demo seeds with the development key, so that `logistics seed` run later with it (its
    // default) finds the demo data in the idempotency records, which are per principal. With a
    // keys file of the user's, with a key of its own that lives as long as the process.
    let demo_key = match (&dev.dev_key, demo) {
        (_, false) => None,
        (Some((key, _)), true) => Some(key.clone()),
        (None, true) => {
            let scopes = ["customers:*", "orders:*", "complaints:*"].map(str::to_owned);
            let (key, stored) = mint_key("demo-seed", scopes.to_vec());
            keys.insert(stored)?;
            Some(key)
        }
    };
    let context = ServiceContext {
        server: shared.server.clone(),
        database: shared.database.clone(),
        database_url: dev.database_url.clone(),
        keys: Arc::new(keys),
        token_key: TokenKey::from_secret(dev.token_secret.as_bytes()),
        pii: Some(Arc::new(PiiCipher::from_config(
            &dev.pii_keys.0,
            &dev.pii_keys.1,
        )?)),
        peers: shared.peers.clone(),
        shutdown: CancellationToken::new(),
    };
    for service in Service::ALL {
        service.migrate(&context).await?;
    }
    let mut listeners = Vec::new();
    for service in Service::ALL {
        listeners.push((service, service.bind(&shared).await?));
    }
    let endpoints = listeners
        .iter()
        .map(|(service, listener)| Ok((*service, listener.local_addr()?)))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let mut peers = shared.peers.clone();
    let local_url = |address: std::net::SocketAddr| {
        // Calls stay on loopback even when the servers listen on every interface.
        format!("http://127.0.0.1:{}", address.port())
    };
    peers
        .customers_url
        .get_or_insert_with(|| local_url(endpoints[0].1));
    peers
        .orders_url
        .get_or_insert_with(|| local_url(endpoints[1].1));
    peers
        .complaints_url
        .get_or_insert_with(|| local_url(endpoints[2].1));
    let mut running = tokio::task::JoinSet::new();
    for ((service, listener), key) in listeners.into_iter().zip(service_keys) {
        let context = ServiceContext {
            peers: logistics_platform::client::PeersConfig {
                service_api_key: Some(key),
                ..peers.clone()
            },
            ..context.clone()
        };
        running.spawn(service.run(context, shared.clone(), listener));
    }
    dev::print_banner(&dev, &endpoints);
    let demo = demo_key.map(|key| {
        let url = |n: usize| local_url(endpoints[n].1);
        tokio::spawn(seed::demo(url(0), url(1), url(2), key))
    });

    // Run until a signal, or until a service stops on its own (which is a failure).
    let mut outcome = Ok(());
    tokio::select! {
        () = shutdown_signal() => {}
        Some(stopped) = running.join_next() => outcome = stopped?,
    }
    tracing::info!("shutting down: draining calls, then stopping PostgreSQL");
    context.shutdown.cancel();
    if let Some(demo) = demo {
        demo.abort();
    }
    while let Some(stopped) = running.join_next().await {
        if let Err(error) = stopped? {
            tracing::error!(error = format!("{error:#}"), "service failed");
        }
    }
    drop(dev);
    outcome
}

/// Microservices mode: one service, against the configured database.
async fn serve(shared: cli::Shared, service: Service) -> anyhow::Result<()> {
    let context = production_context(&shared)?;
    if service == Service::Customers && context.pii.is_none() {
        anyhow::bail!(
            "customers stores personal data: set LOGISTICS_PII_KEYS and LOGISTICS_PII_LOOKUP_KEY"
        );
    }
    if shared.migrate_on_start {
        service.migrate(&context).await?;
    }
    let listener = service.bind(&shared).await?;
    let shutdown = context.shutdown.clone();
    let mut server = tokio::spawn(service.run(context, shared.clone(), listener));
    tokio::select! {
        () = shutdown_signal() => {
            shutdown.cancel();
            server.await?
        }
        stopped = &mut server => stopped?,
    }
}

async fn migrate(shared: cli::Shared, service: Option<Service>) -> anyhow::Result<()> {
    let context = production_context(&shared)?;
    let services = match service {
        Some(service) => vec![service],
        None => Service::ALL.to_vec(),
    };
    for service in services {
        service.migrate(&context).await?;
        tracing::info!(service = service.name(), "schema up to date");
    }
    Ok(())
}

fn production_context(shared: &cli::Shared) -> anyhow::Result<ServiceContext> {
    let database_url = shared.database.database_url.clone().context(
        "set LOGISTICS_DATABASE_URL (or --database-url); only `logistics up` starts a database itself",
    )?;
    let keys = match &shared.api_keys_file {
        Some(path) => ApiKeys::load(path)?,
        None => {
            tracing::warn!("no LOGISTICS_API_KEYS_FILE: every authenticated call will be refused");
            ApiKeys::default()
        }
    };
    let token_key = match &shared.token_secret {
        Some(secret) => TokenKey::from_secret(secret.as_bytes()),
        None => {
            tracing::warn!(
                "no LOGISTICS_TOKEN_SECRET: page tokens and cursors will not survive a restart \
                 nor work across replicas"
            );
            TokenKey::random()
        }
    };
    let pii = match (&shared.pii_keys, &shared.pii_lookup_key) {
        (Some(keys), Some(lookup)) => Some(Arc::new(
            PiiCipher::from_config(keys, lookup).context("LOGISTICS_PII_KEYS")?,
        )),
        _ => None,
    };
    Ok(ServiceContext {
        server: shared.server.clone(),
        database: shared.database.clone(),
        database_url,
        keys: Arc::new(keys),
        token_key,
        pii,
        peers: shared.peers.clone(),
        shutdown: CancellationToken::new(),
    })
}

/// Ctrl-C or SIGTERM (what Kubernetes sends).
pub(crate) async fn shutdown_signal() {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
}
