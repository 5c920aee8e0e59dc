//! Customer records: kinds, roles, lifecycle statuses, the editable profile and its rules.

use logistics_platform::named_enum;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::grading::{GovernmentLevel, Tier, ValueClass};

named_enum! {
    /// What kind of party a customer is.
    Kind { Individual = "INDIVIDUAL", Enterprise = "ENTERPRISE", Government = "GOVERNMENT" }
}

named_enum! {
    /// Whether the customer ships for itself or for others.
    Role { EndCustomer = "END_CUSTOMER", Intermediary = "INTERMEDIARY" }
}

named_enum! {
    /// Lifecycle status.
    Status {
        /// Known, has not shipped yet.
        Prospect = "PROSPECT",
        /// Ships with us.
        Active = "ACTIVE",
        /// No shipment for 90 days.
        Dormant = "DORMANT",
        /// No shipment for 180 days.
        Churned = "CHURNED",
        /// Refused service.
        Blocked = "BLOCKED",
    }
}

impl Status {
    /// Whether a customer may start its life in this status: a new customer has either not
    /// shipped yet or is being onboarded as a shipper.
    pub(crate) fn allowed_at_creation(self) -> bool {
        matches!(self, Status::Prospect | Status::Active)
    }
}

/// The fields staff may edit after creation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Profile {
    /// Ships for itself or for others.
    pub(crate) role: Role,
    /// Name people know the customer by.
    pub(crate) display_name: String,
    /// Industry or business type.
    pub(crate) industry: String,
    /// Administrative region code.
    pub(crate) region_code: String,
    /// Login of the account manager.
    pub(crate) account_manager: String,
    /// Notes for staff.
    pub(crate) notes: String,
    /// Postal addresses.
    pub(crate) addresses: Vec<PostalAddress>,
    /// What the customer usually ships and how.
    pub(crate) transport_needs: TransportNeeds,
}

pub(crate) use logistics_platform::address::PostalAddress;

/// What the customer usually ships and how, stored as JSON with the customer (`{}` for customers
/// created before it existed).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub(crate) struct TransportNeeds {
    /// Usual transport modes, by name ("ROAD", "AIR", ...).
    pub(crate) usual_modes: Vec<String>,
    /// Kinds of cargo.
    pub(crate) cargo_types: Vec<String>,
    /// Usual monthly volume in kilograms.
    pub(crate) monthly_volume_kg: i64,
    /// Time requirements in words.
    pub(crate) time_requirements: String,
}

/// One editable field of [`Profile`], named as in field masks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ProfileField {
    /// `role`
    Role,
    /// `display_name`
    DisplayName,
    /// `industry`
    Industry,
    /// `region_code`
    RegionCode,
    /// `account_manager`
    AccountManager,
    /// `notes`
    Notes,
    /// `addresses`
    Addresses,
    /// `transport_needs`
    TransportNeeds,
}

impl ProfileField {
    /// Every editable field.
    pub(crate) const ALL: &'static [Self] = &[
        Self::Role,
        Self::DisplayName,
        Self::Industry,
        Self::RegionCode,
        Self::AccountManager,
        Self::Notes,
        Self::Addresses,
        Self::TransportNeeds,
    ];

    /// The field-mask path.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Role => "role",
            Self::DisplayName => "display_name",
            Self::Industry => "industry",
            Self::RegionCode => "region_code",
            Self::AccountManager => "account_manager",
            Self::Notes => "notes",
            Self::Addresses => "addresses",
            Self::TransportNeeds => "transport_needs",
        }
    }

    /// The field a field-mask path names, if it is editable.
    pub(crate) fn from_path(path: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|field| field.path() == path)
    }
}

impl Profile {
    /// Copies `fields` from `new` and returns those whose value actually changed.
    pub(crate) fn apply(&mut self, new: &Profile, fields: &[ProfileField]) -> Vec<ProfileField> {
        let mut changed = Vec::new();
        for &field in fields {
            let differs = match field {
                ProfileField::Role => replace(&mut self.role, new.role),
                ProfileField::DisplayName => {
                    replace(&mut self.display_name, new.display_name.clone())
                }
                ProfileField::Industry => replace(&mut self.industry, new.industry.clone()),
                ProfileField::RegionCode => replace(&mut self.region_code, new.region_code.clone()),
                ProfileField::AccountManager => {
                    replace(&mut self.account_manager, new.account_manager.clone())
                }
                ProfileField::Notes => replace(&mut self.notes, new.notes.clone()),
                ProfileField::Addresses => replace(&mut self.addresses, new.addresses.clone()),
                ProfileField::TransportNeeds => {
                    replace(&mut self.transport_needs, new.transport_needs.clone())
                }
            };
            if differs && !changed.contains(&field) {
                changed.push(field);
            }
        }
        changed
    }
}

fn replace<T: PartialEq>(slot: &mut T, value: T) -> bool {
    if *slot == value {
        false
    } else {
        *slot = value;
        true
    }
}

