//! ContactService end to end against real PostgreSQL: contacts as encrypted personal data, exact
//! lookup, the customers:pii scope, erasure, and the events (which carry no personal data).

use std::time::Duration;

use futures::StreamExt as _;
use logistics_contracts::customers::{
    AddContactRequest, Contact, CustomerKind, DeleteCustomerRequest,
    EraseCustomerPersonalDataRequest, FindCustomersByContactRequest, ListContactsRequest,
    RemoveContactRequest, StreamChangesRequest, StreamChangesResponse, UpdateContactRequest,
    stream_changes_response::Event,
};
use logistics_tests::{
    ContactsClient, TestApp, create_customer, enterprise, individual, reason, request_id,
    violated_fields,
};
use prost_types::FieldMask;
use tonic::Code;

mod erasure_reach;
mod privacy;
mod redaction;

fn contact(name: &str, phone: &str, email: &str) -> Contact {
    Contact {
        name: name.to_owned(),
        phone: phone.to_owned(),
        email: email.to_owned(),
        role: "logistics manager".to_owned(),
        ..Default::default()
    }
}

async fn add(client: &mut ContactsClient, customer_id: &str, contact: Contact) -> Contact {
    client
        .add_contact(AddContactRequest {
            customer_id: customer_id.to_owned(),
            contact: Some(contact),
            request_id: request_id(),
        })
        .await
        .expect("adding a contact")
        .into_inner()
}

async fn list(client: &mut ContactsClient, customer_id: &str) -> Vec<Contact> {
    client
        .list_contacts(ListContactsRequest {
            customer_id: customer_id.to_owned(),
            ..Default::default()
        })
        .await
        .expect("listing contacts")
        .into_inner()
        .contacts
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

#[tokio::test]
async fn an_added_contact_is_stored_normalized_and_listed_decrypted() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;

    let added = add(
        &mut client,
        &customer.customer_code,
        contact("Wang Fang", "+86 138-0013 8000", "  Wang.Fang@Acme.CN "),
    )
    .await;

    assert!(uuid::Uuid::parse_str(&added.id).is_ok());
    assert_eq!(added.customer_id, customer.id);
    assert_eq!(added.phone, "+8613800138000");
    assert_eq!(added.email, "wang.fang@acme.cn");
    assert_eq!(added.role, "logistics manager");
    assert_eq!(added.etag, "v1");
    assert_eq!(list(&mut client, &customer.id).await, vec![added]);
}

