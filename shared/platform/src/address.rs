//! Postal addresses as every service checks them.

use logistics_contracts::common::Address;

use serde::{Deserialize, Serialize};

use crate::error::Violations;

/// Longest recipient, in characters.
pub const MAX_RECIPIENT_CHARS: usize = 200;
/// Longest street line, in characters.
pub const MAX_LINE_CHARS: usize = 200;
/// Longest city, in characters.
pub const MAX_CITY_CHARS: usize = 100;
/// Longest postal code, in characters.
pub const MAX_POSTAL_CODE_CHARS: usize = 20;

/// Longest region code, in characters: the suite's one rule for region codes, wherever they are
/// taken (addresses, profiles, tracking locations, filters, rate-card prefixes). A GB/T 2260 code
/// has 6 digits (12 with the statistical township and village levels), an ISO 3166-2 code at
/// most 6 characters; 16 leaves room and is what stored addresses and profiles were checked
/// against from the start, so no stored code is refused on its next write.
pub const MAX_REGION_CODE_CHARS: usize = 16;

/// How a bad region code is described to the caller.
pub const REGION_CODE_RULE: &str =
    "must be a region code such as \"310115\" or \"CN-SH\" (upper case, at most 16 characters)";

/// How a bad region-code prefix is described to the caller.
pub const REGION_CODE_PREFIX_RULE: &str =
    "must be 1 to 16 upper-case letters, digits or '-', e.g. \"31\" or \"CN-SH\"";

/// Whether `code` looks like a region code: a GB/T 2260 code ("310115") or an ISO 3166-2 code
/// ("CN-SH"), upper case, at most [`MAX_REGION_CODE_CHARS`] characters.
pub fn is_region_code(code: &str) -> bool {
    is_region_code_prefix(code) && !code.starts_with('-') && !code.ends_with('-')
}

/// Whether `prefix` can start a region code ("31", "CN-"): 1 to [`MAX_REGION_CODE_CHARS`]
/// upper-case letters, digits or '-'.
pub fn is_region_code_prefix(prefix: &str) -> bool {
    (1..=MAX_REGION_CODE_CHARS).contains(&prefix.len())
        && prefix
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

/// Whether an address must name its region: shipments are zoned by it, profiles may omit it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// The region code is required.
    Required,
    /// The region code may be empty.
    Optional,
}

/// Checks an address at `field` (e.g. `order.origin`), recording every bad part as
/// `order.origin.city` and so on.
pub fn check_address(violations: &mut Violations, field: &str, address: &Address, region: Region) {
    let part = |name: &str| format!("{field}.{name}");
    violations.limit_text(&part("recipient"), &address.recipient, MAX_RECIPIENT_CHARS);
    if address.lines.is_empty() || address.lines.len() > 3 {
        violations.add(part("lines"), "one to three street lines");
    }
    for (at, line) in address.lines.iter().enumerate() {
        violations.require_text(&format!("{field}.lines[{at}]"), line, MAX_LINE_CHARS);
    }
    violations.require_text(&part("city"), &address.city, MAX_CITY_CHARS);
    violations.limit_text(
        &part("postal_code"),
        &address.postal_code,
        MAX_POSTAL_CODE_CHARS,
    );
    if address.region_code.is_empty() {
        if region == Region::Required {
            violations.add(
                part("region_code"),
                "is required, e.g. \"310115\" or \"CN-SH\"",
            );
        }
    } else if !is_region_code(&address.region_code) {
        violations.add(part("region_code"), REGION_CODE_RULE);
    }
    let country = &address.country_code;
    if country.len() != 2 || !country.bytes().all(|b| b.is_ascii_uppercase()) {
        violations.add(
            part("country_code"),
            "must be two upper-case letters, e.g. \"CN\"",
        );
    }
}

/// The address with its free text trimmed, as it is stored.
pub fn trimmed(address: &Address) -> Address {
    Address {
        recipient: address.recipient.trim().to_owned(),
        lines: address
            .lines
            .iter()
            .map(|line| line.trim().to_owned())
            .collect(),
        city: address.city.trim().to_owned(),
        postal_code: address.postal_code.trim().to_owned(),
        region_code: address.region_code.clone(),
        country_code: address.country_code.clone(),
    }
}

/// A postal address as services keep it: with their record, as JSON. Missing fields read as
/// empty, so rows written before a field existed still read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PostalAddress {
    /// Who or what is at the address.
    pub recipient: String,
    /// Street lines, most specific first.
    pub lines: Vec<String>,
    /// City.
    pub city: String,
    /// Postal code.
    pub postal_code: String,
    /// Administrative region code (zoning, reports).
    pub region_code: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country_code: String,
}

impl From<&Address> for PostalAddress {
    /// The address as stored: its free text trimmed. Check it with [`check_address`] first.
    fn from(address: &Address) -> Self {
        let address = trimmed(address);
        Self {
            recipient: address.recipient,
            lines: address.lines,
            city: address.city,
            postal_code: address.postal_code,
            region_code: address.region_code,
            country_code: address.country_code,
        }
    }
}

impl From<&PostalAddress> for Address {
    fn from(address: &PostalAddress) -> Self {
        Self {
            recipient: address.recipient.clone(),
            lines: address.lines.clone(),
            city: address.city.clone(),
            postal_code: address.postal_code.clone(),
            region_code: address.region_code.clone(),
            country_code: address.country_code.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pudong() -> Address {
        Address {
            recipient: "Pudong Warehouse 2".to_owned(),
            lines: vec!["88 Century Avenue".to_owned()],
            city: "Shanghai".to_owned(),
            postal_code: "200120".to_owned(),
            region_code: "310115".to_owned(),
            country_code: "CN".to_owned(),
        }
    }

    fn fields(address: &Address, region: Region) -> Vec<String> {
        let mut violations = Violations::new();
        check_address(&mut violations, "order.origin", address, region);
        violations.fields().into_iter().map(str::to_owned).collect()
    }

    #[test]
    fn a_complete_address_passes() {
        assert!(fields(&pudong(), Region::Required).is_empty());
    }

    #[test]
    fn every_bad_part_is_named() {
        let bad = Address {
            recipient: "x".repeat(201),
            lines: vec![String::new()],
            city: String::new(),
            postal_code: "1".repeat(21),
            region_code: "sh".to_owned(),
            country_code: "China".to_owned(),
        };
        assert_eq!(
            fields(&bad, Region::Required),
            [
                "order.origin.recipient",
                "order.origin.lines[0]",
                "order.origin.city",
                "order.origin.postal_code",
                "order.origin.region_code",
                "order.origin.country_code",
            ]
        );
    }

    #[test]
    fn the_region_is_required_only_when_asked() {
        let no_region = Address {
            region_code: String::new(),
            ..pudong()
        };
        assert_eq!(
            fields(&no_region, Region::Required),
            ["order.origin.region_code"]
        );
        assert!(fields(&no_region, Region::Optional).is_empty());
    }

    #[test]
    fn region_codes_are_upper_case_codes() {
        for good in ["310115", "CN-SH", "44"] {
            assert!(is_region_code(good), "{good}");
        }
        for bad in ["", "cn-sh", "-CN", "CN-", "12345678901234567", "31 01"] {
            assert!(!is_region_code(bad), "{bad}");
        }
        for prefix in ["3", "31", "CN-", "1234567890123456"] {
            assert!(is_region_code_prefix(prefix), "{prefix}");
        }
        for bad in ["", "cn", "12345678901234567", "3 1"] {
            assert!(!is_region_code_prefix(bad), "{bad}");
        }
    }
}
