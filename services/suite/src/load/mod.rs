//! `logistics load`: a small closed-loop load generator for the suite's RPCs, so benchmarks need
//! nothing but this binary. Each worker sends its next call when the previous one answered; the run
//! stops by itself after its duration. Whatever a call needs (a customer, orders with tracking
//! events) is set up through the public RPCs before the run starts.

mod casework;
mod cpu;
pub(crate) mod customers;
mod lag;
mod orders;
mod progress;
mod report;
pub(crate) mod undecoded;

/// The seed reports a refused tracking event the way the load tool does.
pub(crate) use orders::first_refusal;

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::ValueEnum as _;
use logistics_platform::client::CallCredentials;
use tonic::Status;
use tonic::transport::{Channel, Endpoint};
use tonic_health::pb::HealthCheckRequest;
use tonic_health::pb::health_client::HealthClient;

/// Which RPC to load.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LoadCall {
    /// `grpc.health.v1.Health/Check`: the server stack without the database.
    Health,
    /// `GetCustomer` of one customer: the read path.
    GetCustomer,
    /// `ListCustomers`, first page of 50.
    ListCustomers,
    /// `CreateCustomer` with a fresh request id each: the write path (idempotency key, outbox).
    CreateCustomer,
    /// `GetTracking` of a random one of the seeded orders (about 10 events each).
    GetTracking,
    /// `BatchGetTracking` of 30 random seeded orders.
    BatchGetTracking,
    /// `RecordTrackingEvents`: batches of `--batch` hub scans with fresh client event ids on the
    /// seeded orders, each worker on its own share of them.
    RecordTrackingEvents,
    /// `CreateOrder` with a fresh request id each: the write path that calls customers.
    CreateOrder,
    /// `GetOrder` of a random one of the seeded orders.
    GetOrder,
    /// `FileComplaint`: an inquiry about a seeded customer with a fresh request id each (the
    /// complaints service asks customers about the customer).
    FileComplaint,
    /// `GetMonthlyStatement` of a seeded customer, this month so far (from the rollups).
    GetMonthlyStatement,
}

impl LoadCall {
    /// The service the call goes to by default, on this machine; `None` for the customers
    /// service (`--customers-target`).
    fn default_target(self) -> Option<&'static str> {
        match self {
            _ if self.is_orders() => Some("http://127.0.0.1:50052"),
            Self::FileComplaint => Some("http://127.0.0.1:50053"),
            Self::GetMonthlyStatement => Some("http://127.0.0.1:50054"),
            _ => None,
        }
    }

    /// Whether the call goes to the orders service.
    fn is_orders(self) -> bool {
        matches!(
            self,
            Self::GetTracking
                | Self::BatchGetTracking
                | Self::RecordTrackingEvents
                | Self::CreateOrder
                | Self::GetOrder
        )
    }
}

/// How the report is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// The line `deploy/bench/*.sh` parse, then ghz's summary: counts, histogram, latency
    /// distribution, status codes and an example error of each code.
    Summary,
    /// One JSON object in ghz's report shape (durations in nanoseconds), plus our own fields.
    Json,
}

/// Settings of a load run.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Service URL; by default the customers service (port 50051) for customer calls and health,
    /// the orders service (port 50052) for orders and tracking calls, complaints (50053) for
    /// FileComplaint, reporting (50054) for GetMonthlyStatement.
    #[arg(long)]
    pub target: Option<String>,
    /// The customers service, where orders calls create the customer their orders belong to.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub customers_target: String,
    /// The RPC to call.
    #[arg(long, value_enum, default_value_t = LoadCall::GetCustomer)]
    pub call: LoadCall,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 32)]
    pub concurrency: usize,
    /// HTTP/2 connections the workers share.
    #[arg(long, default_value_t = 2)]
    pub connections: usize,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds of warm-up before measuring.
    #[arg(long, default_value_t = 2)]
    pub warmup_seconds: u64,
    /// Orders seeded for the tracking and order reads and for record-tracking-events.
    #[arg(long, default_value_t = 200)]
    pub orders: usize,
    /// Events per RecordTrackingEvents call (1 to 1000).
    #[arg(long, default_value_t = 100)]
    pub batch: usize,
    /// Also report the CPU time this process and its descendants (the embedded PostgreSQL of
    /// `logistics up`) spent per call while measuring, read from /proc (Linux).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// API key; defaults to the development key of `logistics up`.
    #[arg(long, env = "LOGISTICS_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// How to print the report.
    #[arg(long, value_enum, default_value_t = Format::Summary)]
    pub format: Format,
    /// No progress bar (there is none anyway when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// At most this many calls per second in all, spread evenly over the workers (as ghz's
    /// `--rps`); 0 for as many as the server answers.
    #[arg(long, default_value_t = 0.0)]
    pub rps: f64,
    /// Also sample, while measuring, how far the reporting service at this URL trails the orders
    /// feed (e.g. http://127.0.0.1:50054).
    #[arg(long)]
    pub projection_lag: Option<String>,
    /// Threads the load generator runs on; by default one per CPU. On the machine that runs the
    /// server too, 1 leaves the server the other CPUs (as h2load's `-t 1` does).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
}

