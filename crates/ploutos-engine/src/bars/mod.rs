//! Bar building: aggregation of closed bars into longer clock-aligned bars, and of trade ticks
//! into bars.

mod aggregator;
mod trades;

pub use aggregator::{AggregateError, BarAggregator};
pub use trades::TradeBarBuilder;
