//! `logistics.orders.v1.AddressBookService`: saved addresses per customer (寄送清单). Requests
//! are checked here; `app::address_book` keeps the book.

use logistics_contracts::orders::address_book_service_server::AddressBookService;
use logistics_contracts::orders::{
    self as pb, AddressUsage as ProtoUsage, CreateSavedAddressRequest, DeleteSavedAddressRequest,
    GetSavedAddressRequest, ListSavedAddressesRequest, ListSavedAddressesResponse,
    UpdateSavedAddressRequest,
};
use logistics_platform::auth::ScopeTable;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::field_mask::resolve_update_mask;
use logistics_platform::fields::customer_ref_field;
use logistics_platform::pagination::{PageTokens, TokenKey};
use logistics_platform::{ApiError, scope_table};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::fields::validate_address;
use super::{principal_name, respond};
use crate::app::address_book::{self, NewSavedAddress, SavedAddressPatch, report_problems};
use crate::app::proto::saved_address_to_proto as to_proto;
use crate::clients::CustomersDirectory;
use crate::domain::address::{
    AddressUsage, MAX_SAVED_ADDRESSES_PER_CUSTOMER, SavedAddressDetails, SavedAddressField,
};
use crate::domain::order::PostalAddress;

/// The scope each RPC of AddressBookService needs.
pub(crate) const SCOPES: ScopeTable = scope_table!("logistics.orders.v1.AddressBookService" {
    CreateSavedAddress => "orders:write",
    GetSavedAddress => "orders:read",
    ListSavedAddresses => "orders:read",
    UpdateSavedAddress => "orders:write",
    DeleteSavedAddress => "orders:write",
});

/// Longest label, in characters.
const MAX_LABEL_CHARS: usize = 100;
/// Page size of ListSavedAddresses when none is asked for.
const DEFAULT_PAGE: usize = 50;
/// Largest page: a whole address book.
const MAX_PAGE: usize = MAX_SAVED_ADDRESSES_PER_CUSTOMER as usize;

/// The address book API over its database and, for customer codes, the customers service.
#[derive(Clone)]
pub(crate) struct AddressBookApi {
    pool: PgPool,
    page_tokens: PageTokens,
    customers: CustomersDirectory,
}

impl AddressBookApi {
    /// The API over `pool`, sealing page tokens with `token_key` and resolving customer codes
    /// through `customers`.
    pub(crate) fn new(pool: PgPool, token_key: TokenKey, customers: CustomersDirectory) -> Self {
        Self {
            pool,
            page_tokens: PageTokens::new(token_key, "orders.saved_addresses.list"),
            customers,
        }
    }

    async fn create(
        &self,
        principal: &str,
        request: CreateSavedAddressRequest,
    ) -> Result<pb::SavedAddress, ApiError> {
        let mut violations = Violations::new();
        let request_id = parse_uuid(&mut violations, "request_id", &request.request_id);
        let Some(input) = &request.saved_address else {
            violations.add("saved_address", "is required");
            return Err(violations.into_error());
        };
        let customer = customer_ref_field(
            &mut violations,
            "saved_address.customer_id",
            &input.customer_id,
            true,
        );
        let details = validate_details(input, SavedAddressField::ALL, &mut violations);
        let (Some(customer), Some(details), Some(request_id)) = (customer, details, request_id)
        else {
            return Err(violations.into_error());
        };
        report_problems(&details, &mut violations);
        violations.finish()?;

        let new = NewSavedAddress {
            principal,
            request_id,
            request: &request,
            customer,
            details,
        };
        address_book::create(&self.pool, &self.customers, new).await
    }

    async fn get(&self, request: GetSavedAddressRequest) -> Result<pb::SavedAddress, ApiError> {
        let id = parse_id("id", &request.id)?;
        to_proto(&address_book::get(&self.pool, id, &request.id).await?)
    }

    async fn list(
        &self,
        request: ListSavedAddressesRequest,
    ) -> Result<ListSavedAddressesResponse, ApiError> {
        let mut violations = Violations::new();
        let customer =
            customer_ref_field(&mut violations, "customer_id", &request.customer_id, true);
        let usages: &[AddressUsage] = match ProtoUsage::try_from(request.usage) {
            Ok(ProtoUsage::Unspecified) => AddressUsage::ALL,
            Ok(ProtoUsage::Sender) => &[AddressUsage::Sender, AddressUsage::Both],
            Ok(ProtoUsage::Recipient) => &[AddressUsage::Recipient, AddressUsage::Both],
            Ok(ProtoUsage::Both) => &[AddressUsage::Both],
            Err(_) => {
                violations.add("usage", "is not a known usage");
                &[]
            }
        };
        let size = match request.page_size {
            size if size < 0 => {
                violations.add("page_size", "must not be negative");
                0
            }
            0 => DEFAULT_PAGE,
            size => (size as usize).min(MAX_PAGE),
        };
        let Some(customer) = customer else {
            return Err(violations.into_error());
        };
        violations.finish()?;
        // Bound to the customer's id, so a page token serves its code and its id alike.
        let customer_id = self.customers.resolve(&customer).await?;
        let query = format!("{customer_id}/{}", request.usage);
        let after: Option<Uuid> = self
            .page_tokens
            .open(query.as_bytes(), &request.page_token)?;
        let mut rows = address_book::list(&self.pool, customer_id, usages, after, size + 1).await?;
        let more = rows.len() > size;
        rows.truncate(size);
        let next_page_token = match (more, rows.last()) {
            (true, Some(last)) => self.page_tokens.issue(query.as_bytes(), &last.id),
            _ => String::new(),
        };
        Ok(ListSavedAddressesResponse {
            saved_addresses: rows.iter().map(to_proto).collect::<Result<_, _>>()?,
            next_page_token,
        })
    }

