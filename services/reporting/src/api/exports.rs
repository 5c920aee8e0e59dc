//! ExportReport: any report of the service as CSV, streamed in chunks. Each report is answered by
//! the same code as its own RPC (same checks, same figures), then laid out as a table
//! ([`super::csv_table`]); paged reports are read to their end, up to [`MAX_ROWS`] lines.

use logistics_contracts::reporting::export_report_request::Report;
use logistics_contracts::reporting::{
    self as pb, AgentQuality, CustomerSegmentKey, ExportReportRequest, ExportReportResponse,
    GetAgentQualityRequest, MonthlyStatement, QualityRatio, Scorecard, SegmentCustomersRequest,
};
use logistics_platform::ApiError;

use super::csv_table::{Cell, CsvTable};
use super::reporting_service::ReportingApi;

/// The most lines an export holds: a report longer than that is refused, to be narrowed.
pub(crate) const MAX_ROWS: usize = 100_000;
/// Bytes of CSV per streamed message.
const CHUNK_BYTES: usize = 64 * 1024;

/// The content type of every export.
const CSV: &str = "text/csv; charset=utf-8";

impl ReportingApi {
    /// The report `request` names, as CSV in chunks: the first carries the content type and a
    /// file name.
    pub(super) async fn export(
        &self,
        request: ExportReportRequest,
    ) -> Result<Vec<ExportReportResponse>, ApiError> {
        let (name, table) = match request.report {
            None => {
                return Err(ApiError::invalid_field(
                    "report",
                    "is required: name one report",
                ));
            }
            Some(Report::Kpis(kpis)) => {
                let kpis = self.kpis(kpis).await.map_err(under("kpis"))?;
                ("kpis", kpi_table(kpis.kpis))
            }
            Some(Report::MonthlyStatement(statement)) => {
                let statement = self.statements.monthly(statement).await;
                let statement = statement.map_err(under("monthly_statement"))?;
                ("monthly-statement", statement_table(&statement))
            }
            Some(Report::Scorecard(scorecard)) => {
                let scorecard = self
                    .scorecard(scorecard)
                    .await
                    .map_err(under("scorecard"))?;
                ("scorecard", scorecard_table(&scorecard))
            }
            Some(Report::AgentQuality(request)) => {
                let agents = self
                    .all_agents(request)
                    .await
                    .map_err(under("agent_quality"))?;
                ("agent-quality", agent_table(agents))
            }
            Some(Report::RegionalReport(request)) => {
                let report = self.regional_report(request).await;
                let report = report.map_err(under("regional_report"))?;
                ("regional-report", regional_table(&report))
            }
            Some(Report::Segments(request)) => {
                let segments = self.all_segments(request.clone()).await?;
                ("segments", segment_table(&request, segments))
            }
        };
        let csv = table.to_csv();
        let mut chunks: Vec<ExportReportResponse> = csv
            .chunks(CHUNK_BYTES)
            .map(|chunk| ExportReportResponse {
                chunk: chunk.to_vec(),
                ..ExportReportResponse::default()
            })
            .collect();
        if chunks.is_empty() {
            chunks.push(ExportReportResponse::default());
        }
        chunks[0].content_type = CSV.to_owned();
        chunks[0].file_name = format!("{name}.csv");
        Ok(chunks)
    }

    async fn all_agents(
        &self,
        mut request: GetAgentQualityRequest,
    ) -> Result<Vec<AgentQuality>, ApiError> {
        let mut agents = Vec::new();
        loop {
            let page = self.agent_quality(request.clone()).await;
            let page = page.map_err(under("agent_quality"))?;
            agents.extend(page.agents);
            if page.next_page_token.is_empty() {
                return Ok(agents);
            }
            too_long(agents.len())?;
            request.page_token = page.next_page_token;
        }
    }

