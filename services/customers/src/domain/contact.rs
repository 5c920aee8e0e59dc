//! Contacts: how phones and emails are normalized and checked, and the limits on a contact.
//!
//! Messages here never quote the value they reject: the value is personal data, and error
//! descriptions travel to callers and into logs.

/// Most characters of a contact's name.
pub(crate) const MAX_NAME_CHARS: usize = 100;
/// Most characters of a contact's role.
pub(crate) const MAX_ROLE_CHARS: usize = 50;
/// Most characters of an email address (RFC 5321's path limit).
pub(crate) const MAX_EMAIL_CHARS: usize = 254;
/// Fewest digits of a phone number (short service numbers).
pub(crate) const MIN_PHONE_DIGITS: usize = 5;
/// Most digits of a phone number (E.164 allows 15; extensions need a few more).
pub(crate) const MAX_PHONE_DIGITS: usize = 20;
/// Most contacts one customer may have.
pub(crate) const MAX_CONTACTS_PER_CUSTOMER: i64 = 20;
/// Longest raw phone input looked at, so a huge string costs nothing to refuse.
const MAX_PHONE_INPUT_CHARS: usize = 40;
/// Most characters of an email's local part (RFC 5321).
const MAX_EMAIL_LOCAL_CHARS: usize = 64;

/// A contact field a caller can change, by its field-mask path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ContactField {
    /// The person's name.
    Name,
    /// The phone number.
    Phone,
    /// The email address.
    Email,
    /// The role at the customer.
    Role,
    /// The main-contact flag.
    Primary,
}

impl ContactField {
    /// Every changeable field, in message order.
    pub(crate) const ALL: &'static [ContactField] = &[
        Self::Name,
        Self::Phone,
        Self::Email,
        Self::Role,
        Self::Primary,
    ];

    /// The field-mask path.
    pub(crate) fn path(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Phone => "phone",
            Self::Email => "email",
            Self::Role => "role",
            Self::Primary => "primary",
        }
    }

    /// The field named by a field-mask path, if it can be changed.
    pub(crate) fn parse(path: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|field| field.path() == path)
    }
}

/// A contact's details in plaintext, normalized. Only ever held in memory; stored sealed.
#[derive(Clone, PartialEq, Eq, Default)]
pub(crate) struct ContactDetails {
    /// The person's name, trimmed.
    pub(crate) name: String,
    /// Normalized phone, if any.
    pub(crate) phone: Option<String>,
    /// Normalized email, if any.
    pub(crate) email: Option<String>,
    /// Role at the customer, trimmed.
    pub(crate) role: String,
    /// Main contact.
    pub(crate) primary: bool,
}

/// Personal data must not reach logs even through `{:?}`.
impl std::fmt::Debug for ContactDetails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ContactDetails")
            .field("role", &self.role)
            .field("primary", &self.primary)
            .finish_non_exhaustive()
    }
}

impl ContactDetails {
    /// Copies the `fields` of `patch` over these details; returns the fields whose value changed.
    pub(crate) fn apply(
        &mut self,
        patch: &ContactDetails,
        fields: &[ContactField],
    ) -> Vec<ContactField> {
        let mut changed = Vec::new();
        for &field in fields {
            let differs = match field {
                ContactField::Name => replace(&mut self.name, &patch.name),
                ContactField::Phone => replace(&mut self.phone, &patch.phone),
                ContactField::Email => replace(&mut self.email, &patch.email),
                ContactField::Role => replace(&mut self.role, &patch.role),
                ContactField::Primary => replace(&mut self.primary, &patch.primary),
            };
            if differs && !changed.contains(&field) {
                changed.push(field);
            }
        }
        changed
    }

    /// A contact must be reachable: by phone, by email or both.
    pub(crate) fn is_reachable(&self) -> bool {
        self.phone.is_some() || self.email.is_some()
    }
}

fn replace<T: PartialEq + Clone>(slot: &mut T, value: &T) -> bool {
    if slot == value {
        false
    } else {
        *slot = value.clone();
        true
    }
}

/// Normalizes a phone number to its digits, keeping a leading "+": "+86 138-0013 (8000)" becomes
/// "+8613800138000". Spaces, dashes, dots and parentheses are separators; anything else is refused.
pub(crate) fn normalize_phone(raw: &str) -> Result<String, &'static str> {
    let text = raw.trim();
    if text.chars().count() > MAX_PHONE_INPUT_CHARS {
        return Err("must be at most 40 characters");
    }
    let (plus, rest) = match text.strip_prefix('+') {
        Some(rest) => ("+", rest),
        None => ("", text),
    };
    let mut digits = String::with_capacity(rest.len());
    for c in rest.chars() {
        match c {
            '0'..='9' => digits.push(c),
            ' ' | '-' | '.' | '(' | ')' => {}
            _ => {
                return Err(
                    "may hold only digits, an optional leading '+', spaces, '-', '.', '(' and ')'",
                );
            }
        }
    }
    if !(MIN_PHONE_DIGITS..=MAX_PHONE_DIGITS).contains(&digits.len()) {
        return Err("must have 5 to 20 digits");
    }
    Ok(format!("{plus}{digits}"))
}

