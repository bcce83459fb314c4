//! Strategies: the [`Strategy`] trait, the [`registry`] of built-in kinds, and the built-ins.
//!
//! A strategy instance watches **one symbol** at one timeframe and sees only closed bars: no
//! look-ahead is possible by construction. On each bar it may return a [`Signal`] (BUY to
//! enter, SELL to exit or go short where allowed); HOLD is `None` (or a HOLD signal that is
//! journaled as a signal and nothing more). Sizing, risk checks, stops and take-profits are
//! not the strategy's business: the risk manager and the exit rules of the strategy's
//! configuration handle them, the same for every kind.
//!
//! A strategy's internal state must depend only on the bars it has seen (read position facts
//! from the [`StrategyCtx`] each time instead of remembering them): a restart rebuilds
//! strategies by feeding them the same bars again.
//!
//! Adding a strategy: one file in this folder implementing [`Strategy`] plus a `from_params`
//! constructor, and one line in [`registry::KINDS`].

pub mod bollinger;
pub mod consensus;
pub mod crossover;
pub mod ema_cross;
pub mod ema_trend;
pub mod ma_cross;
pub mod registry;
pub mod rsi;
pub mod shared;
pub mod skim;

use std::sync::Arc;

use ploutos_core::{Bar, Decimal, IndicatorValues, Signal, SignalKind, Symbol};

pub use registry::{build, describe, Constructor, Params, StrategyError, KINDS};

/// What a strategy may know besides the bars: its own position in this symbol.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StrategyCtx {
    /// Signed quantity held (positive long, negative short, zero flat).
    pub position: Decimal,
    /// Average entry price of the position, if any.
    pub entry_price: Option<Decimal>,
    /// Whether an order of this strategy on this symbol is still working.
    pub order_pending: bool,
}

impl StrategyCtx {
    pub fn is_flat(&self) -> bool {
        self.position.is_zero()
    }
}

/// One strategy instance on one symbol.
pub trait Strategy: Send {
    /// The kind (`consensus`, `rsi`, `ma-cross`, …).
    fn kind(&self) -> &'static str;

    /// Bars needed before the first possible signal.
    fn warmup(&self) -> usize;

    /// A closed bar. `symbol` and `name` (the configured strategy name) are for building the
    /// [`Signal`]; return `None` for HOLD.
    fn on_bar(&mut self, bar: &Bar, ctx: &StrategyCtx, out: &SignalSink<'_>) -> Option<Signal>;

    /// Offered right after the strategy is built for `symbol`, before its first bar: it may
    /// read indicators from `shared` instead of computing them (see [`shared`]), with the
    /// same results. The default ignores it.
    fn share(&mut self, _symbol: &Symbol, _shared: &shared::SharedIndicators) {}

    /// Fast-forward (backtests): passes over the longest prefix of `bars` on which `on_bar`
    /// would give no signal or one of a kind `quiet` allows, leaving the state those calls
    /// would have left and the last signal's kind in `quiet.last`, and returns its length
    /// (see [`skim`] for the contract). The default
    /// passes over nothing.
    fn skim(&mut self, _bars: &[Bar], _quiet: &mut skim::Quiet) -> usize {
        0
    }
}

/// What a strategy needs to stamp its signals.
#[derive(Debug, Clone, Copy)]
pub struct SignalSink<'a> {
    pub symbol: &'a Symbol,
    pub strategy: &'a Arc<str>,
    /// The kind of this strategy's previous signal on this symbol, when the caller tracks it.
    /// A level strategy repeating that kind may return its signal without reasons and
    /// indicator values ([`SignalSink::repeat`]): the engine reports a repeated signal once,
    /// so formatting it again on every bar is wasted work.
    pub repeat_of: Option<SignalKind>,
    /// Whether the signal's reasons and indicator values will be read. When not (backtests
    /// read the trades, not the signals), a strategy may return bare signals
    /// ([`SignalSink::repeat`]) and save the formatting.
    pub words: bool,
}

