//! The checks every service applies to request fields, so both services refuse the same input
//! the same way and nothing a caller sends reaches arithmetic or PostgreSQL unchecked.
//!
//! - Free text: a length bound in characters, and no control characters. Text on one line (names,
//!   references, reasons) refuses all of them; text a field documents as spanning lines (notes,
//!   summaries, comments) also allows line feed, carriage return and tab. NUL is refused
//!   everywhere: PostgreSQL cannot store it in text (SQLSTATE 22021).
//! - Times: one parser for every `google.protobuf.Timestamp`, taking what the protobuf documents
//!   (0001-01-01T00:00:00Z to 9999-12-31T23:59:59.999999999Z, nanoseconds below a second). That
//!   range fits chrono and PostgreSQL's timestamptz (4713 BC to 294276 AD), so a time that passes
//!   can be stored and moved by days or hours without overflow.
//! - Numbers: a range checked before any arithmetic, with the bounds in the violation.
//!
//! Each check records a violation and carries on, so a caller learns every bad field at once.

use std::fmt::Display;
use std::ops::RangeInclusive;

use chrono::{DateTime, Utc};
use prost_types::Timestamp;

use crate::error::Violations;
use crate::time::from_timestamp;

/// How a caller names a customer, wherever a service takes one: by id, or by the customer code
/// people read. Every service accepts both.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum CustomerRef {
    /// The UUID.
    Id(uuid::Uuid),
    /// The customer code, e.g. "C000042".
    Code(String),
}

impl CustomerRef {
    /// Reads a UUID or a customer code ("C" and six or more digits, any letter case).
    pub fn parse(text: &str) -> Option<Self> {
        if let Ok(id) = uuid::Uuid::try_parse(text) {
            return Some(Self::Id(id));
        }
        let digits = text.strip_prefix(['C', 'c'])?;
        let is_code =
            (6..=18).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit());
        is_code.then(|| Self::Code(format!("C{digits}")))
    }
}

/// What a violation of a customer reference says.
pub const CUSTOMER_REF_RULE: &str = "must be a customer's id (UUID) or code (e.g. \"C000042\")";

/// Reads the customer named at `field` (a UUID or a customer code); a violation when it is
/// neither, or empty while `required`.
pub fn customer_ref_field(
    violations: &mut Violations,
    field: &str,
    text: &str,
    required: bool,
) -> Option<CustomerRef> {
    if text.is_empty() {
        if required {
            violations.add(field, "is required");
        }
        return None;
    }
    let parsed = CustomerRef::parse(text);
    if parsed.is_none() {
        violations.add(field, CUSTOMER_REF_RULE);
    }
    parsed
}

/// What a violation of the timestamp range says.
pub const TIMESTAMP_RANGE: &str =
    "must be a valid time from 0001-01-01T00:00:00Z to 9999-12-31T23:59:59Z (nanos 0 to 999999999)";

/// Whether a text field may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lines {
    One,
    Many,
}

impl Violations {
    /// A required text on one line: 1 to `max_chars` characters, not only white space, no
    /// control characters.
    pub fn require_text(&mut self, field: &str, value: &str, max_chars: usize) {
        self.text(field, value, max_chars, true, Lines::One);
    }

    /// An optional text on one line: at most `max_chars` characters, no control characters.
    pub fn limit_text(&mut self, field: &str, value: &str, max_chars: usize) {
        self.text(field, value, max_chars, false, Lines::One);
    }

    /// An optional text that may span lines (its field says so): at most `max_chars` characters;
    /// line feed, carriage return and tab are the only control characters allowed.
    pub fn limit_multiline_text(&mut self, field: &str, value: &str, max_chars: usize) {
        self.text(field, value, max_chars, false, Lines::Many);
    }

    /// A required text that may span lines: 1 to `max_chars` characters, not only white space;
    /// line feed, carriage return and tab are the only control characters allowed.
    pub fn require_multiline_text(&mut self, field: &str, value: &str, max_chars: usize) {
        self.text(field, value, max_chars, true, Lines::Many);
    }

    fn text(&mut self, field: &str, value: &str, max_chars: usize, required: bool, lines: Lines) {
        if required && value.trim().is_empty() {
            self.add(field, "is required");
            return;
        }
        let chars = value.chars().count();
        if chars > max_chars {
            self.add(
                field,
                format!("must be at most {max_chars} characters (got {chars})"),
            );
            return;
        }
        let allowed = |c: char| lines == Lines::Many && matches!(c, '\n' | '\r' | '\t');
        if value.chars().any(|c| c.is_control() && !allowed(c)) {
            self.add(
                field,
                match lines {
                    Lines::One => "must not contain control characters (including line breaks)",
                    Lines::Many => {
                        "must not contain control characters other than line breaks and tabs"
                    }
                },
            );
        }
    }

