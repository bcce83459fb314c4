//! Relative strength index, Wilder's smoothing (TA-Lib `RSI`).
//!
//! Lookback `n`. This follows TA-Lib **0.8** (the C library in the `ta-lib` 0.8 wheel the
//! fixtures come from), which changed RSI in three ways (TA-Lib issues #253, #410, #480):
//!
//! * the change `d = x[t] - x[t-1]` is split branch-free: `gain = d > 0 ? d : 0`,
//!   `loss = gain - d` (so a change of 0 adds +0 to both);
//! * seed: gains and losses of bars `1..=n` summed from 0.0, then multiplied by
//!   `inv = 1.0 / n` (not divided by `n`); afterwards, per bar,
//!   `avg = avg * (n - 1); avg += gain (or loss); avg *= inv` — separate roundings, no
//!   fused multiply-add (unlike EMA/ATR in the same library);
//! * output `100 * (avgGain / (avgGain + avgLoss))` when that sum is `> 0`, else **0**
//!   (older TA-Lib returned 0 whenever the sum was within 1e-8 of zero, which zeroed the
//!   RSI of small-priced instruments; 0.8 only does so when there was no movement at all).
//!   A NaN sum also gives 0. Measured with the wheel: `talib.RSI(np.full(20, 5.0), 3)` is
//!   `[nan, nan, nan, 0, 0, …]`, a series rising by 1e-10 a bar gives 100, and a NaN input
//!   gives 0 from then on.

use crate::error::{check_period, TaError};
use crate::impl_indicator;

/// Wilder RSI over `period` changes (2..=100000).
#[derive(Clone, Debug)]
pub struct Rsi {
    period: usize,
    lookback: usize,
    inv: f64,
    n1: f64,
    gain: f64,
    loss: f64,
    prev: f64,
    seen: usize,
    out: Option<f64>,
}

/// The RSI value from the averages, with TA-Lib 0.8's guard (0 unless the sum is > 0).
#[inline(always)]
pub(crate) fn rsi_value(gain: f64, loss: f64) -> f64 {
    let t = gain + loss;
    if t > 0.0 {
        100.0 * (gain / t)
    } else {
        0.0
    }
}

/// TA-Lib 0.8's branch-free split of a change into (gain, loss).
#[inline(always)]
pub(crate) fn split(d: f64) -> (f64, f64) {
    let g = if d > 0.0 { d } else { 0.0 };
    (g, g - d)
}

impl Rsi {
    /// An RSI over `period` price changes; rejects `period` outside 2..=100000
    /// (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        let period = check_period("RSI", "period", period, 2)?;
        Ok(Rsi {
            period,
            lookback: period,
            inv: 1.0 / period as f64,
            n1: (period - 1) as f64,
            gain: 0.0,
            loss: 0.0,
            prev: 0.0,
            seen: 0,
            out: None,
        })
    }

    /// Whether the latest RSI is TA-Lib's "no movement" value: average gain plus average
    /// loss not above 0 (a flat window), where TA-Lib 0.8 outputs 0 rather than a ratio —
    /// a 0 that does not mean "oversold".
    pub fn is_flat(&self) -> bool {
        // Not `> 0`, NaN included (a poisoned average is no movement we can measure).
        let sum = self.gain + self.loss;
        self.out.is_some() && (sum.is_nan() || sum <= 0.0)
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let seen = self.seen;
        if seen == 0 {
            self.prev = x;
            self.seen = 1;
            return None;
        }
        let (g, l) = split(x - self.prev);
        self.prev = x;
        if seen < self.period {
            self.gain += g;
            self.loss += l;
            self.seen += 1;
            return None;
        }
        if seen == self.period {
            self.gain += g;
            self.loss += l;
            self.seen += 1;
        } else {
            self.loss *= self.n1;
            self.gain *= self.n1;
            self.gain += g;
            self.loss += l;
        }
        self.loss *= self.inv;
        self.gain *= self.inv;
        self.out = Some(rsi_value(self.gain, self.loss));
        self.out
    }

    /// Forgets every value seen.
    pub fn reset(&mut self) {
        self.gain = 0.0;
        self.loss = 0.0;
        self.prev = 0.0;
        self.seen = 0;
        self.out = None;
    }
}

impl_indicator!(Rsi, f64, f64, |s, x| s.update(x));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_series_is_zero_and_flat() {
        let mut r = Rsi::new(3).unwrap();
        let mut last = None;
        for _ in 0..10 {
            last = r.update(5.0);
        }
        assert_eq!(last, Some(0.0));
        assert!(r.is_flat());
        // One move up, then flat: Wilder's averages decay but stay above 0 → a ratio (100).
        assert_eq!(r.update(6.0), Some(100.0));
        assert_eq!(r.update(6.0), Some(100.0));
        assert!(!r.is_flat());
        // A rise of 1e-10 a bar is movement (0.8 has no 1e-8 band any more).
        let mut r = Rsi::new(3).unwrap();
        let mut last = None;
        for i in 0..10 {
            last = r.update(5.0 + i as f64 * 1e-10);
        }
        assert_eq!(last, Some(100.0));
        // NaN poisons the averages; TA-Lib then reports 0.
        let mut r = Rsi::new(3).unwrap();
        for _ in 0..5 {
            r.update(5.0);
        }
        assert_eq!(r.update(f64::NAN), Some(0.0));
    }

    #[test]
    fn lookback_and_up_only() {
        let mut r = Rsi::new(3).unwrap();
        assert_eq!(r.lookback(), 3);
        assert_eq!(r.update(1.0), None);
        assert_eq!(r.update(2.0), None);
        assert_eq!(r.update(3.0), None);
        assert_eq!(r.update(4.0), Some(100.0));
    }

    #[test]
    fn rejects_period_one() {
        assert!(Rsi::new(1).is_err());
    }
}
