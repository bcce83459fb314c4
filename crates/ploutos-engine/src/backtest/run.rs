//! Running the engine over history: every market event in time order through
//! [`Engine::on_market_event`], collecting the round trips and the equity after every bar.

use std::borrow::Borrow;

use ploutos_core::money::to_f64;
use ploutos_core::{Bar, Decimal, MarketEvent, Side, Symbol, Timeframe, Timestamp};

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
    /// Of the events, the bars taken in a fast-forward ([`Engine::skim`]).
    pub skimmed: u64,
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

/// What a run collects after each event: trades, the equity curve, first and last close.
struct Collector {
    first_symbol: Option<Symbol>,
    first_close: Option<f64>,
    last_close: Option<f64>,
    trades: Vec<TradeRecord>,
    equity: Vec<EquityPoint>,
}

impl Collector {
    fn new(engine: &Engine) -> Self {
        let first_symbol = engine
            .config()
            .strategies
            .first()
            .and_then(|s| s.symbols.first().cloned());
        Collector {
            first_symbol,
            first_close: None,
            last_close: None,
            trades: Vec::new(),
            equity: Vec::new(),
        }
    }

    /// After an event of `symbol` stamped `time` (a bar's open time, as the peers and charts
    /// expect; `close` for a bar) that produced `out`.
    fn record(
        &mut self,
        symbol: &Symbol,
        time: Timestamp,
        close: Option<f64>,
        out: &[EngineEvent],
        state: &EngineState,
    ) {
        if let Some(close) = close {
            self.note_close(symbol, close);
        }
        for e in out {
            if let EngineEvent::TradeClosed {
                strategy,
                trade,
                exit_reason,
            } = e
            {
                self.trades.push(TradeRecord {
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
        // Equity moves only with a fill or the price of something held: otherwise the last
        // value stands (saves a decimal sum and conversion on most bars).
        let portfolio = &state.portfolio;
        let moved = !out.is_empty()
            || self.equity.is_empty()
            || portfolio
                .accounts
                .values()
                .any(|a| a.positions.contains_key(symbol));
        let value = if moved {
            to_f64(portfolio.total_equity())
        } else {
            self.equity.last().map_or(0.0, |p| p.equity)
        };
        self.set_equity(time, value);
    }

    /// [`Collector::record`] of a bar of a held symbol that caused no event, with the total
    /// equity after it.
    fn record_value(&mut self, symbol: &Symbol, time: Timestamp, close: f64, total: Decimal) {
        self.note_close(symbol, close);
        self.set_equity(time, to_f64(total));
    }

    /// [`Collector::record`] of a bar that moved nothing (no event, nothing held in its
    /// symbol) after some other: the last equity stands.
    fn record_still(&mut self, symbol: &Symbol, time: Timestamp, close: f64) {
        self.note_close(symbol, close);
        if let Some(last) = self.equity.last() {
            self.set_equity(time, last.equity);
        }
    }

    /// A close of `symbol` (the first symbol's give buy & hold).
    fn note_close(&mut self, symbol: &Symbol, close: f64) {
        if Some(symbol) == self.first_symbol.as_ref() {
            self.first_close.get_or_insert(close);
            self.last_close = Some(close);
        }
    }

    /// The equity after the event at `time` (events sharing a time keep the last).
    fn set_equity(&mut self, time: Timestamp, equity: f64) {
        match self.equity.last_mut() {
            Some(last) if last.time >= time => last.equity = equity,
            _ => self.equity.push(EquityPoint { time, equity }),
        }
    }
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
    engine.set_words(false); // trades and equity are read, not signals
    let initial_equity = to_f64(engine.state().portfolio.total_equity());
    let mut col = Collector::new(&engine);
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
        let (time, close) = match ev {
            MarketEvent::Bar { bar, .. } => (bar.time(), Some(bar.close())),
            MarketEvent::Trade { .. } => (ev.time(), None),
        };
        col.record(ev.symbol(), time, close, &out, engine.state());
    }
    progress(n);
    Ok(finish(engine, col, initial_equity, n, 0))
}

/// [`run_shared`] over the bars of one symbol, fast: stretches of bars on which nothing can
/// happen go through [`Engine::skim`] instead of one [`Engine::on_market_event`] each (with
/// `fast_forward`; without, every bar takes the full path). The same result either way, bit
/// for bit.
pub fn run_bars(
    cfg: EngineConfig,
    symbol: &Symbol,
    timeframe: Timeframe,
    bars: &[Bar],
    mut progress: impl FnMut(u64),
    shared: Option<&SharedIndicators>,
    fast_forward: bool,
) -> Result<Run, EngineError> {
    let event = |bar: &Bar| MarketEvent::Bar {
        symbol: symbol.clone(),
        timeframe,
        bar: *bar,
    };
    let start = bars.first().map_or(Timestamp::EPOCH, |b| event(b).time());
    let mut engine = Engine::with_shared(cfg, start, shared)?;
    engine.set_words(false); // trades and equity are read, not signals
    let initial_equity = to_f64(engine.state().portfolio.total_equity());
    let mut col = Collector::new(&engine);
    col.equity.reserve_exact(bars.len()); // one point per bar
    ploutos_core::mem::advise_huge_pages(&col.equity);
    let mut out: Vec<EngineEvent> = Vec::with_capacity(64);
    let mut i = 0;
    let mut reported = 0;
    let mut skimmed = 0;
    while i < bars.len() {
        if fast_forward {
            out.clear();
            let n = engine.skim(
                symbol,
                timeframe,
                &bars[i..],
                &mut out,
                |bar, state, total| match total {
                    Some(total) => col.record_value(symbol, bar.time(), bar.close(), total),
                    None if col.equity.is_empty() => {
                        col.record(symbol, bar.time(), Some(bar.close()), &[], state)
                    }
                    None => col.record_still(symbol, bar.time(), bar.close()),
                },
            );
            i += n;
            skimmed += n;
            // A breaker may trip on the last bar taken; nothing else happens in a skim.
            debug_assert!(out
                .iter()
                .all(|e| !matches!(e, EngineEvent::TradeClosed { .. })));
        }
        if let Some(bar) = bars.get(i) {
            out.clear();
            engine.on_market_event(&event(bar), &mut out);
            col.record(symbol, bar.time(), Some(bar.close()), &out, engine.state());
            i += 1;
        }
        if i - reported >= 0x10000 {
            reported = i;
            progress(i as u64);
        }
    }
    progress(i as u64);
    Ok(finish(
        engine,
        col,
        initial_equity,
        i as u64,
        skimmed as u64,
    ))
}

/// The run's result: the open positions marked to the last price join the trades.
fn finish(engine: Engine, col: Collector, initial_equity: f64, n: u64, skimmed: u64) -> Run {
    let Collector {
        first_close,
        last_close,
        mut trades,
        equity,
        ..
    } = col;
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
    Run {
        trades,
        equity,
        initial_equity,
        first_close,
        last_close,
        events: n,
        skimmed,
        state,
    }
}