    /// A timestamp in the supported range (see [`TIMESTAMP_RANGE`]).
    pub fn time(&mut self, field: &str, value: &Timestamp) -> Option<DateTime<Utc>> {
        let time = from_timestamp(value);
        if time.is_none() {
            self.add(field, TIMESTAMP_RANGE);
        }
        time
    }

    /// An optional timestamp: `None` when unset or invalid (then with a violation).
    pub fn optional_time(
        &mut self,
        field: &str,
        value: Option<&Timestamp>,
    ) -> Option<DateTime<Utc>> {
        value.and_then(|value| self.time(field, value))
    }

    /// A required timestamp.
    pub fn required_time(
        &mut self,
        field: &str,
        value: Option<&Timestamp>,
    ) -> Option<DateTime<Utc>> {
        match value {
            None => {
                self.add(field, "is required");
                None
            }
            Some(value) => self.time(field, value),
        }
    }

    /// `value` when it lies in `range`, else `None` with a violation naming the range.
    pub fn in_range<T>(&mut self, field: &str, value: T, range: RangeInclusive<T>) -> Option<T>
    where
        T: PartialOrd + Display + Copy,
    {
        if range.contains(&value) {
            Some(value)
        } else {
            self.add(
                field,
                format!(
                    "must be from {} to {} (got {value})",
                    range.start(),
                    range.end()
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_on_one_line_refuses_every_control_character_and_nul() {
        let cases: &[(&str, bool)] = &[
            ("Wang Fang", true),
            ("王芳 😀", true),
            ("a\0b", false),
            ("\0", false),
            ("line\nbreak", false),
            ("tab\there", false),
            ("bell\u{7}", false),
            ("del\u{7f}", false),
            ("c1\u{85}", false),
        ];
        for &(text, fine) in cases {
            let mut violations = Violations::new();
            violations.require_text("name", text, 20);
            violations.limit_text("other", text, 20);
            assert_eq!(violations.is_empty(), fine, "{text:?}");
        }
    }

    #[test]
    fn text_on_many_lines_allows_line_breaks_and_tabs_but_never_nul() {
        let cases: &[(&str, bool)] = &[
            ("first\nsecond\r\n\tthird", true),
            ("a\0b", false),
            ("escape\u{1b}[31m", false),
        ];
        for &(text, fine) in cases {
            let mut violations = Violations::new();
            violations.limit_multiline_text("notes", text, 50);
            assert_eq!(violations.is_empty(), fine, "{text:?}");
        }
    }

    #[test]
    fn text_is_bounded_in_characters_and_required_text_is_not_blank() {
        let mut violations = Violations::new();
        violations.limit_text("a", &"é".repeat(10), 10);
        violations.limit_text("b", &"é".repeat(11), 10);
        violations.require_text("c", " \u{3000} ", 10);
        violations.limit_text("d", "", 10);
        assert_eq!(violations.fields(), ["b", "c"]);
    }

    #[test]
    fn times_outside_years_1_to_9999_are_violations() {
        let at = |seconds, nanos| Timestamp { seconds, nanos };
        let year_minus_5000 = at(-219_950_668_800, 0);
        let mut violations = Violations::new();
        assert!(violations.time("a", &at(0, 0)).is_some());
        assert!(violations.time("b", &year_minus_5000).is_none());
        assert!(violations.time("c", &at(i64::MAX, 0)).is_none());
        assert!(violations.time("d", &at(i64::MIN, 0)).is_none());
        assert!(violations.time("e", &at(0, -1)).is_none());
        assert!(violations.optional_time("f", None).is_none());
        assert!(violations.required_time("g", None).is_none());
        assert_eq!(violations.fields(), ["b", "c", "d", "e", "g"]);
    }

    #[test]
    fn numbers_out_of_range_name_the_range() {
        let mut violations = Violations::new();
        assert_eq!(violations.in_range("a", 5_i64, 1..=10), Some(5));
        assert_eq!(violations.in_range("b", i64::MIN, 1..=10), None);
        assert_eq!(violations.in_range("c", i32::MAX, 0..=100), None);
        assert_eq!(violations.fields(), ["b", "c"]);
    }
}
