//! `EngagementService/SampleSurveyTargets` on the wire: the month and size asked for, and the
//! sample grouped by account manager.

use std::collections::BTreeMap;

use logistics_contracts::customers::{
    ManagerSurveyTargets, SampleSurveyTargetsRequest, SampleSurveyTargetsResponse, SurveyTarget,
};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use sqlx::PgPool;

use crate::app::survey_sampling;
use crate::domain::follow_up::Month;

/// Customers per account manager in a survey sample when the caller gives none.
const DEFAULT_PER_MANAGER: i32 = 5;
/// Most customers per account manager in a survey sample.
const MAX_PER_MANAGER: i32 = 50;

/// Answers SampleSurveyTargets: validates the request, then has the month's sample picked and kept.
pub(super) async fn sample(
    pool: &PgPool,
    request: SampleSurveyTargetsRequest,
) -> Result<SampleSurveyTargetsResponse, ApiError> {
    let mut violations = Violations::new();
    let month = Month::parse(&request.month);
    if month.is_none() {
        violations.add("month", "must be a month \"YYYY-MM\", e.g. \"2026-11\"");
    }
    let per_manager = match request.per_manager {
        0 => DEFAULT_PER_MANAGER,
        n if (1..=MAX_PER_MANAGER).contains(&n) => n,
        _ => {
            violations.add("per_manager", "must be from 1 to 50 (0 means 5)");
            DEFAULT_PER_MANAGER
        }
    };
    let Some(month) = month else {
        return Err(violations.into_error());
    };
    violations.finish()?;
    let per_manager = usize::try_from(per_manager).unwrap_or_default();
    let key = month.to_string();
    let sampled = survey_sampling::sample(pool, month, per_manager).await?;

    let mut by_manager: BTreeMap<String, Vec<SurveyTarget>> = BTreeMap::new();
    for customer in sampled {
        let targets = by_manager.entry(customer.account_manager).or_default();
        // A smaller request than an earlier one answers with the first ones picked.
        if targets.len() < per_manager {
            targets.push(SurveyTarget {
                customer_id: customer.customer_id.to_string(),
                customer_code: customer.customer_code,
            });
        }
    }
    let managers = by_manager
        .into_iter()
        .map(|(account_manager, targets)| ManagerSurveyTargets {
            account_manager,
            targets,
        })
        .collect();
    Ok(SampleSurveyTargetsResponse {
        month: key,
        managers,
    })
}
