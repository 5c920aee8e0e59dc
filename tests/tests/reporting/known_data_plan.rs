//! The known data set of `known_data_set.rs` as plain data, what driving it through the services
//! left (the times they took), and every figure reporting should show for it, computed here from
//! the plan and those times alone: nothing of reporting's code is called.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use logistics_contracts::complaints::{ComplaintCategory, ComplaintKind};
use logistics_contracts::reporting::{Kpi, ScorecardDirection, ScorecardItem};
use logistics_platform::time::company_time_zone;

/// The customers of the data set, one of each kind, and the one that churns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Who {
    /// An enterprise: the customer of the statement and of the per-customer KPIs.
    Acme,
    /// An individual, with two orders (not three: three in 30 days would make it FREQUENT, a
    /// KEY customer, and the follow-up sweep would add a monthly review).
    Wang,
    /// A government body, graded C (municipal) by staff.
    Bureau,
    /// An individual who last shipped 200 days ago: the lifecycle sweep churns it.
    Gone,
}

/// How an order's pickup went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Pickup {
    /// Not picked up.
    NotYet,
    /// Picked up by the end of its pickup window.
    InWindow,
    /// Picked up after its window ended.
    AfterWindow,
}

/// How an order ended, so far.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum End {
    /// Still on its way (or not yet picked up).
    Open,
    /// Delivered, `minutes` from now (at most 4 ahead, the services allow 5), with its facts.
    Delivered {
        on_time: bool,
        damaged: i32,
        missing: i32,
        document_errors: bool,
        minutes: i64,
    },
    /// Returned to its sender.
    Returned,
}

/// One order of the data set (every order is the kit's road order of five pieces, 490 kg).
#[derive(Debug, Clone, Copy)]
pub(crate) struct OrderPlan {
    pub who: Who,
    pub pickup: Pickup,
    pub end: End,
    /// A ROUTE_CHANGED scan on the way.
    pub route_scan: bool,
    /// The delivery reports the route changed (counted once with a scan).
    pub route_at_delivery: bool,
    /// Its scans are recorded about three hours after they occurred (else within minutes).
    pub scans_late: bool,
}

/// Whether an SLA clock was kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sla {
    Within,
    Breached,
}

/// One complaint filed by the test.
#[derive(Debug, Clone)]
pub(crate) struct ComplaintPlan {
    pub who: Who,
    pub kind: ComplaintKind,
    pub category: ComplaintCategory,
    /// Acknowledged, in or after the first-response SLA; without it, its first resolution is its
    /// first answer.
    pub answer: Option<Sla>,
    /// Each resolution (reopened between them), and the rating given after it.
    pub resolutions: Vec<(Sla, Option<i32>)>,
    /// The order it concerns (its index in the plan), for a claim.
    pub about_order: Option<usize>,
}

/// One follow-up scheduled by the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Visit {
    /// Done before it was due.
    InTime,
    /// Done after it was due.
    Late,
    /// Never done: the follow-up sweep marks it MISSED.
    Missed,
    /// Called off.
    Cancelled,
}

/// The data set.
pub(crate) struct Plan {
    pub orders: Vec<OrderPlan>,
    pub complaints: Vec<ComplaintPlan>,
    pub follow_ups: Vec<(Who, Visit)>,
}

fn delivered(
    on_time: bool,
    damaged: i32,
    missing: i32,
    document_errors: bool,
    minutes: i64,
) -> End {
    End::Delivered {
        on_time,
        damaged,
        missing,
        document_errors,
        minutes,
    }
}

fn order(who: Who, pickup: Pickup, end: End) -> OrderPlan {
    OrderPlan {
        who,
        pickup,
        end,
        route_scan: false,
        route_at_delivery: false,
        scans_late: false,
    }
}

