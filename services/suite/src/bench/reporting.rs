//! `logistics bench reporting`: a month of a million orders, and how fast the reporting service
//! answers GetMonthlyStatement and GetKpis from its rollups next to the same reports computed
//! from the raw rows, in one run on one database.
//!
//! 1. The raw rows: a month of synthetic orders in a table of their own (`reporting_sql`).
//! 2. A check of the bulk loader: a sample of orders goes through the projection itself (the
//!    events the orders feed would carry) and through the loader, into two schemas that must end
//!    up identical; the run stops if they differ.
//! 3. The loader fills reporting's own schema from the raw rows.
//! 4. The reporting service runs in this process (its feeds point nowhere and stay idle), and each
//!    report is called over gRPC, one call at a time, then computed from the raw rows with SQL.
//!    The service's figures must equal the raw rows'.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use chrono::{DateTime, NaiveDate, Utc};
use logistics_contracts::common::{Address, Money, TransportMode};
use logistics_contracts::orders::stream_changes_response::Event;
use logistics_contracts::orders::{Order, OrderCreated, OrderDelivered, OrderPickedUp, Quote};
use logistics_contracts::reporting::reporting_service_client::ReportingServiceClient;
use logistics_contracts::reporting::{GetKpisRequest, GetMonthlyStatementRequest, Kpi, KpiFilter};
use logistics_platform::ServiceContext;
use logistics_platform::auth::{ApiKeys, mint_key};
use logistics_platform::client::{CallCredentials, PeersConfig};
use logistics_platform::db::{self, DatabaseConfig};
use logistics_platform::pagination::TokenKey;
use logistics_platform::server::ServerConfig;
use logistics_platform::time::timestamp;
use sqlx::{PgPool, Row as _};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::reporting_sql::{self as sql, RAW_SCHEMA};

/// Settings of `logistics bench reporting`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReportingBenchArgs {
    /// Orders created in the month.
    #[arg(long, default_value_t = 1_000_000)]
    pub orders: u64,
    /// Customers they belong to (a few ship much more than most).
    #[arg(long, default_value_t = 2_000)]
    pub customers: u64,
    /// The month, "YYYY-MM" (company time). A month long closed, so the service's own monthly
    /// statements job has nothing of it to do while the run measures.
    #[arg(long, default_value = "2025-10")]
    pub month: String,
    /// Calls of each report to the service (after 20 unmeasured ones).
    #[arg(long, default_value_t = 200)]
    pub calls: usize,
    /// Runs of each report computed from the raw rows.
    #[arg(long, default_value_t = 10)]
    pub raw_runs: usize,
}

/// Orders of the loader check's sample.
const SAMPLE_ORDERS: u64 = 800;

