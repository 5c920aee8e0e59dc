//! Generators of every request of the complaints package.

use logistics_contracts::complaints::review_claim_request::Decision;
use logistics_contracts::complaints::*;
use proptest::prelude::*;
use proptest::sample::select;

use super::{Call, Known};
use crate::fuzz_every_request::values::*;

/// A complaint by id or number: mostly one of `known`, else an unknown number of the right shape
/// ("K" and 16 digits), one far too long, or whatever `id` makes of it.
fn complaint_ref(known: &[String], hostile: bool) -> BoxedStrategy<String> {
    if !hostile {
        return id(known);
    }
    prop_oneof![
        12 => id(known),
        1 => (0..10_000_000_000_000_000u64).prop_map(|n| format!("K{n:016}")),
        1 => select(&["K", "K0", "k2026120500000001", "K2026-12-05-0001", "K99999999999999999999999999"][..])
            .prop_map(str::to_owned),
        1 => (1usize..2000).prop_map(|n| format!("K{}", "9".repeat(n))),
    ]
    .boxed()
}

fn claim(hostile: bool) -> BoxedStrategy<Claim> {
    (
        claim_money(hostile),
        list(
            text(&["photo 1: crushed carton", "delivery note", "invoice INV-7"]),
            40,
        ),
        (output_enum(6), prop::option::weighted(0.1, time())),
    )
        .prop_map(
            |(claimed_amount, evidence, (status, window_end_time))| Claim {
                claimed_amount,
                evidence,
                status,
                window_end_time,
                ..Claim::default()
            },
        )
        .boxed()
}

/// Money for a claim or an action: mostly CNY up to the bound of 100,000,000.00, sometimes just
/// past it, in another currency, or any `Money` at all.
fn claim_money(hostile: bool) -> BoxedStrategy<Option<logistics_contracts::common::Money>> {
    use logistics_contracts::common::Money;
    if !hostile {
        return (1..=500_000i64)
            .prop_map(|amount_minor| {
                Some(Money {
                    currency_code: "CNY".to_owned(),
                    amount_minor,
                })
            })
            .boxed();
    }
    prop_oneof![
        6 => money(),
        1 => (select(&["CNY", "USD", "cny", "XXX", ""][..]),
              select(&[0, 1, -1, 10_000_000_000, 10_000_000_001, i64::MAX, i64::MIN][..]))
            .prop_map(|(currency, amount_minor)| Some(Money { currency_code: currency.to_owned(), amount_minor })),
    ]
    .boxed()
}

fn complaint(k: &Known, hostile: bool) -> BoxedStrategy<Complaint> {
    (
        (enumeration(5), enumeration(9), enumeration(10)),
        id(&k.customers),
        prop_oneof![2 => Just(String::new()), 3 => id(&k.orders)],
        text(&["The carton arrived crushed", "Where is my invoice?"]),
        words(),
        prop_oneof![1 => Just(None), 3 => claim(hostile).prop_map(Some)],
        (
            prop_oneof![8 => Just(String::new()), 1 => complaint_ref(&k.complaints, hostile)],
            output_enum(8),
            prop::option::weighted(0.1, time()),
        ),
    )
        .prop_map(
            |(
                (kind, channel, category),
                customer_id,
                order_id,
                subject,
                description,
                claim,
                (id, status, file_time),
            )| {
                // A claim goes with a CLAIM, mostly: the other way round is refused at the door.
                let claim = if (kind == ComplaintKind::Claim as i32) == claim.is_some() {
                    claim
                } else {
                    None
                };
                Complaint {
                    id,
                    kind,
                    channel,
                    category,
                    customer_id,
                    order_id,
                    subject,
                    description,
                    claim,
                    status,
                    file_time,
                    ..Complaint::default()
                }
            },
        )
        .boxed()
}

fn filter(k: &Known) -> BoxedStrategy<Option<ComplaintFilter>> {
    let optional = |strategy: BoxedStrategy<String>| {
        prop_oneof![3 => Just(String::new()), 1 => strategy].boxed()
    };
    prop::option::weighted(
        0.8,
        (
            (optional(id(&k.customers)), optional(id(&k.orders))),
            prop_oneof![2 => Just(Vec::new()), 1 => list(enumeration(8), 30)],
            (
                output_enum(5),
                output_enum(10),
                output_enum(5),
                output_enum(9),
            ),
            (
                optional(text(&["li.wei", "wang.fang"])),
                optional(text(&["claims desk", "north"])),
            ),
            (maybe_time(), maybe_time()),
            (prop::bool::weighted(0.2), prop::bool::weighted(0.2)),
        )
            .prop_map(
                |(
                    (customer_id, order_id),
                    statuses,
                    (kind, category, priority, channel),
                    (assigned_agent, assigned_team),
                    (start_time, end_time),
                    (due_soon, breached),
                )| ComplaintFilter {
                    customer_id,
                    order_id,
                    statuses,
                    kind,
                    category,
                    priority,
                    assigned_agent,
                    assigned_team,
                    channel,
                    start_time,
                    end_time,
                    due_soon,
                    breached,
                },
            ),
    )
    .boxed()
}

