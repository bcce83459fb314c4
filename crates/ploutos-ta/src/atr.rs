//! Average true range, Wilder's smoothing (TA-Lib `ATR`).
//!
//! Lookback `n` (one bar for the first true range, then `n` true ranges). The seed is the
//! mean of the true ranges of bars `1..=n` (summed from 0.0, divided by `n`). Then, as in
//! TA-Lib 0.8 (older releases did `atr = (atr * (n-1) + tr) / n` in three steps):
//! `wBeta = (n - 1) / n`, `wAlpha = 1 - wBeta` and
//! `atr = fma(wBeta, atr, wAlpha * tr)` — one fused multiply-add over the product
//! `wAlpha * tr`, which is how the `ta-lib` 0.8 wheel evaluates
//! `wAlpha * tr + wBeta * atr` (confirmed bit for bit by the fixtures). With `n == 1` the
//! output is the plain true range.
//!
//! (Note that ADX/DI use a *different* Wilder form, `prev - prev / n + x`; see
//! [`crate::Dmi`].)

use ploutos_core::Bar;

use crate::error::{check_period, TaError};
use crate::impl_indicator;
use crate::trange::true_range;

/// Average true range over `period` bars (1..=100000).
#[derive(Clone, Debug)]
pub struct Atr {
    period: usize,
    lookback: usize,
    n: f64,
    w_beta: f64,
    w_alpha: f64,
    prev_close: f64,
    sum: f64,
    atr: f64,
    seen: usize,
    out: Option<f64>,
}

impl Atr {
    /// ATR over `period` bars; rejects `period` outside 1..=100000.
    pub fn new(period: usize) -> Result<Self, TaError> {
        let period = check_period("ATR", "period", period, 1)?;
        Ok(Atr {
            period,
            lookback: period,
            n: period as f64,
            w_beta: (period - 1) as f64 / period as f64,
            w_alpha: 1.0 - (period - 1) as f64 / period as f64,
            prev_close: 0.0,
            sum: 0.0,
            atr: 0.0,
            seen: 0,
            out: None,
        })
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
        let seen = self.seen;
        let prev = std::mem::replace(&mut self.prev_close, close);
        if seen == 0 {
            self.seen = 1;
            return None;
        }
        let tr = true_range(high, low, prev);
        if self.period == 1 {
            self.out = Some(tr);
            return self.out;
        }
        if seen < self.period {
            self.sum += tr;
            self.seen += 1;
            return None;
        }
        if seen == self.period {
            self.sum += tr;
            self.atr = self.sum / self.n;
            self.seen += 1;
        } else {
            self.atr = self.w_beta.mul_add(self.atr, self.w_alpha * tr);
        }
        self.out = Some(self.atr);
        self.out
    }

    /// Feeds one [`Bar`].
    #[inline]
    pub fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
        self.update(bar.high(), bar.low(), bar.close())
    }

    /// Forgets every bar seen.
    pub fn reset(&mut self) {
        self.prev_close = 0.0;
        self.sum = 0.0;
        self.atr = 0.0;
        self.seen = 0;
        self.out = None;
    }
}

impl_indicator!(Atr, (f64, f64, f64), f64, |s, (h, l, c)| s.update(h, l, c));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_and_smooth() {
        let mut a = Atr::new(2).unwrap();
        assert_eq!(a.lookback(), 2);
        assert_eq!(a.update(10.0, 9.0, 9.5), None);
        assert_eq!(a.update(10.0, 9.0, 9.5), None); // tr 1
        assert_eq!(a.update(11.0, 9.0, 10.0), Some(1.5)); // tr 2
        assert_eq!(
            a.update(10.0, 10.0, 10.0),
            Some(0.5f64.mul_add(1.5, 0.5 * 0.0))
        ); // tr 0
    }
}
