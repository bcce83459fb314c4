//! The result of a backtest, serialized as the `--json` document (schema in docs/backtest.md).

use std::sync::Arc;

use ploutos_core::{Decimal, Symbol, Timestamp};
use serde::{Deserialize, Serialize};

use super::metrics::Metrics;

/// One round trip (or a position still open at the end, marked to the last close).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TradeRecord {
    pub symbol: Symbol,
    pub strategy: Arc<str>,
    /// `long` or `short`.
    pub direction: Arc<str>,
    pub entry_time: Timestamp,
    pub entry_price: Decimal,
    /// `None` while open at the end of the data.
    pub exit_time: Option<Timestamp>,
    /// The exit fill, or the last close for an open position.
    pub exit_price: Decimal,
    pub quantity: Decimal,
    /// Net of all fees of the round trip.
    pub pnl: Decimal,
    pub fees: Decimal,
    /// `pnl / (entry_price × quantity) × 100`.
    pub return_pct: f64,
    /// `stop_loss`, `take_profit`, `trailing_stop`, `partial_take_profit`, `time_exit`,
    /// `signal`, `panic`, or `open` (still held at the end).
    pub exit_reason: Arc<str>,
}

impl TradeRecord {
    /// Whether the trade is still open at the end of the data.
    pub fn is_open(&self) -> bool {
        self.exit_time.is_none()
    }
}

/// Total equity (all strategies) after a bar; serialized as `[time, equity]`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(into = "(Timestamp, f64)", from = "(Timestamp, f64)")]
pub struct EquityPoint {
    pub time: Timestamp,
    pub equity: f64,
}

impl From<EquityPoint> for (Timestamp, f64) {
    fn from(p: EquityPoint) -> Self {
        (p.time, p.equity)
    }
}

impl From<(Timestamp, f64)> for EquityPoint {
    fn from((time, equity): (Timestamp, f64)) -> Self {
        EquityPoint { time, equity }
    }
}

/// Everything `ploutos backtest` reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BacktestResult {
    /// The run's configuration (strategies, cash, fees, files, range).
    pub config: serde_json::Value,
    /// The conventions, in plain sentences (fills, fees, sizing, end of data).
    pub conventions: Vec<String>,
    pub metrics: Metrics,
    pub trades: Vec<TradeRecord>,
    pub equity: Vec<EquityPoint>,
}
