//! Property-based fuzzing of every request of the customers, orders, complaints and reporting
//! services, over
//! real gRPC
//! against a real PostgreSQL.
//!
//! Why: a caller can put anything in a protobuf message (control characters, NUL, 1 MB of emoji,
//! SQL, times outside any calendar, enum numbers no proto names, integer extremes, lists far past
//! their bounds). Whatever comes in, a service must answer with a status that tells the caller what
//! to do (INVALID_ARGUMENT with the fields, NOT_FOUND, FAILED_PRECONDITION...), never INTERNAL or
//! UNKNOWN (a panic, an overflow, PostgreSQL refusing a value), never drop the connection, and a
//! refused call must leave nothing behind. Each test starts one app, creates realistic data so that
//! many generated calls succeed and reach deep code, then runs a fixed number of cases.
//!
//! A failure prints the smallest call proptest could shrink it to and the seed of the run:
//! `PROPTEST_RNG_SEED=<seed>` draws the same calls again (against fresh ids, so nearly the same
//! run), `PROPTEST_CASES` runs more or fewer cases, `LOGISTICS_TEST_LOG=warn` shows the service's
//! log behind an INTERNAL, and `FUZZ_SHOW_REFUSALS=1` prints every refusal with its fields (how to
//! see which generated values are refused at the door instead of reaching deeper code).

mod complaints;
mod customers;
mod orders;
mod reporting;
mod values;

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Debug;
use std::future::Future;
use std::time::Instant;

use logistics_tests::TestApp;
use proptest::strategy::BoxedStrategy;
use proptest::test_runner::{Config, RngSeed, TestCaseError, TestRunner};
use prost::Message as _;
use sqlx::{PgPool, Row};
use tonic::Code;

/// Cases per service: on a 2-core machine the customers and orders tests together take 40 to 60 s
/// (58 s measured under a load average of 7); complaints alone takes about 30 s, and the three
/// with `--test-threads=2` about 90 s (measured under a load average of 5); reporting alone takes
/// about 25 s.
const CASES: u32 = 5000;

/// What one generated call came to.
pub type Outcome = Result<(), tonic::Status>;

/// A generated call of one service.
pub trait FuzzCall: Debug + Clone {
    /// The RPC's name, for the summary.
    fn rpc(&self) -> &'static str;

    /// Whether this call, refused with `status`, may keep what it stored before the refusal: a
    /// client stream that records as it goes, and says in its refusal what it recorded.
    fn keeps_what_came_before(&self, _status: &tonic::Status) -> bool {
        false
    }
}

/// A cheap fingerprint of every row of a schema, to tell whether a call stored anything: per
/// table, the number of rows and the sum of their hashes (no sorting, so it stays quick as tables
/// grow).
pub struct Fingerprint {
    pool: PgPool,
    sql: String,
}

impl Fingerprint {
    /// Over every table of `schema` but those in `skip`, which change in the background.
    pub async fn of(app: &TestApp, schema: &str, skip: &[&str]) -> Self {
        let pool = app.schema_pool(schema).await;
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT c.relname::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = $1 AND c.relkind IN ('r', 'p') AND NOT c.relispartition
             ORDER BY 1",
        )
        .bind(schema)
        .fetch_all(&pool)
        .await
        .expect("listing the schema's tables");
        let parts: Vec<String> = tables
            .iter()
            .filter(|table| !skip.contains(&table.as_str()))
            .map(|table| {
                format!(
                    "SELECT '{table}' AS t, count(*) AS n, \
                     coalesce(sum(hashtextextended(r::text, 0)), 0) AS h \
                     FROM {schema}.{table} r"
                )
            })
            .collect();
        assert!(parts.len() >= 5, "{schema} has tables: {tables:?}");
        let sql = format!(
            "SELECT string_agg(t || ':' || n || ':' || h, ' ' ORDER BY t) FROM ({}) x",
            parts.join(" UNION ALL ")
        );
        Self { pool, sql }
    }

    /// The fingerprint now.
    pub async fn take(&self) -> String {
        sqlx::query(sqlx::AssertSqlSafe(self.sql.clone()))
            .fetch_one(&self.pool)
            .await
            .expect("fingerprinting the schema")
            .get::<String, _>(0)
    }
}

