//! Running the engine over history: every market event in time order through
//! [`Engine::on_market_event`], collecting the round trips and the equity after every bar.

use std::borrow::Borrow;
use std::collections::BTreeMap;
use std::sync::Arc;

use ploutos_core::money::to_f64;
use ploutos_core::{Bar, Decimal, MarketEvent, Side, Symbol, Timeframe, Timestamp};

use super::types::{EquityPoint, TradeRecord};
use crate::engine::{Engine, EngineConfig, EngineError, EngineState, Skimmed};
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
///
/// The curve is valued in `f64` from the decimal books: Σ over the accounts (in order) of
/// cash + Σ quantity × the last price seen of each position's symbol (bar close or trade
/// price), every decimal converted once — the same operations in the same order whether a
/// bar came through the engine or a fast-forward, so both give the same curve bit for bit.
struct Collector {
    first_symbol: Option<Symbol>,
    first_close: Option<f64>,
    last_close: Option<f64>,
    trades: Vec<TradeRecord>,
    equity: Vec<EquityPoint>,
    /// The last price seen per symbol.
    prices: BTreeMap<Symbol, f64>,
    /// The valuation's terms (reused).
    terms: Vec<Term>,
    /// The trades' directions (shared, not one string per trade).
    long: Arc<str>,
    short: Arc<str>,
}

/// One term of the valuation (see [`Collector`]).
#[derive(Clone, Copy)]
enum Term {
    /// An account starts with its cash.
    Cash(f64),
    /// A position at a known price.
    Fixed(f64, f64),
    /// A position in the symbol being priced.
    Moving(f64),
}

/// Σ accounts of (cash + Σ quantity × price), with the moving symbol at `price`.
#[inline]
fn value(terms: &[Term], price: f64) -> f64 {
    let mut total = 0.0;
    let mut account: Option<f64> = None;
    for t in terms {
        match *t {
            Term::Cash(c) => {
                if let Some(e) = account.replace(c) {
                    total += e;
                }
            }
            Term::Fixed(q, p) => *account.get_or_insert(0.0) += q * p,
            Term::Moving(q) => *account.get_or_insert(0.0) += q * price,
        }
    }
    account.map_or(total, |e| total + e)
}

impl Collector {
    /// A collector for `engine`'s run that writes the equity curve into `equity` (cleared;
    /// its allocation reused).
    fn new(engine: &Engine, mut equity: Vec<EquityPoint>) -> Self {
        equity.clear();
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
            equity,
            prices: BTreeMap::new(),
            terms: Vec::new(),
            long: "long".into(),
            short: "short".into(),
        }
    }

    fn set_price(&mut self, symbol: &Symbol, price: f64) {
        match self.prices.get_mut(symbol) {
            Some(p) => *p = price,
            None => {
                self.prices.insert(symbol.clone(), price);
            }
        }
    }

    /// The valuation of `state` with `moving` as the symbol being priced.
    fn load_terms(&mut self, state: &EngineState, moving: &Symbol) {
        self.terms.clear();
        let portfolio = &state.portfolio;
        for a in portfolio.accounts.values() {
            self.terms.push(Term::Cash(to_f64(a.cash)));
            for (symbol, p) in &a.positions {
                let q = to_f64(p.quantity);
                self.terms.push(if symbol == moving {
                    Term::Moving(q)
                } else {
                    let price = self.prices.get(symbol).copied().unwrap_or_else(|| {
                        to_f64(
                            portfolio
                                .marks
                                .get(symbol)
                                .copied()
                                .unwrap_or(p.average_price),
                        )
                    });
                    Term::Fixed(q, price)
                });
            }
        }
    }

    /// After an event of `symbol` stamped `time` (a bar's open time, as the peers and charts
    /// expect) at `price` (a bar's close, a trade's price) that produced `out`.
    fn record(
        &mut self,
        symbol: &Symbol,
        time: Timestamp,
        price: f64,
        is_bar: bool,
        out: &[EngineEvent],
        state: &EngineState,
    ) {
        if is_bar {
            self.note_close(symbol, price, price);
        }
        self.set_price(symbol, price);
        for e in out {
            if let EngineEvent::TradeClosed {
                strategy,
                trade,
                exit_reason,
            } = e
            {
                self.trades.push(TradeRecord {
                    symbol: trade.symbol.clone(),
                    strategy: Arc::clone(strategy),
                    direction: Arc::clone(if trade.side == Side::Buy {
                        &self.long
                    } else {
                        &self.short
                    }),
                    entry_time: trade.opened,
                    entry_price: trade.entry_price,
                    exit_time: Some(trade.closed),
                    exit_price: trade.exit_price,
                    quantity: trade.quantity,
                    pnl: trade.pnl,
                    fees: trade.fees,
                    return_pct: to_f64(trade.return_pct()),
                    exit_reason: Arc::clone(exit_reason),
                });
            }
        }
        // Equity moves only with a fill or the price of something held: otherwise the last
        // value stands (saves the valuation on most bars).
        let moved = !out.is_empty()
            || self.equity.is_empty()
            || state
                .portfolio
                .accounts
                .values()
                .any(|a| a.positions.contains_key(symbol));
        let value = if moved {
            self.load_terms(state, symbol);
            value(&self.terms, price)
        } else {
            self.equity.last().map_or(0.0, |p| p.equity)
        };
        self.set_equity(time, value);
    }

    /// [`Collector::record`] of bars of a held symbol that caused no event (positions and
    /// cash as in `state`).
    fn record_held(&mut self, symbol: &Symbol, run: &[Bar], state: &EngineState) {
        let (Some(first), Some(last)) = (run.first(), run.last()) else {
            return;
        };
        self.note_close(symbol, first.close(), last.close());
        self.set_price(symbol, last.close());
        self.load_terms(state, symbol);
        let terms = &self.terms;
        match *terms.as_slice() {
            // One account holding only this symbol (a single-strategy backtest): `value`'s
            // operations for these terms, in its order, without its loop.
            [Term::Cash(c), Term::Moving(q)] => {
                push_points(&mut self.equity, run, |b| 0.0 + (c + q * b.close()))
            }
            _ => push_points(&mut self.equity, run, |b| value(terms, b.close())),
        }
    }

    /// [`Collector::record`] of bars that moved nothing (no event, nothing held in their
    /// symbol; `state` after the last): the last equity stands.
    fn record_still(&mut self, symbol: &Symbol, run: &[Bar], state: &EngineState) {
        let (Some(first), Some(last)) = (run.first(), run.last()) else {
            return;
        };
        let rest = if self.equity.is_empty() {
            self.record(symbol, first.time(), first.close(), true, &[], state);
            &run[1..]
        } else {
            run
        };
        self.note_close(symbol, first.close(), last.close());
        self.set_price(symbol, last.close());
        if let Some(value) = self.equity.last().map(|p| p.equity) {
            push_points(&mut self.equity, rest, |_| value);
        }
    }

    /// Closes of `symbol` from `first` to `last` (the first symbol's give buy & hold).
    fn note_close(&mut self, symbol: &Symbol, first: f64, last: f64) {
        if Some(symbol) == self.first_symbol.as_ref() {
            self.first_close.get_or_insert(first);
            self.last_close = Some(last);
        }
    }

    fn set_equity(&mut self, time: Timestamp, equity: f64) {
        set_point(&mut self.equity, time, equity);
    }
}