/// The runtime `logistics load` runs on: `--threads` worker threads, else one per CPU.
pub fn runtime(args: &LoadArgs) -> std::io::Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(threads) = args.threads {
        builder.worker_threads(threads.into());
    }
    builder.enable_all().build()
}

/// What one call did: events accepted and refused (RecordTrackingEvents), else zero.
#[derive(Debug, Default, Clone, Copy)]
struct Items {
    accepted: u64,
    refused: u64,
}

/// A worker's client and what it needs to make its next call.
enum Worker {
    Health(HealthClient<Channel>),
    Customers(customers::Worker),
    Orders(Box<orders::Worker>),
    Casework(casework::Worker),
}

impl Worker {
    async fn call(&mut self) -> Result<Items, Status> {
        match self {
            Self::Health(client) => client
                .check(HealthCheckRequest::default())
                .await
                .map(|_| Items::default()),
            Self::Customers(worker) => worker.call().await.map(|()| Items::default()),
            Self::Orders(worker) => worker.call().await,
            Self::Casework(worker) => worker.call().await.map(|()| Items::default()),
        }
    }
}

/// Runs the load and prints throughput, latency percentiles and errors.
pub async fn run(args: LoadArgs, data_dir: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(
        (1..=1000).contains(&args.batch),
        "--batch must be 1 to 1000"
    );
    anyhow::ensure!(
        args.rps.is_finite() && (0.0..=1e7).contains(&args.rps),
        "--rps must be 0 (no limit) to 10000000"
    );
    let api_key = crate::dev::api_key(args.api_key.as_deref(), data_dir)?;
    let credentials = CallCredentials::bearer(&api_key)?;
    let target = args.target.clone().unwrap_or_else(|| {
        args.call
            .default_target()
            .map_or_else(|| args.customers_target.clone(), str::to_owned)
    });
    let channels = connect(&target, args.connections.max(1)).await?;
    let channel = |n: usize| channels[n % channels.len()].clone();

    let concurrency = args.concurrency.max(1);
    let mut workers: Vec<Worker> = Vec::with_capacity(concurrency);
    if args.call == LoadCall::Health {
        workers.extend((0..concurrency).map(|n| Worker::Health(HealthClient::new(channel(n)))));
    } else if args.call.is_orders() {
        let customers_channel = connect(&args.customers_target, 1).await?.remove(0);
        let customer_id = customers::seed_customer(&mut customers::client(
            customers_channel,
            credentials.clone(),
        ))
        .await?;
        let seed = Arc::new(orders::seed(&args, &channel(0), &credentials, customer_id).await?);
        for n in 0..concurrency {
            workers.push(Worker::Orders(Box::new(orders::Worker::new(
                args.call,
                n,
                concurrency,
                args.batch,
                Arc::clone(&seed),
                channel(n),
                credentials.clone(),
            ))));
        }
    } else if matches!(
        args.call,
        LoadCall::FileComplaint | LoadCall::GetMonthlyStatement
    ) {
        let customers_channel = connect(&args.customers_target, 1).await?.remove(0);
        let customer_id = customers::seed_customer(&mut customers::client(
            customers_channel,
            credentials.clone(),
        ))
        .await?;
        for n in 0..concurrency {
            workers.push(Worker::Casework(casework::Worker::new(
                args.call,
                channel(n),
                credentials.clone(),
                customer_id.clone(),
            )));
        }
    } else {
        let customer_id = match args.call {
            LoadCall::GetCustomer => Some(
                customers::seed_customer(&mut customers::client(channel(0), credentials.clone()))
                    .await?,
            ),
            _ => None,
        };
        for n in 0..concurrency {
            workers.push(Worker::Customers(customers::Worker::new(
                args.call,
                customers::client(channel(n), credentials.clone()),
                customer_id.clone(),
            )));
        }
    }

    let warmup_end = Instant::now() + Duration::from_secs(args.warmup_seconds);
    let end = warmup_end + Duration::from_secs(args.seconds);
    let cpu = args
        .server_pid
        .map(|pid| tokio::spawn(cpu::measure(pid, warmup_end, end)));
    let lag = match &args.projection_lag {
        Some(reporting) => {
            let channel = connect(reporting, 1).await?.remove(0);
            Some(tokio::spawn(lag::sample(
                channel,
                credentials.clone(),
                warmup_end,
                end,
            )))
        }
        None => None,
    };
    let progress = progress::Progress::start(!args.no_progress, warmup_end, end);
    // With --rps, each worker keeps its own schedule: a call every `pace`, the workers staggered.
    let pace = (args.rps > 0.0).then(|| Duration::from_secs_f64(concurrency as f64 / args.rps));
    let start = Instant::now();
    let mut running = tokio::task::JoinSet::new();
    for (n, mut worker) in workers.into_iter().enumerate() {
        let counter = progress
            .as_ref()
            .map(|progress| Arc::clone(&progress.calls));
        let mut next = pace.map(|pace| start + pace.mul_f64(n as f64 / concurrency as f64));
        running.spawn(async move {
            let mut outcomes = report::Outcomes::default();
            loop {
                if let (Some(at), Some(pace)) = (next.as_mut(), pace) {
                    tokio::time::sleep_until((*at).into()).await;
                    *at += pace;
                }
                let started = Instant::now();
                if started >= end {
                    return outcomes;
                }
                let outcome = worker.call().await;
                if let Some(counter) = &counter {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                if started < warmup_end {
                    continue;
                }
                let latency_us = started.elapsed().as_micros().min(u32::MAX as u128) as u32;
                match outcome {
                    Ok(items) => {
                        outcomes.ok(latency_us);
                        outcomes.events_accepted += items.accepted;
                        outcomes.events_refused += items.refused;
                    }
                    Err(status) => outcomes.failed(status.code(), status.message(), latency_us),
                }
            }
        });
    }
    let mut total = report::Outcomes::default();
    while let Some(outcomes) = running.join_next().await {
        total.merge(outcomes?);
    }
    let total_ns = Instant::now()
        .saturating_duration_since(warmup_end)
        .as_nanos()
        .min(u64::MAX as u128) as u64;
    if let Some(progress) = progress {
        progress.finish().await;
    }
    let cpu = match cpu {
        Some(measuring) => Some(measuring.await??),
        None => None,
    };
    let lag = match lag {
        Some(sampling) => Some(sampling.await??),
        None => None,
    };
    print_report(&args, total, total_ns, cpu, lag)
}

/// `connections` HTTP/2 connections to `target` (shared with `logistics seed`).
pub(crate) async fn connect(target: &str, connections: usize) -> anyhow::Result<Vec<Channel>> {
    let mut channels = Vec::with_capacity(connections);
    for _ in 0..connections {
        let channel = Endpoint::from_shared(target.to_owned())?
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("connecting to {target}"))?;
        channels.push(channel);
    }
    Ok(channels)
}

