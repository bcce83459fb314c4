//! Simple moving average (TA-Lib `SMA`).
//!
//! `SMA[t] = (x[t-n+1] + ... + x[t]) / n`, lookback `n - 1`.
//!
//! TA-Lib keeps a running total: the first `n - 1` values are summed from 0.0 in order,
//! then each bar adds the new value, takes `total / n` as the output and *then* subtracts
//! the value leaving the window. This implementation does the same operations in the same
//! order, so rounding drift of the running sum is reproduced too.

use crate::error::{check_period, TaError};
use crate::impl_indicator;
use crate::ring::Ring;

/// Simple moving average over `period` values (1..=100000).
#[derive(Clone, Debug)]
pub struct Sma {
    period: usize,
    lookback: usize,
    total: f64,
    ring: Ring,
    seen: usize,
    out: Option<f64>,
}

impl Sma {
    /// An SMA of `period` values; rejects `period` outside 1..=100000.
    pub fn new(period: usize) -> Result<Self, TaError> {
        let period = check_period("SMA", "period", period, 1)?;
        Ok(Sma {
            period,
            lookback: period - 1,
            total: 0.0,
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
        self.total += x;
        self.ring.push(x);
        if self.seen < self.lookback {
            self.seen += 1;
            return None;
        }
        let sum = self.total;
        // After the push, the oldest value in the ring is the one leaving the window.
        self.total -= self.ring.oldest();
        let v = sum / self.period as f64;
        self.out = Some(v);
        self.out
    }

    /// Forgets every value seen.
    pub fn reset(&mut self) {
        self.total = 0.0;
        self.ring.clear();
        self.seen = 0;
        self.out = None;
    }
}

impl_indicator!(Sma, f64, f64, |s, x| s.update(x));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic() {
        let mut s = Sma::new(3).unwrap();
        assert_eq!(s.lookback(), 2);
        assert_eq!(s.update(1.0), None);
        assert_eq!(s.update(2.0), None);
        assert_eq!(s.update(3.0), Some(2.0));
        assert_eq!(s.update(4.0), Some(3.0));
        assert!(s.is_ready());
        s.reset();
        assert!(!s.is_ready());
        assert_eq!(s.update(5.0), None);
    }

    #[test]
    fn period_one_is_identity() {
        let mut s = Sma::new(1).unwrap();
        assert_eq!(s.update(1.5), Some(1.5));
        assert_eq!(s.update(-2.25), Some(-2.25));
    }

    #[test]
    fn rejects_bad_period() {
        let e = Sma::new(0).unwrap_err();
        assert!(e.to_string().contains("`period` = 0"), "{e}");
        assert!(Sma::new(100_001).is_err());
    }
}
