//! What a load run measured, as a ghz user reads it: the summary (count, total, slowest, fastest,
//! average, requests/s), a response-time histogram, the latency distribution and the status codes,
//! as text or as one JSON object in ghz's report shape (durations in nanoseconds). The statistics
//! live here, apart from the runner, so they can be checked without a server.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

/// The percentages of the latency distribution, ghz's.
pub const PERCENTAGES: [u64; 7] = [10, 25, 50, 75, 90, 95, 99];

/// Buckets of the response-time histogram after the first (which holds the fastest calls), as ghz.
const HISTOGRAM_BUCKETS: u64 = 10;

/// Longest example error message kept per status code: messages may carry whole requests.
const EXAMPLE_MESSAGE_CHARS: usize = 200;

/// The calls of the measured span, as the workers saw them; merged into one before reporting.
#[derive(Debug, Default)]
pub struct Outcomes {
    /// Latency of every successful call, in microseconds.
    pub ok_latencies_us: Vec<u32>,
    /// The failed calls by status code name (`Unavailable`, ...).
    pub errors: BTreeMap<String, Failures>,
    /// Events accepted by RecordTrackingEvents calls.
    pub events_accepted: u64,
    /// Events refused by RecordTrackingEvents calls.
    pub events_refused: u64,
}

/// The failed calls of one status code.
#[derive(Debug, Default, Clone)]
pub struct Failures {
    /// How many.
    pub count: u64,
    /// Their latencies added up, in microseconds (ghz's average counts failed calls too).
    pub latency_us: u64,
    /// The message of the first one, as an example.
    pub example: String,
}

impl Outcomes {
    /// A successful call that took `latency_us`.
    pub fn ok(&mut self, latency_us: u32) {
        self.ok_latencies_us.push(latency_us);
    }

    /// A failed call: counted under its code, its message kept if it is the code's first.
    pub fn failed(&mut self, code: tonic::Code, message: &str, latency_us: u32) {
        let failures = self.errors.entry(format!("{code:?}")).or_default();
        if failures.count == 0 {
            failures.example = example_message(message);
        }
        failures.count += 1;
        failures.latency_us += u64::from(latency_us);
    }

    /// Adds another worker's outcomes to these.
    pub fn merge(&mut self, other: Self) {
        self.ok_latencies_us.extend(other.ok_latencies_us);
        self.events_accepted += other.events_accepted;
        self.events_refused += other.events_refused;
        for (code, theirs) in other.errors {
            let ours = self.errors.entry(code).or_default();
            if ours.count == 0 {
                ours.example = theirs.example;
            }
            ours.count += theirs.count;
            ours.latency_us += theirs.latency_us;
        }
    }
}

/// One line, printable characters only, bounded: a message as an example of its code.
fn example_message(message: &str) -> String {
    message
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(EXAMPLE_MESSAGE_CHARS)
        .collect()
}

/// What the run was, besides its outcomes.
#[derive(Debug, Clone)]
pub struct RunInfo {
    /// The call's name as `--call` spells it.
    pub call: String,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// HTTP/2 connections.
    pub connections: usize,
    /// The measured span asked for, in seconds.
    pub seconds: u64,
    /// Warm-up before it, in seconds.
    pub warmup_seconds: u64,
    /// How long the measured span really took, until the last call answered, in nanoseconds.
    pub total_ns: u64,
    /// Events per RecordTrackingEvents call, for that call only.
    pub batch: Option<usize>,
}

/// CPU time per successful call while measuring (`--server-pid`), in microseconds.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CpuPerCall {
    /// The server process.
    pub server_us_per_call: f64,
    /// Its descendants: the embedded PostgreSQL of `logistics up`.
    pub postgres_us_per_call: f64,
    /// This load generator.
    pub load_generator_us_per_call: f64,
}

/// A bucket of the response-time histogram (ghz: the calls up to `mark`, after the previous one).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Bucket {
    /// Upper end of the bucket, in seconds.
    pub mark: f64,
    /// Successful calls in it.
    pub count: u64,
    /// Its share of the successful calls, 0 to 1.
    pub frequency: f64,
}

/// A point of the latency distribution.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LatencyPoint {
    /// Percentage of successful calls at or under `latency`.
    pub percentage: u64,
    /// In nanoseconds.
    pub latency: u64,
}

