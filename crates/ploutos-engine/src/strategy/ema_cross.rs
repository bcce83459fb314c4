//! Kind `ema-cross`: EMA fast/slow regime, as level signals.
//!
//! **Rule**: on every bar where both EMAs of the closes exist (TA-Lib `EMA`, seeded with the
//! SMA of the first `period` closes): BUY when `EMA(fast) > EMA(slow)`, SELL when
//! `EMA(fast) < EMA(slow)`, none when they are equal.
//!
//! These are **level** signals, not crossings, on purpose: the engine runs this kind long-only,
//! entering only when flat and exiting only when long, so a BUY on every bar of an up regime
//! means "be long" — the first one enters (or re-enters after a stop-loss or a missed fill
//! while the regime lasts) and the rest are no-ops; likewise the SELLs. For one signal per
//! crossing use `ema-trend` with the same periods.
//!
//! **Confidence**: 100 (the rule is binary).
//!
//! **Parameters**: `fast` (9), `slow` (21), `1 <= fast < slow <= 100000`.
//!
//! **Warm-up**: `slow` bars (the slow EMA's first value is on bar index `slow − 1`).
//!
//! Indicator values: `ema_fast`, `ema_slow`.

use ploutos_core::{Bar, IndicatorValues, Signal, SignalKind};
use ploutos_ta::Ema;
use toml::Table;

use super::registry::{ta_error, Constructor, Params, StrategyError};
use super::shared::{SharedIndicators, Source};
use super::skim::{Pending, Quiet};
use super::{fmt_num, SignalSink, Strategy, StrategyCtx};
use ploutos_core::Symbol;

/// The kind name.
pub const KIND: &str = "ema-cross";
pub const DEFAULT_FAST: usize = 9;
pub const DEFAULT_SLOW: usize = 21;

/// Registry entry.
pub const CONSTRUCTOR: Constructor = Constructor {
    build: from_params,
    description: "EMA regime (long-only level signals): BUY on every bar EMA(fast=9) > \
                  EMA(slow=21), SELL on every bar it is below",
};

/// EMA regime on one symbol.
#[derive(Debug, Clone)]
pub struct EmaCross {
    fast: Source<Ema>,
    slow: Source<Ema>,
    /// Both EMAs of the bar a skim stopped on.
    pending: Option<Pending<Emas>>,
}

/// The regime of `fast` against `slow` (None while warming up or when equal).
#[inline]
fn regime(fast: Option<f64>, slow: Option<f64>) -> Option<SignalKind> {
    match (fast, slow) {
        (Some(f), Some(s)) if f > s => Some(SignalKind::Buy),
        (Some(f), Some(s)) if f < s => Some(SignalKind::Sell),
        _ => None,
    }
}

/// Both EMAs of a bar (None while warming up).
type Emas = (Option<f64>, Option<f64>);

/// How many bars a skim took, and the EMAs of the bar it stopped on.
type Skimmed = (usize, Option<Emas>);

/// The skim loop: how many of `bars` are quiet, and the EMAs of the bar it stopped on.
#[inline(always)]
fn skim_with(bars: &[Bar], quiet: &mut Quiet, mut emas: impl FnMut(f64) -> Emas) -> Skimmed {
    for (n, bar) in bars.iter().enumerate() {
        let close = bar.close();
        let e = emas(close);
        if !quiet.pass(regime(e.0, e.1), close) {
            return (n, Some(e));
        }
    }
    (bars.len(), None)
}

ploutos_ta::fma_kernel! {
    /// [`skim_with`] on two live EMAs, with the FMA instruction when the CPU has it (the EMA
    /// step is a fused multiply-add: a libm call on a baseline x86-64 build, one instruction
    /// with FMA; the same bits either way, a fused multiply-add being correctly rounded).
    fn skim_live(fast: &mut Ema, slow: &mut Ema, bars: &[Bar], quiet: &mut Quiet) -> Skimmed {
        let (Some(mut f), Some(mut s)) = (fast.warm_value(), slow.warm_value()) else {
            return skim_with(bars, quiet, |x| (fast.update(x), slow.update(x)));
        };
        // Both warm (nearly every skim): the EMA steps on plain floats, as `Ema::update`
        // takes them, with the state handed back at the end.
        let (kf, ks) = (fast.k(), slow.k());
        let mut taken = (bars.len(), None);
        for (n, bar) in bars.iter().enumerate() {
            let close = bar.close();
            f = Ema::step(f, close, kf);
            s = Ema::step(s, close, ks);
            if !quiet.pass(regime(Some(f), Some(s)), close) {
                taken = (n, Some((Some(f), Some(s))));
                break;
            }
        }
        fast.set_warm_value(f);
        slow.set_warm_value(s);
        taken
    }
}

