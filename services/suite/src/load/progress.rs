//! The progress bar of a load run: warm-up, then the measured span, with the time elapsed and
//! left, the calls so far and the current rate. Drawn on stderr only when stderr is a terminal, so
//! scripts and CI logs get the report alone.
//!
//! The workers only add 1 to a shared counter (relaxed: the bar needs no ordering with anything);
//! a ticker task reads it a few times a second, so the bar costs the measured calls nothing more.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How often the ticker redraws.
const TICK: Duration = Duration::from_millis(200);

/// The window of the current rate.
const RATE_WINDOW: Duration = Duration::from_secs(1);

/// A running bar: the counter the workers add to, and the ticker drawing it.
pub struct Progress {
    /// Calls answered so far, warm-up included.
    pub calls: Arc<AtomicU64>,
    ticker: tokio::task::JoinHandle<()>,
}

impl Progress {
    /// Starts the bar for a run with its warm-up ending at `warmup_end` and measuring ending at
    /// `end`; `None` when asked not to or when stderr is no terminal (indicatif's stderr target
    /// is hidden then, and nothing would be drawn).
    pub fn start(enabled: bool, warmup_end: Instant, end: Instant) -> Option<Self> {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if !enabled || bar.is_hidden() {
            return None;
        }
        bar.set_style(
            ProgressStyle::with_template("{prefix:>9} [{bar:24}] {wide_msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        let calls = Arc::new(AtomicU64::new(0));
        let ticker = tokio::spawn(tick(bar, Arc::clone(&calls), warmup_end, end));
        Some(Self { calls, ticker })
    }

    /// Waits for the bar to clear itself (at the end of the measured span).
    pub async fn finish(self) {
        let _ = self.ticker.await;
    }
}

/// Redraws the bar until `end`, then clears it.
async fn tick(bar: ProgressBar, calls: Arc<AtomicU64>, warmup_end: Instant, end: Instant) {
    let started = Instant::now();
    let mut measuring = None;
    let mut phase_start = started;
    let mut phase_calls = 0;
    let mut samples: VecDeque<(Instant, u64)> = VecDeque::new();
    let mut interval = tokio::time::interval(TICK);
    loop {
        interval.tick().await;
        let now = Instant::now();
        let so_far = calls.load(Ordering::Relaxed);
        if now >= end {
            break;
        }
        let is_measuring = now >= warmup_end;
        if measuring != Some(is_measuring) {
            measuring = Some(is_measuring);
            let (from, to, prefix) = if is_measuring {
                (warmup_end.max(started), end, "measuring")
            } else {
                (started, warmup_end, "warm-up")
            };
            phase_start = from;
            phase_calls = so_far;
            bar.set_prefix(prefix);
            bar.set_message("");
            bar.set_length(to.saturating_duration_since(from).as_millis() as u64);
            bar.reset();
        }
        samples.push_back((now, so_far));
        while samples
            .front()
            .is_some_and(|&(at, _)| now.duration_since(at) > RATE_WINDOW)
        {
            samples.pop_front();
        }
        let rate = match samples.front() {
            Some(&(at, then)) if now > at => {
                (so_far - then) as f64 / now.duration_since(at).as_secs_f64()
            }
            _ => 0.0,
        };
        let elapsed = now.saturating_duration_since(phase_start);
        let length = Duration::from_millis(bar.length().unwrap_or(0));
        bar.set_position(elapsed.as_millis() as u64);
        // Short enough for an 80-column terminal: a longer line would wrap and redraw badly.
        bar.set_message(format!(
            "{:.1} s, {:.1} s left, {} calls, {:.0}/s",
            elapsed.as_secs_f64(),
            length.saturating_sub(elapsed).as_secs_f64(),
            so_far - phase_calls,
            rate,
        ));
    }
    bar.finish_and_clear();
}
