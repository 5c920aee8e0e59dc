//! The statement RPCs of `logistics.reporting.v1.ReportingService`: GetMonthlyStatement,
//! GenerateMonthlyStatements, ListStatements, GetStatement and RenderStatement. Field checks and
//! conversions; the reports are in `app::statements` and `app::rendering`.

use logistics_contracts::reporting::{
    self as pb, GenerateMonthlyStatementsRequest, GenerateMonthlyStatementsResponse,
    GetMonthlyStatementRequest, GetStatementRequest, ListStatementsRequest, ListStatementsResponse,
    RenderStatementRequest, RenderedStatement, StatementFormat,
};
use logistics_platform::ApiError;
use logistics_platform::customers_directory::CustomersDirectory;
use logistics_platform::error::Violations;
use logistics_platform::fields::customer_ref_field;
use logistics_platform::jobs::Job;
use logistics_platform::pagination::{PageTokens, page_size};
use logistics_platform::time::timestamp;
use prost::Message as _;
use uuid::Uuid;

use crate::app::Reports;
use crate::app::rendering::Addressee;
use crate::app::statements::{Position, Statement, StatementKey};
use crate::domain::statement::{self, CountChange, MONTH_RULE, Month, RatioChange};
use crate::render;

/// Longest statement name or id accepted ("customers/" + UUID + "/statements/" + "YYYY-MM" is
/// 65 characters).
const NAME_CHARS: usize = 100;

/// The statement RPCs over the reports.
#[derive(Clone)]
pub(crate) struct StatementsApi {
    reports: Reports,
    customers: CustomersDirectory,
    page_tokens: PageTokens,
    generation: Job,
}

/// A month at `field`: required, or optional when `required` is false.
pub(super) fn month_field(
    violations: &mut Violations,
    field: &str,
    text: &str,
    required: bool,
) -> Option<Month> {
    if text.is_empty() {
        if required {
            violations.add(field, "is required");
        }
        return None;
    }
    let month = Month::parse(text);
    if month.is_none() {
        violations.add(field, MONTH_RULE);
    }
    month
}

/// `text` with only letters, digits, `-` and `_` kept: a customer code in a file name.
fn file_safe(text: &str) -> String {
    text.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .take(40)
        .collect()
}

/// The resource name of `customer_id`'s statement of `month`.
fn name_of(customer_id: Uuid, month: Month) -> String {
    format!("customers/{customer_id}/statements/{month}")
}

/// Reads a statement's name or id.
fn statement_key(text: &str) -> Option<StatementKey> {
    if let Ok(id) = Uuid::try_parse(text) {
        return Some(StatementKey::Id(id));
    }
    let rest = text.strip_prefix("customers/")?;
    let (customer, month) = rest.split_once("/statements/")?;
    Some(StatementKey::CustomerMonth(
        Uuid::try_parse(customer).ok()?,
        Month::parse(month)?,
    ))
}

impl StatementsApi {
    /// The RPCs over `reports`, resolving codes through `customers`, sealing page tokens with
    /// `page_tokens`, generating as the job `generation` (so a request waits for a scheduled run
    /// in progress instead of overlapping it).
    pub(crate) fn new(
        reports: Reports,
        customers: CustomersDirectory,
        page_tokens: PageTokens,
        generation: Job,
    ) -> Self {
        Self {
            reports,
            customers,
            page_tokens,
            generation,
        }
    }

    /// GetMonthlyStatement.
    pub(crate) async fn monthly(
        &self,
        request: GetMonthlyStatementRequest,
    ) -> Result<pb::MonthlyStatement, ApiError> {
        let mut violations = Violations::new();
        let customer =
            customer_ref_field(&mut violations, "customer_id", &request.customer_id, true);
        let month = month_field(&mut violations, "month", &request.month, true);
        violations.finish()?;
        let (Some(customer), Some(month)) = (customer, month) else {
            return Err(ApiError::invalid_field("customer_id", "is required"));
        };
        let customer_id = self.customers.resolve(&customer).await?;
        let statement = self.reports.monthly_statement(customer_id, month).await?;
        Ok(statement_to_proto(&statement))
    }

    /// RenderStatement.
    pub(crate) async fn render(
        &self,
        request: RenderStatementRequest,
    ) -> Result<RenderedStatement, ApiError> {
        let mut violations = Violations::new();
        let customer =
            customer_ref_field(&mut violations, "customer_id", &request.customer_id, true);
        let month = month_field(&mut violations, "month", &request.month, true);
        let format = match StatementFormat::try_from(request.format) {
            Ok(StatementFormat::Html) => Some(StatementFormat::Html),
            Ok(StatementFormat::Pdf) => Some(StatementFormat::Pdf),
            Ok(StatementFormat::Unspecified) => {
                violations.add("format", "is required: STATEMENT_FORMAT_HTML or _PDF");
                None
            }
            Err(_) => {
                violations.add("format", "is not a known format");
                None
            }
        };
        violations.finish()?;
        let (Some(customer), Some(month), Some(format)) = (customer, month, format) else {
            return Err(ApiError::invalid_field("customer_id", "is required"));
        };
        let customer_id = self.customers.resolve(&customer).await?;
        let (name, code) = self.customers.name_and_code(customer_id).await?;
        let addressee = Addressee {
            customer_id,
            name,
            code: code.clone(),
        };
        let view = self
            .reports
            .statement_view(addressee, month, chrono::Utc::now())
            .await?;
        // Laying out and embedding fonts takes milliseconds of CPU: off the async workers.
        let rendered = tokio::task::spawn_blocking(move || match format {
            StatementFormat::Pdf => render::render_pdf(&view).map(|pdf| ("application/pdf", pdf)),
            _ => render::render_html(&view)
                .map(|html| ("text/html; charset=utf-8", html.into_bytes())),
        })
        .await
        .map_err(|error| anyhow::anyhow!("rendering a statement panicked: {error}"))?
        .map_err(|error| anyhow::anyhow!("rendering a statement: {error}"))?;
        let extension = if format == StatementFormat::Pdf {
            "pdf"
        } else {
            "html"
        };
        Ok(RenderedStatement {
            content_type: rendered.0.to_owned(),
            file_name: format!("statement-{}-{month}.{extension}", file_safe(&code)),
            content: rendered.1,
        })
    }

