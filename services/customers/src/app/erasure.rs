//! EraseCustomerPersonalData: removes a customer's personal data for good, keeping the anonymous
//! history (ids, codes, kinds, times, loyalty ledger, interaction channels, survey scores). Besides
//! the live rows (contacts, the customer's notes and addresses, the free text of interactions,
//! follow-ups and surveys), it scrubs the copies the platform keeps: past change events in the
//! outbox (the change feed replays them) and the stored responses of retried creates.

use logistics_contracts::customers::{
    self as pb, EraseCustomerPersonalDataResponse, PersonalDataErased, StreamChangesResponse,
    stream_changes_response::Event,
};
use logistics_platform::ApiError;
use logistics_platform::changefeed;
use logistics_platform::time::timestamp;
use prost::Message as _;
use sqlx::PgConnection;

use super::customer_changes::BY_ACTIVITY;
use super::events::customer_to_proto;
use super::lifecycle::BY_SWEEP;
use crate::domain::customer::{CustomerRef, Kind};
use crate::store::contacts as store;
use crate::store::customers::CustomerState;
use crate::store::engagement::{self, ERASED_TEXT};
use crate::store::status_history;
use crate::store::{customers, idempotency_keys, outbox};

/// Authors of status changes whose reasons the system wrote, so they hold nothing personal.
const SYSTEM_AUTHORS: &[&str] = &[BY_ACTIVITY, BY_SWEEP];

/// Erases within `tx`; the caller holds the customer's row lock and commits.
pub(crate) async fn erase(
    tx: &mut PgConnection,
    customer: &CustomerState,
) -> Result<EraseCustomerPersonalDataResponse, ApiError> {
    let contacts_erased = store::delete_all(tx, customer.id).await?;
    engagement::erase_free_text(tx, customer.id).await?;
    status_history::erase_reasons(tx, customer.id, SYSTEM_AUTHORS, ERASED_TEXT).await?;
    // An individual's name is personal data; a company's or an institution's is not.
    let anonymous_name = (customer.kind.0 == Kind::Individual)
        .then(|| format!("Erased customer {}", customer.customer_code));
    let erase_time =
        customers::erase_customer_fields(tx, customer.id, anonymous_name.as_deref()).await?;
    let erased = customers::find(tx, &CustomerRef::Id(customer.id), false)
        .await?
        .ok_or_else(|| anyhow::anyhow!("customer {} vanished while erasing", customer.id))?;
    let erased = customer_to_proto(&erased);

    let mut events_scrubbed = 0;
    for (row_id, payload) in outbox::payloads_about(tx, &erased.id).await? {
        let mut message = StreamChangesResponse::decode(payload.as_slice())
            .map_err(|error| anyhow::anyhow!("outbox row {row_id} does not decode: {error}"))?;
        let scrubbed = match &mut message.event {
            Some(Event::CustomerCreated(event)) => scrub(event.customer.as_mut(), &erased),
            Some(Event::CustomerUpdated(event)) => scrub(event.customer.as_mut(), &erased),
            Some(Event::CustomerDeleted(event)) => scrub(event.customer.as_mut(), &erased),
            Some(Event::CustomerStatusChanged(change))
                if !SYSTEM_AUTHORS.contains(&change.changed_by.as_str())
                    && change.reason != ERASED_TEXT =>
            {
                change.reason = ERASED_TEXT.to_owned();
                true
            }
            _ => false,
        };
        if scrubbed {
            outbox::rewrite_payload(tx, row_id, &message.encode_to_vec()).await?;
            events_scrubbed += 1;
        }
    }

    const CREATE: &str = "CreateCustomer";
    for (principal, request_id, response) in idempotency_keys::stored_responses(tx, CREATE).await? {
        let Ok(mut stored) = pb::Customer::decode(response.as_slice()) else {
            continue;
        };
        if stored.id == erased.id && scrub(Some(&mut stored), &erased) {
            let key = (principal.as_str(), CREATE, request_id);
            idempotency_keys::rewrite_response(tx, key, &stored.encode_to_vec()).await?;
        }
    }

    let customer_id = erased.id.as_str();
    scrub_responses(tx, "LogInteraction", |copy: &mut pb::Interaction| {
        (copy.customer_id == customer_id).then(|| {
            copy.subject = ERASED_TEXT.to_owned();
            copy.summary.clear();
        })
    })
    .await?;
    scrub_responses(tx, "ScheduleFollowUp", |copy: &mut pb::FollowUp| {
        (copy.customer_id == customer_id).then(|| {
            copy.notes.clear();
            copy.outcome_notes.clear();
        })
    })
    .await?;
    scrub_responses(tx, "RecordSurvey", |copy: &mut pb::Survey| {
        (copy.customer_id == customer_id).then(|| copy.comment.clear())
    })
    .await?;

    let event = Event::PersonalDataErased(PersonalDataErased {
        customer_id: erased.id.clone(),
        customer_code: erased.customer_code.clone(),
        contacts_erased: contacts_erased as i32,
    });
    changefeed::record(tx, &erased.id, event).await?;
    Ok(EraseCustomerPersonalDataResponse {
        customer: Some(erased),
        contacts_erased: contacts_erased as i32,
        events_scrubbed,
        erase_time: Some(timestamp(erase_time)),
    })
}

/// Rewrites the stored retry responses of `method` that `blank` recognises as the customer's
/// (it blanks them and answers `Some`), so a retry cannot bring erased text back.
async fn scrub_responses<M: prost::Message + Default>(
    tx: &mut PgConnection,
    method: &'static str,
    blank: impl Fn(&mut M) -> Option<()>,
) -> Result<(), ApiError> {
    for (principal, request_id, response) in idempotency_keys::stored_responses(tx, method).await? {
        let Ok(mut stored) = M::decode(response.as_slice()) else {
            continue;
        };
        if blank(&mut stored).is_some() {
            let key = (principal.as_str(), method, request_id);
            idempotency_keys::rewrite_response(tx, key, &stored.encode_to_vec()).await?;
        }
    }
    Ok(())
}

/// Blanks the personal fields of a past copy of the customer; true when it changed anything.
fn scrub(copy: Option<&mut pb::Customer>, erased: &pb::Customer) -> bool {
    let Some(copy) = copy else {
        return false;
    };
    let before = copy.clone();
    copy.notes.clear();
    if erased.kind == pb::CustomerKind::Individual as i32 {
        copy.display_name.clone_from(&erased.display_name);
    }
    *copy != before
}
