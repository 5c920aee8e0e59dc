//! The numbers people read on documents and on the phone: a letter for what it numbers, the
//! company-local day it was made and a sequence, e.g. order "O2026112300000042" or complaint
//! "K2026120500000007". The day tells people when; the sequence keeps the number unique.

use chrono::{DateTime, FixedOffset, Utc};

/// The `sequence`-th number of its kind, made at `at`: `prefix`, the date in `zone` and the
/// sequence on eight digits (wider when it outgrows them).
pub fn dated_number(prefix: char, at: DateTime<Utc>, zone: FixedOffset, sequence: i64) -> String {
    format!(
        "{prefix}{}{sequence:08}",
        at.with_timezone(&zone).format("%Y%m%d")
    )
}

/// Whether `text` looks like a number made by [`dated_number`] with `prefix`: the letter and 16
/// to 23 digits.
pub fn is_dated_number(prefix: char, text: &str) -> bool {
    let Some(digits) = text.strip_prefix(prefix) else {
        return false;
    };
    (16..=23).contains(&digits.len()) && digits.bytes().all(|byte| byte.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;
    use crate::time::company_time_zone;

    #[test]
    fn a_number_carries_the_company_local_day_and_its_sequence() {
        // 16:30 UTC on 2026-12-04 is already 2026-12-05 in Shanghai.
        let at = Utc.with_ymd_and_hms(2026, 12, 4, 16, 30, 0).unwrap();
        let number = dated_number('K', at, company_time_zone(), 7);
        assert_eq!(number, "K2026120500000007");
        assert!(is_dated_number('K', &number));
        assert!(!is_dated_number('O', &number));
        let wide = dated_number('K', at, company_time_zone(), 1_234_567_890);
        assert_eq!(wide, "K202612051234567890");
        assert!(is_dated_number('K', &wide));
    }

    #[test]
    fn text_that_only_resembles_a_number_is_not_one() {
        for text in [
            "K",
            "K2026",
            "K2026120500000007x",
            "k2026120500000007",
            "K-026120500000007",
        ] {
            assert!(!is_dated_number('K', text), "{text}");
        }
    }
}