/// Runs the benchmark on the database at `database_url` and prints its table.
pub async fn run(args: &ReportingBenchArgs, database_url: &str) -> anyhow::Result<()> {
    let first = NaiveDate::parse_from_str(&format!("{}-01", args.month), "%Y-%m-%d")
        .context("--month must be YYYY-MM")?;
    let next = first + chrono::Months::new(1);
    let before = first - chrono::Months::new(1);
    let database = DatabaseConfig {
        database_url: Some(database_url.to_owned()),
        db_max_connections: 8,
        db_acquire_timeout_ms: 60_000,
    };
    let admin = db::connect(database_url, RAW_SCHEMA, &database).await?;
    for schema in [
        "reporting",
        "reporting_bench_projected",
        "reporting_bench_loaded",
    ] {
        execute(&admin, &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")).await?;
    }

    let started = Instant::now();
    let raw = sql::raw_orders(
        "raw_orders",
        args.orders,
        args.customers,
        &first.to_string(),
    );
    execute(&admin, &raw).await?;
    println!(
        "raw rows: {} orders of {} customers in {} ({:.1} s)",
        args.orders,
        args.customers,
        args.month,
        started.elapsed().as_secs_f64()
    );

    check_loader(&admin, database_url, &database, first).await?;

    let started = Instant::now();
    let context = service_context(database_url, database.clone());
    logistics_reporting::migrate(&context).await?;
    execute(&admin, &sql::load("reporting", "raw_orders")).await?;
    println!(
        "loaded the read models from the raw rows in {:.1} s: {}",
        started.elapsed().as_secs_f64(),
        table_sizes(&admin).await?
    );

    let (client, admin_key) = (context.clone(), mint_key("bench", vec!["*".to_owned()]));
    let context = ServiceContext {
        keys: Arc::new(ApiKeys::new(vec![admin_key.1])?),
        ..client
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let address = listener.local_addr()?;
    let shutdown = context.shutdown.clone();
    let server = tokio::spawn(logistics_reporting::run(context, listener));
    let channel =
        tonic::transport::Endpoint::from_shared(format!("http://{address}"))?.connect_lazy();
    let mut reporting =
        ReportingServiceClient::with_interceptor(channel, CallCredentials::bearer(&admin_key.0)?);

    let (biggest, biggest_orders) = biggest_customer(&admin).await?;
    let statement = GetMonthlyStatementRequest {
        customer_id: biggest.to_string(),
        month: args.month.clone(),
    };
    let kpis = |customer: &str| GetKpisRequest {
        start_date: first.to_string(),
        end_date: (next - chrono::Days::new(1)).to_string(),
        filter: Some(KpiFilter {
            customer_id: customer.to_owned(),
            ..KpiFilter::default()
        }),
    };
    let mut rows = Vec::new();

    let served = time_calls(args.calls, || {
        let mut reporting = reporting.clone();
        let request = statement.clone();
        async move { reporting.get_monthly_statement(request).await.map(|_| ()) }
    })
    .await?;
    let raw_query = sql::statement_from_raw("raw_orders");
    let from_raw = time_raw(args.raw_runs, || {
        sqlx::query(sqlx::AssertSqlSafe(raw_query.clone()))
            .bind(biggest)
            .bind(first)
            .bind(next)
            .bind(before)
            .fetch_one(&admin)
    })
    .await?;
    rows.push((
        format!("GetMonthlyStatement, the biggest customer ({biggest_orders} orders)"),
        served,
        from_raw,
    ));

    let served = time_calls(args.calls, || {
        let mut reporting = reporting.clone();
        let request = kpis("");
        async move { reporting.get_kpis(request).await.map(|_| ()) }
    })
    .await?;
    let raw_query = sql::company_kpis_from_raw("raw_orders");
    let from_raw = time_raw(args.raw_runs, || {
        sqlx::query(sqlx::AssertSqlSafe(raw_query.clone()))
            .bind(first)
            .bind(next)
            .fetch_one(&admin)
    })
    .await?;
    rows.push(("GetKpis, the whole company".to_owned(), served, from_raw));

    // The service's figures are the raw rows' figures.
    let answered = reporting.get_kpis(kpis("")).await?.into_inner().kpis;
    let raw = sqlx::query(sqlx::AssertSqlSafe(raw_query))
        .bind(first)
        .bind(next)
        .fetch_one(&admin)
        .await?;
    let figure = |kpi: Kpi| {
        answered
            .iter()
            .find(|figure| figure.kpi() == kpi)
            .map(|figure| (figure.numerator, figure.denominator))
            .unwrap_or_default()
    };
    let expected = [
        (
            Kpi::OnTimeDispatchRate,
            (raw.get::<i64, _>(0), raw.get::<i64, _>(1)),
        ),
        (Kpi::OnTimeArrivalRate, (raw.get(2), raw.get(7))),
        (Kpi::DocumentAccuracyRate, (raw.get(3), raw.get(7))),
        (Kpi::DamageRate, (raw.get(4), raw.get(7))),
        (Kpi::LossRate, (raw.get(5), raw.get(7))),
        (Kpi::ShortageRate, (raw.get(6), raw.get(7))),
        (Kpi::AverageCycleTime, (raw.get(8), raw.get(7))),
        (Kpi::RouteChangeRate, (0, raw.get(9))),
    ];
    for (kpi, sums) in expected {
        if figure(kpi) != sums {
            bail!(
                "{kpi:?}: the service says {:?}, the raw rows {sums:?}",
                figure(kpi)
            );
        }
    }
    println!("the service's company-wide order KPIs equal the raw rows' (8 checked)");

    shutdown.cancel();
    server.await??;
    print_table(args, &rows);
    Ok(())
}

/// Runs the loader and the projection over the same sample into two schemas; fails unless they
/// wrote the same rows.
async fn check_loader(
    admin: &PgPool,
    database_url: &str,
    database: &DatabaseConfig,
    first: NaiveDate,
) -> anyhow::Result<()> {
    let sample = sql::raw_orders("sample_orders", SAMPLE_ORDERS, 20, &first.to_string());
    execute(admin, &sample).await?;
    let loaded = db::connect(database_url, "reporting_bench_loaded", database).await?;
    logistics_reporting::migrate_schema(&loaded).await?;
    execute(admin, &sql::load("reporting_bench_loaded", "sample_orders")).await?;
    let projected = db::connect(database_url, "reporting_bench_projected", database).await?;
    logistics_reporting::migrate_schema(&projected).await?;
    let orders = sqlx::query(sqlx::AssertSqlSafe(format!(
        "SELECT order_id, customer_id, origin_region, mode, create_time, pieces, weight_grams,
                price_fen, pickup_time, picked_up_in_window, delivery_time, delivered_on_time,
                document_errors, damaged_pieces, missing_pieces
           FROM {RAW_SCHEMA}.sample_orders"
    )))
    .fetch_all(admin)
    .await?;
    // One batch, creations first, as a follower reads them under a steady stream of orders.
    let mut events = Vec::new();
    for row in &orders {
        events.extend(events_of(row)?);
    }
    events.sort_by_key(|(event, _)| !matches!(event, Event::OrderCreated(_)));
    let mut tx = projected.begin().await?;
    logistics_reporting::apply_orders_events(&mut tx, &events).await?;
    tx.commit().await?;
    let differing: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT {}",
        sql::differences("reporting_bench_loaded", "reporting_bench_projected")
    )))
    .fetch_one(admin)
    .await?;
    if differing != 0 {
        bail!(
            "the bulk loader and the projection disagree on {differing} rows of {SAMPLE_ORDERS} \
             sample orders: the projection changed, update reporting_sql::load to match"
        );
    }
    println!("the bulk loader writes what the projection writes ({SAMPLE_ORDERS} sample orders)");
    for (pool, schema) in [
        (loaded, "reporting_bench_loaded"),
        (projected, "reporting_bench_projected"),
    ] {
        pool.close().await;
        execute(admin, &format!("DROP SCHEMA {schema} CASCADE")).await?;
    }
    Ok(())
}

