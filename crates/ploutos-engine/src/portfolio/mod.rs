//! Portfolio accounting in decimals: per strategy (each trades its own capital allocation), per
//! symbol, and in total.
//!
//! Conventions: a buy of `q` at `p` with fee `f` costs `q·p + f` cash, a sell brings
//! `q·p − f`. Positions carry a signed quantity (shorts negative) and the average entry
//! price; reducing a position realizes `(exit − average) · q` for a long (reversed for a
//! short); a fill that flips a position closes it first and opens the rest at the fill price.
//! A round trip from flat back to flat is a [`ClosedTrade`] whose PnL is net of every fee paid
//! on it (entry and exit).

mod account;
mod position;

pub use account::{Account, FillEffect};
pub use position::{ClosedTrade, Position};

use std::collections::BTreeMap;
use std::sync::Arc;

use ploutos_core::{Decimal, Side, Symbol, Timestamp};
use serde::{Deserialize, Serialize};

/// Every strategy's account and the last known price of every symbol.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Portfolio {
    pub accounts: BTreeMap<Arc<str>, Account>,
    /// Last price seen per symbol (marks open positions to market).
    pub marks: BTreeMap<Symbol, Decimal>,
}

/// `acct`'s market value at `marks`: Σ quantity × mark, each position at its average price
/// where its symbol has no mark yet. A function of the positions and marks alone (not of the
/// path the prices took), so a stretch of marks can be replaced by its last one.
fn value_at(marks: &BTreeMap<Symbol, Decimal>, acct: &Account) -> Decimal {
    acct.positions
        .iter()
        .map(|(symbol, p)| p.quantity * marks.get(symbol).copied().unwrap_or(p.average_price))
        .sum()
}

impl Portfolio {
    /// Adds a strategy account with its capital allocation.
    pub fn open_account(&mut self, strategy: Arc<str>, capital: Decimal, now: Timestamp) {
        self.accounts
            .entry(Arc::clone(&strategy))
            .or_insert_with(|| Account::new(strategy, capital, now));
    }

    /// Records the latest price of `symbol` (and revalues its holders).
    pub fn mark(&mut self, symbol: &Symbol, price: Decimal) {
        let old = match self.marks.get_mut(symbol) {
            Some(p) => Some(std::mem::replace(p, price)),
            None => self.marks.insert(symbol.clone(), price),
        };
        if old == Some(price) {
            return;
        }
        let marks = &self.marks;
        for a in self.accounts.values_mut() {
            if a.positions.contains_key(symbol) {
                a.market_value = value_at(marks, a);
            }
        }
    }

    /// Applies a fill to the strategy's account.
    #[allow(clippy::too_many_arguments)]
    pub fn apply_fill(
        &mut self,
        strategy: &str,
        symbol: &Symbol,
        side: Side,
        quantity: Decimal,
        price: Decimal,
        fee: Decimal,
        time: Timestamp,
    ) -> Option<FillEffect> {
        let marks = &self.marks;
        let acct = self.accounts.get_mut(strategy)?;
        let effect = acct.apply_fill(symbol, side, quantity, price, fee, time);
        acct.market_value = value_at(marks, acct);
        Some(effect)
    }

    /// Equity of one strategy at the marks: cash + market value, O(1).
    pub fn equity_of(&self, strategy: &str) -> Option<Decimal> {
        self.accounts.get(strategy).map(|a| a.cash + a.market_value)
    }

    /// Total equity over all strategies.
    pub fn total_equity(&self) -> Decimal {
        self.accounts
            .values()
            .map(|a| a.cash + a.market_value)
            .sum()
    }

    /// Total cash.
    pub fn total_cash(&self) -> Decimal {
        self.accounts.values().map(|a| a.cash).sum()
    }

    /// Market value of `symbol` held across all strategies (absolute, at the mark).
    pub fn exposure(&self, symbol: &Symbol) -> Decimal {
        let mark = self.marks.get(symbol).copied().unwrap_or_default();
        self.accounts
            .values()
            .filter_map(|a| a.positions.get(symbol))
            .map(|p| (p.quantity * mark).abs())
            .sum()
    }

    /// Signed quantity of `symbol` held by `strategy`.
    pub fn position(&self, strategy: &str, symbol: &Symbol) -> Decimal {
        self.accounts
            .get(strategy)
            .and_then(|a| a.positions.get(symbol))
            .map_or(Decimal::ZERO, |p| p.quantity)
    }
}
