//! Ploutos domain types.
//!
//! This crate owns the vocabulary every other Ploutos crate speaks: [`Timestamp`] (UTC,
//! nanoseconds), [`Timeframe`], [`Symbol`], [`Bar`], [`Trade`], [`Side`], [`Signal`] and the
//! [`MarketEvent`]s that feeds produce. Constructors validate their input and return an error
//! that names the offending field and value; nothing here panics on bad data.

mod bar;
pub mod clock;
mod error;
mod event;
pub mod instrument;
pub mod mem;
pub mod money;
pub mod order;
mod side;
mod signal;
mod symbol;
pub mod synth;
mod time;
mod timeframe;
mod trade;

pub use bar::{Bar, BarError};
pub use clock::{Clock, LiveClock, SimClock};
pub use error::CoreError;
pub use event::MarketEvent;
pub use instrument::{AssetClass, Instrument};
pub use money::Decimal;
pub use side::Side;
pub use signal::{IndicatorValues, Signal, SignalKind};
pub use symbol::Symbol;
pub use time::Timestamp;
pub use timeframe::Timeframe;
pub use trade::{Trade, TradeError};
