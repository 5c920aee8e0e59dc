//! The OTLP/gRPC span exporter: sends requests written straight into protobuf
//! ([`SpanEncoder`](super::span_encoding::SpanEncoder)) as they are.
//!
//! It reads the standard settings as the official exporter does, the trace-specific variable
//! before the general one: `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (else the endpoint given),
//! `OTEL_EXPORTER_OTLP_[TRACES_]HEADERS` (`key=value` pairs, comma-separated, values
//! percent-decoded), `OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT` (milliseconds, 10 s by default) and
//! `OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION` (`gzip` or `none`). A setting it cannot use stops
//! the start, naming the variable; the official exporter skips a malformed header in silence.

use std::time::Duration;

use http::uri::PathAndQuery;
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceResponse;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use prost::bytes::Bytes;
use tokio::runtime::Handle;
use tonic::codec::CompressionEncoding;
use tonic::metadata::{MetadataKey, MetadataMap, MetadataValue};
use tonic::transport::{Channel, Endpoint};

use crate::server::pre_encoded::PreEncodedCodec;

const EXPORT: &str = "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where and how spans are sent.
#[derive(Debug)]
pub(super) struct ExportSettings {
    pub(super) endpoint: String,
    pub(super) headers: MetadataMap,
    pub(super) timeout: Duration,
    pub(super) compression: Option<CompressionEncoding>,
}

impl ExportSettings {
    /// The settings for sending spans to `endpoint`, read through `var` (the environment, in
    /// production) as described in the module's documentation.
    pub(super) fn read(
        endpoint: &str,
        var: impl Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Self> {
        let setting = |name: &str| {
            let traces = format!("OTEL_EXPORTER_OTLP_TRACES_{name}");
            var(&traces)
                .map(|value| (traces, value))
                .or_else(|| {
                    let general = format!("OTEL_EXPORTER_OTLP_{name}");
                    var(&general).map(|value| (general, value))
                })
                .filter(|(_, value)| !value.trim().is_empty())
        };
        let endpoint = setting("ENDPOINT").map_or_else(|| endpoint.to_owned(), |(_, url)| url);
        anyhow::ensure!(
            !endpoint.trim_start().starts_with("https:"),
            "OTLP endpoint {endpoint:?}: this build has no TLS; use an http:// endpoint"
        );
        let mut headers = MetadataMap::new();
        for name in [
            "OTEL_EXPORTER_OTLP_HEADERS",
            "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
        ] {
            if let Some(list) = var(name) {
                read_headers(name, &list, &mut headers)?;
            }
        }
        let timeout = match setting("TIMEOUT") {
            None => DEFAULT_TIMEOUT,
            Some((name, value)) => Duration::from_millis(value.trim().parse().map_err(|_| {
                anyhow::anyhow!("{name}={value:?}: expected a number of milliseconds")
            })?),
        };
        let compression = match setting("COMPRESSION") {
            None => None,
            Some((name, value)) => match value.trim() {
                "none" => None,
                "gzip" => Some(CompressionEncoding::Gzip),
                _ => anyhow::bail!("{name}={value:?}: this build compresses with gzip or none"),
            },
        };
        Ok(Self {
            endpoint,
            headers,
            timeout,
            compression,
        })
    }
}

/// Adds the `key=value,key=value` pairs of the variable `name` to `headers`, a later key
/// replacing an earlier one.
fn read_headers(name: &str, list: &str, headers: &mut MetadataMap) -> anyhow::Result<()> {
    for pair in list
        .split(',')
        .map(str::trim)
        .filter(|pair| !pair.is_empty())
    {
        let invalid = || anyhow::anyhow!("{name}: {pair:?} is not a header as key=value");
        let (key, value) = pair.split_once('=').ok_or_else(invalid)?;
        let value = percent_encoding::percent_decode_str(value.trim()).decode_utf8_lossy();
        let key = MetadataKey::from_bytes(key.trim().as_bytes()).map_err(|_| invalid())?;
        let value = MetadataValue::try_from(value.as_ref()).map_err(|_| invalid())?;
        headers.insert(key, value);
    }
    Ok(())
}

/// Sends batches of spans to an OTLP collector over gRPC.
#[derive(Debug)]
pub(super) struct OtlpSpanExporter {
    channel: Channel,
    headers: MetadataMap,
    compression: Option<CompressionEncoding>,
}

impl OtlpSpanExporter {
    /// An exporter to `settings.endpoint`; it connects when the first batch goes out, its
    /// connection driven by `runtime`.
    pub(super) fn new(settings: ExportSettings, runtime: &Handle) -> anyhow::Result<Self> {
        let _entered = runtime.enter();
        let channel = Endpoint::from_shared(settings.endpoint.clone())
            .map_err(|error| anyhow::anyhow!("OTLP endpoint {:?}: {error}", settings.endpoint))?
            .timeout(settings.timeout)
            .connect_lazy();
        Ok(Self {
            channel,
            headers: settings.headers,
            compression: settings.compression,
        })
    }

