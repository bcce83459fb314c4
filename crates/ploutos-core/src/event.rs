//! [`MarketEvent`]: what a feed delivers.

use serde::Serialize;

use crate::bar::Bar;
use crate::symbol::Symbol;
use crate::timeframe::Timeframe;
use crate::trade::Trade;

/// One market-data event from a feed (replay file, exchange stream, synthetic generator).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MarketEvent {
    /// A closed bar of `timeframe` for `symbol`.
    Bar {
        symbol: Symbol,
        timeframe: Timeframe,
        bar: Bar,
    },
    /// A trade tick for `symbol`.
    Trade { symbol: Symbol, trade: Trade },
}

impl MarketEvent {
    /// The instrument the event is about.
    pub fn symbol(&self) -> &Symbol {
        match self {
            MarketEvent::Bar { symbol, .. } | MarketEvent::Trade { symbol, .. } => symbol,
        }
    }

    /// When the event happened: a bar's close time (open + timeframe), a trade's time.
    pub fn time(&self) -> crate::Timestamp {
        match self {
            MarketEvent::Bar { bar, timeframe, .. } => bar.close_time(*timeframe),
            MarketEvent::Trade { trade, .. } => trade.time(),
        }
    }
}
