//! Moving average convergence/divergence (TA-Lib `MACD`, default compatibility).
//!
//! Lookback `(slow - 1) + (signal - 1)`. If `slow < fast` the two are swapped, as TA-Lib
//! does. Quirks reproduced from TA-Lib:
//!
//! * **both** price EMAs are seeded on the same bar, index `slow - 1`: the slow one with
//!   the SMA of the first `slow` values, the fast one with the SMA of the `fast` values
//!   *ending at* index `slow - 1` (not of the first `fast` values) — so the fast EMA is not
//!   the same series as `EMA(fast)` for the first few hundred bars;
//! * the signal EMA is seeded with the SMA of the first `signal` MACD values (summed from
//!   0.0 as they are produced), and the first output is on the bar of that seed;
//! * each EMA step is `fma(x - prev, k, prev)` with `k = 2 / (period + 1)` (one fused
//!   multiply-add, as in TA-Lib 0.8, see [`crate::Ema`]);
//!   `hist = macd - signal`.

use crate::error::{check_period, TaError};
use crate::impl_indicator;

/// One MACD output.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MacdOutput {
    /// Fast EMA minus slow EMA.
    pub macd: f64,
    /// EMA of `macd` over the signal period.
    pub signal: f64,
    /// `macd - signal`.
    pub hist: f64,
}

/// MACD(fast, slow, signal): fast and slow in 2..=100000, signal in 1..=100000.
#[derive(Clone, Debug)]
pub struct Macd {
    fast: usize,
    slow: usize,
    signal: usize,
    lookback: usize,
    fast_k: f64,
    slow_k: f64,
    signal_k: f64,
    fast_sum: f64,
    slow_sum: f64,
    sig_sum: f64,
    prev_fast: f64,
    prev_slow: f64,
    prev_signal: f64,
    seen: usize,
    out: Option<MacdOutput>,
}

impl Macd {
    /// MACD with the given periods (TA-Lib defaults are 12, 26, 9). `fast` and `slow` must
    /// be in 2..=100000 and `signal` in 1..=100000; if `slow < fast` they are swapped.
    pub fn new(fast: usize, slow: usize, signal: usize) -> Result<Self, TaError> {
        let fast = check_period("MACD", "fast", fast, 2)?;
        let slow = check_period("MACD", "slow", slow, 2)?;
        let signal = check_period("MACD", "signal", signal, 1)?;
        let (fast, slow) = if slow < fast {
            (slow, fast)
        } else {
            (fast, slow)
        };
        Ok(Macd {
            fast,
            slow,
            signal,
            lookback: (slow - 1) + (signal - 1),
            fast_k: 2.0 / (fast + 1) as f64,
            slow_k: 2.0 / (slow + 1) as f64,
            signal_k: 2.0 / (signal + 1) as f64,
            fast_sum: 0.0,
            slow_sum: 0.0,
            sig_sum: 0.0,
            prev_fast: 0.0,
            prev_slow: 0.0,
            prev_signal: 0.0,
            seen: 0,
            out: None,
        })
    }

    /// `(fast, slow, signal)` after the swap, if any.
    pub fn periods(&self) -> (usize, usize, usize) {
        (self.fast, self.slow, self.signal)
    }

    /// Feeds one value.
    #[inline]
    pub fn update(&mut self, x: f64) -> Option<MacdOutput> {
        let i = self.seen;
        if i < self.slow {
            self.slow_sum += x;
            if i >= self.slow - self.fast {
                self.fast_sum += x;
            }
            self.seen += 1;
            if i < self.slow - 1 {
                return None;
            }
            self.prev_slow = self.slow_sum / self.slow as f64;
            self.prev_fast = self.fast_sum / self.fast as f64;
        } else {
            self.prev_fast = (x - self.prev_fast).mul_add(self.fast_k, self.prev_fast);
            self.prev_slow = (x - self.prev_slow).mul_add(self.slow_k, self.prev_slow);
            self.seen += 1;
        }
        let macd = self.prev_fast - self.prev_slow;
        if i < self.lookback {
            self.sig_sum += macd;
            return None;
        }
        if i == self.lookback {
            self.sig_sum += macd;
            self.prev_signal = self.sig_sum / self.signal as f64;
        } else {
            self.prev_signal = (macd - self.prev_signal).mul_add(self.signal_k, self.prev_signal);
        }
        self.out = Some(MacdOutput {
            macd,
            signal: self.prev_signal,
            hist: macd - self.prev_signal,
        });
        self.out
    }

    /// Forgets every value seen.
    pub fn reset(&mut self) {
        self.fast_sum = 0.0;
        self.slow_sum = 0.0;
        self.sig_sum = 0.0;
        self.prev_fast = 0.0;
        self.prev_slow = 0.0;
        self.prev_signal = 0.0;
        self.seen = 0;
        self.out = None;
    }
}

impl_indicator!(Macd, f64, MacdOutput, |s, x| s.update(x));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookback_and_swap() {
        let m = Macd::new(12, 26, 9).unwrap();
        assert_eq!(m.lookback(), 33);
        let m = Macd::new(26, 12, 9).unwrap();
        assert_eq!(m.periods(), (12, 26, 9));
        assert!(Macd::new(1, 26, 9).is_err());
        assert!(Macd::new(12, 26, 0).is_err());
    }

    #[test]
    fn first_output_at_lookback() {
        let mut m = Macd::new(3, 5, 2).unwrap();
        let outs: Vec<_> = (0..10).map(|i| m.update(i as f64)).collect();
        assert!(outs[..5].iter().all(Option::is_none));
        assert!(outs[5].is_some());
    }
}
