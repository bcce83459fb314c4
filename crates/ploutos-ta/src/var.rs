//! TA-Lib 0.8's cancellation-free rolling variance (`var.c`, TA-Lib issues #118/#243),
//! shared by [`crate::StdDev`] and [`crate::BollingerBands`].
//!
//! Older TA-Lib releases computed `mean(x²) - mean(x)²` from raw running sums and zeroed
//! anything below 1e-8; TA-Lib 0.8 (the C library in the `ta-lib` 0.8 wheel, which the
//! reference fixtures come from) instead keeps running sums of deviations from a *shift*
//! `K`: `t1 = Σ(x - K)`, `t2 = Σ(x - K)²`, `var = t2/n - (t1/n)²` with `1/n`
//! precomputed as `inv = 1.0 / n` and used by multiplication. `K` starts as the first value
//! of the series. After each output, once the leaving value has been removed, the sums are
//! rebuilt by a fresh two-pass over the window (`K` = window mean, summed left to right
//! times `inv`) when
//!
//! * `var < 1e-6 * (t2 * inv)` (the shift is stale: cancellation would lose digits), or
//! * the removed squared deviation `> 1e6 * t2` (an outlier just left the window), or
//! * `32 * n` outputs have passed since the last rebuild;
//!
//! and on a rebuild the fresh variance is floored to exactly 0 when
//! `var < 1e-12 * (t2 * inv)`; then the leaving value is removed again under the new `K`.
//! The rebuild is O(n) but happens at most every `32 * n` bars on ordinary data (TA-Lib
//! reports ~0.1–0.2 % of bars), so an update is O(1) amortised; it reads the ring buffer,
//! never allocates.

use crate::ring::Ring;

/// Rolling shifted-data variance over `period` values.
#[derive(Clone, Debug)]
pub(crate) struct ShiftedVar {
    period: usize,
    inv: f64,
    shift: f64,
    t1: f64,
    t2: f64,
    since_reseed: usize,
    ring: Ring,
    seen: usize,
}

impl ShiftedVar {
    pub(crate) fn new(period: usize) -> Self {
        ShiftedVar {
            period,
            inv: 1.0 / period as f64,
            shift: 0.0,
            t1: 0.0,
            t2: 0.0,
            since_reseed: 32 * period,
            ring: Ring::new(period),
            seen: 0,
        }
    }

    /// Feeds `x`; the population variance once `period` values have been seen.
    #[inline]
    pub(crate) fn update(&mut self, x: f64) -> Option<f64> {
        if self.seen == 0 {
            self.shift = x;
        }
        self.ring.push(x);
        let mut t = x - self.shift;
        self.t1 += t;
        t *= t;
        self.t2 += t;
        if self.seen + 1 < self.period {
            self.seen += 1;
            return None;
        }
        let inv = self.inv;
        let m1 = self.t1 * inv;
        let mut var = self.t2 * inv - m1 * m1;
        let old = self.ring.oldest();
        let mut t = old - self.shift;
        self.t1 -= t;
        t *= t;
        self.t2 -= t;
        self.since_reseed -= 1;
        if var < 0.000001 * (self.t2 * inv) || t > 1000000.0 * self.t2 || self.since_reseed == 0 {
            self.since_reseed = 32 * self.period;
            let (a, b) = self.ring.oldest_first();
            let mut sum = 0.0;
            for &v in a.iter().chain(b) {
                sum += v;
            }
            self.shift = sum * inv;
            self.t1 = 0.0;
            self.t2 = 0.0;
            for &v in a.iter().chain(b) {
                let mut t = v - self.shift;
                self.t1 += t;
                t *= t;
                self.t2 += t;
            }
            let m1 = self.t1 * inv;
            var = self.t2 * inv - m1 * m1;
            if var < 0.000000000001 * (self.t2 * inv) {
                var = 0.0;
            }
            let mut t = old - self.shift;
            self.t1 -= t;
            t *= t;
            self.t2 -= t;
        }
        Some(var)
    }

    pub(crate) fn reset(&mut self) {
        self.shift = 0.0;
        self.t1 = 0.0;
        self.t2 = 0.0;
        self.since_reseed = 32 * self.period;
        self.ring.clear();
        self.seen = 0;
    }
}

/// The same algorithm over a slice: variance of each full window, written to
/// `out[i]` for `i >= period - 1` (other slots untouched). Calls `emit(i, var)`.
#[inline]
pub(crate) fn shifted_var_slice(x: &[f64], period: usize, mut emit: impl FnMut(usize, f64)) {
    let len = x.len();
    if period == 0 || len < period {
        return;
    }
    let lb = period - 1;
    let inv = 1.0 / period as f64;
    let mut shift = x[0];
    let (mut t1, mut t2) = (0.0, 0.0);
    for &v in &x[..lb] {
        let mut t = v - shift;
        t1 += t;
        t *= t;
        t2 += t;
    }
    let mut since = 32 * period;
    for i in lb..len {
        let mut t = x[i] - shift;
        t1 += t;
        t *= t;
        t2 += t;
        let m1 = t1 * inv;
        let mut var = t2 * inv - m1 * m1;
        let old = x[i - lb];
        let mut t = old - shift;
        t1 -= t;
        t *= t;
        t2 -= t;
        since -= 1;
        if var < 0.000001 * (t2 * inv) || t > 1000000.0 * t2 || since == 0 {
            since = 32 * period;
            let w = &x[i - lb..=i];
            let mut sum = 0.0;
            for &v in w {
                sum += v;
            }
            shift = sum * inv;
            t1 = 0.0;
            t2 = 0.0;
            for &v in w {
                let mut t = v - shift;
                t1 += t;
                t *= t;
                t2 += t;
            }
            let m1 = t1 * inv;
            var = t2 * inv - m1 * m1;
            if var < 0.000000000001 * (t2 * inv) {
                var = 0.0;
            }
            let mut t = old - shift;
            t1 -= t;
            t *= t;
            t2 -= t;
        }
        emit(i, var);
    }
}
