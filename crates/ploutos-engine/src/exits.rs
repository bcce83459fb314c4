//! Exit rules of a strategy: stop-loss, take-profit, trailing stop, partial take-profit and a
//! time limit. The engine turns them into broker orders when an entry fills (a stop or trailing
//! stop and a take-profit limit, linked one-cancels-other, all reduce-only), so that the
//! paper broker's intrabar path decides which fills first, exactly as a live broker would.
//!
//! Levels are a percent of the entry price, an absolute price distance, or ATR(14) × k at the
//! entry bar (k defaults to 1.5). Partial take-profit closes `fraction` (50%) of the position at
//! `at_pct` (+5%) and replaces the stop with a trailing stop for the rest. The time exit sells
//! at market once the position is older than `max_holding_minutes`. Every exit order carries
//! its reason (`stop_loss`, `take_profit`, `trailing_stop`, `partial_take_profit`,
//! `time_exit`, `signal`, `panic`), and so does the closed trade.

use ploutos_core::order::Trail;
use ploutos_core::{Decimal, Side};
use serde::{Deserialize, Serialize};

/// A distance from the entry price.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Level {
    /// Percent of the entry price.
    Percent(Decimal),
    /// An absolute price distance.
    Distance(Decimal),
    /// ATR(14) at entry times k.
    Atr(Decimal),
}

impl Level {
    /// The price distance for an entry at `entry` with `atr` (None when ATR is needed but
    /// unknown).
    pub fn distance(&self, entry: Decimal, atr: Option<Decimal>) -> Option<Decimal> {
        let d = match *self {
            Level::Percent(p) => entry * p / Decimal::ONE_HUNDRED,
            Level::Distance(d) => d,
            Level::Atr(k) => atr? * k,
        };
        (d > Decimal::ZERO).then_some(d)
    }
}

/// Close part of the position at a profit, trail the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartialTakeProfit {
    /// Profit (percent of entry) at which to take the partial profit.
    pub at_pct: Decimal,
    /// Share of the position to close there (0..1).
    pub fraction: Decimal,
}

impl Default for PartialTakeProfit {
    fn default() -> Self {
        PartialTakeProfit {
            at_pct: Decimal::from(5),
            fraction: Decimal::new(5, 1),
        }
    }
}

/// `[strategies.exits]`: all optional; nothing set means the strategy exits only on its own
/// SELL signal.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExitConfig {
    pub stop_loss: Option<Level>,
    pub take_profit: Option<Level>,
    /// Gap of a trailing stop that follows the best price since entry.
    pub trailing: Option<Trail>,
    pub partial_take_profit: Option<PartialTakeProfit>,
    pub max_holding_minutes: Option<u32>,
}

/// Prices of the exit orders for an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExitPlan {
    pub stop: Option<Decimal>,
    pub take_profit: Option<Decimal>,
    /// Price and quantity share of the partial take-profit.
    pub partial: Option<(Decimal, Decimal)>,
    pub trailing: Option<Trail>,
}

impl ExitConfig {
    /// The default ATR multiple when a level says `atr` without one.
    pub const DEFAULT_ATR_K: Decimal = Decimal::from_parts(15, 0, 0, false, 1);

    /// Whether any exit order is needed after an entry.
    pub fn has_orders(&self) -> bool {
        self.stop_loss.is_some()
            || self.take_profit.is_some()
            || self.trailing.is_some()
            || self.partial_take_profit.is_some()
    }

    /// Whether a level is measured in ATRs (the entry's ATR is needed).
    pub fn uses_atr(&self) -> bool {
        [self.stop_loss, self.take_profit]
            .iter()
            .any(|l| matches!(l, Some(Level::Atr(_))))
    }

    /// Exit prices for a position entered on `side` at `entry`.
    pub fn plan(&self, side: Side, entry: Decimal, atr: Option<Decimal>) -> ExitPlan {
        let away = |d: Decimal, favourable: bool| match (side, favourable) {
            (Side::Buy, true) | (Side::Sell, false) => entry + d,
            (Side::Buy, false) | (Side::Sell, true) => entry - d,
        };
        let stop = self
            .stop_loss
            .and_then(|l| l.distance(entry, atr))
            .map(|d| away(d, false))
            .filter(|p| *p > Decimal::ZERO);
        let take_profit = self
            .take_profit
            .and_then(|l| l.distance(entry, atr))
            .map(|d| away(d, true));
        let partial = self.partial_take_profit.map(|p| {
            (
                away(entry * p.at_pct / Decimal::ONE_HUNDRED, true),
                p.fraction,
            )
        });
        ExitPlan {
            stop,
            take_profit,
            partial,
            trailing: self.trailing,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn levels_by_percent_distance_and_atr() {
        let cfg = ExitConfig {
            stop_loss: Some(Level::Atr(ExitConfig::DEFAULT_ATR_K)),
            take_profit: Some(Level::Percent(dec!(6))),
            partial_take_profit: Some(PartialTakeProfit::default()),
            ..ExitConfig::default()
        };
        let p = cfg.plan(Side::Buy, dec!(100), Some(dec!(2)));
        assert_eq!(p.stop, Some(dec!(97.0)));
        assert_eq!(p.take_profit, Some(dec!(106)));
        assert_eq!(p.partial, Some((dec!(105), dec!(0.5))));
        let p = cfg.plan(Side::Sell, dec!(100), Some(dec!(2)));
        assert_eq!((p.stop, p.take_profit), (Some(dec!(103.0)), Some(dec!(94))));
        assert_eq!(
            cfg.plan(Side::Buy, dec!(100), None).stop,
            None,
            "ATR unknown"
        );
        assert_eq!(Level::Distance(dec!(0)).distance(dec!(1), None), None);
        assert_eq!(ExitConfig::DEFAULT_ATR_K, dec!(1.5));
    }

    #[test]
    fn reads_from_toml() {
        let c: ExitConfig = toml::from_str(
            "stop_loss = { atr = 1.5 }\ntake_profit = { percent = 6 }\ntrailing = { percent = 2 }\nmax_holding_minutes = 240\n[partial_take_profit]\nat_pct = 5\nfraction = 0.5\n",
        )
        .unwrap();
        assert_eq!(c.stop_loss, Some(Level::Atr(dec!(1.5))));
        assert_eq!(c.trailing, Some(Trail::Percent(dec!(2))));
        assert!(toml::from_str::<ExitConfig>("stop = 1").is_err());
    }
}
