//! `logistics seed`: loads a realistic data set into a running suite through its public RPCs only:
//! customers of every kind and grade, a year of orders with the season's curve and a regional
//! spread, their tracking and deliveries (some late, damaged, short, with wrong documents,
//! re-routed or returned), complaints about the latest deliveries at every stage of their handling,
//! and follow-ups. `logistics up --demo` runs it against the suite it starts.
//!
//! Everything is planned from `--seed` first ([`plan`]), with request ids derived from the seed,
//! so running the same seed again creates nothing new: the services answer the same requests from
//! their idempotency records, and the seed reads where each order and complaint stands before
//! moving it.

mod casework;
mod customers;
mod orders;
pub mod plan;
mod vocabulary;

use std::collections::{BTreeMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, DurationRound as _, Utc};
use futures::StreamExt as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use logistics_contracts::complaints::complaint_service_client::ComplaintServiceClient;
use logistics_contracts::customers::RunLifecycleSweepRequest;
use logistics_contracts::customers::engagement_service_client::EngagementServiceClient;
use logistics_contracts::orders::order_service_client::OrderServiceClient;
use logistics_contracts::orders::tracking_service_client::TrackingServiceClient;
use logistics_platform::client::CallCredentials;

use crate::load::connect;
use plan::{Outcome, Sizes};

/// Calls in flight at once.
const CONCURRENCY: usize = 8;
/// How long the seed waits for the customers service to schedule the thank-you calls of the
/// deliveries (it learns of them from the orders feed).
const THANK_YOU_WAIT: Duration = Duration::from_secs(30);

/// A preset size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Size {
    /// 12 customers, 6 orders each: seconds.
    Small,
    /// 50 customers, 12 orders each: a minute or two.
    Medium,
    /// 300 customers, 20 orders each.
    Large,
}

impl Size {
    fn sizes(self) -> Sizes {
        let (customers, orders_per_customer) = match self {
            Self::Small => (12, 6),
            Self::Medium => (50, 12),
            Self::Large => (300, 20),
        };
        Sizes {
            customers,
            orders_per_customer,
        }
    }
}

/// Settings of a seed.
#[derive(Debug, Clone, clap::Args)]
pub struct SeedArgs {
    /// A preset size; --customers and --orders-per-customer override its figures.
    #[arg(long, value_enum, default_value_t = Size::Medium)]
    pub size: Size,
    /// Customers to create (1 to 5000).
    #[arg(long)]
    pub customers: Option<usize>,
    /// Orders per customer on average (1 to 200; large enterprises get more, occasional
    /// individuals fewer); at most 200,000 orders in all.
    #[arg(long)]
    pub orders_per_customer: Option<usize>,
    /// Seed of the generator: the same seed plans the same data, and running it again creates
    /// nothing new.
    #[arg(long, default_value_t = 2026)]
    pub seed: u64,
    /// The customers service.
    #[arg(long, default_value = "http://127.0.0.1:50051")]
    pub customers_target: String,
    /// The orders service.
    #[arg(long, default_value = "http://127.0.0.1:50052")]
    pub orders_target: String,
    /// The complaints service.
    #[arg(long, default_value = "http://127.0.0.1:50053")]
    pub complaints_target: String,
    /// API key; defaults to the development key of `logistics up`. It needs customers:write,
    /// customers:admin, orders:write, orders:import, orders:track and complaints:write.
    #[arg(long, env = "LOGISTICS_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Print the summary as one JSON object (what was planned and what was done).
    #[arg(long)]
    pub json: bool,
    /// No progress bars (there are none anyway when stderr is not a terminal).
    #[arg(long)]
    pub no_progress: bool,
}

impl SeedArgs {
    /// The default seed of `up --demo` against the services at these URLs.
    pub fn demo(customers: String, orders: String, complaints: String, key: String) -> Self {
        Self {
            size: Size::Medium,
            customers: None,
            orders_per_customer: None,
            seed: 2026,
            customers_target: customers,
            orders_target: orders,
            complaints_target: complaints,
            api_key: Some(key),
            json: false,
            no_progress: true,
        }
    }

    fn sizes(&self) -> anyhow::Result<Sizes> {
        let preset = self.size.sizes();
        Sizes {
            customers: self.customers.unwrap_or(preset.customers),
            orders_per_customer: self
                .orders_per_customer
                .unwrap_or(preset.orders_per_customer),
        }
        .check()
        .map_err(anyhow::Error::msg)
    }
}

