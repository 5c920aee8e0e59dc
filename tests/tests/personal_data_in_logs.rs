//! No contact name, phone or email ever reaches the logs: every ContactService RPC, succeeding and
//! failing, runs with canary values while everything the process logs (at trace level for our own
//! crates, as JSON with span fields) is captured and searched.
//!
//! Telemetry installs process-wide state, so this binary holds exactly one test.

use std::io::Write;
use std::sync::{Arc, Mutex};

use logistics_contracts::customers::{
    AddContactRequest, Contact, EraseCustomerPersonalDataRequest, FindCustomersByContactRequest,
    ListContactsRequest, RemoveContactRequest, UpdateContactRequest,
};
use logistics_platform::telemetry::{self, LogFormat, TelemetryConfig};
use logistics_tests::{TestApp, create_customer, individual, request_id};

const CANARY_NAME: &str = "Zebulon Quixotic";
const CANARY_PHONE: &str = "+86 177 0042 9931";
const CANARY_PHONE_DIGITS: &str = "17700429931";
const CANARY_EMAIL: &str = "zebulon.quixotic@canary-mail.cn";
const CANARY_BAD_EMAIL: &str = "zebulon.badmail@@canary";
const CANARY_BAD_PHONE: &str = "177-ZEBULON-31";

/// Log lines, captured.
#[derive(Clone, Default)]
struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl Write for LogBuffer {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for LogBuffer {
    type Writer = LogBuffer;

    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

fn canary_contact() -> Contact {
    Contact {
        name: CANARY_NAME.to_owned(),
        phone: CANARY_PHONE.to_owned(),
        email: CANARY_EMAIL.to_owned(),
        role: "logistics manager".to_owned(),
        primary: true,
        ..Default::default()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn no_contact_name_phone_or_email_appears_in_the_logs_of_any_contact_rpc() {
    let logs = LogBuffer::default();
    let config = TelemetryConfig {
        log_filter: "info,logistics_platform=trace,logistics_customers=trace".to_owned(),
        log_format: LogFormat::Json,
        otlp_endpoint: None,
    };
    let guard = telemetry::init_with_writer(&config, "logistics-test", logs.clone()).unwrap();

    let app = TestApp::spawn().await;
    let mut customers = app.customers_client().await;
    let customer = create_customer(&mut customers, individual("Logged Customer")).await;
    let mut client = app.contacts_client().await;
    let mut reader = app.contacts_client_with(&app.keys.customers_reader).await;

    // Successful calls, and a replay.
    let add = AddContactRequest {
        customer_id: customer.id.clone(),
        contact: Some(canary_contact()),
        request_id: request_id(),
    };
    let added = client.add_contact(add.clone()).await.unwrap().into_inner();
    client.add_contact(add.clone()).await.unwrap();
    client
        .list_contacts(ListContactsRequest {
            customer_id: customer.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap();
    for (phone, email) in [(CANARY_PHONE, ""), ("", CANARY_EMAIL)] {
        let found = client
            .find_customers_by_contact(FindCustomersByContactRequest {
                phone: phone.to_owned(),
                email: email.to_owned(),
            })
            .await
            .unwrap()
            .into_inner();
        assert_eq!(found.matches.len(), 1);
    }
    let updated = client
        .update_contact(UpdateContactRequest {
            contact: Some(Contact {
                id: added.id.clone(),
                name: format!("{CANARY_NAME} Jr"),
                etag: added.etag.clone(),
                ..Default::default()
            }),
            update_mask: None,
        })
        .await
        .unwrap()
        .into_inner();

    // Failing calls: bad values, a reused key, a stale etag, a missing scope, unknown customers.
    let failures = [
        client
            .add_contact(AddContactRequest {
                customer_id: customer.id.clone(),
                contact: Some(Contact {
                    name: CANARY_NAME.repeat(10),
                    phone: CANARY_BAD_PHONE.to_owned(),
                    email: CANARY_BAD_EMAIL.to_owned(),
                    ..Default::default()
                }),
                request_id: request_id(),
            })
            .await
            .unwrap_err(),
        client
            .add_contact(AddContactRequest {
                contact: Some(Contact {
                    phone: "+86 177 0042 9932".to_owned(),
                    ..canary_contact()
                }),
                ..add.clone()
            })
            .await
            .unwrap_err(),
        client
            .add_contact(AddContactRequest {
                customer_id: "C999999".to_owned(),
                contact: Some(canary_contact()),
                request_id: request_id(),
            })
            .await
            .unwrap_err(),
        client
            .update_contact(UpdateContactRequest {
                contact: Some(Contact {
                    id: added.id.clone(),
                    email: CANARY_BAD_EMAIL.to_owned(),
                    etag: "v1".to_owned(),
                    ..Default::default()
                }),
                update_mask: None,
            })
            .await
            .unwrap_err(),
        client
            .update_contact(UpdateContactRequest {
                contact: Some(Contact {
                    id: added.id.clone(),
                    phone: CANARY_PHONE.to_owned(),
                    etag: "v1".to_owned(),
                    ..Default::default()
                }),
                update_mask: None,
            })
            .await
            .unwrap_err(),
        client
            .find_customers_by_contact(FindCustomersByContactRequest {
                phone: CANARY_BAD_PHONE.to_owned(),
                email: String::new(),
            })
            .await
            .unwrap_err(),
        client
            .find_customers_by_contact(FindCustomersByContactRequest {
                phone: String::new(),
                email: CANARY_BAD_EMAIL.to_owned(),
            })
            .await
            .unwrap_err(),
        reader
            .find_customers_by_contact(FindCustomersByContactRequest {
                phone: CANARY_PHONE.to_owned(),
                email: String::new(),
            })
            .await
            .unwrap_err(),
        reader
            .add_contact(AddContactRequest {
                customer_id: customer.id.clone(),
                contact: Some(canary_contact()),
                request_id: request_id(),
            })
            .await
            .unwrap_err(),
        client
            .remove_contact(RemoveContactRequest {
                id: added.id.clone(),
                etag: "v1".to_owned(),
            })
            .await
            .unwrap_err(),
    ];
    assert_eq!(failures.len(), 10);

    client
        .remove_contact(RemoveContactRequest {
            id: updated.id.clone(),
            etag: updated.etag.clone(),
        })
        .await
        .unwrap();
    client
        .add_contact(AddContactRequest {
            customer_id: customer.id.clone(),
            contact: Some(canary_contact()),
            request_id: request_id(),
        })
        .await
        .unwrap();
    client
        .erase_customer_personal_data(EraseCustomerPersonalDataRequest {
            customer_id: customer.id.clone(),
        })
        .await
        .unwrap();

    app.stop().await;
    tokio::task::spawn_blocking(move || drop(guard))
        .await
        .unwrap();

    let captured = String::from_utf8(logs.0.lock().unwrap().clone()).unwrap();
    // The capture works and covers the contact RPCs, the failing ones included.
    for expected in [
        r#""rpc.service":"logistics.customers.v1.ContactService""#,
        r#""rpc.method":"AddContact""#,
        r#""rpc.method":"EraseCustomerPersonalData""#,
        // The status of each call, in the line that ends it.
        r#""message":"rpc finished","code":3"#,
        r#""message":"rpc finished","code":10"#,
    ] {
        assert!(captured.contains(expected), "logs lack {expected:?}");
    }
    let lower = captured.to_lowercase();
    for canary in [
        "zebulon",
        "quixotic",
        CANARY_PHONE,
        CANARY_PHONE_DIGITS,
        "177 0042",
        "canary-mail",
        "badmail",
    ] {
        assert!(
            !lower.contains(&canary.to_lowercase()),
            "{canary:?} appears in the logs"
        );
    }
}
