//! What a seed creates, decided up front from its RNG seed and sizes alone: pure, no I/O, so the
//! same seed always plans the same data set (and its request ids), and tests can check the plan.
//!
//! Customers first (their plan needs no clock); orders then, relative to an anchor time the run
//! takes from the suite itself (the first customer's creation time), so a second run of the same
//! seed plans the very same orders even hours later.

use chrono::{DateTime, Datelike as _, Duration, Utc};
use rand::rngs::SmallRng;
use rand::{Rng as _, SeedableRng as _};

use logistics_platform::time::company_time_zone;

pub use super::vocabulary::{ACCOUNT_MANAGERS, REGIONS, Region, SEASON};
use super::vocabulary::{COMPANY_NAMES, GIVEN_NAMES, INDUSTRIES, PUBLIC_SECTORS, SURNAMES};

/// Most customers a seed creates.
pub const MAX_CUSTOMERS: usize = 5_000;
/// Most orders per customer on average.
pub const MAX_ORDERS_PER_CUSTOMER: usize = 200;
/// Most orders of a whole seed.
pub const MAX_ORDERS: usize = 200_000;
/// How far back orders go.
pub const HISTORY_DAYS: i64 = 365;
/// Orders younger than this are still on their way (never delivered by the seed); older ones have
/// reached their outcome: the longest promise (5 days) plus the latest delivery (3 days late) fit.
pub const SETTLED_AFTER_DAYS: i64 = 10;
/// Complaints are about orders created this many days back at most (delivered within the claim
/// window of 21 days).
pub const COMPLAINT_WINDOW_DAYS: i64 = 20;

/// What kind of customer, and the grade its activity is planned to earn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Profile {
    /// An enterprise spending over 500,000 CNY a year: LARGE, KEY.
    LargeEnterprise,
    /// An enterprise spending 100,000 to 500,000 CNY: MEDIUM, GENERAL.
    MediumEnterprise,
    /// An enterprise spending less: SMALL, POTENTIAL.
    SmallEnterprise,
    /// A person shipping 3 or more times a month: FREQUENT, KEY.
    FrequentIndividual,
    /// A person shipping now and then: OCCASIONAL, POTENTIAL.
    OccasionalIndividual,
    /// A national institution: level A, KEY.
    GovernmentA,
    /// A provincial one: level B, GENERAL.
    GovernmentB,
    /// A municipal one: level C, POTENTIAL.
    GovernmentC,
}

impl Profile {
    /// Every profile, in the order the first customers take them (so any 8 customers cover all).
    pub const ALL: [Profile; 8] = [
        Profile::LargeEnterprise,
        Profile::OccasionalIndividual,
        Profile::GovernmentA,
        Profile::MediumEnterprise,
        Profile::FrequentIndividual,
        Profile::SmallEnterprise,
        Profile::GovernmentB,
        Profile::GovernmentC,
    ];

    /// The customer kind, as the proto names it.
    pub fn kind(self) -> Kind {
        match self {
            Self::LargeEnterprise | Self::MediumEnterprise | Self::SmallEnterprise => {
                Kind::Enterprise
            }
            Self::FrequentIndividual | Self::OccasionalIndividual => Kind::Individual,
            Self::GovernmentA | Self::GovernmentB | Self::GovernmentC => Kind::Government,
        }
    }

    /// Share of the customers past the first eight, in percent.
    fn share(self) -> u32 {
        match self {
            Self::LargeEnterprise => 6,
            Self::MediumEnterprise => 14,
            Self::SmallEnterprise => 25,
            Self::FrequentIndividual => 15,
            Self::OccasionalIndividual => 25,
            Self::GovernmentA | Self::GovernmentB | Self::GovernmentC => 5,
        }
    }