/// The report: ghz's fields (durations in nanoseconds), then ours.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The call, as `--call` spells it.
    pub call: String,
    /// Calls in flight at once.
    pub concurrency: usize,
    /// HTTP/2 connections.
    pub connections: usize,
    /// The measured span asked for, in seconds.
    pub seconds: u64,
    /// Warm-up before it, in seconds (not counted).
    pub warmup_seconds: u64,
    /// Calls completed while measuring, successful or not.
    pub count: u64,
    /// The measured span, until the last call answered.
    pub total: u64,
    /// Mean latency of all counted calls.
    pub average: u64,
    /// Fastest successful call.
    pub fastest: u64,
    /// Slowest successful call.
    pub slowest: u64,
    /// `count` per second of `total`.
    pub rps: f64,
    /// Response times of the successful calls.
    pub histogram: Vec<Bucket>,
    /// Nearest-rank percentiles of the successful calls' latencies.
    pub latency_distribution: Vec<LatencyPoint>,
    /// Calls by status code name (`OK`, `Unavailable`, ...).
    pub status_code_distribution: BTreeMap<String, u64>,
    /// Failed calls by `rpc error: code = <code> desc = <the code's first message>`: grouped by
    /// code, unlike ghz which groups by exact message (ours may carry ids, one per call).
    pub error_distribution: BTreeMap<String, u64>,
    /// Events accepted per second of `total` (RecordTrackingEvents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_per_second: Option<f64>,
    /// Events accepted (RecordTrackingEvents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_accepted: Option<u64>,
    /// Events refused (RecordTrackingEvents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events_refused: Option<u64>,
    /// Events per call (RecordTrackingEvents).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch: Option<usize>,
    /// CPU time per successful call (`--server-pid`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu: Option<CpuPerCall>,
    /// Reporting's lag behind the orders feed while measuring (`--projection-lag`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub projection_lag: Option<Lag>,
}

/// Reporting's lag behind the orders feed: the age of the newest event it had applied, sampled.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Lag {
    /// How many times it was looked at.
    pub samples: usize,
    /// Median age, in milliseconds.
    pub p50_ms: u32,
    /// 99th percentile (nearest rank), in milliseconds.
    pub p99_ms: u32,
    /// Oldest seen, in milliseconds.
    pub max_ms: u32,
}

/// The nearest-rank percentile `percentage` of sorted `values`: the smallest value with at least
/// that share of the values at or under it (the rule `logistics load` has always used).
pub fn nearest_rank(sorted: &[u32], percentage: u64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    let n = sorted.len() as u64;
    let rank = (n * percentage).div_ceil(100).clamp(1, n);
    sorted[(rank - 1) as usize]
}

/// ghz's histogram: a first bucket at the fastest, then ten of equal width up to the slowest.
fn histogram(sorted: &[u32]) -> Vec<Bucket> {
    let (Some(&fastest), Some(&slowest)) = (sorted.first(), sorted.last()) else {
        return Vec::new();
    };
    let width = f64::from(slowest - fastest) / HISTOGRAM_BUCKETS as f64;
    let marks_us: Vec<f64> = (0..=HISTOGRAM_BUCKETS)
        .map(|i| {
            if i == HISTOGRAM_BUCKETS {
                f64::from(slowest)
            } else {
                f64::from(fastest) + width * i as f64
            }
        })
        .collect();
    let mut counts = vec![0u64; marks_us.len()];
    let mut bucket = 0;
    for &latency in sorted {
        while f64::from(latency) > marks_us[bucket] && bucket < marks_us.len() - 1 {
            bucket += 1;
        }
        counts[bucket] += 1;
    }
    marks_us
        .iter()
        .zip(counts)
        .map(|(mark_us, count)| Bucket {
            mark: mark_us / 1e6,
            count,
            frequency: count as f64 / sorted.len() as f64,
        })
        .collect()
}

