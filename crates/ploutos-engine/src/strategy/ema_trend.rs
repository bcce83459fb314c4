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

use ploutos_core::{Bar, IndicatorValues, Signal, SignalKind};
use ploutos_ta::Ema;
use toml::Table;

use super::registry::{ta_error, Constructor, Params, StrategyError};
use super::{crossing, fmt_num, SignalSink, Strategy, StrategyCtx};

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

/// EMA trend crossover on one symbol.
#[derive(Debug, Clone)]
pub struct EmaTrend {
    fast: Ema,
    slow: Ema,
    prev_gap: f64,
}

impl EmaTrend {
    /// `fast < slow`, both EMA periods.
    pub fn new(fast: usize, slow: usize) -> Result<Self, StrategyError> {
        let f = Ema::new(fast).map_err(ta_error(KIND, "fast", fast))?;
        let s = Ema::new(slow).map_err(ta_error(KIND, "slow", slow))?;
        if fast >= slow {
            return Err(StrategyError::InvalidParam {
                kind: KIND,
                param: "fast".to_owned(),
                value: fast.to_string(),
                reason: format!("must be below slow ({slow})"),
            });
        }
        Ok(EmaTrend {
            fast: f,
            slow: s,
            prev_gap: f64::NAN,
        })
    }
}

/// Registry constructor.
pub fn from_params(params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
    let mut p = Params::new(KIND, params);
    let fast = p.usize("fast", DEFAULT_FAST)?;
    let slow = p.usize("slow", DEFAULT_SLOW)?;
    p.finish()?;
    Ok(Box::new(EmaTrend::new(fast, slow)?))
}

impl Strategy for EmaTrend {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn warmup(&self) -> usize {
        self.slow.period() + 1
    }

    fn on_bar(&mut self, bar: &Bar, _ctx: &StrategyCtx, out: &SignalSink<'_>) -> Option<Signal> {
        let close = bar.close();
        // Update both before bailing out on warm-up.
        let (fast, slow) = (self.fast.update(close), self.slow.update(close));
        let (fast, slow) = (fast?, slow?);
        let gap = fast - slow;
        let kind = crossing(std::mem::replace(&mut self.prev_gap, gap), gap)?;
        let (dir, cmp) = if kind == SignalKind::Buy {
            ("above", '>')
        } else {
            ("below", '<')
        };
        let mut values = IndicatorValues::with_capacity(2);
        values.push("ema_fast", fast);
        values.push("ema_slow", slow);
        Some(out.signal(
            bar,
            kind,
            100,
            vec![format!(
                "EMA{} crossed {dir} EMA{} ({} {cmp} {})",
                self.fast.period(),
                self.slow.period(),
                fmt_num(fast),
                fmt_num(slow)
            )],
            values,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{kinds, run};
    use super::*;
    use SignalKind::{Buy, Sell};

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
