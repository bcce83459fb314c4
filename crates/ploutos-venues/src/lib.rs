//! Ploutos market-data sources and execution venues.
//!
//! [`Feed`] is the one interface every source of [`MarketEvent`](ploutos_core::MarketEvent)s
//! implements: the [`replay`] feed over history files, and the live venues through
//! [`live::ResilientFeed`]. [`replay::Replay`] is the same merged stream as a plain
//! synchronous iterator, for backtests that need no async runtime.
//!
//! Live venues: [`binance`] (spot) and [`alpaca`] (US stocks) implement the venue-neutral
//! traits of [`live`] — [`live::BarVenue`] for market data and history, [`live::Execution`]
//! for orders. [`net`] holds what both share: back-off with jitter, the TLS set-up, WebSocket
//! connection helpers.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod alpaca;
pub mod binance;
mod error;
mod feed;
pub mod live;
pub mod net;
pub mod replay;

pub use error::{FeedError, VenueError};
pub use feed::{EventFuture, Feed};