/// Prints the report in the format asked for.
fn print_report(
    args: &LoadArgs,
    outcomes: report::Outcomes,
    total_ns: u64,
    cpu: Option<cpu::Usage>,
    projection_lag: Option<report::Lag>,
) -> anyhow::Result<()> {
    let ok = outcomes.ok_latencies_us.len().max(1) as f64;
    let cpu = cpu.map(|cpu| report::CpuPerCall {
        server_us_per_call: cpu.server * 1e6 / ok,
        postgres_us_per_call: cpu.postgres * 1e6 / ok,
        load_generator_us_per_call: cpu.load * 1e6 / ok,
    });
    let info = report::RunInfo {
        call: args
            .call
            .to_possible_value()
            .map_or_else(|| format!("{:?}", args.call), |v| v.get_name().to_owned()),
        concurrency: args.concurrency,
        connections: args.connections,
        seconds: args.seconds,
        warmup_seconds: args.warmup_seconds,
        total_ns,
        batch: (args.call == LoadCall::RecordTrackingEvents).then_some(args.batch),
    };
    let mut report = report::Report::new(info, outcomes, cpu);
    report.projection_lag = projection_lag;
    match args.format {
        Format::Json => println!("{}", serde_json::to_string(&report)?),
        Format::Summary => {
            println!("{}", report.one_line());
            println!();
            print!("{}", report.summary());
        }
    }
    Ok(())
}
