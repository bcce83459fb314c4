//! The order life cycle: [`OrderStatus`], [`OrderEvent`] and [`Order::apply`], one exhaustive
//! `match (status, event)` in which every impossible transition is an [`OrderError`].
//!
//! ```text
//!            Accepted            Fill (leaves > 0)          Fill (leaves = 0)
//!   New ─────────────▶ Accepted ───────────────▶ Partially ─────────────────▶ Filled
//!    │ Rejected            │  CancelRequested     filled │  CancelRequested
//!    ▼                     ▼                             ▼
//!  Rejected           PendingCancel ──Canceled──▶ Canceled ──late Fill──▶ (Filled when complete)
//!                          │ CancelRejected ─▶ back to Accepted / PartiallyFilled
//!   Accepted / PartiallyFilled ──Expired──▶ Expired ──late Fill──▶ (Filled when complete)
//! ```
//!
//! Real-world edges are cases, not surprises: a fill may arrive before the acknowledgement
//! (a market order filled at once), while a cancel is in flight, or after the cancel was
//! confirmed (a *late fill*: the fill happened at the venue first; it is applied and reported
//! as [`Transition::LateFill`]). A fill whose id was already applied is
//! [`OrderError::DuplicateFill`]: ignored, reported, never double counted.

use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use thiserror::Error;

use super::request::{OrderRequest, OrderSize};
use crate::time::Timestamp;

/// Where an order is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatus {
    /// Created, sent, not yet acknowledged.
    New,
    /// Working at the broker.
    Accepted,
    PartiallyFilled,
    Filled,
    /// A cancel was sent and not yet confirmed.
    PendingCancel,
    Canceled,
    Rejected,
    Expired,
}

impl OrderStatus {
    /// Filled, canceled, rejected or expired: nothing more will happen (but a late fill).
    pub fn is_closed(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Canceled
                | OrderStatus::Rejected
                | OrderStatus::Expired
        )
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::New => "new",
            OrderStatus::Accepted => "accepted",
            OrderStatus::PartiallyFilled => "partially_filled",
            OrderStatus::Filled => "filled",
            OrderStatus::PendingCancel => "pending_cancel",
            OrderStatus::Canceled => "canceled",
            OrderStatus::Rejected => "rejected",
            OrderStatus::Expired => "expired",
        }
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Maker or taker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Liquidity {
    Maker,
    Taker,
}

/// One execution of (part of) an order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    /// The venue's trade/execution id: the key for duplicate detection (shared: a fill is
    /// copied into several events).
    pub id: Arc<str>,
    pub time: Timestamp,
    pub price: Decimal,
    pub quantity: Decimal,
    /// Fee in the quote currency.
    pub fee: Decimal,
    pub liquidity: Liquidity,
    /// What remains of the order after this fill (0 = complete), as venues report it.
    pub leaves: Decimal,
}

impl Fill {
    /// `price × quantity`.
    pub fn quote_quantity(&self) -> Decimal {
        self.price * self.quantity
    }
}

/// Something that happened to an order at the broker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum OrderEvent {
    Accepted { time: Timestamp },
    Rejected { time: Timestamp, reason: String },
    Filled(Fill),
    CancelRequested { time: Timestamp },
    CancelRejected { time: Timestamp, reason: String },
    Canceled { time: Timestamp },
    Expired { time: Timestamp },
}

impl OrderEvent {
    /// Short name for messages.
    pub fn name(&self) -> &'static str {
        match self {
            OrderEvent::Accepted { .. } => "accepted",
            OrderEvent::Rejected { .. } => "rejected",
            OrderEvent::Filled(_) => "fill",
            OrderEvent::CancelRequested { .. } => "cancel request",
            OrderEvent::CancelRejected { .. } => "cancel rejection",
            OrderEvent::Canceled { .. } => "cancel",
            OrderEvent::Expired { .. } => "expiry",
        }
    }

    /// When it happened.
    pub fn time(&self) -> Timestamp {
        match self {
            OrderEvent::Filled(f) => f.time,
            OrderEvent::Accepted { time }
            | OrderEvent::Rejected { time, .. }
            | OrderEvent::CancelRequested { time }
            | OrderEvent::CancelRejected { time, .. }
            | OrderEvent::Canceled { time }
            | OrderEvent::Expired { time } => *time,
        }
    }
}

/// An event the order's state does not allow; the order is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    #[error("order {id}: a {event} is impossible in state {status}")]
    InvalidTransition {
        id: String,
        status: OrderStatus,
        event: &'static str,
    },
    #[error("order {id}: fill {fill_id} was already applied (duplicate ignored)")]
    DuplicateFill { id: String, fill_id: String },
    #[error("order {id}: fill of {quantity} exceeds the {remaining} left to fill")]
    Overfill {
        id: String,
        quantity: Decimal,
        remaining: Decimal,
    },
    #[error("order {id}: fill quantity {quantity} / price {price} must be positive")]
    BadFill {
        id: String,
        quantity: Decimal,
        price: Decimal,
    },
}

