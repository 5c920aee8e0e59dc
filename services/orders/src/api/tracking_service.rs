//! `logistics.orders.v1.TrackingService`: recording events and reading tracking. Delivery, problem
//! shipments, the event stream and watches have modules of their own.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use logistics_contracts::orders::tracking_service_server::{
    TrackingService, TrackingServiceServer,
};
use logistics_contracts::orders::{
    BatchGetTrackingRequest, BatchGetTrackingResponse, GetProofOfDeliveryRequest,
    GetTrackingRequest, ListProblemShipmentsRequest, ListProblemShipmentsResponse, ProofOfDelivery,
    RecordDeliveryRequest, RecordTrackingEventsRequest, RecordTrackingEventsResponse,
    RejectionReason, SearchTrackingByReferenceRequest, SearchTrackingByReferenceResponse,
    StreamTrackingEventsRequest, StreamTrackingEventsResponse, Tracking, TrackingEvent,
    TrackingEventOutcome, TrackingEventResult, WatchTrackingRequest, WatchTrackingResponse,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::error::Violations;
use logistics_platform::fields::customer_ref_field;
use logistics_platform::pagination::PageTokens;
use logistics_platform::server::pre_encoded::{PreEncoded, embedded_len, put_embedded};
use logistics_platform::{ApiError, ServiceContext};
use prost::Message as _;
use prost::bytes::{Bytes, BytesMut};
use prost::encoding::{self, WireType};
use sqlx::PgPool;
use tokio::sync::broadcast;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};
use uuid::Uuid;

use super::order_input::MAX_REFERENCE_CHARS;
use super::tracking_fields::{
    event_violations, parse_event, tracking_number_field, tracking_to_proto,
};
use super::watch::{MAX_WATCHERS, WatchHub};
use super::{principal_name, respond};
use crate::app::tracking_cache::TrackingCache;
use crate::app::tracking_reads::{self, Tracked};
use crate::app::tracking_record::{self, rejected_result};
use crate::clients::CustomersDirectory;

/// The scope each RPC of TrackingService needs.
pub(crate) const SCOPES: ScopeTable = logistics_platform::scope_table!("logistics.orders.v1.TrackingService" {
    RecordTrackingEvents => "orders:track",
    StreamTrackingEvents => "orders:track",
    GetTracking => "orders:read",
    BatchGetTracking => "orders:read",
    SearchTrackingByReference => "orders:read",
    WatchTracking => "orders:read",
    RecordDelivery => "orders:track",
    GetProofOfDelivery => "orders:read",
    ListProblemShipments => "orders:read",
});

/// Most tracking numbers in one BatchGetTracking.
const MAX_BATCH_NUMBERS: usize = 30;
/// Events per shipment at most, in any read.
const MAX_EVENTS: usize = 200;
/// Events per shipment of BatchGetTracking by default.
const BATCH_DEFAULT_EVENTS: usize = 20;
/// Shipments per page of SearchTrackingByReference: default and maximum.
const REFERENCE_PAGE: (usize, usize) = (20, 50);
/// Events per shipment of SearchTrackingByReference: default and maximum.
const REFERENCE_EVENTS: (usize, usize) = (5, 20);
/// Most events in one RecordTrackingEvents call (and in one transaction).
const MAX_BATCH_EVENTS: usize = 1000;

/// The tracking API over its database.
#[derive(Clone)]
pub(crate) struct TrackingApi {
    pub(super) pool: PgPool,
    pub(super) reference_pages: PageTokens,
    pub(super) problem_pages: PageTokens,
    pub(super) hub: WatchHub,
    /// Resolves the customer codes of customer filters.
    pub(super) customers: CustomersDirectory,
    /// Shipments in memory, forgotten by every write of this API before it answers.
    pub(super) cache: TrackingCache,
}

