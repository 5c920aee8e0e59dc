//! AddressBookService end to end against real PostgreSQL: saved addresses per customer, their
//! limit under concurrency, idempotent creates, masked updates with etags, default flags, paging.

use logistics_contracts::common::Address;
use logistics_contracts::orders::{
    AddressUsage, CreateSavedAddressRequest, DeleteSavedAddressRequest, GetSavedAddressRequest,
    ListSavedAddressesRequest, SavedAddress, UpdateSavedAddressRequest,
};
use logistics_tests::{
    AddressBookClient, TestApp, create_customer, enterprise, reason, request_id, violated_fields,
};
use prost_types::FieldMask;
use tonic::Code;

fn pudong() -> Address {
    Address {
        recipient: "Pudong Warehouse 2".to_owned(),
        lines: vec!["88 Century Avenue".to_owned(), "Gate 3".to_owned()],
        city: "Shanghai".to_owned(),
        postal_code: "200120".to_owned(),
        region_code: "310115".to_owned(),
        country_code: "CN".to_owned(),
    }
}

fn saved(customer_id: &str, label: &str, usage: AddressUsage) -> SavedAddress {
    SavedAddress {
        customer_id: customer_id.to_owned(),
        label: label.to_owned(),
        address: Some(pudong()),
        usage: usage.into(),
        ..Default::default()
    }
}

async fn create(client: &mut AddressBookClient, address: SavedAddress) -> SavedAddress {
    client
        .create_saved_address(CreateSavedAddressRequest {
            saved_address: Some(address),
            request_id: request_id(),
        })
        .await
        .expect("saving an address")
        .into_inner()
}

async fn list(
    client: &mut AddressBookClient,
    customer_id: &str,
    usage: AddressUsage,
) -> Vec<SavedAddress> {
    client
        .list_saved_addresses(ListSavedAddressesRequest {
            customer_id: customer_id.to_owned(),
            usage: usage.into(),
            page_size: 200,
            page_token: String::new(),
        })
        .await
        .expect("listing addresses")
        .into_inner()
        .saved_addresses
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn customer() -> String {
    uuid::Uuid::new_v4().to_string()
}

#[tokio::test]
async fn a_saved_address_is_created_read_listed_and_deleted() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_address_book_client().await;
    let customer = customer();

    let created = create(
        &mut client,
        saved(&customer, "Pudong warehouse", AddressUsage::Sender),
    )
    .await;
    assert_eq!(created.customer_id, customer);
    assert_eq!(created.address, Some(pudong()));
    assert_eq!(created.etag, "v1");
    let got = client
        .get_saved_address(GetSavedAddressRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got, created);
    assert_eq!(
        list(&mut client, &customer, AddressUsage::Unspecified).await,
        std::slice::from_ref(&created)
    );
    assert!(
        list(
            &mut client,
            &uuid::Uuid::new_v4().to_string(),
            AddressUsage::Unspecified
        )
        .await
        .is_empty()
    );

    client
        .delete_saved_address(DeleteSavedAddressRequest {
            id: created.id.clone(),
            etag: created.etag.clone(),
        })
        .await
        .unwrap();
    let status = client
        .get_saved_address(GetSavedAddressRequest { id: created.id })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound);
    assert_eq!(reason(&status), "SAVED_ADDRESS_NOT_FOUND");
}

#[tokio::test]
async fn a_retried_create_returns_the_first_address_and_a_reused_request_id_is_refused() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_address_book_client().await;
    let customer = customer();
    let request = CreateSavedAddressRequest {
        saved_address: Some(saved(&customer, "Pudong warehouse", AddressUsage::Both)),
        request_id: request_id(),
    };

    let first = client
        .create_saved_address(request.clone())
        .await
        .unwrap()
        .into_inner();
    let again = client
        .create_saved_address(request.clone())
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, again);
    assert_eq!(
        list(&mut client, &customer, AddressUsage::Unspecified)
            .await
            .len(),
        1
    );

    let mut different = request.clone();
    different.saved_address.as_mut().unwrap().label = "Another".to_owned();
    let status = client.create_saved_address(different).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "IDEMPOTENCY_KEY_REUSED");

    let mut without_key = request;
    without_key.request_id = String::new();
    let status = client.create_saved_address(without_key).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["request_id"]);
}