/// What a run planned and did, as `--json` prints it.
#[derive(Debug, Default, serde::Serialize)]
pub struct Summary {
    /// The seed.
    pub seed: u64,
    /// The time the orders' history is anchored at (the first customer's creation).
    pub anchor: String,
    /// Customers planned by kind.
    pub customers_by_kind: BTreeMap<String, usize>,
    /// Customers planned by the grade they are meant to earn.
    pub customers_by_profile: BTreeMap<String, usize>,
    /// Customers this run created (the others were there from an earlier run).
    pub customers_created: usize,
    /// Orders planned.
    pub orders: usize,
    /// Orders planned by company month ("YYYY-MM").
    pub orders_by_month: BTreeMap<String, usize>,
    /// Orders planned by origin region code.
    pub orders_by_origin: BTreeMap<String, usize>,
    /// Orders planned delivered.
    pub orders_delivered: usize,
    /// Orders planned returned to the sender.
    pub orders_returned: usize,
    /// Orders this run confirmed and moved (found CREATED); those planned to stay CREATED are
    /// not counted.
    pub orders_moved: usize,
    /// Tracking events this run recorded, and those found already recorded.
    pub events_recorded: u64,
    /// Events found recorded by an earlier run.
    pub events_already_there: u64,
    /// Deliveries this run recorded (again, for a repeated run: RecordDelivery is idempotent).
    pub deliveries: usize,
    /// Complaints planned, by stage.
    pub complaints_by_stage: BTreeMap<String, usize>,
    /// Complaints planned.
    pub complaints: usize,
    /// Complaints this run filed and handled.
    pub complaints_new: usize,
    /// Follow-ups planned.
    pub follow_ups: usize,
    /// Follow-ups this run scheduled or completed.
    pub follow_ups_new: usize,
    /// Thank-you calls after deliveries this run made (the customers service schedules them).
    pub thank_you_calls: usize,
    /// Steps that failed (each reported on stderr).
    pub failures: usize,
    /// Seconds the run took.
    pub seconds: f64,
}

/// `up --demo`: seeds the suite just started at these URLs with the default size and seed, and
/// reports a failure without stopping anything.
pub async fn demo(customers: String, orders: String, complaints: String, key: String) {
    let args = SeedArgs::demo(customers, orders, complaints, key.clone());
    match seed(&args, &key).await {
        Ok(summary) => {
            print_summary(&summary);
            if summary.failures > 0 {
                tracing::warn!(failures = summary.failures, "some demo data steps failed");
            }
        }
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "the demo data set failed");
            eprintln!("demo data failed: {error:#}");
        }
    }
}

/// Runs `logistics seed`.
pub async fn run(args: SeedArgs, data_dir: &std::path::Path) -> anyhow::Result<()> {
    let api_key = crate::dev::api_key(args.api_key.as_deref(), data_dir)?;
    let json = args.json;
    let summary = seed(&args, &api_key).await?;
    if json {
        println!("{}", serde_json::to_string(&summary)?);
    } else {
        print_summary(&summary);
    }
    anyhow::ensure!(
        summary.failures == 0,
        "{} steps failed (see above)",
        summary.failures
    );
    Ok(())
}