impl TrackingApi {
    /// The API over `pool` and `cache`, waking watchers with `wake`, resolving customer codes
    /// through `customers`.
    pub(crate) fn new(
        pool: PgPool,
        (cache, wake): (TrackingCache, broadcast::Sender<Uuid>),
        context: &ServiceContext,
        customers: CustomersDirectory,
    ) -> Self {
        Self {
            hub: WatchHub::new(pool.clone(), wake, MAX_WATCHERS, context.shutdown.clone()),
            cache,
            reference_pages: PageTokens::new(context.token_key.clone(), "tracking.by_reference"),
            problem_pages: PageTokens::new(context.token_key.clone(), "tracking.problems"),
            pool,
            customers,
        }
    }

    async fn record(
        &self,
        principal: &str,
        request: RecordTrackingEventsRequest,
    ) -> Result<RecordTrackingEventsResponse, ApiError> {
        let count = request.events.len();
        if count == 0 || count > MAX_BATCH_EVENTS {
            return Err(ApiError::invalid_field(
                "events",
                format!("must hold 1 to {MAX_BATCH_EVENTS} events (got {count})"),
            ));
        }
        let results = record_batch(self, principal, &request.events, 0).await?;
        let count_of = |outcome: TrackingEventOutcome| {
            results
                .iter()
                .filter(|r| r.outcome == outcome as i32)
                .count() as i32
        };
        Ok(RecordTrackingEventsResponse {
            accepted_count: count_of(TrackingEventOutcome::Accepted),
            duplicate_count: count_of(TrackingEventOutcome::Duplicate),
            rejected_count: count_of(TrackingEventOutcome::Rejected),
            results,
        })
    }

    /// GetTracking's answer, a `Tracking` as protobuf encodes it.
    async fn get(&self, request: GetTrackingRequest) -> Result<Bytes, ApiError> {
        let mut violations = Violations::new();
        tracking_number_field(&mut violations, "tracking_number", &request.tracking_number);
        let limit = bounded_count(
            &mut violations,
            "max_events",
            request.max_events,
            MAX_EVENTS,
            MAX_EVENTS,
        );
        violations.finish()?;
        let found = self.cache.tracking(&request.tracking_number).await?;
        Ok(encoded(&found, limit))
    }

    /// BatchGetTracking's answer, a `BatchGetTrackingResponse` as protobuf encodes it, written
    /// from each shipment's encoded tracking.
    async fn batch_get(&self, request: BatchGetTrackingRequest) -> Result<Bytes, ApiError> {
        let mut violations = Violations::new();
        let count = request.tracking_numbers.len();
        if count == 0 || count > MAX_BATCH_NUMBERS {
            violations.add(
                "tracking_numbers",
                format!("must hold 1 to {MAX_BATCH_NUMBERS} tracking numbers (got {count})"),
            );
        } else {
            for (at, number) in request.tracking_numbers.iter().enumerate() {
                tracking_number_field(&mut violations, &format!("tracking_numbers[{at}]"), number);
            }
        }
        let limit = bounded_count(
            &mut violations,
            "max_events",
            request.max_events,
            BATCH_DEFAULT_EVENTS,
            MAX_EVENTS,
        );
        violations.finish()?;
        let mut numbers = request.tracking_numbers.clone();
        numbers.sort_unstable();
        numbers.dedup();
        let found = self.cache.trackings(&numbers).await?;
        let by_number: HashMap<&str, Bytes> = found
            .iter()
            .map(|tracked| {
                (
                    tracked.order.tracking_number.as_str(),
                    encoded(tracked, limit),
                )
            })
            .collect();
        let entries: Vec<(&str, Option<&Bytes>)> = request
            .tracking_numbers
            .iter()
            .map(|number| (number.as_str(), by_number.get(number.as_str())))
            .collect();
        Ok(batch_answer(&entries))
    }

