//! The lines logs are written as, naming the call they are written in.
//!
//! A call's log lines carry its method and trace id. They used to learn them from a `tracing` span
//! opened around every call; making it (its fields formatted at once), entering and leaving it at
//! each poll and closing it took about 4 % of the server's CPU under GetTracking load, for the few
//! calls that write a line. The call's OpenTelemetry context, current while it runs, holds its
//! SERVER span; it now names the call too ([`RpcCall`]), and the formats here read both only when
//! a line is written.

use std::fmt;

use opentelemetry::trace::{TraceContextExt as _, TraceId};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::{Format, Json, Writer};
use tracing_subscriber::fmt::time::{FormatTime as _, SystemTime};
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

use super::providers::InService;

/// The call a context serves, put in it by the server layer for the lines written during the call.
///
/// The names live as long as the process (the server layer interns them): a call copies them
/// without touching a reference count that every call of the method shares.
#[derive(Debug, Clone, Copy)]
pub(super) struct RpcCall {
    pub(super) service: &'static str,
    pub(super) method: &'static str,
}

/// What a line written now tells of its call: none outside one.
struct CurrentCall {
    service: &'static str,
    method: &'static str,
    trace_id: Option<TraceId>,
}

impl CurrentCall {
    fn get() -> Option<Self> {
        opentelemetry::Context::map_current(|context| {
            let call = context.get::<InService>()?.call.as_ref()?;
            let trace_id = context.span().span_context().trace_id();
            Some(Self {
                service: call.service,
                method: call.method,
                trace_id: (trace_id != TraceId::INVALID).then_some(trace_id),
            })
        })
    }
}

/// Human-readable lines, as `tracing-subscriber`'s full format writes them, with the call first
/// in the scope as the span it stands for:
/// `2026-12-06T17:14:07.123456Z  INFO rpc{rpc.method="GetTracking" trace_id=4bf9..}: target: message`.
pub(super) struct PrettyLines;

impl<S, N> FormatEvent<S, N> for PrettyLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let ansi = Ansi(writer.has_ansi_escapes());
        let metadata = event.metadata();

        if ansi.0 {
            writer.write_str("\x1b[2m")?;
        }
        if SystemTime.format_time(&mut writer).is_err() {
            writer.write_str("<unknown time>")?;
        }
        writer.write_str(if ansi.0 { "\x1b[0m " } else { " " })?;
        let (level, colour) = level_style(*metadata.level());
        write!(writer, "{} ", ansi.paint(colour, level))?;

        let mut scoped = false;
        if let Some(call) = CurrentCall::get() {
            write!(
                writer,
                "{}rpc.method={:?}",
                ansi.paint(BOLD, "rpc{"),
                call.method
            )?;
            if let Some(trace_id) = call.trace_id {
                write!(writer, " trace_id={trace_id}")?;
            }
            write!(
                writer,
                "{}{}",
                ansi.paint(BOLD, "}"),
                ansi.paint(DIMMED, ":")
            )?;
            scoped = true;
        }
        for span in ctx
            .event_scope()
            .into_iter()
            .flat_map(|scope| scope.from_root())
        {
            write!(writer, "{}", ansi.paint(BOLD, span.metadata().name()))?;
            let extensions = span.extensions();
            if let Some(fields) = extensions.get::<FormattedFields<N>>()
                && !fields.is_empty()
            {
                write!(
                    writer,
                    "{}{fields}{}",
                    ansi.paint(BOLD, "{"),
                    ansi.paint(BOLD, "}")
                )?;
            }
            write!(writer, "{}", ansi.paint(DIMMED, ":"))?;
            scoped = true;
        }
        if scoped {
            writer.write_char(' ')?;
        }

        let target = metadata.target();
        write!(
            writer,
            "{}{} ",
            ansi.paint(DIMMED, target),
            ansi.paint(DIMMED, ":")
        )?;
        ctx.format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// JSON lines as `tracing-subscriber` writes them, with the call's service, method and trace id
/// as fields of the object.
pub(super) struct JsonLines(pub(super) Format<Json>);

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
    Format<Json>: FormatEvent<S, N>,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let Some(call) = CurrentCall::get() else {
            return self.0.format_event(ctx, writer, event);
        };
        let mut line = String::new();
        self.0.format_event(ctx, Writer::new(&mut line), event)?;
        // A line is one object: the call's fields go before its closing brace.
        let Some(end) = line.rfind('}') else {
            return writer.write_str(&line);
        };
        let (object, closing) = line.split_at(end);
        writer.write_str(object)?;
        write!(
            writer,
            r#","rpc.service":{},"rpc.method":{}"#,
            json_string(call.service),
            json_string(call.method)
        )?;
        if let Some(trace_id) = call.trace_id {
            write!(writer, r#","trace_id":"{trace_id}""#)?;
        }
        writer.write_str(closing)
    }
}

fn json_string(value: &str) -> String {
    serde_json::Value::from(value).to_string()
}

const BOLD: &str = "1";
const DIMMED: &str = "2";