    /// GenerateMonthlyStatements.
    pub(crate) async fn generate(
        &self,
        request: GenerateMonthlyStatementsRequest,
    ) -> Result<GenerateMonthlyStatementsResponse, ApiError> {
        let mut violations = Violations::new();
        let month = month_field(&mut violations, "month", &request.month, true);
        violations.finish()?;
        let Some(month) = month else {
            return Err(ApiError::invalid_field("month", "is required"));
        };
        let count = self
            .generation
            .run_now(self.reports.generate_statements(month, chrono::Utc::now()))
            .await?;
        Ok(GenerateMonthlyStatementsResponse {
            month: month.to_string(),
            generated_count: i32::try_from(count).unwrap_or(i32::MAX),
        })
    }

    /// ListStatements.
    pub(crate) async fn list(
        &self,
        request: ListStatementsRequest,
    ) -> Result<ListStatementsResponse, ApiError> {
        let filter = request.filter.unwrap_or_default();
        let mut violations = Violations::new();
        let customer = customer_ref_field(
            &mut violations,
            "filter.customer_id",
            &filter.customer_id,
            false,
        );
        let month = month_field(&mut violations, "filter.month", &filter.month, false);
        if request.page_size < 0 {
            violations.add("page_size", "must not be negative");
        }
        violations.finish()?;
        let limit = page_size(request.page_size)?;
        let fingerprint = filter.encode_to_vec();
        let after: Option<(String, String)> =
            self.page_tokens.open(&fingerprint, &request.page_token)?;
        let after = after.map(position).transpose()?;
        let customer_id = match &customer {
            Some(customer) => Some(self.customers.resolve(customer).await?),
            None => None,
        };
        let page = self
            .reports
            .list_statements(customer_id, month, after, limit)
            .await?;
        Ok(ListStatementsResponse {
            statements: page.statements.iter().map(statement_to_proto).collect(),
            next_page_token: page
                .next
                .map(|(month, customer)| {
                    let position = (month.to_string(), customer.to_string());
                    self.page_tokens.issue(&fingerprint, &position)
                })
                .unwrap_or_default(),
        })
    }

    /// GetStatement.
    pub(crate) async fn get(
        &self,
        request: GetStatementRequest,
    ) -> Result<pb::MonthlyStatement, ApiError> {
        let mut violations = Violations::new();
        violations.require_text("name", &request.name, NAME_CHARS);
        let key = statement_key(&request.name);
        if violations.is_empty() && key.is_none() {
            violations.add(
                "name",
                "must be a statement's id (UUID) or name \"customers/{customer_id}/statements/{YYYY-MM}\"",
            );
        }
        violations.finish()?;
        let Some(key) = key else {
            return Err(ApiError::invalid_field("name", "is required"));
        };
        let statement = self.reports.stored_statement(key, &request.name).await?;
        Ok(statement_to_proto(&statement))
    }
}

/// A page token's position back: sealed by this list, so a bad one is a bug, not bad input.
fn position((month, customer): (String, String)) -> Result<Position, ApiError> {
    let bad = || ApiError::invalid_field("page_token", "is malformed");
    let month = chrono::NaiveDate::parse_from_str(&month, "%Y-%m-%d").map_err(|_| bad())?;
    let customer = Uuid::try_parse(&customer).map_err(|_| bad())?;
    Ok((month, customer))
}

fn count_to_proto(count: &CountChange) -> pb::CountFigure {
    pb::CountFigure {
        value: count.value,
        previous_value: count.previous,
        change: count.change,
    }
}

fn ratio_to_proto(ratio: &RatioChange) -> pb::RatioFigure {
    pb::RatioFigure {
        numerator: ratio.sums.0,
        denominator: ratio.sums.1,
        value: ratio.value,
        previous_numerator: ratio.previous_sums.0,
        previous_denominator: ratio.previous_sums.1,
        previous_value: ratio.previous_value,
        change: ratio.change,
    }
}

fn statement_to_proto(statement: &Statement) -> pb::MonthlyStatement {
    let figures = statement::figures(&statement.sums, &statement.previous);
    pb::MonthlyStatement {
        name: name_of(statement.customer_id, statement.month),
        id: statement.id.map(|id| id.to_string()).unwrap_or_default(),
        customer_id: statement.customer_id.to_string(),
        month: statement.month.to_string(),
        generate_time: statement.generate_time.map(timestamp),
        shipments: Some(count_to_proto(&figures.shipments)),
        pieces: Some(count_to_proto(&figures.pieces)),
        weight_grams: Some(count_to_proto(&figures.weight_grams)),
        on_time_dispatch_rate: Some(ratio_to_proto(&figures.on_time_dispatch)),
        on_time_arrival_rate: Some(ratio_to_proto(&figures.on_time_arrival)),
        document_accuracy_rate: Some(ratio_to_proto(&figures.document_accuracy)),
        damage_incidents: Some(count_to_proto(&figures.damage)),
        loss_incidents: Some(count_to_proto(&figures.loss)),
        shortage_incidents: Some(count_to_proto(&figures.shortage)),
        complaints: Some(count_to_proto(&figures.complaints)),
        average_cycle_time: Some(ratio_to_proto(&figures.average_cycle_time)),
    }
}
