//! The span processor: each span encoded where it ends, sent in batches from a thread of its own.
//!
//! The SDK's batch processor hands every ended span's [`SpanData`] through a channel to its
//! thread, which gathers them in a vector regrown for every batch, has them encoded and frees
//! them there: each span's memory crosses threads twice. This processor encodes the span on the
//! thread that ends it, into the batch being filled ([`EncodedSpans`]), and drops it there; its
//! thread only wraps full batches into requests and sends them.
//!
//! That thread runs the connection to the collector on a Tokio runtime of its own. On the serving
//! runtime, as the SDK's processor has it, every export woke its workers to drive the connection,
//! between the calls they serve. It also runs at a lower priority than they do
//! ([`yield_to_serving`]).
//!
//! It honours the batch processor's standard settings: `OTEL_BSP_SCHEDULE_DELAY` (how long a
//! batch may wait before it is sent, 5,000 ms by default), `OTEL_BSP_MAX_QUEUE_SIZE` (the spans
//! held waiting to be sent, 2,048; more are dropped and counted) and
//! `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` (spans per request, 512, at most the queue's size). A value
//! it cannot use stops the start, naming the variable.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use opentelemetry::Context;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanProcessor};
use tokio::sync::Notify;

use super::span_encoding::{EncodedSpans, SpanEncoder};
use super::span_export::{ExportSettings, OtlpSpanExporter, yield_to_serving};

/// How long [`SpanProcessor::force_flush`] waits for what it flushes to be sent.
const FLUSH_TIMEOUT: Duration = Duration::from_secs(5);

/// How spans are gathered into requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BatchLimits {
    pub(super) schedule_delay: Duration,
    pub(super) max_queue_size: usize,
    pub(super) max_export_batch_size: usize,
}

impl Default for BatchLimits {
    fn default() -> Self {
        Self {
            schedule_delay: Duration::from_millis(5_000),
            max_queue_size: 2_048,
            max_export_batch_size: 512,
        }
    }
}

impl BatchLimits {
    /// The limits the `OTEL_BSP_*` variables set, read through `var` (the environment, in
    /// production); the defaults for those unset.
    pub(super) fn read(var: impl Fn(&str) -> Option<String>) -> anyhow::Result<Self> {
        let number = |name: &str, default: usize, least: usize| -> anyhow::Result<usize> {
            let Some(value) = var(name).filter(|value| !value.trim().is_empty()) else {
                return Ok(default);
            };
            match value.trim().parse::<usize>() {
                Ok(number) if number >= least => Ok(number),
                _ => anyhow::bail!("{name}={value:?}: expected a whole number from {least} up"),
            }
        };
        let defaults = Self::default();
        let schedule_delay = number(
            "OTEL_BSP_SCHEDULE_DELAY",
            defaults.schedule_delay.as_millis() as usize,
            0,
        )?;
        let max_queue_size = number("OTEL_BSP_MAX_QUEUE_SIZE", defaults.max_queue_size, 1)?;
        // As the SDK does: a batch never holds more than the queue.
        let max_export_batch_size = number(
            "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
            defaults.max_export_batch_size,
            1,
        )?
        .min(max_queue_size);
        Ok(Self {
            schedule_delay: Duration::from_millis(schedule_delay as u64),
            max_queue_size,
            max_export_batch_size,
        })
    }
}

/// Encodes spans as they end and sends them in batches to an OTLP collector.
#[derive(Debug)]
pub(super) struct EncodingSpanProcessor {
    queue: Arc<Queue>,
    sender: Mutex<Option<JoinHandle<()>>>,
}

#[derive(Debug)]
struct Queue {
    state: Mutex<State>,
    /// Wakes the sending thread: a batch is full, or a flush or the shutdown is asked for.
    work: Notify,
    /// Wakes those waiting for a flush or the shutdown to be done.
    done: Condvar,
    limits: BatchLimits,
    /// Wraps batches into requests under the resource; set before the first span ends.
    encoder: Mutex<SpanEncoder>,
}

