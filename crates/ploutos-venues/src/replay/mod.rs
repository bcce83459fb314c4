//! Replaying history files as a market-data feed.
//!
//! A [`ReplayConfig`] lists [`ReplaySource`]s (one symbol per file; bar files and trade
//! files) and the pacing. [`ReplayConfig::load`] gives a [`Replay`], a synchronous iterator
//! over all events merged in time order; [`ReplayConfig::build`] gives a [`ReplayFeed`], the
//! same stream behind the async [`Feed`](crate::Feed) trait, as fast as possible or paced at
//! real time × a speed factor.
//!
//! Order: events are merged by the time they become known ([`MarketEvent::time`]: a bar's
//! close time = open + timeframe, a trade's time); ties go to the source listed first, then
//! to file order. The result is deterministic.
//!
//! [`MarketEvent::time`]: ploutos_core::MarketEvent::time

mod config;
mod feed;
mod merge;
mod source;
mod stream;

pub use config::ReplayConfig;
pub use feed::ReplayFeed;
pub use merge::Replay;
pub use source::{ReplaySource, SourceKind};
pub use stream::ReplayStream;
