//! Backtest metrics (placeholder while the metrics module is written).

use serde::{Deserialize, Serialize};

/// The metrics of a backtest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Metrics {}