fn action(hostile: bool) -> BoxedStrategy<ResolutionAction> {
    (
        enumeration(5),
        prop_oneof![1 => Just(None), 3 => claim_money(hostile)],
        text(&["", "re-delivered on Monday", "credit note CN-7"]),
    )
        .prop_map(|(kind, amount, note)| {
            // Only REFUND and COMPENSATION carry an amount; mostly keep to that.
            let pays = kind == ResolutionActionKind::Refund as i32
                || kind == ResolutionActionKind::Compensation as i32;
            let amount = if pays == amount.is_some() {
                amount
            } else {
                None
            };
            ResolutionAction { kind, amount, note }
        })
        .boxed()
}

/// A working window: the usual times, midnight at either end, and times that are no time of day.
fn working_window(hostile: bool) -> BoxedStrategy<WorkingWindow> {
    let time = || {
        if !hostile {
            return select(
                &[
                    "00:00", "08:00", "09:00", "12:00", "13:00", "18:00", "24:00",
                ][..],
            )
            .prop_map(str::to_owned)
            .boxed();
        }
        prop_oneof![
            12 => select(&["00:00", "08:00", "09:00", "12:00", "13:00", "18:00", "23:59", "24:00"][..])
                .prop_map(str::to_owned),
            1 => select(&["9:00", "25:61", "24:01", "-1:00", "12:60", "0900", "09:00:00", "09:00 ", "", "２３:００"][..])
                .prop_map(str::to_owned),
            1 => (0u32..100, 0u32..100).prop_map(|(h, m)| format!("{h:02}:{m:02}")),
            1 => text(&["09:00"]),
        ]
        .boxed()
    };
    (time(), time())
        .prop_map(|(start_time, end_time)| WorkingWindow {
            start_time,
            end_time,
        })
        .boxed()
}

/// A date "YYYY-MM-DD": mostly real days around now, sometimes days no calendar has, extremes
/// of the format, or no date at all.
fn date(hostile: bool) -> BoxedStrategy<String> {
    let near = (2025i32..=2028, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| format!("{y:04}-{m:02}-{d:02}"))
        .boxed();
    if !hostile {
        return near;
    }
    prop_oneof![
        12 => near,
        1 => select(&[
            "2026-02-30", "2026-02-29", "2028-02-29", "2026-13-01", "2026-00-10", "2026-04-31",
            "0000-01-01", "9999-12-31", "-001-01-01", "2026-1-5", "2026/10/01", "20261001",
            "+262143-01-01", "",
        ][..])
            .prop_map(str::to_owned),
        1 => (any::<i32>(), any::<u32>(), any::<u32>()).prop_map(|(y, m, d)| format!("{y}-{m:02}-{d:02}")),
        1 => text(&["2026-10-01"]),
    ]
    .boxed()
}

/// Dates of a calendar: a few, or rarely about the bound of 1000 (a few past it).
fn dates<T: std::fmt::Debug + 'static>(
    item: BoxedStrategy<T>,
    hostile: bool,
) -> BoxedStrategy<Vec<T>> {
    if !hostile {
        return list_from(0, item, 30);
    }
    prop_oneof![
        20 => list_from(0, item.clone(), 30),
        1 => proptest::collection::vec(item, 990..=1010),
    ]
    .boxed()
}

