//! `EngagementService/SampleSurveyTargets`: the monthly pick of customers to call for a
//! satisfaction survey, kept so that it is the same every time it is asked for.

use std::collections::{BTreeMap, HashMap};

use logistics_contracts::customers::{
    ManagerSurveyTargets, SampleSurveyTargetsRequest, SampleSurveyTargetsResponse, SurveyTarget,
};
use logistics_platform::ApiError;
use logistics_platform::error::Violations;
use sqlx::PgPool;

use crate::domain::follow_up::{Month, SampleDraw};
use crate::store::surveys;

/// Customers per account manager in a survey sample when the caller gives none.
const DEFAULT_PER_MANAGER: i32 = 5;
/// Most customers per account manager in a survey sample.
const MAX_PER_MANAGER: i32 = 50;

/// Answers SampleSurveyTargets: validates the request, then picks and keeps the month's sample in
/// one transaction, serialised per month.
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

    let mut tx = pool.begin().await?;
    surveys::lock_sample_month(&mut tx, &key).await?;
    let mut sampled = surveys::sampled(&mut tx, &key).await?;
    let mut already: HashMap<String, usize> = HashMap::new();
    for customer in &sampled {
        *already.entry(customer.account_manager.clone()).or_default() += 1;
    }
    let mut draw = SampleDraw::new(month, already.clone(), per_manager);
    surveys::offer_sample_candidates(&mut tx, &key, &mut draw).await?;
    let picked = draw.picks();
    if !picked.is_empty() {
        for (manager, customers) in &picked {
            // Orders are dense from 0 per manager, so the next one is the count so far.
            let first = already.get(manager).copied().unwrap_or(0);
            let first = i32::try_from(first).map_err(anyhow::Error::from)?;
            surveys::add_to_sample(&mut tx, &key, manager, first, customers).await?;
        }
        sampled = surveys::sampled(&mut tx, &key).await?;
    }
    tx.commit().await?;

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