/// The equity after the event at `time` (events sharing a time keep the last).
fn set_point(points: &mut Vec<EquityPoint>, time: Timestamp, equity: f64) {
    match points.last_mut() {
        Some(last) if last.time >= time => last.equity = equity,
        _ => points.push(EquityPoint { time, equity }),
    }
}

/// The equity after each bar of `run` (times increasing; only the first can share its time
/// with an earlier point).
fn push_points(points: &mut Vec<EquityPoint>, run: &[Bar], value: impl Fn(&Bar) -> f64) {
    let mut bars = run.iter();
    if let Some(bar) = bars.next() {
        set_point(points, bar.time(), value(bar));
    }
    points.extend(bars.map(|b| EquityPoint {
        time: b.time(),
        equity: value(b),
    }));
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
    // Trades and equity are read, not signals.
    engine.set_words(false);
    engine.set_signal_events(false);
    engine.set_order_events(false);
    let initial_equity = to_f64(engine.state().portfolio.total_equity());
    let mut col = Collector::new(&engine, Vec::new());
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
        let (time, price, is_bar) = match ev {
            MarketEvent::Bar { bar, .. } => (bar.time(), bar.close(), true),
            MarketEvent::Trade { trade, .. } => (ev.time(), trade.price(), false),
        };
        col.record(ev.symbol(), time, price, is_bar, &out, engine.state());
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
    progress: impl FnMut(u64),
    shared: Option<&SharedIndicators>,
    fast_forward: bool,
) -> Result<Run, EngineError> {
    let bars = Bars {
        symbol,
        timeframe,
        bars,
    };
    run_bars_into(cfg, bars, progress, shared, fast_forward, Vec::new())
}

/// One symbol's bars at a timeframe (for [`run_bars_into`]).
#[derive(Debug, Clone, Copy)]
pub struct Bars<'a> {
    pub symbol: &'a Symbol,
    pub timeframe: Timeframe,
    pub bars: &'a [Bar],
}

/// [`run_bars`] writing the equity curve into `equity` (cleared first): a caller running
/// many backtests (the optimizer) hands each the curve of the one before, so the curve's
/// memory is allocated and faulted in once per thread instead of once per run.
///
/// Never inlined: called once per run, and profilers (BENCHMARKS.md counts the run phase with
/// callgrind's `--toggle-collect`) find it by name.
#[inline(never)]
pub fn run_bars_into(
    cfg: EngineConfig,
    Bars {
        symbol,
        timeframe,
        bars,
    }: Bars<'_>,
    mut progress: impl FnMut(u64),
    shared: Option<&SharedIndicators>,
    fast_forward: bool,
    equity: Vec<EquityPoint>,
) -> Result<Run, EngineError> {
    let event = |bar: &Bar| MarketEvent::Bar {
        symbol: symbol.clone(),
        timeframe,
        bar: *bar,
    };
    let start = bars.first().map_or(Timestamp::EPOCH, |b| event(b).time());
    let mut engine = Engine::with_shared(cfg, start, shared)?;
    // Trades and equity are read, not signals.
    engine.set_words(false);
    engine.set_signal_events(false);
    engine.set_order_events(false);
    let initial_equity = to_f64(engine.state().portfolio.total_equity());
    let mut col = Collector::new(&engine, equity);
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
                |taken, state| match taken {
                    Skimmed::Held(run) => col.record_held(symbol, run, state),
                    Skimmed::Still(run) => col.record_still(symbol, run, state),
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
            col.record(symbol, bar.time(), bar.close(), true, &out, engine.state());
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
                strategy: Arc::clone(&acct.strategy),
                direction: if p.quantity > Decimal::ZERO {
                    "long"
                } else {
                    "short"
                }
                .into(),
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
                exit_reason: "open".into(),
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