impl Report {
    /// The report of `outcomes`.
    pub fn new(info: RunInfo, mut outcomes: Outcomes, cpu: Option<CpuPerCall>) -> Self {
        outcomes.ok_latencies_us.sort_unstable();
        let sorted = &outcomes.ok_latencies_us;
        let ok = sorted.len() as u64;
        let failed: u64 = outcomes.errors.values().map(|f| f.count).sum();
        let count = ok + failed;
        let latency_sum_us: u64 = sorted.iter().map(|&l| u64::from(l)).sum::<u64>()
            + outcomes.errors.values().map(|f| f.latency_us).sum::<u64>();
        let total_seconds = info.total_ns as f64 / 1e9;
        let per_second = |n: u64| {
            if total_seconds > 0.0 {
                n as f64 / total_seconds
            } else {
                0.0
            }
        };
        let mut status_code_distribution = BTreeMap::new();
        if ok > 0 {
            status_code_distribution.insert("OK".to_owned(), ok);
        }
        let mut error_distribution = BTreeMap::new();
        for (code, failures) in &outcomes.errors {
            status_code_distribution.insert(code.clone(), failures.count);
            error_distribution.insert(
                format!("rpc error: code = {code} desc = {}", failures.example),
                failures.count,
            );
        }
        let events = info.batch.is_some();
        Self {
            concurrency: info.concurrency,
            connections: info.connections,
            seconds: info.seconds,
            warmup_seconds: info.warmup_seconds,
            count,
            total: info.total_ns,
            average: (latency_sum_us * 1000).checked_div(count).unwrap_or(0),
            fastest: u64::from(sorted.first().copied().unwrap_or(0)) * 1000,
            slowest: u64::from(sorted.last().copied().unwrap_or(0)) * 1000,
            rps: per_second(count),
            histogram: histogram(sorted),
            latency_distribution: if sorted.is_empty() {
                Vec::new()
            } else {
                PERCENTAGES
                    .iter()
                    .map(|&percentage| LatencyPoint {
                        percentage,
                        latency: u64::from(nearest_rank(sorted, percentage)) * 1000,
                    })
                    .collect()
            },
            status_code_distribution,
            error_distribution,
            events_per_second: events.then(|| per_second(outcomes.events_accepted)),
            events_accepted: events.then_some(outcomes.events_accepted),
            events_refused: events.then_some(outcomes.events_refused),
            batch: info.batch,
            cpu,
            projection_lag: None,
            call: info.call,
        }
    }

    /// Successful calls.
    pub fn ok(&self) -> u64 {
        self.status_code_distribution
            .get("OK")
            .copied()
            .unwrap_or(0)
    }

    /// The line `deploy/bench/*.sh` parse, as `logistics load` has always printed it: successful
    /// calls per second of the span asked for, nearest-rank p50/p90/p99 and max in ms.
    pub fn one_line(&self) -> String {
        let ms = |percentage: u64| {
            let ns = self
                .latency_distribution
                .iter()
                .find(|point| point.percentage == percentage)
                .map_or(self.slowest, |point| point.latency);
            ns as f64 / 1e6
        };
        format!(
            "{} x{} over {} connection(s), {} s: {} ok, {:.0} calls/s, latency ms p50 {:.2} p90 {:.2} p99 {:.2} max {:.2}",
            self.call,
            self.concurrency,
            self.connections,
            self.seconds,
            self.ok(),
            self.ok() as f64 / self.seconds.max(1) as f64,
            ms(50),
            ms(90),
            ms(99),
            ms(100),
        )
    }