/// The known data set.
pub(crate) fn plan() -> Plan {
    use ComplaintCategory as Category;
    use ComplaintKind as Kind;
    use Pickup::{AfterWindow, InWindow, NotYet};
    use Who::{Acme, Bureau, Wang};
    let late_scans = |plan: OrderPlan| OrderPlan {
        scans_late: true,
        ..plan
    };
    let orders = vec![
        // Acme: clean; late on every count, damaged, wrong papers; lost whole; short and late
        // after a route change; returned; only created.
        order(Acme, InWindow, delivered(true, 0, 0, false, 2)),
        order(Acme, AfterWindow, delivered(false, 1, 0, true, 3)),
        late_scans(order(Acme, InWindow, delivered(true, 0, 5, false, -100))),
        OrderPlan {
            route_scan: true,
            route_at_delivery: true,
            ..order(Acme, InWindow, delivered(false, 0, 2, false, 1))
        },
        late_scans(order(Acme, InWindow, End::Returned)),
        order(Acme, NotYet, End::Open),
        // Wang: damaged and short at once; one late pickup still on its way, rerouted.
        late_scans(order(Wang, InWindow, delivered(true, 2, 1, false, -90))),
        OrderPlan {
            route_scan: true,
            ..order(Wang, AfterWindow, End::Open)
        },
        // Bureau: clean, its route changed as the driver reports at delivery; only created.
        OrderPlan {
            route_at_delivery: true,
            ..order(Bureau, InWindow, delivered(true, 0, 0, false, 4))
        },
        order(Bureau, NotYet, End::Open),
    ];
    let complaint = |who, kind, category, answer, resolutions| ComplaintPlan {
        who,
        kind,
        category,
        answer,
        resolutions,
        about_order: None,
    };
    use Sla::{Breached, Within};
    let complaints = vec![
        complaint(
            Acme,
            Kind::Complaint,
            Category::Delay,
            Some(Within),
            vec![(Within, Some(5))],
        ),
        // Answered by its resolution; rated 4, reopened, resolved again and rated 2: the latest
        // rating counts.
        complaint(
            Acme,
            Kind::Inquiry,
            Category::Billing,
            None,
            vec![(Within, Some(4)), (Within, Some(2))],
        ),
        complaint(
            Acme,
            Kind::Complaint,
            Category::Damage,
            Some(Breached),
            vec![(Breached, Some(3))],
        ),
        complaint(
            Wang,
            Kind::Suggestion,
            Category::Other,
            Some(Within),
            vec![(Breached, None)],
        ),
        complaint(
            Bureau,
            Kind::Complaint,
            Category::StaffAttitude,
            Some(Breached),
            vec![],
        ),
        complaint(Bureau, Kind::Inquiry, Category::Other, None, vec![]),
        // A claim for Acme's damaged delivery, acknowledged at once: received like any other.
        ComplaintPlan {
            about_order: Some(1),
            ..complaint(Acme, Kind::Claim, Category::Damage, Some(Within), vec![])
        },
    ];
    let follow_ups = vec![
        (Acme, Visit::InTime),
        (Acme, Visit::Late),
        (Acme, Visit::Missed),
        (Acme, Visit::Cancelled),
        (Wang, Visit::InTime),
        (Bureau, Visit::Missed),
    ];
    Plan {
        orders,
        complaints,
        follow_ups,
    }
}

/// What driving one order left: its plan and the times the services were given or took.
#[derive(Debug, Clone)]
pub(crate) struct Shipment {
    pub plan: OrderPlan,
    pub order_id: String,
    pub created: DateTime<Utc>,
    pub pieces: i64,
    pub grams: i64,
    pub picked_up: Option<DateTime<Utc>>,
    /// When each scan occurred, and when the batch was recorded (just after the call).
    pub scans: Vec<DateTime<Utc>>,
    pub scans_recorded: DateTime<Utc>,
    pub delivered: Option<DateTime<Utc>>,
    /// When the delivery was recorded: a damaged or short delivery opens a proactive case then.
    pub delivery_recorded: Option<DateTime<Utc>>,
}

/// What driving one complaint left.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub who: Who,
    pub filed: DateTime<Utc>,
    /// Its first answer (acknowledgement or resolution) within the first-response SLA; `None`
    /// when never answered.
    pub first_answer_within: Option<bool>,
    /// When each resolution was made and whether within the resolution SLA.
    pub resolutions: Vec<(DateTime<Utc>, bool)>,
    /// The latest rating: when, and the score.
    pub latest_rating: Option<(DateTime<Utc>, i32)>,
}

