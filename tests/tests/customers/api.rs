//! The customers API end to end: every RPC through the generated client, every error code it can
//! answer with, against real PostgreSQL.

use logistics_contracts::common::{Address, TransportMode};
use logistics_contracts::customers::{
    CreateCustomerRequest, Customer, CustomerFilter, CustomerKind, CustomerRole, CustomerStatus,
    DeleteCustomerRequest, GetCustomerRequest, ListCustomersRequest, TransportNeeds,
    UpdateCustomerRequest,
};
use logistics_tests::{
    TestApp, create_customer, domain, enterprise, reason, request_id, start_cluster,
    violated_fields,
};
use prost_types::FieldMask;
use tonic::Code;

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

#[tokio::test]
async fn a_created_customer_gets_an_id_a_code_and_can_be_read_back_by_either() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;

    let created = create_customer(&mut client, enterprise("Acme Trading")).await;

    assert!(uuid::Uuid::parse_str(&created.id).is_ok());
    assert_eq!(created.customer_code, "C000001");
    assert_eq!(created.status(), CustomerStatus::Prospect);
    assert_eq!(created.role(), CustomerRole::EndCustomer);
    assert!(created.create_time.is_some() && created.delete_time.is_none());
    for id in [&created.id, &created.customer_code] {
        let read = client
            .get_customer(GetCustomerRequest { id: id.clone() })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(read, created);
    }
}

#[tokio::test]
async fn a_create_with_bad_fields_names_every_one_of_them() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;

    let status = client
        .create_customer(CreateCustomerRequest {
            customer: Some(Customer {
                kind: 0,
                role: 9,
                display_name: "   ".to_owned(),
                industry: "x".repeat(101),
                region_code: "shanghai".to_owned(),
                status: CustomerStatus::Blocked.into(),
                notes: "bell \u{7}".to_owned(),
                ..Default::default()
            }),
            request_id: "not-a-uuid".to_owned(),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "INVALID_FIELDS");
    assert_eq!(domain(&status), "logistics.customers");
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        [
            "customer.display_name",
            "customer.industry",
            "customer.kind",
            "customer.notes",
            "customer.region_code",
            "customer.role",
            "customer.status",
            "request_id",
        ]
    );
}

