//! Running the engine over history: every market event in time order through
//! [`Engine::on_market_event`], collecting the round trips and the equity after every bar.

use std::borrow::Borrow;

use ploutos_core::money::to_f64;
use ploutos_core::{Decimal, MarketEvent, Side, Timestamp};

use super::types::{EquityPoint, TradeRecord};
use crate::engine::{Engine, EngineConfig, EngineError, EngineState};
use crate::events::EngineEvent;
use crate::strategy::shared::SharedIndicators;

/// What a run over history produced (before metrics).
#[derive(Debug, Clone)]
pub struct Run {
    /// Closed round trips, then positions still open at the end (marked to the last close).
    pub trades: Vec<TradeRecord>,
    /// Total equity after every distinct bar time.
    pub equity: Vec<EquityPoint>,
    pub initial_equity: f64,
    /// First and last close of the first symbol (buy & hold).
    pub first_close: Option<f64>,
    pub last_close: Option<f64>,
    pub events: u64,
    pub state: EngineState,
}

/// Runs `cfg` over `events` (time-ordered). `progress` is called every 65,536 events with the
/// count so far.
pub fn run<E: Borrow<MarketEvent>>(
    cfg: EngineConfig,
    events: impl IntoIterator<Item = E>,
    progress: impl FnMut(u64),
) -> Result<Run, EngineError> {
    run_shared(cfg, events, progress, None)
}

/// [`run`] with indicator series shared between runs (see [`crate::strategy::shared`]): the
/// same result, bit for bit.
pub fn run_shared<E: Borrow<MarketEvent>>(
    cfg: EngineConfig,
    events: impl IntoIterator<Item = E>,
    mut progress: impl FnMut(u64),
    shared: Option<&SharedIndicators>,
) -> Result<Run, EngineError> {
    let mut events = events.into_iter().peekable();
    let start = events
        .peek()
        .map_or(Timestamp::EPOCH, |e| e.borrow().time());
    let mut engine = Engine::with_shared(cfg, start, shared)?;
    let initial_equity = to_f64(engine.state().portfolio.total_equity());
    let first_symbol = engine
        .config()
        .strategies
        .first()
        .and_then(|s| s.symbols.first().cloned());
    let (mut first_close, mut last_close) = (None, None);
    let mut trades = Vec::new();
    let mut equity: Vec<EquityPoint> = Vec::new();
    let mut out: Vec<EngineEvent> = Vec::with_capacity(64);
    let mut n = 0u64;
    for ev in events {
        let ev = ev.borrow();
        out.clear();
        engine.on_market_event(ev, &mut out);
        n += 1;
        if n & 0xFFFF == 0 {
            progress(n);
        }
        if let MarketEvent::Bar { symbol, bar, .. } = ev {
            if Some(symbol) == first_symbol.as_ref() {
                first_close.get_or_insert(bar.close());
                last_close = Some(bar.close());
            }
        }
        for e in &out {
            if let EngineEvent::TradeClosed {
                strategy,
                trade,
                exit_reason,
            } = e
            {
                trades.push(TradeRecord {
                    symbol: trade.symbol.clone(),
                    strategy: strategy.to_string(),
                    direction: if trade.side == Side::Buy {
                        "long"
                    } else {
                        "short"
                    }
                    .to_string(),
                    entry_time: trade.opened,
                    entry_price: trade.entry_price,
                    exit_time: Some(trade.closed),
                    exit_price: trade.exit_price,
                    quantity: trade.quantity,
                    pnl: trade.pnl,
                    fees: trade.fees,
                    return_pct: to_f64(trade.return_pct()),
                    exit_reason: exit_reason.to_string(),
                });
            }
        }
        // Stamped like the data (a bar's open time), as the peers and charts expect.
        let time = match ev {
            MarketEvent::Bar { bar, .. } => bar.time(),
            MarketEvent::Trade { .. } => ev.time(),
        };
        // Equity moves only with a fill or the price of something held: otherwise the last
        // value stands (saves a decimal sum and conversion on most bars).
        let portfolio = &engine.state().portfolio;
        let moved = !out.is_empty()
            || equity.is_empty()
            || portfolio
                .accounts
                .values()
                .any(|a| a.positions.contains_key(ev.symbol()));
        let value = if moved {
            to_f64(portfolio.total_equity())
        } else {
            equity.last().map_or(0.0, |p| p.equity)
        };
        match equity.last_mut() {
            Some(last) if last.time >= time => last.equity = value,
            _ => equity.push(EquityPoint {
                time,
                equity: value,
            }),
        }
    }
    progress(n);
    let state = engine.state().clone();
    for acct in state.portfolio.accounts.values() {
        for (symbol, p) in &acct.positions {
            let mark = state
                .portfolio
                .marks
                .get(symbol)
                .copied()
                .unwrap_or(p.average_price);
            let qty = p.quantity.abs();
            let per_unit = if p.quantity > Decimal::ZERO {
                mark - p.average_price
            } else {
                p.average_price - mark
            };
            let pnl = p.realized + per_unit * qty - p.fees;
            let basis = p.average_price * qty;
            trades.push(TradeRecord {
                symbol: symbol.clone(),
                strategy: acct.strategy.to_string(),
                direction: if p.quantity > Decimal::ZERO {
                    "long"
                } else {
                    "short"
                }
                .to_string(),
                entry_time: p.opened,
                entry_price: p.average_price,
                exit_time: None,
                exit_price: mark,
                quantity: qty,
                pnl,
                fees: p.fees,
                return_pct: if basis.is_zero() {
                    0.0
                } else {
                    to_f64(pnl / basis) * 100.0
                },
                exit_reason: "open".to_string(),
            });
        }
    }
    Ok(Run {
        trades,
        equity,
        initial_equity,
        first_close,
        last_close,
        events: n,
        state,
    })
}