/// A level as the full format writes it, five wide, and its colour.
fn level_style(level: Level) -> (&'static str, &'static str) {
    match level {
        Level::TRACE => ("TRACE", "35"),
        Level::DEBUG => ("DEBUG", "34"),
        Level::INFO => (" INFO", "32"),
        Level::WARN => (" WARN", "33"),
        Level::ERROR => ("ERROR", "31"),
    }
}

/// ANSI escapes, written only to a terminal.
#[derive(Clone, Copy)]
struct Ansi(bool);

impl Ansi {
    fn paint<T: fmt::Display>(self, style: &'static str, text: T) -> Painted<T> {
        Painted {
            style: self.0.then_some(style),
            text,
        }
    }
}

struct Painted<T> {
    style: Option<&'static str>,
    text: T,
}

impl<T: fmt::Display> fmt::Display for Painted<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.style {
            Some(style) => write!(f, "\x1b[{style}m{}\x1b[0m", self.text),
            None => self.text.fmt(f),
        }
    }
}

#[cfg(test)]
pub(super) mod tests {
    use std::sync::{Arc, Mutex};

    use opentelemetry::trace::{SpanContext, SpanId, TraceFlags, TraceState};
    use tracing_subscriber::layer::SubscriberExt as _;

    use super::*;
    use crate::telemetry::log_fields::LogFields;

    const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

    /// A log writer tests read back.
    #[derive(Clone, Default)]
    pub(in crate::telemetry) struct Buffer(pub(in crate::telemetry) Arc<Mutex<Vec<u8>>>);

    impl Buffer {
        pub(in crate::telemetry) fn text(&self) -> String {
            String::from_utf8(self.0.lock().expect("log buffer").clone()).expect("utf-8 log")
        }
    }

    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("log buffer").extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// A context as the server layer makes it for a call to `pkg.Service/Method`; made before the
    /// subscriber under test is set, which would log the service's telemetry being made.
    fn call_context() -> opentelemetry::Context {
        let span = SpanContext::new(
            TraceId::from_hex(TRACE_ID).unwrap(),
            SpanId::from_hex("00f067aa0ba902b7").unwrap(),
            TraceFlags::SAMPLED,
            true,
            TraceState::default(),
        );
        let call = RpcCall {
            service: "pkg.Service",
            method: "Method",
        };
        let parent = opentelemetry::Context::new().with_remote_span_context(span);
        crate::telemetry::service("tests").call_context(parent, call)
    }

    /// What `write` logs, in pretty lines (or JSON ones).
    fn logged(json: bool, write: impl FnOnce()) -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(move || writer.clone());
        if json {
            let format = JsonLines(
                tracing_subscriber::fmt::format()
                    .json()
                    .with_current_span(true),
            );
            let subscriber = tracing_subscriber::registry().with(layer.json().event_format(format));
            tracing::subscriber::with_default(subscriber, write);
        } else {
            let layer = layer.fmt_fields(LogFields).event_format(PrettyLines);
            tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), write);
        }
        buffer.text()
    }

    #[test]
    fn a_line_written_in_a_call_names_its_method_and_trace_id_as_its_first_span() {
        let call = call_context();
        let line = logged(false, || {
            let _call = call.attach();
            tracing::info!(customer = "C-1", count = 3, "looked up");
        });
        let expected = format!(
            r#" INFO rpc{{rpc.method="Method" trace_id={TRACE_ID}}}: logistics_platform::telemetry::log_lines::tests: looked up customer="C-1" count=3"#
        );
        assert!(line.contains(&expected), "{line}");
        assert!(line.ends_with('\n') && line.lines().count() == 1, "{line}");
    }

    #[test]
    fn spans_opened_in_a_call_follow_it_and_lines_outside_calls_have_none() {
        let call = call_context();
        let lines = logged(false, || {
            {
                let _call = call.attach();
                tracing::warn_span!("retry", attempt = 2).in_scope(|| tracing::warn!("again"));
            }
            tracing::error!("outside");
        });
        let mut lines = lines.lines();
        let inside = lines.next().unwrap();
        assert!(
            inside.contains(&format!(
                r#" WARN rpc{{rpc.method="Method" trace_id={TRACE_ID}}}:retry{{attempt=2}}: "#
            )),
            "{inside}"
        );
        let outside = lines.next().unwrap();
        assert!(
            outside.contains("ERROR logistics_platform::telemetry::log_lines::tests: outside"),
            "{outside}"
        );
    }

    #[test]
    fn a_json_line_written_in_a_call_carries_its_service_method_and_trace_id() {
        let call = call_context();
        let lines = logged(true, || {
            {
                let _call = call.attach();
                tracing::info!(count = 3, "looked up");
            }
            tracing::info!("outside");
        });
        let mut lines = lines.lines().map(|line| {
            serde_json::from_str::<serde_json::Value>(line).expect("one JSON object a line")
        });
        let inside = lines.next().unwrap();
        assert_eq!(inside["rpc.service"], "pkg.Service");
        assert_eq!(inside["rpc.method"], "Method");
        assert_eq!(inside["trace_id"], TRACE_ID);
        assert_eq!(inside["fields"]["message"], "looked up");
        assert_eq!(inside["fields"]["count"], 3);
        let outside = lines.next().unwrap();
        assert!(outside.get("trace_id").is_none(), "{outside}");
        assert_eq!(outside["fields"]["message"], "outside");
    }
}
