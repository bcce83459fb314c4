//! Kind `rsi`: RSI mean reversion.
//!
//! **Rule**: on every bar with an RSI (Wilder, TA-Lib `RSI(period)` on closes):
//! BUY when `RSI < oversold`, SELL when `RSI > overbought`, otherwise none. These are level
//! signals: a run of oversold bars gives a BUY on each of them (the engine enters only when
//! flat, so only the first one acts). TA-Lib 0.8's RSI is 0 when the window had no movement
//! at all; that 0 is not "oversold" and gives no signal.
//!
//! **Confidence** (0–100, rounded half up) is how far beyond the threshold the RSI is, as a
//! share of the room left: BUY `100 × (oversold − RSI) / oversold`, SELL
//! `100 × (RSI − overbought) / (100 − overbought)`. Just past the threshold is near 0,
//! RSI 0 (or 100) is 100.
//!
//! **Parameters**: `period` (14, 2..=100000), `oversold` (30), `overbought` (70), with
//! `0 < oversold < overbought < 100`.
//!
//! **Warm-up**: `period + 1` bars (the first RSI is on bar index `period`).
//!
//! Indicator values: `rsi`.

use ploutos_core::{Bar, IndicatorValues, Signal, SignalKind};
use ploutos_ta::Rsi;
use toml::Table;

use super::registry::{show_f64, ta_error, Constructor, Params, StrategyError};
use super::skim::{Pending, Quiet};
use super::{fmt_num, SignalSink, Strategy, StrategyCtx};

/// The kind name.
pub const KIND: &str = "rsi";
pub const DEFAULT_PERIOD: usize = 14;
pub const DEFAULT_OVERSOLD: f64 = 30.0;
pub const DEFAULT_OVERBOUGHT: f64 = 70.0;

/// Registry entry.
pub const CONSTRUCTOR: Constructor = Constructor {
    build: from_params,
    description: "RSI reversion: BUY while RSI(period=14) < oversold (30), SELL while \
                  RSI > overbought (70); confidence = distance beyond the threshold",
};

/// RSI reversion on one symbol.
#[derive(Debug, Clone)]
pub struct RsiReversion {
    rsi: Rsi,
    oversold: f64,
    overbought: f64,
    /// The RSI of the bar a skim stopped on.
    pending: Option<Pending<Option<f64>>>,
}

impl RsiReversion {
    /// RSI over `period` changes with the two thresholds.
    pub fn new(period: usize, oversold: f64, overbought: f64) -> Result<Self, StrategyError> {
        let rsi = Rsi::new(period).map_err(ta_error(KIND, "period", period))?;
        if !(oversold > 0.0 && oversold < overbought && overbought < 100.0) {
            // Blame overbought only when oversold is fine on its own and below it.
            let (param, value, reason) =
                if oversold > 0.0 && oversold < 100.0 && oversold < overbought {
                    (
                        "overbought",
                        overbought,
                        format!("needs 0 < oversold ({oversold}) < overbought < 100"),
                    )
                } else {
                    (
                        "oversold",
                        oversold,
                        format!("needs 0 < oversold < overbought ({overbought}) < 100"),
                    )
                };
            return Err(StrategyError::InvalidParam {
                kind: KIND,
                param: param.to_owned(),
                value: show_f64(value),
                reason,
            });
        }
        Ok(RsiReversion {
            rsi,
            oversold,
            overbought,
            pending: None,
        })
    }
}

/// Registry constructor.
pub fn from_params(params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
    let mut p = Params::new(KIND, params);
    let period = p.usize("period", DEFAULT_PERIOD)?;
    let oversold = p.f64("oversold", DEFAULT_OVERSOLD)?;
    let overbought = p.f64("overbought", DEFAULT_OVERBOUGHT)?;
    p.finish()?;
    Ok(Box::new(RsiReversion::new(period, oversold, overbought)?))
}

/// `round(100 × x)` for `x` clamped to [0, 1].
pub(crate) fn percent(x: f64) -> u8 {
    if x.is_nan() {
        0
    } else {
        (100.0 * x.clamp(0.0, 1.0)).round() as u8
    }
}

impl RsiReversion {
    /// The signal an RSI value gives (after the update that produced it): BUY below
    /// oversold, SELL above overbought, none between or while the closes have not moved.
    fn zone(&self, rsi: f64) -> Option<SignalKind> {
        if self.rsi.is_flat() {
            None
        } else if rsi < self.oversold {
            Some(SignalKind::Buy)
        } else if rsi > self.overbought {
            Some(SignalKind::Sell)
        } else {
            None
        }
    }
}

