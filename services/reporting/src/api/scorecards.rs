//! The scorecard RPCs of ReportingService: templates checked field by field at the caller's
//! paths, scorecards and agent quality encoded from what `app` computes.

use std::collections::HashSet;

use logistics_contracts::reporting::{
    self as pb, CreateScorecardTemplateRequest, GetAgentQualityRequest, GetAgentQualityResponse,
    GetScorecardRequest, ListScorecardTemplatesRequest, ListScorecardTemplatesResponse,
    QualityRatio, Scorecard, ScorecardDirection, ScorecardTemplate,
};
use logistics_platform::ApiError;
use logistics_platform::error::{Violations, parse_uuid};
use logistics_platform::idempotency::IdempotencyKey;
use logistics_platform::pagination::page_size;
use prost::Message;

use super::kpi_query::{self, FILTER_TEXT_CHARS};
use super::reporting_service::ReportingApi;
use crate::app::scorecards::{
    AgentFigures, Line, NewTemplate, kpi_from_proto, rule_to_proto, template_to_proto,
};
use crate::domain::scorecard::{self, Direction, MAX_ITEMS, Rule};
use crate::store::scorecards::Position;

/// Longest template name.
const NAME_CHARS: usize = 100;
/// Longest template description.
const DESCRIPTION_CHARS: usize = 1000;

/// The template of a create request, checked in full; every bad field is named by its path.
fn new_template(request: &CreateScorecardTemplateRequest) -> Result<NewTemplate, ApiError> {
    let mut violations = Violations::new();
    parse_uuid(&mut violations, "request_id", &request.request_id);
    let Some(template) = &request.template else {
        violations.add("template", "is required");
        return Err(violations.into_error());
    };
    violations.require_text("template.display_name", &template.display_name, NAME_CHARS);
    violations.limit_multiline_text(
        "template.description",
        &template.description,
        DESCRIPTION_CHARS,
    );
    let mut rules = Vec::new();
    if template.items.is_empty() {
        violations.add("template.items", "must have at least one item");
    } else if template.items.len() > MAX_ITEMS {
        // Refused before looking at any item: a huge list costs nothing to refuse.
        violations.add(
            "template.items",
            format!(
                "must have at most {MAX_ITEMS} items (got {})",
                template.items.len()
            ),
        );
    } else {
        let mut seen = HashSet::new();
        for (at, item) in template.items.iter().enumerate() {
            let path = format!("template.items[{at}]");
            if let Some(rule) = rule(&mut violations, &path, item, &mut seen) {
                rules.push(rule);
            }
        }
    }
    violations.finish()?;
    Ok(NewTemplate {
        display_name: template.display_name.clone(),
        description: template.description.clone(),
        rules,
    })
}

/// One item at `path`, `None` with violations when it is wrong.
fn rule(
    violations: &mut Violations,
    path: &str,
    item: &pb::ScorecardItem,
    seen: &mut HashSet<crate::domain::kpi::Kpi>,
) -> Option<Rule> {
    let before = violations.len();
    let kpi = match kpi_from_proto(item.kpi) {
        None => {
            violations.add(format!("{path}.kpi"), "must be a known KPI");
            None
        }
        Some(kpi) if !scorecard::is_rate(kpi) => {
            violations.add(
                format!("{path}.kpi"),
                "must be a rate: the cycle times are minutes and cannot be scored",
            );
            None
        }
        Some(kpi) if !seen.insert(kpi) => {
            violations.add(format!("{path}.kpi"), "is in the template already");
            None
        }
        Some(kpi) => Some(kpi),
    };
    let direction = match ScorecardDirection::try_from(item.direction) {
        Ok(ScorecardDirection::HigherIsBetter) => Some(Direction::HigherIsBetter),
        Ok(ScorecardDirection::LowerIsBetter) => Some(Direction::LowerIsBetter),
        _ => {
            violations.add(
                format!("{path}.direction"),
                "must be HIGHER_IS_BETTER or LOWER_IS_BETTER",
            );
            None
        }
    };
    let rule = Rule {
        kpi: kpi.unwrap_or(crate::domain::kpi::Kpi::OnTimeArrivalRate),
        weight_points: item.weight_points,
        direction: direction.unwrap_or(Direction::HigherIsBetter),
        target_basis_points: item.target_basis_points,
        deduction_centipoints: item.deduction_centipoints,
        floor_basis_points: item.floor_basis_points,
    };
    for (field, description) in scorecard::check_rule(&rule) {
        // The floor's side of the target means nothing without a direction.
        if direction.is_none() && description.contains("target_basis_points when") {
            continue;
        }
        violations.add(format!("{path}.{field}"), description);
    }
    (violations.len() == before).then_some(rule)
}

fn ratio((numerator, denominator): (i64, i64)) -> QualityRatio {
    QualityRatio {
        numerator,
        denominator,
        value: crate::domain::kpi::ratio(numerator, denominator),
    }
}

