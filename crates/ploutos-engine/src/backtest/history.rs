//! [`History`]: what a backtest runs over — the bars of one symbol, which the engine can
//! fast-forward through ([`super::run_bars`]), or the events of several symbols merged by time.

use ploutos_core::{Bar, MarketEvent, Symbol, Timeframe, Timestamp};

use super::run::{run_bars_into, run_shared, Bars, Run};
use super::types::EquityPoint;
use crate::engine::{EngineConfig, EngineError};
use crate::strategy::shared::SharedIndicators;

/// Market history for backtests.
#[derive(Debug, Clone)]
pub enum History {
    /// One symbol's bars by strictly increasing open time.
    Bars {
        symbol: Symbol,
        timeframe: Timeframe,
        bars: Vec<Bar>,
    },
    /// Events of any symbols in time order.
    Events(Vec<MarketEvent>),
}

impl History {
    /// The number of events (bars).
    pub fn len(&self) -> usize {
        match self {
            History::Bars { bars, .. } => bars.len(),
            History::Events(events) => events.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn event(symbol: &Symbol, timeframe: Timeframe, bar: &Bar) -> MarketEvent {
        MarketEvent::Bar {
            symbol: symbol.clone(),
            timeframe,
            bar: *bar,
        }
    }

    /// The `i`-th event's time (a bar's close time).
    fn time_at(&self, i: usize) -> Option<Timestamp> {
        match self {
            History::Bars {
                timeframe, bars, ..
            } => bars.get(i).map(|b| b.close_time(*timeframe)),
            History::Events(events) => events.get(i).map(MarketEvent::time),
        }
    }

    /// The first and last event times.
    pub fn span(&self) -> Option<(Timestamp, Timestamp)> {
        Some((self.time_at(0)?, self.time_at(self.len().checked_sub(1)?)?))
    }

    /// The events with a time in `from..to` (half-open).
    pub fn window(&self, from: Timestamp, to: Timestamp) -> History {
        let keep = |t: Timestamp| (from..to).contains(&t);
        match self {
            History::Bars {
                symbol,
                timeframe,
                bars,
            } => History::Bars {
                symbol: symbol.clone(),
                timeframe: *timeframe,
                bars: bars
                    .iter()
                    .filter(|b| keep(b.close_time(*timeframe)))
                    .copied()
                    .collect(),
            },
            History::Events(events) => {
                History::Events(events.iter().filter(|e| keep(e.time())).cloned().collect())
            }
        }
    }

    /// The closes of `symbol`'s bars, in order.
    pub fn closes(&self, of: &Symbol) -> Vec<f64> {
        match self {
            History::Bars { symbol, bars, .. } if symbol == of => {
                bars.iter().map(Bar::close).collect()
            }
            History::Bars { .. } => Vec::new(),
            History::Events(events) => events
                .iter()
                .filter_map(|e| match e {
                    MarketEvent::Bar { symbol, bar, .. } if symbol == of => Some(bar.close()),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Every event, in order (materialized: for charts).
    pub fn events(&self) -> Vec<MarketEvent> {
        match self {
            History::Bars {
                symbol,
                timeframe,
                bars,
            } => bars
                .iter()
                .map(|b| Self::event(symbol, *timeframe, b))
                .collect(),
            History::Events(events) => events.clone(),
        }
    }

    /// Runs `cfg` over this history: one symbol's bars with the fast-forward when
    /// `fast_forward` is set (the same result, bit for bit, faster), other histories event by
    /// event. `progress` gets the count of events done now and then.
    pub fn run(
        &self,
        cfg: EngineConfig,
        progress: impl FnMut(u64),
        shared: Option<&SharedIndicators>,
        fast_forward: bool,
    ) -> Result<Run, EngineError> {
        self.run_into(cfg, progress, shared, fast_forward, Vec::new())
    }

    /// [`History::run`] writing a one-symbol history's equity curve into `equity` (its
    /// allocation reused: see [`run_bars_into`]).
    pub fn run_into(
        &self,
        cfg: EngineConfig,
        progress: impl FnMut(u64),
        shared: Option<&SharedIndicators>,
        fast_forward: bool,
        equity: Vec<EquityPoint>,
    ) -> Result<Run, EngineError> {
        match self {
            History::Bars {
                symbol,
                timeframe,
                bars,
            } => run_bars_into(
                cfg,
                Bars {
                    symbol,
                    timeframe: *timeframe,
                    bars,
                },
                progress,
                shared,
                fast_forward,
                equity,
            ),
            History::Events(events) => run_shared(cfg, events, progress, shared),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bars(n: usize) -> Vec<Bar> {
        (0..n)
            .map(|i| {
                let t = Timestamp::from_secs(i as i64 * 60).unwrap();
                let c = 10.0 + i as f64;
                Bar::new(t, c, c + 1.0, c - 1.0, c, 1.0).unwrap()
            })
            .collect()
    }

    #[test]
    fn bars_and_their_events_agree_on_len_span_window_and_closes() {
        let symbol = Symbol::new("X").unwrap();
        let b = History::Bars {
            symbol: symbol.clone(),
            timeframe: Timeframe::M1,
            bars: bars(10),
        };
        let e = History::Events(b.events());
        assert_eq!(b.len(), 10);
        assert_eq!(e.len(), 10);
        assert_eq!(b.span(), e.span());
        // Close times are 60 s after the open: 60..=600 s.
        assert_eq!(b.span().unwrap().0, Timestamp::from_secs(60).unwrap());
        let (from, to) = (
            Timestamp::from_secs(120).unwrap(),
            Timestamp::from_secs(300).unwrap(),
        );
        assert_eq!(b.window(from, to).len(), 3);
        assert_eq!(b.window(from, to).events(), e.window(from, to).events());
        assert_eq!(b.closes(&symbol), e.closes(&symbol));
        assert_eq!(b.closes(&symbol)[3], 13.0);
        assert!(b.closes(&Symbol::new("Y").unwrap()).is_empty());
        assert!(History::Events(Vec::new()).span().is_none());
    }
}
