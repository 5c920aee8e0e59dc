//! Periodic jobs: sweeps, expiries, pruning and upkeep that a service runs in the background and
//! that staff may also start through a `Run...` RPC.
//!
//! A [`Job`] is a name and a database-wide advisory lock: however many replicas schedule it, one
//! run happens at a time, and a run started by an RPC waits for a scheduled one to end instead
//! of overlapping it. The [`JobRunner`] schedules jobs at an interval with jitter (so replicas
//! restarted together do not run in step), logs each failure with the job's name, counts runs by
//! outcome, and is joined on graceful shutdown.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::FutureExt as _;
use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Histogram};
use sqlx::{Connection, PgConnection, PgPool};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::error::ApiError;

/// A named piece of background work, run by one replica at a time.
#[derive(Clone)]
pub struct Job {
    inner: Arc<JobInner>,
}

struct JobInner {
    name: &'static str,
    pool: PgPool,
    runs: Counter<u64>,
    duration: Histogram<f64>,
}

/// How a run ended, as counted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Done,
    Failed,
    /// Another replica held the lock; a scheduled run skips its turn.
    Skipped,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Skipped => "skipped",
        }
    }
}

impl Job {
    /// A job named `name` over `pool`'s database. Names are unique across every service sharing
    /// the database: they name the advisory lock. Use `<service>.<job>`.
    pub fn new(name: &'static str, pool: PgPool) -> Self {
        let meter = opentelemetry::global::meter("logistics.jobs");
        Self {
            inner: Arc::new(JobInner {
                name,
                pool,
                runs: meter
                    .u64_counter("logistics.job.runs")
                    .with_description("Runs of periodic jobs, by job and outcome")
                    .build(),
                duration: meter
                    .f64_histogram("logistics.job.duration")
                    .with_unit("s")
                    .with_description("How long periodic job runs took")
                    .build(),
            }),
        }
    }

    /// The job's name.
    pub fn name(&self) -> &'static str {
        self.inner.name
    }

    /// Runs `work` now, after any run in progress elsewhere has ended: for the `Run...` RPCs,
    /// which answer with what the run did.
    pub async fn run_now<T>(
        &self,
        work: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<T, ApiError> {
        let started = Instant::now();
        let mut lock = self.lock_connection().await?;
        sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
            .bind(self.lock_name())
            .execute(&mut lock)
            .await?;
        let result = work.await;
        self.release(lock).await;
        self.count(outcome_of(&result), started);
        result
    }

    /// Runs `work` unless a run is in progress elsewhere (then `None`): a scheduled run that
    /// finds the job busy skips its turn.
    async fn run_if_free<T>(
        &self,
        work: impl Future<Output = Result<T, ApiError>>,
    ) -> Result<Option<T>, ApiError> {
        let started = Instant::now();
        let Some(lock) = crate::db::try_session_lock(&self.inner.pool, &self.lock_name()).await?
        else {
            self.count(Outcome::Skipped, started);
            return Ok(None);
        };
        let result = work.await;
        self.release(lock).await;
        self.count(outcome_of(&result), started);
        result.map(Some)
    }

    /// A connection of its own for the session lock, taken out of the pool: if the run is
    /// dropped half-way (shutdown, a caller's deadline), closing it releases the lock, where a
    /// pooled connection would carry the lock on to its next user.
    async fn lock_connection(&self) -> Result<PgConnection, ApiError> {
        Ok(self.inner.pool.acquire().await?.detach())
    }

    async fn release(&self, mut lock: PgConnection) {
        let unlocked = sqlx::query("SELECT pg_advisory_unlock(hashtext($1))")
            .bind(self.lock_name())
            .execute(&mut lock)
            .await;
        if let Err(error) = unlocked {
            // Closing the connection below releases the lock anyway.
            tracing::warn!(job = self.name(), %error, "releasing a job's lock failed");
        }
        let _ = lock.close().await;
    }

    fn lock_name(&self) -> String {
        format!("logistics.job.{}", self.inner.name)
    }

    fn count(&self, outcome: Outcome, started: Instant) {
        let attributes = [
            KeyValue::new("job", self.inner.name),
            KeyValue::new("outcome", outcome.as_str()),
        ];
        self.inner.runs.add(1, &attributes);
        if outcome != Outcome::Skipped {
            self.inner
                .duration
                .record(started.elapsed().as_secs_f64(), &attributes[..1]);
        }
    }
}

