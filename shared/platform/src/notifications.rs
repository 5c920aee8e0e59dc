//! Following one PostgreSQL NOTIFY channel on a connection of its own: reconnecting when the
//! connection drops, saying when notifications may have been missed, and, for whoever keeps a
//! cache fresh with them, knowing how recently everything was heard.
//!
//! Notifications are transient: one sent while nobody listens is lost. So after every (re)connect
//! the receiver first gets [`Heard::MayHaveMissed`] and should act as if anything had changed.
//! A cache needs more than that: a connection can go quiet without failing, and then nothing says
//! that notifications stopped. [`listen_and_hear`] therefore asks its listening connection a
//! trivial question a few times a second. PostgreSQL hands a listening session the notifications
//! committed before its answer ahead of that answer, so an answer proves that every notification
//! committed before the question was sent has been heard; [`Hearing`] keeps the latest such time.
//! (A ping sent with NOTIFY would prove the same, but each would take a transaction id.)

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use sqlx::postgres::{PgListener, PgPoolOptions};
use tokio_util::sync::CancellationToken;

/// What the listener tells its receiver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard<'a> {
    /// A notification's payload.
    Notification(&'a str),
    /// The listener (re)connected: notifications sent meanwhile were lost.
    MayHaveMissed,
}

/// The `application_name` of listening connections.
pub const LISTENER_NAME: &str = "logistics listener";
/// How often [`listen_and_hear`] asks its connection.
const ASK_EVERY: Duration = Duration::from_millis(200);
/// A connection that takes longer than this to answer is taken for dead and replaced.
const ANSWER_WITHIN: Duration = Duration::from_secs(2);

/// How recently a listener heard everything on its channel.
#[derive(Clone, Debug)]
pub struct Hearing {
    /// The reference instant; times below are microseconds since it.
    base: Instant,
    /// When the latest answered question was sent (microseconds since `base`; 0 for never).
    heard_until: Arc<AtomicU64>,
}

impl Hearing {
    fn new() -> Self {
        Self {
            base: Instant::now(),
            heard_until: Arc::new(AtomicU64::new(0)),
        }
    }

    /// A hearing that never heard anything, as before the first answer (for tests).
    #[cfg(test)]
    pub(crate) fn never_heard() -> Self {
        Self::new()
    }

    /// Whether every notification committed more than `lag` ago has been delivered.
    pub fn is_within(&self, lag: Duration) -> bool {
        let heard = self.heard_until.load(Ordering::Acquire);
        heard != 0 && self.micros_now().saturating_sub(heard) <= lag.as_micros() as u64
    }

    fn micros_now(&self) -> u64 {
        (self.base.elapsed().as_micros() as u64).max(1)
    }

    fn heard_until(&self, micros: u64) {
        self.heard_until.fetch_max(micros, Ordering::AcqRel);
    }

    fn forget(&self) {
        self.heard_until.store(0, Ordering::Release);
    }
}

