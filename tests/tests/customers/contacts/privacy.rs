//! Who may read personal data, and what it leaves behind: the raw table, the change events, and
//! erasure.

use super::*;

#[tokio::test]
async fn reading_personal_data_needs_the_customers_pii_scope() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut writer = app.contacts_client_with(&app.keys.customers_writer).await;
    add(
        &mut writer,
        &customer.id,
        contact("Zhou Bo", "13800138000", ""),
    )
    .await;

    for key in [&app.keys.customers_reader, &app.keys.customers_writer] {
        let mut client = app.contacts_client_with(key).await;
        let status = client
            .list_contacts(ListContactsRequest {
                customer_id: customer.id.clone(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
        let status = client
            .find_customers_by_contact(FindCustomersByContactRequest {
                phone: "13800138000".to_owned(),
                ..Default::default()
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::PermissionDenied);
    }
    let mut reader = app.contacts_client_with(&app.keys.customers_reader).await;
    let status = reader
        .add_contact(AddContactRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
    let status = writer
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest {
            customer_id: customer.id.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::PermissionDenied);
}

#[tokio::test]
async fn the_contacts_table_holds_no_plaintext_phone_email_or_name() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    add(
        &mut client,
        &customer.id,
        contact(
            "Plaintext Canary",
            "+86 139 1234 5678",
            "canary.mail@acme.cn",
        ),
    )
    .await;

    let pool = app.schema_pool("customers").await;
    let rows: Vec<(String,)> = sqlx::query_as("SELECT row_to_json(contacts)::text FROM contacts")
        .fetch_all(&pool)
        .await
        .unwrap();
    let raw: Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> =
        sqlx::query_as("SELECT name_sealed, phone_sealed, email_sealed FROM contacts")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(rows.len(), 1);
    for needle in ["13912345678", "canary.mail", "Plaintext", "acme.cn"] {
        assert!(!rows[0].0.contains(needle), "{needle} stored in plaintext");
        for column in [&raw[0].0, &raw[0].1, &raw[0].2] {
            assert!(!column.windows(needle.len()).any(|w| w == needle.as_bytes()));
        }
    }
}

async fn drain(client: &mut logistics_tests::CustomersClient) -> Vec<StreamChangesResponse> {
    let mut feed = client
        .stream_changes(StreamChangesRequest::default())
        .await
        .unwrap()
        .into_inner();
    let mut events = Vec::new();
    while let Ok(Some(event)) = tokio::time::timeout(Duration::from_secs(2), feed.next()).await {
        events.push(event.expect("an event"));
    }
    events
}

#[tokio::test]
async fn contact_events_carry_ids_role_and_primary_flag_but_no_personal_data() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let customer = create_customer(&mut customers, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    let mut input = contact("Event Canary", "13812345678", "event.canary@acme.cn");
    input.primary = true;
    let added = add(&mut client, &customer.id, input).await;
    client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: added.id.clone(),
                phone: "13812345679".to_owned(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap();
    client
        .remove_contact(RemoveContactRequest {
            id: added.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();

    let events = drain(&mut customers).await;
    let kinds: Vec<_> = events
        .iter()
        .map(|e| e.envelope.as_ref().unwrap().event_type.as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "customer.created",
            "customer.contact_added",
            "customer.contact_updated",
            "customer.contact_removed"
        ]
    );
    match &events[1].event {
        Some(Event::ContactAdded(event)) => {
            assert_eq!(event.contact_id, added.id);
            assert_eq!(event.customer_id, customer.id);
            assert_eq!(event.role, "logistics manager");
            assert!(event.primary);
        }
        other => panic!("expected contact_added, got {other:?}"),
    }
    match &events[2].event {
        Some(Event::ContactUpdated(event)) => assert_eq!(event.changed_fields, ["phone"]),
        other => panic!("expected contact_updated, got {other:?}"),
    }
    let all = format!("{events:?}");
    for canary in ["Event Canary", "1381234567", "event.canary"] {
        assert!(!all.contains(canary), "{canary} in an event");
    }
}

#[tokio::test]
async fn erasing_a_customer_deletes_its_contacts_and_scrubs_its_history_and_may_be_repeated() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let mut person = individual("Erasable Person");
    person.notes = "lives next to the Erasable bakery".to_owned();
    let customer = create_customer(&mut customers, person).await;
    let mut client = app.contacts_client().await;
    add(
        &mut client,
        &customer.id,
        contact("Erasable Person", "13800138000", ""),
    )
    .await;
    add(
        &mut client,
        &customer.id,
        contact("Erasable Spouse", "", "sp@home.cn"),
    )
    .await;

    let erased = client
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest {
            customer_id: customer.customer_code.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(erased.contacts_erased, 2);
    assert_eq!(erased.events_scrubbed, 1);
    let record = erased.customer.unwrap();
    assert_eq!(record.display_name, "Erased customer C000001");
    assert_eq!(record.notes, "");
    assert_eq!(record.kind(), CustomerKind::Individual);
    assert!(list(&mut client, &customer.id).await.is_empty());

    let found = client
        .find_customers_by_contact(FindCustomersByContactRequest {
            phone: "13800138000".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(found.matches.is_empty());

    let events = drain(&mut customers).await;
    let last = events.last().unwrap();
    assert_eq!(
        last.envelope.as_ref().unwrap().event_type,
        "customer.personal_data_erased"
    );
    assert!(!format!("{events:?}").contains("Erasable"));
    let pool = app.schema_pool("customers").await;
    let stored: Vec<(Vec<u8>,)> = sqlx::query_as(
        "SELECT payload FROM outbox UNION ALL SELECT response FROM idempotency_keys",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    for (bytes,) in stored {
        assert!(!String::from_utf8_lossy(&bytes).contains("Erasable"));
    }

    let again = client
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest {
            customer_id: customer.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.contacts_erased, 0);
    assert_eq!(again.events_scrubbed, 0);
    assert_eq!(again.erase_time, erased.erase_time);

    let status = client
        .add_contact(AddContactRequest {
            customer_id: customer.id.clone(),
            contact: Some(contact("New", "13800138000", "")),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&status), "CUSTOMER_ERASED");
}

#[tokio::test]
async fn erasing_an_enterprise_keeps_its_name_and_an_unknown_customer_is_not_found() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;

    let erased = client
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest {
            customer_id: customer.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(erased.customer.unwrap().display_name, "Acme");

    let status = client
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest {
            customer_id: "C123456".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    let status = client
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest::default())
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["customer_id"]);
}
