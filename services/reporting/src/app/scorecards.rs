//! Scorecard templates and scorecards: a template is stored once per request id; a scorecard
//! applies a template's rules to the KPIs [`Reports::kpis`] gives for the period and subject.
//! Also each agent's complaint quality, from the agent slice of the rollups.

use chrono::{DurationRound, NaiveDate, TimeDelta, Utc};
use logistics_contracts::reporting::{self as pb, CreateScorecardTemplateRequest};
use logistics_platform::ApiError;
use logistics_platform::idempotency::{self, Claim, IdempotencyKey};
use logistics_platform::time::timestamp;
use uuid::Uuid;

use super::Reports;
use super::kpis::KpiFigure;
use crate::domain::kpi::Kpi;
use crate::domain::scorecard::{self, LineScore, Rule};
use crate::reasons::Reason;
use crate::store::agent_quality::{self, AgentSums};
use crate::store::rollups::SliceFilter;
use crate::store::scorecards::{self, Position, Template};

/// A template as the caller gave it, checked.
#[derive(Debug, Clone)]
pub(crate) struct NewTemplate {
    /// Its name.
    pub display_name: String,
    /// What it is for.
    pub description: String,
    /// Its rules.
    pub rules: Vec<Rule>,
}

/// One line of a scorecard: the rule, the KPI's figure and the score.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Line {
    /// The template's rule.
    pub rule: Rule,
    /// The KPI over the period.
    pub figure: KpiFigure,
    /// What the rule makes of it.
    pub score: LineScore,
}

/// One agent's complaint sums: (numerator, denominator) of each of [`agent_quality::AGENT_KPIS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgentFigures {
    /// The login.
    pub agent: String,
    /// Feedback timeliness.
    pub feedback: (i64, i64),
    /// Resolution timeliness; its denominator is the complaints handled.
    pub resolution: (i64, i64),
    /// Resolution satisfaction.
    pub satisfaction: (i64, i64),
}

impl Reports {
    /// Stores `new` once per `key`, answering the template as stored (or as first stored).
    pub(crate) async fn create_template(
        &self,
        key: IdempotencyKey,
        request: &CreateScorecardTemplateRequest,
        new: NewTemplate,
    ) -> Result<pb::ScorecardTemplate, ApiError> {
        let mut tx = self.pool.begin().await?;
        if let Claim::Replay(first) = idempotency::claim(&mut tx, &key, request).await? {
            return Ok(first);
        }
        // PostgreSQL keeps microseconds: answer what a later read gives back.
        let now = Utc::now()
            .duration_trunc(TimeDelta::microseconds(1))
            .map_err(anyhow::Error::from)?;
        let template = Template {
            id: Uuid::new_v4(),
            display_name: new.display_name,
            description: new.description,
            rules: new.rules,
            creator: key.principal.clone(),
            create_time: now,
        };
        scorecards::insert(&mut tx, &template).await?;
        let answer = template_to_proto(&template);
        idempotency::record(&mut tx, &key, &answer).await?;
        tx.commit().await?;
        Ok(answer)
    }

    /// Up to `limit` templates after `after`, oldest first, and where the next page starts.
    pub(crate) async fn list_templates(
        &self,
        after: Option<Position>,
        limit: usize,
    ) -> Result<(Vec<Template>, Option<Position>), ApiError> {
        let mut conn = self.pool.acquire().await?;
        let wanted = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut templates = scorecards::page(&mut conn, after, wanted.saturating_add(1)).await?;
        let next = if templates.len() > limit {
            templates.truncate(limit);
            templates
                .last()
                .map(|last| (last.create_time.timestamp_micros(), last.id))
        } else {
            None
        };
        Ok((templates, next))
    }