/// Follows `channel` until `shutdown`, handing each notification to `deliver`. The listening
/// connection is opened with `pool`'s settings but outside it, so it never takes a place from
/// the calls.
pub fn listen(
    pool: &PgPool,
    channel: String,
    shutdown: CancellationToken,
    deliver: impl FnMut(Heard<'_>) + Send + 'static,
) {
    tokio::spawn(follow(pool.clone(), channel, None, shutdown, deliver));
}

/// Like [`listen`], and the returned [`Hearing`] tells how fresh what was heard is. A connection
/// that stops answering is replaced.
pub fn listen_and_hear(
    pool: &PgPool,
    channel: String,
    shutdown: CancellationToken,
    deliver: impl FnMut(Heard<'_>) + Send + 'static,
) -> Hearing {
    let hearing = Hearing::new();
    tokio::spawn(follow(
        pool.clone(),
        channel,
        Some(hearing.clone()),
        shutdown,
        deliver,
    ));
    hearing
}

async fn follow(
    pool: PgPool,
    channel: String,
    hearing: Option<Hearing>,
    shutdown: CancellationToken,
    mut deliver: impl FnMut(Heard<'_>),
) {
    // A pool of its own, of one connection that never expires: the listener reconnects with it.
    // Named, so that operators (and tests) tell it apart in `pg_stat_activity`.
    let own = PgPoolOptions::new()
        .max_connections(1)
        .max_lifetime(None)
        .idle_timeout(None)
        .connect_lazy_with(
            (*pool.connect_options())
                .clone()
                .application_name(LISTENER_NAME),
        );
    loop {
        let connected = async {
            let mut listener = PgListener::connect_with(&own).await?;
            listener.ignore_pool_close_event(true);
            // Left eager, `try_recv` reconnects and listens again before saying the connection
            // was lost; cancelled there by the question's tick, it leaves no connection, and
            // `SELECT 1` would then reconnect silently and vouch for notifications lost between
            // the two connections. Every reconnect goes through this loop instead.
            listener.eager_reconnect(false);
            listener.listen(&channel).await?;
            Ok::<_, sqlx::Error>(listener)
        };
        let mut listener = tokio::select! {
            _ = shutdown.cancelled() => return,
            connected = connected => match connected {
                Ok(listener) => listener,
                Err(error) => {
                    tracing::warn!(%error, %channel, "cannot listen; retrying");
                    tokio::select! {
                        _ = shutdown.cancelled() => return,
                        _ = tokio::time::sleep(Duration::from_secs(1)) => continue,
                    }
                }
            },
        };
        if let Some(hearing) = &hearing {
            hearing.forget();
        }
        deliver(Heard::MayHaveMissed);
        let mut ask = tokio::time::interval(ASK_EVERY);
        ask.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            // Only a listener that keeps a hearing asks; the others wait for notifications.
            let asking = async {
                match &hearing {
                    Some(_) => ask.tick().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = shutdown.cancelled() => return,
                _ = asking => {
                    let Some(hearing) = &hearing else { continue };
                    let asked_at = hearing.micros_now();
                    let answer = tokio::time::timeout(
                        ANSWER_WITHIN,
                        sqlx::query("SELECT 1").execute(&mut listener),
                    )
                    .await;
                    if !matches!(answer, Ok(Ok(_))) {
                        tracing::warn!(%channel, "the listening connection does not answer; reconnecting");
                        break;
                    }
                    // What arrived with the answer was set aside for us: hand it over first.
                    while let Some(notification) = listener.next_buffered() {
                        deliver(Heard::Notification(notification.payload()));
                    }
                    hearing.heard_until(asked_at);
                }
                // Cancelled by the other branches between messages only: sqlx reads a whole
                // message before consuming it, and (not eager) gives up a lost connection
                // without waiting.
                received = listener.try_recv() => match received {
                    Ok(Some(notification)) => deliver(Heard::Notification(notification.payload())),
                    // The connection dropped. sqlx would listen again on its next use, but only
                    // after that may "everything may have been missed" be said: said now, a
                    // commit before the new LISTEN would go unheard, and the next answer to
                    // `SELECT 1` would vouch for it. So reconnect here, in order.
                    Ok(None) => {
                        tracing::warn!(%channel, "lost the listening connection; reconnecting");
                        break;
                    }
                    Err(error) => {
                        tracing::warn!(%error, %channel, "lost the listening connection; reconnecting");
                        break;
                    }
                },
            }
        }
        if let Some(hearing) = &hearing {
            hearing.forget();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hearing_vouches_for_the_latest_answer_until_it_is_forgotten() {
        let hearing = Hearing::new();
        assert!(
            !hearing.is_within(Duration::from_secs(3600)),
            "nothing heard yet"
        );
        hearing.heard_until(hearing.micros_now());
        assert!(hearing.is_within(Duration::from_secs(1)));
        hearing.heard_until(1);
        assert!(
            hearing.is_within(Duration::from_secs(1)),
            "an older answer counts for nothing"
        );
        std::thread::sleep(Duration::from_millis(30));
        assert!(
            !hearing.is_within(Duration::from_millis(10)),
            "too long ago"
        );
        hearing.forget();
        assert!(!hearing.is_within(Duration::from_secs(3600)));
    }
}