/// What an applied event did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    Changed {
        from: OrderStatus,
        to: OrderStatus,
    },
    /// A fill that arrived after the order was canceled or expired.
    LateFill {
        status: OrderStatus,
    },
    /// A partial fill while a cancel is in flight: the status stays `PendingCancel`.
    FilledWhilePendingCancel,
}

/// An order and everything that happened to it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Order {
    pub request: OrderRequest,
    pub status: OrderStatus,
    pub filled_quantity: Decimal,
    /// Sum of price × quantity over the fills.
    pub filled_notional: Decimal,
    pub fees: Decimal,
    /// Ids of the fills applied (duplicate detection). Most orders fill once: the first id
    /// is kept inline (no allocation per order); serialized as a list either way.
    pub fill_ids: SmallVec<[Arc<str>; 1]>,
    pub created: Timestamp,
    pub updated: Timestamp,
}

impl Order {
    /// A new order (status `New`).
    pub fn new(request: OrderRequest, created: Timestamp) -> Self {
        Order {
            request,
            status: OrderStatus::New,
            filled_quantity: Decimal::ZERO,
            filled_notional: Decimal::ZERO,
            fees: Decimal::ZERO,
            fill_ids: SmallVec::new(),
            created,
            updated: created,
        }
    }

    /// Average fill price, if anything filled.
    pub fn average_price(&self) -> Option<Decimal> {
        crate::money::is_positive(self.filled_quantity)
            .then(|| self.filled_notional / self.filled_quantity)
    }

    /// Quantity still to fill, when the order was sized by quantity.
    pub fn remaining(&self) -> Option<Decimal> {
        match self.request.size {
            OrderSize::Quantity(q) => Some(q - self.filled_quantity),
            OrderSize::Notional(_) => None,
        }
    }

    fn invalid(&self, event: &OrderEvent) -> OrderError {
        OrderError::InvalidTransition {
            id: self.request.client_id.to_string(),
            status: self.status,
            event: event.name(),
        }
    }

    fn add_fill(&mut self, f: &Fill) -> Result<(), OrderError> {
        let id = || self.request.client_id.to_string();
        if self.fill_ids.contains(&f.id) {
            return Err(OrderError::DuplicateFill {
                id: id(),
                fill_id: f.id.to_string(),
            });
        }
        if !crate::money::is_positive(f.quantity) || !crate::money::is_positive(f.price) {
            return Err(OrderError::BadFill {
                id: id(),
                quantity: f.quantity,
                price: f.price,
            });
        }
        if let Some(remaining) = self.remaining() {
            if f.quantity > remaining {
                return Err(OrderError::Overfill {
                    id: id(),
                    quantity: f.quantity,
                    remaining,
                });
            }
        }
        self.fill_ids.push(f.id.clone());
        self.filled_quantity += f.quantity;
        self.filled_notional += f.price * f.quantity;
        self.fees += f.fee;
        Ok(())
    }