impl Strategy for RsiReversion {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn warmup(&self) -> usize {
        self.rsi.lookback() + 1
    }

    fn skim(&mut self, bars: &[Bar], quiet: &mut Quiet) -> usize {
        for (n, bar) in bars.iter().enumerate() {
            let rsi = self.rsi.update(bar.close());
            if !quiet.pass(rsi.and_then(|r| self.zone(r)), bar.close()) {
                self.pending = Some(Pending::new(bar, rsi));
                return n;
            }
        }
        bars.len()
    }

    fn on_bar(&mut self, bar: &Bar, _ctx: &StrategyCtx, out: &SignalSink<'_>) -> Option<Signal> {
        let rsi = Pending::take(&mut self.pending, bar)
            .unwrap_or_else(|| self.rsi.update(bar.close()))?;
        if self.rsi.is_flat() {
            return None;
        }
        let (kind, depth, reason) = if rsi < self.oversold {
            let depth = (self.oversold - rsi) / self.oversold;
            (SignalKind::Buy, depth, "below oversold")
        } else if rsi > self.overbought {
            let depth = (rsi - self.overbought) / (100.0 - self.overbought);
            (SignalKind::Sell, depth, "above overbought")
        } else {
            return None;
        };
        let threshold = if kind == SignalKind::Buy {
            self.oversold
        } else {
            self.overbought
        };
        if out.repeats(kind) {
            return Some(out.repeat(bar, kind, percent(depth)));
        }
        let mut values = IndicatorValues::with_capacity(1);
        values.push("rsi", rsi);
        Some(out.signal(
            bar,
            kind,
            percent(depth),
            vec![format!(
                "RSI{} at {}, {reason} {}",
                self.rsi.period(),
                fmt_num(rsi),
                fmt_num(threshold)
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
    fn hand_checked_rsi2() {
        // Changes -1, -1, +1, +1, +1. RSI(2): bar 2 seeds gain 0, loss 1 -> 0 (BUY, depth 1);
        // bar 3: gain 0.5, loss 0.5 -> 50; bar 4: 0.75 / 0.25 -> 75 (SELL, 5/30 -> 17);
        // bar 5: 0.875 / 0.125 -> 87.5 (SELL, 17.5/30 -> 58).
        let mut s = RsiReversion::new(2, 30.0, 70.0).unwrap();
        assert_eq!(s.warmup(), 3);
        let sig = run(&mut s, &[10.0, 9.0, 8.0, 9.0, 10.0, 11.0]);
        assert_eq!(kinds(&sig), [(2, Buy), (4, Sell), (5, Sell)]);
        let conf: Vec<u8> = sig.iter().map(|(_, s)| s.confidence).collect();
        assert_eq!(conf, [100, 17, 58]);
        assert_eq!(sig[1].1.indicators.get("rsi"), Some(75.0));
        assert_eq!(sig[1].1.reasons, ["RSI2 at 75.00, above overbought 70.00"]);
        assert_eq!(sig[0].1.reasons, ["RSI2 at 0.00, below oversold 30.00"]);
        assert_eq!((sig[0].1.buy_votes, sig[0].1.sell_votes), (1, 0));
        assert_eq!((sig[1].1.buy_votes, sig[1].1.sell_votes), (0, 1));
    }

    #[test]
    fn a_flat_market_is_not_oversold() {
        let mut s = RsiReversion::new(14, 30.0, 70.0).unwrap();
        assert_eq!(s.warmup(), 15);
        assert!(run(&mut s, &[5.0; 100]).is_empty());
    }

    #[test]
    fn a_v_gives_buys_on_the_way_down_and_sells_on_the_way_up() {
        let closes: Vec<f64> = (0..40)
            .map(|i| 100.0 - i as f64)
            .chain((0..40).map(|i| 61.0 + i as f64))
            .collect();
        let mut s = RsiReversion::new(14, 30.0, 70.0).unwrap();
        let sig = kinds(&run(&mut s, &closes));
        // Falling from the start: every bar with an RSI (index 14..40) is at 0 -> BUY.
        assert!(sig.iter().take(26).all(|&(i, k)| k == Buy && i < 40));
        assert_eq!(sig[0].0, 14);
        // Rising long enough ends in SELLs and the last bar is one.
        assert_eq!(sig.last(), Some(&(79, Sell)));
    }
}
