//! `[risk]` configuration with the documented defaults.

use ploutos_core::Decimal;
use serde::{Deserialize, Serialize};

/// How an entry is sized before the caps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case", deny_unknown_fields)]
pub enum Sizing {
    /// A fixed amount of quote currency.
    FixedNotional { notional: Decimal },
    /// A share of the strategy's equity.
    PercentOfEquity { percent: Decimal },
    /// Lose `percent` of equity if the stop is hit: quantity = equity × percent / stop distance
    /// (falls back to the position-size limit when the strategy has no stop).
    Risk { percent: Decimal },
    /// All the strategy's cash, sized at the fill price: a notional market order for
    /// `cash / (1 + fee)`, so quantity = cash / (fill price × (1 + fee)) (the backtest
    /// convention of `ploutos backtest`). The caps still apply; when one binds, the capped
    /// quantity is sent instead.
    AllCash,
}

/// Every limit of the risk manager. Defaults: position ≤ 25% of the strategy's equity, risk
/// per trade ≤ 2% at the stop, one asset ≤ 20% of total equity, ≤ 5 open positions, ≤ 10 new
/// trades a day, confidence ≥ 60, 15-minute cooldown after an exit, sizing 20% of equity,
/// long only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RiskConfig {
    pub max_position_pct: Decimal,
    pub risk_per_trade_pct: Decimal,
    pub max_asset_exposure_pct: Decimal,
    pub max_open_positions: usize,
    pub max_trades_per_day: u32,
    pub min_confidence: u8,
    pub cooldown_minutes: u32,
    pub sizing: Sizing,
    pub allow_short: bool,
}

impl Default for RiskConfig {
    fn default() -> Self {
        RiskConfig {
            max_position_pct: Decimal::from(25),
            risk_per_trade_pct: Decimal::from(2),
            max_asset_exposure_pct: Decimal::from(20),
            max_open_positions: 5,
            max_trades_per_day: 10,
            min_confidence: 60,
            cooldown_minutes: 15,
            sizing: Sizing::PercentOfEquity {
                percent: Decimal::from(20),
            },
            allow_short: false,
        }
    }
}
