//! [`EngineEvent`]: the typed stream the engine emits. Everything outside the event loop (the
//! journal, the console, the API and dashboard, notifications, metrics) learns what happened
//! from these and never touches engine state.

use std::sync::Arc;

use ploutos_core::order::{ClientOrderId, Fill, OrderEvent, OrderRequest, OrderStatus};
use ploutos_core::{Decimal, Side, Signal, Symbol, Timestamp};
use serde::{Deserialize, Serialize};

use crate::breakers::BreakerChange;
use crate::portfolio::ClosedTrade;
use crate::risk::RiskRule;

/// One strategy's line in a daily summary.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyDay {
    pub strategy: Arc<str>,
    pub equity: Decimal,
    pub cash: Decimal,
    pub realized_pnl: Decimal,
    pub open_positions: usize,
    pub trades_today: u32,
}

/// Something the engine did or saw.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EngineEvent {
    /// A strategy's BUY/SELL verdict (HOLD is not an event).
    Signal(Signal),
    /// An order was created and sent to the broker.
    OrderSubmitted {
        time: Timestamp,
        order: OrderRequest,
    },
    /// The broker reported something about an order.
    OrderUpdate {
        client_id: ClientOrderId,
        strategy: Arc<str>,
        symbol: Symbol,
        side: Side,
        event: OrderEvent,
        status: OrderStatus,
    },
    /// A fill was booked to the strategy's account.
    Fill {
        client_id: ClientOrderId,
        strategy: Arc<str>,
        symbol: Symbol,
        side: Side,
        fill: Fill,
        position_after: Decimal,
        cash_after: Decimal,
        reason: Arc<str>,
    },
    /// A round trip closed.
    TradeClosed {
        strategy: Arc<str>,
        trade: ClosedTrade,
        exit_reason: Arc<str>,
    },
    /// The risk manager refused an entry.
    RiskRejection {
        time: Timestamp,
        strategy: Arc<str>,
        symbol: Symbol,
        rule: RiskRule,
        detail: String,
    },
    /// A circuit breaker tripped or resumed; `scope` is a strategy name or `global`.
    Breaker {
        time: Timestamp,
        scope: Arc<str>,
        change: BreakerChange,
    },
    /// The NYSE regular session opened or closed (emitted when a strategy trades a stock).
    Market { time: Timestamp, open: bool },
    /// End of a trading day.
    DailySummary {
        day: String,
        total_equity: Decimal,
        strategies: Vec<StrategyDay>,
    },
    /// Something went wrong that the engine survived (a duplicate fill, a bad transition…).
    Error { time: Timestamp, message: String },
}

impl EngineEvent {
    /// The journal's kind name.
    pub fn kind(&self) -> &'static str {
        match self {
            EngineEvent::Signal(_) => "signal",
            EngineEvent::OrderSubmitted { .. } => "order_submitted",
            EngineEvent::OrderUpdate { .. } => "order_update",
            EngineEvent::Fill { .. } => "fill",
            EngineEvent::TradeClosed { .. } => "trade_closed",
            EngineEvent::RiskRejection { .. } => "risk_rejection",
            EngineEvent::Breaker { .. } => "breaker",
            EngineEvent::Market { open: true, .. } => "market_open",
            EngineEvent::Market { open: false, .. } => "market_close",
            EngineEvent::DailySummary { .. } => "daily_summary",
            EngineEvent::Error { .. } => "error",
        }
    }
}
