//! SampleSurveyTargets' use case: the monthly pick of customers to call for a satisfaction survey,
//! kept so that it is the same every time it is asked for.

use std::collections::HashMap;

use logistics_platform::ApiError;
use sqlx::PgPool;

use crate::domain::follow_up::{Month, SampleDraw};
use crate::store::surveys::{self, SampledCustomer};

/// Picks and keeps `month`'s sample of up to `per_manager` customers per account manager in one
/// transaction, serialised per month; answers every customer sampled for the month so far, in the
/// order they were picked.
pub(crate) async fn sample(
    pool: &PgPool,
    month: Month,
    per_manager: usize,
) -> Result<Vec<SampledCustomer>, ApiError> {
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
    Ok(sampled)
}
