//! The reporting service's use cases: what followed events do to the read models
//! ([`projections`]), the reports read from them ([`kpis`], [`statements`], [`scorecards`],
//! [`segments`], [`regional`], the projection status), and rebuilding them from the feeds ([`rebuild`]).

pub(crate) mod kpis;
pub(crate) mod projections;
pub(crate) mod rebuild;
pub(crate) mod regional;
pub(crate) mod rendering;
pub(crate) mod scorecards;
pub(crate) mod segments;
pub(crate) mod statements;

use std::sync::Arc;

use logistics_platform::feed_follower::FollowerStatus;
use sqlx::PgPool;

use crate::feeds::LiveFollowers;
use rebuild::Rebuilder;

/// The reports over the read models, the followers' status, and their rebuilds.
#[derive(Clone)]
pub(crate) struct Reports {
    pool: PgPool,
    live: Arc<LiveFollowers>,
    rebuilder: Rebuilder,
}

impl Reports {
    /// Reports over `pool`, showing the status of the `live` followers, rebuilt by `rebuilder`.
    pub(crate) fn new(pool: PgPool, live: Arc<LiveFollowers>, rebuilder: Rebuilder) -> Self {
        Self {
            pool,
            live,
            rebuilder,
        }
    }

    /// Each followed feed's status, in the order customers, orders, complaints.
    pub(crate) async fn projection_status(&self) -> Vec<FollowerStatus> {
        self.live.statuses().await
    }

    /// The rebuilds of the read models.
    pub(crate) fn rebuilds(&self) -> &Rebuilder {
        &self.rebuilder
    }
}
