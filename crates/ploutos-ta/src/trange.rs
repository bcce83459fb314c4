//! True range (TA-Lib `TRANGE`).
//!
//! Lookback 1 (the first bar has no previous close). TA-Lib's order: start with
//! `high - low`, replace it by `|prevClose - high|` if greater, then by
//! `|prevClose - low|` if greater.

use ploutos_core::Bar;

use crate::impl_indicator;

/// TA-Lib's true range of one bar given the previous close.
#[inline(always)]
pub(crate) fn true_range(high: f64, low: f64, prev_close: f64) -> f64 {
    let mut greatest = high - low;
    let v2 = (prev_close - high).abs();
    if v2 > greatest {
        greatest = v2;
    }
    let v3 = (prev_close - low).abs();
    if v3 > greatest {
        greatest = v3;
    }
    greatest
}

/// True range; no parameters.
#[derive(Clone, Debug, Default)]
pub struct TrueRange {
    lookback: usize,
    prev_close: Option<f64>,
    out: Option<f64>,
}

impl TrueRange {
    /// A true-range stream (lookback 1).
    pub fn new() -> Self {
        TrueRange {
            lookback: 1,
            prev_close: None,
            out: None,
        }
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let prev = self.prev_close.replace(close)?;
        self.out = Some(true_range(high, low, prev));
        self.out
    }

    /// Feeds one [`Bar`].
    #[inline]
    pub fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
        self.update(bar.high(), bar.low(), bar.close())
    }

    /// Forgets every bar seen.
    pub fn reset(&mut self) {
        self.prev_close = None;
        self.out = None;
    }
}

impl_indicator!(TrueRange, (f64, f64, f64), f64, |s, (h, l, c)| s
    .update(h, l, c));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gaps_count() {
        let mut t = TrueRange::new();
        assert_eq!(t.update(10.0, 9.0, 9.5), None);
        assert_eq!(t.update(12.0, 11.0, 11.5), Some(2.5));
        assert_eq!(t.update(11.0, 8.0, 9.0), Some(3.5));
        assert_eq!(t.update(9.5, 9.0, 9.2), Some(0.5));
    }
}