    async fn search_by_reference(
        &self,
        request: SearchTrackingByReferenceRequest,
    ) -> Result<SearchTrackingByReferenceResponse, ApiError> {
        let mut violations = Violations::new();
        violations.require_text(
            "customer_reference",
            &request.customer_reference,
            MAX_REFERENCE_CHARS,
        );
        let customer =
            customer_ref_field(&mut violations, "customer_id", &request.customer_id, false);
        let size = bounded_count(
            &mut violations,
            "page_size",
            request.page_size,
            REFERENCE_PAGE.0,
            REFERENCE_PAGE.1,
        );
        let limit = bounded_count(
            &mut violations,
            "max_events",
            request.max_events,
            REFERENCE_EVENTS.0,
            REFERENCE_EVENTS.1,
        );
        violations.finish()?;
        let customer_id = match &customer {
            Some(customer) => Some(self.customers.resolve(customer).await?),
            None => None,
        };
        let reference = request.customer_reference.trim();
        // Bound to the customer's id, so a page token serves its code and its id alike.
        let query = format!(
            "{reference}\0{}",
            customer_id.map(|id| id.to_string()).unwrap_or_default()
        );
        let after: Option<(i64, Uuid)> = self
            .reference_pages
            .open(query.as_bytes(), &request.page_token)?;
        let after = after.map(keyset_time).transpose()?;
        let (found, more) =
            tracking_reads::by_reference(&self.pool, (reference, customer_id), after, size, limit)
                .await?;
        let next_page_token = match (more, found.last()) {
            (true, Some(last)) => self.reference_pages.issue(
                query.as_bytes(),
                &(last.order.create_time.timestamp_micros(), last.order.id),
            ),
            _ => String::new(),
        };
        let trackings = found.iter().map(|found| shown(found, limit)).collect();
        Ok(SearchTrackingByReferenceResponse {
            trackings,
            next_page_token,
        })
    }
}

/// Records `events` (the first at position `first_index` of the caller's numbering) as `principal`
/// and answers each, in their order: each is checked here, the well-formed ones recorded by the
/// use case. Only a failure of the database fails the whole batch. The shipments named are
/// forgotten by the cache before answering, so a read that follows sees the batch.
pub(super) async fn record_batch(
    api: &TrackingApi,
    principal: &str,
    events: &[TrackingEvent],
    first_index: usize,
) -> Result<Vec<TrackingEventResult>, ApiError> {
    let mut results: Vec<Option<TrackingEventResult>> = vec![None; events.len()];
    let mut parsed = Vec::with_capacity(events.len());
    for (position, event) in events.iter().enumerate() {
        match parse_event(first_index + position, event) {
            Ok(event) => parsed.push(event),
            Err(violations) => {
                results[position] = Some(rejected_result(
                    first_index + position,
                    &event.client_event_id,
                    &event.tracking_number,
                    RejectionReason::InvalidEvent,
                    "the event has invalid fields".to_owned(),
                    event_violations(violations),
                ));
            }
        }
    }
    let recorded =
        tracking_record::record_batch(&api.pool, principal, &parsed, first_index, &mut results)
            .await;
    // Even a failed commit may have landed: forget in any case.
    api.cache
        .invalidate(events.iter().map(|event| event.tracking_number.as_str()));
    recorded?;
    Ok(results.into_iter().flatten().collect())
}

/// A shipment found with its latest events, as callers see it with at most `limit` of them.
fn shown(found: &Tracked, limit: usize) -> Tracking {
    tracking_to_proto(&found.order, found.newest_events.iter().collect(), limit)
}

/// [`shown`] in protobuf's wire form: encoded once per shipment in the cache and number of events
/// shown.
fn encoded(found: &Tracked, limit: usize) -> Bytes {
    // The events shown tell the answer apart: fewer than held means older ones exist.
    let events = limit.min(found.newest_events.len());
    found
        .encoded
        .get_or_encode(events, || shown(found, limit).encode_to_vec().into())
}

