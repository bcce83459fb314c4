//! [`ReplayStream`]: one symbol's events, loaded and ready to merge.

use ploutos_core::{Bar, MarketEvent, Symbol, Timeframe, Timestamp, Trade};

use crate::error::FeedError;

/// One symbol's bars or trades, in time order, ready to be merged into a [`Replay`].
///
/// [`Replay`]: crate::replay::Replay
#[derive(Debug, Clone)]
pub enum ReplayStream {
    /// Bars of one timeframe; each is released at its close time.
    Bars {
        /// The instrument.
        symbol: Symbol,
        /// The bar length.
        timeframe: Timeframe,
        /// Bars by strictly increasing open time.
        bars: Vec<Bar>,
    },
    /// Trade ticks by non-decreasing time.
    Trades {
        /// The instrument.
        symbol: Symbol,
        /// The trades.
        trades: Vec<Trade>,
    },
}

impl ReplayStream {
    /// A bar stream; fails unless open times strictly increase.
    pub fn bars(symbol: Symbol, timeframe: Timeframe, bars: Vec<Bar>) -> Result<Self, FeedError> {
        if let Some(i) = bars.windows(2).position(|w| w[1].time() <= w[0].time()) {
            return Err(FeedError::Config(format!(
                "{symbol} bars are not in strictly increasing time order at index {}",
                i + 1
            )));
        }
        Ok(ReplayStream::Bars {
            symbol,
            timeframe,
            bars,
        })
    }

    /// A trade stream; fails unless times never decrease.
    pub fn trades(symbol: Symbol, trades: Vec<Trade>) -> Result<Self, FeedError> {
        if let Some(i) = trades.windows(2).position(|w| w[1].time() < w[0].time()) {
            return Err(FeedError::Config(format!(
                "{symbol} trades are not in time order at index {}",
                i + 1
            )));
        }
        Ok(ReplayStream::Trades { symbol, trades })
    }

    /// The instrument.
    pub fn symbol(&self) -> &Symbol {
        match self {
            ReplayStream::Bars { symbol, .. } | ReplayStream::Trades { symbol, .. } => symbol,
        }
    }

    /// Number of events.
    pub fn len(&self) -> usize {
        match self {
            ReplayStream::Bars { bars, .. } => bars.len(),
            ReplayStream::Trades { trades, .. } => trades.len(),
        }
    }

    /// Whether there are no events.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// When event `i` becomes known (bar close time, trade time); `None` past the end.
    pub(crate) fn time_at(&self, i: usize) -> Option<Timestamp> {
        match self {
            ReplayStream::Bars {
                timeframe, bars, ..
            } => bars.get(i).map(|b| b.close_time(*timeframe)),
            ReplayStream::Trades { trades, .. } => trades.get(i).map(Trade::time),
        }
    }

    /// Event `i`; `None` past the end.
    pub(crate) fn event_at(&self, i: usize) -> Option<MarketEvent> {
        match self {
            ReplayStream::Bars {
                symbol,
                timeframe,
                bars,
            } => bars.get(i).map(|&bar| MarketEvent::Bar {
                symbol: symbol.clone(),
                timeframe: *timeframe,
                bar,
            }),
            ReplayStream::Trades { symbol, trades } => {
                trades.get(i).map(|&trade| MarketEvent::Trade {
                    symbol: symbol.clone(),
                    trade,
                })
            }
        }
    }
}
