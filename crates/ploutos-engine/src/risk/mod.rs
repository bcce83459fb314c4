//! The risk manager: before every entry order, every limit is checked and the size decided.
//!
//! [`RiskManager::check_entry`] is a pure function of the signal, the configuration and a
//! [`RiskCtx`] the engine fills from its state, so every rule can be tested by hand. It returns
//! an [`EntryPlan`] (the quantity, after every cap) or a [`Rejection`] naming the rule and the
//! values. Exits are never blocked by risk rules.
//!
//! Order of checks (the first failing one is reported): breaker pause, minimum confidence, one
//! position per symbol per strategy, no second order on the same signal (and none while an
//! order on the symbol is working), cooldown after an exit, market hours, open positions,
//! trades today; then sizing (fixed notional, percent of equity, or risk-based on the stop
//! distance), capped by the position-size limit, the risk-per-trade limit, the per-asset
//! exposure limit and the buying power; a size that rounds to nothing is rejected with the
//! binding limit as the reason.

mod config;

pub use config::{RiskConfig, Sizing};

use std::fmt;

use ploutos_core::{Decimal, Timestamp};
use serde::{Deserialize, Serialize};

/// The rule that rejected an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskRule {
    BreakerPaused,
    MinConfidence,
    OnePositionPerSymbol,
    DuplicateSignal,
    OrderPending,
    Cooldown,
    MarketClosed,
    MaxOpenPositions,
    MaxTradesPerDay,
    PositionSize,
    RiskPerTrade,
    AssetExposure,
    BuyingPower,
    ShortNotAllowed,
    NoPrice,
}

impl fmt::Display for RiskRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        f.write_str(&s)
    }
}

/// Why an entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rejection {
    pub rule: RiskRule,
    pub detail: String,
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.rule, self.detail)
    }
}

/// The size an entry may have, and the limits that reduced it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryPlan {
    pub quantity: Decimal,
    /// Send a notional order for this much quote currency instead of `quantity` (sizing
    /// `all_cash` when no cap bound).
    pub notional: Option<Decimal>,
    /// Rules that capped the size (empty when the sizing method's quantity stood).
    pub capped_by: Vec<RiskRule>,
}

/// What the engine knows when a strategy wants to enter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiskCtx {
    pub now: Timestamp,
    /// Signal confidence (0–100).
    pub confidence: u8,
    /// Whether the signal asks to go long (false: short).
    pub long: bool,
    /// Entry price estimate (last close), in quote currency.
    pub price: Decimal,
    /// Distance from entry to the stop-loss, when the strategy has one.
    pub stop_distance: Option<Decimal>,
    pub strategy_equity: Decimal,
    pub total_equity: Decimal,
    /// Cash the strategy can spend (its cash, less what working orders reserve).
    pub buying_power: Decimal,
    /// Fee rate (fraction of notional) to keep in reserve when sizing against cash.
    pub fee_rate: Decimal,
    /// Current market value of this symbol across all strategies.
    pub symbol_exposure: Decimal,
    pub has_position: bool,
    pub order_pending: bool,
    /// This signal (strategy, symbol, bar) already produced an order.
    pub signal_seen: bool,
    pub last_exit: Option<Timestamp>,
    pub market_open: bool,
    pub open_positions: usize,
    pub trades_today: u32,
    pub paused: Option<String>,
    /// Rounds a quantity to what the venue accepts (step size, whole shares).
    pub step: Decimal,
    pub min_quantity: Decimal,
}

/// The configured limits.
#[derive(Debug, Clone, PartialEq)]
pub struct RiskManager {
    pub config: RiskConfig,
}

fn pct(x: Decimal) -> Decimal {
    x / Decimal::ONE_HUNDRED
}

impl RiskManager {
    pub fn new(config: RiskConfig) -> Self {
        RiskManager { config }
    }

