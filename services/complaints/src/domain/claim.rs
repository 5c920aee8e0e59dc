//! Claims for compensation (索赔): which complaints may carry one, until when, how much may be
//! approved, and how a claim moves (SUBMITTED -> UNDER_REVIEW -> APPROVED | REJECTED -> PAID).

use chrono::{DateTime, Days, FixedOffset, Months, NaiveDate, Utc};
use logistics_platform::named_enum;

use super::kinds::Category;

named_enum! {
    /// Where a claim stands.
    ClaimStatus {
        /// Filed with the complaint.
        Submitted = "SUBMITTED",
        /// Being reviewed.
        UnderReview = "UNDER_REVIEW",
        /// An amount was approved.
        Approved = "APPROVED",
        /// Turned down.
        Rejected = "REJECTED",
        /// The approved amount was paid.
        Paid = "PAID",
    }
}

impl ClaimStatus {
    /// Whether a decision (approve or reject) may be taken now.
    pub fn awaits_decision(self) -> bool {
        matches!(self, Self::Submitted | Self::UnderReview)
    }
}

/// A claim as stored with its complaint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    /// What the customer claims, in fen.
    pub claimed_fen: i64,
    /// What backs the claim: references or short descriptions.
    pub evidence: Vec<String>,
    /// Where it stands.
    pub status: ClaimStatus,
    /// The first instant at which it could no longer have been filed.
    pub window_end: DateTime<Utc>,
    /// The goods' declared value at filing, in fen; `None` when nothing was declared.
    pub declared_value_fen: Option<i64>,
    /// What was approved, in fen.
    pub approved_fen: Option<i64>,
    /// Why it was rejected.
    pub rejection_reason: Option<String>,
    /// Who approved or rejected it.
    pub reviewed_by: Option<String>,
    /// When.
    pub review_time: Option<DateTime<Utc>>,
    /// The payment's reference.
    pub payment_reference: Option<String>,
    /// When it was paid.
    pub pay_time: Option<DateTime<Utc>>,
}

/// A decision on a claim.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Pay this many fen.
    Approve(i64),
    /// Pay nothing, for this reason.
    Reject(String),
}

/// Why a claim cannot be moved as asked.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClaimMoveRefused {
    /// It was approved or rejected before.
    #[error("the claim was already decided: it is {}", .0.as_str())]
    AlreadyDecided(ClaimStatus),
    /// Only an approved claim is paid.
    #[error("only an APPROVED claim can be paid; it is {}", .0.as_str())]
    NotApproved(ClaimStatus),
    /// It was paid under another reference.
    #[error("the claim was already paid with reference {0:?}")]
    AlreadyPaid(String),
    /// The amount is too high.
    #[error(transparent)]
    Approval(#[from] ApprovalRefused),
}

impl Claim {
    /// Starts the review when the complaint's investigation begins; later investigations leave
    /// the claim as it is.
    pub fn start_review(&mut self) {
        if self.status == ClaimStatus::Submitted {
            self.status = ClaimStatus::UnderReview;
        }
    }