/// The events the orders feed carries for a raw order: created, picked up, delivered.
fn events_of(row: &sqlx::postgres::PgRow) -> anyhow::Result<Vec<(Event, DateTime<Utc>)>> {
    let order_id: Uuid = row.try_get("order_id")?;
    let customer_id: Uuid = row.try_get("customer_id")?;
    let create_time: DateTime<Utc> = row.try_get("create_time")?;
    let pickup_time: DateTime<Utc> = row.try_get("pickup_time")?;
    let delivery_time: Option<DateTime<Utc>> = row.try_get("delivery_time")?;
    let pieces: i32 = row.try_get("pieces")?;
    let mode = match row.try_get::<String, _>("mode")?.as_str() {
        "ROAD" => TransportMode::Road,
        "RAIL" => TransportMode::Rail,
        "AIR" => TransportMode::Air,
        _ => TransportMode::Sea,
    };
    let order = Order {
        id: order_id.to_string(),
        customer_id: customer_id.to_string(),
        mode: mode.into(),
        origin: Some(Address {
            region_code: row.try_get("origin_region")?,
            ..Address::default()
        }),
        quote: Some(Quote {
            price: Some(Money {
                currency_code: "CNY".to_owned(),
                amount_minor: row.try_get("price_fen")?,
            }),
            ..Quote::default()
        }),
        total_pieces: pieces,
        total_weight_grams: row.try_get("weight_grams")?,
        create_time: Some(timestamp(create_time)),
        ..Order::default()
    };
    let mut events = vec![
        (
            Event::OrderCreated(OrderCreated { order: Some(order) }),
            create_time,
        ),
        (
            Event::OrderPickedUp(OrderPickedUp {
                order_id: order_id.to_string(),
                customer_id: customer_id.to_string(),
                pickup_time: Some(timestamp(pickup_time)),
                within_window: row.try_get("picked_up_in_window")?,
            }),
            pickup_time,
        ),
    ];
    if let Some(delivery_time) = delivery_time {
        events.push((
            Event::OrderDelivered(OrderDelivered {
                order_id: order_id.to_string(),
                customer_id: customer_id.to_string(),
                delivery_time: Some(timestamp(delivery_time)),
                on_time: row.try_get("delivered_on_time")?,
                document_errors: row.try_get("document_errors")?,
                total_pieces: pieces,
                damaged_pieces: row.try_get("damaged_pieces")?,
                missing_pieces: row.try_get("missing_pieces")?,
                ..OrderDelivered::default()
            }),
            delivery_time,
        ));
    }
    Ok(events)
}

