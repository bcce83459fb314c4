//! [`Instrument`]: what a venue allows for a symbol (tick, step, minimums, fractions) and the
//! rounding that follows from it.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::{floor_to_step, round_to_step};
use crate::symbol::Symbol;

/// Stocks trade in regular exchange hours on the NYSE calendar; crypto trades around the clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AssetClass {
    Stock,
    Crypto,
}

/// Trading rules of one symbol (Binance's PRICE_FILTER / LOT_SIZE / MIN_NOTIONAL; for stocks
/// a cent tick and whole or fractional shares).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Instrument {
    pub symbol: Symbol,
    pub class: AssetClass,
    /// Prices are multiples of this (0 = any).
    pub tick_size: Decimal,
    /// Quantities are multiples of this (0 = any).
    pub step_size: Decimal,
    pub min_quantity: Decimal,
    pub min_notional: Decimal,
    /// Whether fractional quantities are allowed (stocks at some brokers; always for crypto).
    pub fractional: bool,
}

impl Instrument {
    /// A US stock: cent tick, whole shares unless `fractional`.
    pub fn stock(symbol: Symbol, fractional: bool) -> Self {
        Instrument {
            symbol,
            class: AssetClass::Stock,
            tick_size: Decimal::new(1, 2),
            step_size: if fractional {
                Decimal::new(1, 9)
            } else {
                Decimal::ONE
            },
            min_quantity: if fractional {
                Decimal::new(1, 9)
            } else {
                Decimal::ONE
            },
            min_notional: Decimal::ZERO,
            fractional,
        }
    }

    /// A crypto pair with Binance-style filters.
    pub fn crypto(
        symbol: Symbol,
        tick_size: Decimal,
        step_size: Decimal,
        min_notional: Decimal,
    ) -> Self {
        Instrument {
            symbol,
            class: AssetClass::Crypto,
            tick_size,
            step_size,
            min_quantity: step_size,
            min_notional,
            fractional: true,
        }
    }

    /// A quantity rounded down to the step (never more than asked).
    pub fn round_quantity(&self, q: Decimal) -> Decimal {
        floor_to_step(q, self.step_size).normalize()
    }

    /// A price rounded to the nearest tick.
    pub fn round_price(&self, p: Decimal) -> Decimal {
        round_to_step(p, self.tick_size).normalize()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn rounds_to_the_filters() {
        let btc = Instrument::crypto(
            Symbol::new("BTCUSDT").unwrap(),
            dec!(0.01),
            dec!(0.00001),
            dec!(5),
        );
        assert_eq!(btc.round_quantity(dec!(0.123456789)), dec!(0.12345));
        assert_eq!(btc.round_price(dec!(6412.4649)), dec!(6412.46));
        let spy = Instrument::stock(Symbol::new("SPY").unwrap(), false);
        assert_eq!(spy.round_quantity(dec!(12.9)), dec!(12));
        assert_eq!(spy.round_price(dec!(367.455)), dec!(367.46));
    }
}
