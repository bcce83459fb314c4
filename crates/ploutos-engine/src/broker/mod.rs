//! Brokers: the simulated [`PaperBroker`] shared by backtests, replays and live paper trading.
//!
//! The fill conventions are documented in `docs/paper-broker.md` and in [`paper`].

pub mod fees;
pub mod fill_model;
pub mod paper;
pub mod slippage;

pub use fees::Fees;
pub use fill_model::{Cross, Path, Pos};
pub use paper::{
    FillMode, OutsideHours, PaperBroker, PaperConfig, RejectReason, SubmitCtx, CLOSED_MEMORY,
};
pub use slippage::Slippage;
