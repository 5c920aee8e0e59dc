//! Reading complaints: one with its evidence (and, in the FULL view, its audit trail), pages of
//! them for queues, and counts by status and priority.

use chrono::Utc;
use logistics_contracts::complaints as pb;
use logistics_platform::ApiError;
use logistics_platform::fields::CustomerRef;

use super::proto::{self, Extras, priority_to_proto, status_to_proto};
use super::{Complaints, not_found};
use crate::store;
use crate::store::complaint_lists::{ComplaintQuery, ListPosition};
use crate::store::complaints::ComplaintRef;

/// A page of complaints, and where the next starts.
pub(crate) struct Page {
    /// The complaints, newest first.
    pub complaints: Vec<pb::Complaint>,
    /// After the last of them, when there are more.
    pub next: Option<ListPosition>,
}

impl Complaints {
    /// `query` with the customer a caller named by id or code; an unknown code is NOT_FOUND.
    pub(crate) async fn query_with(
        &self,
        mut query: ComplaintQuery,
        customer: Option<&CustomerRef>,
    ) -> Result<ComplaintQuery, ApiError> {
        if let Some(customer) = customer {
            query.customer_id = Some(self.customers.resolve(customer).await?);
        }
        Ok(query)
    }

    /// The complaint `reference` names; with `full`, its audit trail and evidence events too.
    pub(crate) async fn get(
        &self,
        reference: &ComplaintRef,
        named: &str,
        full: bool,
    ) -> Result<pb::Complaint, ApiError> {
        let settings = self.settings().await?;
        let mut conn = self.pool.acquire().await?;
        let complaint = store::complaints::find(&mut conn, reference, false)
            .await?
            .ok_or_else(|| not_found(named))?;
        let evidence = store::complaints::evidence(&mut conn, complaint.id).await?;
        let trail = if full {
            Some(store::audit::trail(&mut conn, complaint.id).await?)
        } else {
            None
        };
        let extras = Extras { evidence, trail };
        Ok(proto::complaint(
            &complaint,
            extras,
            &settings.calendar.calendar,
            Utc::now(),
        ))
    }

    /// One page of the complaints `query` takes, after `after`, at most `limit`.
    pub(crate) async fn list(
        &self,
        query: &ComplaintQuery,
        after: Option<ListPosition>,
        limit: usize,
    ) -> Result<Page, ApiError> {
        let settings = self.settings().await?;
        let now = Utc::now();
        let mut conn = self.pool.acquire().await?;
        let mut complaints =
            store::complaint_lists::list(&mut conn, query, after, limit, now).await?;
        let next = (complaints.len() > limit).then(|| {
            complaints.truncate(limit);
            complaints.last().map(|last| ListPosition {
                file_time: last.file_time,
                id: last.id,
            })
        });
        let ids: Vec<_> = complaints.iter().map(|complaint| complaint.id).collect();
        let mut evidence = store::complaint_lists::evidence_of_all(&mut conn, &ids).await?;
        let calendar = &settings.calendar.calendar;
        Ok(Page {
            complaints: complaints
                .iter()
                .map(|complaint| {
                    let extras = Extras {
                        evidence: evidence.remove(&complaint.id),
                        trail: None,
                    };
                    proto::complaint(complaint, extras, calendar, now)
                })
                .collect(),
            next: next.flatten(),
        })
    }

    /// How many complaints `query` takes, by status and priority (highest priority first).
    pub(crate) async fn count(
        &self,
        query: &ComplaintQuery,
    ) -> Result<pb::CountComplaintsResponse, ApiError> {
        let mut conn = self.pool.acquire().await?;
        let mut counts = store::complaint_lists::count(&mut conn, query, Utc::now()).await?;
        counts.sort_by_key(|(status, priority, _)| {
            let status_rank = crate::domain::status::Status::ALL
                .iter()
                .position(|known| known == status);
            (status_rank, std::cmp::Reverse(priority.rank()))
        });
        let total = counts.iter().map(|(_, _, count)| count).sum();
        Ok(pb::CountComplaintsResponse {
            counts: counts
                .into_iter()
                .map(|(status, priority, count)| pb::ComplaintCount {
                    status: status_to_proto(status).into(),
                    priority: priority_to_proto(priority).into(),
                    count,
                })
                .collect(),
            total,
        })
    }
}
