//! Writes that arrive together, written together: callers submit one item each and wait for its
//! result; a few writer tasks take whatever has queued up (at most a batch) and write it with one
//! statement.
//!
//! Why: a create that is one statement of its own still costs PostgreSQL a statement's start, a
//! commit and its WAL record, and the server a round trip. Rows written several to a statement
//! share those; `pgbench` on this machine stored about three times as many orders per second in
//! statements of 16 as in statements of one. Nothing waits for a batch to fill: a writer takes
//! what is queued when it gets free, so a lone call is written at once and a burst gathers while
//! the writers are busy.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::FutureExt as _;

use tokio::sync::{Mutex, mpsc, oneshot};

/// Items waiting beyond this many make their submitters wait to queue: the writers are behind.
const QUEUE_CAPACITY: usize = 1024;

/// Gathers submitted items into batches for a write function; see the module docs.
pub struct Batcher<T, R> {
    queue: mpsc::Sender<Queued<T, R>>,
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<T, R> std::fmt::Debug for Batcher<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

/// One submitted item and where its result goes.
struct Queued<T, R> {
    item: T,
    reply: oneshot::Sender<R>,
}

/// The item was not written: its batch's write panicked or returned fewer results than it was
/// given, or the writers have stopped.
#[derive(Debug, thiserror::Error)]
#[error("the batch writer stopped before writing this item")]
pub struct NotWritten;

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Starts `writers` tasks, each writing up to `max_batch` items at a time with `write`, which
    /// must return one result per item, in the items' order. The tasks end once every clone of
    /// the batcher is dropped and the queue is empty.
    pub fn start<W, F>(writers: usize, max_batch: usize, write: W) -> Self
    where
        W: Fn(Vec<T>) -> F + Send + Sync + 'static,
        F: Future<Output = Vec<R>> + Send + 'static,
    {
        let (queue, receiver) = mpsc::channel(QUEUE_CAPACITY);
        let receiver = Arc::new(Mutex::new(receiver));
        let write = Arc::new(write);
        for _ in 0..writers.max(1) {
            let receiver = receiver.clone();
            let write = write.clone();
            tokio::spawn(async move {
                let mut batch = Vec::with_capacity(max_batch);
                loop {
                    // One writer at a time takes from the queue, so a batch is everything queued
                    // when its writer got free, not a share of it.
                    {
                        let mut receiver = receiver.lock().await;
                        if receiver.recv_many(&mut batch, max_batch.max(1)).await == 0 {
                            return;
                        }
                    }
                    let (items, replies): (Vec<T>, Vec<_>) = batch
                        .drain(..)
                        .map(|queued: Queued<T, R>| (queued.item, queued.reply))
                        .unzip();
                    // A write that panics (a bug) fails its own batch, whose submitters hear
                    // `NotWritten`; the writer goes on with the next.
                    let Ok(results) = AssertUnwindSafe(async { write(items).await })
                        .catch_unwind()
                        .await
                    else {
                        tracing::error!("bug: a batch write panicked; its items were not written");
                        continue;
                    };
                    for (reply, result) in replies.into_iter().zip(results) {
                        // A submitter that went away no longer wants its result; the item is
                        // written all the same.
                        let _ = reply.send(result);
                    }
                }
            });
        }
        Self { queue }
    }

    /// Queues `item` and waits for its result. Once queued, it is written even if this future
    /// is dropped.
    pub async fn submit(&self, item: T) -> Result<R, NotWritten> {
        let (reply, result) = oneshot::channel();
        self.queue
            .send(Queued { item, reply })
            .await
            .map_err(|_| NotWritten)?;
        result.await.map_err(|_| NotWritten)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use tokio::sync::Semaphore;

    use super::*;

    /// What a gated write returns: the batch's items, once the gate lets it through.
    type HeldBatch = std::pin::Pin<Box<dyn Future<Output = Vec<u32>> + Send>>;
    /// Every batch written so far, as each was taken.
    type Batches = Arc<StdMutex<Vec<Vec<u32>>>>;

    /// A write function that records each batch's items and holds every batch until the test
    /// lets one through.
    fn gated() -> (Batches, Arc<Semaphore>, impl Fn(Vec<u32>) -> HeldBatch) {
        let batches = Batches::default();
        let gate = Arc::new(Semaphore::new(0));
        let (seen, passage) = (batches.clone(), gate.clone());
        let write = move |items: Vec<u32>| {
            seen.lock().unwrap().push(items.clone());
            let passage = passage.clone();
            Box::pin(async move {
                passage.acquire().await.unwrap().forget();
                items
            }) as HeldBatch
        };
        (batches, gate, write)
    }

    async fn until(condition: impl Fn() -> bool) {
        while !condition() {
            tokio::task::yield_now().await;
        }
    }

    fn queued<T, R>(batcher: &Batcher<T, R>) -> usize {
        QUEUE_CAPACITY - batcher.queue.capacity()
    }

    #[tokio::test]
    async fn every_submitter_gets_the_result_of_its_own_item() {
        let batcher = Batcher::start(2, 8, |items: Vec<u32>| async move {
            items.into_iter().map(|item| item * 10).collect()
        });
        let calls = (0..100).map(|item| {
            let batcher = batcher.clone();
            tokio::spawn(async move { (item, batcher.submit(item).await.unwrap()) })
        });
        for call in calls {
            let (item, result) = call.await.unwrap();
            assert_eq!(result, item * 10);
        }
    }

    #[tokio::test]
    async fn items_queued_while_the_writer_is_busy_are_written_together() {
        let (batches, gate, write) = gated();
        let batcher = Batcher::start(1, 4, write);
        let submit = |item: u32| {
            let batcher = batcher.clone();
            tokio::spawn(async move { batcher.submit(item).await })
        };
        let first = submit(0);
        until(|| batches.lock().unwrap().len() == 1).await;
        let rest: Vec<_> = (1..7).map(submit).collect();
        until(|| queued(&batcher) == 6).await;
        gate.add_permits(3);
        first.await.unwrap().unwrap();
        for call in rest {
            call.await.unwrap().unwrap();
        }
        assert_eq!(
            *batches.lock().unwrap(),
            vec![vec![0], vec![1, 2, 3, 4], vec![5, 6]]
        );
    }

    #[tokio::test]
    async fn an_item_left_without_a_result_is_reported_not_written() {
        let batcher = Batcher::start(1, 8, |_: Vec<u32>| async { Vec::<u32>::new() });
        assert!(matches!(batcher.submit(1).await, Err(NotWritten)));
    }

    #[tokio::test]
    async fn a_write_that_panics_fails_its_batch_and_the_writer_goes_on() {
        let batcher = Batcher::start(1, 8, |items: Vec<u32>| async move {
            assert!(!items.contains(&13), "a bug in the write");
            items
        });
        assert!(matches!(batcher.submit(13).await, Err(NotWritten)));
        assert_eq!(batcher.submit(14).await.unwrap(), 14);
    }

    #[tokio::test]
    async fn an_item_whose_submitter_left_is_still_written() {
        let (batches, gate, write) = gated();
        let batcher = Batcher::start(1, 8, write);
        let call = tokio::spawn({
            let batcher = batcher.clone();
            async move { batcher.submit(1).await }
        });
        until(|| batches.lock().unwrap().len() == 1).await;
        call.abort();
        gate.add_permits(2);
        assert_eq!(batcher.submit(2).await.unwrap(), 2);
        assert_eq!(*batches.lock().unwrap(), vec![vec![1], vec![2]]);
    }
}
