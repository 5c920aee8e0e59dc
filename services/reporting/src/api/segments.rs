//! SegmentCustomers: checks the dimensions, filter and page of a request, and encodes the
//! groups the report answers.

use logistics_contracts::reporting::{
    CustomerSegment, CustomerSegmentKey, SegmentCustomersRequest, SegmentCustomersResponse,
    SegmentDimension,
};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use logistics_platform::money::cny;
use logistics_platform::pagination::{DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE};
use prost::Message;

use super::reporting_service::ReportingApi;
use crate::app::segments::{proto_value, stored_name};
use crate::domain::segment::{Dimension, GroupingProblem, check_grouping};
use crate::store::segments::{Position, SegmentQuery, SegmentRow};

/// Longest industry in a filter: the customers service keeps at most this many characters.
const INDUSTRY_CHARS: usize = 100;
/// Longest region code in a filter: the customers service keeps at most this many characters.
const REGION_CHARS: usize = 16;

fn dimension(value: i32) -> Option<Dimension> {
    match SegmentDimension::try_from(value).ok()? {
        SegmentDimension::Unspecified => None,
        SegmentDimension::Kind => Some(Dimension::Kind),
        SegmentDimension::Role => Some(Dimension::Role),
        SegmentDimension::Tier => Some(Dimension::Tier),
        SegmentDimension::ValueClass => Some(Dimension::ValueClass),
        SegmentDimension::Industry => Some(Dimension::Industry),
        SegmentDimension::Region => Some(Dimension::Region),
        SegmentDimension::Status => Some(Dimension::Status),
    }
}

/// The requested dimensions, each problem a violation.
fn dimensions(violations: &mut Violations, values: &[i32]) -> Vec<Dimension> {
    let max = Dimension::ALL.len();
    if values.len() > max {
        // Past the number of distinct dimensions some repeat; one violation for the whole list
        // keeps a huge list cheap to refuse.
        violations.add(
            "dimensions",
            format!("must be at most {max}, each at most once"),
        );
        return Vec::new();
    }
    let mut known = Vec::with_capacity(values.len());
    for (index, &value) in values.iter().enumerate() {
        match dimension(value) {
            Some(dimension) => known.push((index, dimension)),
            None => violations.add(
                format!("dimensions[{index}]"),
                "must be a segment dimension (SEGMENT_DIMENSION_KIND...)",
            ),
        }
    }
    let checked: Vec<Dimension> = known.iter().map(|(_, dimension)| *dimension).collect();
    if values.is_empty() {
        violations.add("dimensions", "is required: 1 to 7 dimensions");
    }
    for problem in check_grouping(&checked) {
        if let GroupingProblem::Repeated(at) = problem {
            violations.add(
                format!("dimensions[{}]", known[at].0),
                "repeats an earlier dimension",
            );
        }
    }
    checked
}

/// The filter as stored values, each problem a violation.
fn filter(violations: &mut Violations, key: &CustomerSegmentKey) -> Vec<(Dimension, String)> {
    let mut fixed = Vec::new();
    let enums = [
        (Dimension::Kind, "filter.kind", key.kind),
        (Dimension::Role, "filter.role", key.role),
        (Dimension::Tier, "filter.tier", key.tier),
        (Dimension::ValueClass, "filter.value_class", key.value_class),
        (Dimension::Status, "filter.status", key.status),
    ];
    for (dimension, field, value) in enums {
        let Some(value) = value else { continue };
        match stored_name(dimension, value) {
            Some(name) => fixed.push((dimension, name)),
            None => violations.add(field, "is not a value of its enum"),
        }
    }
    let texts = [
        (
            Dimension::Industry,
            "filter.industry",
            &key.industry,
            INDUSTRY_CHARS,
        ),
        (
            Dimension::Region,
            "filter.region_code",
            &key.region_code,
            REGION_CHARS,
        ),
    ];
    for (dimension, field, value, max_chars) in texts {
        if let Some(value) = value {
            violations.limit_text(field, value, max_chars);
            fixed.push((dimension, value.clone()));
        }
    }
    fixed
}

/// The key of a row: the values of the dimensions it is grouped by.
fn key(dimensions: &[Dimension], row: &SegmentRow) -> CustomerSegmentKey {
    let mut key = CustomerSegmentKey::default();
    for (dimension, value) in dimensions.iter().zip(&row.values) {
        let Some(value) = value else { continue };
        match dimension {
            Dimension::Kind => key.kind = Some(proto_value(*dimension, value)),
            Dimension::Role => key.role = Some(proto_value(*dimension, value)),
            Dimension::Tier => key.tier = Some(proto_value(*dimension, value)),
            Dimension::ValueClass => key.value_class = Some(proto_value(*dimension, value)),
            Dimension::Status => key.status = Some(proto_value(*dimension, value)),
            Dimension::Industry => key.industry = Some(value.clone()),
            Dimension::Region => key.region_code = Some(value.clone()),
        }
    }
    key
}

impl ReportingApi {
    pub(super) async fn segment_customers(
        &self,
        request: SegmentCustomersRequest,
    ) -> Result<SegmentCustomersResponse, ApiError> {
        let mut violations = Violations::new();
        let grouped = dimensions(&mut violations, &request.dimensions);
        let fixed = filter(&mut violations, &request.filter.clone().unwrap_or_default());
        if request.page_size < 0 {
            violations.add("page_size", "must not be negative");
        }
        violations.finish()?;
        let page_size = match usize::try_from(request.page_size) {
            Ok(0) | Err(_) => DEFAULT_PAGE_SIZE,
            Ok(size) => size.min(MAX_PAGE_SIZE),
        };
        // The token is bound to what is grouped and how, not to the page size.
        let query = SegmentCustomersRequest {
            page_size: 0,
            page_token: String::new(),
            ..request.clone()
        }
        .encode_to_vec();
        let after: Option<Position> = self.page_tokens.open(&query, &request.page_token)?;
        if after
            .as_ref()
            .is_some_and(|after| after.values.len() != grouped.len())
        {
            return Err(ApiError::invalid_field("page_token", "is malformed"));
        }
        let mut rows = self
            .reports
            .segments(&SegmentQuery {
                dimensions: grouped.clone(),
                filter: fixed,
                subtotals: request.include_subtotals,
                after,
                limit: page_size + 1,
            })
            .await?;
        let next_page_token = if rows.len() > page_size {
            rows.truncate(page_size);
            rows.last()
                .map(|last| self.page_tokens.issue(&query, &last.position()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        Ok(SegmentCustomersResponse {
            segments: rows
                .iter()
                .map(|row| CustomerSegment {
                    key: Some(key(&grouped, row)),
                    depth: row.depth,
                    customer_count: row.customers,
                    order_count: row.orders,
                    spend: Some(cny(row.spend)),
                })
                .collect(),
            next_page_token,
        })
    }
}
