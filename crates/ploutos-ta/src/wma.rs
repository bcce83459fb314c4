//! Weighted moving average (TA-Lib `WMA`).
//!
//! `WMA[t] = (1*x[t-n+1] + 2*x[t-n+2] + ... + n*x[t]) / (n(n+1)/2)`, lookback `n - 1`.
//!
//! TA-Lib's incremental form is reproduced exactly: it keeps `periodSum` (the weighted
//! sum) and `periodSub` (the plain sum); per bar `periodSub += x; periodSub -= trailing;
//! periodSum += x * n; out = periodSum / divider; periodSum -= periodSub`, where
//! `trailing` is the value that left the window on the *previous* bar (0.0 on the first
//! output). With `n == 1` TA-Lib copies the input, and so does this. New in TA-Lib 0.8
//! (and confirmed bit for bit by the fixtures): the divider is computed in `f64`
//! (`n * (n + 1) / 2.0`), and every `8 * n` outputs both totals are rebuilt from the
//! window (oldest first, weights 1..n; TA-Lib issue #254's drift fix) — an O(n) step every
//! `8n` bars, so O(1) amortised, reading the ring buffer without allocating.

use crate::error::{check_period, TaError};
use crate::impl_indicator;
use crate::ring::Ring;

/// Weighted moving average over `period` values (1..=100000).
#[derive(Clone, Debug)]
pub struct Wma {
    period: usize,
    lookback: usize,
    divider: f64,
    period_sum: f64,
    period_sub: f64,
    trailing: f64,
    since_reseed: usize,
    ring: Ring,
    seen: usize,
    out: Option<f64>,
}

impl Wma {
    /// A WMA of `period` values; rejects `period` outside 1..=100000.
    pub fn new(period: usize) -> Result<Self, TaError> {
        let period = check_period("WMA", "period", period, 1)?;
        Ok(Wma {
            period,
            lookback: period - 1,
            divider: period as f64 * (period + 1) as f64 / 2.0,
            period_sum: 0.0,
            period_sub: 0.0,
            trailing: 0.0,
            since_reseed: 8 * period,
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
        if self.period == 1 {
            self.out = Some(x);
            return self.out;
        }
        self.ring.push(x);
        if self.seen < self.lookback {
            self.seen += 1;
            self.period_sub += x;
            self.period_sum += x * self.seen as f64;
            return None;
        }
        self.period_sub += x;
        self.period_sub -= self.trailing;
        self.period_sum += x * self.period as f64;
        self.since_reseed -= 1;
        if self.since_reseed == 0 {
            // TA-Lib 0.8 re-anchors both totals from the window every 8 * period bars.
            self.since_reseed = 8 * self.period;
            self.period_sub = 0.0;
            self.period_sum = 0.0;
            let (a, b) = self.ring.oldest_first();
            for (w, &v) in a.iter().chain(b).enumerate() {
                self.period_sub += v;
                self.period_sum += v * (w + 1) as f64;
            }
        }
        // The oldest value of the current window leaves on the next bar.
        self.trailing = self.ring.oldest();
        let v = self.period_sum / self.divider;
        self.period_sum -= self.period_sub;
        self.out = Some(v);
        self.out
    }

    /// Forgets every value seen.
    pub fn reset(&mut self) {
        self.period_sum = 0.0;
        self.period_sub = 0.0;
        self.trailing = 0.0;
        self.since_reseed = 8 * self.period;
        self.ring.clear();
        self.seen = 0;
        self.out = None;
    }
}

impl_indicator!(Wma, f64, f64, |s, x| s.update(x));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic() {
        let mut w = Wma::new(3).unwrap();
        assert_eq!(w.update(1.0), None);
        assert_eq!(w.update(2.0), None);
        assert_eq!(w.update(3.0), Some((1.0 + 4.0 + 9.0) / 6.0));
        assert_eq!(w.update(4.0), Some((2.0 + 6.0 + 12.0) / 6.0));
        assert_eq!(w.update(5.0), Some((3.0 + 8.0 + 15.0) / 6.0));
    }
}
