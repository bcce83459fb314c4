//! Indicator series computed once and shared by many runs over the same bars: the optimizer
//! runs hundreds of parameter sets over one history, and every set with `fast = 9` needs the
//! same EMA(9) of the same closes.
//!
//! [`SharedIndicators`] holds, per symbol, the closes in the order the runs will see them and,
//! per (average, period), the values the streaming indicator gave on them (computed with that
//! very indicator, so the numbers are the live ones bit for bit). A strategy that is offered
//! the cache ([`super::Strategy::share`]) reads its averages from it through a [`Source`]: as
//! long as each close it is fed is, bit for bit, the next close of the series, it takes the
//! stored value; on the first close that differs (bars aggregated to another timeframe, a bar
//! the engine did not pass on, other data) it replays the closes seen so far into a fresh
//! indicator and computes live from then on. So sharing can make a run faster, never
//! different.

use std::collections::HashMap;
use std::sync::Arc;

use ploutos_core::Symbol;
use ploutos_ta::TaError;

use super::crossover::Average;

/// One indicator's values over one symbol's closes (`NaN` while it warms up).
#[derive(Debug)]
pub struct Series {
    closes: Arc<[f64]>,
    values: Vec<f64>,
}

/// Series by symbol, average (`ema`, `sma`) and period.
#[derive(Debug, Default)]
pub struct SharedIndicators {
    closes: HashMap<Symbol, Arc<[f64]>>,
    series: HashMap<(Symbol, &'static str, usize), Arc<Series>>,
}

impl SharedIndicators {
    pub fn new() -> Self {
        Self::default()
    }

    /// The closes of `symbol`'s bars, in the order the runs will see them.
    pub fn set_closes(&mut self, symbol: Symbol, closes: Vec<f64>) {
        self.closes.insert(symbol, closes.into());
    }

    /// Computes `A` of `period` over `symbol`'s closes (set before). No closes: nothing to do.
    pub fn add<A: Average>(&mut self, symbol: &Symbol, period: usize) -> Result<(), TaError> {
        let Some(closes) = self.closes.get(symbol) else {
            return Ok(());
        };
        let key = (symbol.clone(), A::KEY, period);
        if self.series.contains_key(&key) {
            return Ok(());
        }
        let mut a = A::with_period(period)?;
        let values = closes
            .iter()
            .map(|&c| a.next(c).unwrap_or(f64::NAN))
            .collect();
        let series = Series {
            closes: Arc::clone(closes),
            values,
        };
        self.series.insert(key, Arc::new(series));
        Ok(())
    }

    /// How many series are held.
    pub fn len(&self) -> usize {
        self.series.len()
    }

    pub fn is_empty(&self) -> bool {
        self.series.is_empty()
    }

    /// The series of `A` of `period` over `symbol`'s closes, if computed.
    pub fn get<A: Average>(&self, symbol: &Symbol, period: usize) -> Option<Arc<Series>> {
        self.series
            .get(&(symbol.clone(), A::KEY, period))
            .map(Arc::clone)
    }
}

/// Where a strategy's average comes from: computed live, or read from a shared series.
#[derive(Debug, Clone)]
pub enum Source<A> {
    Live(A),
    Shared {
        series: Arc<Series>,
        next: usize,
        /// A fresh indicator of the same period, for when the input leaves the series.
        fresh: A,
    },
}

impl<A: Average> Source<A> {
    /// Reads `series` from its start; `fresh` is a new indicator of the same period.
    pub fn shared(series: Arc<Series>, fresh: A) -> Self {
        Source::Shared {
            series,
            next: 0,
            fresh,
        }
    }