fn outcome_of<T>(result: &Result<T, ApiError>) -> Outcome {
    if result.is_ok() {
        Outcome::Done
    } else {
        Outcome::Failed
    }
}

/// When a scheduled job runs.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    /// The time between runs, from the end of one to the start of the next, give or take the
    /// jitter.
    pub every: Duration,
    /// The time from start-up to the first run, give or take the jitter. Zero for upkeep the
    /// service needs before it serves; otherwise some delay, so a crash loop never becomes a
    /// sweep loop.
    pub first_after: Duration,
}

impl Schedule {
    /// Every `every`, the first run one period after start.
    pub fn every(every: Duration) -> Self {
        Self {
            every,
            first_after: every,
        }
    }

    /// Every `every`, the first run at start.
    pub fn every_from_start(every: Duration) -> Self {
        Self {
            every,
            first_after: Duration::ZERO,
        }
    }

    /// The same period, the first run `delay` after start.
    pub fn first_after(self, delay: Duration) -> Self {
        Self {
            first_after: delay,
            ..self
        }
    }

    /// `period` with up to 10% taken off or added at random.
    fn jittered(period: Duration) -> Duration {
        let factor = 0.9 + 0.2 * rand::random::<f64>();
        period.mul_f64(factor)
    }
}

/// Runs scheduled jobs until shutdown, and is joined when the service stops.
pub struct JobRunner {
    shutdown: CancellationToken,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

impl JobRunner {
    /// A runner whose jobs stop at `shutdown`.
    pub fn new(shutdown: CancellationToken) -> Self {
        Self {
            shutdown,
            tasks: Mutex::new(Vec::new()),
        }
    }

    /// Runs `work` as `job` on `schedule` until shutdown. A failed run is logged with the job's
    /// name and counted, and the job runs again at its next turn; a run in progress at shutdown
    /// is dropped (jobs commit in batches, so a dropped run leaves every batch whole or undone).
    pub fn schedule<T, F, Fut>(&self, job: Job, schedule: Schedule, work: F)
    where
        T: std::fmt::Debug + Send + 'static,
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<T, ApiError>> + Send + 'static,
    {
        let shutdown = self.shutdown.clone();
        let span = tracing::info_span!("job", job = job.name());
        let task = tokio::spawn(
            async move {
                let mut wait = Schedule::jittered(schedule.first_after);
                loop {
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    // A panicking run must not end the job for the life of the process.
                    let run = AssertUnwindSafe(job.run_if_free(work())).catch_unwind();
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        result = run => match result {
                            Ok(Ok(Some(outcome))) => tracing::debug!(?outcome, "job ran"),
                            Ok(Ok(None)) => tracing::debug!("another replica is running the job"),
                            Ok(Err(error)) => {
                                tracing::warn!(%error, "job failed; it runs again at its next turn")
                            }
                            Err(_) => {
                                job.count(Outcome::Failed, Instant::now());
                                tracing::error!("job panicked; it runs again at its next turn")
                            }
                        },
                    }
                    wait = Schedule::jittered(schedule.every);
                }
            }
            .instrument(span),
        );
        self.tasks
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(task);
    }

    /// Waits for every scheduled job to stop: call after shutdown was signalled.
    pub async fn join(self) {
        let tasks = self
            .tasks
            .into_inner()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for task in tasks {
            if let Err(error) = task.await {
                tracing::error!(%error, "a job's task panicked");
            }
        }
    }
}
