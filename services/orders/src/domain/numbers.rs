//! The numbers people read: order numbers and tracking numbers with their check digit.

use chrono::{DateTime, FixedOffset, Utc};
use logistics_platform::numbers::{dated_number, is_dated_number};

/// Digits of a tracking number, check digit included.
const TRACKING_NUMBER_DIGITS: usize = 12;

/// The order number of the `sequence`-th order, created at `at`: "O", the company-local date,
/// and the sequence on eight digits (wider when it outgrows them), e.g. "O2026112300000042".
pub(crate) fn order_number(at: DateTime<Utc>, zone: FixedOffset, sequence: i64) -> String {
    dated_number('O', at, zone, sequence)
}

/// The tracking number of the `serial`-th shipment: eleven digits, then the ISO 7064 MOD 11-10
/// check digit, which catches every single-digit error and every swap of adjacent digits.
///
/// Serials run from 1 to [`LAST_TRACKING_SERIAL`]; the body is `10000000000 + serial`, so it
/// never starts with 0. `None` for a serial outside them.
pub fn tracking_number(serial: i64) -> Option<String> {
    if !(1..=LAST_TRACKING_SERIAL).contains(&serial) {
        return None;
    }
    let body = format!("{}", 10_000_000_000_i64 + serial);
    let check = check_digit(&body);
    Some(format!("{body}{check}"))
}

/// The last serial with a tracking number of its own (eleven digits of body).
pub const LAST_TRACKING_SERIAL: i64 = 89_999_999_999;

/// Whether `text` is a well-formed tracking number: twelve digits whose last is the check digit.
pub(crate) fn is_tracking_number(text: &str) -> bool {
    text.len() == TRACKING_NUMBER_DIGITS
        && text.bytes().all(|byte| byte.is_ascii_digit())
        && check_digit(&text[..TRACKING_NUMBER_DIGITS - 1]) == text.as_bytes()[11] - b'0'
}

/// Whether `text` looks like an order number ("O" and at least 16 digits).
pub(crate) fn is_order_number(text: &str) -> bool {
    is_dated_number('O', text)
}

/// ISO 7064 MOD 11-10 check digit of a string of decimal digits.
fn check_digit(digits: &str) -> u8 {
    let mut product: u32 = 10;
    for byte in digits.bytes() {
        let digit = u32::from(byte - b'0');
        let mut sum = (product + digit) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (2 * sum) % 11;
    }
    ((11 - product) % 10) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone as _;

    #[test]
    fn the_check_digit_matches_the_standards_worked_example() {
        // ISO 7064 MOD 11-10 as used by German tax numbers: 0794 -> check digit 5.
        assert_eq!(check_digit("0794"), 5);
    }

    #[test]
    fn tracking_numbers_are_twelve_digits_and_validate() {
        for serial in [1, 2, 42, 1_000_000, 89_999_999_999] {
            let number = tracking_number(serial).unwrap();
            assert_eq!(number.len(), 12, "{number}");
            assert!(is_tracking_number(&number), "{number}");
        }
        assert_eq!(&tracking_number(42).unwrap()[..11], "10000000042");
    }

    #[test]
    fn serials_past_the_last_or_below_one_have_no_tracking_number() {
        for serial in [i64::MIN, -1, 0, LAST_TRACKING_SERIAL + 1, i64::MAX] {
            assert_eq!(tracking_number(serial), None, "{serial}");
        }
    }

    #[test]
    fn every_single_digit_error_is_caught() {
        let number = tracking_number(123_456).unwrap();
        for position in 0..12 {
            for digit in b'0'..=b'9' {
                let mut altered = number.clone().into_bytes();
                if altered[position] == digit {
                    continue;
                }
                altered[position] = digit;
                let altered = String::from_utf8(altered).unwrap();
                assert!(!is_tracking_number(&altered), "{altered} passes");
            }
        }
    }

    #[test]
    fn every_swap_of_adjacent_different_digits_is_caught() {
        let number = tracking_number(35_791_357).unwrap();
        for position in 0..11 {
            let mut swapped = number.clone().into_bytes();
            if swapped[position] == swapped[position + 1] {
                continue;
            }
            swapped.swap(position, position + 1);
            let swapped = String::from_utf8(swapped).unwrap();
            assert!(!is_tracking_number(&swapped), "{swapped} passes");
        }
    }

    #[test]
    fn malformed_tracking_numbers_are_refused() {
        for text in [
            "",
            "12345678901",
            "1234567890123",
            "10000000042x",
            "abcdefghijkl",
        ] {
            assert!(!is_tracking_number(text), "{text}");
        }
    }

    #[test]
    fn order_numbers_carry_the_company_local_date() {
        let late_utc = Utc.with_ymd_and_hms(2026, 11, 23, 17, 30, 0).unwrap();
        let number = order_number(late_utc, logistics_platform::time::company_time_zone(), 42);
        assert_eq!(number, "O2026112400000042");
        assert!(is_order_number(&number));
        assert!(!is_order_number("C000042"));
    }
}
