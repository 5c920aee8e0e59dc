//! Caches of hot rows and peer answers: a time to live, a bounded size, and single-flight
//! loading, so a burst of misses on one key makes one database read or peer call, not one each.
//!
//! A thin layer over `moka`'s async cache that speaks [`ApiError`]: a failed load is not cached,
//! and every caller that waited on it gets the error with its code and reason.
//!
//! [`CoherentCache`] is for rows that writes change while they are cached (tracking): writers
//! invalidate, and no value read across an invalidation is kept.

use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;
use std::time::Duration;

use crate::error::ApiError;

mod coherent;
pub use coherent::{CoherentCache, Ticket};

/// Values by key, each kept for at most the time to live.
#[derive(Clone)]
pub struct Cache<K, V> {
    entries: moka::future::Cache<K, V>,
}

impl<K, V> std::fmt::Debug for Cache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").finish_non_exhaustive()
    }
}

impl<K, V> Cache<K, V>
where
    K: Hash + Eq + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache keeping each value for `ttl`, and at most `capacity` values (the least used
    /// leave first).
    pub fn new(ttl: Duration, capacity: u64) -> Self {
        Self {
            entries: moka::future::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(capacity)
                .build(),
        }
    }

    /// The value of `key`, loaded by the future `load` makes when missing or expired. Concurrent
    /// callers missing the same key share one load; a failed load is not kept.
    ///
    /// The load is made only on a miss, and boxed: a caller's future holds the state of every
    /// future it may await, and a load's (a query, a peer call) can be kilobytes that every hit
    /// would otherwise carry and copy.
    pub async fn get_or_load<F>(&self, key: K, load: impl FnOnce() -> F) -> Result<V, ApiError>
    where
        F: Future<Output = Result<V, ApiError>>,
    {
        self.entries
            .try_get_with(key, async move { Box::pin(load()).await })
            .await
            .map_err(|shared| Arc::try_unwrap(shared).unwrap_or_else(|shared| copy_of(&shared)))
    }

    /// Makes `value` the value of `key`, e.g. right after this replica stored it.
    pub async fn insert(&self, key: K, value: V) {
        self.entries.insert(key, value).await;
    }

    /// Forgets `key`, so the next read loads it again.
    pub async fn invalidate(&self, key: &K) {
        self.entries.invalidate(key).await;
    }
}

/// One value, kept for at most the time to live: a cache with a single key.
#[derive(Clone, Debug)]
pub struct CachedValue<V> {
    cache: Cache<(), V>,
}

impl<V: Clone + Send + Sync + 'static> CachedValue<V> {
    /// A value kept for `ttl` after each load.
    pub fn new(ttl: Duration) -> Self {
        Self {
            cache: Cache::new(ttl, 1),
        }
    }

    /// The value, loaded by the future `load` makes when missing or expired; concurrent misses
    /// share one load.
    pub async fn get_or_load<F>(&self, load: impl FnOnce() -> F) -> Result<V, ApiError>
    where
        F: Future<Output = Result<V, ApiError>>,
    {
        self.cache.get_or_load((), load).await
    }

    /// Replaces the value, e.g. right after this replica changed it.
    pub async fn set(&self, value: V) {
        self.cache.insert((), value).await;
    }
}

/// The error of a load, for one of the several callers that waited on it: the same code,
/// reason and message (causes, logged once by the first caller, become their text).
fn copy_of(error: &ApiError) -> ApiError {
    match error {
        ApiError::InvalidArgument {
            reason,
            message,
            violations,
        } => ApiError::InvalidArgument {
            reason,
            message: message.clone(),
            violations: violations.clone(),
        },
        ApiError::NotFound {
            reason,
            resource,
            id,
        } => ApiError::NotFound {
            reason,
            resource,
            id: id.clone(),
        },
        ApiError::AlreadyExists { reason, message } => ApiError::AlreadyExists {
            reason,
            message: message.clone(),
        },
        ApiError::FailedPrecondition {
            reason,
            message,
            metadata,
        } => ApiError::FailedPrecondition {
            reason,
            message: message.clone(),
            metadata: metadata.clone(),
        },
        ApiError::Aborted { reason, message } => ApiError::Aborted {
            reason,
            message: message.clone(),
        },
        ApiError::Unauthenticated { reason, message } => ApiError::Unauthenticated {
            reason,
            message: message.clone(),
        },
        ApiError::PermissionDenied {
            reason,
            message,
            scope,
        } => ApiError::PermissionDenied {
            reason,
            message: message.clone(),
            scope: scope.clone(),
        },
        ApiError::ResourceExhausted { reason, message } => ApiError::ResourceExhausted {
            reason,
            message: message.clone(),
        },
        ApiError::Unavailable {
            reason,
            message,
            source,
        } => ApiError::Unavailable {
            reason,
            message: message.clone(),
            source: source.as_ref().map(|source| anyhow::anyhow!("{source:#}")),
        },
        ApiError::Internal(source) => ApiError::Internal(anyhow::anyhow!("{source:#}")),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test]
    async fn a_burst_of_misses_on_one_key_makes_one_load() {
        let cache: Cache<u32, u32> = Cache::new(Duration::from_secs(60), 100);
        let loads = Arc::new(AtomicUsize::new(0));
        let burst = (0..32).map(|_| {
            let (cache, loads) = (cache.clone(), loads.clone());
            tokio::spawn(async move {
                cache
                    .get_or_load(7, || async {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(49)
                    })
                    .await
            })
        });
        for answer in futures::future::join_all(burst).await {
            assert_eq!(answer.unwrap().unwrap(), 49);
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn a_failed_load_is_not_kept_and_every_waiter_gets_its_code_and_reason() {
        let cache: CachedValue<u32> = CachedValue::new(Duration::from_secs(60));
        let refusal = || ApiError::Unavailable {
            reason: "PEER_UNAVAILABLE",
            message: "customers did not answer".to_owned(),
            source: None,
        };
        let failing = (0..4).map(|_| {
            let cache = cache.clone();
            tokio::spawn(async move {
                cache
                    .get_or_load(|| async {
                        tokio::time::sleep(Duration::from_millis(20)).await;
                        Err(refusal())
                    })
                    .await
            })
        });
        for answer in futures::future::join_all(failing).await {
            let status = answer.unwrap().unwrap_err().into_status("test");
            assert_eq!(status.code(), tonic::Code::Unavailable);
            assert_eq!(status.message(), "customers did not answer");
        }
        assert_eq!(cache.get_or_load(|| async { Ok(1) }).await.unwrap(), 1);
    }

    #[tokio::test]
    async fn a_value_set_by_this_replica_is_read_back_without_a_load_and_expires() {
        let cache: CachedValue<u32> = CachedValue::new(Duration::from_millis(100));
        cache.set(5).await;
        let unexpected = || async { Err(ApiError::Internal(anyhow::anyhow!("loaded"))) };
        assert_eq!(cache.get_or_load(unexpected).await.unwrap(), 5);
        tokio::time::sleep(Duration::from_millis(150)).await;
        assert_eq!(cache.get_or_load(|| async { Ok(6) }).await.unwrap(), 6);
    }
}
