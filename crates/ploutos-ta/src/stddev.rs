//! Population standard deviation (TA-Lib `STDDEV`, via `VAR`).
//!
//! Lookback `n - 1`. `STDDEV = sqrt(VAR) * nbdev`, where `VAR` is TA-Lib 0.8's
//! cancellation-free shifted-data rolling variance (see the `var` module source for the
//! exact recurrence, its rebuild triggers and its 1e-12 relative floor). Unlike TA-Lib
//! before 0.8 there is no fixed 1e-8 epsilon any more: tiny-priced series get their real
//! (tiny) standard deviation, and the square root is unconditional (the variance is
//! never negative).

use crate::error::{check_multiplier, check_period, TaError};
use crate::impl_indicator;
use crate::var::ShiftedVar;

/// Rolling population standard deviation: period 2..=100000, finite `nbdev`.
#[derive(Clone, Debug)]
pub struct StdDev {
    period: usize,
    lookback: usize,
    nbdev: f64,
    var: ShiftedVar,
    out: Option<f64>,
}

impl StdDev {
    /// Standard deviation over `period` values (2..=100000), times `nbdev` (finite,
    /// within ±3e37; TA-Lib's default is 1.0).
    pub fn new(period: usize, nbdev: f64) -> Result<Self, TaError> {
        let period = check_period("STDDEV", "period", period, 2)?;
        let nbdev = check_multiplier("STDDEV", "nbdev", nbdev)?;
        Ok(StdDev {
            period,
            lookback: period - 1,
            nbdev,
            var: ShiftedVar::new(period),
            out: None,
        })
    }

    /// `(period, nbdev)`.
    pub fn params(&self) -> (usize, f64) {
        (self.period, self.nbdev)
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<f64> {
        let var = self.var.update(x)?;
        // `* 1.0` is exact, so this also covers TA-Lib's nbdev == 1.0 branch.
        self.out = Some(var.sqrt() * self.nbdev);
        self.out
    }

    /// Forgets every value seen.
    pub fn reset(&mut self) {
        self.var.reset();
        self.out = None;
    }
}

impl_indicator!(StdDev, f64, f64, |s, x| s.update(x));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known() {
        let mut s = StdDev::new(2, 1.0).unwrap();
        assert_eq!(s.update(1.0), None);
        assert_eq!(s.update(3.0), Some(1.0));
        assert_eq!(s.update(3.0), Some(0.0));
    }

    #[test]
    fn tiny_variance_is_kept() {
        let mut s = StdDev::new(2, 1.0).unwrap();
        s.update(0.001);
        let v = s.update(0.0011).unwrap();
        assert!((v - 0.00005).abs() < 1e-15, "{v}");
    }
}
