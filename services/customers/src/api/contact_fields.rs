//! Contacts between the wire and the domain: validating request fields (collecting every
//! violation, never quoting a value: they are personal data) and choosing the fields to change.

use logistics_contracts::customers as pb;
use logistics_platform::error::Violations;
use logistics_platform::field_mask::resolve_update_mask;

use crate::domain::contact::{
    ContactDetails, ContactField, MAX_NAME_CHARS, MAX_ROLE_CHARS, normalize_email, normalize_phone,
};

/// Validates the `fields` of `input` (under `contact.`); fields not named keep their defaults.
pub(super) fn validate_details(
    input: &pb::Contact,
    fields: &[ContactField],
    violations: &mut Violations,
) -> ContactDetails {
    let mut details = ContactDetails::default();
    for &field in fields {
        let path = format!("contact.{}", field.path());
        match field {
            ContactField::Name => {
                violations.require_text(&path, &input.name, MAX_NAME_CHARS);
                details.name = input.name.trim().to_owned();
            }
            ContactField::Phone => {
                details.phone = normalize_optional(&input.phone, normalize_phone, &path, violations)
            }
            ContactField::Email => {
                details.email = normalize_optional(&input.email, normalize_email, &path, violations)
            }
            ContactField::Role => {
                violations.limit_text(&path, &input.role, MAX_ROLE_CHARS);
                details.role = input.role.trim().to_owned();
            }
            ContactField::Primary => details.primary = input.primary,
        }
    }
    details
}

fn normalize_optional(
    raw: &str,
    normalize: fn(&str) -> Result<String, &'static str>,
    path: &str,
    violations: &mut Violations,
) -> Option<String> {
    if raw.trim().is_empty() {
        return None;
    }
    match normalize(raw) {
        Ok(value) => Some(value),
        Err(problem) => {
            violations.add(path, problem);
            None
        }
    }
}

/// The fields an update mask names; `*` names them all.
pub(super) fn mask_fields(paths: &[String], violations: &mut Violations) -> Vec<ContactField> {
    resolve_update_mask(
        paths,
        ContactField::ALL,
        ContactField::parse,
        "name, phone, email, role, primary",
        violations,
    )
}

/// Without a mask, AIP-134 updates every field the caller set to a non-default value.
pub(super) fn populated_fields(contact: &pb::Contact) -> Vec<ContactField> {
    let set = [
        (ContactField::Name, !contact.name.is_empty()),
        (ContactField::Phone, !contact.phone.is_empty()),
        (ContactField::Email, !contact.email.is_empty()),
        (ContactField::Role, !contact.role.is_empty()),
        (ContactField::Primary, contact.primary),
    ];
    set.into_iter()
        .filter_map(|(field, present)| present.then_some(field))
        .collect()
}