    async fn all_segments(
        &self,
        mut request: SegmentCustomersRequest,
    ) -> Result<Vec<pb::CustomerSegment>, ApiError> {
        let mut segments = Vec::new();
        loop {
            let page = self.segment_customers(request.clone()).await;
            let page = page.map_err(under("segments"))?;
            segments.extend(page.segments);
            if page.next_page_token.is_empty() {
                return Ok(segments);
            }
            too_long(segments.len())?;
            request.page_token = page.next_page_token;
        }
    }
}

/// Names a refused report's fields under the export's field of that report (`start_date` becomes
/// `kpis.start_date`), so the caller finds them in the request they sent.
fn under(report: &'static str) -> impl Fn(ApiError) -> ApiError {
    move |error| match error {
        ApiError::InvalidArgument {
            reason,
            message,
            mut violations,
        } => {
            for violation in &mut violations {
                violation.field = format!("{report}.{}", violation.field);
            }
            ApiError::InvalidArgument {
                reason,
                message: format!("{report}: {message}"),
                violations,
            }
        }
        other => other,
    }
}

fn too_long(rows: usize) -> Result<(), ApiError> {
    if rows >= MAX_ROWS {
        return Err(ApiError::invalid_field(
            "report",
            format!("has more than {MAX_ROWS} lines: narrow it (a shorter period, a filter)"),
        ));
    }
    Ok(())
}

/// A KPI's name in the tables: its enum name without the prefix ("ON_TIME_DISPATCH_RATE").
fn kpi_name(kpi: i32) -> String {
    pb::Kpi::try_from(kpi)
        .map(|kpi| kpi.as_str_name().trim_start_matches("KPI_").to_owned())
        .unwrap_or_default()
}

fn kpi_table(kpis: Vec<pb::KpiValue>) -> CsvTable {
    CsvTable {
        header: vec!["kpi", "numerator", "denominator", "value"],
        rows: kpis
            .into_iter()
            .map(|kpi| {
                vec![
                    kpi_name(kpi.kpi).into(),
                    kpi.numerator.into(),
                    kpi.denominator.into(),
                    kpi.value.into(),
                ]
            })
            .collect(),
    }
}

fn statement_table(statement: &MonthlyStatement) -> CsvTable {
    let count = |name: &str, figure: Option<&pb::CountFigure>| {
        let figure = figure.cloned().unwrap_or_default();
        vec![
            name.into(),
            figure.value.into(),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            figure.previous_value.into(),
            Cell::Text(String::new()),
            Cell::Text(String::new()),
            figure.change.into(),
        ]
    };
    let ratio = |name: &str, figure: Option<&pb::RatioFigure>| {
        let figure = figure.cloned().unwrap_or_default();
        vec![
            name.into(),
            figure.value.into(),
            figure.numerator.into(),
            figure.denominator.into(),
            figure.previous_value.into(),
            figure.previous_numerator.into(),
            figure.previous_denominator.into(),
            figure.change.into(),
        ]
    };
    let mut rows = vec![
        count("shipments", statement.shipments.as_ref()),
        count("pieces", statement.pieces.as_ref()),
        count("weight_grams", statement.weight_grams.as_ref()),
        ratio(
            "on_time_dispatch_rate",
            statement.on_time_dispatch_rate.as_ref(),
        ),
        ratio(
            "on_time_arrival_rate",
            statement.on_time_arrival_rate.as_ref(),
        ),
        ratio(
            "document_accuracy_rate",
            statement.document_accuracy_rate.as_ref(),
        ),
        count("damage_incidents", statement.damage_incidents.as_ref()),
        count("loss_incidents", statement.loss_incidents.as_ref()),
        count("shortage_incidents", statement.shortage_incidents.as_ref()),
        count("complaints", statement.complaints.as_ref()),
        ratio(
            "average_cycle_time_minutes",
            statement.average_cycle_time.as_ref(),
        ),
    ];
    for row in &mut rows {
        row.insert(0, statement.month.clone().into());
        row.insert(0, statement.customer_id.clone().into());
    }
    CsvTable {
        header: vec![
            "customer_id",
            "month",
            "figure",
            "value",
            "numerator",
            "denominator",
            "previous_value",
            "previous_numerator",
            "previous_denominator",
            "change",
        ],
        rows,
    }
}

