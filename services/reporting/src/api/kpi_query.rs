//! What GetKpis, GetScorecard and GetAgentQuality take alike: a period of company-local days and
//! a slice filter, checked the same way wherever they appear.

use chrono::NaiveDate;
use logistics_contracts::common::TransportMode;
use logistics_contracts::reporting::KpiFilter;
use logistics_platform::ApiError;
use logistics_platform::customers_directory::CustomersDirectory;
use logistics_platform::error::Violations;
use logistics_platform::fields::{CustomerRef, customer_ref_field};

use crate::app::projections::mode_name;
use crate::store::rollups::SliceFilter;

/// The longest period a query covers, in days.
const MAX_PERIOD_DAYS: i64 = 366;
/// Longest region code or agent login in a filter.
pub(crate) const FILTER_TEXT_CHARS: usize = 100;

/// A date "YYYY-MM-DD" at `field`.
fn date(violations: &mut Violations, field: &str, text: &str) -> Option<NaiveDate> {
    if text.is_empty() {
        violations.add(field, "is required");
        return None;
    }
    let parsed = (text.len() == 10)
        .then(|| NaiveDate::parse_from_str(text, "%Y-%m-%d").ok())
        .flatten();
    if parsed.is_none() {
        violations.add(field, "must be a date \"YYYY-MM-DD\"");
    }
    parsed
}

/// The period `start_date..=end_date` (fields of those names), at most [`MAX_PERIOD_DAYS`] long;
/// `None` with violations when it is not one.
pub(crate) fn period(
    violations: &mut Violations,
    start_date: &str,
    end_date: &str,
) -> Option<(NaiveDate, NaiveDate)> {
    let first = date(violations, "start_date", start_date);
    let last = date(violations, "end_date", end_date);
    let (first, last) = (first?, last?);
    let days = (last - first).num_days();
    if days < 0 {
        violations.add("end_date", "must not be before start_date");
        return None;
    }
    if days >= MAX_PERIOD_DAYS {
        violations.add(
            "end_date",
            format!("must be at most {MAX_PERIOD_DAYS} days after start_date"),
        );
        return None;
    }
    Some((first, last))
}

/// A checked filter whose customer is not resolved yet.
#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    customer: Option<CustomerRef>,
    slices: SliceFilter,
}

/// The filter `filter` at the field `path` (e.g. "filter"), with a violation per bad field.
pub(crate) fn filter(violations: &mut Violations, path: &str, filter: &KpiFilter) -> Filter {
    let customer = customer_ref_field(
        violations,
        &format!("{path}.customer_id"),
        &filter.customer_id,
        false,
    );
    violations.limit_text(
        &format!("{path}.region_code"),
        &filter.region_code,
        FILTER_TEXT_CHARS,
    );
    violations.limit_text(&format!("{path}.agent"), &filter.agent, FILTER_TEXT_CHARS);
    let mode = match TransportMode::try_from(filter.mode) {
        Ok(TransportMode::Unspecified) => None,
        Ok(_) => Some(mode_name(filter.mode)),
        Err(_) => {
            violations.add(format!("{path}.mode"), "is not a known transport mode");
            None
        }
    };
    let non_empty = |text: &str| (!text.is_empty()).then(|| text.to_owned());
    Filter {
        customer,
        slices: SliceFilter {
            customer_id: None,
            region_code: non_empty(&filter.region_code),
            mode,
            agent: non_empty(&filter.agent),
        },
    }
}

impl Filter {
    /// The slices the filter takes, its customer code resolved through `customers`.
    pub(crate) async fn resolve(
        self,
        customers: &CustomersDirectory,
    ) -> Result<SliceFilter, ApiError> {
        let mut slices = self.slices;
        if let Some(customer) = &self.customer {
            slices.customer_id = Some(customers.resolve(customer).await?);
        }
        Ok(slices)
    }
}
