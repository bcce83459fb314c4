//! [`Account`]: one strategy's cash, positions and results.

use std::collections::BTreeMap;
use std::sync::Arc;

use ploutos_core::{Decimal, Side, Symbol, Timestamp};
use serde::{Deserialize, Serialize};

use super::position::{ClosedTrade, Position};

/// One strategy's capital.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Account {
    pub strategy: Arc<str>,
    pub initial_capital: Decimal,
    pub cash: Decimal,
    pub positions: BTreeMap<Symbol, Position>,
    pub realized_pnl: Decimal,
    pub fees: Decimal,
    pub trades: u64,
    pub created: Timestamp,
    /// Σ quantity × mark of the open positions (average price where a symbol has no mark
    /// yet), recomputed by [`super::Portfolio`] on every mark and fill of a held symbol so
    /// that equity is O(1).
    #[serde(default)]
    pub market_value: Decimal,
    /// Realized PnL per symbol (before fees; fees are in `fees`).
    #[serde(default)]
    pub realized_by_symbol: BTreeMap<Symbol, Decimal>,
}

/// What one fill did to an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FillEffect {
    /// PnL realized by this fill (before its fee).
    pub realized: Decimal,
    /// Signed position after the fill.
    pub position_after: Decimal,
    /// The round trip this fill completed, if it brought the position back to flat.
    pub closed: Option<ClosedTrade>,
    /// Whether the fill opened a position from flat.
    pub opened: bool,
}

impl Account {
    /// A fresh account holding `capital` in cash.
    pub fn new(strategy: Arc<str>, capital: Decimal, created: Timestamp) -> Self {
        Account {
            strategy,
            initial_capital: capital,
            cash: capital,
            positions: BTreeMap::new(),
            realized_pnl: Decimal::ZERO,
            fees: Decimal::ZERO,
            trades: 0,
            created,
            market_value: Decimal::ZERO,
            realized_by_symbol: BTreeMap::new(),
        }
    }

    /// Cash plus open positions at `marks` (a position without a mark counts at its average
    /// price).
    pub fn equity(&self, marks: &BTreeMap<Symbol, Decimal>) -> Decimal {
        self.cash
            + self
                .positions
                .iter()
                .map(|(s, p)| p.quantity * marks.get(s).copied().unwrap_or(p.average_price))
                .sum::<Decimal>()
    }

    /// Unrealized PnL of the open positions at `marks`.
    pub fn unrealized(&self, marks: &BTreeMap<Symbol, Decimal>) -> Decimal {
        self.positions
            .iter()
            .map(|(s, p)| {
                (marks.get(s).copied().unwrap_or(p.average_price) - p.average_price) * p.quantity
            })
            .sum()
    }

