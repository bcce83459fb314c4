//! Ploutos market-data sources.
//!
//! [`Feed`] is the one interface every source of [`MarketEvent`](ploutos_core::MarketEvent)s
//! implements: the [`replay`] feed over history files now, exchange WebSocket feeds later.
//! [`replay::Replay`] is the same merged stream as a plain synchronous iterator, for
//! backtests that need no async runtime.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod feed;
pub mod replay;

pub use error::FeedError;
pub use feed::{EventFuture, Feed};
