//! Bollinger Bands with an SMA middle band (TA-Lib `BBANDS`, `matype = SMA`).
//!
//! Lookback `n - 1`. `middle = SMA(n)` (TA-Lib's running total, see [`crate::Sma`]:
//! add the new value, divide by `n`, subtract the leaving value); the deviation is the
//! population standard deviation from TA-Lib 0.8's cancellation-free shifted-data variance
//! (see [`crate::StdDev`]; the rebuild triggers and the 1e-12 relative floor are shared),
//! `dev = sqrt(var)` (0 when `var` is exactly 0). TA-Lib before 0.8 used raw
//! `mean(x²) - mean(x)²` and zeroed variances below 1e-8, collapsing the bands of
//! small-priced series; 0.8 does not, and neither does this.
//! Then `upper = middle + dev * nbdev_up`, `lower = middle - dev * nbdev_dn`.

use crate::error::{check_multiplier, check_period, TaError};
use crate::impl_indicator;
use crate::ring::Ring;
use crate::var::ShiftedVar;

/// One Bollinger Bands output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BollingerOutput {
    /// `middle + nbdev_up * stddev`.
    pub upper: f64,
    /// The SMA.
    pub middle: f64,
    /// `middle - nbdev_dn * stddev`.
    pub lower: f64,
}

/// Bollinger Bands: period 2..=100000, finite deviation multipliers.
#[derive(Clone, Debug)]
pub struct BollingerBands {
    period: usize,
    lookback: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    total: f64,
    ring: Ring,
    var: ShiftedVar,
    seen: usize,
    out: Option<BollingerOutput>,
}

/// TA-Lib's band arithmetic (`dev * nbdev` computed once when both multipliers are equal,
/// which is bit-identical to computing it twice).
#[inline(always)]
pub(crate) fn bands(middle: f64, dev: f64, up: f64, dn: f64) -> BollingerOutput {
    BollingerOutput {
        upper: middle + dev * up,
        middle,
        lower: middle - dev * dn,
    }
}

impl BollingerBands {
    /// Bands over `period` values (2..=100000) at `nbdev_up` / `nbdev_dn` population
    /// standard deviations (finite, within ±3e37). TA-Lib's usual setting is `(20, 2.0, 2.0)`.
    pub fn new(period: usize, nbdev_up: f64, nbdev_dn: f64) -> Result<Self, TaError> {
        let period = check_period("BBANDS", "period", period, 2)?;
        let nbdev_up = check_multiplier("BBANDS", "nbdev_up", nbdev_up)?;
        let nbdev_dn = check_multiplier("BBANDS", "nbdev_dn", nbdev_dn)?;
        Ok(BollingerBands {
            period,
            lookback: period - 1,
            nbdev_up,
            nbdev_dn,
            total: 0.0,
            ring: Ring::new(period),
            var: ShiftedVar::new(period),
            seen: 0,
            out: None,
        })
    }

    /// `(period, nbdev_up, nbdev_dn)`.
    pub fn params(&self) -> (usize, f64, f64) {
        (self.period, self.nbdev_up, self.nbdev_dn)
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<BollingerOutput> {
        self.total += x;
        self.ring.push(x);
        let var = self.var.update(x);
        if self.seen < self.lookback {
            self.seen += 1;
            return None;
        }
        let middle = self.total / self.period as f64;
        self.total -= self.ring.oldest();
        let dev = match var {
            Some(v) if v != 0.0 => v.sqrt(),
            _ => 0.0,
        };
        self.out = Some(bands(middle, dev, self.nbdev_up, self.nbdev_dn));
        self.out
    }

    /// Forgets every value seen.
    pub fn reset(&mut self) {
        self.total = 0.0;
        self.ring.clear();
        self.var.reset();
        self.seen = 0;
        self.out = None;
    }
}

impl_indicator!(BollingerBands, f64, BollingerOutput, |s, x| s.update(x));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_series_collapses() {
        let mut b = BollingerBands::new(3, 2.0, 2.0).unwrap();
        b.update(7.0);
        b.update(7.0);
        let o = b.update(7.0).unwrap();
        assert_eq!((o.upper, o.middle, o.lower), (7.0, 7.0, 7.0));
    }

    #[test]
    fn known_values() {
        let mut b = BollingerBands::new(2, 1.0, 1.0).unwrap();
        b.update(1.0);
        let o = b.update(3.0).unwrap();
        assert_eq!((o.upper, o.middle, o.lower), (3.0, 2.0, 1.0));
    }

    #[test]
    fn rejects_bad_params() {
        assert!(BollingerBands::new(1, 2.0, 2.0).is_err());
        let e = BollingerBands::new(20, f64::NAN, 2.0).unwrap_err();
        assert!(e.to_string().contains("nbdev_up"), "{e}");
    }
}
