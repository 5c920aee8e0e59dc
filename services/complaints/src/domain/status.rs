//! How a complaint moves (DOMAIN.md, 投诉处理流程): the status machine every write goes through.

use logistics_platform::named_enum;

use super::kinds::Kind;

named_enum! {
    /// Where a complaint stands.
    Status {
        /// Filed, not yet worked on.
        Received = "RECEIVED",
        /// Being investigated.
        Investigating = "INVESTIGATING",
        /// Waiting for the customer; the SLA clocks are paused.
        PendingCustomer = "PENDING_CUSTOMER",
        /// A resolution was proposed.
        ResolutionProposed = "RESOLUTION_PROPOSED",
        /// Resolved, the feedback sent.
        Resolved = "RESOLVED",
        /// Open again after a resolution.
        Reopened = "REOPENED",
        /// Done.
        Closed = "CLOSED",
    }
}

/// A write that moves a complaint from one status to another.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    /// RecordInvestigation.
    Investigate,
    /// ProposeResolution.
    Propose,
    /// WaitForCustomer.
    WaitForCustomer,
    /// ResumeComplaint, back to the status the complaint paused in.
    Resume {
        /// Where the complaint was when it began waiting.
        paused_in: Status,
    },
    /// ResolveComplaint.
    Resolve,
    /// CloseComplaint, or the automatic close.
    Close,
    /// ReopenComplaint.
    Reopen,
}

impl Move {
    /// The status the move leads to.
    pub fn target(self) -> Status {
        match self {
            Self::Investigate => Status::Investigating,
            Self::Propose => Status::ResolutionProposed,
            Self::WaitForCustomer => Status::PendingCustomer,
            Self::Resume { paused_in } => paused_in,
            Self::Resolve => Status::Resolved,
            Self::Close => Status::Closed,
            Self::Reopen => Status::Reopened,
        }
    }
}

/// A refused move: the complaint is in `current` and cannot go to `requested` that way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a {} complaint cannot become {}", current.as_str(), requested.as_str())]
pub struct IllegalTransition {
    /// Where the complaint is.
    pub current: Status,
    /// Where the write would take it.
    pub requested: Status,
}

impl Status {
    /// Whether the complaint may begin to wait for the customer from here (and come back to it).
    fn can_pause(self) -> bool {
        matches!(
            self,
            Self::Received | Self::Investigating | Self::ResolutionProposed | Self::Reopened
        )
    }

    /// Where `step` takes a complaint of `kind` from here, or why it may not. An INQUIRY or a
    /// SUGGESTION may be answered (resolved) at once; a complaint or a claim is investigated first.
    pub fn after(self, step: Move, kind: Kind) -> Result<Status, IllegalTransition> {
        use Status::*;
        let answerable_at_once = matches!(kind, Kind::Inquiry | Kind::Suggestion);
        let legal = match step {
            Move::Investigate => {
                matches!(
                    self,
                    Received | Reopened | Investigating | ResolutionProposed
                )
            }
            Move::Propose => matches!(self, Investigating | ResolutionProposed),
            Move::WaitForCustomer => self.can_pause(),
            Move::Resume { paused_in } => self == PendingCustomer && paused_in.can_pause(),
            Move::Resolve => {
                matches!(self, Investigating | ResolutionProposed)
                    || (answerable_at_once && matches!(self, Received | Reopened))
            }
            Move::Close => self == Resolved,
            Move::Reopen => matches!(self, Resolved | Closed),
        };
        if legal {
            Ok(step.target())
        } else {
            Err(IllegalTransition {
                current: self,
                requested: step.target(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;
    use super::{Kind, Move, Status};

    /// Every move that does not depend on the kind, from every status where it is legal.
    const LEGAL: &[(Status, Move)] = &[
        (Received, Move::Investigate),
        (Reopened, Move::Investigate),
        (Investigating, Move::Investigate),
        (ResolutionProposed, Move::Investigate),
        (Investigating, Move::Propose),
        (ResolutionProposed, Move::Propose),
        (Received, Move::WaitForCustomer),
        (Investigating, Move::WaitForCustomer),
        (ResolutionProposed, Move::WaitForCustomer),
        (Reopened, Move::WaitForCustomer),
        (Investigating, Move::Resolve),
        (ResolutionProposed, Move::Resolve),
        (Resolved, Move::Close),
        (Resolved, Move::Reopen),
        (Closed, Move::Reopen),
    ];

    fn every_move() -> Vec<Move> {
        let mut moves = vec![
            Move::Investigate,
            Move::Propose,
            Move::WaitForCustomer,
            Move::Resolve,
            Move::Close,
            Move::Reopen,
        ];
        moves.extend(
            Status::ALL
                .iter()
                .map(|&paused_in| Move::Resume { paused_in }),
        );
        moves
    }

    #[test]
    fn a_complaint_moves_exactly_as_the_process_lists() {
        for kind in [Kind::Complaint, Kind::Claim] {
            for &from in Status::ALL {
                for step in every_move() {
                    let listed = LEGAL.contains(&(from, step))
                        || matches!(
                            (from, step),
                            (PendingCustomer, Move::Resume { paused_in })
                                if matches!(paused_in, Received | Investigating | ResolutionProposed | Reopened)
                        );
                    match from.after(step, kind) {
                        Ok(to) => {
                            assert!(listed, "{kind:?}: {from:?} --{step:?}--> allowed");
                            assert_eq!(to, step.target());
                        }
                        Err(refused) => {
                            assert!(!listed, "{kind:?}: {from:?} --{step:?}--> refused");
                            assert_eq!(refused.current, from);
                            assert_eq!(refused.requested, step.target());
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn inquiries_and_suggestions_may_be_answered_without_an_investigation() {
        for kind in [Kind::Inquiry, Kind::Suggestion] {
            assert_eq!(Received.after(Move::Resolve, kind), Ok(Resolved));
            assert_eq!(Reopened.after(Move::Resolve, kind), Ok(Resolved));
            assert!(PendingCustomer.after(Move::Resolve, kind).is_err());
            assert!(Closed.after(Move::Resolve, kind).is_err());
        }
        for kind in [Kind::Complaint, Kind::Claim] {
            let refused = Received.after(Move::Resolve, kind).unwrap_err();
            assert_eq!((refused.current, refused.requested), (Received, Resolved));
        }
    }

    #[test]
    fn waiting_for_the_customer_returns_to_where_it_paused() {
        for from in [Received, Investigating, ResolutionProposed, Reopened] {
            let waiting = from.after(Move::WaitForCustomer, Kind::Complaint).unwrap();
            assert_eq!(waiting, PendingCustomer);
            let back = waiting.after(Move::Resume { paused_in: from }, Kind::Complaint);
            assert_eq!(back, Ok(from));
        }
        // Waiting twice is not a thing: the clocks are already paused.
        assert!(
            PendingCustomer
                .after(Move::WaitForCustomer, Kind::Complaint)
                .is_err()
        );
    }

    #[test]
    fn names_round_trip() {
        for &status in Status::ALL {
            assert_eq!(Status::parse(status.as_str()), Some(status));
        }
    }
}