fn agent_to_proto(figures: AgentFigures) -> pb::AgentQuality {
    pb::AgentQuality {
        agent: figures.agent,
        complaints_handled: figures.resolution.1,
        feedback_timeliness: Some(ratio(figures.feedback)),
        resolution_timeliness: Some(ratio(figures.resolution)),
        resolution_satisfaction: Some(ratio(figures.satisfaction)),
    }
}

fn line_to_proto(line: &Line) -> pb::ScorecardLine {
    pb::ScorecardLine {
        item: Some(rule_to_proto(&line.rule)),
        numerator: line.figure.numerator,
        denominator: line.figure.denominator,
        value: line.figure.value,
        scored: line.score.scored,
        shortfall_basis_points: line.score.shortfall_basis_points,
        deduction_centipoints: line.score.deduction_centipoints,
        score_centipoints: line.score.score_centipoints,
        past_floor: line.score.past_floor,
    }
}

impl ReportingApi {
    pub(super) async fn create_template(
        &self,
        principal: String,
        request: CreateScorecardTemplateRequest,
    ) -> Result<ScorecardTemplate, ApiError> {
        let new = new_template(&request)?;
        let key = IdempotencyKey {
            principal,
            method: "CreateScorecardTemplate",
            request_id: uuid::Uuid::try_parse(&request.request_id)
                .map_err(|_| ApiError::invalid_field("request_id", "must be a UUID"))?,
        };
        self.reports.create_template(key, &request, new).await
    }

    pub(super) async fn list_templates(
        &self,
        request: ListScorecardTemplatesRequest,
    ) -> Result<ListScorecardTemplatesResponse, ApiError> {
        let limit = page_size(request.page_size)?;
        let after: Option<Position> = self.templates_pages.open(b"", &request.page_token)?;
        let (templates, next) = self.reports.list_templates(after, limit).await?;
        Ok(ListScorecardTemplatesResponse {
            templates: templates.iter().map(template_to_proto).collect(),
            next_page_token: next
                .map(|next| self.templates_pages.issue(b"", &next))
                .unwrap_or_default(),
        })
    }

    pub(super) async fn scorecard(
        &self,
        request: GetScorecardRequest,
    ) -> Result<Scorecard, ApiError> {
        let mut violations = Violations::new();
        let id = if request.template_id.is_empty() {
            violations.add("template_id", "is required");
            None
        } else {
            parse_uuid(&mut violations, "template_id", &request.template_id)
        };
        let period = kpi_query::period(&mut violations, &request.start_date, &request.end_date);
        let subject = request.subject.unwrap_or_default();
        let subject = kpi_query::filter(&mut violations, "subject", &subject);
        violations.finish()?;
        let (Some(id), Some(period)) = (id, period) else {
            return Err(ApiError::invalid_field("template_id", "is required"));
        };
        let slices = subject.resolve(&self.customers).await?;
        let (template, lines) = self.reports.scorecard(id, period, &slices).await?;
        let scored = lines.iter().filter(|line| line.score.scored);
        Ok(Scorecard {
            template_id: template.id.to_string(),
            display_name: template.display_name,
            start_date: request.start_date,
            end_date: request.end_date,
            total_centipoints: scored
                .clone()
                .map(|line| line.score.score_centipoints)
                .sum(),
            possible_centipoints: scored
                .map(|line| i64::from(line.rule.weight_points) * 100)
                .sum(),
            lines: lines.iter().map(line_to_proto).collect(),
        })
    }

    pub(super) async fn agent_quality(
        &self,
        request: GetAgentQualityRequest,
    ) -> Result<GetAgentQualityResponse, ApiError> {
        let mut violations = Violations::new();
        let period = kpi_query::period(&mut violations, &request.start_date, &request.end_date);
        violations.limit_text("agent", &request.agent, FILTER_TEXT_CHARS);
        if request.page_size < 0 {
            violations.add("page_size", "must not be negative");
        }
        violations.finish()?;
        let Some(period) = period else {
            return Err(ApiError::invalid_field("start_date", "is required"));
        };
        let limit = page_size(request.page_size)?;
        // A token is bound to the period and agent it was issued for.
        let query = GetAgentQualityRequest {
            page_size: 0,
            page_token: String::new(),
            ..request.clone()
        }
        .encode_to_vec();
        let after: Option<String> = self.agents_pages.open(&query, &request.page_token)?;
        let only = (!request.agent.is_empty()).then_some(request.agent.as_str());
        let (agents, next) = self
            .reports
            .agent_quality(period, only, after.as_deref(), limit)
            .await?;
        Ok(GetAgentQualityResponse {
            agents: agents.into_iter().map(agent_to_proto).collect(),
            next_page_token: next
                .map(|next| self.agents_pages.issue(&query, &next))
                .unwrap_or_default(),
        })
    }
}