    /// Checks every rule for an entry and sizes it.
    pub fn check_entry(&self, c: &RiskCtx) -> Result<EntryPlan, Rejection> {
        let cfg = &self.config;
        let reject = |rule, detail: String| Err(Rejection { rule, detail });
        if let Some(why) = &c.paused {
            return reject(
                RiskRule::BreakerPaused,
                format!("trading is paused ({why})"),
            );
        }
        if c.confidence < cfg.min_confidence {
            return reject(
                RiskRule::MinConfidence,
                format!(
                    "confidence {} is below the minimum {}",
                    c.confidence, cfg.min_confidence
                ),
            );
        }
        if !c.long && !cfg.allow_short {
            return reject(
                RiskRule::ShortNotAllowed,
                "short selling is not enabled (risk.allow_short)".into(),
            );
        }
        if c.has_position {
            return reject(
                RiskRule::OnePositionPerSymbol,
                "the strategy already holds a position in this symbol".into(),
            );
        }
        if c.signal_seen {
            return reject(
                RiskRule::DuplicateSignal,
                "this signal already produced an order".into(),
            );
        }
        if c.order_pending {
            return reject(
                RiskRule::OrderPending,
                "an order for this symbol is still working".into(),
            );
        }
        if let Some(exit) = c.last_exit {
            let until = exit
                .as_nanos()
                .saturating_add(i64::from(cfg.cooldown_minutes) * 60_000_000_000);
            if c.now.as_nanos() < until {
                return reject(
                    RiskRule::Cooldown,
                    format!(
                        "cooldown of {} minutes after the exit at {exit} runs until {}",
                        cfg.cooldown_minutes,
                        Timestamp::from_nanos(until)
                    ),
                );
            }
        }
        if !c.market_open {
            return reject(RiskRule::MarketClosed, "the market is closed".into());
        }
        if c.open_positions >= cfg.max_open_positions {
            return reject(
                RiskRule::MaxOpenPositions,
                format!(
                    "{} positions open, the maximum is {}",
                    c.open_positions, cfg.max_open_positions
                ),
            );
        }
        if c.trades_today >= cfg.max_trades_per_day {
            return reject(
                RiskRule::MaxTradesPerDay,
                format!(
                    "{} trades today, the maximum is {}",
                    c.trades_today, cfg.max_trades_per_day
                ),
            );
        }
        if c.price <= Decimal::ZERO {
            return reject(RiskRule::NoPrice, "no price to size the order with".into());
        }

        // Sizing, then caps; each cap is a notional in quote currency.
        let wanted = match cfg.sizing {
            Sizing::FixedNotional { notional } => notional,
            Sizing::PercentOfEquity { percent } => c.strategy_equity * pct(percent),
            Sizing::AllCash => c.buying_power / (Decimal::ONE + c.fee_rate),
            Sizing::Risk { percent } => match c.stop_distance {
                Some(d) if d > Decimal::ZERO => c.strategy_equity * pct(percent) / d * c.price,
                _ => c.strategy_equity * pct(cfg.max_position_pct),
            },
        };
        // Each cap is a notional in quote currency; its description is only written when it
        // ends up rejecting the entry.
        let mut caps: [Option<(RiskRule, Decimal)>; 4] = [
            Some((
                RiskRule::PositionSize,
                c.strategy_equity * pct(cfg.max_position_pct),
            )),
            c.stop_distance.filter(|d| *d > Decimal::ZERO).map(|d| {
                (
                    RiskRule::RiskPerTrade,
                    c.strategy_equity * pct(cfg.risk_per_trade_pct) / d * c.price,
                )
            }),
            Some((
                RiskRule::AssetExposure,
                (c.total_equity * pct(cfg.max_asset_exposure_pct) - c.symbol_exposure)
                    .max(Decimal::ZERO),
            )),
            Some((
                RiskRule::BuyingPower,
                (c.buying_power / (Decimal::ONE + c.fee_rate)).max(Decimal::ZERO),
            )),
        ];
        let describe = |rule: RiskRule| match rule {
            RiskRule::PositionSize => format!(
                "{}% of the strategy's equity {}",
                cfg.max_position_pct,
                c.strategy_equity.round_dp(2)
            ),
            RiskRule::RiskPerTrade => format!(
                "{}% of equity at a stop {} away",
                cfg.risk_per_trade_pct,
                c.stop_distance.unwrap_or_default().round_dp(8).normalize()
            ),
            RiskRule::AssetExposure => format!(
                "{}% of total equity {} in one asset, {} already held",
                cfg.max_asset_exposure_pct,
                c.total_equity.round_dp(2),
                c.symbol_exposure.round_dp(2)
            ),
            _ => format!("buying power {}", c.buying_power.round_dp(2)),
        };
        let mut notional = wanted;
        let mut capped_by = Vec::new();
        let mut binding: Option<RiskRule> = None;
        for (rule, cap) in caps.iter_mut().filter_map(Option::take) {
            if cap < notional {
                notional = cap;
                capped_by.push(rule);
                binding = Some(rule);
            }
        }
        let raw = notional / c.price;
        let quantity = if c.step > Decimal::ZERO {
            (raw / c.step).floor() * c.step
        } else {
            raw
        };
        if quantity <= Decimal::ZERO || quantity < c.min_quantity {
            let (rule, why) = match binding {
                Some(rule) => (rule, describe(rule)),
                None => (RiskRule::PositionSize, "the sizing method".to_string()),
            };
            return reject(
                rule,
                format!(
                    "the size allowed by {why} is {} at {}, below the minimum quantity {}",
                    raw.round_dp(8).normalize(),
                    c.price,
                    c.min_quantity.max(c.step).normalize()
                ),
            );
        }
        let notional = (cfg.sizing == Sizing::AllCash && capped_by.is_empty()).then_some(notional);
        Ok(EntryPlan {
            quantity: quantity.normalize(),
            notional,
            capped_by,
        })
    }
}

#[cfg(test)]
mod tests;