    async fn update(
        &self,
        request: UpdateSavedAddressRequest,
    ) -> Result<pb::SavedAddress, ApiError> {
        let Some(input) = request.saved_address else {
            return Err(ApiError::invalid_field("saved_address", "is required"));
        };
        let mut violations = Violations::new();
        let id = parse_uuid(&mut violations, "saved_address.id", &input.id);
        let fields = match &request.update_mask {
            Some(mask) => resolve_update_mask(
                &mask.paths,
                SavedAddressField::ALL,
                SavedAddressField::parse,
                "label, address, usage, default_sender, default_recipient",
                &mut violations,
            ),
            None => populated_fields(&input),
        };
        let patch = validate_details(&input, &fields, &mut violations);
        let (Some(id), Some(patch)) = (id, patch) else {
            return Err(violations.into_error());
        };
        violations.finish()?;

        let change = SavedAddressPatch {
            id,
            named: &input.id,
            customer_id: &input.customer_id,
            etag: &input.etag,
            patch,
            fields,
        };
        to_proto(&address_book::update(&self.pool, change).await?)
    }

    async fn delete(&self, request: DeleteSavedAddressRequest) -> Result<(), ApiError> {
        let id = parse_id("id", &request.id)?;
        address_book::delete(&self.pool, id, &request.id, &request.etag).await
    }
}

/// Validates the `fields` of `input` (under `saved_address.`); fields not named keep
/// placeholder values. `None` when a named field is unusable.
fn validate_details(
    input: &pb::SavedAddress,
    fields: &[SavedAddressField],
    violations: &mut Violations,
) -> Option<SavedAddressDetails> {
    let mut details = SavedAddressDetails {
        label: String::new(),
        address: PostalAddress::default(),
        usage: AddressUsage::Both,
        default_sender: input.default_sender,
        default_recipient: input.default_recipient,
    };
    let mut usable = true;
    for &field in fields {
        let path = format!("saved_address.{}", field.as_str());
        match field {
            SavedAddressField::Label => {
                violations.require_text(&path, &input.label, MAX_LABEL_CHARS);
                details.label = input.label.trim().to_owned();
            }
            SavedAddressField::Address => {
                match validate_address(violations, &path, input.address.as_ref()) {
                    Some(address) => details.address = address,
                    None => usable = false,
                }
            }
            SavedAddressField::Usage => match usage_from_proto(input.usage) {
                Some(usage) => details.usage = usage,
                None => {
                    let why = if input.usage == 0 {
                        "is required: SENDER, RECIPIENT or BOTH"
                    } else {
                        "is not a known usage"
                    };
                    violations.add(path, why);
                    usable = false;
                }
            },
            SavedAddressField::DefaultSender | SavedAddressField::DefaultRecipient => {}
        }
    }
    usable.then_some(details)
}

/// Without a mask, AIP-134 updates every field the caller set to a non-default value.
fn populated_fields(input: &pb::SavedAddress) -> Vec<SavedAddressField> {
    [
        (SavedAddressField::Label, !input.label.is_empty()),
        (SavedAddressField::Address, input.address.is_some()),
        (SavedAddressField::Usage, input.usage != 0),
        (SavedAddressField::DefaultSender, input.default_sender),
        (SavedAddressField::DefaultRecipient, input.default_recipient),
    ]
    .into_iter()
    .filter_map(|(field, set)| set.then_some(field))
    .collect()
}

fn usage_from_proto(value: i32) -> Option<AddressUsage> {
    match ProtoUsage::try_from(value).ok()? {
        ProtoUsage::Unspecified => None,
        ProtoUsage::Sender => Some(AddressUsage::Sender),
        ProtoUsage::Recipient => Some(AddressUsage::Recipient),
        ProtoUsage::Both => Some(AddressUsage::Both),
    }
}

fn parse_id(field: &str, text: &str) -> Result<Uuid, ApiError> {
    let mut violations = Violations::new();
    parse_uuid(&mut violations, field, text).ok_or_else(|| violations.into_error())
}

#[tonic::async_trait]
impl AddressBookService for AddressBookApi {
    async fn create_saved_address(
        &self,
        request: Request<CreateSavedAddressRequest>,
    ) -> Result<Response<pb::SavedAddress>, Status> {
        let principal = principal_name(&request)?;
        respond(self.create(&principal, request.into_inner()).await)
    }

    async fn get_saved_address(
        &self,
        request: Request<GetSavedAddressRequest>,
    ) -> Result<Response<pb::SavedAddress>, Status> {
        respond(self.get(request.into_inner()).await)
    }

    async fn list_saved_addresses(
        &self,
        request: Request<ListSavedAddressesRequest>,
    ) -> Result<Response<ListSavedAddressesResponse>, Status> {
        respond(self.list(request.into_inner()).await)
    }

    async fn update_saved_address(
        &self,
        request: Request<UpdateSavedAddressRequest>,
    ) -> Result<Response<pb::SavedAddress>, Status> {
        respond(self.update(request.into_inner()).await)
    }

    async fn delete_saved_address(
        &self,
        request: Request<DeleteSavedAddressRequest>,
    ) -> Result<Response<()>, Status> {
        respond(self.delete(request.into_inner()).await)
    }
}
