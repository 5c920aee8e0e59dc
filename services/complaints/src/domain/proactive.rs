//! Proactive cases (DOMAIN.md): the company opens a case itself when a shipment goes wrong, so it
//! reaches the customer before the customer complains. Which shipments call for one, and what
//! the case says.

use super::kinds::Category;

/// A case the service opens about a shipment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProactiveCase {
    /// What it is about.
    pub category: Category,
    /// Its one-line summary.
    pub subject: String,
}

/// The case a delivery calls for: damaged pieces make a DAMAGE case (the costlier problem, and
/// the one a missing piece often comes with), missing pieces alone a SHORTAGE case; a clean
/// delivery none.
pub fn after_delivery(order_number: &str, damaged: i32, missing: i32) -> Option<ProactiveCase> {
    let plural = |count: i32| if count == 1 { "" } else { "s" };
    match (damaged > 0, missing > 0) {
        (true, true) => Some(ProactiveCase {
            category: Category::Damage,
            subject: format!(
                "Order {order_number} delivered with {damaged} damaged and {missing} missing piece{}",
                plural(missing)
            ),
        }),
        (true, false) => Some(ProactiveCase {
            category: Category::Damage,
            subject: format!(
                "Order {order_number} delivered with {damaged} damaged piece{}",
                plural(damaged)
            ),
        }),
        (false, true) => Some(ProactiveCase {
            category: Category::Shortage,
            subject: format!(
                "Order {order_number} delivered with {missing} missing piece{}",
                plural(missing)
            ),
        }),
        (false, false) => None,
    }
}

/// The case a shipment going to EXCEPTION calls for: the customer will wait, so a DELAY case.
pub fn after_exception(order: &str, cause: &str) -> ProactiveCase {
    let cause = if cause.is_empty() {
        String::new()
    } else {
        format!(" ({cause})")
    };
    ProactiveCase {
        category: Category::Delay,
        subject: format!("Shipment {order} is held up by an exception{cause}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_delivery_with_damaged_or_missing_pieces_opens_a_case() {
        let cases = [
            (0, 0, None),
            (2, 0, Some(Category::Damage)),
            (0, 1, Some(Category::Shortage)),
            (1, 3, Some(Category::Damage)),
        ];
        for (damaged, missing, expected) in cases {
            let case = after_delivery("O2026120500000001", damaged, missing);
            assert_eq!(case.as_ref().map(|case| case.category), expected);
        }
        let case = after_delivery("O1", 1, 2).unwrap();
        assert_eq!(
            case.subject,
            "Order O1 delivered with 1 damaged and 2 missing pieces"
        );
    }

    #[test]
    fn an_exception_opens_a_delay_case_naming_its_cause() {
        let case = after_exception("123456789012", "EXCEPTION");
        assert_eq!(case.category, Category::Delay);
        assert_eq!(
            case.subject,
            "Shipment 123456789012 is held up by an exception (EXCEPTION)"
        );
    }
}