/// Runs `CASES` calls drawn from `calls` through `send` on `runtime`, and checks each: never
/// INTERNAL or UNKNOWN, never a dropped connection, and nothing stored when refused.
pub fn fuzz<C, F, Fut>(
    runtime: &tokio::runtime::Runtime,
    fingerprint: &Fingerprint,
    calls: BoxedStrategy<C>,
    package: &str,
    send: F,
) where
    C: FuzzCall + 'static,
    F: Fn(C) -> Fut,
    Fut: Future<Output = Outcome>,
{
    let started = Instant::now();
    // Which RPCs were called, and what they answered how often.
    let tally: RefCell<BTreeMap<&'static str, BTreeMap<String, u32>>> = RefCell::default();
    let defaults = Config::default();
    let seed = match defaults.rng_seed {
        RngSeed::Fixed(seed) => seed,
        RngSeed::Random => uuid::Uuid::new_v4().as_u64_pair().0,
    };
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(seed),
        // PROPTEST_CASES runs more (or fewer) cases, e.g. a long hunt on a quiet machine.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(CASES),
        failure_persistence: None,
        // A shrink replays calls against the same app: a few hundred are plenty to find the field.
        max_shrink_iters: 400,
        ..defaults
    });
    let result = runner.run(&calls, |call| {
        let rpc = call.rpc();
        let (before, outcome, after) = runtime.block_on(async {
            let before = fingerprint.take().await;
            let outcome = send(call.clone()).await;
            let after = match outcome {
                Err(_) => Some(fingerprint.take().await),
                Ok(()) => None,
            };
            (before, outcome, after)
        });
        let code = match &outcome {
            Ok(()) => "OK".to_owned(),
            Err(status) => format!("{:?}", status.code()),
        };
        if let (Err(status), Ok(_)) = (&outcome, std::env::var("FUZZ_SHOW_REFUSALS")) {
            let fields = logistics_tests::violated_fields(status);
            eprintln!("{rpc}: {:?} {} {fields:?}", status.code(), status.message());
        }
        *tally
            .borrow_mut()
            .entry(rpc)
            .or_default()
            .entry(code)
            .or_default() += 1;
        if let Err(status) = &outcome {
            if matches!(
                status.code(),
                Code::Internal | Code::Unknown | Code::Cancelled | Code::Unavailable
            ) {
                return Err(TestCaseError::fail(format!(
                    "{rpc} answered {:?}: {}",
                    status.code(),
                    status.message()
                )));
            }
            if after.as_ref() != Some(&before) && !call.keeps_what_came_before(status) {
                return Err(TestCaseError::fail(format!(
                    "{rpc} was refused with {:?} ({}) but stored something",
                    status.code(),
                    status.message()
                )));
            }
        }
        Ok(())
    });
    eprintln!(
        "{} cases (PROPTEST_RNG_SEED={seed}) in {:.1} s; answers per RPC: {:?}",
        runner.config().cases,
        started.elapsed().as_secs_f64(),
        tally.borrow()
    );
    if let Err(failure) = result {
        panic!("{failure} (PROPTEST_RNG_SEED={seed})");
    }
    let called: BTreeSet<&str> = tally.borrow().keys().copied().collect();
    assert_eq!(
        called,
        rpcs_of(package).iter().map(String::as_str).collect(),
        "every RPC of {package} in the protos is called"
    );
}

/// The names of every RPC of the services in `package`, from the contracts' descriptors: a new
/// RPC fails the fuzz until it has a generator.
fn rpcs_of(package: &str) -> BTreeSet<String> {
    let descriptors =
        prost_types::FileDescriptorSet::decode(logistics_contracts::FILE_DESCRIPTOR_SET)
            .expect("the contracts' descriptor set");
    descriptors
        .file
        .iter()
        .filter(|file| file.package() == package)
        .flat_map(|file| &file.service)
        .flat_map(|service| &service.method)
        .map(|method| method.name().to_owned())
        .collect()
}

/// A runtime for the app and the calls: proptest drives cases synchronously.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Every request of CustomerService, ContactService, EngagementService and LoyaltyService.
#[test]
fn no_customers_request_however_malformed_gets_internal_or_unknown_or_stores_anything_when_refused()
{
    let runtime = runtime();
    let (app, clients, known, fingerprint) = runtime.block_on(async {
        let app = TestApp::spawn().await;
        let mut clients = customers::Clients::connect(&app).await;
        // The follower of the (here idle) orders feed writes its own bookkeeping in the
        // background: its cursor and the event ids it has seen.
        let fingerprint =
            Fingerprint::of(&app, "customers", &["feed_cursors", "feed_applied_events"]).await;
        let empty = fingerprint.take().await;
        let known = customers::setup(&mut clients).await;
        assert_ne!(
            fingerprint.take().await,
            empty,
            "the fingerprint sees writes"
        );
        (app, clients, known, fingerprint)
    });
    fuzz(
        &runtime,
        &fingerprint,
        customers::calls(&known),
        "logistics.customers.v1",
        |call| {
            let mut clients = clients.clone();
            async move { customers::send(&mut clients, call).await }
        },
    );
    runtime.block_on(app.stop());
}