/// The reporting service's context for the run: its feeds' producers point at a closed port, so
/// its followers stand idle and retry.
fn service_context(database_url: &str, database: DatabaseConfig) -> ServiceContext {
    let nowhere = Some("http://127.0.0.1:9".to_owned());
    ServiceContext {
        server: ServerConfig {
            rate_limit_per_second: 0,
            ..ServerConfig::default()
        },
        database,
        database_url: database_url.to_owned(),
        keys: Arc::new(ApiKeys::default()),
        token_key: TokenKey::random(),
        pii: None,
        peers: PeersConfig {
            customers_url: nowhere.clone(),
            orders_url: nowhere.clone(),
            complaints_url: nowhere,
            service_api_key: Some("unused".to_owned()),
            ..PeersConfig::default()
        },
        shutdown: CancellationToken::new(),
    }
}

async fn execute(pool: &PgPool, statements: &str) -> anyhow::Result<()> {
    sqlx::raw_sql(sqlx::AssertSqlSafe(statements.to_owned()))
        .execute(pool)
        .await
        .with_context(|| format!("running {}", statements.lines().next().unwrap_or_default()))?;
    Ok(())
}

async fn biggest_customer(pool: &PgPool) -> anyhow::Result<(Uuid, i64)> {
    let row: (Uuid, i64) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT customer_id, count(*) FROM {RAW_SCHEMA}.raw_orders
          GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
    )))
    .fetch_one(pool)
    .await?;
    Ok(row)
}

async fn table_sizes(pool: &PgPool) -> anyhow::Result<String> {
    let mut sizes = Vec::new();
    for table in [
        "order_facts",
        "volume_rollups",
        "kpi_rollups",
        "kpi_rollups_by_region",
        "kpi_rollups_by_customer_month",
        "volume_rollups_by_customer_month",
    ] {
        let rows: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT count(*) FROM reporting.{table}"
        )))
        .fetch_one(pool)
        .await?;
        sizes.push(format!("{table} {rows} rows"));
    }
    Ok(sizes.join(", "))
}

/// Latencies of `calls` calls one after another, after 20 unmeasured ones.
async fn time_calls<F, Fut>(calls: usize, call: F) -> anyhow::Result<Vec<Duration>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<(), tonic::Status>>,
{
    for _ in 0..20 {
        call().await?;
    }
    let mut latencies = Vec::with_capacity(calls);
    for _ in 0..calls.max(1) {
        let started = Instant::now();
        call().await?;
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

/// Latencies of `runs` runs of a query over the raw rows, after one unmeasured run.
async fn time_raw<F, Fut, T>(runs: usize, query: F) -> anyhow::Result<Vec<Duration>>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    query().await?;
    let mut latencies = Vec::with_capacity(runs);
    for _ in 0..runs.max(1) {
        let started = Instant::now();
        query().await?;
        latencies.push(started.elapsed());
    }
    Ok(latencies)
}

fn percentile(latencies: &[Duration], p: f64) -> f64 {
    let mut sorted = latencies.to_vec();
    sorted.sort_unstable();
    let at = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[at].as_secs_f64() * 1000.0
}

fn print_table(args: &ReportingBenchArgs, rows: &[(String, Vec<Duration>, Vec<Duration>)]) {
    println!();
    println!(
        "| report ({} orders, {}) | from rollups, p50 / p99 ms ({} calls over gRPC) | from raw rows, p50 / max ms ({} runs of SQL) | ratio (p50) |",
        args.orders, args.month, args.calls, args.raw_runs
    );
    println!("| --- | --- | --- | --- |");
    for (report, served, raw) in rows {
        let (p50, p99) = (percentile(served, 0.5), percentile(served, 0.99));
        let (raw50, raw_max) = (percentile(raw, 0.5), percentile(raw, 1.0));
        println!(
            "| {report} | {p50:.2} / {p99:.2} | {raw50:.1} / {raw_max:.1} | {:.0}x |",
            raw50 / p50.max(0.001)
        );
    }
}