impl EmaCross {
    /// `fast < slow`, both EMA periods.
    pub fn new(fast: usize, slow: usize) -> Result<Self, StrategyError> {
        let f = Ema::new(fast).map_err(ta_error(KIND, "fast", fast))?;
        let s = Ema::new(slow).map_err(ta_error(KIND, "slow", slow))?;
        if fast >= slow {
            return Err(StrategyError::InvalidParam {
                kind: KIND,
                param: "fast".to_owned(),
                value: fast.to_string(),
                reason: format!("must be below slow ({slow})"),
            });
        }
        Ok(EmaCross {
            fast: Source::Live(f),
            slow: Source::Live(s),
            pending: None,
        })
    }
}

/// Registry constructor.
pub fn from_params(params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
    let mut p = Params::new(KIND, params);
    let fast = p.usize("fast", DEFAULT_FAST)?;
    let slow = p.usize("slow", DEFAULT_SLOW)?;
    p.finish()?;
    Ok(Box::new(EmaCross::new(fast, slow)?))
}

impl Strategy for EmaCross {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn warmup(&self) -> usize {
        self.slow.period_len()
    }

    fn share(&mut self, symbol: &Symbol, shared: &SharedIndicators) {
        self.fast.share(symbol, shared);
        self.slow.share(symbol, shared);
    }

    fn skim(&mut self, bars: &[Bar], quiet: &mut Quiet) -> usize {
        let (n, stop) = match (&mut self.fast, &mut self.slow) {
            (Source::Live(fast), Source::Live(slow)) => skim_live(fast, slow, bars, quiet),
            (fast, slow) => skim_with(bars, quiet, |x| (fast.next(x), slow.next(x))),
        };
        if let (Some(emas), Some(bar)) = (stop, bars.get(n)) {
            self.pending = Some(Pending::new(bar, emas));
        }
        n
    }

    fn on_bar(&mut self, bar: &Bar, _ctx: &StrategyCtx, out: &SignalSink<'_>) -> Option<Signal> {
        let close = bar.close();
        // Update both before bailing out on warm-up (unless a skim already did).
        let (fast, slow) = Pending::take(&mut self.pending, bar)
            .unwrap_or_else(|| (self.fast.next(close), self.slow.next(close)));
        let kind = regime(fast, slow)?;
        let (fast, slow) = (fast?, slow?);
        let (dir, cmp) = if kind == SignalKind::Buy {
            ("above", '>')
        } else {
            ("below", '<')
        };
        if out.repeats(kind) {
            return Some(out.repeat(bar, kind, 100));
        }
        let mut values = IndicatorValues::with_capacity(2);
        values.push("ema_fast", fast);
        values.push("ema_slow", slow);
        Some(out.signal(
            bar,
            kind,
            100,
            vec![format!(
                "EMA{} {dir} EMA{} ({} {cmp} {})",
                self.fast.period_len(),
                self.slow.period_len(),
                fmt_num(fast),
                fmt_num(slow)
            )],
            values,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{kinds, run};
    use super::*;
    use SignalKind::{Buy, Sell};

    #[test]
    fn a_v_then_a_gives_the_regime_on_every_bar() {
        // EMA2 - EMA3 (see ema_trend's test): negative on bars 2..=5, positive 6..=9,
        // negative 10..=12.
        let closes = [
            10.0, 9.0, 8.0, 7.0, 6.0, 7.0, 8.0, 9.0, 10.0, 9.0, 8.0, 7.0, 6.0,
        ];
        let mut s = EmaCross::new(2, 3).unwrap();
        assert_eq!(s.warmup(), 3);
        let sig = run(&mut s, &closes);
        let want: Vec<_> = (2..13)
            .map(|i| (i, if (6..=9).contains(&i) { Buy } else { Sell }))
            .collect();
        assert_eq!(kinds(&sig), want);
        assert_eq!(sig[4].1.reasons, ["EMA2 above EMA3 (7.61 > 7.50)"]);
        assert_eq!(sig[0].1.reasons, ["EMA2 below EMA3 (8.50 < 9.00)"]);
    }

    #[test]
    fn equal_emas_and_limits() {
        assert!(run(&mut EmaCross::new(2, 3).unwrap(), &[4.0; 20]).is_empty());
        assert_eq!(EmaCross::new(9, 21).unwrap().warmup(), 21);
        assert!(EmaCross::new(21, 9).is_err());
        assert!(EmaCross::new(0, 9).is_err());
    }
}
