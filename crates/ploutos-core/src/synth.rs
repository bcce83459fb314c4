//! Seeded synthetic bars: a geometric random walk for benchmarks and tests.
//!
//! The generator is self-contained (SplitMix64 + Box–Muller) so that the same seed gives the
//! same bars on every platform and with every version of every dependency. Each bar opens at
//! the previous close; the close is `open * exp(sigma * z - sigma^2 / 2)`; high and low
//! extend the open–close range by half-normal excursions; volume is log-normal around
//! `base_volume`. Prices are rounded to 4 decimal places and volumes to whole units, so a
//! CSV written with Rust's shortest float formatting reads back to the identical bars.

use crate::bar::Bar;
use crate::time::Timestamp;
use crate::timeframe::Timeframe;

/// Parameters of the walk.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SynthConfig {
    pub seed: u64,
    pub timeframe: Timeframe,
    /// Open time of the first bar.
    pub start: Timestamp,
    pub start_price: f64,
    /// Standard deviation of the log return per bar.
    pub sigma: f64,
    pub base_volume: f64,
}

impl Default for SynthConfig {
    fn default() -> Self {
        SynthConfig {
            seed: 42,
            timeframe: Timeframe::M1,
            // 2024-01-01T00:00:00Z
            start: Timestamp::from_nanos(1_704_067_200_000_000_000),
            start_price: 100.0,
            sigma: 0.001,
            base_volume: 1_000.0,
        }
    }
}

/// SplitMix64: tiny, fast, and fully specified.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in (0, 1].
    pub fn next_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Standard normal (Box–Muller, one value per call).
    pub fn next_normal(&mut self) -> f64 {
        let u1 = self.next_unit();
        let u2 = self.next_unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

/// An endless iterator of synthetic bars (take as many as needed).
#[derive(Clone, Debug)]
pub struct SynthBars {
    cfg: SynthConfig,
    rng: SplitMix64,
    next_time: i64,
    last_close: f64,
}

impl SynthBars {
    pub fn new(cfg: SynthConfig) -> Self {
        SynthBars {
            rng: SplitMix64::new(cfg.seed),
            next_time: cfg.start.as_nanos(),
            last_close: round4(cfg.start_price),
            cfg,
        }
    }
}

impl Iterator for SynthBars {
    type Item = Bar;

    fn next(&mut self) -> Option<Bar> {
        let s = self.cfg.sigma;
        let open = self.last_close;
        let z = self.rng.next_normal();
        // Keep prices well away from zero and overflow however long the walk runs.
        let close = round4((open * (s * z - 0.5 * s * s).exp()).clamp(0.01, 1e9)).max(0.0001);
        let up = self.rng.next_normal().abs() * s * 0.5;
        let down = self.rng.next_normal().abs() * s * 0.5;
        let high = round4(open.max(close) * (1.0 + up)).max(open.max(close));
        let low = round4(open.min(close) * (1.0 - down))
            .min(open.min(close))
            .max(0.0001_f64.min(open.min(close)));
        let volume = (self.cfg.base_volume * (0.5 * self.rng.next_normal()).exp()).round();
        let time = Timestamp::from_nanos(self.next_time);
        self.next_time = self.next_time.checked_add(self.cfg.timeframe.as_nanos())?;
        self.last_close = close;
        Bar::new(time, open, high, low, close, volume).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_valid() {
        let a: Vec<Bar> = SynthBars::new(SynthConfig::default())
            .take(10_000)
            .collect();
        let b: Vec<Bar> = SynthBars::new(SynthConfig::default())
            .take(10_000)
            .collect();
        assert_eq!(a.len(), 10_000);
        assert_eq!(a, b);
        for w in a.windows(2) {
            assert_eq!(w[1].open(), w[0].close());
            assert_eq!(
                w[1].time().as_nanos() - w[0].time().as_nanos(),
                60_000_000_000
            );
        }
        let other: Vec<Bar> = SynthBars::new(SynthConfig {
            seed: 7,
            ..SynthConfig::default()
        })
        .take(10)
        .collect();
        assert_ne!(a[..10], other[..]);
    }
}