    /// ghz's summary text, then the events and CPU lines of the calls that have them.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Summary:");
        let _ = writeln!(out, "  Count:        {}", self.count);
        let _ = writeln!(out, "  Total:        {}", duration(self.total));
        let _ = writeln!(out, "  Slowest:      {}", duration(self.slowest));
        let _ = writeln!(out, "  Fastest:      {}", duration(self.fastest));
        let _ = writeln!(out, "  Average:      {}", duration(self.average));
        let _ = writeln!(out, "  Requests/sec: {:.2}", self.rps);
        if !self.histogram.is_empty() {
            let _ = writeln!(out, "\nResponse time histogram:");
            let most = self.histogram.iter().map(|b| b.count).max().unwrap_or(1);
            for bucket in &self.histogram {
                // Bars of up to 40 marks; a non-empty bucket shows at least one.
                let bar = (bucket.count * 40).div_ceil(most.max(1)) as usize;
                let _ = writeln!(
                    out,
                    "  {:>9.3} [{}]\t|{}",
                    bucket.mark * 1000.0,
                    bucket.count,
                    "∎".repeat(bar)
                );
            }
            let _ = writeln!(out, "\nLatency distribution:");
            for point in &self.latency_distribution {
                let _ = writeln!(
                    out,
                    "  {}% in {}",
                    point.percentage,
                    duration(point.latency)
                );
            }
        }
        let _ = writeln!(out, "\nStatus code distribution:");
        // OK first, as ghz lists it, then the failures by code name.
        let (ok, failed): (Vec<_>, Vec<_>) = self
            .status_code_distribution
            .iter()
            .partition(|(code, _)| code.as_str() == "OK");
        // Wide enough for the longest code named, `[FailedPrecondition]` at most.
        let width = self
            .status_code_distribution
            .keys()
            .map(|code| code.len() + 3)
            .max()
            .unwrap_or_default()
            .max(18);
        for (code, count) in ok.into_iter().chain(failed) {
            let _ = writeln!(out, "  {:<width$}{count} responses", format!("[{code}]"));
        }
        if !self.error_distribution.is_empty() {
            let _ = writeln!(out, "\nError distribution:");
            for (error, count) in &self.error_distribution {
                let _ = writeln!(out, "  [{count}]\t{error}");
            }
        }
        if self.events_accepted.is_some() || self.cpu.is_some() || self.projection_lag.is_some() {
            out.push('\n');
        }
        if let (Some(accepted), Some(per_second)) = (self.events_accepted, self.events_per_second) {
            let _ = writeln!(
                out,
                "  events: {accepted} accepted, {per_second:.0} events/s, {} refused (batches of {})",
                self.events_refused.unwrap_or(0),
                self.batch.unwrap_or(0),
            );
        }
        if let Some(lag) = self.projection_lag {
            let _ = writeln!(
                out,
                "  projection lag (orders feed at reporting): p50 {} ms, p99 {} ms, max {} ms ({} samples)",
                lag.p50_ms, lag.p99_ms, lag.max_ms, lag.samples,
            );
        }
        if let Some(cpu) = self.cpu {
            let _ = writeln!(
                out,
                "  cpu: server {:.1} us/call, its PostgreSQL {:.1} us/call, load generator {:.1} us/call",
                cpu.server_us_per_call, cpu.postgres_us_per_call, cpu.load_generator_us_per_call,
            );
        }
        out
    }
}