fn scorecard_table(scorecard: &Scorecard) -> CsvTable {
    let mut rows: Vec<Vec<Cell>> = scorecard
        .lines
        .iter()
        .map(|line| {
            let item = line.item.unwrap_or_default();
            vec![
                kpi_name(item.kpi).into(),
                i64::from(item.weight_points).into(),
                i64::from(item.target_basis_points).into(),
                i64::from(item.floor_basis_points).into(),
                line.numerator.into(),
                line.denominator.into(),
                line.value.into(),
                line.shortfall_basis_points.into(),
                line.deduction_centipoints.into(),
                line.score_centipoints.into(),
            ]
        })
        .collect();
    rows.push(vec![
        "TOTAL".into(),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
        None.into(),
        Cell::Text(String::new()),
        Cell::Text(String::new()),
        scorecard.total_centipoints.into(),
    ]);
    CsvTable {
        header: vec![
            "kpi",
            "weight_points",
            "target_basis_points",
            "floor_basis_points",
            "numerator",
            "denominator",
            "value",
            "shortfall_basis_points",
            "deduction_centipoints",
            "score_centipoints",
        ],
        rows,
    }
}

fn agent_table(agents: Vec<AgentQuality>) -> CsvTable {
    let ratio = |ratio: Option<QualityRatio>| {
        let ratio = ratio.unwrap_or_default();
        [
            ratio.numerator.into(),
            ratio.denominator.into(),
            ratio.value.into(),
        ]
    };
    CsvTable {
        header: vec![
            "agent",
            "complaints_handled",
            "feedback_timely",
            "feedback_due",
            "feedback_timeliness",
            "resolutions_timely",
            "resolutions",
            "resolution_timeliness",
            "resolutions_satisfied",
            "resolutions_rated",
            "resolution_satisfaction",
        ],
        rows: agents
            .into_iter()
            .map(|agent| {
                let mut row: Vec<Cell> = vec![agent.agent.into(), agent.complaints_handled.into()];
                row.extend(ratio(agent.feedback_timeliness));
                row.extend(ratio(agent.resolution_timeliness));
                row.extend(ratio(agent.resolution_satisfaction));
                row
            })
            .collect(),
    }
}

fn segment_table(
    request: &SegmentCustomersRequest,
    segments: Vec<pb::CustomerSegment>,
) -> CsvTable {
    let dimensions: Vec<pb::SegmentDimension> = request
        .dimensions
        .iter()
        .filter_map(|dimension| pb::SegmentDimension::try_from(*dimension).ok())
        .collect();
    let mut header: Vec<&'static str> = dimensions.iter().map(|d| dimension_name(*d)).collect();
    header.extend(["depth", "customers", "orders", "spend_fen"]);
    let rows = segments
        .into_iter()
        .map(|segment| {
            let key = segment.key.unwrap_or_default();
            let mut row: Vec<Cell> = dimensions
                .iter()
                .map(|dimension| key_value(&key, *dimension).into())
                .collect();
            row.extend([
                i64::from(segment.depth).into(),
                segment.customer_count.into(),
                segment.order_count.into(),
                segment.spend.map_or(0, |spend| spend.amount_minor).into(),
            ]);
            row
        })
        .collect();
    CsvTable { header, rows }
}