/// Every request of OrderService, QuoteService, TrackingService and AddressBookService. Only the
/// orders schema is fingerprinted: the customers service follows the orders feed in the background.
#[test]
fn no_orders_request_however_malformed_gets_internal_or_unknown_or_stores_anything_when_refused() {
    let runtime = runtime();
    let (app, clients, known, fingerprint) = runtime.block_on(async {
        let app = TestApp::spawn().await;
        let mut clients = orders::Clients::connect(&app).await;
        let fingerprint = Fingerprint::of(&app, "orders", &[]).await;
        let empty = fingerprint.take().await;
        let known = orders::setup(&app, &mut clients).await;
        assert_ne!(
            fingerprint.take().await,
            empty,
            "the fingerprint sees writes"
        );
        (app, clients, known, fingerprint)
    });
    fuzz(
        &runtime,
        &fingerprint,
        orders::calls(&known),
        "logistics.orders.v1",
        |call| {
            let mut clients = clients.clone();
            async move { orders::send(&mut clients, call).await }
        },
    );
    runtime.block_on(app.stop());
}

/// Every request of ComplaintService and SlaService. Only the complaints schema is fingerprinted,
/// and in it neither `feed_cursors` nor `feed_applied_events`: the service follows the orders feed
/// in the background. The SLA sweep runs every second in the background too, but it has nothing to
/// do during the run: it writes only when a clock reaches 80% of its target (or a resolution is 7
/// days old), and no target the generators make valid is shorter than 5 minutes (see
/// `complaints::requests`), so it cannot change the schema between two fingerprints.
#[test]
fn no_complaints_request_however_malformed_gets_internal_or_unknown_or_stores_anything_when_refused()
 {
    let runtime = runtime();
    let (app, clients, known, fingerprint) = runtime.block_on(async {
        let app = TestApp::spawn().await;
        let mut clients = complaints::Clients::connect(&app).await;
        let fingerprint =
            Fingerprint::of(&app, "complaints", &["feed_cursors", "feed_applied_events"]).await;
        let empty = fingerprint.take().await;
        let known = complaints::setup(&app, &mut clients).await;
        assert_ne!(
            fingerprint.take().await,
            empty,
            "the fingerprint sees writes"
        );
        (app, clients, known, fingerprint)
    });
    fuzz(
        &runtime,
        &fingerprint,
        complaints::calls(&known),
        "logistics.complaints.v1",
        |call| {
            let mut clients = clients.clone();
            async move { complaints::send(&mut clients, call).await }
        },
    );
    runtime.block_on(app.stop());
}

/// Every request of ReportingService. Only the data callers create is fingerprinted (scorecard
/// templates and their items, stored statements, idempotency keys): the projections change in the
/// background as the followers apply the feeds and as an accepted RebuildProjections swaps fresh
/// tables in (so the projection tables, the followers' `feed_cursors` and `feed_applied_events`,
/// and `projection_rebuilds` are skipped), and the monthly statements' job records the months it
/// generated in `statement_generations` by itself.
#[test]
fn no_reporting_request_however_malformed_gets_internal_or_unknown_or_stores_anything_when_refused()
{
    let runtime = runtime();
    let (app, clients, known, fingerprint) = runtime.block_on(async {
        let app = TestApp::spawn().await;
        let mut clients = reporting::Clients::connect(&app).await;
        let mut skip = vec!["projection_rebuilds", "statement_generations"];
        skip.extend(logistics_reporting::PROJECTION_TABLES);
        let fingerprint = Fingerprint::of(&app, "reporting", &skip).await;
        let empty = fingerprint.take().await;
        let known = reporting::setup(&app, &mut clients).await;
        assert_ne!(
            fingerprint.take().await,
            empty,
            "the fingerprint sees writes"
        );
        (app, clients, known, fingerprint)
    });
    fuzz(
        &runtime,
        &fingerprint,
        reporting::calls(&known),
        "logistics.reporting.v1",
        |call| {
            let mut clients = clients.clone();
            async move { reporting::send(&mut clients, call).await }
        },
    );
    runtime.block_on(app.stop());
}