    /// Orders relative to the average, in percent.
    fn order_share(self) -> usize {
        match self {
            Self::LargeEnterprise => 200,
            Self::MediumEnterprise => 130,
            Self::SmallEnterprise => 80,
            Self::FrequentIndividual => 120,
            Self::OccasionalIndividual => 30,
            Self::GovernmentA | Self::GovernmentB | Self::GovernmentC => 70,
        }
    }

    /// Weight of one order, in grams: what makes the spend, hence the tier, of an enterprise.
    fn weight_grams(self, rng: &mut SmallRng) -> i64 {
        match self {
            Self::LargeEnterprise => rng.random_range(12_000_000..20_000_000),
            Self::MediumEnterprise => rng.random_range(3_000_000..5_000_000),
            Self::SmallEnterprise => rng.random_range(50_000..500_000),
            Self::FrequentIndividual | Self::OccasionalIndividual => rng.random_range(500..30_000),
            Self::GovernmentA | Self::GovernmentB | Self::GovernmentC => {
                rng.random_range(100_000..2_000_000)
            }
        }
    }
}

/// Customer kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Kind {
    /// 企业客户.
    Enterprise,
    /// 个人客户.
    Individual,
    /// 政府及其他机构客户.
    Government,
}

/// One customer to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerPlan {
    /// Its place in the plan.
    pub index: usize,
    /// What it is and is meant to become.
    pub profile: Profile,
    /// Its name.
    pub name: String,
    /// Industry or sector.
    pub industry: &'static str,
    /// Home region (index into [`REGIONS`]).
    pub region: usize,
    /// Its account manager.
    pub account_manager: &'static str,
}

/// How an order's life ends (as far as the seed takes it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Created, never confirmed (only among the newest orders).
    Created,
    /// On its way: confirmed and moved this far along its path (1: picked up ... 5: out for
    /// delivery), never beyond the anchor time.
    OnTheWay(u8),
    /// Delivered, on time or late, with the delivery's condition.
    Delivered(Delivery),
    /// Picked up, then an exception, then returned to the sender.
    Returned,
}

/// A delivery's facts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Delivery {
    /// After the promised time.
    pub late: bool,
    /// Pieces damaged.
    pub damaged: i32,
    /// Pieces missing.
    pub missing: i32,
    /// The documents had errors.
    pub document_errors: bool,
    /// Re-routed on the way.
    pub route_changed: bool,
    /// An exception on the way, cleared.
    pub exception: bool,
    /// Where in the on-time span it arrived (permille of create-to-promise), or how late (hours).
    pub timing: u32,
}

/// One order to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderPlan {
    /// Its place in the plan.
    pub index: usize,
    /// The customer (index into the plan's customers).
    pub customer: usize,
    /// Transport mode, as the proto numbers it.
    pub mode: Mode,
    /// Origin and destination (indexes into [`REGIONS`]).
    pub origin: usize,
    /// Destination.
    pub destination: usize,
    /// Minutes before the anchor it was created.
    pub minutes_ago: i64,
    /// Cargo weight in grams.
    pub weight_grams: i64,
    /// Pieces.
    pub pieces: i32,
    /// How it ends.
    pub outcome: Outcome,
}

/// Modes the seed uses (sea lanes exist only between coastal zones; left out).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Trucks.
    Road,
    /// Trains.
    Rail,
    /// Planes.
    Air,
    /// Several.
    Multimodal,
}

/// Complaint kinds and categories the seed files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Topic {
    /// A late delivery.
    Delay,
    /// Damaged pieces (a complaint).
    Damage,
    /// Damaged pieces (a claim for compensation).
    DamageClaim,
    /// Missing pieces.
    Shortage,
    /// Wrong documents.
    DocumentError,
    /// A question about an invoice.
    BillingInquiry,
    /// Rude staff.
    StaffAttitude,
    /// An idea.
    Suggestion,
}

/// How far a complaint's handling goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Stage {
    /// Filed only.
    Received,
    /// First response given.
    Acknowledged,
    /// An agent has it.
    Assigned,
    /// Findings recorded.
    Investigating,
    /// Resolved.
    Resolved,
    /// Resolved and rated by the customer.
    Rated,
}

