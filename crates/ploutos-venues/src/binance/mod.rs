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
mod stream;
pub mod types;
mod user;

pub use client::{interval, Binance, OcoRequest, KLINES_PAGE};
pub use config::BinanceConfig;
pub use stream::{stream_names, BinanceStream, SubscribeMode};
pub use types::{SymbolFilters, SymbolRules};
pub use user::{execution_event, BinanceUpdates};

use ploutos_core::order::{ClientOrderId, OrderRequest};
use ploutos_core::{Bar, Decimal, Symbol, Timeframe, Timestamp};

use crate::error::VenueError;
use crate::live::{AccountSnapshot, BarVenue, Execution, SubmitOutcome, Subscription, VenueOrder};

impl BarVenue for Binance {
    type Session = BinanceStream;

    fn name(&self) -> &str {
        VENUE
    }

    /// A combined-stream connection (`/stream?streams=…`) for `sub`.
    async fn connect(&self, sub: &Subscription) -> Result<BinanceStream, VenueError> {
        self.connect_stream(sub, SubscribeMode::Combined).await
    }

    async fn history(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Bar>, VenueError> {
        self.history_bars(symbol, timeframe, from, to).await
    }
}

impl Execution for Binance {
    type Updates = BinanceUpdates;

    fn name(&self) -> &str {
        VENUE
    }

    async fn submit(
        &self,
        req: &OrderRequest,
        reference_price: Option<Decimal>,
    ) -> Result<SubmitOutcome, VenueError> {
        self.place(req, reference_price).await
    }

    async fn cancel(&self, symbol: &Symbol, id: &ClientOrderId) -> Result<(), VenueError> {
        self.cancel_order(symbol, id).await.map(|_| ())
    }

    async fn order(
        &self,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> Result<Option<VenueOrder>, VenueError> {
        self.query_order(symbol, id).await
    }

    async fn snapshot(&self, symbols: &[Symbol]) -> Result<AccountSnapshot, VenueError> {
        self.account_snapshot(symbols).await
    }

    async fn updates(&self) -> Result<BinanceUpdates, VenueError> {
        self.connect_updates().await
    }
}

/// The venue name in errors and logs.
pub const VENUE: &str = "binance";