    /// Sends `request`, an encoded `ExportTraceServiceRequest`.
    pub(super) async fn send(&self, request: Vec<u8>) -> OTelSdkResult {
        let body = Bytes::from(request);
        let mut grpc = tonic::client::Grpc::new(self.channel.clone());
        if let Some(encoding) = self.compression {
            grpc = grpc.send_compressed(encoding);
        }
        grpc.ready().await.map_err(|error| {
            OTelSdkError::InternalFailure(format!("OTLP collector unreachable: {error}"))
        })?;
        let mut request = tonic::Request::new(body);
        *request.metadata_mut() = self.headers.clone();
        let codec = PreEncodedCodec::<ExportTraceServiceResponse>::default();
        grpc.unary(request, PathAndQuery::from_static(EXPORT), codec)
            .await
            // The code only: a collector's message may echo a header, a token among them.
            .map_err(|status| {
                OTelSdkError::InternalFailure(format!("OTLP export failed: {:?}", status.code()))
            })?;
        Ok(())
    }
}

/// How much less the sending thread weighs with the scheduler than the threads serving calls
/// (niceness 0): on a busy machine it runs in their gaps instead of preempting them mid-call, and
/// still gets a tenth of a contended CPU, far more than sending takes (about 2 % of one under
/// GetTracking load with every span sent). Starved beyond that, spans wait in the queue and past
/// its size are dropped and counted, as with a slow collector.
pub(super) const SENDING_NICENESS: libc::c_int = 10;

/// Lowers the calling thread's scheduling priority to [`SENDING_NICENESS`]; a failure (a
/// platform that does not allow it) leaves it as it was.
pub(super) fn yield_to_serving() {
    #[cfg(target_os = "linux")]
    #[allow(unsafe_code)]
    // SAFETY: both are plain system calls on this thread's own id, touching no memory of ours.
    unsafe {
        let thread = libc::gettid();
        libc::setpriority(libc::PRIO_PROCESS, thread as libc::id_t, SENDING_NICENESS);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
    use opentelemetry_proto::tonic::collector::trace::v1::trace_service_server::{
        TraceService, TraceServiceServer,
    };
    use tokio_stream::wrappers::TcpListenerStream;

    use opentelemetry_sdk::Resource;

    use super::super::span_encoding::SpanEncoder;
    use super::super::span_encoding::tests::spans;
    use super::*;

    fn read(vars: &[(&str, &str)]) -> anyhow::Result<ExportSettings> {
        read_for("http://collector:4317", vars)
    }

    fn read_for(endpoint: &str, vars: &[(&str, &str)]) -> anyhow::Result<ExportSettings> {
        let vars: HashMap<String, String> = vars
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        ExportSettings::read(endpoint, |name| vars.get(name).cloned())
    }

    /// One export as a collector received it.
    pub(in crate::telemetry) struct Received {
        authorization: Option<String>,
        encoding: Option<String>,
        pub(in crate::telemetry) request: ExportTraceServiceRequest,
    }

    /// A collector keeping what it receives.
    #[derive(Clone, Default)]
    pub(in crate::telemetry) struct Collector(pub(in crate::telemetry) Arc<Mutex<Vec<Received>>>);

    impl Collector {
        /// A collector serving on a free port, and the settings that send to it.
        pub(in crate::telemetry) async fn start(vars: &[(&str, &str)]) -> (Self, ExportSettings) {
            let collector = Collector::default();
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let address = listener.local_addr().unwrap();
            let service = TraceServiceServer::new(collector.clone())
                .accept_compressed(CompressionEncoding::Gzip);
            tokio::spawn(
                tonic::transport::Server::builder()
                    .add_service(service)
                    .serve_with_incoming(TcpListenerStream::new(listener)),
            );
            let settings = read_for(&format!("http://{address}"), vars).unwrap();
            (collector, settings)
        }

        /// The names of the spans received so far, request by request.
        pub(in crate::telemetry) fn span_names(&self) -> Vec<Vec<String>> {
            let received = self.0.lock().unwrap();
            received
                .iter()
                .map(|received| {
                    received
                        .request
                        .resource_spans
                        .iter()
                        .flat_map(|resource| &resource.scope_spans)
                        .flat_map(|scope| scope.spans.iter().map(|span| span.name.clone()))
                        .collect()
                })
                .collect()
        }
    }

    #[tonic::async_trait]
    impl TraceService for Collector {
        async fn export(
            &self,
            request: tonic::Request<ExportTraceServiceRequest>,
        ) -> Result<tonic::Response<ExportTraceServiceResponse>, tonic::Status> {
            let header = |name| {
                let value = request.metadata().get(name)?;
                Some(value.to_str().ok()?.to_owned())
            };
            let received = Received {
                authorization: header("authorization"),
                encoding: header("grpc-encoding"),
                request: request.into_inner(),
            };
            self.0.lock().unwrap().push(received);
            Ok(tonic::Response::new(ExportTraceServiceResponse::default()))
        }
    }

    #[tokio::test]
    async fn a_batch_reaches_the_collector_whole_compressed_and_with_the_headers_set() {
        let (collector, settings) = Collector::start(&[
            ("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20abc"),
            ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"),
        ])
        .await;
        let exporter = OtlpSpanExporter::new(settings, &Handle::current()).unwrap();
        let resource = Resource::builder_empty()
            .with_service_name("logistics-test")
            .build();
        let request = SpanEncoder::new(&resource).encode(&spans());

        exporter.send(request).await.unwrap();

        let received = collector.0.lock().unwrap();
        assert_eq!(received.len(), 1);
        let Received {
            authorization,
            encoding,
            request,
        } = &received[0];
        assert_eq!(authorization.as_deref(), Some("Bearer abc"));
        assert_eq!(encoding.as_deref(), Some("gzip"));
        let names: Vec<&str> = request.resource_spans[0]
            .scope_spans
            .iter()
            .flat_map(|scope| scope.spans.iter().map(|span| span.name.as_str()))
            .collect();
        assert_eq!(names.len(), spans().len());
        assert!(names.contains(&"logistics.orders.v1.TrackingService/GetTracking"));
    }

    #[tokio::test]
    async fn a_collector_that_is_down_fails_the_export_without_hanging() {
        // Port 9 (discard) has no listener here: the connection is refused at once.
        let settings = read_for(
            "http://127.0.0.1:9",
            &[("OTEL_EXPORTER_OTLP_TIMEOUT", "500")],
        );
        let exporter = OtlpSpanExporter::new(settings.unwrap(), &Handle::current()).unwrap();
        let request = SpanEncoder::default().encode(&spans());
        let outcome = tokio::time::timeout(Duration::from_secs(10), exporter.send(request)).await;
        assert!(outcome.expect("the export gave up in time").is_err());
    }

    #[test]
    fn with_nothing_set_spans_go_to_the_endpoint_given_uncompressed_within_ten_seconds() {
        let settings = read(&[]).unwrap();
        assert_eq!(settings.endpoint, "http://collector:4317");
        assert!(settings.headers.is_empty());
        assert_eq!(settings.timeout, Duration::from_secs(10));
        assert_eq!(settings.compression, None);
    }

    #[test]
    fn trace_settings_win_over_the_general_ones() {
        let settings = read(&[
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:4317"),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "500"),
            ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "2500"),
            ("OTEL_EXPORTER_OTLP_COMPRESSION", "none"),
            ("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "gzip"),
            ("OTEL_EXPORTER_OTLP_HEADERS", "team=a, tenant=x"),
            ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "team=b"),
        ])
        .unwrap();
        assert_eq!(settings.endpoint, "http://traces:4317");
        assert_eq!(settings.timeout, Duration::from_millis(2500));
        assert_eq!(settings.compression, Some(CompressionEncoding::Gzip));
        assert_eq!(settings.headers.get("team").unwrap(), "b");
        assert_eq!(settings.headers.get("tenant").unwrap(), "x");
    }

    #[test]
    fn header_values_are_percent_decoded_and_keys_lowercased() {
        let settings = read(&[(
            "OTEL_EXPORTER_OTLP_HEADERS",
            "Authorization=Bearer%20abc%3D%3D,x-empty=",
        )])
        .unwrap();
        assert_eq!(
            settings.headers.get("authorization").unwrap(),
            "Bearer abc=="
        );
        assert_eq!(settings.headers.get("x-empty").unwrap(), "");
    }

    #[test]
    fn a_setting_that_cannot_be_used_stops_the_start_naming_it() {
        let error = |vars: &[(&str, &str)]| read(vars).unwrap_err().to_string();
        assert!(error(&[("OTEL_EXPORTER_OTLP_HEADERS", "novalue")]).contains("novalue"));
        assert!(error(&[("OTEL_EXPORTER_OTLP_HEADERS", "bad key=1")]).contains("bad key"));
        assert!(error(&[("OTEL_EXPORTER_OTLP_HEADERS", "k=a\u{7}b")]).contains("HEADERS"));
        assert!(
            error(&[("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "10s")])
                .contains("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT")
        );
        assert!(error(&[("OTEL_EXPORTER_OTLP_COMPRESSION", "zstd")]).contains("zstd"));
        assert!(
            error(&[(
                "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
                "https://collector:4317"
            )])
            .contains("TLS")
        );
    }

    /// The calling thread's niceness, field 19 of its `stat` (the fields after its name, which is
    /// in parentheses and may hold spaces, start at the third).
    #[cfg(target_os = "linux")]
    fn own_niceness() -> i64 {
        let stat = std::fs::read_to_string("/proc/thread-self/stat").unwrap();
        let after_name = &stat[stat.rfind(')').unwrap() + 1..];
        after_name
            .split_whitespace()
            .nth(16)
            .unwrap()
            .parse()
            .unwrap()
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_sending_thread_yields_to_the_serving_ones_and_only_itself() {
        let before = own_niceness();
        let sending = std::thread::spawn(|| {
            yield_to_serving();
            own_niceness()
        });
        assert_eq!(sending.join().unwrap(), i64::from(SENDING_NICENESS));
        assert_eq!(
            own_niceness(),
            before,
            "the caller's own thread is left as it was"
        );
    }
}
