//! Binance spot: market streams, REST (klines, exchangeInfo filters, signed orders, account),
//! and the user-data stream over the WebSocket API. Protocol facts:
//! `shared/protocols/binance.md`; usage: `docs/venues-binance.md`.
//!
//! One [`Binance`] per process: it is `Clone` (an `Arc` inside) and every clone shares the
//! clock offset, the request-weight accounting and an IP ban, so the feed, the downloader
//! and the order path never exceed the limits together.

mod client;
mod config;
pub mod filters;
mod rest;
pub mod sign;
pub mod types;

pub use client::{interval, Binance, OcoRequest, KLINES_PAGE};
pub use config::BinanceConfig;
pub use types::{SymbolFilters, SymbolRules};

/// The venue name in errors and logs.
pub const VENUE: &str = "binance";
