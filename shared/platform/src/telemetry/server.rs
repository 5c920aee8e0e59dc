//! The SERVER span, status and duration of every incoming RPC, after the OpenTelemetry RPC and
//! gRPC semantic conventions (<https://opentelemetry.io/docs/specs/semconv/rpc/grpc/>).

use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use opentelemetry::context::FutureExt as _;
use opentelemetry::metrics::{BoundHistogram, Histogram};
use opentelemetry::trace::{SpanKind, Status, TraceContextExt as _, Tracer as _};
use opentelemetry::{KeyValue, global};
use prost::Message as _;

use super::log_lines::RpcCall;
use super::{HeaderExtractor, ServiceTelemetry, split_grpc_path, status_in_headers};

/// What a service or method the server does not serve is recorded as: anyone may call any path,
/// and each path named as called would be a new metric series and span name, without bound.
pub const OTHER: &str = "_OTHER";

/// The gRPC codes for which a server span's status is ERROR; the others are the caller's doing
/// (a bad argument, a missing customer, a cancelled call) and leave it unset.
const SERVER_ERRORS: [i64; 6] = [
    2,  // UNKNOWN
    4,  // DEADLINE_EXCEEDED
    12, // UNIMPLEMENTED
    13, // INTERNAL
    14, // UNAVAILABLE
    15, // DATA_LOSS
];
const CANCELLED: i64 = 1;
const DEADLINE_EXCEEDED: i64 = 4;

/// How close to the deadline this layer computes a dropped call must be to count as cut by it.
///
/// The caller's clock starts before ours, by however long its request takes to reach this layer
/// (15 ms was seen on a loaded machine), and its reset at its own deadline drops the call that
/// much before ours. So the last tenth of the time allowed counts: never less than tonic's
/// millisecond tick, never more than a second, which a caller cancelling on its own rarely hits.
fn deadline_slack(allowed: Duration) -> Duration {
    (allowed / 10).clamp(Duration::from_millis(5), Duration::from_secs(1))
}

/// `name` for as long as the process runs, one copy per distinct name: a span's name and
/// attributes borrowed rather than copied (or reference-counted) into every span and point, and
/// out again in the exporter. The names are the services and methods servers serve, a bounded set.
fn interned(name: &str) -> &'static str {
    static NAMES: Mutex<BTreeSet<&'static str>> = Mutex::new(BTreeSet::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(known) = names.get(name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into());
    names.insert(leaked);
    leaked
}

/// A method as telemetry names it.
#[derive(Debug)]
struct Named {
    span_name: &'static str,
    service: &'static str,
    method: &'static str,
}

/// What telemetry keeps per method, found by the path a call names.
#[derive(Debug)]
struct ByPath<T> {
    methods: HashMap<Box<str>, T>,
    /// For a method a served service does not have: the service is still a bounded name.
    services: HashMap<Box<str>, T>,
    /// For a service the server does not serve.
    other: T,
}

impl<T> ByPath<T> {
    fn get(&self, path: &str) -> &T {
        self.methods.get(path).unwrap_or_else(|| {
            self.services
                .get(split_grpc_path(path).0)
                .unwrap_or(&self.other)
        })
    }

    fn map<U>(&self, f: impl Fn(&T) -> U) -> ByPath<U> {
        let map_values = |values: &HashMap<Box<str>, T>| {
            values
                .iter()
                .map(|(key, value)| (key.clone(), f(value)))
                .collect()
        };
        ByPath {
            methods: map_values(&self.methods),
            services: map_values(&self.services),
            other: f(&self.other),
        }
    }
}

/// The methods a server serves, by path (`/package.Service/Method`): the only names telemetry
/// records; every other service or method is [`OTHER`].
#[derive(Debug, Clone)]
pub struct KnownMethods {
    names: Arc<ByPath<Named>>,
}