/// Plans and loads the data set; the summary of what was planned and done.
pub async fn seed(args: &SeedArgs, api_key: &str) -> anyhow::Result<Summary> {
    let started = Instant::now();
    // What the suite answers with an older creation time, an earlier run made (by this machine's
    // clock: the counts of what is new are only as right as the suite's clock agrees with it).
    let run_start = Utc::now();
    let sizes = args.sizes()?;
    let credentials = CallCredentials::bearer(api_key)?;
    let customers_channel = connect(&args.customers_target, 1).await?.remove(0);
    let orders_channel = connect(&args.orders_target, 1).await?.remove(0);
    let complaints_channel = connect(&args.complaints_target, 1).await?.remove(0);
    let customer_plans = plan::customers(args.seed, sizes.customers);
    let mut summary = Summary {
        seed: args.seed,
        ..Summary::default()
    };
    for customer in &customer_plans {
        *summary
            .customers_by_kind
            .entry(format!("{:?}", customer.profile.kind()))
            .or_default() += 1;
        *summary
            .customers_by_profile
            .entry(format!("{:?}", customer.profile))
            .or_default() += 1;
    }
    if !args.json {
        println!(
            "Seeding {} customers ({}), about {} orders each over the last 12 months, \
             with their tracking, deliveries, complaints and follow-ups (seed {}).",
            sizes.customers,
            describe(&summary.customers_by_kind),
            sizes.orders_per_customer,
            args.seed
        );
    }
    let show = !args.no_progress;

    // Customers; the first one's creation time anchors the history, the same for every run.
    let customers_client =
        crate::load::customers::client(customers_channel.clone(), credentials.clone());
    let bar = phase(show, "customers", customer_plans.len());
    let results: Vec<anyhow::Result<customers::Created>> =
        futures::stream::iter(customer_plans.clone())
            .map(|customer| {
                let mut client = customers_client.clone();
                let bar = bar.clone();
                let seed = args.seed;
                async move {
                    let created = customers::create(&mut client, seed, &customer).await;
                    bar.inc(1);
                    created
                }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
    bar.finish_and_clear();
    let mut customer_ids = Vec::with_capacity(results.len());
    for result in results {
        let created = result?;
        if created.create_time >= run_start {
            summary.customers_created += 1;
        }
        customer_ids.push(created);
    }
    let anchor = customer_ids[0]
        .create_time
        .duration_trunc(chrono::Duration::minutes(1))
        .expect("a minute divides any time");
    summary.anchor = anchor.to_rfc3339();

    // Orders.
    let order_plans = plan::orders(
        args.seed,
        &customer_plans,
        sizes.orders_per_customer,
        anchor,
    );
    summarize_orders(&mut summary, &order_plans, anchor);
    if !args.json {
        println!(
            "  {} orders ({} delivered, {} returned, the rest on their way), history anchored at {}",
            summary.orders, summary.orders_delivered, summary.orders_returned, summary.anchor
        );
    }
    let orders_client =
        OrderServiceClient::with_interceptor(orders_channel.clone(), credentials.clone());
    let tracking_client =
        TrackingServiceClient::with_interceptor(orders_channel, credentials.clone());
    let bar = phase(show, "orders", order_plans.len());
    let results: Vec<anyhow::Result<(orders::Placed, orders::Done)>> =
        futures::stream::iter(order_plans.clone())
            .map(|order| {
                let (mut orders_client, mut tracking_client) =
                    (orders_client.clone(), tracking_client.clone());
                let customer = customer_plans[order.customer].clone();
                let customer_id = customer_ids[order.customer].id.clone();
                let bar = bar.clone();
                let seed = args.seed;
                async move {
                    let done = orders::run(
                        (&mut orders_client, &mut tracking_client),
                        seed,
                        anchor,
                        (&order, &customer, &customer_id),
                    )
                    .await;
                    bar.inc(1);
                    done
                }
            })
            .buffered(CONCURRENCY)
            .collect()
            .await;
    bar.finish_and_clear();
    let mut placed = Vec::with_capacity(results.len());
    for (result, plan) in results.into_iter().zip(&order_plans) {
        match result {
            Ok((order, done)) => {
                summary.orders_moved += usize::from(done.moved);
                summary.events_recorded += done.events;
                summary.events_already_there += done.duplicate_events;
                summary.deliveries += usize::from(done.delivered);
                placed.push(Some(order));
            }
            Err(error) => {
                eprintln!("seed: order {}: {error:#}", plan.index);
                summary.failures += 1;
                placed.push(None);
            }
        }
    }

    // Complaints, about orders delivered in the last weeks.
    let complaint_plans = plan::complaints(args.seed, &customer_plans, &order_plans);
    summary.complaints = complaint_plans.len();
    for complaint in &complaint_plans {
        *summary
            .complaints_by_stage
            .entry(format!("{:?}", complaint.stage))
            .or_default() += 1;
    }
    let complaints_client =
        ComplaintServiceClient::with_interceptor(complaints_channel, credentials.clone());
    let bar = phase(show, "complaints", complaint_plans.len());
    let results: Vec<anyhow::Result<bool>> = futures::stream::iter(complaint_plans.clone())
        .map(|complaint| {
            let mut client = complaints_client.clone();
            let customer_id = customer_ids[complaint.customer].id.clone();
            let order = complaint.order.and_then(|order| placed[order].clone());
            let bar = bar.clone();
            let seed = args.seed;
            async move {
                let done = if complaint.order.is_some() && order.is_none() {
                    Err(anyhow::anyhow!("its order could not be seeded"))
                } else {
                    casework::run(
                        &mut client,
                        (seed, run_start),
                        &complaint,
                        &customer_id,
                        order.as_ref(),
                    )
                    .await
                };
                bar.inc(1);
                done
            }
        })
        .buffered(CONCURRENCY)
        .collect()
        .await;
    bar.finish_and_clear();
    for (result, plan) in results.into_iter().zip(&complaint_plans) {
        match result {
            Ok(new) => summary.complaints_new += usize::from(new),
            Err(error) => {
                eprintln!("seed: complaint {}: {error:#}", plan.index);
                summary.failures += 1;
            }
        }
    }

    // Follow-ups: periodic reviews of KEY customers.
    let follow_up_plans = plan::follow_ups(args.seed, &customer_plans);
    summary.follow_ups = follow_up_plans.len();
    let mut engagement = EngagementServiceClient::with_interceptor(customers_channel, credentials);
    for follow_up in &follow_up_plans {
        let customer_id = &customer_ids[follow_up.customer].id;
        match customers::follow_up(
            &mut engagement,
            (args.seed, anchor, run_start),
            customer_id,
            follow_up,
        )
        .await
        {
            Ok(new) => summary.follow_ups_new += usize::from(new),
            Err(status) => {
                eprintln!("seed: follow-up {}: {status}", follow_up.index);
                summary.failures += 1;
            }
        }
    }
    // The thank-you calls after the deliveries, scheduled by the customers service from the
    // orders feed: most made in time, some never (the return-visit rate).
    let ours: HashSet<String> = placed
        .iter()
        .flatten()
        .map(|order| order.order_number.clone())
        .collect();
    match customers::open_thank_you_calls(
        &mut engagement,
        summary.orders_delivered,
        &ours,
        THANK_YOU_WAIT,
    )
    .await
    {
        Ok(open) => {
            let bar = phase(show, "thank-yous", open.len());
            let results: Vec<Result<bool, tonic::Status>> = futures::stream::iter(open)
                .map(|follow_up| {
                    let mut client = engagement.clone();
                    let bar = bar.clone();
                    let seed = args.seed;
                    async move {
                        let done = customers::thank_you_call(&mut client, seed, follow_up).await;
                        bar.inc(1);
                        done
                    }
                })
                .buffered(CONCURRENCY)
                .collect()
                .await;
            bar.finish_and_clear();
            for result in results {
                match result {
                    Ok(made) => summary.thank_you_calls += usize::from(made),
                    Err(status) => {
                        eprintln!("seed: thank-you call: {status}");
                        summary.failures += 1;
                    }
                }
            }
        }
        Err(status) => {
            eprintln!("seed: listing the thank-you calls: {status}");
            summary.failures += 1;
        }
    }
    // Grade everyone on what they shipped (also runs periodically); customers without a recent
    // shipment turn DORMANT or CHURNED.
    let mut customers_client = customers_client;
    if let Err(status) = customers_client
        .run_lifecycle_sweep(RunLifecycleSweepRequest::default())
        .await
    {
        eprintln!("seed: lifecycle sweep: {status}");
        summary.failures += 1;
    }
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

fn summarize_orders(summary: &mut Summary, orders: &[plan::OrderPlan], anchor: DateTime<Utc>) {
    summary.orders = orders.len();
    let zone = logistics_platform::time::company_time_zone();
    for order in orders {
        let created = anchor - chrono::Duration::minutes(order.minutes_ago);
        *summary
            .orders_by_month
            .entry(created.with_timezone(&zone).format("%Y-%m").to_string())
            .or_default() += 1;
        *summary
            .orders_by_origin
            .entry(plan::REGIONS[order.origin].code.to_owned())
            .or_default() += 1;
        match order.outcome {
            Outcome::Delivered(_) => summary.orders_delivered += 1,
            Outcome::Returned => summary.orders_returned += 1,
            _ => {}
        }
    }
}

fn describe(counts: &BTreeMap<String, usize>) -> String {
    counts
        .iter()
        .map(|(what, count)| format!("{count} {}", what.to_lowercase()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A bar for one phase on stderr, hidden when not asked for or when stderr is no terminal.
fn phase(show: bool, name: &str, length: usize) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(length as u64), ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} {elapsed}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    bar.set_prefix(name.to_owned());
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

fn print_summary(summary: &Summary) {
    println!(
        "Seeded in {:.1} s:\n  customers   {} planned ({}), {} created now\n  \
         orders      {} planned, {} moved now; {} delivered and {} returned as planned\n  \
         tracking    {} events recorded now, {} already there\n  \
         complaints  {} planned ({}), {} filed now\n  \
         follow-ups  {} periodic reviews, {} scheduled or completed now; {} thank-you calls \
         after deliveries made now\n  \
         orders by month: {}",
        summary.seconds,
        summary.customers_by_kind.values().sum::<usize>(),
        describe(&summary.customers_by_profile),
        summary.customers_created,
        summary.orders,
        summary.orders_moved,
        summary.orders_delivered,
        summary.orders_returned,
        summary.events_recorded,
        summary.events_already_there,
        summary.complaints,
        describe(&summary.complaints_by_stage),
        summary.complaints_new,
        summary.follow_ups,
        summary.follow_ups_new,
        summary.thank_you_calls,
        summary
            .orders_by_month
            .iter()
            .map(|(month, count)| format!("{month} {count}"))
            .collect::<Vec<_>>()
            .join(", "),
    );
    if summary.failures > 0 {
        println!("  {} steps failed (see above)", summary.failures);
    }
}