#[tokio::test]
async fn customers_are_found_by_exact_phone_or_email_in_any_accepted_spelling() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let acme = create_customer(&mut customers, enterprise("Acme")).await;
    let other = create_customer(&mut customers, enterprise("Other")).await;
    let mut client = app.contacts_client().await;
    let added = add(
        &mut client,
        &acme.id,
        contact("Li Lei", "13800138000", "li@acme.cn"),
    )
    .await;
    add(
        &mut client,
        &other.id,
        contact("Han Meimei", "13900139000", ""),
    )
    .await;

    let by_phone = client
        .find_customers_by_contact(FindCustomersByContactRequest {
            phone: "138 0013 8000".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches;
    assert_eq!(by_phone.len(), 1);
    assert_eq!(by_phone[0].customer_id, acme.id);
    assert_eq!(by_phone[0].customer_code, acme.customer_code);
    assert_eq!(by_phone[0].display_name, "Acme");
    assert_eq!(by_phone[0].contact_id, added.id);

    let by_email = client
        .find_customers_by_contact(FindCustomersByContactRequest {
            email: " LI@ACME.CN".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches;
    assert_eq!(by_email.len(), 1);
    assert_eq!(by_email[0].customer_id, acme.id);

    let nobody = client
        .find_customers_by_contact(FindCustomersByContactRequest {
            email: "li@acme.com".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .matches;
    assert!(nobody.is_empty());
}

#[tokio::test]
async fn a_lookup_needs_exactly_one_well_formed_phone_or_email() {
    let app = TestApp::spawn().await;
    let mut client = app.contacts_client().await;
    let cases = [
        ("", "", "phone"),
        ("13800138000", "a@b.cn", "email"),
        ("12ab", "", "phone"),
        ("", "not-an-email", "email"),
    ];
    for (phone, email, field) in cases {
        let status = client
            .find_customers_by_contact(FindCustomersByContactRequest {
                phone: phone.to_owned(),
                email: email.to_owned(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument);
        assert_eq!(violated_fields(&status), [field]);
    }
}

#[tokio::test]
async fn adding_a_contact_with_bad_fields_names_every_one_of_them() {
    let app = TestApp::spawn().await;
    let mut client = app.contacts_client().await;

    let status = client
        .add_contact(AddContactRequest {
            customer_id: "nobody".to_owned(),
            contact: Some(Contact {
                name: "x".repeat(101),
                phone: "12-34".to_owned(),
                email: "a@b".to_owned(),
                role: "r".repeat(51),
                ..Default::default()
            }),
            request_id: "not-a-uuid".to_owned(),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "INVALID_FIELDS");
    assert_eq!(
        violated_fields(&status),
        [
            "request_id",
            "customer_id",
            "contact.name",
            "contact.phone",
            "contact.email",
            "contact.role"
        ]
    );
}

#[tokio::test]
async fn a_contact_without_a_name_phone_or_email_is_refused_on_each_field() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;

    let status = client
        .add_contact(AddContactRequest {
            customer_id: customer.id.clone(),
            contact: Some(contact(" ", "", "")),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["contact.name", "contact.phone", "contact.email"]
    );

    let status = client
        .add_contact(AddContactRequest {
            customer_id: customer.id.clone(),
            contact: None,
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["contact"]);
}

#[tokio::test]
async fn a_retried_add_returns_the_first_contact_and_a_reused_request_id_is_refused() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    let request = AddContactRequest {
        customer_id: customer.id.clone(),
        contact: Some(contact("Zhao Lei", "13700137000", "")),
        request_id: request_id(),
    };

    let first = client
        .add_contact(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = client
        .add_contact(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    assert_eq!(list(&mut client, &customer.id).await.len(), 1);

    let mut changed = request.clone();
    changed.contact = Some(contact("Zhao Lei", "13700137001", ""));
    let status = client.add_contact(changed).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");

    // The stored response holds no personal data; only the contact's id.
    let pool = app.schema_pool("customers").await;
    let (response,): (Vec<u8>,) =
        sqlx::query_as("SELECT response FROM idempotency_keys WHERE method = 'AddContact'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(!String::from_utf8_lossy(&response).contains("13700137000"));
    assert!(!String::from_utf8_lossy(&response).contains("Zhao"));
}

#[tokio::test]
async fn the_twenty_first_contact_of_a_customer_is_refused() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    for n in 0..20 {
        add(
            &mut client,
            &customer.id,
            contact(&format!("Person {n}"), &format!("1380013{n:04}"), ""),
        )
        .await;
    }

    let status = client
        .add_contact(AddContactRequest {
            customer_id: customer.id.clone(),
            contact: Some(contact("One Too Many", "13800139999", "")),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::FailedPrecondition);
    assert_eq!(reason(&status), "CONTACT_LIMIT_REACHED");

    let mut page = client
        .list_contacts(ListContactsRequest {
            customer_id: customer.id.clone(),
            page_size: 15,
            page_token: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.contacts.len(), 15);
    let rest = client
        .list_contacts(ListContactsRequest {
            customer_id: customer.id.clone(),
            page_size: 15,
            page_token: std::mem::take(&mut page.next_page_token),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.contacts.len(), 5);
    assert!(rest.next_page_token.is_empty());
    assert_eq!(rest.contacts[4].name, "Person 19");
}

#[tokio::test]
async fn contacts_of_unknown_or_deleted_customers_are_refused() {
    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let customer = create_customer(&mut customers, enterprise("Gone")).await;
    customers
        .delete_customer(DeleteCustomerRequest {
            id: customer.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap();
    let mut client = app.contacts_client().await;

    for (customer_id, code, expected) in [
        ("C999999", Code::NotFound, "CUSTOMER_NOT_FOUND"),
        (
            customer.id.as_str(),
            Code::FailedPrecondition,
            "CUSTOMER_DELETED",
        ),
    ] {
        let status = client
            .add_contact(AddContactRequest {
                customer_id: customer_id.to_owned(),
                contact: Some(contact("Ma Li", "13800138000", "")),
                request_id: request_id(),
            })
            .await
            .unwrap_err();
        assert_eq!(status.code(), code);
        assert_eq!(reason(&status), expected);
    }
    let status = client
        .list_contacts(ListContactsRequest {
            customer_id: "C999999".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
}

#[tokio::test]
async fn an_update_changes_the_masked_fields_and_a_stale_etag_is_aborted() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    let added = add(
        &mut client,
        &customer.id,
        contact("Sun Li", "13800138000", ""),
    )
    .await;

    let updated = client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: added.id.clone(),
                email: "Sun.Li@Acme.cn".to_owned(),
                phone: String::new(),
                name: "ignored: not in the mask".to_owned(),
                etag: added.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["email", "phone"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.name, "Sun Li");
    assert_eq!(updated.phone, "");
    assert_eq!(updated.email, "sun.li@acme.cn");
    assert_eq!(updated.etag, "v2");

    let stale = client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: added.id.clone(),
                role: "buyer".to_owned(),
                etag: added.etag.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["role"]),
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);
    assert_eq!(reason(&stale), "ETAG_MISMATCH");

    let unreachable = client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: added.id.clone(),
                ..Default::default()
            }),
            update_mask: mask(&["email"]),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&unreachable),
        ["contact.phone", "contact.email"]
    );

    let bad = client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: "x".to_owned(),
                email: "nope".to_owned(),
                ..Default::default()
            }),
            update_mask: mask(&["email", "display_name"]),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&bad),
        ["contact.id", "update_mask.paths[1]", "contact.email"]
    );

    let unknown = client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: uuid::Uuid::new_v4().to_string(),
                role: "buyer".to_owned(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), Code::NotFound);
    assert_eq!(reason(&unknown), "CONTACT_NOT_FOUND");
}

#[tokio::test]
async fn making_a_contact_primary_clears_the_flag_on_the_others() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    let mut first = contact("First", "13800138001", "");
    first.primary = true;
    let first = add(&mut client, &customer.id, first).await;
    let second = add(
        &mut client,
        &customer.id,
        contact("Second", "13800138002", ""),
    )
    .await;

    client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: second.id.clone(),
                primary: true,
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap();

    let listed = list(&mut client, &customer.id).await;
    let primary: Vec<_> = listed.iter().filter(|c| c.primary).map(|c| &c.id).collect();
    assert_eq!(primary, [&second.id]);
    assert_ne!(listed[0].etag, first.etag, "clearing the flag is a change");
}

#[tokio::test]
async fn a_removed_contact_is_gone_for_good() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.contacts_client().await;
    let added = add(
        &mut client,
        &customer.id,
        contact("Qian Yu", "13800138000", ""),
    )
    .await;

    let stale = client
        .remove_contact(RemoveContactRequest {
            id: added.id.clone(),
            etag: "v9".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);

    client
        .remove_contact(RemoveContactRequest {
            id: added.id.clone(),
            etag: added.etag.clone(),
        })
        .await
        .unwrap();
    assert!(list(&mut client, &customer.id).await.is_empty());
    let pool = app.schema_pool("customers").await;
    let (rows,): (i64,) = sqlx::query_as("SELECT count(*) FROM contacts")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(rows, 0);

    let again = client
        .remove_contact(RemoveContactRequest {
            id: added.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);
    let bad = client
        .remove_contact(RemoveContactRequest::default())
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad), ["id"]);
}

#[tokio::test]
async fn concurrent_adds_never_take_a_customer_past_twenty_contacts() {
    let app = TestApp::spawn().await;
    let customer = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let client = app.contacts_client().await;

    let attempts = (0..24).map(|n| {
        let mut client = client.clone();
        let request = AddContactRequest {
            customer_id: customer.id.clone(),
            contact: Some(contact(
                &format!("Person {n}"),
                &format!("1390013{n:04}"),
                "",
            )),
            request_id: request_id(),
        };
        tokio::spawn(async move { client.add_contact(request).await })
    });
    let mut added = 0;
    for outcome in futures::future::join_all(attempts).await {
        match outcome.unwrap() {
            Ok(_) => added += 1,
            Err(status) => assert_eq!(reason(&status), "CONTACT_LIMIT_REACHED"),
        }
    }
    assert_eq!(added, 20);
    assert_eq!(list(&mut client.clone(), &customer.id).await.len(), 20);
}