/// A duration in nanoseconds as ghz prints it: ms under a second, else s.
fn duration(ns: u64) -> String {
    if ns < 1_000_000_000 {
        format!("{:.2} ms", ns as f64 / 1e6)
    } else {
        format!("{:.2} s", ns as f64 / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(total_ns: u64) -> RunInfo {
        RunInfo {
            call: "get-tracking".to_owned(),
            concurrency: 4,
            connections: 1,
            seconds: 2,
            warmup_seconds: 0,
            total_ns,
            batch: None,
        }
    }

    /// 1..=200 ms, shuffled by stepping through them 7 at a time (7 and 200 are coprime), with 3
    /// Unavailable and 1 InvalidArgument failures.
    fn outcomes() -> Outcomes {
        let mut outcomes = Outcomes::default();
        for i in 0..200u32 {
            outcomes.ok((i * 7 % 200 + 1) * 1000);
        }
        outcomes.failed(tonic::Code::Unavailable, "peer went away", 10_000);
        let mut other = Outcomes::default();
        other.failed(tonic::Code::Unavailable, "second message", 20_000);
        other.failed(tonic::Code::Unavailable, "third message", 30_000);
        other.failed(tonic::Code::InvalidArgument, "bad\nfield", 4_000);
        outcomes.merge(other);
        outcomes
    }

    #[test]
    fn the_json_report_has_the_nearest_rank_percentiles_and_the_status_counts_of_known_latencies() {
        let report = Report::new(info(2_000_000_000), outcomes(), None);
        let json: serde_json::Value =
            serde_json::from_str(&serde_json::to_string(&report).unwrap()).unwrap();

        // 200 successes of 1..=200 ms: the nearest rank of p% is ceil(200 * p / 100), whose
        // latency is that many ms.
        let expected_ms = [
            (10, 20),
            (25, 50),
            (50, 100),
            (75, 150),
            (90, 180),
            (95, 190),
            (99, 198),
        ];
        let distribution = json["latencyDistribution"].as_array().unwrap();
        assert_eq!(distribution.len(), expected_ms.len());
        for (point, (percentage, ms)) in distribution.iter().zip(expected_ms) {
            assert_eq!(point["percentage"], percentage);
            assert_eq!(point["latency"], ms * 1_000_000u64, "p{percentage}");
        }

        assert_eq!(json["count"], 204);
        assert_eq!(json["statusCodeDistribution"]["OK"], 200);
        assert_eq!(json["statusCodeDistribution"]["Unavailable"], 3);
        assert_eq!(json["statusCodeDistribution"]["InvalidArgument"], 1);
        // One example message per code, the first seen, on one line.
        assert_eq!(
            json["errorDistribution"]["rpc error: code = Unavailable desc = peer went away"],
            3
        );
        assert_eq!(
            json["errorDistribution"]["rpc error: code = InvalidArgument desc = bad field"],
            1
        );
        assert_eq!(json["errorDistribution"].as_object().unwrap().len(), 2);

        assert_eq!(json["fastest"], 1_000_000);
        assert_eq!(json["slowest"], 200_000_000);
        assert_eq!(json["total"], 2_000_000_000u64);
        // (1 + ... + 200) ms = 20,100 ms, plus 10 + 20 + 30 + 4 ms of failures, over 204 calls.
        assert_eq!(json["average"], (20_100u64 + 64) * 1_000_000 / 204);
        assert_eq!(json["rps"], 102.0);
        assert_eq!(json["call"], "get-tracking");
        assert_eq!(json["concurrency"], 4);
        assert!(json.get("eventsPerSecond").is_none());
        assert!(json.get("cpu").is_none());
    }

    #[test]
    fn the_histogram_puts_every_success_in_one_of_eleven_buckets_from_fastest_to_slowest() {
        let report = Report::new(info(1_000_000_000), outcomes(), None);
        let buckets = &report.histogram;
        assert_eq!(buckets.len(), 11);
        assert_eq!(buckets[0].mark, 0.001);
        assert_eq!(buckets[10].mark, 0.2);
        // Width (200 - 1) / 10 = 19.9 ms: the first bucket holds the 1 ms call, the next ones
        // the calls up to 20.9 ms (2..=20), up to 40.8 ms (21..=40), ...
        let counts: Vec<u64> = buckets.iter().map(|b| b.count).collect();
        assert_eq!(counts, [1, 19, 20, 20, 20, 20, 20, 20, 20, 20, 20]);
        assert_eq!(counts.iter().sum::<u64>(), 200);
    }

    #[test]
    fn the_summary_keeps_the_line_the_bench_scripts_parse_and_shows_each_code() {
        let report = Report::new(info(2_000_000_000), outcomes(), None);
        assert_eq!(
            report.one_line(),
            "get-tracking x4 over 1 connection(s), 2 s: 200 ok, 100 calls/s, latency ms p50 100.00 p90 180.00 p99 198.00 max 200.00"
        );
        let summary = report.summary();
        assert!(summary.contains("  Count:        204\n"), "{summary}");
        assert!(
            summary.contains("  [OK]              200 responses\n"),
            "{summary}"
        );
        assert!(
            summary.contains(
                "  [OK]              200 responses\n  [InvalidArgument] 1 responses\n  [Unavailable]     3 responses\n"
            ),
            "{summary}"
        );
        assert!(summary.contains("  50% in 100.00 ms\n"), "{summary}");
        assert!(summary.contains("[3]\trpc error: code = Unavailable desc = peer went away"));
    }

    #[test]
    fn the_longest_code_names_keep_a_space_before_their_counts() {
        let mut outcomes = outcomes();
        outcomes.failed(tonic::Code::FailedPrecondition, "not now", 1_000);
        outcomes.failed(tonic::Code::ResourceExhausted, "slow down", 1_000);
        let summary = Report::new(info(2_000_000_000), outcomes, None).summary();
        assert!(
            summary.contains(
                "  [OK]                 200 responses\n  [FailedPrecondition] 1 responses\n"
            ),
            "{summary}"
        );
        assert!(
            summary.contains("  [ResourceExhausted]  1 responses\n"),
            "{summary}"
        );
    }

    #[test]
    fn an_empty_run_reports_zeros_instead_of_dividing_by_zero() {
        let report = Report::new(info(0), Outcomes::default(), None);
        assert_eq!((report.count, report.average, report.rps), (0, 0, 0.0));
        assert!(report.histogram.is_empty() && report.latency_distribution.is_empty());
        assert_eq!(nearest_rank(&[], 50), 0);
        assert!(report.summary().contains("Count:        0"));
    }
}
