//! `logistics load`: a small closed-loop load generator for the suite's RPCs, so benchmarks need
//! nothing but this binary. Each worker sends its next call when the previous one answered; the run
//! stops by itself after its duration.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use logistics_contracts::customers::customer_service_client::CustomerServiceClient;
use logistics_contracts::customers::{
    CreateCustomerRequest, Customer, CustomerKind, GetCustomerRequest, ListCustomersRequest,
};
use logistics_platform::client::CallCredentials;
use tonic::service::interceptor::InterceptedService;
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
}

/// Settings of a load run.
#[derive(Debug, Clone, clap::Args)]
pub struct LoadArgs {
    /// Service URL.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub target: String,
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
    /// API key; defaults to the development key of `logistics up`.
    #[arg(long, env = "LOGISTICS_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

type Customers = CustomerServiceClient<InterceptedService<Channel, CallCredentials>>;

/// What one worker saw.
#[derive(Default)]
struct Tally {
    latencies_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
}

/// Runs the load and prints throughput, latency percentiles and errors.
pub async fn run(args: LoadArgs, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let api_key = match &args.api_key {
        Some(key) => key.clone(),
        None => std::fs::read_to_string(data_dir.join("dev-api-key"))
            .context("no --api-key and no development key from `logistics up`")?
            .trim()
            .to_owned(),
    };
    let credentials = CallCredentials::bearer(&api_key)?;
    let mut channels = Vec::new();
    for _ in 0..args.connections.max(1) {
        let channel = Endpoint::from_shared(args.target.clone())?
            .tcp_nodelay(true)
            .connect()
            .await
            .with_context(|| format!("connecting to {}", args.target))?;
        channels.push(channel);
    }
    let customers = |n: usize| {
        CustomerServiceClient::with_interceptor(
            channels[n % channels.len()].clone(),
            credentials.clone(),
        )
    };
    let customer_id = match args.call {
        LoadCall::GetCustomer => Some(seed_customer(&mut customers(0)).await?),
        _ => None,
    };

    let warmup_end = Instant::now() + Duration::from_secs(args.warmup_seconds);
    let end = warmup_end + Duration::from_secs(args.seconds);
    let mut workers = tokio::task::JoinSet::new();
    for n in 0..args.concurrency.max(1) {
        let mut customers = customers(n);
        let mut health = HealthClient::new(channels[n % channels.len()].clone());
        let customer_id = customer_id.clone();
        let call = args.call;
        workers.spawn(async move {
            let mut tally = Tally::default();
            loop {
                let started = Instant::now();
                if started >= end {
                    return tally;
                }
                let outcome = match call {
                    LoadCall::Health => health.check(HealthCheckRequest::default()).await.map(drop),
                    LoadCall::GetCustomer => customers
                        .get_customer(GetCustomerRequest {
                            id: customer_id.clone().unwrap_or_default(),
                        })
                        .await
                        .map(drop),
                    LoadCall::ListCustomers => customers
                        .list_customers(ListCustomersRequest::default())
                        .await
                        .map(drop),
                    LoadCall::CreateCustomer => customers
                        .create_customer(new_customer("Load Test Customer"))
                        .await
                        .map(drop),
                };
                if started < warmup_end {
                    continue;
                }
                match outcome {
                    Ok(()) => tally
                        .latencies_us
                        .push(started.elapsed().as_micros().min(u32::MAX as u128) as u32),
                    Err(status) => {
                        *tally
                            .errors
                            .entry(format!("{:?}", status.code()))
                            .or_default() += 1
                    }
                }
            }
        });
    }
    let mut total = Tally::default();
    while let Some(tally) = workers.join_next().await {
        let tally = tally?;
        total.latencies_us.extend(tally.latencies_us);
        for (code, count) in tally.errors {
            *total.errors.entry(code).or_default() += count;
        }
    }
    report(&args, total);
    Ok(())
}

async fn seed_customer(client: &mut Customers) -> anyhow::Result<String> {
    let customer = client
        .create_customer(new_customer("Load Test Reader"))
        .await
        .context("creating the customer the load reads")?
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

fn report(args: &LoadArgs, mut total: Tally) {
    total.latencies_us.sort_unstable();
    let ok = total.latencies_us.len();
    let percentile = |p: f64| -> f64 {
        if ok == 0 {
            return 0.0;
        }
        let at = ((ok as f64 * p).ceil() as usize).clamp(1, ok) - 1;
        f64::from(total.latencies_us[at]) / 1000.0
    };
    println!(
        "{:?} x{} over {} connection(s), {} s: {ok} ok, {:.0} calls/s, latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
        args.call,
        args.concurrency,
        args.connections,
        args.seconds,
        ok as f64 / args.seconds as f64,
        percentile(0.50),
        percentile(0.90),
        percentile(0.99),
        percentile(1.0),
    );
    for (code, count) in total.errors {
        println!("  errors {code}: {count}");
    }
}