/// What driving one follow-up left.
#[derive(Debug, Clone)]
pub(crate) struct Callback {
    pub who: Who,
    pub due: DateTime<Utc>,
    pub done: Option<DateTime<Utc>>,
    pub cancelled: bool,
}

/// Everything the services were made to do, with its times.
#[derive(Debug, Default)]
pub(crate) struct Record {
    pub shipments: Vec<Shipment>,
    pub cases: Vec<Case>,
    pub callbacks: Vec<Callback>,
    /// When the churned customer turned CHURNED (just after the sweep).
    pub churned: Option<(Who, DateTime<Utc>)>,
}

/// A period of company-local days, inclusive.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Period {
    pub first: NaiveDate,
    pub last: NaiveDate,
}

/// The company-local day of `at`.
pub(crate) fn day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&company_time_zone()).date_naive()
}

impl Period {
    pub(crate) fn of(first: &str, last: &str) -> Self {
        Self {
            first: first.parse().unwrap(),
            last: last.parse().unwrap(),
        }
    }

    fn holds(&self, at: DateTime<Utc>) -> bool {
        (self.first..=self.last).contains(&day(at))
    }

    /// The month "YYYY-MM" as a period.
    pub(crate) fn month(month: &str) -> Self {
        let first: NaiveDate = format!("{month}-01").parse().unwrap();
        let next = first + Duration::days(32);
        let next = next.with_day(1).unwrap();
        Self {
            first,
            last: next.pred_opt().unwrap(),
        }
    }
}

/// Whether a scan recorded at `recorded` that occurred at `occurred` was recorded in time.
fn timely(occurred: DateTime<Utc>, recorded: DateTime<Utc>) -> bool {
    recorded - occurred <= Duration::minutes(15)
}

/// A delivery's cycle time in whole minutes, from creation; a delivery before the order's
/// creation (the kit's scans and deliveries may lie in the past) counts as 0.
fn cycle_minutes(shipment: &Shipment, delivered: DateTime<Utc>) -> i64 {
    (delivered - shipment.created).num_minutes().max(0)
}

/// Each KPI's (numerator, denominator) over `period` for one customer, or the whole company.
pub(crate) fn expected_kpis(
    record: &Record,
    period: Period,
    only: Option<Who>,
    active_at_start: i64,
) -> BTreeMap<Kpi, (i64, i64)> {
    let ours = |who: Who| only.is_none_or(|only| only == who);
    let mut sums: BTreeMap<Kpi, (i64, i64)> = BTreeMap::new();
    let mut add = |kpi: Kpi, numerator: i64, denominator: i64| {
        let sum = sums.entry(kpi).or_default();
        *sum = (sum.0 + numerator, sum.1 + denominator);
    };
    for shipment in record.shipments.iter().filter(|s| ours(s.plan.who)) {
        let plan = shipment.plan;
        if period.holds(shipment.created) {
            let route = plan.route_scan || plan.route_at_delivery;
            add(Kpi::RouteChangeRate, i64::from(route), 1);
            add(Kpi::ReturnRate, i64::from(plan.end == End::Returned), 1);
        }
        if shipment.picked_up.is_some_and(|at| period.holds(at)) {
            add(
                Kpi::OnTimeDispatchRate,
                i64::from(plan.pickup == Pickup::InWindow),
                1,
            );
        }
        if period.holds(shipment.scans_recorded) {
            let in_time = shipment
                .scans
                .iter()
                .filter(|at| timely(**at, shipment.scans_recorded))
                .count() as i64;
            add(
                Kpi::InformationTimeliness,
                in_time,
                shipment.scans.len() as i64,
            );
        }
        if let (
            End::Delivered {
                on_time,
                damaged,
                missing,
                document_errors,
                ..
            },
            Some(at),
        ) = (plan.end, shipment.delivered)
            && period.holds(at)
        {
            let lost = missing >= shipment.pieces as i32;
            add(Kpi::OnTimeArrivalRate, i64::from(on_time), 1);
            add(Kpi::DocumentAccuracyRate, i64::from(!document_errors), 1);
            add(Kpi::DamageRate, i64::from(damaged > 0), 1);
            add(Kpi::LossRate, i64::from(lost), 1);
            add(Kpi::ShortageRate, i64::from(missing > 0 && !lost), 1);
            // One accident per delivery, however many kinds of incident it had.
            add(Kpi::AccidentRate, i64::from(damaged > 0 || missing > 0), 1);
            let minutes = cycle_minutes(shipment, at);
            add(Kpi::AverageCycleTime, minutes, 1);
            add(Kpi::CycleTimeStddev, minutes * minutes, 1);
        }
    }
    for case in cases(record).iter().filter(|c| ours(c.who)) {
        if period.holds(case.filed) {
            add(
                Kpi::FeedbackTimeliness,
                i64::from(case.first_answer_within == Some(true)),
                1,
            );
        }
        for (at, within) in &case.resolutions {
            if period.holds(*at) {
                add(Kpi::ResolutionTimeliness, i64::from(*within), 1);
            }
        }
        if let Some((at, score)) = case.latest_rating
            && period.holds(at)
        {
            add(Kpi::ResolutionSatisfactionRate, i64::from(score >= 4), 1);
        }
    }
    for callback in callbacks(record).iter().filter(|c| ours(c.who)) {
        if !callback.cancelled && period.holds(callback.due) {
            let in_time = callback.done.is_some_and(|done| done <= callback.due);
            add(Kpi::ReturnVisitRate, i64::from(in_time), 1);
        }
    }
    let churned = record
        .churned
        .filter(|(who, at)| ours(*who) && period.holds(*at))
        .map_or(0, |_| 1);
    add(Kpi::ChurnRate, churned, active_at_start);
    for kpi in every_kpi() {
        sums.entry(kpi).or_default();
    }
    sums
}