/// A `BatchGetTrackingResponse` with one entry per `(tracking number, encoded tracking if
/// found)`, byte for byte as prost would encode the message.
fn batch_answer(entries: &[(&str, Option<&Bytes>)]) -> Bytes {
    // Field numbers of BatchGetTrackingResponse and TrackingEntry.
    const ENTRIES: u32 = 1;
    const NUMBER: u32 = 1;
    const FOUND: u32 = 2;
    const TRACKING: u32 = 3;
    // A string field is written as an embedded message is: key, length, bytes.
    let entry_len = |number: &str, tracking: Option<&Bytes>| {
        let found = tracking.map_or(0, |tracking| {
            encoding::bool::encoded_len(FOUND, &true) + embedded_len(TRACKING, tracking.len())
        });
        embedded_len(NUMBER, number.len()) + found
    };
    let total = entries
        .iter()
        .map(|(number, tracking)| embedded_len(ENTRIES, entry_len(number, *tracking)))
        .sum();
    let mut answer = BytesMut::with_capacity(total);
    for (number, tracking) in entries {
        encoding::encode_key(ENTRIES, WireType::LengthDelimited, &mut answer);
        encoding::encode_varint(entry_len(number, *tracking) as u64, &mut answer);
        put_embedded(&mut answer, NUMBER, number.as_bytes());
        if let Some(tracking) = tracking {
            encoding::bool::encode(FOUND, &true, &mut answer);
            put_embedded(&mut answer, TRACKING, tracking);
        }
    }
    answer.freeze()
}

/// TrackingService's server. GetTracking and BatchGetTracking answer with the encoded tracking
/// kept with each cached shipment ([`PreEncoded`]); requests larger than `max_request_bytes` are
/// refused.
pub(crate) fn server(
    api: TrackingApi,
    max_request_bytes: usize,
) -> PreEncoded<TrackingServiceServer<TrackingApi>> {
    // Shared, not cloned per call: a clone copies the pool, the caches and the customers client.
    let encoded = Arc::new(api.clone());
    let (get, batch) = (encoded.clone(), encoded);
    let generated = TrackingServiceServer::new(api).max_decoding_message_size(max_request_bytes);
    PreEncoded::new(generated, max_request_bytes)
        .unary(
            "GetTracking",
            move |request: Request<GetTrackingRequest>| {
                let api = get.clone();
                async move { respond(api.get(request.into_inner()).await) }
            },
        )
        .unary(
            "BatchGetTracking",
            move |request: Request<BatchGetTrackingRequest>| {
                let api = batch.clone();
                async move { respond(api.batch_get(request.into_inner()).await) }
            },
        )
}

/// An answer of [`server`]'s encoded methods as the message the generated trait returns, for
/// callers of the trait itself; the server never decodes them.
fn decoded<M: prost::Message + Default>(
    encoded: Result<Bytes, ApiError>,
) -> Result<Response<M>, Status> {
    let encoded = respond(encoded)?.into_inner();
    M::decode(encoded)
        .map(Response::new)
        .map_err(|error| Status::internal(format!("an encoded answer did not decode: {error}")))
}

/// A requested count: 0 means `default`, more than `max` is capped, negative is refused.
pub(super) fn bounded_count(
    violations: &mut Violations,
    field: &str,
    requested: i32,
    default: usize,
    max: usize,
) -> usize {
    match requested {
        n if n < 0 => {
            violations.add(field, "must not be negative");
            default
        }
        0 => default,
        n => (n as usize).min(max),
    }
}

/// A keyset time sealed in a page token (microseconds since the epoch).
pub(super) fn keyset_time((micros, id): (i64, Uuid)) -> Result<(DateTime<Utc>, Uuid), ApiError> {
    DateTime::from_timestamp_micros(micros)
        .map(|time| (time, id))
        .ok_or_else(|| ApiError::invalid_field("page_token", "is malformed"))
}

#[tonic::async_trait]
impl TrackingService for TrackingApi {
    async fn record_tracking_events(
        &self,
        request: Request<RecordTrackingEventsRequest>,
    ) -> Result<Response<RecordTrackingEventsResponse>, Status> {
        let principal = principal_name(&request)?;
        respond(self.record(&principal, request.into_inner()).await)
    }