    /// Approves or rejects the claim, once.
    pub fn decide(
        &mut self,
        decision: Decision,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<(), ClaimMoveRefused> {
        if !self.status.awaits_decision() {
            return Err(ClaimMoveRefused::AlreadyDecided(self.status));
        }
        match decision {
            Decision::Approve(fen) => {
                check_approval(fen, self.claimed_fen, self.declared_value_fen)?;
                self.status = ClaimStatus::Approved;
                self.approved_fen = Some(fen);
            }
            Decision::Reject(reason) => {
                self.status = ClaimStatus::Rejected;
                self.rejection_reason = Some(reason);
            }
        }
        self.reviewed_by = Some(by.to_owned());
        self.review_time = Some(now);
        Ok(())
    }

    /// Records the payment of an approved claim. Paying again with the same reference changes
    /// nothing (`Ok(false)`): payment systems retry.
    pub fn mark_paid(
        &mut self,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, ClaimMoveRefused> {
        match self.status {
            ClaimStatus::Paid if self.payment_reference.as_deref() == Some(reference) => Ok(false),
            ClaimStatus::Paid => Err(ClaimMoveRefused::AlreadyPaid(
                self.payment_reference.clone().unwrap_or_default(),
            )),
            ClaimStatus::Approved => {
                self.status = ClaimStatus::Paid;
                self.payment_reference = Some(reference.to_owned());
                self.pay_time = Some(now);
                Ok(true)
            }
            other => Err(ClaimMoveRefused::NotApproved(other)),
        }
    }
}

/// How long after the shipment a claim may be filed (the service's settings).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClaimWindows {
    /// For DAMAGE, SHORTAGE and DELAY: days after the delivery.
    pub after_delivery_days: u32,
    /// For LOSS: months after the promised delivery.
    pub after_promise_months: u32,
}

impl Default for ClaimWindows {
    /// DOMAIN.md: 21 days after delivery, 9 months for non-delivery.
    fn default() -> Self {
        Self {
            after_delivery_days: 21,
            after_promise_months: 9,
        }
    }
}

/// What a claim's window is measured from, taken from the shipment at filing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShipmentTimes {
    /// When it was delivered; `None` if it was not.
    pub delivered: Option<DateTime<Utc>>,
    /// When delivery was promised; `None` if nothing was promised yet.
    pub promised: Option<DateTime<Utc>>,
}

/// Why a claim may not be filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ClaimRefused {
    /// Only DAMAGE, SHORTAGE, DELAY and LOSS are claimable.
    #[error("a claim must be about DAMAGE, SHORTAGE, DELAY or LOSS, not {}", .0.as_str())]
    NotClaimable(Category),
    /// DAMAGE, SHORTAGE and DELAY are claimed after the delivery.
    #[error("a {} claim can be filed once the order is delivered", .0.as_str())]
    BeforeDelivery(Category),
    /// A delivered order was not lost (a missing part is a SHORTAGE).
    #[error("the order was delivered: claim a SHORTAGE or DAMAGE instead of a LOSS")]
    OnDeliveredOrder,
    /// A LOSS is claimed against the promised delivery, and there is none yet.
    #[error("the order has no promised delivery time yet, so nothing is lost")]
    NothingPromised,
    /// A LOSS is claimed once the promised delivery has passed; before, the goods are on time.
    #[error("the order is promised for {0}: it is not lost before then")]
    NotYetDue(DateTime<Utc>),
    /// Too late.
    #[error("the claim window closed at {0}")]
    WindowClosed(DateTime<Utc>),
}

/// The end of the last day a claim about `category` may be filed (in the company's time zone),
/// or why no claim may be filed at all. `now` is when it is filed.
pub fn window_end(
    category: Category,
    shipment: ShipmentTimes,
    windows: ClaimWindows,
    zone: FixedOffset,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, ClaimRefused> {
    let local_date = |instant: DateTime<Utc>| instant.with_timezone(&zone).date_naive();
    let last_day = match category {
        Category::Damage | Category::Shortage | Category::Delay => {
            let delivered = shipment
                .delivered
                .ok_or(ClaimRefused::BeforeDelivery(category))?;
            local_date(delivered).checked_add_days(Days::new(windows.after_delivery_days.into()))
        }
        Category::Loss => {
            if shipment.delivered.is_some() {
                return Err(ClaimRefused::OnDeliveredOrder);
            }
            let promised = shipment.promised.ok_or(ClaimRefused::NothingPromised)?;
            if now < promised {
                return Err(ClaimRefused::NotYetDue(promised));
            }
            local_date(promised).checked_add_months(Months::new(windows.after_promise_months))
        }
        other => return Err(ClaimRefused::NotClaimable(other)),
    };
    let end = last_day
        .and_then(|day| end_of_day(day, zone))
        .unwrap_or(DateTime::<Utc>::MAX_UTC);
    if now >= end {
        return Err(ClaimRefused::WindowClosed(end));
    }
    Ok(end)
}

/// The first instant after `day` in `zone`.
fn end_of_day(day: NaiveDate, zone: FixedOffset) -> Option<DateTime<Utc>> {
    let next = day.checked_add_days(Days::new(1))?;
    let local_midnight = next.and_hms_opt(0, 0, 0)?;
    Some(local_midnight.and_local_timezone(zone).single()?.to_utc())
}

/// Why an approval is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ApprovalRefused {
    /// More than the customer asked for.
    #[error("the approved amount {approved} fen is above the claimed {claimed} fen")]
    AboveClaimed {
        /// Asked to approve.
        approved: i64,
        /// Claimed.
        claimed: i64,
    },
    /// More than the goods were declared to be worth.
    #[error("the approved amount {approved} fen is above the declared value {declared} fen")]
    AboveDeclaredValue {
        /// Asked to approve.
        approved: i64,
        /// Declared.
        declared: i64,
    },
}

