//! Backtests: the engine of [`crate::engine`] run on a simulated clock over history — the same
//! strategies, risk manager, breakers and paper broker, no second implementation — and what
//! comes out of it: the closed (and still open) trades, the equity curve and the metrics.

mod history;
pub mod metrics;
mod run;
mod types;

pub use history::History;
pub use run::{run, run_bars, run_bars_into, run_shared, Bars, Run};
pub use types::{BacktestResult, EquityPoint, TradeRecord};
