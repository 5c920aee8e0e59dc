//! `logistics load` against a running suite: the tracking reads, whose answers it decodes only
//! once per worker, answer OK and are counted.

use std::process::Command;

use logistics_tests::TestApp;
use serde_json::Value;

/// Runs `logistics load --call <call>` for a second against `app` with `key`; its JSON report.
async fn load(app: &TestApp, call: &str, key: &str) -> Value {
    let url = |address: std::net::SocketAddr| format!("http://{address}");
    let mut command = Command::new(env!("CARGO_BIN_EXE_logistics"));
    command
        .args([
            "load",
            "--call",
            call,
            "--orders",
            "20",
            "--concurrency",
            "4",
        ])
        .args(["--seconds", "1", "--warmup-seconds", "0", "--no-progress"])
        .args(["--format", "json"])
        .args(["--target", &url(app.orders)])
        .args(["--customers-target", &url(app.customers)])
        .env_clear()
        .env("LOGISTICS_API_KEY", key)
        .env("LOGISTICS_LOG", "warn");
    // Off the runtime's thread: the test's runtime serves the suite the binary calls.
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("waiting for logistics load")
        .expect("running logistics load");
    assert!(
        output.status.success(),
        "logistics load failed: {}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the JSON report")
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tracking_reads_answer_ok_under_load_and_are_counted() {
    let app = TestApp::spawn().await;
    for call in ["get-tracking", "batch-get-tracking"] {
        let report = load(&app, call, &app.keys.admin).await;
        let count = report["count"].as_u64().expect("a count");
        assert!(count > 0, "{call}: {report}");
        assert_eq!(
            report["statusCodeDistribution"],
            serde_json::json!({ "OK": count }),
            "{call}"
        );
    }
}
