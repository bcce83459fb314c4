//! Exponential moving average (TA-Lib `EMA`, default/classic compatibility).
//!
//! `k = 2 / (n + 1)`; the first output (index `n - 1`, the lookback) is the SMA of the
//! first `n` values (summed from 0.0 in order, then divided by `n`); afterwards
//! `ema = fma(x - ema, k, ema)` — TA-Lib writes `((x - ema) * k) + ema`, and the 0.8 C
//! library in the `ta-lib` wheel evaluates it as one fused multiply-add (`f64::mul_add`,
//! a single rounding); the reference fixtures confirm it bit for bit.

use crate::error::{check_period, TaError};
use crate::impl_indicator;

/// Exponential moving average over `period` values (1..=100000).
#[derive(Clone, Debug)]
pub struct Ema {
    period: usize,
    lookback: usize,
    k: f64,
    sum: f64,
    seen: usize,
    prev: f64,
    out: Option<f64>,
}

impl Ema {
    /// An EMA of `period` values; rejects `period` outside 1..=100000.
    pub fn new(period: usize) -> Result<Self, TaError> {
        let period = check_period("EMA", "period", period, 1)?;
        Ok(Ema {
            period,
            lookback: period - 1,
            k: 2.0 / (period + 1) as f64,
            sum: 0.0,
            seen: 0,
            prev: 0.0,
            out: None,
        })
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// The smoothing factor `2 / (period + 1)`.
    pub fn k(&self) -> f64 {
        self.k
    }

    /// One step after the warm-up: `fma(x - prev, k, prev)` (see the module docs).
    #[inline(always)]
    pub fn step(prev: f64, x: f64, k: f64) -> f64 {
        (x - prev).mul_add(k, prev)
    }

    /// The last value once warmed up (what the next update continues from): a caller may then
    /// step the EMA itself with [`Ema::step`] and [`Ema::k`] per value, and hand the result
    /// back with [`Ema::set_warm_value`] — the same state as those updates, bit for bit.
    pub fn warm_value(&self) -> Option<f64> {
        (self.seen >= self.period).then_some(self.prev)
    }

    /// The state after a caller stepped a warm EMA to `value` (see [`Ema::warm_value`]).
    /// Ignored before the warm-up ends.
    pub fn set_warm_value(&mut self, value: f64) {
        if self.seen >= self.period {
            self.prev = value;
            self.out = Some(value);
        }
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        if self.seen < self.period {
            self.sum += x;
            self.seen += 1;
            if self.seen < self.period {
                return None;
            }
            self.prev = self.sum / self.period as f64;
        } else {
            self.prev = Self::step(self.prev, x, self.k);
        }
        self.out = Some(self.prev);
        self.out
    }

    /// Forgets every value seen.
    pub fn reset(&mut self) {
        self.sum = 0.0;
        self.seen = 0;
        self.prev = 0.0;
        self.out = None;
    }
}

impl_indicator!(Ema, f64, f64, |s, x| s.update(x));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_with_sma() {
        let mut e = Ema::new(3).unwrap();
        assert_eq!(e.lookback(), 2);
        assert_eq!(e.update(1.0), None);
        assert_eq!(e.update(2.0), None);
        assert_eq!(e.update(3.0), Some(2.0));
        assert_eq!(e.update(4.0), Some((4.0f64 - 2.0).mul_add(0.5, 2.0)));
    }

    #[test]
    fn rejects_zero() {
        assert!(Ema::new(0).is_err());
    }
}
