//! Fast-forward over quiet bars (backtests): most bars of a backtest change nothing but the
//! indicators — the strategy repeats the signal it gave before, or gives none, and the engine
//! has nothing to do with it. [`super::Strategy::skim`] lets a strategy run over a stretch of
//! such bars in one tight loop instead of one [`super::Strategy::on_bar`] call (and one trip
//! through the engine) per bar.
//!
//! The contract, for `n = skim(bars, &mut quiet)`:
//! - on `bars[..n]`, `on_bar` would have returned no signal or a signal whose kind `quiet`
//!   allows, and the strategy's state afterwards is what those `n` calls would have left;
//! - `quiet.last` is then the kind of the last signal among them (unchanged when they gave
//!   none): the strategy lets each bar through with [`Quiet::pass`], which notes it;
//! - if `n < bars.len()`, the strategy may have computed `bars[n]` already (its indicators
//!   have seen it): it keeps what it computed in a [`Pending`], and the caller's next call
//!   must be `on_bar(&bars[n], …)`, which then uses it instead of feeding the indicators twice.
//!
//! So skimming can make a run faster, never different: the engine's tests run every strategy
//! both ways on the bundled data and compare the results bit for bit.

use ploutos_core::{Bar, SignalKind};

/// The signals that would change nothing on the bars being skimmed (no signal always changes
/// nothing).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quiet {
    /// A BUY is quiet on a bar closing above this price: `NEG_INFINITY` always, `INFINITY`
    /// never (an entry refused for its size below a minimum stays refused at higher prices).
    pub buy_above: f64,
    pub sell: bool,
    pub hold: bool,
    /// The kind of the last signal let through ([`Quiet::pass`]).
    pub last: Option<SignalKind>,
}

impl Quiet {
    /// Nothing but "no signal" is quiet.
    pub const NONE: Quiet = Quiet {
        buy_above: f64::INFINITY,
        sell: false,
        hold: false,
        last: None,
    };

    /// Only `kind` (and no signal) is quiet.
    pub fn only(kind: SignalKind) -> Quiet {
        Quiet {
            buy_above: if kind == SignalKind::Buy {
                f64::NEG_INFINITY
            } else {
                f64::INFINITY
            },
            sell: kind == SignalKind::Sell,
            hold: kind == SignalKind::Hold,
            last: None,
        }
    }

    /// A BUY is quiet above `price` (and nothing else but no signal).
    pub fn buy_above(price: f64) -> Quiet {
        Quiet {
            buy_above: price,
            ..Quiet::NONE
        }
    }

    /// Whether a bar closing at `close` and giving `signal` (None: no signal) may be skimmed.
    #[inline]
    pub fn allows(self, signal: Option<SignalKind>, close: f64) -> bool {
        match signal {
            None => true,
            Some(SignalKind::Buy) => close > self.buy_above,
            Some(SignalKind::Sell) => self.sell,
            Some(SignalKind::Hold) => self.hold,
        }
    }

    /// [`Quiet::allows`], noting a signal let through as [`Quiet::last`]: what a strategy's
    /// skim asks of every bar it would pass over.
    #[inline]
    pub fn pass(&mut self, signal: Option<SignalKind>, close: f64) -> bool {
        let ok = self.allows(signal, close);
        if ok && signal.is_some() {
            self.last = signal;
        }
        ok
    }
}

/// What a strategy computed for the bar a skim stopped on, kept for the `on_bar` call on that
/// very bar (same open time, same close bit for bit).
#[derive(Debug, Clone, Copy)]
pub struct Pending<T> {
    time: i64,
    close: u64,
    value: T,
}

impl<T: Copy> Pending<T> {
    pub fn new(bar: &Bar, value: T) -> Self {
        Pending {
            time: bar.time().as_nanos(),
            close: bar.close().to_bits(),
            value,
        }
    }

    /// The value if it was computed for `bar`.
    #[inline]
    pub fn for_bar(self, bar: &Bar) -> Option<T> {
        (self.time == bar.time().as_nanos() && self.close == bar.close().to_bits())
            .then_some(self.value)
    }

