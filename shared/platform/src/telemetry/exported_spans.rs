//! The `tracing` layer that exports spans, and the lines logged in a call as its span's events.
//!
//! A call's SERVER span is made with OpenTelemetry's API by the server layer, sampled before
//! anything is built ([`super::server`]), and is current in OpenTelemetry's context while the call
//! runs, with no `tracing` span beside it. `tracing-opentelemetry` adds a line to the `tracing`
//! span it is written in and drops a line written in none; this layer adds those to the span
//! current in OpenTelemetry's context instead, the call's, and hands everything else on.

use std::any::TypeId;

use opentelemetry::KeyValue;
use opentelemetry::trace::TraceContextExt as _;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber, subscriber::Interest};
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

/// Wraps the `tracing-opentelemetry` layer: the events written in no `tracing` span go to the
/// OpenTelemetry span current where they are written (a call's SERVER span while it runs).
pub(super) struct ExportedSpans<L> {
    inner: L,
}

impl<L> ExportedSpans<L> {
    pub(super) fn new(inner: L) -> Self {
        Self { inner }
    }
}

impl<S, L> Layer<S> for ExportedSpans<L>
where
    S: Subscriber + for<'span> LookupSpan<'span>,
    L: Layer<S>,
{
    fn on_register_dispatch(&self, subscriber: &tracing::Dispatch) {
        self.inner.on_register_dispatch(subscriber);
    }

    fn on_layer(&mut self, subscriber: &mut S) {
        self.inner.on_layer(subscriber);
    }

    fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
        self.inner.register_callsite(metadata)
    }

    fn enabled(&self, metadata: &Metadata<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.enabled(metadata, ctx)
    }

    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_new_span(attrs, id, ctx);
    }

    fn on_record(&self, span: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        self.inner.on_record(span, values, ctx);
    }

    fn on_follows_from(&self, span: &Id, follows: &Id, ctx: Context<'_, S>) {
        self.inner.on_follows_from(span, follows, ctx);
    }

    fn event_enabled(&self, event: &Event<'_>, ctx: Context<'_, S>) -> bool {
        self.inner.event_enabled(event, ctx)
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        let in_no_span = event.is_contextual() && ctx.lookup_current().is_none();
        if in_no_span {
            add_to_current_span(event);
        } else {
            self.inner.on_event(event, ctx);
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_enter(id, ctx);
    }

    fn on_exit(&self, id: &Id, ctx: Context<'_, S>) {
        self.inner.on_exit(id, ctx);
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        self.inner.on_close(id, ctx);
    }

    fn on_id_change(&self, old: &Id, new: &Id, ctx: Context<'_, S>) {
        self.inner.on_id_change(old, new, ctx);
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        self.inner.max_level_hint()
    }

    // `OpenTelemetrySpanExt` finds the inner layer through this, so the one unsafe method of
    // `Layer` must be forwarded, as tracing-subscriber's own wrappers do.
    #[allow(unsafe_code)]
    unsafe fn downcast_raw(&self, id: TypeId) -> Option<*const ()> {
        if id == TypeId::of::<Self>() {
            return Some(self as *const Self as *const ());
        }
        // SAFETY: the inner layer answers for its own types, soundly by its contract, and the
        // pointer it returns lives as long as `self`, which owns it.
        unsafe { self.inner.downcast_raw(id) }
    }
}

/// Adds a log line written during a call to the call's SERVER span, as `tracing-opentelemetry`
/// does for the spans it exports: named by its message, with its level, target and fields.
fn add_to_current_span(event: &Event<'_>) {
    let context = opentelemetry::Context::current();
    let span = context.span();
    if !span.is_recording() {
        return;
    }
    let metadata = event.metadata();
    let mut fields = EventFields {
        message: None,
        attributes: vec![
            KeyValue::new("level", metadata.level().as_str()),
            KeyValue::new("target", metadata.target()),
        ],
    };
    event.record(&mut fields);
    let name = fields.message.unwrap_or_else(|| metadata.name().to_owned());
    span.add_event(name, fields.attributes);
}

/// An event's message and its other fields as attributes.
struct EventFields {
    message: Option<String>,
    attributes: Vec<KeyValue>,
}

impl Visit for EventFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = Some(value.to_owned());
        } else {
            self.attributes
                .push(KeyValue::new(field.name(), value.to_owned()));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.attributes.push(KeyValue::new(field.name(), value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        // OpenTelemetry has no unsigned integers; the few above i64's range keep their digits.
        match i64::try_from(value) {
            Ok(value) => self.attributes.push(KeyValue::new(field.name(), value)),
            Err(_) => self
                .attributes
                .push(KeyValue::new(field.name(), value.to_string())),
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.attributes.push(KeyValue::new(field.name(), value));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.attributes.push(KeyValue::new(field.name(), value));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        let value = format!("{value:?}");
        if field.name() == "message" {
            self.message = Some(value);
        } else {
            self.attributes.push(KeyValue::new(field.name(), value));
        }
    }
}