/// One complaint to file, about a recent delivered order or none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComplaintPlan {
    /// Its place in the plan.
    pub index: usize,
    /// The customer.
    pub customer: usize,
    /// The order it is about (index into the plan's orders), if any.
    pub order: Option<usize>,
    /// What about.
    pub topic: Topic,
    /// How far it gets.
    pub stage: Stage,
    /// The customer's rating (1-5) when rated.
    pub rating: i32,
}

/// A follow-up to schedule with a customer: a periodic review of a KEY customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpPlan {
    /// Its place in the plan.
    pub index: usize,
    /// The customer.
    pub customer: usize,
    /// Days after the anchor it is due.
    pub due_in_days: i64,
    /// Done already (early).
    pub completed: bool,
}

/// The sizes of a seed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sizes {
    /// Customers.
    pub customers: usize,
    /// Orders per customer, on average.
    pub orders_per_customer: usize,
}

impl Sizes {
    /// Refuses sizes past the bounds, saying which.
    pub fn check(self) -> Result<Self, String> {
        if !(1..=MAX_CUSTOMERS).contains(&self.customers) {
            return Err(format!("--customers must be 1 to {MAX_CUSTOMERS}"));
        }
        if !(1..=MAX_ORDERS_PER_CUSTOMER).contains(&self.orders_per_customer) {
            return Err(format!(
                "--orders-per-customer must be 1 to {MAX_ORDERS_PER_CUSTOMER}"
            ));
        }
        if self.customers * self.orders_per_customer > MAX_ORDERS {
            return Err(format!(
                "{} customers x {} orders is more than {MAX_ORDERS} orders",
                self.customers, self.orders_per_customer
            ));
        }
        Ok(self)
    }
}

/// A generator for one purpose of one seed, so adding draws to one part of the plan never moves
/// another part.
fn rng(seed: u64, purpose: u64) -> SmallRng {
    SmallRng::seed_from_u64(splitmix(seed ^ splitmix(purpose)))
}

/// SplitMix64: mixes a 64-bit value into a well-spread one.
fn splitmix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The request id of the `index`-th entity of `what` in the seed `seed`: the same for every run of
/// the same seed, so a second run is answered from the services' idempotency records.
pub fn request_id(seed: u64, what: &str, index: usize) -> uuid::Uuid {
    let label = what.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
    });
    let high = splitmix(seed ^ splitmix(label ^ index as u64));
    let low = splitmix(high ^ label);
    let mut bytes = [0_u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}

fn pick_weighted<T>(rng: &mut SmallRng, items: &[T], weight: impl Fn(&T) -> u32) -> usize {
    let total: u32 = items.iter().map(&weight).sum();
    let mut at = rng.random_range(0..total);
    for (index, item) in items.iter().enumerate() {
        let w = weight(item);
        if at < w {
            return index;
        }
        at -= w;
    }
    items.len() - 1
}

/// The customers of seed `seed`: the first eight take every profile once, the rest are drawn by
/// each profile's share.
pub fn customers(seed: u64, count: usize) -> Vec<CustomerPlan> {
    let mut rng = rng(seed, 1);
    (0..count)
        .map(|index| {
            let profile = match Profile::ALL.get(index) {
                Some(profile) => *profile,
                None => Profile::ALL[pick_weighted(&mut rng, &Profile::ALL, |p| p.share())],
            };
            let region = pick_weighted(&mut rng, &REGIONS, |r| r.weight);
            let (name, industry) = match profile.kind() {
                Kind::Enterprise => (
                    format!(
                        "{} {} Co., Ltd.",
                        COMPANY_NAMES[rng.random_range(0..COMPANY_NAMES.len())],
                        INDUSTRIES[index % INDUSTRIES.len()]
                    ),
                    INDUSTRIES[index % INDUSTRIES.len()],
                ),
                Kind::Individual => (
                    format!(
                        "{} {}",
                        SURNAMES[rng.random_range(0..SURNAMES.len())],
                        GIVEN_NAMES[rng.random_range(0..GIVEN_NAMES.len())]
                    ),
                    "",
                ),
                Kind::Government => {
                    let sector = PUBLIC_SECTORS[index % PUBLIC_SECTORS.len()];
                    (
                        format!("{} {} bureau", REGIONS[region].city, sector),
                        sector,
                    )
                }
            };
            CustomerPlan {
                index,
                profile,
                name: format!("{name} #{index}"),
                industry,
                region,
                account_manager: ACCOUNT_MANAGERS[index % ACCOUNT_MANAGERS.len()],
            }
        })
        .collect()
}

