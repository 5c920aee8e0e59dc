//! Customer records between the wire and the domain: validating request fields (collecting every
//! violation) and converting to and from the protobuf messages.

use logistics_contracts::common::{self as common_pb, TransportMode};
use logistics_contracts::customers as pb;
use logistics_platform::address::{REGION_CODE_RULE, Region, check_address, is_region_code};
use logistics_platform::error::Violations;
use logistics_platform::field_mask::resolve_update_mask;

use crate::domain::customer::{
    Kind, PostalAddress, Profile, ProfileField, Role, Status as CustomerStatus, TransportNeeds,
};
use crate::store::customers::{ListFilter, NewCustomer};

const MAX_DISPLAY_NAME: usize = 200;
const MAX_INDUSTRY: usize = 100;
const MAX_ACCOUNT_MANAGER: usize = 100;
const MAX_NOTES: usize = 2000;
const MAX_ADDRESSES: usize = 10;
const MAX_CARGO_TYPES: usize = 10;
const MAX_MONTHLY_VOLUME_KG: i64 = 1_000_000_000;

pub(super) fn validate_new(
    customer: &pb::Customer,
    violations: &mut Violations,
) -> Option<NewCustomer> {
    let kind = match pb::CustomerKind::try_from(customer.kind) {
        Ok(pb::CustomerKind::Individual) => Some(Kind::Individual),
        Ok(pb::CustomerKind::Enterprise) => Some(Kind::Enterprise),
        Ok(pb::CustomerKind::Government) => Some(Kind::Government),
        Ok(pb::CustomerKind::Unspecified) => {
            violations.add("customer.kind", "is required");
            None
        }
        Err(_) => {
            violations.add("customer.kind", "is not a known kind");
            None
        }
    };
    let status = match status_from_proto(customer.status) {
        Some(None) => Some(CustomerStatus::Prospect),
        Some(Some(status)) if status.allowed_at_creation() => Some(status),
        Some(Some(_)) => {
            violations.add("customer.status", "a new customer is PROSPECT or ACTIVE");
            None
        }
        None => {
            violations.add("customer.status", "is not a known status");
            None
        }
    };
    let profile = validate_profile(customer, ProfileField::ALL, violations);
    Some(NewCustomer {
        kind: kind?,
        status: status?,
        profile,
    })
}

/// Validates the profile fields named in `fields`; others are taken as they are.
pub(super) fn validate_profile(
    customer: &pb::Customer,
    fields: &[ProfileField],
    violations: &mut Violations,
) -> Profile {
    let field = |name: &str| format!("customer.{name}");
    let role = match pb::CustomerRole::try_from(customer.role) {
        Ok(pb::CustomerRole::Unspecified | pb::CustomerRole::EndCustomer) => Role::EndCustomer,
        Ok(pb::CustomerRole::Intermediary) => Role::Intermediary,
        Err(_) => {
            if fields.contains(&ProfileField::Role) {
                violations.add(field("role"), "is not a known role");
            }
            Role::EndCustomer
        }
    };
    for &checked in fields {
        let name = field(checked.path());
        match checked {
            ProfileField::Role => {}
            ProfileField::DisplayName => {
                violations.require_text(&name, &customer.display_name, MAX_DISPLAY_NAME)
            }
            ProfileField::Industry => {
                violations.limit_text(&name, &customer.industry, MAX_INDUSTRY)
            }
            ProfileField::AccountManager => {
                violations.limit_text(&name, &customer.account_manager, MAX_ACCOUNT_MANAGER)
            }
            ProfileField::Notes => {
                violations.limit_multiline_text(&name, &customer.notes, MAX_NOTES)
            }
            ProfileField::Addresses => validate_addresses(&customer.addresses, violations),
            ProfileField::TransportNeeds => {
                validate_transport_needs(customer.transport_needs.as_ref(), violations)
            }
            ProfileField::RegionCode => {
                if !customer.region_code.is_empty() && !is_region_code(&customer.region_code) {
                    violations.add(name, REGION_CODE_RULE);
                }
            }
        }
    }
    Profile {
        role,
        display_name: customer.display_name.trim().to_owned(),
        industry: customer.industry.trim().to_owned(),
        region_code: customer.region_code.clone(),
        account_manager: customer.account_manager.trim().to_owned(),
        notes: customer.notes.clone(),
        addresses: customer.addresses.iter().map(PostalAddress::from).collect(),
        transport_needs: customer
            .transport_needs
            .as_ref()
            .map(transport_needs_from_proto)
            .unwrap_or_default(),
    }
}

fn validate_addresses(addresses: &[common_pb::Address], violations: &mut Violations) {
    if addresses.len() > MAX_ADDRESSES {
        violations.add(
            "customer.addresses",
            format!("at most {MAX_ADDRESSES} addresses"),
        );
        return;
    }
    for (at, address) in addresses.iter().enumerate() {
        check_address(
            violations,
            &format!("customer.addresses[{at}]"),
            address,
            Region::Optional,
        );
    }
}

