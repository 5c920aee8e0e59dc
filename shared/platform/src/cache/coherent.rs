//! A cache that the writers keep coherent: each write invalidates what it changed, here at once
//! and on the other replicas through a notification, and a value read from the database while
//! an invalidation of its key went by is never kept.
//!
//! Why not [`super::Cache`]: its single-flight loading lets a caller that arrives after a write
//! join a load that started before it, and get the old value. Here every miss loads on its own,
//! and the load's result is kept only when its key's generation did not move meanwhile.

use std::borrow::Borrow;
use std::future::Future;
use std::hash::{BuildHasher, Hash, RandomState};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::error::ApiError;
use crate::notifications::Hearing;

/// Invalidation counters, by key hash: enough that a write rarely spoils another key's load.
const STRIPES: usize = 1024;

/// Values by key, kept until a writer invalidates them, for at most the time to live, within a
/// total weight.
#[derive(Clone)]
pub struct CoherentCache<K, V> {
    entries: moka::sync::Cache<K, V>,
    generations: Arc<[AtomicU64]>,
    hasher: RandomState,
    /// A weight of 0 keeps nothing: the cache is off.
    off: bool,
    /// When set, values are served only while every notification older than the lag was heard:
    /// a replica that may have missed an invalidation reads the database instead.
    hearing: Option<(Hearing, Duration)>,
}

impl<K, V> std::fmt::Debug for CoherentCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoherentCache").finish_non_exhaustive()
    }
}

/// A key's generation seen before its value was read: the proof that no invalidation of the key
/// went by while reading, checked when the value is kept.
#[derive(Debug, Clone, Copy)]
pub struct Ticket {
    stripe: usize,
    generation: u64,
}

impl<K, V> CoherentCache<K, V>
where
    K: Hash + Eq + Clone + Send + Sync + 'static,
    V: Clone + Send + Sync + 'static,
{
    /// A cache keeping each value at most `ttl`, and values weighing at most `max_weight` in all,
    /// each weighing `weigh(value)` (the least used leave first). A `max_weight` of 0 keeps
    /// nothing.
    pub fn new(ttl: Duration, max_weight: u64, weigh: fn(&V) -> u32) -> Self {
        Self {
            entries: moka::sync::Cache::builder()
                .time_to_live(ttl)
                .max_capacity(max_weight)
                .weigher(move |_, value| weigh(value))
                .build(),
            generations: (0..STRIPES).map(|_| AtomicU64::new(0)).collect(),
            hasher: RandomState::new(),
            off: max_weight == 0,
            hearing: None,
        }
    }

    /// Serves values only while `hearing` says every notification older than `lag` was heard,
    /// so that writes on other replicas are seen within `lag`.
    pub fn trusting(mut self, hearing: Hearing, lag: Duration) -> Self {
        self.hearing = Some((hearing, lag));
        self
    }

    /// The value of `key`, unless missing, expired or not to be trusted now.
    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some((hearing, lag)) = &self.hearing
            && !hearing.is_within(*lag)
        {
            return None;
        }
        self.entries.get(key)
    }

    /// Take before reading `key`'s value from the source, to keep it with [`Self::insert`].
    pub fn ticket<Q>(&self, key: &Q) -> Ticket
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let stripe = self.stripe(key);
        Ticket {
            stripe,
            generation: self.generations[stripe].load(Ordering::SeqCst),
        }
    }

    /// Keeps `value` as `key`'s, unless `key` was invalidated since `ticket` was taken.
    pub fn insert(&self, key: K, value: V, ticket: Ticket) {
        let generation = &self.generations[ticket.stripe];
        if self.off || generation.load(Ordering::SeqCst) != ticket.generation {
            return;
        }
        self.entries.insert(key.clone(), value);
        // An invalidation between the check and the insert may have found nothing to remove:
        // look again, and take back what was just kept.
        if generation.load(Ordering::SeqCst) != ticket.generation {
            self.entries.invalidate(&key);
        }
    }

    /// Forgets `key`, and spoils every load of it in progress.
    pub fn invalidate<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.generations[self.stripe(key)].fetch_add(1, Ordering::SeqCst);
        self.entries.invalidate(key);
    }

    /// Forgets everything, and spoils every load in progress.
    pub fn invalidate_all(&self) {
        for generation in self.generations.iter() {
            generation.fetch_add(1, Ordering::SeqCst);
        }
        self.entries.invalidate_all();
    }

    /// The value of `key`, loaded by the future `load` makes when missing; kept if no
    /// invalidation went by. The load is made only on a miss, and boxed, so that hits do not
    /// carry its state (see [`super::Cache::get_or_load`]).
    pub async fn get_or_load<F>(&self, key: K, load: impl FnOnce() -> F) -> Result<V, ApiError>
    where
        F: Future<Output = Result<V, ApiError>>,
    {
        if let Some(value) = self.get(&key) {
            return Ok(value);
        }
        let ticket = self.ticket(&key);
        let value = Box::pin(load()).await?;
        self.insert(key, value.clone(), ticket);
        Ok(value)
    }

    fn stripe<Q>(&self, key: &Q) -> usize
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        (self.hasher.hash_one(key) % STRIPES as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cache() -> CoherentCache<String, u32> {
        CoherentCache::new(Duration::from_secs(60), 100, |_| 1)
    }

    #[test]
    fn a_value_read_while_its_key_was_invalidated_is_not_kept() {
        let cache = cache();
        let ticket = cache.ticket("order");
        cache.invalidate("order");
        cache.insert("order".to_owned(), 1, ticket);
        assert_eq!(cache.get("order"), None);

        let ticket = cache.ticket("order");
        cache.insert("order".to_owned(), 2, ticket);
        assert_eq!(cache.get("order"), Some(2));
    }

    #[test]
    fn invalidating_everything_spoils_every_load_in_progress() {
        let cache = cache();
        let tickets: Vec<_> = (0..50).map(|n| (n, cache.ticket(&n.to_string()))).collect();
        cache.invalidate_all();
        for (n, ticket) in tickets {
            cache.insert(n.to_string(), n, ticket);
        }
        assert!((0..50).all(|n| cache.get(&n.to_string()).is_none()));
    }

    #[tokio::test]
    async fn a_load_after_an_invalidation_reads_again_and_is_kept() {
        let cache = cache();
        let loaded = cache.get_or_load("a".to_owned(), || async { Ok(1) }).await;
        assert_eq!(loaded.unwrap(), 1);
        let kept = cache.get_or_load("a".to_owned(), || async { Ok(99) }).await;
        assert_eq!(kept.unwrap(), 1, "served from the cache");
        cache.invalidate("a");
        let reloaded = cache.get_or_load("a".to_owned(), || async { Ok(2) }).await;
        assert_eq!(reloaded.unwrap(), 2);
        assert_eq!(cache.get("a"), Some(2));
    }

    #[test]
    fn a_cache_that_cannot_vouch_for_its_hearing_serves_nothing() {
        let cache = cache().trusting(Hearing::never_heard(), Duration::from_secs(1));
        let ticket = cache.ticket("a");
        cache.insert("a".to_owned(), 1, ticket);
        assert_eq!(cache.get("a"), None);
    }
}