    /// Takes what a skim computed for `bar` out of `slot` (for the `on_bar` call on it);
    /// `None` when there is nothing, or something for another bar.
    #[inline]
    pub fn take(slot: &mut Option<Self>, bar: &Bar) -> Option<T> {
        slot.take().and_then(|p| p.for_bar(bar))
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    //! Checks a strategy's `skim` against plain `on_bar` calls.

    use ploutos_core::SignalKind;

    use super::Quiet;
    use crate::strategy::{Strategy, StrategyCtx};

    /// Runs `a` bar by bar and `b` with skims of at most `chunk` bars under `quiet`
    /// (switching to bar by bar on the bar a skim stops on); both must give the same signal
    /// kinds on the same bars, and the skims must only pass over quiet bars.
    pub fn same_as_bar_by_bar(
        a: &mut dyn Strategy,
        b: &mut dyn Strategy,
        closes: &[f64],
        quiet: Quiet,
        chunk: usize,
    ) -> usize {
        let bars = crate::strategy::testutil::bars(closes);
        let (symbol, name) = crate::strategy::testutil::names();
        let sink = crate::strategy::testutil::sink(&symbol, &name);
        let ctx = StrategyCtx::default();
        let want: Vec<Option<SignalKind>> = bars
            .iter()
            .map(|bar| a.on_bar(bar, &ctx, &sink).map(|s| s.kind))
            .collect();
        let mut i = 0;
        let mut skimmed = 0;
        while i < bars.len() {
            let end = (i + chunk).min(bars.len());
            let mut q = quiet;
            let n = b.skim(&bars[i..end], &mut q);
            assert!(n <= end - i);
            let last = want[i..i + n].iter().rev().find_map(|w| *w).or(quiet.last);
            assert_eq!(q.last, last, "last signal of bars {i}..{}", i + n);
            for (k, w) in want[i..i + n].iter().enumerate() {
                let close = bars[i + k].close();
                assert!(
                    quiet.allows(*w, close),
                    "bar {} skimmed but gives {w:?}",
                    i + k
                );
            }
            skimmed += n;
            i += n;
            if i < end {
                let got = b.on_bar(&bars[i], &ctx, &sink).map(|s| s.kind);
                assert_eq!(got, want[i], "bar {i}");
                i += 1;
            }
        }
        skimmed
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::testutil::same_as_bar_by_bar;
    use super::*;
    use crate::strategy::registry;

    fn build(kind: &str, fast: i64, slow: i64) -> Box<dyn crate::strategy::Strategy> {
        let mut params = toml::Table::new();
        params.insert("fast".into(), fast.into());
        params.insert("slow".into(), slow.into());
        registry::build(kind, &params).unwrap()
    }

    fn walk(seed: u64, n: usize) -> Vec<f64> {
        // A small deterministic random walk with flat stretches (equal averages).
        let mut x = seed | 1;
        let mut p = 100.0;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                if x % 7 != 0 {
                    p *= 1.0 + ((x >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.01;
                }
                p
            })
            .collect()
    }

    #[test]
    fn quiet_allows_no_signal_and_the_kinds_named() {
        assert!(Quiet::NONE.allows(None, 1.0));
        assert!(!Quiet::NONE.allows(Some(SignalKind::Buy), 1e300));
        let q = Quiet::only(SignalKind::Sell);
        assert!(q.allows(Some(SignalKind::Sell), 1.0) && !q.allows(Some(SignalKind::Buy), 1.0));
        assert!(!q.allows(Some(SignalKind::Hold), 1.0));
        assert!(Quiet::only(SignalKind::Buy).allows(Some(SignalKind::Buy), 1e-300));
        let q = Quiet::buy_above(100.0);
        assert!(q.allows(Some(SignalKind::Buy), 100.5) && !q.allows(Some(SignalKind::Buy), 100.0));
        assert!(!q.allows(Some(SignalKind::Sell), 100.5));
    }

    /// A strategy that keeps `Strategy::skim`'s default.
    struct Plain(Box<dyn crate::strategy::Strategy>);

    impl crate::strategy::Strategy for Plain {
        fn kind(&self) -> &'static str {
            self.0.kind()
        }
        fn warmup(&self) -> usize {
            self.0.warmup()
        }
        fn on_bar(
            &mut self,
            bar: &Bar,
            ctx: &crate::strategy::StrategyCtx,
            out: &crate::strategy::SignalSink<'_>,
        ) -> Option<ploutos_core::Signal> {
            self.0.on_bar(bar, ctx, out)
        }
    }

    #[test]
    fn a_strategy_without_skim_passes_over_nothing() {
        let closes = walk(7, 300);
        let plain = || Plain(registry::build("rsi", &toml::Table::new()).unwrap());
        let (mut a, mut b) = (plain(), plain());
        assert_eq!(
            same_as_bar_by_bar(&mut a, &mut b, &closes, Quiet::only(SignalKind::Buy), 50),
            0
        );
    }

    /// The quiet sets the property tests draw from.
    fn quiet_set(i: usize) -> Quiet {
        [
            Quiet::NONE,
            Quiet::only(SignalKind::Buy),
            Quiet::only(SignalKind::Sell),
            Quiet {
                buy_above: f64::NEG_INFINITY,
                sell: true,
                hold: true,
                last: None,
            },
            Quiet::buy_above(100.0),
        ][i]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]
        #[test]
        fn rsi_bollinger_and_consensus_skim_as_they_decide_bar_by_bar(
            seed in any::<u64>(),
            period in 2i64..30,
            quiet in 0usize..5,
            chunk in 1usize..400,
        ) {
            let closes = walk(seed, 1500);
            let quiet = quiet_set(quiet);
            for kind in ["rsi", "bollinger"] {
                let mut params = toml::Table::new();
                params.insert("period".into(), period.into());
                let mut a = registry::build(kind, &params).unwrap();
                let mut b = registry::build(kind, &params).unwrap();
                let skimmed = same_as_bar_by_bar(&mut *a, &mut *b, &closes, quiet, chunk);
                prop_assert!(skimmed as i64 >= period - 1, "{kind}");
            }
            let mut a = registry::build("consensus", &toml::Table::new()).unwrap();
            let mut b = registry::build("consensus", &toml::Table::new()).unwrap();
            let skimmed = same_as_bar_by_bar(&mut *a, &mut *b, &closes, quiet, chunk);
            prop_assert!(skimmed > 0, "consensus");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]
        #[test]
        fn skimming_gives_the_signals_of_bar_by_bar(
            seed in any::<u64>(),
            kind in prop::sample::select(vec!["ema-cross", "ema-trend", "ma-cross"]),
            fast in 1i64..8,
            extra in 1i64..12,
            quiet in 0usize..5,
            chunk in 1usize..400,
        ) {
            let closes = walk(seed, 1500);
            let quiet = quiet_set(quiet);
            let mut a = build(kind, fast, fast + extra);
            let mut b = build(kind, fast, fast + extra);
            let skimmed = same_as_bar_by_bar(&mut *a, &mut *b, &closes, quiet, chunk);
            // Warm-up bars give no signal, so something is always skimmed.
            prop_assert!(skimmed as i64 >= fast + extra - 1);
        }
    }
}
