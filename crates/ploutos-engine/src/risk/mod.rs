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
    config: RiskConfig,
    /// The configuration's percentages as fractions, divided once (every entry check uses
    /// them; a decimal division is the costliest step of sizing).
    fractions: Fractions,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Fractions {
    max_position: Decimal,
    risk_per_trade: Decimal,
    max_asset_exposure: Decimal,
    /// `PercentOfEquity` / `Risk` sizing's percent (zero for the other methods).
    sizing: Decimal,
}

fn pct(x: Decimal) -> Decimal {
    x / Decimal::ONE_HUNDRED
}

impl RiskManager {
    pub fn new(config: RiskConfig) -> Self {
        let fractions = Fractions {
            max_position: pct(config.max_position_pct),
            risk_per_trade: pct(config.risk_per_trade_pct),
            max_asset_exposure: pct(config.max_asset_exposure_pct),
            sizing: match config.sizing {
                Sizing::PercentOfEquity { percent } | Sizing::Risk { percent } => pct(percent),
                _ => Decimal::ZERO,
            },
        };
        RiskManager { config, fractions }
    }

    /// The limits.
    pub fn config(&self) -> &RiskConfig {
        &self.config
    }

    /// The checks before sizing, in order: the first failing one.
    fn gate(&self, c: &RiskCtx) -> Option<RiskRule> {
        let cfg = &self.config;
        let cooling = c
            .last_exit
            .is_some_and(|exit| c.now < self.cooldown_end(exit));
        [
            (c.paused.is_some(), RiskRule::BreakerPaused),
            (c.confidence < cfg.min_confidence, RiskRule::MinConfidence),
            (!c.long && !cfg.allow_short, RiskRule::ShortNotAllowed),
            (c.has_position, RiskRule::OnePositionPerSymbol),
            (c.signal_seen, RiskRule::DuplicateSignal),
            (c.order_pending, RiskRule::OrderPending),
            (cooling, RiskRule::Cooldown),
            (!c.market_open, RiskRule::MarketClosed),
            (
                c.open_positions >= cfg.max_open_positions,
                RiskRule::MaxOpenPositions,
            ),
            (
                c.trades_today >= cfg.max_trades_per_day,
                RiskRule::MaxTradesPerDay,
            ),
            (c.price <= Decimal::ZERO, RiskRule::NoPrice),
        ]
        .into_iter()
        .find_map(|(fails, rule)| fails.then_some(rule))
    }

    /// When the cooldown after an exit at `exit` ends.
    fn cooldown_end(&self, exit: Timestamp) -> Timestamp {
        Timestamp::from_nanos(
            exit.as_nanos()
                .saturating_add(i64::from(self.config.cooldown_minutes) * 60_000_000_000),
        )
    }

    /// What a rejection by `rule` says, with the values that made it.
    pub fn explain(&self, c: &RiskCtx, rule: RiskRule) -> String {
        let cfg = &self.config;
        match rule {
            RiskRule::BreakerPaused => format!(
                "trading is paused ({})",
                c.paused.as_deref().unwrap_or("breaker")
            ),
            RiskRule::MinConfidence => format!(
                "confidence {} is below the minimum {}",
                c.confidence, cfg.min_confidence
            ),
            RiskRule::ShortNotAllowed => "short selling is not enabled (risk.allow_short)".into(),
            RiskRule::OnePositionPerSymbol => {
                "the strategy already holds a position in this symbol".into()
            }
            RiskRule::DuplicateSignal => "this signal already produced an order".into(),
            RiskRule::OrderPending => "an order for this symbol is still working".into(),
            RiskRule::Cooldown => {
                let exit = c.last_exit.unwrap_or(c.now);
                format!(
                    "cooldown of {} minutes after the exit at {exit} runs until {}",
                    cfg.cooldown_minutes,
                    self.cooldown_end(exit)
                )
            }
            RiskRule::MarketClosed => "the market is closed".into(),
            RiskRule::MaxOpenPositions => format!(
                "{} positions open, the maximum is {}",
                c.open_positions, cfg.max_open_positions
            ),
            RiskRule::MaxTradesPerDay => format!(
                "{} trades today, the maximum is {}",
                c.trades_today, cfg.max_trades_per_day
            ),
            RiskRule::NoPrice => "no price to size the order with".into(),
            RiskRule::PositionSize
            | RiskRule::RiskPerTrade
            | RiskRule::AssetExposure
            | RiskRule::BuyingPower => {
                let (notional, _, binding) = self.notional(c);
                let raw = if c.price > Decimal::ZERO {
                    notional / c.price
                } else {
                    Decimal::ZERO
                };
                let why = match binding {
                    Some(RiskRule::PositionSize) => format!(
                        "{}% of the strategy's equity {}",
                        cfg.max_position_pct,
                        c.strategy_equity.round_dp(2)
                    ),
                    Some(RiskRule::RiskPerTrade) => format!(
                        "{}% of equity at a stop {} away",
                        cfg.risk_per_trade_pct,
                        c.stop_distance.unwrap_or_default().round_dp(8).normalize()
                    ),
                    Some(RiskRule::AssetExposure) => format!(
                        "{}% of total equity {} in one asset, {} already held",
                        cfg.max_asset_exposure_pct,
                        c.total_equity.round_dp(2),
                        c.symbol_exposure.round_dp(2)
                    ),
                    Some(_) => format!("buying power {}", c.buying_power.round_dp(2)),
                    None => "the sizing method".to_string(),
                };
                format!(
                    "the size allowed by {why} is {} at {}, below the minimum quantity {}",
                    raw.round_dp(8).normalize(),
                    c.price,
                    c.min_quantity.max(c.step).normalize()
                )
            }
        }
    }

