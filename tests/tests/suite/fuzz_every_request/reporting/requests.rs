//! Generators of every request of the reporting package.

use logistics_contracts::reporting::export_report_request::Report;
use logistics_contracts::reporting::get_regional_report_request::Period;
use logistics_contracts::reporting::*;
use proptest::prelude::*;

use super::{Call, Known};
use crate::fuzz_every_request::values::*;

/// Kinds of each enum a request names, UNSPECIFIED included (see `enumeration`).
const KPIS: i32 = 18;
const TRANSPORT_MODES: i32 = 6;
const DIMENSIONS: i32 = 8;

/// A day "YYYY-MM-DD": mostly one of `known`, else whatever `text` makes of them.
fn day(k: &Known) -> BoxedStrategy<String> {
    let days: &'static [&'static str] = Box::leak(
        k.days
            .iter()
            .map(|day| &*Box::leak(day.clone().into_boxed_str()))
            .chain(["2026-02-30", "1999-12-31", "9999-12-31", "+2026-01-01"])
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    text(days)
}

/// A period's first and last day: mostly in order (else every call would be refused as often as
/// not for a period that ends before it starts), sometimes as drawn.
fn days(k: &Known) -> BoxedStrategy<(String, String)> {
    prop_oneof![
        3 => (day(k), day(k)).prop_map(|(a, b)| if a <= b { (a, b) } else { (b, a) }),
        1 => (day(k), day(k)),
    ]
    .boxed()
}

/// A month "YYYY-MM": mostly one of `known`, sometimes one out of range.
fn month(k: &Known) -> BoxedStrategy<String> {
    let months: &'static [&'static str] = Box::leak(
        k.months
            .iter()
            .map(|month| &*Box::leak(month.clone().into_boxed_str()))
            .chain(["9999-12", "1999-12", "2026-13", "2026-00", "2026-1"])
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    text(months)
}

fn quarter(k: &Known) -> BoxedStrategy<String> {
    let quarters: &'static [&'static str] = Box::leak(
        k.quarters
            .iter()
            .map(|quarter| &*Box::leak(quarter.clone().into_boxed_str()))
            .chain([
                "9999-Q4", "2026-Q5", "2026-Q0", "1999-Q4", "2026Q1", "2026-q1",
            ])
            .collect::<Vec<_>>()
            .into_boxed_slice(),
    );
    text(quarters)
}

/// A customer: none (every customer) or one of the known ones, by id or code.
fn maybe_customer(k: &Known) -> BoxedStrategy<String> {
    prop_oneof![2 => Just(String::new()), 3 => id(&k.customers)].boxed()
}

fn kpi_filter(k: &Known) -> BoxedStrategy<Option<KpiFilter>> {
    prop::option::weighted(
        0.7,
        (
            maybe_customer(k),
            text(&["", "", "310115", "110105"]),
            prop_oneof![2 => Just(0), 1 => enumeration(TRANSPORT_MODES)],
            text(&["", "", "li.wei", "wang.fang"]),
        )
            .prop_map(|(customer_id, region_code, mode, agent)| KpiFilter {
                customer_id,
                region_code,
                mode,
                agent,
            }),
    )
    .boxed()
}

fn segment_key() -> BoxedStrategy<Option<CustomerSegmentKey>> {
    let some = |strategy: BoxedStrategy<i32>| prop::option::weighted(0.3, strategy);
    prop::option::weighted(
        0.5,
        (
            (
                some(enumeration(4)),
                some(enumeration(3)),
                some(enumeration(9)),
            ),
            (some(enumeration(4)), some(enumeration(6))),
            prop::option::weighted(0.3, text(&["Manufacturing", "Retail", ""])),
            prop::option::weighted(0.3, text(&["310115", "110105", ""])),
        )
            .prop_map(
                |((kind, role, tier), (value_class, status), industry, region_code)| {
                    CustomerSegmentKey {
                        kind,
                        role,
                        tier,
                        value_class,
                        industry,
                        region_code,
                        status,
                    }
                },
            ),
    )
    .boxed()
}

fn scorecard_item() -> BoxedStrategy<ScorecardItem> {
    (
        enumeration(KPIS),
        int32(1..=1000),
        enumeration(3),
        (int32(0..=10_000), int32(0..=100_000), int32(0..=10_000)),
    )
        .prop_map(
            |(kpi, weight_points, direction, (target, deduction, floor))| ScorecardItem {
                kpi,
                weight_points,
                direction,
                target_basis_points: target,
                deduction_centipoints: deduction,
                floor_basis_points: floor,
            },
        )
        .boxed()
}

fn template() -> BoxedStrategy<Option<ScorecardTemplate>> {
    prop::option::weighted(
        0.95,
        (
            text(&["Key accounts 2026", "华东区考核"]),
            prop_oneof![2 => Just(String::new()), 1 => words()],
            list(scorecard_item(), 40),
            prop_oneof![8 => Just(String::new()), 1 => text(&["someone"])],
            prop::option::weighted(0.05, time()),
        )
            .prop_map(|(display_name, description, items, id, create_time)| {
                ScorecardTemplate {
                    id,
                    display_name,
                    description,
                    items,
                    create_time,
                    ..ScorecardTemplate::default()
                }
            }),
    )
    .boxed()
}

