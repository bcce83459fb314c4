//! [`Fees`]: what a fill costs, in the quote currency.

use ploutos_core::order::Liquidity;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The fee schedule of the paper broker.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Fees {
    /// No fees.
    #[default]
    Zero,
    /// A fraction of the notional (`0.001` = 10 bps); `maker`, when given, for limit fills,
    /// `taker` for market, stop and trailing-stop fills.
    Rate {
        taker: Decimal,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        maker: Option<Decimal>,
    },
    /// So much per share (unit of quantity), at least `minimum` per fill.
    PerShare {
        per_share: Decimal,
        minimum: Decimal,
    },
}

impl Fees {
    /// One rate for makers and takers, in basis points of the notional.
    pub fn bps(bps: Decimal) -> Self {
        Fees::Rate {
            taker: bps / Decimal::from(10_000),
            maker: None,
        }
    }

    /// The fee of one fill.
    pub fn fee(&self, price: Decimal, quantity: Decimal, liquidity: Liquidity) -> Decimal {
        match *self {
            Fees::Zero => Decimal::ZERO,
            Fees::Rate { taker, maker } => {
                let rate = match liquidity {
                    Liquidity::Maker => maker.unwrap_or(taker),
                    Liquidity::Taker => taker,
                };
                price * quantity * rate
            }
            Fees::PerShare { per_share, minimum } => (per_share * quantity).max(minimum),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn schedules() {
        assert_eq!(
            Fees::Zero.fee(dec!(100), dec!(3), Liquidity::Taker),
            dec!(0)
        );
        let f = Fees::bps(dec!(10));
        assert_eq!(f.fee(dec!(100), dec!(3), Liquidity::Taker), dec!(0.3));
        let f = Fees::Rate {
            taker: dec!(0.001),
            maker: Some(dec!(0.0002)),
        };
        assert_eq!(f.fee(dec!(100), dec!(3), Liquidity::Maker), dec!(0.06));
        assert_eq!(f.fee(dec!(100), dec!(3), Liquidity::Taker), dec!(0.3));
        let f = Fees::PerShare {
            per_share: dec!(0.005),
            minimum: dec!(1),
        };
        assert_eq!(f.fee(dec!(50), dec!(100), Liquidity::Taker), dec!(1));
        assert_eq!(f.fee(dec!(50), dec!(1000), Liquidity::Taker), dec!(5));
    }
}