/// Normalizes an email address (trimmed, lower-cased) and checks its basic syntax:
/// one '@', a local part of 1-64 characters, a domain of dot-separated labels, no spaces.
pub(crate) fn normalize_email(raw: &str) -> Result<String, &'static str> {
    let email = raw.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL_CHARS {
        return Err("must be at most 254 characters");
    }
    if email.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters");
    }
    let Some((local, domain)) = email.split_once('@') else {
        return Err("must look like name@example.com");
    };
    let domain_ok = domain.contains('.')
        && !domain.contains('@')
        && domain.split('.').all(|label| {
            !label.is_empty()
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    if local.is_empty() || local.chars().count() > MAX_EMAIL_LOCAL_CHARS || !domain_ok {
        return Err("must look like name@example.com");
    }
    Ok(email)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_normalize_to_digits_with_an_optional_plus() {
        let cases: &[(&str, Result<&str, ()>)] = &[
            ("+86 138-0013 (8000)", Ok("+8613800138000")),
            ("  13800138000 ", Ok("13800138000")),
            ("021.6234.5678", Ok("02162345678")),
            ("12345", Ok("12345")),
            ("1234", Err(())),
            ("+1234", Err(())),
            ("12345678901234567890", Ok("12345678901234567890")),
            ("123456789012345678901", Err(())),
            ("", Err(())),
            ("+", Err(())),
            ("++8613800138000", Err(())),
            ("138 0013 800x", Err(())),
            ("86+13800138000", Err(())),
            ("1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1", Err(())),
        ];
        for (raw, expected) in cases {
            let got = normalize_phone(raw).map_err(|_| ());
            assert_eq!(got.as_deref(), expected.as_deref(), "phone {raw:?}");
        }
    }

    #[test]
    fn emails_are_trimmed_lower_cased_and_checked() {
        let long_local = format!("{}@ex.cn", "a".repeat(65));
        let max_len = format!("{}@{}.cn", "a".repeat(64), "b".repeat(186));
        let too_long = format!("{}@{}.cn", "a".repeat(64), "b".repeat(187));
        assert_eq!(max_len.chars().count(), 254);
        let cases: &[(&str, Result<&str, ()>)] = &[
            ("  Li.Wei@Example.CN ", Ok("li.wei@example.cn")),
            ("a@b.c", Ok("a@b.c")),
            ("no-at.example.cn", Err(())),
            ("@example.cn", Err(())),
            ("a@localhost", Err(())),
            ("a@b..cn", Err(())),
            ("a@-b.cn", Err(())),
            ("a b@c.cn", Err(())),
            ("a@b@c.cn", Err(())),
            (&long_local, Err(())),
            (&max_len, Ok(&max_len)),
            (&too_long, Err(())),
        ];
        for (raw, expected) in cases {
            let got = normalize_email(raw).map_err(|_| ());
            assert_eq!(got.as_deref(), expected.as_deref(), "email {raw:?}");
        }
    }

    #[test]
    fn applying_a_patch_reports_only_fields_whose_value_changed() {
        let mut details = ContactDetails {
            name: "Wang Fang".into(),
            phone: Some("+8613800138000".into()),
            email: None,
            role: "buyer".into(),
            primary: false,
        };
        let patch = ContactDetails {
            name: "Wang Fang".into(),
            phone: None,
            email: Some("wf@example.cn".into()),
            role: "buyer".into(),
            primary: true,
        };
        let changed = details.apply(&patch, ContactField::ALL);
        assert_eq!(
            changed,
            [
                ContactField::Phone,
                ContactField::Email,
                ContactField::Primary
            ]
        );
        assert!(details.is_reachable());
        assert_eq!(details.apply(&patch, ContactField::ALL), []);
        details.apply(&ContactDetails::default(), &[ContactField::Email]);
        assert!(!details.is_reachable());
    }

    #[test]
    fn debug_output_hides_personal_data() {
        let details = ContactDetails {
            name: "Canary Name".into(),
            phone: Some("+8613999999999".into()),
            email: Some("canary@example.cn".into()),
            role: "buyer".into(),
            primary: true,
        };
        let debug = format!("{details:?}");
        assert!(!debug.contains("Canary") && !debug.contains("1399") && !debug.contains("canary@"));
    }
}