fn calendar(k: &Known, hostile: bool) -> BoxedStrategy<BusinessCalendar> {
    let day = (enumeration(8), list_from(0, working_window(hostile), 20))
        .prop_map(|(weekday, windows)| WorkingDay { weekday, windows })
        .boxed();
    let holiday = (date(hostile), text(&["", "国庆节", "Spring Festival"]))
        .prop_map(|(date, name)| Holiday { date, name })
        .boxed();
    let make_up = (date(hostile), enumeration(8), text(&["", "国庆节调休"]))
        .prop_map(|(date, works_as, name)| MakeUpDay {
            date,
            works_as,
            name,
        })
        .boxed();
    let zone = text(&[
        "Asia/Shanghai",
        "",
        "Europe/Berlin",
        "America/New_York",
        "Pacific/Chatham",
        "UTC",
        "Mars/Olympus_Mons",
        "UTC+8",
        "asia/shanghai",
    ]);
    (
        zone,
        prop_oneof![
            // The week as set up, or around the clock: mostly valid, so updates go through and
            // move the clocks of open complaints.
            2 => Just(k.calendar.week.clone()),
            1 => Just((1..=7).map(|weekday| WorkingDay {
                weekday,
                windows: vec![WorkingWindow { start_time: "00:00".to_owned(), end_time: "24:00".to_owned() }],
            }).collect()),
            3 => list_from(1, day, 20),
        ],
        dates(holiday, hostile),
        dates(make_up, hostile),
        (output_enum(5), etag()),
    )
        .prop_map(
            |(time_zone, week, holidays, make_up_days, (version, etag))| BusinessCalendar {
                time_zone,
                week,
                holidays,
                make_up_days,
                version,
                etag,
                ..BusinessCalendar::default()
            },
        )
        .boxed()
}

/// Target minutes. Valid targets are at least 5 minutes: the SLA sweep runs every second in the
/// background, and a complaint filed under a target of a minute or two reaches 80% of it (a
/// warning, then escalations) while the fuzz runs, which would change the schema between the
/// fingerprints around a refused call. Refused values (0, negative, past 43,200, extremes) are
/// all drawn.
fn minutes(realistic: std::ops::RangeInclusive<i64>, hostile: bool) -> BoxedStrategy<i64> {
    if !hostile {
        return realistic.boxed();
    }
    prop_oneof![
        16 => realistic,
        1 => select(&[i64::MIN, -60, -1, 0, 43_200, 43_201, i64::MAX - 1, i64::MAX][..]),
        1 => any::<i64>().prop_filter("no valid tiny target", |m| !(1..5).contains(m)),
    ]
    .boxed()
}

fn policy(k: &Known, hostile: bool) -> BoxedStrategy<SlaPolicy> {
    let target = (
        enumeration(5),
        minutes(5..=960, hostile),
        minutes(0..=4000, hostile),
    )
        .prop_map(|(priority, first, more)| PriorityTarget {
            priority,
            first_response_minutes: first,
            // Mostly no less than the first response, as required.
            resolution_minutes: if more >= 0 {
                first.saturating_add(more)
            } else {
                more
            },
        })
        .boxed();
    let severity = (enumeration(10), enumeration(5))
        .prop_map(|(category, priority)| CategorySeverity { category, priority })
        .boxed();
    // All four priorities are required: drop one now and then, or list one twice.
    let targets = prop_oneof![
        3 => prop::collection::vec(target.clone(), 4).prop_map(|mut targets| {
            for (priority, target) in (1..).zip(targets.iter_mut()) {
                target.priority = priority;
            }
            targets
        }),
        1 => list(target, 40),
    ];
    let severities = prop_oneof![
        3 => (Just(k.policy.severities.clone()), prop::collection::vec(1..5i32, 9))
            .prop_map(|(mut severities, priorities)| {
                for (severity, priority) in severities.iter_mut().zip(priorities) {
                    severity.priority = priority;
                }
                severities
            }),
        1 => Just(k.policy.severities.clone()),
        1 => list(severity, 40),
    ];
    (targets, severities, (output_enum(5), etag()))
        .prop_map(|(targets, severities, (version, etag))| SlaPolicy {
            targets,
            severities,
            version,
            etag,
            ..SlaPolicy::default()
        })
        .boxed()
}

/// Every request of the complaints package: a third built clean, to get past validation. The
/// generators of this module that draw hostile values of their own take `hostile` (false when
/// built clean).
pub fn calls(k: &Known) -> BoxedStrategy<Call> {
    prop_oneof![1 => clean(|| any_call(k, false)), 2 => any_call(k, true)].boxed()
}