    /// The template `id` applied to the KPIs of `first..=last` and `subject`.
    pub(crate) async fn scorecard(
        &self,
        id: Uuid,
        (first, last): (NaiveDate, NaiveDate),
        subject: &SliceFilter,
    ) -> Result<(Template, Vec<Line>), ApiError> {
        let template = {
            let mut conn = self.pool.acquire().await?;
            scorecards::get(&mut conn, id).await?
        };
        let template = template.ok_or_else(|| ApiError::NotFound {
            reason: Reason::ScorecardTemplateNotFound.as_str(),
            resource: "scorecard template",
            id: id.to_string(),
        })?;
        let figures = self.kpis(first, last, subject).await?;
        let lines = template
            .rules
            .iter()
            .map(|rule| {
                let figure = figures
                    .iter()
                    .find(|figure| figure.kpi == rule.kpi)
                    .copied()
                    .unwrap_or(KpiFigure {
                        kpi: rule.kpi,
                        numerator: 0,
                        denominator: 0,
                        value: None,
                    });
                Line {
                    rule: *rule,
                    figure,
                    score: scorecard::score(rule, figure.numerator, figure.denominator),
                }
            })
            .collect();
        Ok((template, lines))
    }

    /// Up to `limit` agents' complaint figures over the period, by login after `after` (only
    /// `only`, when given), and the login the next page starts after.
    pub(crate) async fn agent_quality(
        &self,
        period: (NaiveDate, NaiveDate),
        only: Option<&str>,
        after: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<AgentFigures>, Option<String>), ApiError> {
        let mut conn = self.pool.acquire().await?;
        let wanted = i64::try_from(limit).unwrap_or(i64::MAX).saturating_add(1);
        let sums = agent_quality::page(&mut conn, period, only, after, wanted).await?;
        let mut agents: Vec<AgentFigures> = Vec::new();
        for AgentSums {
            agent,
            kpi,
            numerator,
            denominator,
        } in sums
        {
            if agents.last().is_none_or(|last| last.agent != agent) {
                agents.push(AgentFigures {
                    agent,
                    feedback: (0, 0),
                    resolution: (0, 0),
                    satisfaction: (0, 0),
                });
            }
            let Some(figures) = agents.last_mut() else {
                continue;
            };
            match kpi {
                Kpi::FeedbackTimeliness => figures.feedback = (numerator, denominator),
                Kpi::ResolutionTimeliness => figures.resolution = (numerator, denominator),
                Kpi::ResolutionSatisfactionRate => figures.satisfaction = (numerator, denominator),
                _ => {}
            }
        }
        let next = if agents.len() > limit {
            agents.truncate(limit);
            agents.last().map(|last| last.agent.clone())
        } else {
            None
        };
        Ok((agents, next))
    }
}

/// The proto KPI of a domain KPI: the same name with the enum's prefix.
pub(crate) fn kpi_to_proto(kpi: Kpi) -> pb::Kpi {
    pb::Kpi::from_str_name(&format!("KPI_{}", kpi.as_str())).unwrap_or(pb::Kpi::Unspecified)
}

/// The domain KPI of a proto KPI; `None` for UNSPECIFIED or an unknown number.
pub(crate) fn kpi_from_proto(kpi: i32) -> Option<Kpi> {
    let name = pb::Kpi::try_from(kpi).ok()?.as_str_name();
    Kpi::parse(name.strip_prefix("KPI_")?)
}

/// The proto direction of a domain direction.
pub(crate) fn direction_to_proto(direction: scorecard::Direction) -> pb::ScorecardDirection {
    pb::ScorecardDirection::from_str_name(&format!("SCORECARD_DIRECTION_{}", direction.as_str()))
        .unwrap_or(pb::ScorecardDirection::Unspecified)
}

/// The proto item of a rule.
pub(crate) fn rule_to_proto(rule: &Rule) -> pb::ScorecardItem {
    pb::ScorecardItem {
        kpi: kpi_to_proto(rule.kpi).into(),
        weight_points: rule.weight_points,
        direction: direction_to_proto(rule.direction).into(),
        target_basis_points: rule.target_basis_points,
        deduction_centipoints: rule.deduction_centipoints,
        floor_basis_points: rule.floor_basis_points,
    }
}

/// The proto of a stored template.
pub(crate) fn template_to_proto(template: &Template) -> pb::ScorecardTemplate {
    pb::ScorecardTemplate {
        id: template.id.to_string(),
        display_name: template.display_name.clone(),
        description: template.description.clone(),
        items: template.rules.iter().map(rule_to_proto).collect(),
        creator: template.creator.clone(),
        create_time: Some(timestamp(template.create_time)),
    }
}