impl KnownMethods {
    /// The methods of `services` (full names, e.g. `logistics.customers.v1.CustomerService`) that
    /// the encoded `FileDescriptorSet`s describe, and the methods `paths` name.
    pub fn new<'a>(
        descriptor_sets: &[&[u8]],
        services: &[&str],
        paths: impl IntoIterator<Item = &'a str>,
    ) -> anyhow::Result<Self> {
        let mut described = Vec::new();
        for encoded in descriptor_sets {
            let set = prost_types::FileDescriptorSet::decode(*encoded)?;
            for file in &set.file {
                for service in &file.service {
                    let full = match file.package() {
                        "" => service.name().to_owned(),
                        package => format!("{package}.{}", service.name()),
                    };
                    if services.contains(&full.as_str()) {
                        described.extend(
                            service
                                .method
                                .iter()
                                .map(|method| format!("/{full}/{}", method.name())),
                        );
                    }
                }
            }
        }
        let mut methods = HashMap::new();
        let mut service_names: HashMap<Box<str>, &'static str> = HashMap::new();
        let paths = paths.into_iter().map(str::to_owned);
        for path in described.into_iter().chain(paths) {
            let (service, method) = split_grpc_path(&path);
            if method.is_empty() || !path.starts_with('/') {
                continue;
            }
            let service = *service_names
                .entry(service.into())
                .or_insert_with(|| interned(service));
            let named = Named {
                span_name: interned(path.trim_start_matches('/')),
                service,
                method: interned(method),
            };
            methods.insert(path.as_str().into(), named);
        }
        let services = service_names
            .into_iter()
            .map(|(path_part, service)| {
                let named = Named {
                    span_name: OTHER,
                    service,
                    method: OTHER,
                };
                (path_part, named)
            })
            .collect();
        let other = Named {
            span_name: OTHER,
            service: OTHER,
            method: OTHER,
        };
        Ok(Self {
            names: Arc::new(ByPath {
                methods,
                services,
                other,
            }),
        })
    }
}

/// The gRPC status codes, OK (0) to UNAUTHENTICATED (16): the duration histogram is bound to
/// each method and code a call ends with.
const GRPC_CODES: usize = 17;

/// What every call of one method starts from, made once: its span name, its attributes and the
/// contexts its spans are parented in (a context value made per call cost an allocation, a map
/// and three reference counts).
struct MethodTelemetry {
    span_name: &'static str,
    /// `rpc.system`, `rpc.service` and `rpc.method`, on the span and on the duration's point.
    attributes: [KeyValue; 3],
    /// The service's context naming the call, for calls whose lines are logged.
    logged: opentelemetry::Context,
    /// The service's context alone.
    quiet: opentelemetry::Context,
    /// The duration histogram.
    duration: Histogram<f64>,
    /// The duration histogram bound to this method's attributes and each code, bound at the
    /// code's first call (a bound code is a series from then on). Recording through the bound
    /// instrument skips sorting and hashing the attributes for every point: about 0.6 µs a
    /// call, by the profile.
    durations: [OnceLock<BoundHistogram<f64>>; GRPC_CODES],
}

impl MethodTelemetry {
    fn new(service: &ServiceTelemetry, named: &Named, duration: &Histogram<f64>) -> Self {
        let call = RpcCall {
            service: named.service,
            method: named.method,
        };
        let empty = opentelemetry::Context::new();
        Self {
            span_name: named.span_name,
            attributes: [
                KeyValue::new("rpc.system", "grpc"),
                KeyValue::new("rpc.service", named.service),
                KeyValue::new("rpc.method", named.method),
            ],
            logged: service.call_context(empty.clone(), call),
            quiet: service.context(empty),
            duration: duration.clone(),
            durations: Default::default(),
        }
    }

    /// Adds a call of `elapsed` that ended with `code` to the duration histogram.
    fn record_duration(&self, code: i64, elapsed: Duration) {
        let attributes = || {
            let [system, service, method] = self.attributes.clone();
            [
                system,
                service,
                method,
                KeyValue::new("rpc.grpc.status_code", code),
            ]
        };
        let seconds = elapsed.as_secs_f64();
        match usize::try_from(code)
            .ok()
            .and_then(|code| self.durations.get(code))
        {
            Some(bound) => bound
                .get_or_init(|| self.duration.bind(&attributes()))
                .record(seconds),
            // A code gRPC does not define (a peer's own): recorded as it is, not bound.
            None => self.duration.record(seconds, &attributes()),
        }
    }
}

/// Tower layer giving every incoming RPC its span, its trace parent and its duration metric.
#[derive(Clone)]
pub struct RpcTelemetryLayer {
    shared: Arc<Shared>,
}

