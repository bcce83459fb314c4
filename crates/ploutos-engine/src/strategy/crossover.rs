//! The moving-average crossover behind `ma-cross` (SMA) and `ema-trend` (EMA): with
//! `gap = MA(fast) − MA(slow)` of the closes, BUY on the bar where the fast average crosses
//! above the slow one (previous bar `gap <= 0`, this bar `gap > 0`), SELL on the bar where it
//! crosses below; no signal on any other bar (see [`super::crossing`]). Confidence 100.
//! Warm-up `slow + 1` bars. Indicator values `<ma>_fast`, `<ma>_slow`.

use ploutos_core::{Bar, IndicatorValues, Signal, SignalKind};
use ploutos_ta::{Ema, Sma, TaError};
use toml::Table;

use super::registry::{ta_error, Params, StrategyError};
use super::shared::{SharedIndicators, Source};
use super::skim::{Pending, Quiet};
use super::{crossing, fmt_num, SignalSink, Strategy, StrategyCtx};
use ploutos_core::Symbol;

/// A moving average a crossover strategy can be built on, and the kind that uses it.
pub trait Average: Sized + Send + Clone + std::fmt::Debug + 'static {
    /// `SMA`, `EMA` (for reasons).
    const NAME: &'static str;
    /// `sma`, `ema` (for indicator value names).
    const KEY: &'static str;
    /// The strategy kind of the crossover on this average.
    const KIND: &'static str;
    fn with_period(period: usize) -> Result<Self, TaError>;
    fn next(&mut self, x: f64) -> Option<f64>;
    fn period_len(&self) -> usize;
}

impl Average for Sma {
    const NAME: &'static str = "SMA";
    const KEY: &'static str = "sma";
    const KIND: &'static str = super::ma_cross::KIND;
    fn with_period(period: usize) -> Result<Self, TaError> {
        Sma::new(period)
    }
    fn next(&mut self, x: f64) -> Option<f64> {
        self.update(x)
    }
    fn period_len(&self) -> usize {
        self.period()
    }
}

impl Average for Ema {
    const NAME: &'static str = "EMA";
    const KEY: &'static str = "ema";
    const KIND: &'static str = super::ema_trend::KIND;
    fn with_period(period: usize) -> Result<Self, TaError> {
        Ema::new(period)
    }
    fn next(&mut self, x: f64) -> Option<f64> {
        self.update(x)
    }
    fn period_len(&self) -> usize {
        self.period()
    }
}

/// A crossover of two averages of type `A` on one symbol.
#[derive(Debug, Clone)]
pub struct Crossover<A> {
    fast: Source<A>,
    slow: Source<A>,
    prev_gap: f64,
    /// Both averages of the bar a skim stopped on.
    pending: Option<Pending<(Option<f64>, Option<f64>)>>,
}

impl<A: Average> Crossover<A> {
    /// `fast < slow`, both periods of `A`.
    pub fn new(fast: usize, slow: usize) -> Result<Self, StrategyError> {
        let f = A::with_period(fast).map_err(ta_error(A::KIND, "fast", fast))?;
        let s = A::with_period(slow).map_err(ta_error(A::KIND, "slow", slow))?;
        if fast >= slow {
            return Err(StrategyError::InvalidParam {
                kind: A::KIND,
                param: "fast".to_owned(),
                value: fast.to_string(),
                reason: format!("must be below slow ({slow})"),
            });
        }
        Ok(Crossover {
            fast: Source::Live(f),
            slow: Source::Live(s),
            prev_gap: f64::NAN,
            pending: None,
        })
    }

    /// From `fast` and `slow` params with these defaults.
    pub fn from_params(
        params: &Table,
        fast: usize,
        slow: usize,
    ) -> Result<Box<dyn Strategy>, StrategyError> {
        let mut p = Params::new(A::KIND, params);
        let fast = p.usize("fast", fast)?;
        let slow = p.usize("slow", slow)?;
        p.finish()?;
        Ok(Box::new(Self::new(fast, slow)?))
    }
}

impl<A: Average> Strategy for Crossover<A> {
    fn kind(&self) -> &'static str {
        A::KIND
    }

    fn warmup(&self) -> usize {
        self.slow.period_len() + 1
    }

    fn share(&mut self, symbol: &Symbol, shared: &SharedIndicators) {
        self.fast.share(symbol, shared);
        self.slow.share(symbol, shared);
    }

    fn skim(&mut self, bars: &[Bar], quiet: &mut Quiet) -> usize {
        for (n, bar) in bars.iter().enumerate() {
            let close = bar.close();
            let mas = (self.fast.next(close), self.slow.next(close));
            let (Some(fast), Some(slow)) = mas else {
                continue; // warming up: no signal, prev_gap stays
            };
            let gap = fast - slow;
            if !quiet.pass(crossing(self.prev_gap, gap), close) {
                self.pending = Some(Pending::new(bar, mas));
                return n;
            }
            self.prev_gap = gap;
        }
        bars.len()
    }

    fn on_bar(&mut self, bar: &Bar, _ctx: &StrategyCtx, out: &SignalSink<'_>) -> Option<Signal> {
        let close = bar.close();
        // Update both before bailing out on warm-up (unless a skim already did).
        let (fast, slow) = Pending::take(&mut self.pending, bar)
            .unwrap_or_else(|| (self.fast.next(close), self.slow.next(close)));
        let (fast, slow) = (fast?, slow?);
        let gap = fast - slow;
        let kind = crossing(std::mem::replace(&mut self.prev_gap, gap), gap)?;
        if !out.words {
            return Some(out.repeat(bar, kind, 100));
        }
        let (dir, cmp) = if kind == SignalKind::Buy {
            ("above", '>')
        } else {
            ("below", '<')
        };
        let mut values = IndicatorValues::with_capacity(2);
        values.push(format!("{}_fast", A::KEY), fast);
        values.push(format!("{}_slow", A::KEY), slow);
        Some(out.signal(
            bar,
            kind,
            100,
            vec![format!(
                "{name}{} crossed {dir} {name}{} ({} {cmp} {})",
                self.fast.period_len(),
                self.slow.period_len(),
                fmt_num(fast),
                fmt_num(slow),
                name = A::NAME,
            )],
            values,
        ))
    }
}
