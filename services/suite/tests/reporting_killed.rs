//! Reporting as a process of its own (`logistics serve reporting`), killed with SIGKILL while it
//! works through a backlog of the feeds and started again: it loses and doubles nothing, and its
//! figures are the ones a rebuild from the feeds gives.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use logistics_contracts::reporting::projection_rebuild::State;
use logistics_contracts::reporting::reporting_service_client::ReportingServiceClient;
use logistics_contracts::reporting::{GetProjectionStatusRequest, Kpi, KpiFilter, KpiValue};
use logistics_platform::auth::{mint_key, write_keys_file};
use logistics_platform::client::CallCredentials;
use logistics_tests::TestApp;
use logistics_tests::reporting::{
    ReportingClient, busy_day, kpis_since_yesterday, rebuild, settled,
};
use tonic::transport::Channel;

/// `logistics serve reporting` against the app's database and services; killed when dropped.
struct ReportingProcess(Child);

impl ReportingProcess {
    fn start(app: &TestApp, keys_file: &Path, data_dir: &Path) -> Self {
        let peer = |address: SocketAddr| format!("http://{address}");
        let child = Command::new(env!("CARGO_BIN_EXE_logistics"))
            .args(["serve", "reporting"])
            .env_clear()
            .env("LOGISTICS_DATABASE_URL", &app.database_url)
            .env("LOGISTICS_HOST", "127.0.0.1")
            .env("LOGISTICS_REPORTING_PORT", app.reporting.port().to_string())
            .env("LOGISTICS_CUSTOMERS_URL", peer(app.customers))
            .env("LOGISTICS_ORDERS_URL", peer(app.orders))
            .env("LOGISTICS_COMPLAINTS_URL", peer(app.complaints))
            .env("LOGISTICS_SERVICE_API_KEY", &app.keys.reporting_service)
            .env("LOGISTICS_API_KEYS_FILE", keys_file)
            .env("LOGISTICS_TOKEN_SECRET", "reporting-killed-test-secret")
            .env("LOGISTICS_DATA_DIR", data_dir)
            .env("LOGISTICS_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("starting logistics serve reporting");
        Self(child)
    }

    /// SIGKILL: no shutdown, no draining, transactions cut where they stand.
    fn kill(mut self) {
        self.0.kill().expect("killing reporting");
        self.0.wait().expect("reaping reporting");
    }
}

impl Drop for ReportingProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A client of the process, once it listens.
async fn client_of(address: SocketAddr, key: &str) -> ReportingClient {
    let credentials = CallCredentials::bearer(key).expect("printable key");
    for _ in 0..300 {
        if let Ok(channel) = Channel::from_shared(format!("http://{address}"))
            .expect("valid URL")
            .connect()
            .await
        {
            return ReportingServiceClient::with_interceptor(channel, credentials);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("reporting did not listen on {address} within 30 s");
}

/// Events of the orders feed applied so far; `None` until reporting follows it.
async fn orders_applied(reporting: &mut ReportingClient) -> Option<i64> {
    let status = reporting
        .get_projection_status(GetProjectionStatusRequest {})
        .await
        .ok()?
        .into_inner();
    status
        .feeds
        .iter()
        .find(|feed| feed.feed == "orders" && feed.following)
        .map(|feed| feed.applied_events)
}

fn figure(figures: &[KpiValue], kpi: Kpi) -> (i64, i64) {
    figures
        .iter()
        .find(|figure| figure.kpi() == kpi)
        .map(|figure| (figure.numerator, figure.denominator))
        .expect("every KPI is answered")
}

/// The company's figures and each customer's.
async fn figures(reporting: &mut ReportingClient, customers: &[String]) -> Vec<Vec<KpiValue>> {
    let mut all = vec![kpis_since_yesterday(reporting, KpiFilter::default()).await];
    for customer in customers {
        let filter = KpiFilter {
            customer_id: customer.clone(),
            ..Default::default()
        };
        all.push(kpis_since_yesterday(reporting, filter).await);
    }
    all
}

#[tokio::test]
async fn reporting_killed_mid_stream_and_restarted_counts_every_event_once() {
    let app = TestApp::spawn_without_reporting().await;
    let files = std::env::temp_dir().join(format!("reporting-killed-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&files).unwrap();
    let (admin, stored) = mint_key("reporting-killed-test", vec!["*".to_owned()]);
    let keys_file = files.join("keys.toml");
    write_keys_file(&keys_file, vec![stored]).unwrap();

    // A backlog for reporting to work through: the producers write while it is down.
    let day = busy_day(&app, 6, 4).await;

    let first = ReportingProcess::start(&app, &keys_file, &files);
    let mut reporting = client_of(app.reporting, &admin).await;
    let mut applied_at_kill = None;
    for _ in 0..3000 {
        if let Some(applied) = orders_applied(&mut reporting).await
            && applied >= 10
        {
            applied_at_kill = Some(applied);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill();
    let applied_at_kill = applied_at_kill.expect("reporting applied orders events before the kill");

    let _second = ReportingProcess::start(&app, &keys_file, &files);
    let mut reporting = client_of(app.reporting, &admin).await;
    settled(&mut reporting).await;
    let applied = orders_applied(&mut reporting).await.unwrap();
    assert!(
        applied_at_kill < applied,
        "killed mid-stream: {applied_at_kill} of {applied} orders events applied"
    );
    let restarted = figures(&mut reporting, &day.customers).await;
    // Counted once: what the test did.
    assert_eq!(
        figure(&restarted[0], Kpi::RouteChangeRate),
        (0, day.created)
    );
    assert_eq!(
        figure(&restarted[0], Kpi::OnTimeArrivalRate).1,
        day.delivered
    );
    assert_eq!(
        figure(&restarted[0], Kpi::DocumentAccuracyRate),
        (day.delivered, day.delivered)
    );
    assert_eq!(
        figure(&restarted[0], Kpi::OnTimeDispatchRate).1,
        day.created - day.customers.len() as i64
    );

    // And a rebuild from the feeds gives the very same figures.
    let rebuilt = rebuild(&mut reporting).await;
    assert_eq!(rebuilt.state(), State::Succeeded, "{rebuilt:?}");
    settled(&mut reporting).await;
    assert_eq!(figures(&mut reporting, &day.customers).await, restarted);
    let _ = std::fs::remove_dir_all(&files);
}