struct Shared {
    service: ServiceTelemetry,
    methods: ByPath<Arc<MethodTelemetry>>,
    max_call: Duration,
}

impl RpcTelemetryLayer {
    /// The layer of a server of `service` serving `known`; `max_call` is the server's own limit
    /// on a call, which tells a call cut by its deadline from one its caller cancelled.
    pub fn new(service: ServiceTelemetry, known: KnownMethods, max_call: Duration) -> Self {
        let duration = service
            .meter()
            .f64_histogram("rpc.server.call.duration")
            .with_unit("s")
            .with_description("Duration of incoming RPCs, until the response headers")
            .build();
        let methods = known
            .names
            .map(|named| Arc::new(MethodTelemetry::new(&service, named, &duration)));
        Self {
            shared: Arc::new(Shared {
                service,
                methods,
                max_call,
            }),
        }
    }
}

impl<S> tower::Layer<S> for RpcTelemetryLayer {
    type Service = RpcTelemetry<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RpcTelemetry {
            inner,
            shared: self.shared.clone(),
        }
    }
}

/// The service made by [`RpcTelemetryLayer`].
#[derive(Clone)]
pub struct RpcTelemetry<S> {
    inner: S,
    shared: Arc<Shared>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, RB> tower::Service<http::Request<B>> for RpcTelemetry<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<RB>>,
    S::Future: Send + 'static,
    S::Error: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<Result<S::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let started = Instant::now();
        let method = self.shared.methods.get(request.uri().path()).clone();
        // Any line logged during the call names it, whatever its level.
        let logged = tracing::enabled!(tracing::Level::ERROR);
        // Nothing would see the ids of a call neither exported nor logged.
        let traced = self.shared.service.exports_traces() || logged;
        let tracer = self.shared.service.tracer().filter(|_| traced);
        let context = tracer.map(|tracer| {
            // The service in the context sends this span's descendants to its resource; the
            // call in it names the call in its log lines.
            let start = if logged {
                &method.logged
            } else {
                &method.quiet
            };
            let parent = global::get_text_map_propagator(|propagator| {
                propagator.extract_with_context(start, &HeaderExtractor(request.headers()))
            });
            // The sampler decides as the span is built: a span not sampled keeps its ids (for
            // the logs and the peers) and records nothing.
            let mut span = tracer
                .span_builder(method.span_name)
                .with_kind(SpanKind::Server);
            // Room for the status code added at the end, which would otherwise move them all.
            let mut span_attributes = Vec::with_capacity(method.attributes.len() + 1);
            span_attributes.extend_from_slice(&method.attributes);
            span.attributes = Some(span_attributes);
            let span = span.start_with_context(tracer, &parent);
            parent.with_span(span)
        });
        let allowed = grpc_timeout(request.headers()).map_or(self.shared.max_call, |timeout| {
            timeout.min(self.shared.max_call)
        });
        let record = CallRecord {
            context: context.clone(),
            started,
            cut_from: (started + allowed)
                .checked_sub(deadline_slack(allowed))
                .unwrap_or(started),
            method,
            finished: false,
        };
        let response = self.inner.call(request);
        let call = async move {
            let mut record = record;
            let result = response.await;
            record.finish(match &result {
                Ok(response) => status_in_headers(response.headers()),
                Err(_) => 2,
            });
            result
        };
        match context {
            // Current while the call runs, so its CLIENT spans and the trace context sent to
            // peers descend from this span, and its log lines name it.
            Some(context) => Box::pin(call.with_context(context)),
            None => Box::pin(call),
        }
    }
}

/// Records a call's status and duration once: when it answers, or when its future is dropped
/// unanswered (tonic's deadline timer, or the caller going away), which would otherwise leave
/// the span without a status and the histogram without the point.
struct CallRecord {
    /// The call's SERVER span in its context; none when nothing exports or logs it.
    context: Option<opentelemetry::Context>,
    started: Instant,
    /// From when a dropped call counts as cut by its deadline rather than cancelled by its caller.
    cut_from: Instant,
    method: Arc<MethodTelemetry>,
    finished: bool,
}

