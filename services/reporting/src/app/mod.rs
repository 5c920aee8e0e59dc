//! The reporting service's use cases: what followed events do to the read models
//! ([`projections`]), and the reports read from them ([`kpis`], [`statements`], the projection
//! status).

pub(crate) mod kpis;
pub(crate) mod projections;
pub(crate) mod statements;

use logistics_platform::feed_follower::{FollowerHandle, FollowerStatus};
use sqlx::PgPool;
use tokio::sync::watch;

/// The reports over the read models, and the followers' status.
#[derive(Clone)]
pub(crate) struct Reports {
    pool: PgPool,
    followers: Vec<watch::Receiver<FollowerStatus>>,
}

impl Reports {
    /// Reports over `pool`, showing the status of `followers`.
    pub(crate) fn new(pool: PgPool, followers: &[FollowerHandle]) -> Self {
        Self {
            pool,
            followers: followers.iter().map(FollowerHandle::watch).collect(),
        }
    }

    /// Each followed feed's status, in the order the followers were started.
    pub(crate) fn projection_status(&self) -> Vec<FollowerStatus> {
        self.followers
            .iter()
            .map(|status| status.borrow().clone())
            .collect()
    }
}