#[derive(Debug, Default)]
struct State {
    /// The batch spans are encoded into as they end.
    filling: EncodedSpans,
    /// Batches full, waiting to be sent.
    full: VecDeque<EncodedSpans>,
    /// Spans in `filling` and `full`: at most the queue's size.
    held: usize,
    /// Spans dropped because the queue was full (the collector slow or away), not yet reported.
    dropped: u64,
    /// Spans dropped since the start, reported at the shutdown.
    dropped_in_all: u64,
    /// Flushes asked for, and those done: a flush is done once every span that ended before it
    /// was asked for has been sent (or failed to be).
    flushes_asked: u64,
    flushes_done: u64,
    /// The last flush's outcome, for those waiting on it.
    flush_failed: bool,
    shutting_down: bool,
    stopped: bool,
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    // A panic while encoding a span leaves the state whole: batches are only ever appended to.
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl EncodingSpanProcessor {
    /// A processor sending to the collector `settings` name, its thread started.
    pub(super) fn new(settings: ExportSettings, limits: BatchLimits) -> anyhow::Result<Self> {
        let queue = Arc::new(Queue {
            state: Mutex::default(),
            work: Notify::new(),
            done: Condvar::new(),
            limits,
            encoder: Mutex::default(),
        });
        let sending = queue.clone();
        let (started, start) = std::sync::mpsc::sync_channel(1);
        let sender = std::thread::Builder::new()
            .name("otlp-spans".into())
            .spawn(move || {
                yield_to_serving();
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build();
                let exporter = runtime.map_err(anyhow::Error::from).and_then(|runtime| {
                    // The connection's task is spawned on the runtime current when it is made.
                    let exporter = OtlpSpanExporter::new(settings, runtime.handle())?;
                    Ok((runtime, exporter))
                });
                match exporter {
                    Ok((runtime, exporter)) => {
                        let _ = started.send(Ok(()));
                        runtime.block_on(sending.send_until_stopped(&exporter));
                    }
                    Err(error) => {
                        let _ = started.send(Err(error));
                    }
                }
            })?;
        start
            .recv()
            .context("the thread sending spans stopped as it started")??;
        Ok(Self {
            queue,
            sender: Mutex::new(Some(sender)),
        })
    }

    /// Spans dropped so far because the queue was full.
    #[cfg(test)]
    fn dropped_in_all(&self) -> u64 {
        lock(&self.queue.state).dropped_in_all
    }
}

impl Queue {
    /// The sending thread: sends each batch once it is full, when the oldest span in the one being
    /// filled has waited the schedule delay, or when a flush asks; until the shutdown.
    async fn send_until_stopped(&self, exporter: &OtlpSpanExporter) {
        // The sending's own work (the gRPC client) must not make spans of its own.
        let _suppressed = Context::enter_telemetry_suppressed_scope();
        let mut last_sent = Instant::now();
        // Spans not sent since sending last worked: a collector that is away is told once, when
        // it goes, and again when it is back, not for every batch in between.
        let mut unsent: u64 = 0;
        loop {
            let due = last_sent + self.limits.schedule_delay;
            let Some(work) = self.take_work(Instant::now() >= due) else {
                // A wake-up given before this waits is kept for it (`Notify` stores one).
                tokio::select! {
                    () = self.work.notified() => {}
                    () = tokio::time::sleep_until(due.into()) => {}
                }
                continue;
            };
            if work.dropped > 0 {
                tracing::warn!(
                    dropped = work.dropped,
                    "telemetry: spans dropped, the collector does not keep up"
                );
            }
            let mut failed = false;
            for batch in work.batches.iter().filter(|batch| batch.len() > 0) {
                let request = lock_encoder(&self.encoder).request(batch);
                match exporter.send(request).await {
                    Ok(()) if unsent > 0 => {
                        tracing::info!(unsent, "telemetry: spans sent again");
                        unsent = 0;
                    }
                    Ok(()) => {}
                    Err(error) => {
                        failed = true;
                        if unsent == 0 {
                            tracing::warn!(
                                error = %error,
                                "telemetry: spans not sent; told again once they are"
                            );
                        }
                        unsent += batch.len() as u64;
                    }
                }
            }
            drop(work.batches);
            last_sent = Instant::now();

            let mut state = lock(&self.state);
            if work.flush != state.flushes_done {
                state.flushes_done = work.flush;
                state.flush_failed = failed;
                self.done.notify_all();
            }
            if work.shutting_down {
                if unsent > 0 {
                    tracing::warn!(unsent, "telemetry: spans not sent before the shutdown");
                }
                if state.dropped_in_all > 0 {
                    tracing::warn!(
                        dropped = state.dropped_in_all,
                        "telemetry: spans dropped since the start, the collector not keeping up"
                    );
                }
                state.stopped = true;
                self.done.notify_all();
                return;
            }
        }
    }