// One call per line or two, as a table: rustfmt would spread it over three times the lines.
#[rustfmt::skip]
fn any_call(k: &Known, hostile: bool) -> BoxedStrategy<Call> {
    let target = || complaint_ref(&k.complaints, hostile);
    let claims = || prop_oneof![3 => complaint_ref(&k.claims, hostile), 1 => target()];
    let reason = || text(&["the customer sent photos", "wrong category"]);
    let long = || words();
    prop_oneof![
        (prop::option::weighted(0.95, complaint(k, hostile)), request_id())
            .prop_map(|(complaint, request_id)| Call::FileComplaint(FileComplaintRequest { complaint, request_id })),
        (target(), enumeration(3)).prop_map(|(id, view)| Call::GetComplaint(GetComplaintRequest { id, view })),
        (page_size(), page_token(), filter(k))
            .prop_map(|(page_size, page_token, filter)| Call::ListComplaints(ListComplaintsRequest { page_size, page_token, filter })),
        filter(k).prop_map(|filter| Call::CountComplaints(CountComplaintsRequest { filter })),
        (target(), etag(), text(&["We are on it", "收到"]))
            .prop_map(|(id, etag, message)| Call::AcknowledgeComplaint(AcknowledgeComplaintRequest { id, etag, message })),
        (target(), etag(), text(&["li.wei", "wang.fang"]), text(&["", "claims desk"]))
            .prop_map(|(id, etag, agent, team)| Call::AssignComplaint(AssignComplaintRequest { id, etag, agent, team })),
        (target(), etag(), enumeration(5), reason())
            .prop_map(|(id, etag, priority, reason)| Call::SetComplaintPriority(SetComplaintPriorityRequest { id, etag, priority, reason })),
        (
            target(),
            etag(),
            prop::option::weighted(0.95, (long(), enumeration(5), text(&["loose strapping on the line-haul"]), (text(&["", "someone"]), prop::option::weighted(0.1, time())))
                .prop_map(|(findings, responsible_party, root_cause, (recorded_by, record_time))| Investigation {
                    findings, responsible_party, root_cause, recorded_by, record_time,
                })),
        )
            .prop_map(|(id, etag, investigation)| Call::RecordInvestigation(RecordInvestigationRequest { id, etag, investigation })),
        (
            target(),
            etag(),
            prop::option::weighted(0.95, (list(action(hostile), 40), words(), prop::option::weighted(0.1, time()))
                .prop_map(|(actions, message, propose_time)| ProposedResolution {
                    actions, message, propose_time, ..ProposedResolution::default()
                })),
        )
            .prop_map(|(id, etag, resolution)| Call::ProposeResolution(ProposeResolutionRequest { id, etag, resolution })),
        (target(), etag(), reason())
            .prop_map(|(id, etag, reason)| Call::WaitForCustomer(WaitForCustomerRequest { id, etag, reason })),
        (target(), etag(), prop_oneof![1 => Just(String::new()), 2 => long()])
            .prop_map(|(id, etag, note)| Call::ResumeComplaint(ResumeComplaintRequest { id, etag, note })),
        (target(), etag(), long())
            .prop_map(|(id, etag, feedback)| Call::ResolveComplaint(ResolveComplaintRequest { id, etag, feedback })),
        (target(), etag()).prop_map(|(id, etag)| Call::CloseComplaint(CloseComplaintRequest { id, etag })),
        (target(), etag(), reason())
            .prop_map(|(id, etag, reason)| Call::ReopenComplaint(ReopenComplaintRequest { id, etag, reason })),
        (target(), long()).prop_map(|(id, note)| Call::AddComplaintNote(AddComplaintNoteRequest { id, note })),
        (
            claims(),
            etag(),
            prop_oneof![
                3 => claim_money(hostile).prop_map(|amount| amount.map(Decision::ApprovedAmount)),
                2 => reason().prop_map(|reason| Some(Decision::RejectionReason(reason))),
            ],
        )
            .prop_map(|(id, etag, decision)| Call::ReviewClaim(ReviewClaimRequest { id, etag, decision })),
        (claims(), etag(), text(&["PAY-2026-0001", "PAY-2026-0002"]))
            .prop_map(|(id, etag, payment_reference)| Call::MarkClaimPaid(MarkClaimPaidRequest { id, etag, payment_reference })),
        (
            target(),
            prop::option::weighted(0.95, (int32(1..=5), prop_oneof![1 => Just(String::new()), 1 => long()], output_enum(3), prop::option::weighted(0.1, time()))
                .prop_map(|(score, comment, resolution_number, rate_time)| Rating { score, comment, resolution_number, rate_time })),
        )
            .prop_map(|(id, rating)| Call::RateResolution(RateResolutionRequest { id, rating })),
        feed_request::<logistics_contracts::complaints::StreamChangesResponse>().prop_map(Call::StreamChanges),
        int32(0..=3).prop_map(|version| Call::GetBusinessCalendar(GetBusinessCalendarRequest { version })),
        prop::option::weighted(0.95, calendar(k, hostile))
            .prop_map(|calendar| Call::UpdateBusinessCalendar(UpdateBusinessCalendarRequest { calendar })),
        Just(Call::GetSlaPolicy(GetSlaPolicyRequest {})),
        prop::option::weighted(0.95, policy(k, hostile))
            .prop_map(|policy| Call::UpdateSlaPolicy(UpdateSlaPolicyRequest { policy })),
        Just(Call::RunSlaSweep(RunSlaSweepRequest {})),
    ]
    .boxed()
}
