//! WatchTracking across replicas: every change of an order row NOTIFYs (a trigger); each process
//! keeps one LISTEN connection (`app::tracking_cache`) and fans the order ids out to its watchers
//! through a broadcast channel. Watchers then read what is new by the order's recording sequence,
//! so a missed or merged notification loses nothing.

use crate::reasons::Reason;
use std::sync::Arc;
use std::time::Duration;

use logistics_contracts::orders::{WatchTrackingResponse, watch_tracking_response};
use logistics_platform::ApiError;
use sqlx::PgPool;
use tokio::sync::{OwnedSemaphorePermit, Semaphore, broadcast, mpsc};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;
use uuid::Uuid;

use super::tracking_fields::{event_to_proto, tracking_to_proto};
use crate::DOMAIN;
use crate::app::proto::status_to_proto;
use crate::app::tracking_reads::{self, Tracked};
use crate::store::tracking::TrackedOrder;

/// Most watchers one process serves at once.
pub(crate) const MAX_WATCHERS: usize = 1000;
/// Events in a watch's first message.
const SNAPSHOT_EVENTS: usize = 200;
/// Messages buffered per watcher.
const WATCHER_BUFFER: usize = 64;
/// How often a watcher looks without a notification: a backstop, since every change of the order
/// row notifies.
const IDLE_RECHECK: Duration = Duration::from_secs(15);

/// The process's notifications of new tracking events, and its watcher limit.
#[derive(Clone)]
pub(crate) struct WatchHub {
    pool: PgPool,
    wake: broadcast::Sender<Uuid>,
    permits: Arc<Semaphore>,
    shutdown: CancellationToken,
}

impl WatchHub {
    /// Watchers woken by `wake` (the order changed; nil: anything may have), reading through
    /// `pool`, at most `max_watchers` of them, until `shutdown`.
    pub(crate) fn new(
        pool: PgPool,
        wake: broadcast::Sender<Uuid>,
        max_watchers: usize,
        shutdown: CancellationToken,
    ) -> Self {
        Self {
            pool,
            wake,
            permits: Arc::new(Semaphore::new(max_watchers)),
            shutdown,
        }
    }

    /// A place among the watchers, or RESOURCE_EXHAUSTED when there is none.
    fn admit(&self) -> Result<OwnedSemaphorePermit, ApiError> {
        self.permits
            .clone()
            .try_acquire_owned()
            .map_err(|_| ApiError::ResourceExhausted {
                reason: Reason::TooManyWatchers.as_str(),
                message: "this server watches as many shipments as it can; retry later".to_owned(),
            })
    }

    /// Watches the shipment of `tracking_number`: its current tracking, then each new event,
    /// until it reaches a final status, the caller goes away or the server shuts down.
    pub(crate) async fn watch(
        &self,
        tracking_number: &str,
    ) -> Result<ReceiverStream<Result<WatchTrackingResponse, Status>>, ApiError> {
        let permit = self.admit()?;
        // Subscribed before the snapshot is read, so nothing recorded after it goes unnoticed.
        let wake = self.wake.subscribe();
        let Tracked {
            order,
            newest_events,
            ..
        } = tracking_reads::watch_snapshot(&self.pool, tracking_number, SNAPSHOT_EVENTS).await?;
        let snapshot = tracking_to_proto(&order, newest_events.iter().collect(), SNAPSHOT_EVENTS);
        let first = WatchTrackingResponse {
            status: snapshot.status,
            update: Some(watch_tracking_response::Update::Snapshot(snapshot)),
        };
        let (sender, receiver) = mpsc::channel(WATCHER_BUFFER);
        let watcher = Watcher {
            hub: self.clone(),
            order,
            sender,
            wake,
            _permit: permit,
        };
        tokio::spawn(watcher.run(first));
        Ok(ReceiverStream::new(receiver))
    }
}

/// One watch in progress.
struct Watcher {
    hub: WatchHub,
    order: TrackedOrder,
    sender: mpsc::Sender<Result<WatchTrackingResponse, Status>>,
    wake: broadcast::Receiver<Uuid>,
    _permit: OwnedSemaphorePermit,
}

impl Watcher {
    async fn run(mut self, first: WatchTrackingResponse) {
        if self.sender.send(Ok(first)).await.is_err() || self.is_over() {
            return;
        }
        loop {
            tokio::select! {
                _ = self.hub.shutdown.cancelled() => {
                    let _ = self.sender.send(Err(Status::unavailable(
                        "the server is shutting down; watch again",
                    ))).await;
                    return;
                }
                _ = self.sender.closed() => return,
                _ = tokio::time::sleep(IDLE_RECHECK) => {}
                received = self.wake.recv() => match received {
                    // Nil: the listener reconnected and may have missed notifications.
                    Ok(id) if id == self.order.id || id.is_nil() => {}
                    Ok(_) => continue,
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                },
            }
            match self.send_new_events().await {
                Ok(true) => {}
                Ok(false) => return,
                Err(error) => {
                    let _ = self.sender.send(Err(error.into_status(DOMAIN))).await;
                    return;
                }
            }
            if self.is_over() {
                return;
            }
        }
    }

    /// Sends the events recorded since the last one sent; false when the caller went away.
    async fn send_new_events(&mut self) -> Result<bool, ApiError> {
        let Some((current, events)) =
            tracking_reads::recorded_since(&self.hub.pool, &self.order).await?
        else {
            return Ok(false);
        };
        let mut status = self.order.status;
        for event in &events {
            if let Some(applied) = &event.applied_status {
                status = *applied;
            }
            let message = WatchTrackingResponse {
                status: status_to_proto(status.get()).into(),
                update: Some(watch_tracking_response::Update::Event(event_to_proto(
                    event,
                    &self.order.tracking_number,
                ))),
            };
            if self.sender.send(Ok(message)).await.is_err() {
                return Ok(false);
            }
            self.order.tracking_sequence = event.sequence;
        }
        // A change without an event (a cancellation) ends the watch too.
        self.order.status = if current.tracking_sequence <= self.order.tracking_sequence {
            current.status
        } else {
            status
        };
        Ok(true)
    }

    fn is_over(&self) -> bool {
        self.order.status.0.is_final()
    }
}