    /// What is to be sent now, taken from the queue: full batches always; the one being filled
    /// when its time is up (`due`), to flush or to shut down. None when there is nothing to do.
    fn take_work(&self, due: bool) -> Option<Work> {
        let mut state = lock(&self.state);
        let flush = state.flushes_asked;
        let flushing = flush != state.flushes_done;
        if state.full.is_empty() && !flushing && !state.shutting_down && !due {
            return None;
        }
        let mut batches: Vec<EncodedSpans> = state.full.drain(..).collect();
        if batches.is_empty() || flushing || state.shutting_down {
            batches.push(std::mem::take(&mut state.filling));
        }
        state.held -= batches.iter().map(EncodedSpans::len).sum::<usize>();
        Some(Work {
            batches,
            flush,
            shutting_down: state.shutting_down,
            dropped: std::mem::take(&mut state.dropped),
        })
    }

    /// Waits, for at most `timeout`, until `finished` says the state is as waited for.
    fn wait_for<'a>(
        &self,
        mut state: MutexGuard<'a, State>,
        timeout: Duration,
        finished: impl Fn(&State) -> bool,
    ) -> Option<MutexGuard<'a, State>> {
        let deadline = Instant::now() + timeout;
        while !finished(&state) {
            let left = deadline.checked_duration_since(Instant::now())?;
            state = self
                .done
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        Some(state)
    }
}

/// Batches taken from the queue to be sent, and what the sending answers.
struct Work {
    batches: Vec<EncodedSpans>,
    /// The flushes asked for until then: done once these batches are sent.
    flush: u64,
    shutting_down: bool,
    /// Spans dropped since the last sending, for its log line.
    dropped: u64,
}