    /// The entry's notional: the sizing method's, capped by the position-size, risk-per-trade,
    /// per-asset exposure and buying-power limits; with the caps that bound it, the last one
    /// binding.
    fn notional(&self, c: &RiskCtx) -> (Decimal, Vec<RiskRule>, Option<RiskRule>) {
        let cfg = &self.config;
        let f = &self.fractions;
        // What the cash buys after the fee.
        let spendable = c.buying_power / (Decimal::ONE + c.fee_rate);
        let wanted = match cfg.sizing {
            Sizing::FixedNotional { notional } => notional,
            Sizing::PercentOfEquity { .. } => c.strategy_equity * f.sizing,
            Sizing::AllCash => spendable,
            Sizing::Risk { .. } => match c.stop_distance {
                Some(d) if d > Decimal::ZERO => c.strategy_equity * f.sizing / d * c.price,
                _ => c.strategy_equity * f.max_position,
            },
        };
        let mut caps: [Option<(RiskRule, Decimal)>; 4] = [
            Some((RiskRule::PositionSize, c.strategy_equity * f.max_position)),
            c.stop_distance.filter(|d| *d > Decimal::ZERO).map(|d| {
                (
                    RiskRule::RiskPerTrade,
                    c.strategy_equity * f.risk_per_trade / d * c.price,
                )
            }),
            Some((
                RiskRule::AssetExposure,
                (c.total_equity * f.max_asset_exposure - c.symbol_exposure).max(Decimal::ZERO),
            )),
            Some((RiskRule::BuyingPower, spendable.max(Decimal::ZERO))),
        ];
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
        (notional, capped_by, binding)
    }

    /// For a fast-forward over bars on which the entry signal repeats while flat, after it was
    /// refused with `rule` (`c` as for the next bar, its price aside): the lowest price
    /// above which every later bar's entry is refused with that same rule, as long as the
    /// state is unchanged, the day and market session are the same, a cooldown has not run
    /// out (the caller bounds those) and the signal confidence does not matter
    /// (`NEG_INFINITY`: at any price); `None` when that cannot be told cheaply. Only rules
    /// that hold by themselves (a pause, open positions, trades today, a cooldown, a closed
    /// market) and the size limits of a price-independent notional (no stop, not risk-based
    /// sizing) qualify: with a fixed notional `N`, the size `N / price` shrinks as the price
    /// rises, so a size below the minimum stays below it above `N / minimum` (with a margin
    /// of 1e-9 for the conversion to `f64`).
    pub fn refusal_holds(&self, c: &RiskCtx, rule: RiskRule) -> Option<f64> {
        let cfg = &self.config;
        let confidence_free = cfg.min_confidence == 0;
        match self.gate(c) {
            Some(r) if r != rule => None,
            Some(_) => match rule {
                RiskRule::BreakerPaused => Some(f64::NEG_INFINITY),
                RiskRule::Cooldown
                | RiskRule::MarketClosed
                | RiskRule::MaxOpenPositions
                | RiskRule::MaxTradesPerDay
                    if confidence_free =>
                {
                    Some(f64::NEG_INFINITY)
                }
                _ => None,
            },
            None => {
                if !confidence_free
                    || matches!(cfg.sizing, Sizing::Risk { .. })
                    || c.stop_distance.is_some()
                {
                    return None;
                }
                let (notional, _, binding) = self.notional(c);
                if binding.unwrap_or(RiskRule::PositionSize) != rule {
                    return None;
                }
                if notional <= Decimal::ZERO {
                    return Some(f64::NEG_INFINITY);
                }
                let least = if c.step > Decimal::ZERO {
                    c.min_quantity.max(c.step)
                } else {
                    c.min_quantity
                };
                if least <= Decimal::ZERO {
                    return None;
                }
                let bound = ploutos_core::money::to_f64(notional)
                    / ploutos_core::money::to_f64(least)
                    * (1.0 + 1e-9);
                bound.is_finite().then_some(bound)
            }
        }
    }

    /// Checks every rule for an entry and sizes it.
    pub fn check_entry(&self, c: &RiskCtx) -> Result<EntryPlan, Rejection> {
        self.check(c).map_err(|rule| Rejection {
            rule,
            detail: self.explain(c, rule),
        })
    }

    /// [`RiskManager::check_entry`] without the words: the rule that rejects the entry
    /// ([`RiskManager::explain`] says why, when it is to be reported).
    pub fn check(&self, c: &RiskCtx) -> Result<EntryPlan, RiskRule> {
        if let Some(rule) = self.gate(c) {
            return Err(rule);
        }
        let (notional, capped_by, binding) = self.notional(c);
        let raw = notional / c.price;
        let quantity = if c.step > Decimal::ZERO {
            (raw / c.step).floor() * c.step
        } else {
            raw
        };
        if quantity <= Decimal::ZERO || quantity < c.min_quantity {
            return Err(binding.unwrap_or(RiskRule::PositionSize));
        }
        let sizing_all_cash = self.config.sizing == Sizing::AllCash;
        let notional = (sizing_all_cash && capped_by.is_empty()).then_some(notional);
        Ok(EntryPlan {
            quantity: quantity.normalize(),
            notional,
            capped_by,
        })
    }
}

#[cfg(test)]
mod tests;