    async fn stream_tracking_events(
        &self,
        request: Request<Streaming<StreamTrackingEventsRequest>>,
    ) -> Result<Response<StreamTrackingEventsResponse>, Status> {
        let principal = principal_name(&request)?;
        self.ingest(&principal, request.into_inner())
            .await
            .map(Response::new)
    }

    async fn get_tracking(
        &self,
        request: Request<GetTrackingRequest>,
    ) -> Result<Response<Tracking>, Status> {
        decoded(self.get(request.into_inner()).await)
    }

    async fn batch_get_tracking(
        &self,
        request: Request<BatchGetTrackingRequest>,
    ) -> Result<Response<BatchGetTrackingResponse>, Status> {
        decoded(self.batch_get(request.into_inner()).await)
    }

    async fn search_tracking_by_reference(
        &self,
        request: Request<SearchTrackingByReferenceRequest>,
    ) -> Result<Response<SearchTrackingByReferenceResponse>, Status> {
        respond(self.search_by_reference(request.into_inner()).await)
    }

    type WatchTrackingStream = ReceiverStream<Result<WatchTrackingResponse, Status>>;

    async fn watch_tracking(
        &self,
        request: Request<WatchTrackingRequest>,
    ) -> Result<Response<Self::WatchTrackingStream>, Status> {
        let request = request.into_inner();
        let watched = async {
            let mut violations = Violations::new();
            tracking_number_field(&mut violations, "tracking_number", &request.tracking_number);
            violations.finish()?;
            self.hub.watch(&request.tracking_number).await
        };
        respond(watched.await)
    }

    async fn record_delivery(
        &self,
        request: Request<RecordDeliveryRequest>,
    ) -> Result<Response<ProofOfDelivery>, Status> {
        let principal = principal_name(&request)?;
        respond(self.deliver(&principal, request.into_inner()).await)
    }

    async fn get_proof_of_delivery(
        &self,
        request: Request<GetProofOfDeliveryRequest>,
    ) -> Result<Response<ProofOfDelivery>, Status> {
        respond(self.proof(request.into_inner()).await)
    }

    async fn list_problem_shipments(
        &self,
        request: Request<ListProblemShipmentsRequest>,
    ) -> Result<Response<ListProblemShipmentsResponse>, Status> {
        respond(self.problems(request.into_inner()).await)
    }
}

#[cfg(test)]
mod tests {
    use logistics_contracts::orders::TrackingEntry;

    use super::*;

    fn tracking(number: &str, events: usize) -> Tracking {
        Tracking {
            tracking_number: number.to_owned(),
            order_number: "O2026120600000001".to_owned(),
            events: (0..events)
                .map(|at| TrackingEvent {
                    client_event_id: format!("scan-{at}"),
                    description: "Arrived \u{7} at the hub".to_owned(),
                    ..TrackingEvent::default()
                })
                .collect(),
            has_older_events: true,
            ..Tracking::default()
        }
    }

    #[test]
    fn a_batch_answer_written_from_encoded_parts_is_what_prost_writes() {
        let long = tracking("SF1000000000017", 200);
        let short = tracking("SF1000000000025", 1);
        let (long_bytes, short_bytes) = (
            Bytes::from(long.encode_to_vec()),
            Bytes::from(short.encode_to_vec()),
        );
        let entries = [
            ("SF1000000000017", Some(&long_bytes)),
            ("SF9999999999999", None),
            ("SF1000000000025", Some(&short_bytes)),
            ("SF1000000000017", Some(&long_bytes)),
        ];
        let expected = BatchGetTrackingResponse {
            entries: entries
                .iter()
                .map(|(number, bytes)| TrackingEntry {
                    tracking_number: (*number).to_owned(),
                    found: bytes.is_some(),
                    tracking: bytes.map(|bytes| Tracking::decode(bytes.clone()).unwrap()),
                })
                .collect(),
        };
        assert_eq!(batch_answer(&entries), expected.encode_to_vec());
    }
}
