//! The [`Feed`] trait: the interface of every market-data source.

use std::future::Future;
use std::pin::Pin;

use ploutos_core::{MarketEvent, Symbol};

use crate::error::FeedError;

/// What [`Feed::next_event`] returns: a boxed future, so that `dyn Feed` works.
pub type EventFuture<'a> =
    Pin<Box<dyn Future<Output = Result<Option<MarketEvent>, FeedError>> + Send + 'a>>;

/// A source of market events: a replayed file, an exchange stream, a generator.
///
/// Contract:
/// - For each symbol, events arrive in non-decreasing [`MarketEvent::time`] order (a bar's
///   close time, a trade's time). Across symbols a feed should interleave by time as well;
///   the replay feed does so exactly.
/// - Bars are delivered only once closed, never while still forming.
/// - `Ok(None)` means the stream has ended for good; later calls keep returning `Ok(None)`.
/// - An `Err` is reported once; whether the feed can continue afterwards is up to the
///   implementation (the replay feed cannot fail after construction).
/// - [`Feed::next_event`] is cancel-safe: dropping its future before it completes (a
///   `select!` that took another branch) loses no event; the next call delivers it.
/// - The trait is object safe: hold feeds as `Box<dyn Feed>`.
pub trait Feed: Send {
    /// A short name for logs (`replay`, `binance`, …).
    fn name(&self) -> &str;

    /// The instruments this feed delivers, in a fixed order.
    fn symbols(&self) -> &[Symbol];

    /// Waits for and returns the next event, `Ok(None)` at the end of the stream.
    fn next_event(&mut self) -> EventFuture<'_>;
}