fn lock_encoder(encoder: &Mutex<SpanEncoder>) -> MutexGuard<'_, SpanEncoder> {
    encoder.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SpanProcessor for EncodingSpanProcessor {
    fn on_start(&self, _span: &mut Span, _cx: &Context) {}

    fn on_end(&self, span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        let limits = &self.queue.limits;
        let mut state = lock(&self.queue.state);
        if state.shutting_down {
            return;
        }
        if state.held >= limits.max_queue_size {
            state.dropped += 1;
            state.dropped_in_all += 1;
            return;
        }
        state.filling.push(&span);
        state.held += 1;
        if state.filling.len() >= limits.max_export_batch_size {
            let full = std::mem::take(&mut state.filling);
            state.full.push_back(full);
            self.queue.work.notify_one();
        }
        // `span` is freed here, on the thread that made it, once the lock is let go.
        drop(state);
    }

    fn force_flush(&self) -> OTelSdkResult {
        let mut state = lock(&self.queue.state);
        if state.shutting_down {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        state.flushes_asked += 1;
        let asked = state.flushes_asked;
        self.queue.work.notify_one();
        let state = self
            .queue
            .wait_for(state, FLUSH_TIMEOUT, |state| {
                state.flushes_done >= asked || state.stopped
            })
            .ok_or(OTelSdkError::Timeout(FLUSH_TIMEOUT))?;
        if state.flush_failed {
            return Err(OTelSdkError::InternalFailure(
                "some spans could not be sent".into(),
            ));
        }
        Ok(())
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let mut state = lock(&self.queue.state);
        if state.shutting_down {
            return Err(OTelSdkError::AlreadyShutdown);
        }
        state.shutting_down = true;
        self.queue.work.notify_one();
        let stopped = self
            .queue
            .wait_for(state, timeout, |state| state.stopped)
            .is_some();
        if !stopped {
            return Err(OTelSdkError::Timeout(timeout));
        }
        let sender = self
            .sender
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(sender) = sender {
            // It has returned already; joining only collects the thread.
            let _ = sender.join();
        }
        Ok(())
    }

    fn set_resource(&mut self, resource: &Resource) {
        *lock_encoder(&self.queue.encoder) = SpanEncoder::new(resource);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::{HashMap, HashSet};

    use opentelemetry::trace::{Span as _, Tracer as _, TracerProvider as _};
    use opentelemetry_proto::tonic::common::v1::any_value;
    use opentelemetry_sdk::trace::SdkTracerProvider;

    use super::super::span_encoding::tests::spans;
    use super::super::span_export::ExportSettings;
    use super::super::span_export::tests::Collector;
    use super::*;

    fn limits(schedule_delay_ms: u64, max_queue_size: usize, batch: usize) -> BatchLimits {
        BatchLimits {
            schedule_delay: Duration::from_millis(schedule_delay_ms),
            max_queue_size,
            max_export_batch_size: batch,
        }
    }

    /// A tracer provider whose spans go through the processor to `settings`' collector.
    fn provider(settings: ExportSettings, limits: BatchLimits) -> SdkTracerProvider {
        let processor = EncodingSpanProcessor::new(settings, limits).unwrap();
        SdkTracerProvider::builder()
            .with_span_processor(processor)
            .with_resource(
                Resource::builder_empty()
                    .with_service_name("logistics-test")
                    .build(),
            )
            .build()
    }

    fn end_spans(provider: &SdkTracerProvider, names: impl IntoIterator<Item = String>) {
        let tracer = provider.tracer("tests");
        for name in names {
            tracer.start(name).end();
        }
    }

    /// Waits (up to ten seconds) until the collector holds `count` spans; their names.
    async fn received(collector: &Collector, count: usize) -> Vec<Vec<String>> {
        for _ in 0..200 {
            let names = collector.span_names();
            if names.iter().map(Vec::len).sum::<usize>() >= count {
                return names;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        collector.span_names()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_ended_on_several_threads_arrive_whole_in_batches_of_the_size_set() {
        let (collector, settings) = Collector::start(&[]).await;
        let provider = provider(settings, limits(60_000, 1_000, 10));
        let ending = provider.clone();
        tokio::task::spawn_blocking(move || {
            std::thread::scope(|threads| {
                for thread in 0..4 {
                    let provider = &ending;
                    threads.spawn(move || {
                        end_spans(provider, (0..25).map(|i| format!("span {thread}.{i}")))
                    });
                }
            });
        })
        .await
        .unwrap();

        let requests = received(&collector, 100).await;
        let names: HashSet<&String> = requests.iter().flatten().collect();
        assert_eq!(names.len(), 100, "every span, once");
        assert_eq!(requests.iter().flatten().count(), 100);
        assert!(requests.iter().all(|request| request.len() == 10));
        let service = {
            let received = collector.0.lock().unwrap();
            let resource = received[0].request.resource_spans[0].resource.as_ref();
            resource.unwrap().attributes[0].clone()
        };
        assert_eq!(service.key, "service.name");
        assert_eq!(
            service.value.unwrap().value,
            Some(any_value::Value::StringValue("logistics-test".into()))
        );
        tokio::task::spawn_blocking(move || provider.shutdown().unwrap())
            .await
            .unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_batch_not_full_leaves_once_its_delay_is_up() {
        let (collector, settings) = Collector::start(&[]).await;
        let provider = provider(settings, limits(50, 2_048, 512));
        end_spans(&provider, ["a".into(), "b".into(), "c".into()]);

        let requests = received(&collector, 3).await;
        assert_eq!(requests, [["a", "b", "c"]]);
        tokio::task::spawn_blocking(move || provider.shutdown().unwrap())
            .await
            .unwrap();
    }

    #[test]
    fn spans_leave_with_no_runtime_of_the_callers_own() {
        // The collector on a runtime of its own; the spans end and are flushed on a thread that
        // has none, as a serving runtime's workers busy with calls have none to spare.
        let collector_runtime = tokio::runtime::Runtime::new().unwrap();
        let (collector, settings) = collector_runtime.block_on(Collector::start(&[]));
        let provider = provider(settings, limits(60_000, 2_048, 512));
        end_spans(&provider, ["a".into(), "b".into()]);
        provider.force_flush().unwrap();
        assert_eq!(collector.span_names(), [["a", "b"]]);
        provider.shutdown().unwrap();
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_flush_sends_the_batch_being_filled_and_the_shutdown_what_is_left() {
        let (collector, settings) = Collector::start(&[]).await;
        let provider = provider(settings, limits(60_000, 2_048, 512));
        end_spans(&provider, ["a".into(), "b".into()]);
        let flushing = provider.clone();
        tokio::task::spawn_blocking(move || flushing.force_flush().unwrap())
            .await
            .unwrap();
        assert_eq!(collector.span_names(), [["a", "b"]], "sent by the flush");

        end_spans(&provider, ["c".into()]);
        tokio::task::spawn_blocking(move || provider.shutdown().unwrap())
            .await
            .unwrap();
        assert_eq!(collector.span_names(), [vec!["a", "b"], vec!["c"]]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn spans_beyond_the_queue_are_dropped_and_counted_while_the_collector_hangs() {
        // A listener that takes connections and never answers: each send waits its timeout.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let address = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let held: Vec<_> = listener.incoming().collect();
            drop(held);
        });
        let vars: HashMap<&str, &str> = HashMap::from([("OTEL_EXPORTER_OTLP_TIMEOUT", "500")]);
        let settings = ExportSettings::read(&format!("http://{address}"), |name| {
            vars.get(name).map(|value| value.to_string())
        })
        .unwrap();
        let processor = EncodingSpanProcessor::new(settings, limits(60_000, 4, 2)).unwrap();
        for span in std::iter::repeat_with(spans).flatten().take(50) {
            processor.on_end(span);
        }

        // At most the queue (4) and two batches taken to be sent are kept; the rest are dropped
        // without waiting for the collector.
        assert!(
            processor.dropped_in_all() >= 50 - 8,
            "dropped {}",
            processor.dropped_in_all()
        );
        // Each send left waits out its timeout (500 ms).
        tokio::task::spawn_blocking(move || processor.shutdown())
            .await
            .unwrap()
            .unwrap();
    }

    #[test]
    fn batch_limits_come_from_the_standard_variables_a_batch_never_larger_than_the_queue() {
        let read = |vars: &[(&str, &str)]| {
            let vars: HashMap<&str, &str> = vars.iter().copied().collect();
            BatchLimits::read(|name| vars.get(name).map(|value| value.to_string()))
        };
        assert_eq!(read(&[]).unwrap(), BatchLimits::default());
        assert_eq!(
            read(&[
                ("OTEL_BSP_SCHEDULE_DELAY", "250"),
                ("OTEL_BSP_MAX_QUEUE_SIZE", "100"),
                ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096"),
            ])
            .unwrap(),
            limits(250, 100, 100)
        );
        for (name, value) in [
            ("OTEL_BSP_SCHEDULE_DELAY", "5s"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "0"),
            ("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "-1"),
            ("OTEL_BSP_MAX_QUEUE_SIZE", "99999999999999999999999"),
        ] {
            let error = read(&[(name, value)]).unwrap_err().to_string();
            assert!(error.contains(name), "{error}");
        }
    }
}