/// A customer as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Customer {
    /// Stable id.
    pub(crate) id: Uuid,
    /// Human-readable code, e.g. "C000042".
    pub(crate) customer_code: String,
    /// Kind of party; never changes.
    pub(crate) kind: Kind,
    /// Lifecycle status.
    pub(crate) status: Status,
    /// Editable fields.
    pub(crate) profile: Profile,
    /// Grade within its kind; `None` until graded.
    pub(crate) tier: Option<Tier>,
    /// Value class from the tier.
    pub(crate) value_class: ValueClass,
    /// Level of a government customer, set by staff.
    pub(crate) government_level: Option<GovernmentLevel>,
    /// When it last shipped.
    pub(crate) last_shipment_time: Option<DateTime<Utc>>,
    /// When it last placed an order (learnt from the orders feed).
    pub(crate) last_order_time: Option<DateTime<Utc>>,
    /// Bumped on every change; the etag is derived from it.
    pub(crate) version: i64,
    /// When created.
    pub(crate) create_time: DateTime<Utc>,
    /// When last changed.
    pub(crate) update_time: DateTime<Utc>,
    /// When deleted, if it was.
    pub(crate) delete_time: Option<DateTime<Utc>>,
}

impl Customer {
    /// The etag callers send back to update only what they read.
    pub(crate) fn etag(&self) -> String {
        logistics_platform::etag::of(self.version)
    }

    /// When the customer last shipped or ordered, whichever is later: the inactivity clock
    /// (DORMANT, CHURNED) runs from it.
    pub(crate) fn last_activity_time(&self) -> Option<DateTime<Utc>> {
        self.last_shipment_time.max(self.last_order_time)
    }
}

/// How a caller names a customer: one rule for every service that takes a customer.
pub(crate) use logistics_platform::fields::CustomerRef;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_prospects_and_active_customers_can_be_created() {
        let allowed: Vec<_> = Status::ALL
            .iter()
            .filter(|status| status.allowed_at_creation())
            .collect();
        assert_eq!(allowed, [&Status::Prospect, &Status::Active]);
    }

    #[test]
    fn enums_round_trip_through_their_stored_names() {
        for kind in Kind::ALL {
            assert_eq!(Kind::parse(kind.as_str()), Some(*kind));
        }
        for status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(*status));
        }
        assert_eq!(Role::parse("end_customer"), None);
    }

    #[test]
    fn customer_refs_accept_uuids_and_codes_only() {
        let id = Uuid::new_v4();
        let cases = [
            (id.to_string(), Some(CustomerRef::Id(id))),
            (
                "C000042".to_owned(),
                Some(CustomerRef::Code("C000042".into())),
            ),
            (
                "c1234567".to_owned(),
                Some(CustomerRef::Code("C1234567".into())),
            ),
            ("C00042".to_owned(), None),
            ("C0000x2".to_owned(), None),
            ("42".to_owned(), None),
            (String::new(), None),
        ];
        for (text, expected) in cases {
            assert_eq!(CustomerRef::parse(&text), expected, "{text:?}");
        }
    }

    #[test]
    fn region_codes_are_gb_or_iso_style() {
        let cases = [
            ("310115", true),
            ("CN-SH", true),
            ("CN", true),
            ("cn-sh", false),
            ("-CN", false),
            ("CN-", false),
            ("", false),
            ("ABCDEFGHIJKLMNOPQ", false),
            ("CN SH", false),
        ];
        for (code, valid) in cases {
            assert_eq!(
                logistics_platform::address::is_region_code(code),
                valid,
                "{code:?}"
            );
        }
    }

    fn profile() -> Profile {
        Profile {
            role: Role::EndCustomer,
            display_name: "Acme".into(),
            industry: "retail".into(),
            region_code: "CN-SH".into(),
            account_manager: "li.wei".into(),
            notes: String::new(),
            addresses: Vec::new(),
            transport_needs: TransportNeeds::default(),
        }
    }

    #[test]
    fn applying_a_patch_changes_only_masked_fields_and_reports_real_changes() {
        let mut current = profile();
        let new = Profile {
            display_name: "Acme Logistics".into(),
            industry: "wholesale".into(),
            ..profile()
        };
        let changed = current.apply(&new, &[ProfileField::DisplayName, ProfileField::RegionCode]);
        assert_eq!(changed, [ProfileField::DisplayName]);
        assert_eq!(current.display_name, "Acme Logistics");
        assert_eq!(current.industry, "retail", "not in the mask");
    }

    #[test]
    fn json_stored_before_a_field_existed_still_reads() {
        let needs: TransportNeeds = serde_json::from_str("{}").unwrap();
        assert_eq!(needs, TransportNeeds::default());
        let address: PostalAddress = serde_json::from_str(r#"{"city":"Shanghai"}"#).unwrap();
        assert_eq!(address.city, "Shanghai");
    }

    #[test]
    fn field_mask_paths_name_editable_fields() {
        for field in ProfileField::ALL {
            assert_eq!(ProfileField::from_path(field.path()), Some(*field));
        }
        assert_eq!(ProfileField::from_path("kind"), None);
        assert_eq!(ProfileField::from_path("customer_code"), None);
    }
}