/// The company-time calendar month (1-12) `minutes_ago` before `anchor`.
pub fn month_of(anchor: DateTime<Utc>, minutes_ago: i64) -> u32 {
    (anchor - Duration::minutes(minutes_ago))
        .with_timezone(&company_time_zone())
        .month()
}

/// The orders of the plan's customers, over the [`HISTORY_DAYS`] before `anchor`, by the season's
/// curve, each customer's own volume and its home region.
pub fn orders(
    seed: u64,
    customers: &[CustomerPlan],
    per_customer: usize,
    anchor: DateTime<Utc>,
) -> Vec<OrderPlan> {
    let mut rng = rng(seed, 2);
    let mut orders = Vec::new();
    for customer in customers {
        let count = (per_customer * customer.profile.order_share() / 100).max(1);
        for n in 0..count {
            // A frequent shipper's first three orders fall in the last 30 days (its grade).
            let minutes_ago = if customer.profile == Profile::FrequentIndividual && n < 3 {
                rng.random_range(SETTLED_AFTER_DAYS * 1440..30 * 1440)
            } else {
                seasonal_minutes_ago(&mut rng, anchor)
            };
            let outbound = rng.random_bool(0.7);
            let other = loop {
                let other = pick_weighted(&mut rng, &REGIONS, |r| r.weight);
                if other != customer.region || rng.random_bool(0.2) {
                    break other;
                }
            };
            let (origin, destination) = if outbound {
                (customer.region, other)
            } else {
                (other, customer.region)
            };
            let mode = match rng.random_range(0..100) {
                0..65 => Mode::Road,
                65..80 => Mode::Rail,
                80..92 => Mode::Air,
                _ => Mode::Multimodal,
            };
            let weight_grams = customer.profile.weight_grams(&mut rng);
            let pieces = (weight_grams / 25_000).clamp(1, 400) as i32;
            let outcome = outcome(&mut rng, minutes_ago, pieces);
            orders.push(OrderPlan {
                index: 0,
                customer: customer.index,
                mode,
                origin,
                destination,
                minutes_ago,
                weight_grams,
                pieces,
                outcome,
            });
        }
    }
    // Oldest first: the order numbers then run with time, as they would have.
    orders.sort_by_key(|order| std::cmp::Reverse(order.minutes_ago));
    for (index, order) in orders.iter_mut().enumerate() {
        order.index = index;
    }
    orders
}

/// Minutes before `anchor`, within the history, drawn by the season's curve (rejection sampling).
fn seasonal_minutes_ago(rng: &mut SmallRng, anchor: DateTime<Utc>) -> i64 {
    let peak = *SEASON.iter().max().expect("twelve months");
    loop {
        let minutes_ago = rng.random_range(30..HISTORY_DAYS * 1440);
        let month = month_of(anchor, minutes_ago);
        if rng.random_range(0..peak) < SEASON[month as usize - 1] {
            return minutes_ago;
        }
    }
}