impl SignalSink<'_> {
    /// Whether a signal of `kind` may be bare: it repeats the previous signal (see
    /// [`SignalSink::repeat_of`]) or nobody reads the words (see [`SignalSink::words`]).
    pub fn repeats(&self, kind: SignalKind) -> bool {
        self.repeat_of == Some(kind) || !self.words
    }

    /// A bare repeated signal: no reasons, no indicator values (nothing allocated for them).
    pub fn repeat(&self, bar: &Bar, kind: SignalKind, confidence: u8) -> Signal {
        self.signal(
            bar,
            kind,
            confidence,
            Vec::new(),
            IndicatorValues::default(),
        )
    }

    /// A BUY or SELL [`Signal`] on `bar`, stamped with this sink's symbol and strategy name:
    /// one vote for its side, `current_price` the bar's close, `time` the bar's open time.
    pub fn signal(
        &self,
        bar: &Bar,
        kind: SignalKind,
        confidence: u8,
        reasons: Vec<String>,
        indicators: IndicatorValues,
    ) -> Signal {
        Signal {
            symbol: self.symbol.clone(),
            time: bar.time(),
            kind,
            confidence: confidence.min(100),
            buy_votes: u8::from(kind == SignalKind::Buy),
            sell_votes: u8::from(kind == SignalKind::Sell),
            current_price: bar.close(),
            reasons,
            indicators,
            strategy: Arc::clone(self.strategy),
        }
    }
}

/// Which way a `fast - slow` gap crossed zero between the previous bar and this one:
/// BUY when `prev <= 0 < gap` (fast crossed above slow), SELL when `prev >= 0 > gap`
/// (crossed below), otherwise none — also when either gap is NaN (not ready yet).
#[inline]
pub fn crossing(prev_gap: f64, gap: f64) -> Option<SignalKind> {
    if prev_gap <= 0.0 && gap > 0.0 {
        Some(SignalKind::Buy)
    } else if prev_gap >= 0.0 && gap < 0.0 {
        Some(SignalKind::Sell)
    } else {
        None
    }
}

/// A number for a reason text: 2 decimals from 1 up, 6 significant digits below 1 (so
/// sub-cent prices such as XRP/ETH stay readable).
pub fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if !a.is_finite() || a >= 1.0 || a == 0.0 {
        format!("{x:.2}")
    } else {
        // floor(log10(a)) is in -324..=-1 here.
        let digits = (5 - a.log10().floor() as i32).clamp(2, 15) as usize;
        format!("{x:.digits$}")
    }
}

#[cfg(test)]
pub(crate) mod testutil {
    use super::*;
    use ploutos_core::Timestamp;

    /// One-minute bars with these closes (open = previous close, high/low around both).
    pub fn bars(closes: &[f64]) -> Vec<Bar> {
        let mut prev = closes.first().copied().unwrap_or(0.0);
        closes
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let b = Bar::new(
                    Timestamp::from_secs(i as i64 * 60).unwrap(),
                    prev,
                    prev.max(c),
                    prev.min(c),
                    c,
                    100.0,
                )
                .unwrap();
                prev = c;
                b
            })
            .collect()
    }

    /// The symbol and strategy name signals of tests are stamped with.
    pub fn names() -> (Symbol, Arc<str>) {
        (Symbol::new("TEST").unwrap(), Arc::from("test"))
    }

    /// A sink for them that wants the words.
    pub fn sink<'a>(symbol: &'a Symbol, name: &'a Arc<str>) -> SignalSink<'a> {
        SignalSink {
            symbol,
            strategy: name,
            repeat_of: None,
            words: true,
        }
    }

    /// Runs `s` over bars with `closes`; the signals with their bar index.
    pub fn run(s: &mut dyn Strategy, closes: &[f64]) -> Vec<(usize, Signal)> {
        let (symbol, name) = names();
        let sink = sink(&symbol, &name);
        let ctx = StrategyCtx::default();
        bars(closes)
            .iter()
            .enumerate()
            .filter_map(|(i, b)| {
                let sig = s.on_bar(b, &ctx, &sink)?;
                assert_eq!(sig.time, b.time());
                assert_eq!(sig.current_price, b.close());
                assert_eq!(&*sig.strategy, "test");
                assert!(!sig.reasons.is_empty());
                assert!(i + 1 >= s.warmup(), "signal on bar {i} inside the warm-up");
                Some((i, sig))
            })
            .collect()
    }

    /// `(index, kind)` of each signal.
    pub fn kinds(signals: &[(usize, Signal)]) -> Vec<(usize, SignalKind)> {
        signals.iter().map(|(i, s)| (*i, s.kind)).collect()
    }
}
