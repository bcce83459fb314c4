//! Kind `ema-trend`: EMA trend following.
//!
//! **Rule**: with `gap = EMA(fast) − EMA(slow)` of the closes (TA-Lib `EMA`, seeded with the
//! SMA of the first `period` closes), BUY on the bar where the fast EMA crosses above the slow
//! one (previous bar `gap <= 0`, this bar `gap > 0`), SELL on the bar where it crosses below
//! (previous `gap >= 0`, this `gap < 0`); no signal on any other bar (see
//! [`super::crossing`]).
//!
//! **Exits**: this kind is meant to ride a trend with fixed exits rather than wait for the
//! opposite cross. Its default take-profit and stop-loss, [`DEFAULT_TAKE_PROFIT_PCT`] (6 %)
//! and [`DEFAULT_STOP_LOSS_PCT`] (3 %) from the entry price, are applied by the engine's exit
//! rules (configurable per strategy there), not by this code: the strategy only signals.
//!
//! **Confidence**: 100 (the rule is binary).
//!
//! **Parameters**: `fast` (21), `slow` (50), `1 <= fast < slow <= 100000`.
//!
//! **Warm-up**: `slow + 1` bars (the slow EMA's first value is on bar index `slow − 1`; a
//! crossing needs that bar and the next).
//!
//! Indicator values: `ema_fast`, `ema_slow`.

use ploutos_ta::Ema;
use toml::Table;

use super::crossover::Crossover;
use super::registry::{Constructor, StrategyError};
use super::Strategy;

/// The kind name.
pub const KIND: &str = "ema-trend";
pub const DEFAULT_FAST: usize = 21;
pub const DEFAULT_SLOW: usize = 50;
/// Default take-profit of an `ema-trend` position, percent above the entry price (applied by
/// the engine's exit rules).
pub const DEFAULT_TAKE_PROFIT_PCT: f64 = 6.0;
/// Default stop-loss of an `ema-trend` position, percent below the entry price (applied by
/// the engine's exit rules).
pub const DEFAULT_STOP_LOSS_PCT: f64 = 3.0;

/// Registry entry.
pub const CONSTRUCTOR: Constructor = Constructor {
    build: from_params,
    description: "EMA trend: BUY on the bar EMA(fast=21) crosses above EMA(slow=50), SELL on \
                  the cross below; engine exits default to take-profit 6%, stop-loss 3%",
};

/// The crossover on one symbol (see [`super::crossover`]).
pub type EmaTrend = Crossover<Ema>;

/// Registry constructor.
pub fn from_params(params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
    EmaTrend::from_params(params, DEFAULT_FAST, DEFAULT_SLOW)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{kinds, run};
    use super::*;
    use ploutos_core::SignalKind::{Buy, Sell};

    #[test]
    fn a_v_then_a_crosses_once_each_way() {
        // EMA2 (k = 2/3) - EMA3 (k = 1/2), seeded with SMAs: bar 5: 6.833 - 7 < 0,
        // bar 6: 7.611 - 7.5 > 0 (BUY); bar 9: 9.171 - 9.0625 > 0, bar 10: 8.390 - 8.531 < 0
        // (SELL).
        let closes = [
            10.0, 9.0, 8.0, 7.0, 6.0, 7.0, 8.0, 9.0, 10.0, 9.0, 8.0, 7.0, 6.0,
        ];
        let mut s = EmaTrend::new(2, 3).unwrap();
        assert_eq!(s.warmup(), 4);
        let sig = run(&mut s, &closes);
        assert_eq!(kinds(&sig), [(6, Buy), (10, Sell)]);
        assert_eq!(sig[0].1.reasons, ["EMA2 crossed above EMA3 (7.61 > 7.50)"]);
        assert_eq!(sig[1].1.reasons, ["EMA2 crossed below EMA3 (8.39 < 8.53)"]);
        assert_eq!(sig[0].1.indicators.get("ema_slow"), Some(7.5));
    }

    #[test]
    fn defaults() {
        let s = EmaTrend::new(DEFAULT_FAST, DEFAULT_SLOW).unwrap();
        assert_eq!(s.warmup(), 51);
        assert!(EmaTrend::new(50, 21).is_err());
    }
}