fn outcome(rng: &mut SmallRng, minutes_ago: i64, pieces: i32) -> Outcome {
    if minutes_ago < SETTLED_AFTER_DAYS * 1440 {
        if minutes_ago < 2 * 1440 && rng.random_bool(0.3) {
            return Outcome::Created;
        }
        return Outcome::OnTheWay(rng.random_range(1..=5));
    }
    if rng.random_bool(0.03) {
        return Outcome::Returned;
    }
    let late = rng.random_bool(0.12);
    let mut delivery = Delivery {
        late,
        timing: if late {
            rng.random_range(6..72)
        } else {
            rng.random_range(450..950)
        },
        route_changed: rng.random_bool(0.05),
        exception: rng.random_bool(0.04),
        document_errors: rng.random_bool(0.03),
        ..Delivery::default()
    };
    match rng.random_range(0..100) {
        0..3 => delivery.damaged = rng.random_range(1..=pieces.min(3)),
        3..5 => delivery.missing = rng.random_range(1..=pieces.min(2)),
        _ => {}
    }
    Outcome::Delivered(delivery)
}

/// Complaints: one per two customers, about orders delivered in the last weeks where one fits
/// (the incident decides the topic), else inquiries, staff complaints and suggestions; handled to
/// every stage.
pub fn complaints(
    seed: u64,
    customers: &[CustomerPlan],
    orders: &[OrderPlan],
) -> Vec<ComplaintPlan> {
    let mut rng = rng(seed, 3);
    let count = customers.len().div_ceil(2);
    let recent: Vec<&OrderPlan> = orders
        .iter()
        .filter(|order| {
            matches!(order.outcome, Outcome::Delivered(_))
                && order.minutes_ago < COMPLAINT_WINDOW_DAYS * 1440
        })
        .collect();
    let stages = [
        Stage::Received,
        Stage::Acknowledged,
        Stage::Assigned,
        Stage::Investigating,
        Stage::Resolved,
        Stage::Rated,
        Stage::Rated,
    ];
    (0..count)
        .map(|index| {
            let about = (!recent.is_empty() && rng.random_bool(0.7))
                .then(|| recent[rng.random_range(0..recent.len())]);
            let (customer, order, topic) = match about {
                Some(order) => {
                    let Outcome::Delivered(delivery) = order.outcome else {
                        unreachable!("only delivered orders are complained about");
                    };
                    let topic = if delivery.damaged > 0 {
                        if rng.random_bool(0.5) {
                            Topic::DamageClaim
                        } else {
                            Topic::Damage
                        }
                    } else if delivery.missing > 0 {
                        Topic::Shortage
                    } else if delivery.document_errors {
                        Topic::DocumentError
                    } else {
                        Topic::Delay
                    };
                    (order.customer, Some(order.index), topic)
                }
                None => {
                    let topic = [
                        Topic::BillingInquiry,
                        Topic::StaffAttitude,
                        Topic::Suggestion,
                    ][rng.random_range(0..3)];
                    (rng.random_range(0..customers.len()), None, topic)
                }
            };
            let mut stage = stages[rng.random_range(0..stages.len())];
            // A claim is reviewed before it can be resolved; the seed stops at its review.
            if topic == Topic::DamageClaim {
                stage = stage.min(Stage::Investigating);
            }
            ComplaintPlan {
                index,
                customer,
                order,
                topic,
                stage,
                rating: rng.random_range(2..=5),
            }
        })
        .collect()
}

/// Periodic reviews of the KEY customers (large enterprises, frequent individuals, level-A
/// institutions), due in the coming weeks; a third done early.
pub fn follow_ups(seed: u64, customers: &[CustomerPlan]) -> Vec<FollowUpPlan> {
    let mut rng = rng(seed, 4);
    customers
        .iter()
        .filter(|customer| {
            matches!(
                customer.profile,
                Profile::LargeEnterprise | Profile::FrequentIndividual | Profile::GovernmentA
            )
        })
        .enumerate()
        .map(|(index, customer)| FollowUpPlan {
            index,
            customer: customer.index,
            due_in_days: rng.random_range(3..28),
            completed: rng.random_bool(0.33),
        })
        .collect()
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