    /// Applies one fill.
    pub fn apply_fill(
        &mut self,
        symbol: &Symbol,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
        time: Timestamp,
    ) -> FillEffect {
        let signed = match side {
            Side::Buy => quantity,
            Side::Sell => -quantity,
        };
        self.cash -= signed * price + fee;
        self.fees += fee;
        let (mut realized, mut closed, mut opened) = (Decimal::ZERO, None, false);
        let before = self
            .positions
            .get(symbol)
            .map_or(Decimal::ZERO, |p| p.quantity);
        let after = before + signed;
        match self.positions.get_mut(symbol) {
            None => {
                opened = true;
                self.positions.insert(
                    symbol.clone(),
                    Position {
                        quantity: signed,
                        average_price: price,
                        opened: time,
                        realized: Decimal::ZERO,
                        fees: fee,
                        max_quantity: quantity,
                    },
                );
            }
            Some(p) => {
                p.fees += fee;
                if before.is_sign_positive() == signed.is_sign_positive() {
                    // Adding to the position: new weighted average.
                    p.average_price =
                        (p.average_price * before.abs() + price * quantity) / after.abs();
                    p.quantity = after;
                    p.max_quantity = p.max_quantity.max(after.abs());
                } else {
                    // Reducing, closing or flipping.
                    let closing = quantity.min(before.abs());
                    let per_unit = if before > Decimal::ZERO {
                        price - p.average_price
                    } else {
                        p.average_price - price
                    };
                    realized = per_unit * closing;
                    p.realized += realized;
                    if after.is_zero() || after.is_sign_positive() != before.is_sign_positive() {
                        // Flat (or flipped): the round trip ends here. A flip's fee is split
                        // pro rata between the closing and the opening part.
                        let opening = quantity - closing;
                        let fee_open = if quantity.is_zero() {
                            Decimal::ZERO
                        } else {
                            fee * opening / quantity
                        };
                        let trade = ClosedTrade {
                            symbol: symbol.clone(),
                            side: if before > Decimal::ZERO {
                                Side::Buy
                            } else {
                                Side::Sell
                            },
                            opened: p.opened,
                            closed: time,
                            entry_price: p.average_price,
                            exit_price: price,
                            quantity: p.max_quantity,
                            pnl: p.realized - (p.fees - fee_open),
                            fees: p.fees - fee_open,
                        };
                        self.trades += 1;
                        closed = Some(trade);
                        if after.is_zero() {
                            self.positions.remove(symbol);
                        } else {
                            opened = true;
                            *p = Position {
                                quantity: after,
                                average_price: price,
                                opened: time,
                                realized: Decimal::ZERO,
                                fees: fee_open,
                                max_quantity: after.abs(),
                            };
                        }
                    } else {
                        p.quantity = after;
                    }
                }
            }
        }
        self.realized_pnl += realized;
        if !realized.is_zero() {
            *self.realized_by_symbol.entry(symbol.clone()).or_default() += realized;
        }
        FillEffect {
            realized,
            position_after: after,
            closed,
            opened,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn t(n: i64) -> Timestamp {
        Timestamp::from_nanos(n)
    }

    #[test]
    fn a_round_trip_by_hand() {
        let spy = Symbol::new("SPY").unwrap();
        let mut a = Account::new("s".into(), dec!(10000), t(0));
        a.apply_fill(&spy, Side::Buy, dec!(10), dec!(100), dec!(1), t(1));
        a.apply_fill(&spy, Side::Buy, dec!(10), dec!(110), dec!(1), t(2));
        assert_eq!(a.positions[&spy].average_price, dec!(105));
        assert_eq!(
            a.cash,
            dec!(10000) - dec!(1000) - dec!(1) - dec!(1100) - dec!(1)
        );
        let mut marks = BTreeMap::new();
        marks.insert(spy.clone(), dec!(120));
        assert_eq!(a.equity(&marks), a.cash + dec!(2400));
        assert_eq!(a.unrealized(&marks), dec!(300));
        let e = a.apply_fill(&spy, Side::Sell, dec!(5), dec!(120), dec!(1), t(3));
        assert_eq!(e.realized, dec!(75));
        assert!(e.closed.is_none());
        let e = a.apply_fill(&spy, Side::Sell, dec!(15), dec!(100), dec!(1), t(4));
        assert_eq!(e.realized, dec!(-75));
        let trade = e.closed.unwrap();
        assert_eq!(trade.pnl, dec!(0) - dec!(4), "75 - 75 realized, 4 in fees");
        assert_eq!(trade.quantity, dec!(20));
        assert!(a.positions.is_empty());
        assert_eq!(a.cash, dec!(10000) - dec!(4));
        assert_eq!(a.realized_pnl, dec!(0));
        assert_eq!(a.fees, dec!(4));
        assert_eq!(a.trades, 1);
    }

    #[test]
    fn a_flip_closes_then_opens() {
        let x = Symbol::new("X").unwrap();
        let mut a = Account::new("s".into(), dec!(1000), t(0));
        a.apply_fill(&x, Side::Buy, dec!(1), dec!(10), dec!(0), t(1));
        let e = a.apply_fill(&x, Side::Sell, dec!(3), dec!(12), dec!(0.3), t(2));
        let trade = e.closed.unwrap();
        assert_eq!(trade.pnl, dec!(2) - dec!(0.1));
        assert!(e.opened);
        let p = &a.positions[&x];
        assert_eq!(
            (p.quantity, p.average_price, p.fees),
            (dec!(-2), dec!(12), dec!(0.2))
        );
        // Short back to flat at 11: +2 realized.
        let e = a.apply_fill(&x, Side::Buy, dec!(2), dec!(11), dec!(0), t(3));
        assert_eq!(e.closed.unwrap().pnl, dec!(2) - dec!(0.2));
        assert_eq!(a.cash, dec!(1000) + dec!(2) - dec!(0.3) + dec!(2));
    }
}
