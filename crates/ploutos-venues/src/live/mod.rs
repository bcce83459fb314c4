//! What a live venue offers the platform, independent of the exchange:
//!
//! - [`BarVenue`]: a market-data stream ([`BarSession`], one connection) plus closed-bar history
//!   over REST. [`ResilientFeed`] turns any `BarVenue` into a [`Feed`](crate::Feed) that
//!   reconnects with back-off and jitter, resubscribes, backfills the bars missed while
//!   disconnected, and delivers every closed bar exactly once and in order.
//! - [`Execution`]: orders out, order events back ([`UpdateSession`]), and the broker's truth
//!   ([`AccountSnapshot`]) for reconciliation.
//!
//! One client per venue per process implements both, so that rate limits are shared by
//! everything that talks to that venue.

mod resilient;

pub use resilient::{FeedNotice, FeedStats, Origin, ResilientConfig, ResilientFeed};

use std::future::Future;

use ploutos_core::order::{ClientOrderId, OrderEvent, OrderRequest, OrderStatus};
use ploutos_core::{Bar, Decimal, Side, Symbol, Timeframe, Timestamp, Trade};

use crate::error::VenueError;

/// What a stream session is asked to deliver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// The instruments, in Ploutos spelling (`BTCUSDT`, `AAPL`).
    pub symbols: Vec<Symbol>,
    /// The bar timeframe to subscribe to (Alpaca streams 1-minute bars only; others are
    /// aggregated by the engine).
    pub timeframe: Timeframe,
    /// Also deliver trades.
    pub trades: bool,
}

/// One message of a live stream, already parsed and validated.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A closed, final bar (Binance `x:true`, Alpaca `b`). `bar.time()` is its open time.
    Bar {
        /// The instrument.
        symbol: Symbol,
        /// The bar's timeframe.
        timeframe: Timeframe,
        /// The bar.
        bar: Bar,
    },
    /// A bar still forming (Binance `x:false`) or a correction of a bar already sent (Alpaca
    /// `u`): for the live view only, never for strategies.
    Forming {
        /// The instrument.
        symbol: Symbol,
        /// The bar's timeframe.
        timeframe: Timeframe,
        /// The bar so far.
        bar: Bar,
    },
    /// A trade print.
    Trade {
        /// The instrument.
        symbol: Symbol,
        /// The trade.
        trade: Trade,
    },
    /// Best bid and ask (Binance bookTicker, Alpaca quote).
    Quote {
        /// The instrument.
        symbol: Symbol,
        /// Best bid price.
        bid: f64,
        /// Best ask price.
        ask: f64,
        /// When (the receive time where the venue gives none).
        time: Timestamp,
    },
}

/// One live connection of a market-data stream.
pub trait BarSession: Send {
    /// The next event. `Ok(None)`: the server ended the connection in an orderly way
    /// (close frame, Binance `serverShutdown`, the connection's lifetime is up). `Err`: the
    /// connection failed — including [`VenueError::Silent`] when nothing (no data, no pong)
    /// arrived within the session's idle timeout. Either way the caller reconnects unless
    /// the error is fatal ([`VenueError::is_fatal`]). Answering pings is the session's job.
    fn next_event(
        &mut self,
    ) -> impl Future<Output = Result<Option<StreamEvent>, VenueError>> + Send;
}

/// A venue's market data: live stream plus REST history.
pub trait BarVenue: Send + Sync + 'static {
    /// The session type of [`BarVenue::connect`].
    type Session: BarSession + 'static;

    /// A short name for logs and errors (`binance`, `alpaca`).
    fn name(&self) -> &str;

    /// Opens one stream connection, authenticates where the venue needs it, subscribes to
    /// `sub`, and returns once the venue confirmed the subscription.
    fn connect(
        &self,
        sub: &Subscription,
    ) -> impl Future<Output = Result<Self::Session, VenueError>> + Send;

    /// Closed bars of `symbol` whose open time is in `[from, to)`, oldest first, paging and
    /// honouring rate limits as needed. A bar still forming at call time is left out.
    fn history(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Timestamp,
        to: Timestamp,
    ) -> impl Future<Output = Result<Vec<Bar>, VenueError>> + Send;
}