#[tokio::test]
async fn a_create_without_a_customer_is_refused() {
    let app = TestApp::spawn().await;
    let status = app
        .customers_client()
        .await
        .create_customer(CreateCustomerRequest {
            customer: None,
            request_id: request_id(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["customer"]);
}

#[tokio::test]
async fn an_unknown_customer_is_not_found_and_a_malformed_id_is_invalid() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;

    for id in [uuid::Uuid::new_v4().to_string(), "C424242".to_owned()] {
        let status = client
            .get_customer(GetCustomerRequest { id })
            .await
            .unwrap_err();
        assert_eq!(status.code(), Code::NotFound);
        assert_eq!(reason(&status), "CUSTOMER_NOT_FOUND");
    }
    let status = client
        .get_customer(GetCustomerRequest {
            id: "robert'); DROP TABLE customers;--".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["id"]);
}

#[tokio::test]
async fn an_update_changes_only_the_masked_fields_and_moves_the_etag() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let created = create_customer(&mut client, enterprise("Acme")).await;

    let updated = client
        .update_customer(UpdateCustomerRequest {
            customer: Some(Customer {
                id: created.id.clone(),
                etag: created.etag.clone(),
                display_name: "Acme Logistics".to_owned(),
                industry: "ignored: not in the mask".to_owned(),
                notes: "prefers rail".to_owned(),
                ..Default::default()
            }),
            update_mask: mask(&["display_name", "notes"]),
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(updated.display_name, "Acme Logistics");
    assert_eq!(updated.notes, "prefers rail");
    assert_eq!(updated.industry, "electronics");
    assert_ne!(updated.etag, created.etag);
    let seconds = |c: &Customer| {
        let t = c.update_time.unwrap();
        (t.seconds, t.nanos)
    };
    assert!(seconds(&updated) > seconds(&created));
}

#[tokio::test]
async fn an_update_without_a_mask_changes_the_fields_that_were_set() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let created = create_customer(&mut client, enterprise("Acme")).await;

    let updated = client
        .update_customer(UpdateCustomerRequest {
            customer: Some(Customer {
                id: created.customer_code.clone(),
                role: CustomerRole::Intermediary.into(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();

    assert_eq!(updated.role(), CustomerRole::Intermediary);
    assert_eq!(updated.display_name, "Acme", "unset fields are left alone");
}

#[tokio::test]
async fn an_update_with_a_stale_etag_is_aborted_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let created = create_customer(&mut client, enterprise("Acme")).await;
    let rename = |name: &str, etag: &str| UpdateCustomerRequest {
        customer: Some(Customer {
            id: created.id.clone(),
            etag: etag.to_owned(),
            display_name: name.to_owned(),
            ..Default::default()
        }),
        update_mask: mask(&["display_name"]),
    };
    client
        .update_customer(rename("First", &created.etag))
        .await
        .unwrap();

    let status = client
        .update_customer(rename("Second", &created.etag))
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::Aborted);
    assert_eq!(reason(&status), "ETAG_MISMATCH");
    let current = client
        .get_customer(GetCustomerRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(current.display_name, "First");
}

#[tokio::test]
async fn an_update_naming_immutable_or_unknown_fields_is_refused() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let created = create_customer(&mut client, enterprise("Acme")).await;

    let status = client
        .update_customer(UpdateCustomerRequest {
            customer: Some(Customer {
                id: created.id.clone(),
                display_name: String::new(),
                ..Default::default()
            }),
            update_mask: mask(&["kind", "display_name", "colour"]),
        })
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&status),
        [
            "update_mask.paths[0]",
            "update_mask.paths[2]",
            "customer.display_name"
        ]
    );
}

#[tokio::test]
async fn a_deleted_customer_stays_readable_leaves_lists_and_refuses_updates() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let created = create_customer(&mut client, enterprise("Acme")).await;

    let stale = client
        .delete_customer(DeleteCustomerRequest {
            id: created.id.clone(),
            etag: "v999".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(stale.code(), Code::Aborted);

    let deleted = client
        .delete_customer(DeleteCustomerRequest {
            id: created.customer_code.clone(),
            etag: created.etag.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(deleted.delete_time.is_some());

    let read = client
        .get_customer(GetCustomerRequest {
            id: created.id.clone(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(read.delete_time, deleted.delete_time);

    let list = |show_deleted| ListCustomersRequest {
        filter: Some(CustomerFilter {
            show_deleted,
            ..Default::default()
        }),
        ..Default::default()
    };
    let listed = client
        .list_customers(list(false))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.customers.is_empty());
    let listed = client
        .list_customers(list(true))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.customers.len(), 1);

    let again = client
        .delete_customer(DeleteCustomerRequest {
            id: created.id.clone(),
            etag: String::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::NotFound);

    let update = client
        .update_customer(UpdateCustomerRequest {
            customer: Some(Customer {
                id: created.id.clone(),
                notes: "too late".to_owned(),
                ..Default::default()
            }),
            update_mask: mask(&["notes"]),
        })
        .await
        .unwrap_err();
    assert_eq!(update.code(), Code::FailedPrecondition);
    assert_eq!(reason(&update), "CUSTOMER_DELETED");
}

#[tokio::test]
async fn lists_filter_by_kind_status_region_and_name_prefix() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let individual = Customer {
        kind: CustomerKind::Individual.into(),
        display_name: "Zhang San".to_owned(),
        region_code: "310115".to_owned(),
        status: CustomerStatus::Active.into(),
        ..Default::default()
    };
    for customer in [
        enterprise("Acme Trading"),
        enterprise("acme_50%"),
        enterprise("Beta Freight"),
        individual,
    ] {
        create_customer(&mut client, customer).await;
    }
    let names = |filter: CustomerFilter| {
        let mut client = client.clone();
        async move {
            let mut names: Vec<String> = client
                .list_customers(ListCustomersRequest {
                    filter: Some(filter),
                    ..Default::default()
                })
                .await
                .unwrap()
                .into_inner()
                .customers
                .into_iter()
                .map(|c| c.display_name)
                .collect();
            names.sort();
            names
        }
    };

    let by_prefix = names(CustomerFilter {
        display_name_prefix: "ACME".to_owned(),
        ..Default::default()
    });
    assert_eq!(by_prefix.await, ["Acme Trading", "acme_50%"]);
    let wildcard_is_literal = names(CustomerFilter {
        display_name_prefix: "acme_5".to_owned(),
        ..Default::default()
    });
    assert_eq!(wildcard_is_literal.await, ["acme_50%"]);
    let by_kind = names(CustomerFilter {
        kind: CustomerKind::Individual.into(),
        ..Default::default()
    });
    assert_eq!(by_kind.await, ["Zhang San"]);
    let by_status = names(CustomerFilter {
        status: CustomerStatus::Prospect.into(),
        ..Default::default()
    });
    assert_eq!(by_status.await.len(), 3);
    let by_region = names(CustomerFilter {
        region_code: "310115".to_owned(),
        ..Default::default()
    });
    assert_eq!(by_region.await, ["Zhang San"]);
}

#[tokio::test]
async fn a_list_with_a_bad_filter_or_page_size_is_refused() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let status = client
        .list_customers(ListCustomersRequest {
            page_size: -1,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&status), ["page_size"]);

    let status = client
        .list_customers(ListCustomersRequest {
            filter: Some(CustomerFilter {
                kind: 42,
                region_code: "nowhere at all".to_owned(),
                display_name_prefix: "x".repeat(201),
                ..Default::default()
            }),
            order_by: 99,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        [
            "filter.kind",
            "filter.region_code",
            "filter.display_name_prefix",
            "order_by"
        ]
    );
}

#[tokio::test]
async fn when_the_database_is_down_calls_are_unavailable_not_internal() {
    let cluster = start_cluster().unwrap();
    let app = TestApp::spawn_on(&cluster, |_| {}).await;
    let mut client = app.customers_client().await;
    create_customer(&mut client, enterprise("Before the outage")).await;

    drop(cluster);

    let status = client
        .list_customers(ListCustomersRequest::default())
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::Unavailable, "{status:?}");
    assert_eq!(reason(&status), "DATABASE_UNAVAILABLE");
    assert!(!status.message().contains("127.0.0.1"), "no internals leak");
}

#[tokio::test]
async fn addresses_and_transport_needs_are_kept_and_checked() {
    let app = TestApp::spawn().await;
    let mut client = app.customers_client().await;
    let created = create_customer(&mut client, enterprise("Acme")).await;
    let warehouse = Address {
        recipient: "Pudong Warehouse 2".to_owned(),
        lines: vec!["88 Century Avenue".to_owned()],
        city: "Shanghai".to_owned(),
        postal_code: "200120".to_owned(),
        region_code: "310115".to_owned(),
        country_code: "CN".to_owned(),
    };
    let needs = TransportNeeds {
        usual_modes: vec![TransportMode::Road.into(), TransportMode::Rail.into()],
        cargo_types: vec!["electronics".to_owned()],
        monthly_volume_kg: 120_000,
        time_requirements: "next-day within Jiangsu".to_owned(),
    };

    let updated = client
        .update_customer(UpdateCustomerRequest {
            customer: Some(Customer {
                id: created.id.clone(),
                addresses: vec![warehouse.clone()],
                transport_needs: Some(needs.clone()),
                ..Default::default()
            }),
            update_mask: mask(&["addresses", "transport_needs"]),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(updated.addresses, std::slice::from_ref(&warehouse));
    assert_eq!(updated.transport_needs, Some(needs));

    let status = client
        .update_customer(UpdateCustomerRequest {
            customer: Some(Customer {
                id: created.id.clone(),
                addresses: vec![Address {
                    lines: Vec::new(),
                    country_code: "China".to_owned(),
                    ..warehouse
                }],
                transport_needs: Some(TransportNeeds {
                    usual_modes: vec![TransportMode::Air.into(), TransportMode::Air.into()],
                    monthly_volume_kg: -1,
                    ..Default::default()
                }),
                ..Default::default()
            }),
            update_mask: mask(&["addresses", "transport_needs"]),
        })
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        [
            "customer.addresses[0].lines",
            "customer.addresses[0].country_code",
            "customer.transport_needs.usual_modes[1]",
            "customer.transport_needs.monthly_volume_kg",
        ]
    );
}