fn period(k: &Known) -> BoxedStrategy<Option<Period>> {
    prop::option::weighted(
        0.95,
        prop_oneof![
            quarter(k).prop_map(Period::Quarter),
            int32(2000..=2030).prop_map(Period::Year),
            (month(k), month(k)).prop_map(|(start_month, end_month)| {
                Period::Months(RegionalMonthRange {
                    start_month,
                    end_month,
                })
            }),
        ],
    )
    .boxed()
}

/// Every request of the reporting package: a third built clean, to get past validation.
pub fn calls(k: &Known) -> BoxedStrategy<Call> {
    prop_oneof![1 => clean(|| any_call(k)), 2 => any_call(k)].boxed()
}

/// Every call, an export of any report's request now and then (or of none), and a rendered
/// statement.
fn any_call(k: &Known) -> BoxedStrategy<Call> {
    prop_oneof![
        13 => report_or_other_call(k),
        1 => report_or_other_call(k).prop_map(|call| Call::ExportReport(ExportReportRequest {
            report: exported(call),
        })),
        1 => (id(&k.customers), month(k), enumeration(3)).prop_map(|(customer_id, month, format)| {
            Call::RenderStatement(RenderStatementRequest {
                customer_id,
                month,
                format,
            })
        }),
    ]
    .boxed()
}

/// The report a generated call asks for, as ExportReport takes it; none for other calls.
fn exported(call: Call) -> Option<Report> {
    match call {
        Call::GetKpis(request) => Some(Report::Kpis(request)),
        Call::GetMonthlyStatement(request) => Some(Report::MonthlyStatement(request)),
        Call::GetScorecard(request) => Some(Report::Scorecard(request)),
        Call::GetAgentQuality(request) => Some(Report::AgentQuality(request)),
        Call::SegmentCustomers(request) => Some(Report::Segments(request)),
        Call::GetRegionalReport(request) => Some(Report::RegionalReport(request)),
        _ => None,
    }
}

fn report_or_other_call(k: &Known) -> BoxedStrategy<Call> {
    prop_oneof![
        Just(Call::GetProjectionStatus(GetProjectionStatusRequest {})),
        Just(Call::RebuildProjections(RebuildProjectionsRequest {})),
        (days(k), kpi_filter(k)).prop_map(|((start_date, end_date), filter)| {
            Call::GetKpis(GetKpisRequest {
                start_date,
                end_date,
                filter,
            })
        }),
        (
            list(enumeration(DIMENSIONS), 20),
            segment_key(),
            any::<bool>(),
            page_size(),
            page_token()
        )
            .prop_map(
                |(dimensions, filter, include_subtotals, page_size, page_token)| {
                    Call::SegmentCustomers(SegmentCustomersRequest {
                        dimensions,
                        filter,
                        include_subtotals,
                        page_size,
                        page_token,
                    })
                }
            ),
        (template(), request_id()).prop_map(|(template, request_id)| {
            Call::CreateScorecardTemplate(CreateScorecardTemplateRequest {
                template,
                request_id,
            })
        }),
        (page_size(), page_token()).prop_map(|(page_size, page_token)| {
            Call::ListScorecardTemplates(ListScorecardTemplatesRequest {
                page_size,
                page_token,
            })
        }),
        (id(&k.templates), days(k), kpi_filter(k)).prop_map(
            |(template_id, (start_date, end_date), subject)| {
                Call::GetScorecard(GetScorecardRequest {
                    template_id,
                    start_date,
                    end_date,
                    subject,
                })
            }
        ),
        (
            day(k),
            day(k),
            text(&["", "", "li.wei"]),
            page_size(),
            page_token()
        )
            .prop_map(|(start_date, end_date, agent, page_size, page_token)| {
                Call::GetAgentQuality(GetAgentQualityRequest {
                    start_date,
                    end_date,
                    agent,
                    page_size,
                    page_token,
                })
            }),
        (id(&k.customers), month(k)).prop_map(|(customer_id, month)| {
            Call::GetMonthlyStatement(GetMonthlyStatementRequest { customer_id, month })
        }),
        month(k).prop_map(|month| {
            Call::GenerateMonthlyStatements(GenerateMonthlyStatementsRequest { month })
        }),
        (
            prop::option::weighted(
                0.6,
                (
                    maybe_customer(k),
                    prop_oneof![Just(String::new()), month(k)]
                )
                    .prop_map(|(customer_id, month)| StatementFilter { customer_id, month })
            ),
            page_size(),
            page_token(),
        )
            .prop_map(|(filter, page_size, page_token)| {
                Call::ListStatements(ListStatementsRequest {
                    filter,
                    page_size,
                    page_token,
                })
            }),
        id(&k.statements).prop_map(|name| Call::GetStatement(GetStatementRequest { name })),
        period(k).prop_map(|period| Call::GetRegionalReport(GetRegionalReportRequest { period })),
    ]
    .boxed()
}