    /// The next value, as `A::next(x)` would give it.
    #[inline]
    pub fn next(&mut self, x: f64) -> Option<f64> {
        match self {
            Source::Live(a) => a.next(x),
            Source::Shared {
                series,
                next,
                fresh,
            } => {
                let i = *next;
                if series
                    .closes
                    .get(i)
                    .is_some_and(|c| c.to_bits() == x.to_bits())
                {
                    *next = i + 1;
                    let v = series.values[i];
                    return (!v.is_nan()).then_some(v);
                }
                // The input left the series: replay what was seen, then go live.
                let mut a = fresh.clone();
                for &c in &series.closes[..i] {
                    a.next(c);
                }
                let v = a.next(x);
                *self = Source::Live(a);
                v
            }
        }
    }

    pub fn period_len(&self) -> usize {
        match self {
            Source::Live(a) | Source::Shared { fresh: a, .. } => a.period_len(),
        }
    }

    /// Switches to `shared`'s series for this period, if it has one. Only before the first
    /// value (a strategy is offered the cache when it is built).
    pub fn share(&mut self, symbol: &Symbol, shared: &SharedIndicators) {
        if let Source::Live(a) = self {
            if let Some(series) = shared.get::<A>(symbol, a.period_len()) {
                // Not fed yet, so it is still fresh.
                *self = Source::shared(series, a.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use ploutos_ta::{Ema, Sma};
    use proptest::prelude::*;

    use super::*;

    fn live<A: Average>(period: usize, xs: &[f64]) -> Vec<Option<u64>> {
        let mut a = A::with_period(period).unwrap();
        xs.iter().map(|&x| a.next(x).map(f64::to_bits)).collect()
    }

    fn via_shared<A: Average>(
        period: usize,
        series_closes: &[f64],
        xs: &[f64],
    ) -> Vec<Option<u64>> {
        let sym = Symbol::new("X").unwrap();
        let mut sh = SharedIndicators::new();
        sh.set_closes(sym.clone(), series_closes.to_vec());
        sh.add::<A>(&sym, period).unwrap();
        assert_eq!(sh.len(), 1);
        let mut s = Source::Live(A::with_period(period).unwrap());
        s.share(&sym, &sh);
        assert!(matches!(s, Source::Shared { .. }));
        xs.iter().map(|&x| s.next(x).map(f64::to_bits)).collect()
    }

    proptest! {
        /// Same closes: the stored values, bit for bit. Closes that leave the series at any
        /// point (or run past its end): still exactly the live indicator.
        #[test]
        fn shared_is_live_bit_for_bit(
            closes in prop::collection::vec(1.0f64..1000.0, 0..120),
            other in prop::collection::vec(1.0f64..1000.0, 0..60),
            cut in 0usize..130,
            period in 1usize..30,
        ) {
            let cut = cut.min(closes.len());
            let mut xs = closes[..cut].to_vec();
            xs.extend_from_slice(&other);
            prop_assert_eq!(via_shared::<Ema>(period, &closes, &closes), live::<Ema>(period, &closes));
            prop_assert_eq!(via_shared::<Ema>(period, &closes, &xs), live::<Ema>(period, &xs));
            prop_assert_eq!(via_shared::<Sma>(period, &closes, &xs), live::<Sma>(period, &xs));
        }
    }

    #[test]
    fn a_symbol_or_period_not_in_the_cache_stays_live() {
        let (x, y) = (Symbol::new("X").unwrap(), Symbol::new("Y").unwrap());
        let mut sh = SharedIndicators::new();
        sh.set_closes(x.clone(), vec![1.0, 2.0, 3.0]);
        sh.add::<Ema>(&x, 2).unwrap();
        sh.add::<Ema>(&y, 2).unwrap(); // no closes for Y: nothing
        assert_eq!(sh.len(), 1);
        let mut s = Source::Live(Ema::new(3).unwrap());
        s.share(&x, &sh);
        assert!(matches!(s, Source::Live(_)));
        let mut s = Source::Live(Ema::new(2).unwrap());
        s.share(&y, &sh);
        assert!(matches!(s, Source::Live(_)));
        let mut s = Source::Live(Sma::new(2).unwrap());
        s.share(&x, &sh);
        assert!(matches!(s, Source::Live(_)));
    }
}