    /// Applies one event; on error nothing changed.
    pub fn apply(&mut self, event: &OrderEvent) -> Result<Transition, OrderError> {
        use OrderEvent as E;
        use OrderStatus as S;
        let from = self.status;
        let to = match (from, event) {
            (S::New, E::Accepted { .. }) => S::Accepted,
            (S::New, E::Rejected { .. }) => S::Rejected,
            (S::New | S::Accepted | S::PartiallyFilled, E::Filled(f)) => {
                self.add_fill(f)?;
                if f.leaves.is_zero() {
                    S::Filled
                } else {
                    S::PartiallyFilled
                }
            }
            (S::PendingCancel, E::Filled(f)) => {
                self.add_fill(f)?;
                if f.leaves.is_zero() {
                    S::Filled
                } else {
                    self.updated = f.time;
                    return Ok(Transition::FilledWhilePendingCancel);
                }
            }
            (S::Canceled | S::Expired, E::Filled(f)) => {
                self.add_fill(f)?;
                self.updated = f.time;
                if f.leaves.is_zero() {
                    self.status = S::Filled;
                }
                return Ok(Transition::LateFill { status: from });
            }
            (S::New | S::Accepted | S::PartiallyFilled, E::CancelRequested { .. }) => {
                S::PendingCancel
            }
            (S::PendingCancel, E::CancelRejected { .. }) => {
                if self.filled_quantity.is_zero() {
                    S::Accepted
                } else {
                    S::PartiallyFilled
                }
            }
            (S::New | S::Accepted | S::PartiallyFilled | S::PendingCancel, E::Canceled { .. }) => {
                S::Canceled
            }
            (S::New | S::Accepted | S::PartiallyFilled, E::Expired { .. }) => S::Expired,
            (
                S::Accepted
                | S::PartiallyFilled
                | S::Filled
                | S::PendingCancel
                | S::Canceled
                | S::Rejected
                | S::Expired,
                E::Accepted { .. } | E::Rejected { .. },
            )
            | (S::New | S::Accepted | S::PartiallyFilled, E::CancelRejected { .. })
            | (S::Filled | S::Canceled | S::Rejected | S::Expired, E::CancelRejected { .. })
            | (S::Filled | S::Rejected, E::Filled(_))
            | (
                S::Filled | S::Canceled | S::Rejected | S::Expired | S::PendingCancel,
                E::CancelRequested { .. },
            )
            | (S::Filled | S::Canceled | S::Rejected | S::Expired, E::Canceled { .. })
            | (
                S::Filled | S::Canceled | S::Rejected | S::Expired | S::PendingCancel,
                E::Expired { .. },
            ) => return Err(self.invalid(event)),
        };
        self.status = to;
        self.updated = event.time();
        Ok(Transition::Changed { from, to })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::order::{ClientOrderId, OrderKind, TimeInForce};
    use crate::{Side, Symbol};
    use rust_decimal_macros::dec;

    fn order(qty: Decimal) -> Order {
        let req = OrderRequest {
            client_id: ClientOrderId::new("s-1").unwrap(),
            strategy: "s".into(),
            symbol: Symbol::new("SPY").unwrap(),
            side: Side::Buy,
            kind: OrderKind::Limit { limit: dec!(100) },
            size: OrderSize::Quantity(qty),
            tif: TimeInForce::Gtc,
            contingency: Default::default(),
            reduce_only: false,
            reason: "entry".into(),
        };
        req.validate().unwrap();
        Order::new(req, Timestamp::EPOCH)
    }

    fn fill(id: &str, qty: Decimal, leaves: Decimal) -> OrderEvent {
        OrderEvent::Filled(Fill {
            id: id.into(),
            time: Timestamp::from_nanos(1),
            price: dec!(100),
            quantity: qty,
            fee: dec!(0.1),
            liquidity: Liquidity::Maker,
            leaves,
        })
    }

    const T: Timestamp = Timestamp::EPOCH;

    #[test]
    fn the_happy_path() {
        let mut o = order(dec!(10));
        o.apply(&OrderEvent::Accepted { time: T }).unwrap();
        assert_eq!(
            o.apply(&fill("a", dec!(4), dec!(6))).unwrap(),
            Transition::Changed {
                from: OrderStatus::Accepted,
                to: OrderStatus::PartiallyFilled
            }
        );
        o.apply(&fill("b", dec!(6), dec!(0))).unwrap();
        assert_eq!(o.status, OrderStatus::Filled);
        assert_eq!(o.filled_quantity, dec!(10));
        assert_eq!(o.average_price(), Some(dec!(100)));
        assert_eq!(o.fees, dec!(0.2));
    }

    #[test]
    fn a_duplicate_fill_is_reported_and_not_counted() {
        let mut o = order(dec!(10));
        o.apply(&fill("a", dec!(4), dec!(6))).unwrap();
        let e = o.apply(&fill("a", dec!(4), dec!(6))).unwrap_err();
        assert!(matches!(e, OrderError::DuplicateFill { .. }), "{e}");
        assert_eq!(o.filled_quantity, dec!(4));
    }

    #[test]
    fn a_late_fill_after_cancel_is_applied_and_reported() {
        let mut o = order(dec!(10));
        o.apply(&OrderEvent::Accepted { time: T }).unwrap();
        o.apply(&OrderEvent::CancelRequested { time: T }).unwrap();
        assert_eq!(
            o.apply(&fill("a", dec!(3), dec!(7))).unwrap(),
            Transition::FilledWhilePendingCancel
        );
        o.apply(&OrderEvent::Canceled { time: T }).unwrap();
        assert_eq!(
            o.apply(&fill("b", dec!(7), dec!(0))).unwrap(),
            Transition::LateFill {
                status: OrderStatus::Canceled
            }
        );
        assert_eq!(
            (o.status, o.filled_quantity),
            (OrderStatus::Filled, dec!(10))
        );
    }

    #[test]
    fn impossible_transitions_are_errors_and_change_nothing() {
        let mut o = order(dec!(10));
        o.apply(&OrderEvent::Rejected {
            time: T,
            reason: "no".into(),
        })
        .unwrap();
        let before = o.clone();
        for ev in [
            OrderEvent::Accepted { time: T },
            fill("x", dec!(1), dec!(9)),
            OrderEvent::CancelRequested { time: T },
            OrderEvent::Canceled { time: T },
            OrderEvent::Expired { time: T },
        ] {
            assert!(
                matches!(o.apply(&ev), Err(OrderError::InvalidTransition { .. })),
                "{ev:?}"
            );
            assert_eq!(o, before);
        }
        let mut o = order(dec!(10));
        assert!(matches!(
            o.apply(&fill("a", dec!(11), dec!(0))),
            Err(OrderError::Overfill { .. })
        ));
        assert!(matches!(
            o.apply(&fill("a", dec!(0), dec!(10))),
            Err(OrderError::BadFill { .. })
        ));
    }

    #[test]
    fn a_rejected_cancel_goes_back_to_working() {
        let mut o = order(dec!(10));
        o.apply(&OrderEvent::Accepted { time: T }).unwrap();
        o.apply(&fill("a", dec!(2), dec!(8))).unwrap();
        o.apply(&OrderEvent::CancelRequested { time: T }).unwrap();
        o.apply(&OrderEvent::CancelRejected {
            time: T,
            reason: "too late".into(),
        })
        .unwrap();
        assert_eq!(o.status, OrderStatus::PartiallyFilled);
    }
}