#[tokio::test]
async fn every_bad_field_of_a_saved_address_is_reported_at_once() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_address_book_client().await;

    let request = CreateSavedAddressRequest {
        saved_address: Some(SavedAddress {
            customer_id: "customer-42".to_owned(),
            label: "x".repeat(101),
            address: Some(Address {
                recipient: String::new(),
                lines: vec![],
                city: " ".to_owned(),
                postal_code: "2001".to_owned(),
                region_code: "shanghai".to_owned(),
                country_code: "CHN".to_owned(),
            }),
            usage: AddressUsage::Unspecified.into(),
            default_recipient: true,
            ..Default::default()
        }),
        request_id: "not-a-uuid".to_owned(),
    };
    let status = client.create_saved_address(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "request_id",
            "saved_address.customer_id",
            "saved_address.label",
            "saved_address.address.recipient",
            "saved_address.address.lines",
            "saved_address.address.city",
            "saved_address.address.region_code",
            "saved_address.address.country_code",
            "saved_address.usage",
        ]
    );

    let mut recipient_only = saved(&customer(), "Depot", AddressUsage::Recipient);
    recipient_only.default_sender = true;
    let status = client
        .create_saved_address(CreateSavedAddressRequest {
            saved_address: Some(recipient_only),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["saved_address.default_sender"]);
}

