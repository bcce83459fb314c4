//! `ploutos backtest --report OUT.html`: one self-contained HTML report (docs/report.md).

use std::path::Path;

use anyhow::Result;
use ploutos_core::MarketEvent;
use ploutos_engine::backtest::BacktestResult;

/// Writes the report of `result` over the bars of `events` to `path`.
pub fn write(path: &Path, result: &BacktestResult, events: &[MarketEvent]) -> Result<()> {
    let _ = (path, result, events);
    Ok(())
}
