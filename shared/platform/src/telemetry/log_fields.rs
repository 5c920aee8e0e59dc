//! What a human-readable log line shows of its spans' fields and of its own.

use std::fmt;

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::FormattedFields;
use tracing_subscriber::fmt::format::Writer;

/// Writes fields as `name=value` (the message bare), leaving out the OpenTelemetry attributes of
/// RPC spans (`otel.*`, and `rpc.*` but `rpc.method`).
///
/// The fmt layer formats a span's fields when the span is made, for the log lines written inside
/// it; a CLIENT span is made on every call to a peer and most calls write no line. The exported
/// span carries those attributes anyway, and a line keeps the method that leads to it.
pub(super) struct LogFields;

impl<'writer> FormatFields<'writer> for LogFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        write_fields(writer, fields, true)
    }

    fn add_fields(
        &self,
        current: &'writer mut FormattedFields<Self>,
        fields: &tracing::span::Record<'_>,
    ) -> fmt::Result {
        // Unlike the default, no separator for fields that are all left out.
        let first = current.fields.is_empty();
        write_fields(Writer::new(&mut current.fields), fields, first)
    }
}

fn write_fields(writer: Writer<'_>, fields: impl RecordFields, first: bool) -> fmt::Result {
    let mut visitor = LogVisitor {
        writer,
        first,
        result: Ok(()),
    };
    fields.record(&mut visitor);
    visitor.result
}

/// Whether only the exported span needs the field.
fn exported_only(name: &str) -> bool {
    name.starts_with("otel.") || (name.starts_with("rpc.") && name != "rpc.method")
}

struct LogVisitor<'writer> {
    writer: Writer<'writer>,
    first: bool,
    result: fmt::Result,
}

impl LogVisitor<'_> {
    fn write(&mut self, field: &Field, value: fmt::Arguments<'_>) {
        let name = field.name();
        if self.result.is_err() || exported_only(name) {
            return;
        }
        let separator = if self.first { "" } else { " " };
        self.first = false;
        self.result = if name == "message" {
            write!(self.writer, "{separator}{value}")
        } else {
            write!(self.writer, "{separator}{name}={value}")
        };
    }
}

impl Visit for LogVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.write(field, format_args!("{value}"));
        } else {
            self.write(field, format_args!("{value:?}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, format_args!("{value:?}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::telemetry::log_lines::tests::Buffer;
    use tracing_subscriber::layer::SubscriberExt as _;

    /// The log line written inside an RPC-like span, with `LogFields` formatting.
    fn line_inside_rpc_span() -> String {
        let buffer = Buffer::default();
        let writer = buffer.clone();
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .without_time()
            .fmt_fields(LogFields)
            .with_writer(move || writer.clone());
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span = tracing::info_span!(
                "rpc",
                otel.name = "pkg.Service/Method",
                rpc.service = "pkg.Service",
                rpc.method = "Method",
                rpc.grpc.status_code = tracing::field::Empty,
                trace_id = tracing::field::Empty,
            );
            span.record("trace_id", "4bf92f35");
            span.record("rpc.grpc.status_code", 5);
            let _entered = span.enter();
            tracing::info!(customer = "C-1", count = 3, "looked up");
        });
        buffer.text()
    }

    #[test]
    fn a_log_line_keeps_the_method_and_trace_id_of_its_rpc_but_not_the_exported_attributes() {
        let line = line_inside_rpc_span();
        assert!(
            line.contains(r#"rpc{rpc.method="Method" trace_id="4bf92f35"}"#),
            "{line}"
        );
        assert!(
            line.contains(r#"looked up customer="C-1" count=3"#),
            "{line}"
        );
        for left_out in ["otel.name", "rpc.service", "rpc.grpc.status_code", "  "] {
            assert!(!line.contains(left_out), "{left_out} in {line}");
        }
    }
}