/// Every KPI of the enum.
pub(crate) fn every_kpi() -> Vec<Kpi> {
    (1..).map_while(|n| Kpi::try_from(n).ok()).collect()
}

/// The test's complaints and the proactive case complaints opens by itself for every delivery
/// with damaged or missing pieces (DOMAIN.md), not answered. Complaints opens it from the orders
/// feed moments after the delivery is recorded: that recording's time stands for its filing.
pub(crate) fn cases(record: &Record) -> Vec<Case> {
    let mut cases = record.cases.clone();
    for shipment in &record.shipments {
        if let (
            End::Delivered {
                damaged, missing, ..
            },
            Some(at),
        ) = (shipment.plan.end, shipment.delivery_recorded)
            && (damaged > 0 || missing > 0)
        {
            cases.push(Case {
                who: shipment.plan.who,
                filed: at,
                first_answer_within: None,
                resolutions: Vec::new(),
                latest_rating: None,
            });
        }
    }
    cases
}

/// The test's follow-ups and those customers schedules by itself (DOMAIN.md): a thank-you 24
/// hours after every delivery, a check-in two days after every resolution; none done. (No
/// customer is KEY, so no monthly review.)
pub(crate) fn callbacks(record: &Record) -> Vec<Callback> {
    let mut callbacks = record.callbacks.clone();
    let due = |who, at: DateTime<Utc>, after: Duration| Callback {
        who,
        due: at + after,
        done: None,
        cancelled: false,
    };
    for shipment in &record.shipments {
        if let Some(at) = shipment.delivered {
            callbacks.push(due(shipment.plan.who, at, Duration::hours(24)));
        }
    }
    for case in &record.cases {
        for (at, _) in &case.resolutions {
            callbacks.push(due(case.who, *at, Duration::days(2)));
        }
    }
    callbacks
}

/// A monthly statement's figures, as the test computes them.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct StatementFigures {
    pub shipments: i64,
    pub pieces: i64,
    pub weight_grams: i64,
    pub dispatch: (i64, i64),
    pub arrival: (i64, i64),
    pub documents: (i64, i64),
    pub damage: i64,
    pub loss: i64,
    pub shortage: i64,
    pub complaints: i64,
    pub cycle: (i64, i64),
}

