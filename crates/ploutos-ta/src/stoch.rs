//! Slow stochastic oscillator with SMA smoothing (TA-Lib `STOCH`, `matype = SMA` for both
//! lines).
//!
//! Lookback `(fastk - 1) + (slowk - 1) + (slowd - 1)`; TA-Lib's defaults for Ploutos are
//! 14/3/3 (lookback 17). Per bar, over the last `fastk` bars:
//!
//! * `fastK = ((close - lowest) / (highest - lowest)) * 100` — the operation order of the
//!   TA-Lib 0.8.x C library bundled in the `ta-lib` 0.8 wheel (older TA-Lib releases
//!   computed `(close - lowest) / ((highest - lowest) / 100)`, which rounds differently in
//!   about a third of the bars; the reference fixtures confirm the 0.8 form) — and **0**
//!   when the range is exactly 0 (a flat window);
//! * `K = SMA(fastK, slowk)`, `D = SMA(K, slowd)`, each with TA-Lib's running-total SMA
//!   started at the first value of its input series.
//!
//! Only bars from the lookback on produce `{k, d}` (TA-Lib trims K to D's start). The
//! highest high / lowest low come from pre-sized monotonic deques (O(1) amortised, no
//! allocation); TA-Lib rescans the window instead, which yields the same values.

use ploutos_core::Bar;

use crate::error::{check_period, TaError};
use crate::impl_indicator;
use crate::ring::MonoDeque;
use crate::sma::Sma;

/// One stochastic output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StochOutput {
    /// Slow %K: SMA of fast %K.
    pub k: f64,
    /// Slow %D: SMA of slow %K.
    pub d: f64,
}

/// Slow stochastic: fastk, slowk, slowd in 1..=100000.
#[derive(Clone, Debug)]
pub struct Stoch {
    fastk: usize,
    lookback: usize,
    highs: MonoDeque<true>,
    lows: MonoDeque<false>,
    slowk: Sma,
    slowd: Sma,
    index: u64,
    out: Option<StochOutput>,
}

/// TA-Lib's fast %K from the window extremes.
#[inline(always)]
pub(crate) fn fast_k(close: f64, highest: f64, lowest: f64) -> f64 {
    let diff = highest - lowest;
    if diff != 0.0 {
        ((close - lowest) / diff) * 100.0
    } else {
        0.0
    }
}

impl Stoch {
    /// STOCH(fastk, slowk, slowd) with SMA smoothing; every period in 1..=100000.
    pub fn new(fastk: usize, slowk: usize, slowd: usize) -> Result<Self, TaError> {
        let fastk = check_period("STOCH", "fastk", fastk, 1)?;
        let slowk = check_period("STOCH", "slowk", slowk, 1)?;
        let slowd = check_period("STOCH", "slowd", slowd, 1)?;
        Ok(Stoch {
            fastk,
            lookback: (fastk - 1) + (slowk - 1) + (slowd - 1),
            highs: MonoDeque::new(fastk),
            lows: MonoDeque::new(fastk),
            slowk: Sma::new(slowk)?,
            slowd: Sma::new(slowd)?,
            index: 0,
            out: None,
        })
    }

    /// `(fastk, slowk, slowd)`.
    pub fn periods(&self) -> (usize, usize, usize) {
        (self.fastk, self.slowk.period(), self.slowd.period())
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<StochOutput> {
        let i = self.index;
        self.index += 1;
        let w = self.fastk as u64;
        let highest = self.highs.push(i, high, w);
        let lowest = self.lows.push(i, low, w);
        if i + 1 < w {
            return None;
        }
        let k = self.slowk.update(fast_k(close, highest, lowest))?;
        let d = self.slowd.update(k)?;
        self.out = Some(StochOutput { k, d });
        self.out
    }

    /// Feeds one [`Bar`].
    #[inline]
    pub fn update_bar(&mut self, bar: &Bar) -> Option<StochOutput> {
        self.update(bar.high(), bar.low(), bar.close())
    }

    /// Forgets every bar seen.
    pub fn reset(&mut self) {
        self.highs.clear();
        self.lows.clear();
        self.slowk.reset();
        self.slowd.reset();
        self.index = 0;
        self.out = None;
    }
}

impl_indicator!(Stoch, (f64, f64, f64), StochOutput, |s, (h, l, c)| s
    .update(h, l, c));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_window_is_zero_and_lookback() {
        let mut s = Stoch::new(3, 2, 2).unwrap();
        assert_eq!(s.lookback(), 4);
        let outs: Vec<_> = (0..6).map(|_| s.update(1.0, 1.0, 1.0)).collect();
        assert!(outs[..4].iter().all(Option::is_none));
        assert_eq!(outs[4], Some(StochOutput { k: 0.0, d: 0.0 }));
    }

    #[test]
    fn top_of_range_is_100() {
        let mut s = Stoch::new(2, 1, 1).unwrap();
        s.update(2.0, 1.0, 1.5);
        let o = s.update(3.0, 2.0, 3.0).unwrap();
        assert_eq!(o.k, 100.0);
    }
}
