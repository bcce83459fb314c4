//! [`Slippage`]: how much worse than the touched price a taker fill is.

use ploutos_core::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Slippage on market, stop and trailing-stop fills (never on limit fills), always against the
/// trader (a buy pays more, a sell gets less) and clamped to the bar's `[low, high]`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Slippage {
    #[default]
    Zero,
    /// Basis points of the price.
    Bps(Decimal),
    /// A fraction of the bar's high − low range (0 without a bar, in live paper mode).
    RangeShare(Decimal),
}

impl Slippage {
    /// Whether [`Slippage::apply`] reads the bar's range.
    pub fn uses_range(&self) -> bool {
        matches!(self, Slippage::RangeShare(_))
    }

    /// The price moved against `side`, before rounding and clamping. `range` is the bar's
    /// high − low.
    pub fn apply(&self, price: Decimal, range: Decimal, side: Side) -> Decimal {
        let amount = match *self {
            Slippage::Zero => return price,
            Slippage::Bps(bps) => price * bps / Decimal::from(10_000),
            Slippage::RangeShare(f) => range * f,
        };
        match side {
            Side::Buy => price + amount,
            Side::Sell => price - amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn against_the_trader() {
        let s = Slippage::Bps(dec!(10));
        assert_eq!(s.apply(dec!(100), dec!(5), Side::Buy), dec!(100.1));
        assert_eq!(s.apply(dec!(100), dec!(5), Side::Sell), dec!(99.9));
        let s = Slippage::RangeShare(dec!(0.1));
        assert_eq!(s.apply(dec!(100), dec!(5), Side::Buy), dec!(100.5));
        assert_eq!(
            Slippage::Zero.apply(dec!(100), dec!(5), Side::Sell),
            dec!(100)
        );
    }
}