/// `who`'s statement of `month` ("YYYY-MM").
pub(crate) fn expected_statement(record: &Record, who: Who, month: &str) -> StatementFigures {
    let period = Period::month(month);
    let kpis = expected_kpis(record, period, Some(who), 0);
    let mut figures = StatementFigures::default();
    for shipment in &record.shipments {
        if shipment.plan.who == who && period.holds(shipment.created) {
            figures.shipments += 1;
            figures.pieces += shipment.pieces;
            figures.weight_grams += shipment.grams;
        }
    }
    figures.dispatch = kpis[&Kpi::OnTimeDispatchRate];
    figures.arrival = kpis[&Kpi::OnTimeArrivalRate];
    figures.documents = kpis[&Kpi::DocumentAccuracyRate];
    figures.damage = kpis[&Kpi::DamageRate].0;
    figures.loss = kpis[&Kpi::LossRate].0;
    figures.shortage = kpis[&Kpi::ShortageRate].0;
    figures.complaints = kpis[&Kpi::FeedbackTimeliness].1;
    figures.cycle = kpis[&Kpi::AverageCycleTime];
    figures
}

/// The scorecard template of the test: on-time arrival 20 points (reaches 95%, 2 points per
/// point short, zero below 70%); damage 10 points (at most 5%, 0.25 point per point over, zero
/// above 40%); feedback timeliness 30 points (reaches 90%, 1.5 points per point short, zero below
/// 30%); return visits 40 points (reaches 80%, 0.5 point per point short, no floor).
pub(crate) fn scorecard_items() -> Vec<ScorecardItem> {
    use ScorecardDirection::{HigherIsBetter, LowerIsBetter};
    let item = |kpi: Kpi, weight: i32, direction: ScorecardDirection, rule: (i32, i32, i32)| {
        ScorecardItem {
            kpi: kpi.into(),
            weight_points: weight,
            direction: direction.into(),
            target_basis_points: rule.0,
            deduction_centipoints: rule.1,
            floor_basis_points: rule.2,
        }
    };
    vec![
        item(
            Kpi::OnTimeArrivalRate,
            20,
            HigherIsBetter,
            (9500, 200, 7000),
        ),
        item(Kpi::DamageRate, 10, LowerIsBetter, (500, 25, 4000)),
        item(
            Kpi::FeedbackTimeliness,
            30,
            HigherIsBetter,
            (9000, 150, 3000),
        ),
        item(Kpi::ReturnVisitRate, 40, HigherIsBetter, (8000, 50, 0)),
    ]
}

/// A line's score by the handbook's rule (DOMAIN.md), in exact fractions: (shortfall in basis
/// points, deduction and score in hundredths of a point, past the floor), rounded to the
/// nearest, halves up; `None` when nothing was counted.
pub(crate) fn handbook_score(
    item: &ScorecardItem,
    (numerator, denominator): (i64, i64),
) -> Option<(i64, i64, i64, bool)> {
    if denominator == 0 {
        return None;
    }
    // The rate in basis points is 10000 n / d; every quantity below is kept times d.
    let (n, d) = (i128::from(numerator), i128::from(denominator));
    let rate_d = 10_000 * n;
    let target_d = i128::from(item.target_basis_points) * d;
    let floor_d = i128::from(item.floor_basis_points) * d;
    let higher = item.direction() == ScorecardDirection::HigherIsBetter;
    let (short_d, past_floor) = if higher {
        ((target_d - rate_d).max(0), rate_d < floor_d)
    } else {
        ((rate_d - target_d).max(0), rate_d > floor_d)
    };
    let half_up = |above: i128, below: i128| ((2 * above + below) / (2 * below)) as i64;
    let weight = i64::from(item.weight_points) * 100;
    // Shortfall in percentage points = short_d / (100 d); D hundredths of a point per point.
    let deduction = half_up(i128::from(item.deduction_centipoints) * short_d, 100 * d).min(weight);
    let shortfall = half_up(short_d, d);
    Some(if past_floor {
        (shortfall, weight, 0, true)
    } else {
        (shortfall, deduction, weight - deduction, false)
    })
}
