//! Rate of change in percent (TA-Lib `ROC`).
//!
//! Lookback `n`. `ROC = ((x / x[t-n]) - 1) * 100` — TA-Lib's operation order — and **0**
//! when `x[t-n]` is exactly 0.

use crate::error::{check_period, TaError};
use crate::impl_indicator;
use crate::ring::Ring;

/// TA-Lib's ROC of `x` against `prev`.
#[inline(always)]
pub(crate) fn roc_value(x: f64, prev: f64) -> f64 {
    if prev != 0.0 {
        ((x / prev) - 1.0) * 100.0
    } else {
        0.0
    }
}

/// Rate of change over `period` bars (1..=100000; TA-Lib's default is 10).
#[derive(Clone, Debug)]
pub struct Roc {
    period: usize,
    lookback: usize,
    ring: Ring,
    seen: usize,
    out: Option<f64>,
}

impl Roc {
    /// ROC over `period` bars; rejects `period` outside 1..=100000.
    pub fn new(period: usize) -> Result<Self, TaError> {
        let period = check_period("ROC", "period", period, 1)?;
        Ok(Roc {
            period,
            lookback: period,
            ring: Ring::new(period),
            seen: 0,
            out: None,
        })
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let prev = self.ring.push(x);
        if self.seen < self.period {
            self.seen += 1;
            return None;
        }
        self.out = Some(roc_value(x, prev));
        self.out
    }

    /// Forgets every value seen.
    pub fn reset(&mut self) {
        self.ring.clear();
        self.seen = 0;
        self.out = None;
    }
}

impl_indicator!(Roc, f64, f64, |s, x| s.update(x));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic() {
        let mut r = Roc::new(2).unwrap();
        assert_eq!(r.update(100.0), None);
        assert_eq!(r.update(0.0), None);
        assert_eq!(r.update(110.0), Some(((110.0 / 100.0) - 1.0) * 100.0));
        assert_eq!(r.update(5.0), Some(0.0));
    }
}
