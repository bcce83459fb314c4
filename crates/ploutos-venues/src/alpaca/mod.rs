//! Alpaca (US stocks): market-data stream v2, REST bar history, Trading API v2 and the
//! trade-updates stream. Protocol facts: `shared/protocols/alpaca.md` (restated in
//! `docs/venues-alpaca.md`).
//!
//! [`Alpaca`] is the one client per process: it implements [`crate::live::BarVenue`]
//! (stream sessions [`AlpacaStream`], REST history) and [`crate::live::Execution`] (orders,
//! trade-updates sessions [`AlpacaUpdates`]), and every request it makes shares one
//! rate-limit budget.

mod config;
mod market;
mod rest;
mod stream;
mod trading;
mod updates;
pub mod wire;

use std::sync::Arc;

pub use config::AlpacaConfig;
pub use stream::AlpacaStream;
pub use trading::{ClosePosition, OrderClass, ReplaceRequest, StopLoss};
pub use updates::AlpacaUpdates;
pub use wire::{Account, AlpacaOrder, AlpacaPosition, CalendarDay, MarketClock, MultiStatusEntry};

use crate::error::VenueError;

/// The Alpaca client. Cloning shares it (one `Arc` inside), including the rate-limit state.
#[derive(Debug, Clone)]
pub struct Alpaca {
    rest: Arc<rest::Rest>,
}

impl Alpaca {
    /// A client for `cfg` (validated; keys are checked when first needed).
    pub fn new(cfg: AlpacaConfig) -> Result<Alpaca, VenueError> {
        Ok(Alpaca {
            rest: Arc::new(rest::Rest::new(cfg)?),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &AlpacaConfig {
        &self.rest.cfg
    }
}