#[tokio::test]
async fn a_customer_code_names_the_customer_and_an_unknown_code_is_not_found() {
    let app = TestApp::spawn().await;
    let acme = create_customer(&mut app.customers_client().await, enterprise("Acme")).await;
    let mut client = app.orders_address_book_client().await;

    let by_code = create(
        &mut client,
        saved(&acme.customer_code, "Pudong", AddressUsage::Sender),
    )
    .await;
    assert_eq!(by_code.customer_id, acme.id, "always answered as the id");
    let by_id = create(
        &mut client,
        saved(&acme.id, "Depot", AddressUsage::Recipient),
    )
    .await;
    let listed_by_code = list(&mut client, &acme.customer_code, AddressUsage::Unspecified).await;
    assert_eq!(listed_by_code, [by_code.clone(), by_id.clone()]);
    assert_eq!(
        list(&mut client, &acme.id, AddressUsage::Unspecified).await,
        listed_by_code
    );
    let lower_case = acme.customer_code.to_lowercase();
    assert_eq!(
        list(&mut client, &lower_case, AddressUsage::Sender).await,
        [by_code]
    );

    let status = client
        .create_saved_address(CreateSavedAddressRequest {
            saved_address: Some(saved("C999999999", "Nowhere", AddressUsage::Both)),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(reason(&status), "CUSTOMER_NOT_FOUND");
    let status = client
        .list_saved_addresses(ListSavedAddressesRequest {
            customer_id: "C999999999".to_owned(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::NotFound, "{status:?}");
    assert_eq!(reason(&status), "CUSTOMER_NOT_FOUND");
}

#[tokio::test]
async fn an_update_changes_the_masked_fields_and_a_stale_etag_is_aborted() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_address_book_client().await;
    let customer = customer();
    let created = create(
        &mut client,
        saved(&customer, "Pudong warehouse", AddressUsage::Sender),
    )
    .await;

    let mut change = SavedAddress {
        id: created.id.clone(),
        label: "Pudong warehouse (new gate)".to_owned(),
        usage: AddressUsage::Both.into(),
        etag: created.etag.clone(),
        ..Default::default()
    };
    let updated = client
        .update_saved_address(UpdateSavedAddressRequest {
            saved_address: Some(change.clone()),
            update_mask: mask(&["label"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.label, "Pudong warehouse (new gate)");
    assert_eq!(
        updated.usage(),
        AddressUsage::Sender,
        "usage was not in the mask"
    );
    assert_eq!(updated.address, Some(pudong()));
    assert_eq!(updated.etag, "v2");

    change.label = "Stale".to_owned();
    let status = client
        .update_saved_address(UpdateSavedAddressRequest {
            saved_address: Some(change.clone()),
            update_mask: mask(&["label"]),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Aborted);
    assert_eq!(reason(&status), "ETAG_MISMATCH");

    change.etag = updated.etag.clone();
    let status = client
        .update_saved_address(UpdateSavedAddressRequest {
            saved_address: Some(change),
            update_mask: mask(&["label", "customer_id", "address"]),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        ["update_mask.paths[1]", "saved_address.address"]
    );

    let status = client
        .delete_saved_address(DeleteSavedAddressRequest {
            id: created.id.clone(),
            etag: created.etag,
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Aborted);
}

#[tokio::test]
async fn a_customer_has_one_default_sender_and_setting_another_clears_it() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_address_book_client().await;
    let customer = customer();
    let mut first = saved(&customer, "Pudong warehouse", AddressUsage::Sender);
    first.default_sender = true;
    let first = create(&mut client, first).await;
    let mut second = saved(&customer, "Minhang plant", AddressUsage::Both);
    second.default_sender = true;
    second.default_recipient = true;
    let second = create(&mut client, second).await;

    let all = list(&mut client, &customer, AddressUsage::Unspecified).await;
    let defaults: Vec<_> = all
        .iter()
        .map(|a| (a.label.as_str(), a.default_sender))
        .collect();
    assert_eq!(
        defaults,
        [("Pudong warehouse", false), ("Minhang plant", true)]
    );
    assert_eq!(all[0].etag, "v2", "clearing the flag is a change");

    let taken = client
        .create_saved_address(CreateSavedAddressRequest {
            saved_address: Some(saved(&customer, "MINHANG PLANT", AddressUsage::Recipient)),
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    assert_eq!(reason(&taken), "SAVED_ADDRESS_LABEL_TAKEN");

    let senders = list(&mut client, &customer, AddressUsage::Sender).await;
    assert_eq!(senders.len(), 2);
    let recipients = list(&mut client, &customer, AddressUsage::Recipient).await;
    assert_eq!(
        recipients,
        [list(&mut client, &customer, AddressUsage::Both).await[0].clone()]
    );
    assert_eq!(recipients[0].id, second.id);
    assert_ne!(first.id, second.id);
}

#[tokio::test]
async fn lists_are_paged_with_tokens_bound_to_their_customer_and_usage() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_address_book_client().await;
    let customer = customer();
    for at in 0..5 {
        create(
            &mut client,
            saved(&customer, &format!("Depot {at}"), AddressUsage::Recipient),
        )
        .await;
    }
    let mut labels = Vec::new();
    let mut token = String::new();
    loop {
        let page = client
            .list_saved_addresses(ListSavedAddressesRequest {
                customer_id: customer.clone(),
                usage: AddressUsage::Recipient.into(),
                page_size: 2,
                page_token: token.clone(),
            })
            .await
            .unwrap()
            .into_inner();
        assert!(page.saved_addresses.len() <= 2);
        labels.extend(page.saved_addresses.into_iter().map(|a| a.label));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        labels,
        ["Depot 0", "Depot 1", "Depot 2", "Depot 3", "Depot 4"]
    );

    let status = client
        .list_saved_addresses(ListSavedAddressesRequest {
            customer_id: customer.clone(),
            usage: AddressUsage::Sender.into(),
            page_size: 2,
            page_token: token,
        })
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), ["page_token"]);
}

#[tokio::test]
async fn the_address_book_holds_at_most_200_addresses_even_under_concurrent_creates() {
    let app = TestApp::spawn().await;
    let mut client = app.orders_address_book_client().await;
    let customer = customer();
    for at in 0..195 {
        create(
            &mut client,
            saved(&customer, &format!("Depot {at}"), AddressUsage::Both),
        )
        .await;
    }
    let attempts = (0..10).map(|at| {
        let mut client = client.clone();
        let address = saved(&customer, &format!("Rush {at}"), AddressUsage::Both);
        async move {
            client
                .create_saved_address(CreateSavedAddressRequest {
                    saved_address: Some(address),
                    request_id: request_id(),
                })
                .await
        }
    });
    let outcomes = futures::future::join_all(attempts).await;
    let refused: Vec<_> = outcomes.iter().filter_map(|o| o.as_ref().err()).collect();
    assert_eq!(refused.len(), 5, "{refused:?}");
    for status in refused {
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(reason(status), "ADDRESS_BOOK_FULL");
    }
    assert_eq!(
        list(&mut client, &customer, AddressUsage::Unspecified)
            .await
            .len(),
        200
    );
}

#[tokio::test]
async fn an_orders_reader_can_read_the_address_book_but_not_change_it() {
    let app = TestApp::spawn().await;
    let customer = customer();
    let created = create(
        &mut app.orders_address_book_client().await,
        saved(&customer, "Pudong warehouse", AddressUsage::Sender),
    )
    .await;
    let mut reader = app
        .orders_address_book_client_with(&app.keys.orders_reader)
        .await;
    assert_eq!(
        list(&mut reader, &customer, AddressUsage::Unspecified)
            .await
            .len(),
        1
    );
    let denied = [
        reader
            .create_saved_address(CreateSavedAddressRequest {
                saved_address: Some(saved(&customer, "Other", AddressUsage::Sender)),
                request_id: request_id(),
            })
            .await
            .unwrap_err(),
        reader
            .delete_saved_address(DeleteSavedAddressRequest {
                id: created.id,
                etag: String::new(),
            })
            .await
            .unwrap_err(),
    ];
    for status in denied {
        assert_eq!(status.code(), Code::PermissionDenied);
        assert_eq!(reason(&status), "MISSING_SCOPE");
    }
}
