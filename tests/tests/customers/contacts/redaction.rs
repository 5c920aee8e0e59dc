//! What a caller without `customers:pii` gets back: every response that carries a contact shows
//! its ids, role, flag and etag, never its name, phone or email; and what an AddContact retry
//! answers: the first answer, kept sealed only as long as the contact and its request id.

use logistics_contracts::customers::{
    GetCustomerRequest, GetCustomerValueRequest, GetLoyaltyAccountRequest, GetServiceLevelRequest,
    ListCustomersRequest, ListInteractionsRequest, ListPointMovementsRequest,
    ListStatusHistoryRequest, ListTierHistoryRequest,
};

use super::*;

const NAME: &str = "Canary Xu";
const PHONE: &str = "+8613911112222";
const EMAIL: &str = "canary.xu@example.cn";

/// Panics when `answer` shows any of the canary contact's personal data.
fn assert_shows_no_personal_data(rpc: &str, answer: &impl std::fmt::Debug) {
    let text = format!("{answer:?}");
    for canary in [NAME, "13911112222", "canary.xu"] {
        assert!(
            !text.contains(canary),
            "{rpc} showed {canary:?} to a caller without customers:pii: {text}"
        );
    }
}

fn assert_redacted(contact: &Contact) {
    assert!(contact.personal_data_redacted, "{contact:?}");
    assert_eq!(
        (
            contact.name.as_str(),
            contact.phone.as_str(),
            contact.email.as_str()
        ),
        ("", "", "")
    );
    assert!(uuid::Uuid::parse_str(&contact.id).is_ok());
    assert!(!contact.etag.is_empty());
    assert!(contact.create_time.is_some());
}

async fn first_answers(app: &TestApp) -> i64 {
    let pool = app.schema_pool("customers").await;
    sqlx::query_scalar("SELECT count(*) FROM contact_first_answers")
        .fetch_one(&pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_writer_without_the_pii_scope_gets_every_written_contact_back_redacted() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut staff = app.contacts_client_with(&app.keys.customers_staff).await;

    let mut input = contact(NAME, PHONE, EMAIL);
    input.primary = true;
    let added = add(&mut staff, &customer.id, input).await;
    assert_redacted(&added);
    assert_eq!(added.role, "logistics manager");
    assert!(added.primary);

    // An update that changes nothing answers like one that does: redacted.
    let unchanged = staff
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: added.id.clone(),
                role: added.role.clone(),
                etag: added.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["role"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_redacted(&unchanged);
    assert_eq!(unchanged.etag, added.etag);

    let changed = staff
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: added.id.clone(),
                phone: "+8613933334444".to_owned(),
                etag: added.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["phone"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_redacted(&changed);
    assert_ne!(changed.etag, added.etag, "the etag still chains updates");

    // Redaction is of the answer only: a caller with the scope reads what was written.
    let stored = list(&mut app.contacts_client().await, &customer.id).await;
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].name.as_str(), stored[0].phone.as_str()),
        (NAME, "+8613933334444")
    );
    assert_eq!(stored[0].email, EMAIL);
    assert!(!stored[0].personal_data_redacted);
}