fn regional_table(report: &pb::RegionalReport) -> CsvTable {
    let blank = || Cell::Text(String::new());
    let ratio = |ratio: Option<&pb::RegionalRatio>| {
        let ratio = ratio.cloned().unwrap_or_default();
        [
            ratio.numerator.into(),
            ratio.denominator.into(),
            ratio.value.into(),
        ]
    };
    let season = |season: i32| {
        pb::RegionalSeason::try_from(season)
            .map(|season| season.as_str_name().trim_start_matches("REGIONAL_SEASON_"))
            .unwrap_or_default()
            .to_owned()
    };
    let month_line = |scope: &str, region: &str, month: &pb::RegionalMonthVolume| {
        let mut row: Vec<Cell> = vec![
            scope.into(),
            region.into(),
            month.month.clone().into(),
            month.shipments.into(),
            month.pieces.into(),
            month.weight_grams.into(),
            season(month.season).into(),
        ];
        row.extend(std::iter::repeat_with(blank).take(16));
        row
    };
    let mut rows: Vec<Vec<Cell>> = report
        .months
        .iter()
        .map(|month| month_line("COMPANY_MONTH", "", month))
        .collect();
    for region in &report.regions {
        rows.extend(
            region
                .months
                .iter()
                .map(|month| month_line("REGION_MONTH", &region.region_code, month)),
        );
        let mut row: Vec<Cell> = vec![
            "REGION".into(),
            region.region_code.clone().into(),
            blank(),
            region.shipments.into(),
            region.pieces.into(),
            region.weight_grams.into(),
            blank(),
        ];
        row.extend(ratio(region.share.as_ref()));
        row.push(region.first_to_last_change.into());
        row.extend(ratio(region.document_accuracy.as_ref()));
        row.extend(ratio(region.on_time_dispatch.as_ref()));
        row.extend(ratio(region.on_time_arrival.as_ref()));
        row.extend(ratio(region.accident_rate.as_ref()));
        rows.push(row);
    }
    CsvTable {
        header: vec![
            "scope",
            "region_code",
            "month",
            "shipments",
            "pieces",
            "weight_grams",
            "season",
            "share_numerator",
            "share_denominator",
            "share",
            "first_to_last_change",
            "document_accuracy_numerator",
            "document_accuracy_denominator",
            "document_accuracy",
            "on_time_dispatch_numerator",
            "on_time_dispatch_denominator",
            "on_time_dispatch",
            "on_time_arrival_numerator",
            "on_time_arrival_denominator",
            "on_time_arrival",
            "accident_numerator",
            "accident_denominator",
            "accident_rate",
        ],
        rows,
    }
}

fn dimension_name(dimension: pb::SegmentDimension) -> &'static str {
    use pb::SegmentDimension as D;
    match dimension {
        D::Kind => "kind",
        D::Role => "role",
        D::Tier => "tier",
        D::ValueClass => "value_class",
        D::Industry => "industry",
        D::Region => "region_code",
        D::Status => "status",
        D::Unspecified => "unspecified",
    }
}

/// A segment's value of `dimension` as the table shows it: the enum name, the text, or empty for
/// a subtotal's open dimension.
fn key_value(key: &CustomerSegmentKey, dimension: pb::SegmentDimension) -> String {
    use logistics_contracts::customers as c;
    use pb::SegmentDimension as D;
    let name = |value: Option<i32>, name_of: fn(i32) -> Option<&'static str>| {
        value.and_then(name_of).unwrap_or_default().to_owned()
    };
    match dimension {
        D::Kind => name(key.kind, |v| {
            c::CustomerKind::try_from(v).ok().map(|v| v.as_str_name())
        }),
        D::Role => name(key.role, |v| {
            c::CustomerRole::try_from(v).ok().map(|v| v.as_str_name())
        }),
        D::Tier => name(key.tier, |v| {
            c::CustomerTier::try_from(v).ok().map(|v| v.as_str_name())
        }),
        D::ValueClass => name(key.value_class, |v| {
            c::ValueClass::try_from(v).ok().map(|v| v.as_str_name())
        }),
        D::Industry => key.industry.clone().unwrap_or_default(),
        D::Region => key.region_code.clone().unwrap_or_default(),
        D::Status => name(key.status, |v| {
            c::CustomerStatus::try_from(v).ok().map(|v| v.as_str_name())
        }),
        D::Unspecified => String::new(),
    }
}