/// Checks an amount to approve (fen, more than 0) against the claimed amount and the declared
/// value of the goods, when one was declared.
pub fn check_approval(
    approved: i64,
    claimed: i64,
    declared_value: Option<i64>,
) -> Result<(), ApprovalRefused> {
    if approved > claimed {
        return Err(ApprovalRefused::AboveClaimed { approved, claimed });
    }
    match declared_value {
        Some(declared) if approved > declared => {
            Err(ApprovalRefused::AboveDeclaredValue { approved, declared })
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, TimeZone, Utc};
    use logistics_platform::time::company_time_zone;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().to_utc()
    }

    fn window(
        category: Category,
        shipment: ShipmentTimes,
        now: &str,
    ) -> Result<DateTime<Utc>, ClaimRefused> {
        window_end(
            category,
            shipment,
            ClaimWindows::default(),
            company_time_zone(),
            at(now),
        )
    }

    const DELIVERED: ShipmentTimes = ShipmentTimes {
        delivered: Some(DateTime::from_timestamp_nanos(1_780_000_000_000_000_000)),
        promised: None,
    };

    #[test]
    fn damage_shortage_and_delay_may_be_claimed_until_the_end_of_the_21st_day_after_delivery() {
        // Delivered 2026-06-01 23:30 Shanghai (15:30Z): the last day is 2026-06-22, local.
        let shipment = ShipmentTimes {
            delivered: Some(at("2026-06-01T15:30:00Z")),
            promised: None,
        };
        for category in [Category::Damage, Category::Shortage, Category::Delay] {
            let end = window(category, shipment, "2026-06-22T15:59:59Z").unwrap();
            assert_eq!(end, at("2026-06-22T16:00:00Z"), "{category:?}");
            let late = window(category, shipment, "2026-06-22T16:00:00Z").unwrap_err();
            assert_eq!(late, ClaimRefused::WindowClosed(end));
        }
    }

    #[test]
    fn a_loss_may_be_claimed_until_nine_months_after_the_promised_delivery() {
        let shipment = ShipmentTimes {
            delivered: None,
            promised: Some(at("2026-05-31T02:00:00Z")),
        };
        // 2026-05-31 + 9 months is 2027-02-28 (the month has no 31st).
        let end = window(Category::Loss, shipment, "2027-02-28T00:00:00Z").unwrap();
        assert_eq!(end, Utc.with_ymd_and_hms(2027, 2, 28, 16, 0, 0).unwrap());
        assert!(window(Category::Loss, shipment, "2027-03-01T00:00:00Z").is_err());
    }

    #[test]
    fn claims_that_do_not_fit_the_shipment_are_refused_with_the_reason() {
        let in_transit = ShipmentTimes {
            delivered: None,
            promised: Some(at("2026-06-01T00:00:00Z")),
        };
        let now = "2026-06-02T00:00:00Z";
        assert_eq!(
            window(Category::Damage, in_transit, now),
            Err(ClaimRefused::BeforeDelivery(Category::Damage))
        );
        assert_eq!(
            window(Category::Loss, DELIVERED, now),
            Err(ClaimRefused::OnDeliveredOrder)
        );
        let unpromised = ShipmentTimes {
            delivered: None,
            promised: None,
        };
        assert_eq!(
            window(Category::Loss, unpromised, now),
            Err(ClaimRefused::NothingPromised)
        );
        let promised_later = ShipmentTimes {
            delivered: None,
            promised: Some(at("2026-06-03T00:00:00Z")),
        };
        assert_eq!(
            window(Category::Loss, promised_later, now),
            Err(ClaimRefused::NotYetDue(at("2026-06-03T00:00:00Z")))
        );
        for category in [Category::Billing, Category::Other, Category::StaffAttitude] {
            assert_eq!(
                window(category, DELIVERED, now),
                Err(ClaimRefused::NotClaimable(category))
            );
        }
    }

    #[test]
    fn an_approval_is_capped_by_the_claim_and_by_the_declared_value() {
        assert_eq!(check_approval(500, 500, None), Ok(()));
        assert_eq!(check_approval(400, 500, Some(400)), Ok(()));
        assert_eq!(
            check_approval(501, 500, None),
            Err(ApprovalRefused::AboveClaimed {
                approved: 501,
                claimed: 500
            })
        );
        assert_eq!(
            check_approval(450, 500, Some(400)),
            Err(ApprovalRefused::AboveDeclaredValue {
                approved: 450,
                declared: 400
            })
        );
    }

    #[test]
    fn only_a_submitted_or_reviewed_claim_awaits_a_decision() {
        let awaiting: Vec<_> = ClaimStatus::ALL
            .iter()
            .filter(|status| status.awaits_decision())
            .collect();
        assert_eq!(
            awaiting,
            [&ClaimStatus::Submitted, &ClaimStatus::UnderReview]
        );
    }

    fn submitted(claimed_fen: i64, declared_value_fen: Option<i64>) -> Claim {
        Claim {
            claimed_fen,
            evidence: vec!["photo of the crushed carton".to_owned()],
            status: ClaimStatus::Submitted,
            window_end: at("2026-07-01T00:00:00Z"),
            declared_value_fen,
            approved_fen: None,
            rejection_reason: None,
            reviewed_by: None,
            review_time: None,
            payment_reference: None,
            pay_time: None,
        }
    }

    #[test]
    fn a_claim_is_reviewed_decided_once_and_paid_once() {
        let now = at("2026-06-10T08:00:00Z");
        let mut claim = submitted(50_000, Some(40_000));
        claim.start_review();
        assert_eq!(claim.status, ClaimStatus::UnderReview);
        claim.start_review();
        assert_eq!(claim.status, ClaimStatus::UnderReview);
        assert_eq!(
            claim.decide(Decision::Approve(45_000), "lead", now),
            Err(ClaimMoveRefused::Approval(
                ApprovalRefused::AboveDeclaredValue {
                    approved: 45_000,
                    declared: 40_000
                }
            ))
        );
        assert_eq!(
            claim.mark_paid("PAY-1", now),
            Err(ClaimMoveRefused::NotApproved(ClaimStatus::UnderReview))
        );
        claim
            .decide(Decision::Approve(40_000), "lead", now)
            .unwrap();
        assert_eq!(
            (claim.status, claim.approved_fen),
            (ClaimStatus::Approved, Some(40_000))
        );
        assert_eq!(
            claim.decide(Decision::Reject("late".to_owned()), "lead", now),
            Err(ClaimMoveRefused::AlreadyDecided(ClaimStatus::Approved))
        );
        assert_eq!(claim.mark_paid("PAY-1", now), Ok(true));
        assert_eq!(claim.mark_paid("PAY-1", now), Ok(false));
        assert_eq!(
            claim.mark_paid("PAY-2", now),
            Err(ClaimMoveRefused::AlreadyPaid("PAY-1".to_owned()))
        );
    }

    #[test]
    fn a_rejected_claim_keeps_its_reason_and_is_never_paid() {
        let now = at("2026-06-10T08:00:00Z");
        let mut claim = submitted(50_000, None);
        claim
            .decide(
                Decision::Reject("packing was the customer's".to_owned()),
                "lead",
                now,
            )
            .unwrap();
        assert_eq!(claim.status, ClaimStatus::Rejected);
        assert_eq!(
            claim.rejection_reason.as_deref(),
            Some("packing was the customer's")
        );
        assert_eq!(
            claim.mark_paid("PAY-1", now),
            Err(ClaimMoveRefused::NotApproved(ClaimStatus::Rejected))
        );
    }
}
