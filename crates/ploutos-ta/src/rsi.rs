//! Relative strength index, Wilder's smoothing (TA-Lib `RSI`).
//!
//! Lookback `n`. Over bars `1..=n` the gains and losses (`x[t] - x[t-1]`; a change of
//! exactly 0 counts as a gain of 0) are summed from 0.0 and divided by `n`; then each bar
//! `avg = avg * (n - 1); avg += gain (or avg -= change for a loss); avg /= n` — three
//! separate operations, as in TA-Lib.
//!
//! Output: `100 * (avgGain / (avgGain + avgLoss))` — TA-Lib's form, not
//! `100 - 100 / (1 + RS)` — and **0** (not 50, not NaN) whenever `avgGain + avgLoss` is
//! "zero" in TA-Lib's sense, `TA_IS_ZERO`: `-1e-8 < x < 1e-8`. So a flat series gives
//! RSI 0, and so does a series whose average moves are below 1e-8 (e.g. tiny-priced
//! assets quoted in BTC/ETH with very small moves).

use crate::error::{check_period, TaError};
use crate::{impl_indicator, ta_is_zero};

/// Wilder RSI over `period` changes (2..=100000).
#[derive(Clone, Debug)]
pub struct Rsi {
    period: usize,
    lookback: usize,
    n: f64,
    n1: f64,
    gain: f64,
    loss: f64,
    prev: f64,
    seen: usize,
    out: Option<f64>,
}

/// The RSI value from the averages, with TA-Lib's zero guard.
#[inline(always)]
pub(crate) fn rsi_value(gain: f64, loss: f64) -> f64 {
    let t = gain + loss;
    if !ta_is_zero(t) {
        100.0 * (gain / t)
    } else {
        0.0
    }
}

impl Rsi {
    /// An RSI over `period` price changes; rejects `period` outside 2..=100000
    /// (TA-Lib's range).
    pub fn new(period: usize) -> Result<Self, TaError> {
        let period = check_period("RSI", "period", period, 2)?;
        Ok(Rsi {
            period,
            lookback: period,
            n: period as f64,
            n1: (period - 1) as f64,
            gain: 0.0,
            loss: 0.0,
            prev: 0.0,
            seen: 0,
            out: None,
        })
    }

    /// Whether the latest RSI is TA-Lib's "no movement" 0: average gain plus average loss
    /// within `TA_IS_ZERO` (1e-8) of zero, where TA-Lib outputs 0 rather than a ratio.
    pub fn is_flat(&self) -> bool {
        self.out.is_some() && ta_is_zero(self.gain + self.loss)
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
        let d = x - self.prev;
        self.prev = x;
        if seen < self.period {
            if d < 0.0 {
                self.loss -= d;
            } else {
                self.gain += d;
            }
            self.seen += 1;
            return None;
        }
        if seen == self.period {
            if d < 0.0 {
                self.loss -= d;
            } else {
                self.gain += d;
            }
            self.loss /= self.n;
            self.gain /= self.n;
            self.seen += 1;
        } else {
            self.loss *= self.n1;
            self.gain *= self.n1;
            if d < 0.0 {
                self.loss -= d;
            } else {
                self.gain += d;
            }
            self.loss /= self.n;
            self.gain /= self.n;
        }
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
    fn flat_series_is_zero() {
        let mut r = Rsi::new(3).unwrap();
        let mut last = None;
        for _ in 0..10 {
            last = r.update(5.0);
        }
        assert_eq!(last, Some(0.0));
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
