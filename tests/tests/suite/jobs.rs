//! The platform's job runner against real PostgreSQL: one replica runs a job at a time, an RPC's
//! run waits for a scheduled one instead of overlapping it, and a failing or panicking run does
//! not end the job.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use logistics_platform::ApiError;
use logistics_platform::jobs::{Job, JobRunner, Schedule};
use logistics_tests::TestApp;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

/// Counts runs and the most that were ever in progress at once.
#[derive(Default)]
struct Tally {
    running: AtomicUsize,
    most_at_once: AtomicUsize,
    finished: AtomicUsize,
}

impl Tally {
    async fn run(&self, hold: Duration) -> Result<(), ApiError> {
        let now = self.running.fetch_add(1, Ordering::SeqCst) + 1;
        self.most_at_once.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(hold).await;
        self.running.fetch_sub(1, Ordering::SeqCst);
        self.finished.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

/// Polls `done` every 20 ms for at most 20 s.
async fn wait_until(what: &str, done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("gave up waiting until {what}");
}

#[tokio::test]
async fn two_replicas_scheduling_the_same_job_never_run_it_at_once() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool("customers").await;
    let tally = Arc::new(Tally::default());
    let shutdown = CancellationToken::new();
    let replicas: Vec<JobRunner> = (0..2).map(|_| JobRunner::new(shutdown.clone())).collect();
    for runner in &replicas {
        let tally = tally.clone();
        runner.schedule(
            Job::new("test.shared", pool.clone()),
            Schedule::every_from_start(Duration::from_millis(5)),
            move || {
                let tally = tally.clone();
                async move { tally.run(Duration::from_millis(15)).await }
            },
        );
    }

    wait_until("20 runs finished", || {
        tally.finished.load(Ordering::SeqCst) >= 20
    })
    .await;
    shutdown.cancel();
    for runner in replicas {
        tokio::time::timeout(Duration::from_secs(5), runner.join())
            .await
            .expect("every job stops on shutdown");
    }
    assert_eq!(tally.most_at_once.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_run_asked_for_by_an_rpc_waits_for_the_run_in_progress_and_answers_its_own_outcome() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool("customers").await;
    let job = Job::new("test.on_demand", pool.clone());
    let started = Arc::new(Notify::new());
    let release = Arc::new(Notify::new());
    let tally = Arc::new(Tally::default());

    let first = tokio::spawn({
        let (job, started, release, tally) =
            (job.clone(), started.clone(), release.clone(), tally.clone());
        async move {
            job.run_now(async {
                tally.running.fetch_add(1, Ordering::SeqCst);
                started.notify_one();
                release.notified().await;
                tally.running.fetch_sub(1, Ordering::SeqCst);
                Ok::<_, ApiError>("first")
            })
            .await
        }
    });
    started.notified().await;
    // Another replica's handle on the same job: its run must wait for the lock.
    let other = Job::new("test.on_demand", pool.clone());
    let second = tokio::spawn({
        let tally = tally.clone();
        async move {
            other
                .run_now(async move {
                    assert_eq!(tally.running.load(Ordering::SeqCst), 0, "runs overlapped");
                    Ok::<_, ApiError>("second")
                })
                .await
        }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!second.is_finished(), "the second run waited for the first");
    release.notify_one();

    assert_eq!(first.await.unwrap().unwrap(), "first");
    assert_eq!(second.await.unwrap().unwrap(), "second");
}

#[tokio::test]
async fn a_run_dropped_half_way_releases_the_job_for_the_next() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool("customers").await;
    let job = Job::new("test.dropped", pool.clone());
    let abandoned = job.run_now(async {
        std::future::pending::<()>().await;
        Ok::<_, ApiError>(())
    });
    // A caller's deadline cuts the run while it holds the lock.
    assert!(
        tokio::time::timeout(Duration::from_millis(200), abandoned)
            .await
            .is_err()
    );

    let next = tokio::time::timeout(
        Duration::from_secs(10),
        job.run_now(async { Ok::<_, ApiError>(42) }),
    )
    .await
    .expect("the lock was released with the dropped run");
    assert_eq!(next.unwrap(), 42);
}

#[tokio::test]
async fn a_failing_or_panicking_run_does_not_end_the_job() {
    let app = TestApp::spawn().await;
    let pool = app.schema_pool("customers").await;
    let attempts = Arc::new(AtomicUsize::new(0));
    let shutdown = CancellationToken::new();
    let runner = JobRunner::new(shutdown.clone());
    runner.schedule(
        Job::new("test.flaky", pool),
        Schedule::every_from_start(Duration::from_millis(5)),
        {
            let attempts = attempts.clone();
            move || {
                let attempt = attempts.fetch_add(1, Ordering::SeqCst);
                async move {
                    match attempt {
                        0 => Err(ApiError::Internal(anyhow::anyhow!(
                            "the database went away"
                        ))),
                        1 => panic!("a bug in the job"),
                        _ => Ok(attempt),
                    }
                }
            }
        },
    );

    wait_until("the job ran after failing and panicking", || {
        attempts.load(Ordering::SeqCst) >= 4
    })
    .await;
    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(5), runner.join())
        .await
        .expect("the job stops on shutdown");
}