#[tokio::test]
async fn no_customers_rpc_shows_a_contacts_name_phone_or_email_to_a_key_without_the_pii_scope() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let request = AddContactRequest {
        customer_id: customer.id.clone(),
        contact: Some(contact(NAME, PHONE, EMAIL)),
        request_id: request_id(),
    };
    let mut staff = app.contacts_client_with(&app.keys.customers_staff).await;
    let added = staff
        .add_contact(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_shows_no_personal_data("AddContact", &added);
    let replayed = staff.add_contact(request).await.unwrap().into_inner();
    assert_shows_no_personal_data("AddContact (retried)", &replayed);
    assert_eq!(replayed, added);
    let updated = staff
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: added.id.clone(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_shows_no_personal_data("UpdateContact", &updated);

    let id = customer.id.clone();
    let mut customers = app.customers_client_with(&app.keys.customers_staff).await;
    let answer = customers
        .get_customer(GetCustomerRequest { id: id.clone() })
        .await;
    assert_shows_no_personal_data("GetCustomer", &answer);
    let answer = customers
        .list_customers(ListCustomersRequest::default())
        .await;
    assert_shows_no_personal_data("ListCustomers", &answer);
    let answer = customers
        .list_status_history(ListStatusHistoryRequest {
            customer_id: id.clone(),
            ..Default::default()
        })
        .await;
    assert_shows_no_personal_data("ListStatusHistory", &answer);
    let answer = customers
        .list_tier_history(ListTierHistoryRequest {
            customer_id: id.clone(),
            ..Default::default()
        })
        .await;
    assert_shows_no_personal_data("ListTierHistory", &answer);
    let answer = customers
        .get_service_level(GetServiceLevelRequest {
            customer_id: id.clone(),
        })
        .await;
    assert_shows_no_personal_data("GetServiceLevel", &answer);
    let answer = customers
        .get_customer_value(GetCustomerValueRequest { id: id.clone() })
        .await;
    assert_shows_no_personal_data("GetCustomerValue", &answer);
    let mut feed = customers
        .stream_changes(StreamChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut events = 0;
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(2), feed.next()).await {
        assert_shows_no_personal_data("StreamChanges", &event);
        events += 1;
    }
    assert!(
        events >= 2,
        "the feed carried the customer's and the contact's events"
    );

    let mut engagement = app.engagement_client_with(&app.keys.customers_staff).await;
    let answer = engagement
        .list_interactions(ListInteractionsRequest::default())
        .await;
    assert_shows_no_personal_data("ListInteractions", &answer);
    let mut loyalty = app.loyalty_client_with(&app.keys.customers_staff).await;
    let answer = loyalty
        .get_loyalty_account(GetLoyaltyAccountRequest {
            customer_id: id.clone(),
        })
        .await;
    assert_shows_no_personal_data("GetLoyaltyAccount", &answer);
    let answer = loyalty
        .list_point_movements(ListPointMovementsRequest {
            customer_id: id,
            ..Default::default()
        })
        .await;
    assert_shows_no_personal_data("ListPointMovements", &answer);
}

#[tokio::test]
async fn a_retried_add_answers_what_the_first_call_answered_even_after_the_contact_changed() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    let request = AddContactRequest {
        customer_id: customer.id.clone(),
        contact: Some(contact(NAME, PHONE, "")),
        request_id: request_id(),
    };
    let first = client
        .add_contact(request.clone())
        .await
        .unwrap()
        .into_inner();
    client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: first.id.clone(),
                name: "Someone Else".to_owned(),
                phone: "+8613955556666".to_owned(),
                ..Default::default()
            }),
            update_mask: mask(&["name", "phone"]),
        })
        .await
        .unwrap();

    let again = client
        .add_contact(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, first);
    assert_eq!((again.name.as_str(), again.phone.as_str()), (NAME, PHONE));

    // The first answer is kept sealed, like the contact itself.
    let pool = app.schema_pool("customers").await;
    let (row,): (String,) = sqlx::query_as(
        "SELECT row_to_json(contact_first_answers)::text FROM contact_first_answers",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    for needle in ["Canary", "13911112222"] {
        assert!(!row.contains(needle), "{needle} kept in plaintext: {row}");
    }

    // Removing the contact takes its first answer along; a retry then finds nothing.
    client
        .remove_contact(RemoveContactRequest {
            id: first.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    assert_eq!(first_answers(&app).await, 0);
    let status = client.add_contact(request).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "CONTACT_NOT_FOUND");
}

#[tokio::test]
async fn a_retry_without_the_pii_scope_gets_the_first_answer_redacted_and_erasure_drops_it() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, individual("Li Na")).await;
    let mut staff = app.contacts_client_with(&app.keys.customers_staff).await;
    let request = AddContactRequest {
        customer_id: customer.id.clone(),
        contact: Some(contact(NAME, PHONE, EMAIL)),
        request_id: request_id(),
    };
    let first = staff
        .add_contact(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = staff
        .add_contact(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_redacted(&again);
    assert_eq!(again, first);
    assert_eq!(first_answers(&app).await, 1);

    app.contacts_client()
        .await
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest {
            customer_id: customer.id.clone(),
        })
        .await
        .unwrap();
    assert_eq!(first_answers(&app).await, 0);
    let status = staff.add_contact(request).await.unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn first_answers_are_pruned_once_their_request_ids_have_expired() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    let old = add(&mut client, &customer.id, contact(NAME, PHONE, "")).await;
    add(
        &mut client,
        &customer.id,
        contact("Fresh", "13800138000", ""),
    )
    .await;
    let pool = app.schema_pool("customers").await;
    sqlx::query(
        "UPDATE contact_first_answers SET create_time = now() - interval '25 hours' WHERE id = $1",
    )
    .bind(uuid::Uuid::parse_str(&old.id).unwrap())
    .execute(&pool)
    .await
    .unwrap();

    let pruned =
        logistics_customers::prune_first_answers(&pool, logistics_platform::idempotency::RETENTION)
            .await
            .unwrap();
    assert_eq!(pruned, 1);
    assert_eq!(first_answers(&app).await, 1, "the fresh answer stays");
    assert_eq!(
        list(&mut client, &customer.id).await.len(),
        2,
        "contacts stay"
    );
}
