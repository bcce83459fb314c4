//! [`Backoff`]: exponential reconnect delays with full jitter.

use std::time::Duration;

/// Exponential back-off with jitter: attempt `n` waits a random time in
/// `[base·2ⁿ / 2, base·2ⁿ]`, capped at `max`. [`Backoff::reset`] after a connection that
/// worked. The jitter keeps many clients (or many restarts) from reconnecting in lockstep.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    max: Duration,
    attempt: u32,
    rng: fastrand::Rng,
}

impl Backoff {
    /// Delays from `base`, doubling per attempt, never above `max`.
    pub fn new(base: Duration, max: Duration) -> Self {
        Backoff {
            base,
            max: max.max(base),
            attempt: 0,
            rng: fastrand::Rng::new(),
        }
    }

    /// The same with a fixed jitter seed (tests).
    pub fn with_seed(base: Duration, max: Duration, seed: u64) -> Self {
        Backoff {
            rng: fastrand::Rng::with_seed(seed),
            ..Backoff::new(base, max)
        }
    }

    /// The delay before the next attempt; counts the attempt.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self
            .base
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let nanos = u64::try_from(exp.as_nanos()).unwrap_or(u64::MAX);
        let low = nanos / 2;
        Duration::from_nanos(low + self.rng.u64(0..=nanos - low))
    }

    /// Attempts since the last reset.
    pub fn attempts(&self) -> u32 {
        self.attempt
    }

    /// Back to the first delay (after a connection that worked).
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn delays_grow_within_jitter_and_cap(base_ms in 1u64..1000, max_ms in 1u64..60_000, seed: u64) {
            let base = Duration::from_millis(base_ms);
            let max = Duration::from_millis(max_ms);
            let mut b = Backoff::with_seed(base, max, seed);
            let cap = max.max(base);
            for n in 0..30u32 {
                let d = b.next_delay();
                let exp = base.saturating_mul(1u32 << n.min(20)).min(cap);
                prop_assert!(d <= exp, "attempt {n}: {d:?} > {exp:?}");
                prop_assert!(d >= exp / 2, "attempt {n}: {d:?} < {exp:?}/2");
            }
            b.reset();
            prop_assert_eq!(b.attempts(), 0);
            prop_assert!(b.next_delay() <= base);
        }
    }
}