impl CallRecord {
    fn finish(&mut self, code: i64) {
        self.finished = true;
        let elapsed = self.started.elapsed();
        if let Some(context) = &self.context {
            let span = context.span();
            span.set_attribute(KeyValue::new("rpc.grpc.status_code", code));
            if SERVER_ERRORS.contains(&code) {
                span.set_status(Status::error(""));
            }
            span.end();
        }
        if tracing::enabled!(tracing::Level::DEBUG) {
            // Current already when the call answers, not when its dropped future is.
            let _current = self.context.clone().map(opentelemetry::Context::attach);
            tracing::debug!(
                code,
                elapsed_ms = elapsed.as_secs_f64() * 1e3,
                "rpc finished"
            );
        }
        self.method.record_duration(code, elapsed);
    }
}

impl Drop for CallRecord {
    fn drop(&mut self) {
        if !self.finished {
            let code = if Instant::now() >= self.cut_from {
                DEADLINE_EXCEEDED
            } else {
                CANCELLED
            };
            self.finish(code);
        }
    }
}

/// The caller's deadline from its `grpc-timeout` header: up to eight digits and a unit.
fn grpc_timeout(headers: &http::HeaderMap) -> Option<Duration> {
    let value = headers.get("grpc-timeout")?.to_str().ok()?;
    let (digits, unit) = value.split_at(value.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 8 {
        return None;
    }
    let amount: u64 = digits.parse().ok()?;
    Some(match unit {
        "H" => Duration::from_secs(amount * 3600),
        "M" => Duration::from_secs(amount * 60),
        "S" => Duration::from_secs(amount),
        "m" => Duration::from_millis(amount),
        "u" => Duration::from_micros(amount),
        "n" => Duration::from_nanos(amount),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known() -> KnownMethods {
        KnownMethods::new(
            &[tonic_health::pb::FILE_DESCRIPTOR_SET],
            &["grpc.health.v1.Health"],
            ["/pkg.v1.Things/Get"],
        )
        .unwrap()
    }

    /// The span name, service and method a call to `path` is recorded with.
    fn resolve(path: &str) -> (&'static str, String, String) {
        let known = known();
        let named = known.names.get(path);
        (
            named.span_name,
            named.service.to_owned(),
            named.method.to_owned(),
        )
    }

    #[test]
    fn served_methods_keep_their_names_without_the_leading_slash() {
        let (name, service, method) = resolve("/grpc.health.v1.Health/Check");
        assert_eq!(name, "grpc.health.v1.Health/Check");
        assert_eq!((&*service, &*method), ("grpc.health.v1.Health", "Check"));
        let (name, ..) = resolve("/pkg.v1.Things/Get");
        assert_eq!(name, "pkg.v1.Things/Get");
    }

    #[test]
    fn unknown_methods_and_services_are_other() {
        let (name, service, method) = resolve("/pkg.v1.Things/Invented");
        assert_eq!((name, &*service, &*method), (OTHER, "pkg.v1.Things", OTHER));
        let (name, service, method) = resolve("/made.up.Service/Invented");
        assert_eq!((name, &*service, &*method), (OTHER, OTHER, OTHER));
        let (name, ..) = resolve("/odd");
        assert_eq!(name, OTHER);
    }

    #[test]
    fn grpc_timeouts_are_read_in_every_unit() {
        let timeout = |value: &str| {
            let mut headers = http::HeaderMap::new();
            headers.insert("grpc-timeout", value.parse().unwrap());
            grpc_timeout(&headers)
        };
        assert_eq!(timeout("250m"), Some(Duration::from_millis(250)));
        assert_eq!(timeout("2S"), Some(Duration::from_secs(2)));
        assert_eq!(timeout("1H"), Some(Duration::from_secs(3600)));
        assert_eq!(timeout("123456789S"), None);
        assert_eq!(timeout("m"), None);
        assert_eq!(timeout("5x"), None);
    }

    #[test]
    fn the_deadline_slack_is_a_tenth_of_the_time_allowed_within_five_ms_and_a_second() {
        assert_eq!(
            deadline_slack(Duration::from_millis(300)),
            Duration::from_millis(30)
        );
        assert_eq!(
            deadline_slack(Duration::from_millis(20)),
            Duration::from_millis(5)
        );
        assert_eq!(
            deadline_slack(Duration::from_secs(60)),
            Duration::from_secs(1)
        );
    }
}
