//! Kind `ma-cross`: simple moving average crossover.
//!
//! **Rule**: with `gap = SMA(fast) − SMA(slow)` of the closes (TA-Lib `SMA`), BUY on the bar
//! where the fast SMA crosses above the slow one (previous bar `gap <= 0`, this bar
//! `gap > 0`), SELL on the bar where it crosses below (previous `gap >= 0`, this `gap < 0`);
//! no signal on any other bar (see [`super::crossing`]).
//!
//! **Confidence**: 100 (the rule is binary).
//!
//! **Parameters**: `fast` (5), `slow` (20), `1 <= fast < slow <= 100000`.
//!
//! **Warm-up**: `slow + 1` bars (the slow SMA's first value is on bar index `slow − 1`; a
//! crossing needs that bar and the next).
//!
//! Indicator values: `sma_fast`, `sma_slow`.

use ploutos_ta::Sma;
use toml::Table;

use super::crossover::Crossover;
use super::registry::{Constructor, StrategyError};
use super::Strategy;

/// The kind name.
pub const KIND: &str = "ma-cross";
pub const DEFAULT_FAST: usize = 5;
pub const DEFAULT_SLOW: usize = 20;

/// Registry entry.
pub const CONSTRUCTOR: Constructor = Constructor {
    build: from_params,
    description: "SMA crossover: BUY on the bar SMA(fast=5) crosses above SMA(slow=20), \
                  SELL on the bar it crosses below",
};

/// The crossover on one symbol (see [`super::crossover`]).
pub type MaCross = Crossover<Sma>;

/// Registry constructor.
pub fn from_params(params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
    MaCross::from_params(params, DEFAULT_FAST, DEFAULT_SLOW)
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{kinds, run};
    use super::*;
    use ploutos_core::SignalKind::{Buy, Sell};

    /// Down to 6, up to 10, down to 6.
    const V_THEN_A: [f64; 13] = [
        10.0, 9.0, 8.0, 7.0, 6.0, 7.0, 8.0, 9.0, 10.0, 9.0, 8.0, 7.0, 6.0,
    ];

    #[test]
    fn a_v_then_a_crosses_once_each_way() {
        // SMA2 - SMA3: bars 2..=5 negative (-0.5, -0.5, -0.5, -1/6), bar 6: 7.5 - 7 = +0.5
        // (BUY), bars 7..=9 positive, bar 10: 8.5 - 9 = -0.5 (SELL), then negative.
        let mut s = MaCross::new(2, 3).unwrap();
        assert_eq!(s.warmup(), 4);
        let sig = run(&mut s, &V_THEN_A);
        assert_eq!(kinds(&sig), [(6, Buy), (10, Sell)]);
        assert_eq!(sig[0].1.reasons, ["SMA2 crossed above SMA3 (7.50 > 7.00)"]);
        assert_eq!(sig[1].1.reasons, ["SMA2 crossed below SMA3 (8.50 < 9.00)"]);
        assert_eq!(sig[0].1.indicators.get("sma_fast"), Some(7.5));
        assert_eq!(sig[0].1.indicators.get("sma_slow"), Some(7.0));
        assert_eq!(sig[0].1.confidence, 100);
    }

    #[test]
    fn touching_without_crossing_is_no_signal_and_flat_is_none() {
        let mut s = MaCross::new(2, 3).unwrap();
        assert!(run(&mut s, &[5.0; 30]).is_empty());
        // Rising throughout: fast stays above slow from the first comparable bar, whose
        // previous gap is NaN (not ready) -> no crossing ever.
        let up: Vec<f64> = (0..30).map(f64::from).collect();
        assert!(run(&mut MaCross::new(2, 3).unwrap(), &up).is_empty());
    }

    #[test]
    fn defaults_and_limits() {
        let s = MaCross::new(DEFAULT_FAST, DEFAULT_SLOW).unwrap();
        assert_eq!(s.warmup(), 21);
        assert!(MaCross::new(0, 20).is_err());
        assert!(MaCross::new(20, 20).is_err());
    }
}
