//! [`OrderRequest`]: what a strategy (through the risk manager) asks a broker to do.

use std::fmt;
use std::sync::Arc;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::id::ClientOrderId;
use crate::side::Side;
use crate::symbol::Symbol;

/// How far a trailing stop follows the best price since it became active.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trail {
    /// A fixed price distance.
    Amount(Decimal),
    /// A percentage of the best price (0 < p < 100).
    Percent(Decimal),
}

/// The order type and its prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum OrderKind {
    Market,
    Limit {
        limit: Decimal,
    },
    /// Becomes a market order when the price trades at or through `stop`.
    Stop {
        stop: Decimal,
    },
    /// Becomes a limit order at `limit` when the price trades at or through `stop`.
    StopLimit {
        stop: Decimal,
        limit: Decimal,
    },
    /// A stop that follows the best price since entry at a fixed gap.
    TrailingStop {
        trail: Trail,
    },
}

impl OrderKind {
    /// Short name (`market`, `limit`, `stop`, `stop_limit`, `trailing_stop`).
    pub fn name(&self) -> &'static str {
        match self {
            OrderKind::Market => "market",
            OrderKind::Limit { .. } => "limit",
            OrderKind::Stop { .. } => "stop",
            OrderKind::StopLimit { .. } => "stop_limit",
            OrderKind::TrailingStop { .. } => "trailing_stop",
        }
    }
}

/// How long an order stays working.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TimeInForce {
    /// Until the end of the trading day (stocks: the regular session's close; crypto: 00:00 UTC).
    Day,
    /// Good till canceled.
    Gtc,
    /// Immediate or cancel: fill what can be filled now, cancel the rest.
    Ioc,
    /// Fill or kill: all now, or nothing.
    Fok,
}

impl fmt::Display for TimeInForce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TimeInForce::Day => "day",
            TimeInForce::Gtc => "gtc",
            TimeInForce::Ioc => "ioc",
            TimeInForce::Fok => "fok",
        })
    }
}

/// A quantity of the base asset (shares, coins) or a notional amount of the quote currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrderSize {
    Quantity(Decimal),
    Notional(Decimal),
}

/// How an order hangs together with others: brackets (entry + take-profit + stop-loss), OTO
/// and OCO are built from these two links.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contingency {
    /// Held until this order fills; then it starts working (bracket legs, OTO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub triggered_by: Option<ClientOrderId>,
    /// When either fills, the other is canceled (OCO, a bracket's two exits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub one_cancels_other: Option<ClientOrderId>,
}

/// An order request that cannot be sent; names the field and value.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderRequestError {
    #[error("order {id}: {field} {value} must be greater than zero")]
    NotPositive {
        id: ClientOrderId,
        field: &'static str,
        value: Decimal,
    },
    #[error("order {id}: trailing percent {value} must be between 0 and 100")]
    TrailPercent { id: ClientOrderId, value: Decimal },
    #[error("order {id}: a notional size is only possible for a market order")]
    NotionalNotMarket { id: ClientOrderId },
    #[error("order {id}: time in force {tif} is not possible for a {kind} order")]
    TifNotAllowed {
        id: ClientOrderId,
        tif: TimeInForce,
        kind: &'static str,
    },
}

/// A new order as a strategy asks for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRequest {
    pub client_id: ClientOrderId,
    /// The strategy the order belongs to (its capital, its positions).
    pub strategy: Arc<str>,
    pub symbol: Symbol,
    pub side: Side,
    pub kind: OrderKind,
    pub size: OrderSize,
    pub tif: TimeInForce,
    #[serde(default)]
    pub contingency: Contingency,
    /// Only reduces a position (exits): never opens or flips one.
    #[serde(default)]
    pub reduce_only: bool,
    /// Why the order exists ("entry", "stop_loss", "take_profit", "trailing_stop", …).
    pub reason: Arc<str>,
}

impl OrderRequest {
    /// Checks the prices, size and time in force.
    pub fn validate(&self) -> Result<(), OrderRequestError> {
        let id = || self.client_id.clone();
        let positive = |field: &'static str, value: Decimal| {
            if crate::money::is_positive(value) {
                Ok(())
            } else {
                Err(OrderRequestError::NotPositive {
                    id: id(),
                    field,
                    value,
                })
            }
        };
        match self.size {
            OrderSize::Quantity(q) => positive("quantity", q)?,
            OrderSize::Notional(n) => {
                positive("notional", n)?;
                // (Alpaca also wants time in force day: its venue client says so.)
                if self.kind != OrderKind::Market {
                    return Err(OrderRequestError::NotionalNotMarket { id: id() });
                }
            }
        }
        match self.kind {
            OrderKind::Market => {}
            OrderKind::Limit { limit } => positive("limit price", limit)?,
            OrderKind::Stop { stop } => positive("stop price", stop)?,
            OrderKind::StopLimit { stop, limit } => {
                positive("stop price", stop)?;
                positive("limit price", limit)?;
            }
            OrderKind::TrailingStop { trail } => match trail {
                Trail::Amount(a) => positive("trail amount", a)?,
                Trail::Percent(p) => {
                    if !(p > Decimal::ZERO && p < Decimal::ONE_HUNDRED) {
                        return Err(OrderRequestError::TrailPercent { id: id(), value: p });
                    }
                }
            },
        }
        let immediate = matches!(self.tif, TimeInForce::Ioc | TimeInForce::Fok);
        if immediate && !matches!(self.kind, OrderKind::Market | OrderKind::Limit { .. }) {
            return Err(OrderRequestError::TifNotAllowed {
                id: id(),
                tif: self.tif,
                kind: self.kind.name(),
            });
        }
        Ok(())
    }
}