/// An order as the venue sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct VenueOrder {
    /// Ploutos's id (the venue's client order id).
    pub client_id: ClientOrderId,
    /// The venue's own id.
    pub venue_id: String,
    /// The instrument.
    pub symbol: Symbol,
    /// Buy or sell.
    pub side: Side,
    /// The state at the venue.
    pub status: OrderStatus,
    /// Ordered quantity (`None` for a notional order not yet filled).
    pub quantity: Option<Decimal>,
    /// Filled so far.
    pub filled_quantity: Decimal,
    /// Average fill price, when something filled.
    pub average_price: Option<Decimal>,
}

/// A position held at the venue (for a spot venue: a non-zero base-asset balance).
#[derive(Debug, Clone, PartialEq)]
pub struct VenuePosition {
    /// The instrument.
    pub symbol: Symbol,
    /// Signed quantity (negative = short).
    pub quantity: Decimal,
    /// Average entry price where the venue knows it.
    pub average_price: Option<Decimal>,
}

/// The broker's truth at one moment, for reconciliation.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountSnapshot {
    /// Cash in the account currency (USD at Alpaca; the quote asset, e.g. USDT, at Binance).
    pub cash: Decimal,
    /// Positions, one per instrument, zero quantities left out.
    pub positions: Vec<VenuePosition>,
    /// Orders still working.
    pub open_orders: Vec<VenueOrder>,
}

/// What the venue answered to a submission.
#[derive(Debug, Clone, PartialEq)]
pub struct SubmitOutcome {
    /// The order as the venue now has it.
    pub order: VenueOrder,
    /// Order events already known from the answer (accepted, fills of a market order), in
    /// order. Fill ids are the venue's trade / execution ids, so a fill reported again by
    /// the update stream is recognised as a duplicate.
    pub events: Vec<OrderEvent>,
}

/// One live connection of a venue's order-update stream.
pub trait UpdateSession: Send {
    /// The next order event, `Ok(None)` when the server closed the connection in an orderly
    /// way, `Err` when it failed (the caller reconnects and reconciles).
    fn next_update(
        &mut self,
    ) -> impl Future<Output = Result<Option<(ClientOrderId, OrderEvent)>, VenueError>> + Send;
}

/// Orders out, events back.
pub trait Execution: Send + Sync + 'static {
    /// The session type of [`Execution::updates`].
    type Updates: UpdateSession + 'static;

    /// A short name for logs and errors.
    fn name(&self) -> &str;

    /// Places `req` once. `reference_price` (the last price) is used for local checks of
    /// market orders (minimum notional, quantity rounding). When the outcome is unknown
    /// (timeout, 5xx, Binance -1007) the client looks the order up by its client order id
    /// and returns what it finds; it never sends the order a second time blindly.
    fn submit(
        &self,
        req: &OrderRequest,
        reference_price: Option<Decimal>,
    ) -> impl Future<Output = Result<SubmitOutcome, VenueError>> + Send;

    /// Cancels the order `id` on `symbol`. An order the venue no longer works (filled,
    /// unknown) is [`VenueError::NotFound`] or a rejection, not a panic.
    fn cancel(
        &self,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> impl Future<Output = Result<(), VenueError>> + Send;

    /// The order `id` on `symbol`, `None` when the venue does not know it.
    fn order(
        &self,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> impl Future<Output = Result<Option<VenueOrder>, VenueError>> + Send;

    /// Cash, positions and open orders (restricted to `symbols` where the venue needs a
    /// symbol list, e.g. Binance balances → positions of `BASEQUOTE`).
    fn snapshot(
        &self,
        symbols: &[Symbol],
    ) -> impl Future<Output = Result<AccountSnapshot, VenueError>> + Send;

    /// Connects and authenticates the order-update stream.
    fn updates(&self) -> impl Future<Output = Result<Self::Updates, VenueError>> + Send;
}