fn validate_transport_needs(needs: Option<&pb::TransportNeeds>, violations: &mut Violations) {
    let Some(needs) = needs else {
        return;
    };
    let field = |name: &str| format!("customer.transport_needs.{name}");
    let mut seen = Vec::new();
    for (at, mode) in needs.usual_modes.iter().enumerate() {
        match TransportMode::try_from(*mode) {
            Ok(TransportMode::Unspecified) | Err(_) => violations.add(
                format!("{}[{at}]", field("usual_modes")),
                "is not a transport mode",
            ),
            Ok(_) if seen.contains(mode) => {
                violations.add(format!("{}[{at}]", field("usual_modes")), "is listed twice")
            }
            Ok(_) => seen.push(*mode),
        }
    }
    if needs.cargo_types.len() > MAX_CARGO_TYPES {
        violations.add(
            field("cargo_types"),
            format!("at most {MAX_CARGO_TYPES} cargo types"),
        );
    }
    for (at, cargo) in needs.cargo_types.iter().enumerate() {
        violations.require_text(&format!("{}[{at}]", field("cargo_types")), cargo, 50);
    }
    if !(0..=MAX_MONTHLY_VOLUME_KG).contains(&needs.monthly_volume_kg) {
        violations.add(
            field("monthly_volume_kg"),
            format!("must be 0 to {MAX_MONTHLY_VOLUME_KG}"),
        );
    }
    violations.limit_text(&field("time_requirements"), &needs.time_requirements, 200);
}

fn transport_needs_from_proto(needs: &pb::TransportNeeds) -> TransportNeeds {
    TransportNeeds {
        usual_modes: needs
            .usual_modes
            .iter()
            .filter_map(|mode| TransportMode::try_from(*mode).ok())
            .map(|mode| {
                mode.as_str_name()
                    .trim_start_matches("TRANSPORT_MODE_")
                    .to_owned()
            })
            .collect(),
        cargo_types: needs
            .cargo_types
            .iter()
            .map(|c| c.trim().to_owned())
            .collect(),
        monthly_volume_kg: needs.monthly_volume_kg,
        time_requirements: needs.time_requirements.trim().to_owned(),
    }
}

/// The paths UpdateCustomer may name.
const UPDATABLE: &str = "role, display_name, industry, region_code, account_manager, notes, \
                         addresses, transport_needs";

/// The editable fields an update mask names; `*` names them all.
pub(super) fn mask_fields(paths: &[String], violations: &mut Violations) -> Vec<ProfileField> {
    resolve_update_mask(
        paths,
        ProfileField::ALL,
        ProfileField::from_path,
        UPDATABLE,
        violations,
    )
}

/// Without a mask, AIP-134 updates every field the caller set to a non-default value.
pub(super) fn populated_fields(customer: &pb::Customer) -> Vec<ProfileField> {
    ProfileField::ALL
        .iter()
        .copied()
        .filter(|field| match field {
            ProfileField::Role => customer.role != 0,
            ProfileField::DisplayName => !customer.display_name.is_empty(),
            ProfileField::Industry => !customer.industry.is_empty(),
            ProfileField::RegionCode => !customer.region_code.is_empty(),
            ProfileField::AccountManager => !customer.account_manager.is_empty(),
            ProfileField::Notes => !customer.notes.is_empty(),
            ProfileField::Addresses => !customer.addresses.is_empty(),
            ProfileField::TransportNeeds => customer.transport_needs.is_some(),
        })
        .collect()
}

pub(super) fn validate_filter(
    filter: Option<&pb::CustomerFilter>,
    violations: &mut Violations,
) -> ListFilter {
    let Some(filter) = filter else {
        return ListFilter::default();
    };
    let kind = match pb::CustomerKind::try_from(filter.kind) {
        Ok(pb::CustomerKind::Unspecified) => None,
        Ok(pb::CustomerKind::Individual) => Some(Kind::Individual),
        Ok(pb::CustomerKind::Enterprise) => Some(Kind::Enterprise),
        Ok(pb::CustomerKind::Government) => Some(Kind::Government),
        Err(_) => {
            violations.add("filter.kind", "is not a known kind");
            None
        }
    };
    let status = status_from_proto(filter.status).unwrap_or_else(|| {
        violations.add("filter.status", "is not a known status");
        None
    });
    if !filter.region_code.is_empty() && !is_region_code(&filter.region_code) {
        violations.add("filter.region_code", REGION_CODE_RULE);
    }
    violations.limit_text(
        "filter.display_name_prefix",
        &filter.display_name_prefix,
        MAX_DISPLAY_NAME,
    );
    ListFilter {
        kind,
        status,
        region_code: (!filter.region_code.is_empty()).then(|| filter.region_code.clone()),
        display_name_prefix: (!filter.display_name_prefix.is_empty())
            .then(|| filter.display_name_prefix.clone()),
        show_deleted: filter.show_deleted,
    }
}

/// `None` for an unknown value, `Some(None)` for UNSPECIFIED.
fn status_from_proto(value: i32) -> Option<Option<CustomerStatus>> {
    Some(match pb::CustomerStatus::try_from(value).ok()? {
        pb::CustomerStatus::Unspecified => None,
        pb::CustomerStatus::Prospect => Some(CustomerStatus::Prospect),
        pb::CustomerStatus::Active => Some(CustomerStatus::Active),
        pb::CustomerStatus::Dormant => Some(CustomerStatus::Dormant),
        pb::CustomerStatus::Churned => Some(CustomerStatus::Churned),
        pb::CustomerStatus::Blocked => Some(CustomerStatus::Blocked),
    })
}
