//! [`Position`] in one symbol, and the [`ClosedTrade`] a round trip leaves.

use ploutos_core::{Decimal, Side, Symbol, Timestamp};
use serde::{Deserialize, Serialize};

/// An open position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Signed: positive long, negative short.
    pub quantity: Decimal,
    pub average_price: Decimal,
    /// When the position was opened (from flat).
    pub opened: Timestamp,
    /// Realized PnL and fees since it was opened (the round trip so far).
    pub realized: Decimal,
    pub fees: Decimal,
    /// Largest quantity held during the round trip (for the trade's return).
    pub max_quantity: Decimal,
}

/// A finished round trip, flat to flat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClosedTrade {
    pub symbol: Symbol,
    /// Buy for a long round trip, sell for a short one.
    pub side: Side,
    pub opened: Timestamp,
    pub closed: Timestamp,
    pub entry_price: Decimal,
    pub exit_price: Decimal,
    pub quantity: Decimal,
    /// Net of all fees of the round trip.
    pub pnl: Decimal,
    pub fees: Decimal,
}

impl ClosedTrade {
    /// Whether the round trip lost money (net of fees).
    pub fn is_loss(&self) -> bool {
        self.pnl < Decimal::ZERO
    }

    /// `pnl / (entry_price × quantity) × 100`.
    pub fn return_pct(&self) -> Decimal {
        let basis = self.entry_price * self.quantity;
        if basis.is_zero() {
            Decimal::ZERO
        } else {
            self.pnl / basis * Decimal::ONE_HUNDRED
        }
    }
}
