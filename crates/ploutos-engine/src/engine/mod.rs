//! The event loop's core: one [`Engine`] owns the portfolio, the orders, the strategies, the
//! risk manager, the breakers and the paper broker. It is synchronous and deterministic: the
//! same market events give the same [`EngineEvent`]s, bit for bit. Feeds, the journal and the
//! console live outside (tokio tasks in the binary) and talk to it through channels.
//!
//! On each market event (a closed bar of one symbol):
//! 1. the clock moves to the bar's close; a new day resets daily counters and may lift
//!    breakers (a daily summary is emitted for the day that ended);
//! 2. the bar is marked, and the paper broker fills working orders against it (market orders
//!    submitted on the previous bar fill at this bar's open); fills update the portfolio,
//!    entries get their exit orders, closed round trips feed the losing-streak breaker;
//! 3. every strategy on the symbol gets its (aggregated) closed bar; a BUY when flat goes
//!    through the risk manager to an entry order, a SELL when long becomes an exit;
//! 4. time exits are checked and the drawdown / daily-loss breakers see the new equity.

mod config;
mod reconcile;
mod state;

pub use config::{EngineConfig, Execution, StrategyConfig, TradingMode};
pub use reconcile::{BrokerTruth, Discrepancy};
pub use state::{key, EngineState, PositionMeta};
use state::{put, update_or_default, KeyRef};

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use ploutos_core::money::{is_negative, price_from_f64, to_f64};
use ploutos_core::order::{
    ClientOrderId, Contingency, Order, OrderEvent, OrderKind, OrderRequest, OrderSize, TimeInForce,
    Trail,
};
use ploutos_core::{
    AssetClass, Bar, Decimal, Instrument, MarketEvent, Side, SignalKind, Symbol, Timeframe,
    Timestamp,
};
use ploutos_ta::Atr;
use thiserror::Error;

use crate::bars::BarAggregator;
use crate::breakers::{BreakerSet, Pause, Resume};
use crate::broker::{PaperBroker, SubmitCtx};
use crate::calendar::Sessions;
use crate::events::{EngineEvent, StrategyDay};
use crate::exits::ExitConfig;
use crate::portfolio::Portfolio;
use crate::risk::{RiskCtx, RiskManager, RiskRule};
use crate::strategy::skim::Quiet;
use crate::strategy::{registry, SignalSink, Strategy, StrategyCtx};

/// The configuration cannot make an engine.
#[derive(Debug, Error)]
pub enum EngineError {
    #[error("strategy {name:?}: {message}")]
    Strategy { name: String, message: String },
    #[error("two strategies are named {0:?}; names must be unique")]
    DuplicateName(String),
    #[error("restore: {0}")]
    Restore(String),
}

const GLOBAL: &str = "global";

/// One strategy on one symbol.
struct Slot {
    strategy: Arc<str>,
    symbol: Symbol,
    timeframe: Option<Timeframe>,
    aggregator: Option<BarAggregator>,
    logic: Box<dyn Strategy>,
    /// The ATR(14) of the bars decided on, kept only where an exit level uses it (nothing
    /// else reads it: 30 instructions a bar saved where it is not).
    atr: Option<Atr>,
    risk: RiskManager,
    exits: ExitConfig,
    /// Kind of the strategy's last signal (a repeated BUY/SELL is not re-emitted).
    last_kind: Option<SignalKind>,
    /// [`key`] of strategy and symbol (for the state's maps).
    key: String,
}

/// The trading engine.
pub struct Engine {
    cfg: EngineConfig,
    slots: Vec<Slot>,
    by_symbol: BTreeMap<Symbol, Vec<usize>>,
    calendar: Sessions,
    state: EngineState,
    /// Scratch buffer for broker events (reused, no allocation per bar).
    scratch: Vec<(ClientOrderId, OrderEvent)>,
    /// Follow-up orders sent while handling broker events (exits after an entry), to be
    /// announced as `OrderSubmitted` before their updates.
    follow_ups: Vec<OrderRequest>,
    /// Scopes whose equity may have changed during this event (checked against the
    /// breakers at its end, then cleared).
    dirty: Vec<Arc<str>>,
    /// Whether some strategy trades a stock (market open/close events).
    trades_stocks: bool,
    /// Open time of the bar being processed: orders placed while handling it are stamped just
    /// after it for the broker, so they work from the next bar even when bars are irregular
    /// (month-end stamps, session gaps) and the next one opens before this one's nominal close.
    bar_open: Option<Timestamp>,
    /// Working entry (not reduce-only) orders per strategy and symbol; derived from
    /// `state.open_orders` (rebuilt on restore).
    open_entries: HashMap<(Arc<str>, Symbol), u32, foldhash::fast::FixedState>,
    /// Whether signals and risk rejections are put in words ([`Engine::set_words`]).
    words: bool,
    /// Whether signals and risk rejections are reported as events
    /// ([`Engine::set_signal_events`]).
    signal_events: bool,
    /// Whether orders are reported as `OrderSubmitted` and `OrderUpdate` events
    /// ([`Engine::set_order_events`]).
    order_events: bool,
    /// The orders' reasons so far, shared ([`Engine::reason`]).
    reasons: Vec<Arc<str>>,
    /// The global breaker scope's name, shared (not allocated per event).
    global: Arc<str>,
    /// With [`Execution::Venue`]: orders and cancels for the venue, in order
    /// ([`Engine::take_commands`]).
    outbox: Vec<ExecCommand>,
    /// With [`Execution::Venue`]: the latest orders closed (late news about them is ignored).
    recent_closed: std::collections::VecDeque<ClientOrderId>,
    /// Whether a venue executes any strategy's orders (false in backtests and replays: the
    /// paper broker's path pays nothing for the venue's).
    any_venue: bool,
    /// Whether an equity of zero or more can trip a breaker (a drawdown or daily-loss
    /// threshold under 100%); when not, [`Engine::check_equity`] only notes the peaks of such
    /// equities, as [`BreakerSet::on_equity`] would.
    equity_can_trip: bool,
}

/// How many closed orders [`Engine::on_order_event`] remembers (late news about them is
/// ignored).
const RECENT_CLOSED: usize = 4096;

/// What the engine asks an outside venue to do ([`Execution::Venue`]).
#[derive(Debug, Clone, PartialEq)]
pub enum ExecCommand {
    /// Place this order (idempotent by its client order id).
    Submit {
        /// The order.
        order: OrderRequest,
        /// The last price of the symbol (for the venue's local checks of market orders).
        reference_price: Option<Decimal>,
    },
    /// Cancel this order.
    Cancel {
        /// The instrument (Binance needs it).
        symbol: Symbol,
        /// The order.
        client_id: ClientOrderId,
    },
}

/// `minutes` after `t`.
fn after_minutes(t: Timestamp, minutes: u32) -> Timestamp {
    Timestamp::from_nanos(
        t.as_nanos()
            .saturating_add(i64::from(minutes) * 60_000_000_000),
    )
}

/// How many of `bars` (by strictly increasing open time) close before `limit`. The answer is
/// guessed from the time span (one bar per timeframe) and corrected by galloping from the
/// guess: the bars are touched near the answer only (a binary search over all of them would
/// miss the caches on every probe, and the answer is close to the front).
fn horizon(bars: &[Bar], timeframe: Timeframe, limit: Timestamp) -> usize {
    let before = |b: &Bar| b.close_time(timeframe) < limit;
    let n = bars.len();
    let tf = timeframe.as_nanos().max(1);
    let guess = bars.first().map_or(0, |f| {
        let span = limit
            .as_nanos()
            .saturating_sub(f.close_time(timeframe).as_nanos());
        if span <= 0 {
            0
        } else {
            usize::try_from(span.saturating_add(tf - 1) / tf)
                .unwrap_or(usize::MAX)
                .min(n)
        }
    });
    if guess > 0 && !before(&bars[guess - 1]) {
        // The answer is below `guess`: gallop back from `hi` (not before `limit`).
        let (mut hi, mut step) = (guess - 1, 1);
        while hi >= step && !before(&bars[hi - step]) {
            hi -= step;
            step *= 2;
        }
        let lo = hi.saturating_sub(step);
        lo + bars[lo..hi].partition_point(before)
    } else {
        // `bars[..guess]` are all before: gallop forward.
        crate::gallop::partition_from(bars, guess, before)
    }
}

fn dec(x: f64) -> Decimal {
    price_from_f64(x).unwrap_or_default()
}

impl Engine {
    /// An engine for `cfg`, starting at `start`.
    pub fn new(cfg: EngineConfig, start: Timestamp) -> Result<Self, EngineError> {
        Self::with_shared(cfg, start, None)
    }

    /// [`Engine::new`], offering every strategy the shared indicator series (see
    /// [`crate::strategy::shared`]); the results are the same, only computed once.
    pub fn with_shared(
        cfg: EngineConfig,
        start: Timestamp,
        shared: Option<&crate::strategy::shared::SharedIndicators>,
    ) -> Result<Self, EngineError> {
        let mut slots = Vec::new();
        let mut by_symbol: BTreeMap<Symbol, Vec<usize>> = BTreeMap::new();
        let mut portfolio = Portfolio::default();
        let mut breakers = BTreeMap::new();
        let mut broker = PaperBroker::new(cfg.broker.clone());
        let total: Decimal = cfg
            .strategies
            .iter()
            .filter(|s| s.enabled)
            .map(|s| s.capital)
            .sum();
        breakers.insert(Arc::from(GLOBAL), BreakerSet::new(total, start.utc_day()));
        for sc in cfg.strategies.iter().filter(|s| s.enabled) {
            let name: Arc<str> = Arc::from(sc.name.as_str());
            if portfolio.accounts.contains_key(&name) {
                return Err(EngineError::DuplicateName(sc.name.clone()));
            }
            if sc.capital <= Decimal::ZERO {
                return Err(EngineError::Strategy {
                    name: sc.name.clone(),
                    message: format!("capital {} must be positive", sc.capital),
                });
            }
            portfolio.open_account(Arc::clone(&name), sc.capital, start);
            breakers.insert(
                Arc::clone(&name),
                BreakerSet::new(sc.capital, start.utc_day()),
            );
            let exits = sc.exits.clone().unwrap_or_else(|| default_exits(&sc.kind));
            for symbol in &sc.symbols {
                let mut logic =
                    registry::build(&sc.kind, &sc.params).map_err(|e| EngineError::Strategy {
                        name: sc.name.clone(),
                        message: e.to_string(),
                    })?;
                if let Some(shared) = shared {
                    logic.share(symbol, shared);
                }
                let atr = if exits.uses_atr() {
                    Some(Atr::new(14).map_err(|e| EngineError::Strategy {
                        name: sc.name.clone(),
                        message: e.to_string(),
                    })?)
                } else {
                    None
                };
                by_symbol
                    .entry(symbol.clone())
                    .or_default()
                    .push(slots.len());
                if broker.instrument(symbol).is_none() {
                    broker.add_instrument(instrument_for(&cfg, symbol));
                }
                slots.push(Slot {
                    strategy: Arc::clone(&name),
                    symbol: symbol.clone(),
                    timeframe: sc.timeframe,
                    aggregator: None,
                    logic,
                    atr,
                    risk: RiskManager::new(sc.risk.clone().unwrap_or_else(|| cfg.risk.clone())),
                    exits: exits.clone(),
                    last_kind: None,
                    key: key(&name, symbol.as_str()),
                });
            }
        }
        let equity_can_trip = cfg.breakers.max_drawdown_pct.threshold < Decimal::ONE_HUNDRED
            || cfg.breakers.daily_loss_pct.threshold < Decimal::ONE_HUNDRED;
        let trades_stocks = by_symbol.keys().any(|s| {
            broker
                .instrument(s)
                .is_some_and(|i| i.class == AssetClass::Stock)
        });
        let state = EngineState {
            cursor: 0,
            now: start,
            day: start.utc_day(),
            portfolio,
            open_orders: BTreeMap::new(),
            order_seq: 0,
            orders_submitted: 0,
            fills: 0,
            breakers,
            positions: BTreeMap::new(),
            last_exit: BTreeMap::new(),
            last_signal: BTreeMap::new(),
            last_rejection: BTreeMap::new(),
            trades_today: BTreeMap::new(),
            broker,
        };
        let any_venue = cfg.execution == Execution::Venue
            || cfg
                .strategies
                .iter()
                .any(|s| s.mode == Some(TradingMode::Live));
        Ok(Engine {
            cfg,
            slots,
            by_symbol,
            calendar: Sessions::new(),
            state,
            scratch: Vec::new(),
            follow_ups: Vec::new(),
            dirty: Vec::new(),
            open_entries: HashMap::default(),
            words: true,
            signal_events: true,
            order_events: true,
            reasons: Vec::new(),
            global: Arc::from(GLOBAL),
            outbox: Vec::new(),
            recent_closed: std::collections::VecDeque::new(),
            any_venue,
            trades_stocks,
            bar_open: None,
            equity_can_trip,
        })
    }

    /// The serializable state (for snapshots and `state show`).
    pub fn state(&self) -> &EngineState {
        &self.state
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    /// Symbols some strategy trades.
    pub fn symbols(&self) -> impl Iterator<Item = &Symbol> {
        self.by_symbol.keys()
    }

    /// Rebuilds an engine from a snapshot: `history` must be the market events the snapshot's
    /// engine had processed (the first `state.cursor` events of the same feed); they rebuild
    /// the aggregators, indicators and strategies without trading, then the saved state is put
    /// back. The result continues exactly where the snapshot was taken.
    pub fn restore<'a>(
        cfg: EngineConfig,
        start: Timestamp,
        state: EngineState,
        history: impl IntoIterator<Item = &'a MarketEvent>,
    ) -> Result<Self, EngineError> {
        let mut e = Engine::new(cfg, start)?;
        let mut n = 0u64;
        for ev in history {
            e.warm(ev);
            n += 1;
        }
        if n != state.cursor {
            return Err(EngineError::Restore(format!(
                "the snapshot was taken after {} market events but {n} were replayed",
                state.cursor
            )));
        }
        e.adopt(state);
        Ok(e)
    }

    /// Restores `state` for a live venue, where the market events before the snapshot cannot
    /// be replayed: the book (orders, positions, breakers, counters) comes back exactly; the
    /// strategies' indicators are warmed up afterwards with [`Engine::warm_up`], and the book
    /// is checked against the broker with [`Engine::reconcile`] before trading.
    pub fn restore_live(cfg: EngineConfig, state: EngineState) -> Result<Self, EngineError> {
        let mut e = Engine::new(cfg, state.now)?;
        e.adopt(state);
        Ok(e)
    }

    /// A market event for the strategies' indicators only (warm-up history of a live feed):
    /// no clock, no orders, no signals; a bar's close becomes its symbol's mark (the latest
    /// price known, for valuing positions).
    pub fn warm_up(&mut self, ev: &MarketEvent) {
        if let MarketEvent::Bar { symbol, bar, .. } = ev {
            if self.by_symbol.contains_key(symbol) {
                if let Some(p) = price_from_f64(bar.close()) {
                    self.state.portfolio.mark(symbol, p);
                }
            }
        }
        self.warm(ev);
    }

    /// Takes `state` as the engine's own (restore).
    fn adopt(&mut self, state: EngineState) {
        let e = self;
        e.state = state;
        e.open_entries.clear();
        let entries: Vec<(Arc<str>, Symbol)> = e
            .state
            .open_orders
            .values()
            .filter(|o| !o.request.reduce_only)
            .map(|o| (Arc::clone(&o.request.strategy), o.request.symbol.clone()))
            .collect();
        for k in entries {
            *e.open_entries.entry(k).or_insert(0) += 1;
        }
    }

    /// Feeds a market event to aggregators and strategies only (no trading): restore warm-up.
    fn warm(&mut self, ev: &MarketEvent) {
        let MarketEvent::Bar {
            symbol,
            timeframe,
            bar,
        } = ev
        else {
            return;
        };
        let Some(idx) = self.by_symbol.get(symbol).cloned() else {
            return;
        };
        for i in idx {
            for b in self.slot_bars(i, *timeframe, bar).into_iter().flatten() {
                let slot = &mut self.slots[i];
                if let Some(atr) = &mut slot.atr {
                    atr.update(b.high(), b.low(), b.close());
                }
                let sink = SignalSink {
                    symbol: &slot.symbol,
                    strategy: &slot.strategy,
                    repeat_of: slot.last_kind,
                    words: false, // warming up: only the kind is kept
                };
                if let Some(sig) = slot.logic.on_bar(&b, &StrategyCtx::default(), &sink) {
                    slot.last_kind = Some(sig.kind);
                }
            }
        }
    }

    /// The bars slot `i` decides on for one incoming bar (aggregated to its timeframe).
    fn slot_bars(&mut self, i: usize, source: Timeframe, bar: &Bar) -> [Option<Bar>; 2] {
        let slot = &mut self.slots[i];
        let target = slot.timeframe.unwrap_or(source);
        if target == source {
            return [Some(*bar), None];
        }
        if slot.aggregator.is_none() {
            match BarAggregator::new(source, target) {
                Ok(a) => slot.aggregator = Some(a),
                Err(_) => return [None, None],
            }
        }
        let mut done = [None, None];
        if let Some(bars) = slot.aggregator.as_mut().and_then(|a| a.push(bar).ok()) {
            for (d, b) in done.iter_mut().zip(bars) {
                *d = Some(b);
            }
        }
        done
    }

    /// One market event. Appends what happened to `out`.
    pub fn on_market_event(&mut self, ev: &MarketEvent, out: &mut Vec<EngineEvent>) {
        self.state.cursor += 1;
        let now = ev.time();
        // A bar's own open and close drive the broker's expiries for its symbol (an order
        // placed at the previous close must meet this bar's open before the clock moves to
        // its close); other events tick the broker's clock directly.
        let tick_broker = !matches!(ev, MarketEvent::Bar { .. });
        self.advance_clock(now, tick_broker, out);
        match ev {
            MarketEvent::Bar {
                symbol,
                timeframe,
                bar,
            } => self.on_bar(symbol, *timeframe, bar, out),
            MarketEvent::Trade { symbol, trade } => {
                if let Some(p) = price_from_f64(trade.price()) {
                    self.state.portfolio.mark(symbol, p);
                    self.scratch.clear();
                    let evs = self.state.broker.on_trade_price(symbol, p, now);
                    self.scratch.extend(evs);
                    self.handle_broker_events(out);
                }
            }
        }
        self.check_equity(out);
    }

    /// Fast-forward for backtests: takes bars of `symbol` from the front of `bars` (at
    /// `timeframe`, by strictly increasing open time, each as [`Engine::on_market_event`] would get it) for as
    /// long as nothing can happen on them, and returns how many it took; `each` sees what
    /// the bars taken did ([`Skimmed`]) and the state after them, where a caller of
    /// `on_market_event` would look at it. The
    /// caller hands the next bar, if any, to `on_market_event` (see
    /// [`crate::strategy::skim`] for why it must).
    ///
    /// Nothing can happen on a bar when the symbol has one strategy, deciding on these very
    /// bars (no aggregation), no order works on the symbol, no breaker is paused, the bar
    /// closes on the clock's UTC day and before the next market open or close (when stocks
    /// are traded), no time exit is armed, and the strategy ([`Strategy::skim`]) gives no
    /// signal but one that needs no action: a repeat, or, with signal events off
    /// ([`Engine::set_signal_events`]), any signal that acts on nothing (its kind is noted
    /// as the last). The bars taken change the state exactly as
    /// `on_market_event` would: clock, cursor, ATR, the marks and breaker peaks of a held
    /// symbol, the broker's last price — bit for bit (tested on every bundled file).
    pub fn skim(
        &mut self,
        symbol: &Symbol,
        timeframe: Timeframe,
        bars: &[Bar],
        out: &mut Vec<EngineEvent>,
        mut each: impl FnMut(Skimmed<'_>, &EngineState),
    ) -> usize {
        let Some(&[i]) = self.by_symbol.get(symbol).map(Vec::as_slice) else {
            return 0;
        };
        let slot = &self.slots[i];
        if slot.timeframe.is_some_and(|t| t != timeframe)
            || self.state.broker.works_on(symbol)
            || !self.state.portfolio.marks.contains_key(symbol)
        {
            return 0;
        }
        let p = &self.state.portfolio;
        let holders = p
            .accounts
            .values()
            .any(|a| a.positions.contains_key(symbol));
        if holders && slot.exits.max_holding_minutes.is_some() {
            return 0;
        }
        let now = self.state.now;
        // Bars must close before this (a paused breaker's cool-down, an entry's).
        let mut before: Option<Timestamp> = None;
        let mut bound = |t: Timestamp| before = Some(before.map_or(t, |b| b.min(t)));
        for b in self.state.breakers.values() {
            if let Some(Pause {
                since,
                resume: Resume::After { minutes },
                ..
            }) = &b.paused
            {
                bound(after_minutes(*since, *minutes));
            }
        }
        let pos = p.position(&slot.strategy, symbol);
        let allow_short = slot.risk.config().allow_short;
        // A BUY while flat tries to enter: quiet where it would be refused again for the
        // same reason (reported once already, or not reported at all): above this price.
        let mut refused = || {
            let k = &slot.key;
            let rule = *self.state.last_rejection.get(k)?;
            let first = bars.first()?;
            let price = price_from_f64(first.close())?;
            let (ctx, _) = self.entry_ctx(i, Side::Buy, 100, first.time(), price, None);
            let sized = matches!(
                rule,
                RiskRule::PositionSize
                    | RiskRule::RiskPerTrade
                    | RiskRule::AssetExposure
                    | RiskRule::BuyingPower
            );
            if sized && slot.exits.stop_loss.is_some() {
                return None; // the size depends on the stop, and it on the ATR
            }
            let above = slot.risk.refusal_holds(&ctx, rule)?;
            if rule == RiskRule::Cooldown {
                let exit = self.state.last_exit.get(k)?;
                bound(after_minutes(*exit, slot.risk.config().cooldown_minutes));
            }
            Some(above)
        };
        let mut quiet = if !self.signal_events {
            // Unreported, a signal that acts on nothing changes nothing but the last kind
            // (which the skim notes): only exits and entries that would go through stop it.
            let flat = pos.is_zero();
            Quiet {
                buy_above: if pos > Decimal::ZERO {
                    f64::NEG_INFINITY
                } else if flat {
                    refused().unwrap_or(f64::INFINITY)
                } else {
                    f64::INFINITY
                },
                sell: pos < Decimal::ZERO || (flat && !allow_short),
                hold: true,
                last: None,
            }
        } else {
            match slot.last_kind {
                Some(SignalKind::Buy) if pos > Decimal::ZERO => Quiet::only(SignalKind::Buy),
                Some(SignalKind::Sell)
                    if pos < Decimal::ZERO || (pos.is_zero() && !allow_short) =>
                {
                    Quiet::only(SignalKind::Sell)
                }
                Some(SignalKind::Hold) => Quiet::only(SignalKind::Hold),
                Some(SignalKind::Buy) if pos.is_zero() => {
                    refused().map_or(Quiet::NONE, Quiet::buy_above)
                }
                _ => Quiet::NONE,
            }
        };
        // The horizon: bars closing after the clock, on its day, before the next session
        // boundary and the bound above (`bars` by strictly increasing open time, so the
        // first bar closing at the limit or later ends it).
        let boundary = if self.trades_stocks {
            match self.calendar.current_or_next_session(now) {
                Some((open, _)) if open > now => Some(open),
                Some((_, close)) if close > now => Some(close),
                _ => return 0,
            }
        } else {
            None
        };
        let day = now.utc_day();
        if day != self.state.day || bars.first().is_none_or(|b| b.close_time(timeframe) <= now) {
            return 0;
        }
        let mut limit = Timestamp::from_nanos((day + 1).saturating_mul(86_400_000_000_000));
        for t in [boundary, before].into_iter().flatten() {
            limit = limit.min(t);
        }
        // A held symbol's equity moves with every bar and goes to the breakers; when they
        // cannot trip, the strategy may skim stretches of bars at once, else bar by bar.
        let batch = !holders || self.equity_breakers_idle();
        // Held and batched: the marks move once, to the last close, at the end, and the
        // breakers learn the highest equities (those at the highest close: no quantity is
        // negative, and the market value depends on the marks alone, not on their path).
        // `closes`: the highest and the last close taken.
        let mut closes: Option<(f64, f64)> = None;
        let horizon = horizon(bars, timeframe, limit);
        let mut taken = 0;
        loop {
            let end = if batch {
                horizon
            } else {
                (taken + 1).min(horizon)
            };
            if end == taken {
                break;
            }
            let n = self.slots[i].logic.skim(&bars[taken..end], &mut quiet);
            let run = &bars[taken..taken + n];
            if let Some(last) = run.last() {
                self.state.cursor += n as u64;
                self.state.now = last.close_time(timeframe);
                if let Some(atr) = &mut self.slots[i].atr {
                    for bar in run {
                        atr.update(bar.high(), bar.low(), bar.close());
                    }
                }
            }
            if !holders {
                each(Skimmed::Still(run), &self.state);
            } else if batch {
                for bar in run {
                    let c = bar.close();
                    closes = Some(match closes {
                        Some((high, _)) if high >= c => (high, c),
                        _ => (c, c),
                    });
                }
                each(Skimmed::Held(run), &self.state);
            } else {
                for bar in run {
                    // Not batched: a breaker may trip on this very bar.
                    self.state.portfolio.mark(symbol, dec(bar.close()));
                    self.mark_dirty_holders(symbol);
                    self.check_equity(out);
                    each(Skimmed::Held(std::slice::from_ref(bar)), &self.state);
                }
            }
            taken += n;
            if taken < end || !out.is_empty() {
                break;
            }
        }
        if let Some((high, last)) = closes {
            self.note_held_peaks(symbol, dec(high));
            self.state.portfolio.mark(symbol, dec(last));
        }
        if let Some(kind) = quiet.last {
            self.slots[i].last_kind = Some(kind);
        }
        if taken > 0 {
            self.state.broker.note_bars(symbol, &bars[..taken]);
        }
        taken
    }

    /// Whether no equity move can trip a breaker now: both equity thresholds at 100% or more
    /// (a trip needs a negative equity then) and no equity can go negative (no short
    /// position, no negative cash).
    fn equity_breakers_idle(&self) -> bool {
        !self.equity_can_trip
            && self.state.portfolio.accounts.values().all(|a| {
                !is_negative(a.cash) && a.positions.values().all(|p| !is_negative(p.quantity))
            })
    }

    /// A batched skim of held `symbol` reached `price` at its highest: the equities there are
    /// the stretch's highest, for the breakers' peaks (as `check_equity` would have noted
    /// them bar by bar). Leaves `symbol` marked at `price`.
    fn note_held_peaks(&mut self, symbol: &Symbol, price: Decimal) {
        let p = &mut self.state.portfolio;
        p.mark(symbol, price);
        for a in p.accounts.values() {
            if a.positions.contains_key(symbol) {
                if let Some(b) = self.state.breakers.get_mut(&a.strategy) {
                    b.note_peak(a.cash + a.market_value);
                }
            }
        }
        let total = p.total_equity();
        if let Some(b) = self.state.breakers.get_mut(GLOBAL) {
            b.note_peak(total);
        }
    }

    /// The clock alone moved (a live clock's tick with no market data): timers fire — day
    /// change and daily summary, breaker cool-downs, day-order expiry, market open/close.
    pub fn on_clock(&mut self, now: Timestamp, out: &mut Vec<EngineEvent>) {
        self.advance_clock(now, true, out);
        self.check_equity(out);
    }

    fn advance_clock(&mut self, now: Timestamp, tick_broker: bool, out: &mut Vec<EngineEvent>) {
        if now > self.state.now && self.trades_stocks {
            // Session boundaries crossed since the last event, in order.
            let mut t = self.state.now;
            while let Some((open, close)) = self.calendar.current_or_next_session(t) {
                if open > t && open <= now {
                    out.push(EngineEvent::Market {
                        time: open,
                        open: true,
                    });
                }
                if close > t && close <= now {
                    out.push(EngineEvent::Market {
                        time: close,
                        open: false,
                    });
                    t = close;
                    continue;
                }
                break;
            }
        }
        if now > self.state.now {
            self.state.now = now;
            let evs = if tick_broker {
                self.state.broker.on_time(now)
            } else {
                Vec::new()
            };
            if !evs.is_empty() {
                self.scratch.clear();
                self.scratch.extend(evs);
                self.handle_broker_events(out);
            }
        }
        let day = self.state.now.utc_day();
        let new_day = day != self.state.day;
        if new_day {
            out.push(self.daily_summary());
            self.state.day = day;
            self.state.trades_today.clear();
        }
        // Breakers: a new day resets daily counters; timed pauses may run out at any moment.
        let now = self.state.now;
        let p = &self.state.portfolio;
        for (scope, b) in self.state.breakers.iter_mut() {
            if !new_day && b.paused.is_none() {
                continue;
            }
            let equity = if !new_day {
                Decimal::ZERO // only read on a new day
            } else if &**scope == GLOBAL {
                p.total_equity()
            } else {
                p.equity_of(scope).unwrap_or_default()
            };
            if let Some(change) = b.on_time(now, day, equity) {
                out.push(EngineEvent::Breaker {
                    time: now,
                    scope: Arc::clone(scope),
                    change,
                });
            }
        }
    }

    fn daily_summary(&self) -> EngineEvent {
        let p = &self.state.portfolio;
        let strategies = p
            .accounts
            .values()
            .map(|a| StrategyDay {
                strategy: Arc::clone(&a.strategy),
                equity: a.equity(&p.marks).round_dp(8),
                cash: a.cash.round_dp(8),
                realized_pnl: a.realized_pnl.round_dp(8),
                open_positions: a.positions.len(),
                trades_today: self
                    .state
                    .trades_today
                    .get(&a.strategy)
                    .copied()
                    .unwrap_or(0),
            })
            .collect();
        let day = Timestamp::from_nanos(self.state.day.saturating_mul(86_400_000_000_000));
        EngineEvent::DailySummary {
            day: day.to_datetime().format("%Y-%m-%d").to_string(),
            total_equity: p.total_equity().round_dp(8),
            strategies,
        }
    }

    fn on_bar(
        &mut self,
        symbol: &Symbol,
        timeframe: Timeframe,
        bar: &Bar,
        out: &mut Vec<EngineEvent>,
    ) {
        let n = self.by_symbol.get(symbol).map_or(0, Vec::len);
        if n == 0 {
            return;
        }
        let close_time = self.state.now;
        self.bar_open = Some(bar.time());
        // Marks matter to positions and to orders about to fill; skip the conversion otherwise.
        let holders = self
            .state
            .portfolio
            .accounts
            .values()
            .any(|a| a.positions.contains_key(symbol));
        if holders
            || self.state.broker.works_on(symbol)
            || !self.state.portfolio.marks.contains_key(symbol)
        {
            self.state.portfolio.mark(symbol, dec(bar.close()));
            self.mark_dirty_holders(symbol);
        }
        self.scratch.clear();
        self.state
            .broker
            .on_bar_into(symbol, bar, close_time, &mut self.scratch);
        self.handle_broker_events(out);
        for j in 0..n {
            let i = self.by_symbol[symbol][j];
            for b in self.slot_bars(i, timeframe, bar).into_iter().flatten() {
                self.decide(i, &b, out);
            }
            self.time_exit(i, out);
        }
        self.bar_open = None;
    }

    /// The strategies holding `symbol` (and the global scope) must re-check their equity.
    fn mark_dirty_holders(&mut self, symbol: &Symbol) {
        for a in self.state.portfolio.accounts.values() {
            if a.positions.contains_key(symbol) && !self.dirty.contains(&a.strategy) {
                self.dirty.push(Arc::clone(&a.strategy));
            }
        }
    }

    fn ctx_for(&self, strategy: &Arc<str>, symbol: &Symbol) -> StrategyCtx {
        let acct = self.state.portfolio.accounts.get(strategy);
        let pos = acct.and_then(|a| a.positions.get(symbol));
        StrategyCtx {
            position: pos.map_or(Decimal::ZERO, |p| p.quantity),
            entry_price: pos.map(|p| p.average_price),
            order_pending: self.entry_pending(strategy, symbol),
        }
    }

    fn entry_pending(&self, strategy: &Arc<str>, symbol: &Symbol) -> bool {
        !self.open_entries.is_empty()
            && self
                .open_entries
                .get(&(Arc::clone(strategy), symbol.clone()))
                .is_some_and(|n| *n > 0)
    }

    /// Books `req` as open (and indexes it when it is an entry).
    fn track_open(&mut self, req: &OrderRequest, now: Timestamp) {
        self.state
            .open_orders
            .insert(req.client_id.clone(), Order::new(req.clone(), now));
        if !req.reduce_only {
            *self
                .open_entries
                .entry((Arc::clone(&req.strategy), req.symbol.clone()))
                .or_insert(0) += 1;
        }
    }

    fn decide(&mut self, i: usize, bar: &Bar, out: &mut Vec<EngineEvent>) {
        let atr = {
            let slot = &mut self.slots[i];
            slot.atr
                .as_mut()
                .and_then(|a| a.update(bar.high(), bar.low(), bar.close()))
        };
        let (strategy, symbol) = (
            Arc::clone(&self.slots[i].strategy),
            self.slots[i].symbol.clone(),
        );
        let ctx = self.ctx_for(&strategy, &symbol);
        let signal = {
            let slot = &mut self.slots[i];
            let sink = SignalSink {
                symbol: &slot.symbol,
                strategy: &slot.strategy,
                repeat_of: slot.last_kind,
                words: self.words,
            };
            slot.logic.on_bar(bar, &ctx, &sink)
        };
        let Some(signal) = signal else {
            return;
        };
        let (kind, confidence, bar_time) = (signal.kind, signal.confidence, signal.time);
        let changed = self.slots[i].last_kind != Some(kind);
        self.slots[i].last_kind = Some(kind);
        if changed && self.signal_events {
            // A level signal repeated bar after bar is one signal, not a flood.
            out.push(EngineEvent::Signal(signal));
        }
        let allow_short = self.slots[i].risk.config().allow_short;
        let pos = ctx.position;
        match kind {
            SignalKind::Buy if pos < Decimal::ZERO => {
                self.exit_position(&strategy, &symbol, "signal", out)
            }
            SignalKind::Sell if pos > Decimal::ZERO => {
                self.exit_position(&strategy, &symbol, "signal", out)
            }
            // Already positioned the way the signal says: nothing to do.
            SignalKind::Buy if pos > Decimal::ZERO => {}
            SignalKind::Sell if pos < Decimal::ZERO || !allow_short => {}
            SignalKind::Buy => {
                self.try_entry(i, Side::Buy, confidence, bar_time, bar, atr, changed, out)
            }
            SignalKind::Sell => {
                self.try_entry(i, Side::Sell, confidence, bar_time, bar, atr, changed, out)
            }
            SignalKind::Hold => {}
        }
    }

    fn is_stock(&self, symbol: &Symbol) -> bool {
        self.state
            .broker
            .instrument(symbol)
            .is_some_and(|ins| ins.class == AssetClass::Stock)
    }

    /// What the risk manager sees of an entry of slot `i` at `price`, and the ATR it would
    /// keep for the position.
    fn entry_ctx(
        &self,
        i: usize,
        side: Side,
        confidence: u8,
        bar_time: Timestamp,
        price: Decimal,
        atr: Option<f64>,
    ) -> (RiskCtx, Option<Decimal>) {
        let now = self.state.now;
        let slot = &self.slots[i];
        let (strategy, symbol, k) = (&slot.strategy, &slot.symbol, &slot.key);
        // Kept (as a decimal: the slow, exact conversion) only where an exit level needs it.
        let entry_atr = if slot.exits.uses_atr() {
            atr.and_then(price_from_f64)
        } else {
            None
        };
        let plan = slot.exits.plan(side, price, entry_atr);
        let stop_distance = plan.stop.map(|s| (price - s).abs());
        let p = &self.state.portfolio;
        let strategy_equity = p.equity_of(strategy).unwrap_or_default();
        let cash = p.accounts.get(strategy).map_or(Decimal::ZERO, |a| a.cash);
        let (step, min_quantity) = self
            .state
            .broker
            .instrument(symbol)
            .map_or((Decimal::ZERO, Decimal::ZERO), |ins| {
                (ins.step_size, ins.min_quantity)
            });
        let paused = self
            .state
            .breakers
            .get(GLOBAL)
            .and_then(|b| b.pause_reason().map(|r| format!("global: {r}")))
            .or_else(|| {
                self.state
                    .breakers
                    .get(strategy)
                    .and_then(|b| b.pause_reason().map(str::to_string))
            });
        let ctx = RiskCtx {
            now,
            confidence,
            long: side == Side::Buy,
            price,
            stop_distance,
            strategy_equity,
            total_equity: p.total_equity(),
            buying_power: cash,
            fee_rate: match self.cfg.broker.fees {
                crate::broker::Fees::Rate { taker, maker } => taker.max(maker.unwrap_or(taker)),
                _ => Decimal::ZERO,
            },
            symbol_exposure: p.exposure(symbol),
            has_position: !p.position(strategy, symbol).is_zero(),
            order_pending: self.entry_pending(strategy, symbol),
            signal_seen: self.state.last_signal.get(k) == Some(&bar_time),
            last_exit: self.state.last_exit.get(k).copied(),
            market_open: !self.is_stock(symbol) || self.calendar.is_open(now),
            open_positions: p.accounts.get(strategy).map_or(0, |a| a.positions.len()),
            trades_today: self.state.trades_today.get(strategy).copied().unwrap_or(0),
            paused,
            step,
            min_quantity,
        };
        (ctx, entry_atr)
    }

    #[allow(clippy::too_many_arguments)]
    fn try_entry(
        &mut self,
        i: usize,
        side: Side,
        confidence: u8,
        bar_time: Timestamp,
        bar: &Bar,
        atr: Option<f64>,
        new_signal: bool,
        out: &mut Vec<EngineEvent>,
    ) {
        let now = self.state.now;
        let (strategy, symbol) = (
            Arc::clone(&self.slots[i].strategy),
            self.slots[i].symbol.clone(),
        );
        let price = dec(bar.close());
        let (ctx, entry_atr) = self.entry_ctx(i, side, confidence, bar_time, price, atr);
        match self.slots[i].risk.check(&ctx) {
            Err(rule) => {
                // Report a rejection once per signal and rule, not on every bar a level
                // signal repeats (and only then put it in words).
                let k = &self.slots[i].key;
                let same_rule = self.state.last_rejection.get(k) == Some(&rule);
                let repeat = !new_signal && same_rule;
                if !repeat && self.signal_events {
                    out.push(EngineEvent::RiskRejection {
                        time: now,
                        strategy,
                        symbol,
                        rule,
                        detail: if self.words {
                            self.slots[i].risk.explain(&ctx, rule)
                        } else {
                            String::new()
                        },
                    });
                }
                if !same_rule {
                    put(
                        &mut self.state.last_rejection,
                        self.slots[i].key.as_str(),
                        rule,
                    );
                }
            }
            Ok(plan) => {
                // The mark is only kept current for held or ordered symbols: bring it up to
                // date (a refused entry leaves it: it values nothing).
                self.state.portfolio.mark(&symbol, price);
                let k = self.slots[i].key.as_str();
                self.state.last_rejection.remove(k);
                put(&mut self.state.last_signal, k, bar_time);
                update_or_default(&mut self.state.positions, k, |m| m.entry_atr = entry_atr);
                let mut req = self.request(
                    &strategy,
                    &symbol,
                    side,
                    OrderKind::Market,
                    plan.quantity,
                    false,
                    "entry",
                    Contingency::default(),
                );
                if let Some(n) = plan.notional {
                    // Sized at the fill price by the broker.
                    req.size = OrderSize::Notional(n);
                }
                *self
                    .state
                    .trades_today
                    .entry(Arc::clone(&strategy))
                    .or_insert(0) += 1;
                for scope in [Arc::clone(&strategy), Arc::clone(&self.global)] {
                    let cfg = &self.cfg.breakers;
                    if let Some(change) = self
                        .state
                        .breakers
                        .get_mut(&scope)
                        .and_then(|b| b.on_new_trade(now, cfg))
                    {
                        out.push(EngineEvent::Breaker {
                            time: now,
                            scope,
                            change,
                        });
                    }
                }
                self.submit(req, out);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn request(
        &mut self,
        strategy: &Arc<str>,
        symbol: &Symbol,
        side: Side,
        kind: OrderKind,
        quantity: Decimal,
        reduce_only: bool,
        reason: &str,
        contingency: Contingency,
    ) -> OrderRequest {
        self.state.order_seq += 1;
        OrderRequest {
            client_id: ClientOrderId::sequential(strategy, self.state.order_seq),
            strategy: Arc::clone(strategy),
            symbol: symbol.clone(),
            side,
            kind,
            size: OrderSize::Quantity(quantity),
            tif: TimeInForce::Gtc,
            contingency,
            reduce_only,
            reason: self.reason(reason),
        }
    }

    /// `reason` shared: the few reasons orders have ("entry", "signal", "stop_loss", …) are
    /// allocated once per engine, not once per order.
    fn reason(&mut self, reason: &str) -> Arc<str> {
        if let Some(r) = self.reasons.iter().find(|r| &***r == reason) {
            return Arc::clone(r);
        }
        let r: Arc<str> = Arc::from(reason);
        self.reasons.push(Arc::clone(&r));
        r
    }

    /// Books `req` as open and hands it to the broker; the broker's answer goes to
    /// `scratch`.
    fn send_to_broker(&mut self, req: OrderRequest) {
        let now = self.state.now;
        let p = &self.state.portfolio;
        let ctx = SubmitCtx {
            buying_power: p
                .accounts
                .get(&req.strategy)
                .map_or(Decimal::ZERO, |a| a.cash),
            position: p.position(&req.strategy, &req.symbol),
            last_price: p.marks.get(&req.symbol).copied(),
        };
        self.state.orders_submitted += 1;
        self.track_open(&req, now);
        let at = self
            .bar_open
            .and_then(|o| o.checked_add_nanos(1))
            .map_or(now, |t| t.min(now));
        if self.venue_executes(&req.strategy) {
            self.outbox.push(ExecCommand::Submit {
                order: req,
                reference_price: ctx.last_price,
            });
            return;
        }
        self.state
            .broker
            .submit_into(req, at, ctx, &mut self.scratch);
    }

    /// Whether a venue outside the engine executes `strategy`'s orders.
    pub fn venue_executes(&self, strategy: &str) -> bool {
        if !self.any_venue {
            return false;
        }
        match self
            .cfg
            .strategies
            .iter()
            .find(|s| s.name == strategy)
            .and_then(|s| s.mode)
        {
            Some(TradingMode::Live) => true,
            Some(TradingMode::Paper) => false,
            None => self.cfg.execution == Execution::Venue,
        }
    }

    /// Whether a venue outside the engine executes the order `id` (by its strategy).
    fn venue_order(&self, id: &ClientOrderId) -> Option<&Order> {
        if !self.any_venue {
            return None;
        }
        self.state
            .open_orders
            .get(id)
            .filter(|o| self.venue_executes(&o.request.strategy))
    }

    fn submit(&mut self, req: OrderRequest, out: &mut Vec<EngineEvent>) {
        if self.order_events {
            out.push(EngineEvent::OrderSubmitted {
                time: self.state.now,
                order: req.clone(),
            });
        }
        self.scratch.clear();
        self.send_to_broker(req);
        self.handle_broker_events(out);
    }

    /// Whether the broker still works `id` (not filled, canceled or expired there, even if the
    /// engine has not processed that news yet).
    fn broker_working(&self, id: &ClientOrderId) -> bool {
        if let Some(o) = self.venue_order(id) {
            // The venue's view arrives as events; until then the engine's book is the best
            // knowledge (a cancel already asked for counts as not working).
            return !o.status.is_closed()
                && o.status != ploutos_core::order::OrderStatus::PendingCancel;
        }
        self.state.broker.order(id).is_some_and(|o| {
            !o.status.is_closed() && o.status != ploutos_core::order::OrderStatus::PendingCancel
        })
    }

    fn cancel(&mut self, id: &ClientOrderId, out: &mut Vec<EngineEvent>) {
        self.scratch.clear();
        self.queue_cancel(id);
        self.handle_broker_events(out);
    }

    /// Asks the broker to cancel `id`; the request itself (`CancelRequested`) and the broker's
    /// answer go to `scratch`, in that order.
    fn queue_cancel(&mut self, id: &ClientOrderId) {
        let now = self.state.now;
        self.scratch
            .push((id.clone(), OrderEvent::CancelRequested { time: now }));
        if let Some(o) = self.venue_order(id) {
            let symbol = o.request.symbol.clone();
            self.outbox.push(ExecCommand::Cancel {
                symbol,
                client_id: id.clone(),
            });
            return;
        }
        self.state.broker.cancel_into(id, now, &mut self.scratch);
    }

    /// Closes the strategy's position in `symbol` at market, canceling its exit orders.
    fn exit_position(
        &mut self,
        strategy: &Arc<str>,
        symbol: &Symbol,
        reason: &str,
        out: &mut Vec<EngineEvent>,
    ) {
        let k = KeyRef::new(strategy, symbol.as_str());
        let exits: Vec<ClientOrderId> = self
            .state
            .positions
            .get(k.as_str())
            .map(|m| m.exit_orders.clone())
            .unwrap_or_default();
        for id in &exits {
            if self.broker_working(id) {
                self.cancel(id, out);
            }
        }
        // A market exit already working? Don't send a second one.
        let working_exit = self.state.open_orders.values().any(|o| {
            &o.request.strategy == strategy
                && &o.request.symbol == symbol
                && o.request.reduce_only
                && o.request.kind == OrderKind::Market
        });
        let qty = self.state.portfolio.position(strategy, symbol);
        if qty.is_zero() || working_exit {
            return;
        }
        let side = if qty > Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        };
        let req = self.request(
            strategy,
            symbol,
            side,
            OrderKind::Market,
            qty.abs(),
            true,
            reason,
            Contingency::default(),
        );
        self.submit(req, out);
    }

    fn time_exit(&mut self, i: usize, out: &mut Vec<EngineEvent>) {
        let Some(max) = self.slots[i].exits.max_holding_minutes else {
            return;
        };
        let (strategy, symbol) = (
            Arc::clone(&self.slots[i].strategy),
            self.slots[i].symbol.clone(),
        );
        let k = KeyRef::new(&strategy, symbol.as_str());
        let Some(entry) = self
            .state
            .positions
            .get(k.as_str())
            .and_then(|m| m.entry_time)
        else {
            return;
        };
        if self.state.portfolio.position(&strategy, &symbol).is_zero() {
            return;
        }
        if self.state.now.as_nanos()
            >= entry
                .as_nanos()
                .saturating_add(i64::from(max) * 60_000_000_000)
        {
            self.exit_position(&strategy, &symbol, "time_exit", out);
        }
    }

    /// Applies the broker's events waiting in `scratch` (and those they cause).
    fn handle_broker_events(&mut self, out: &mut Vec<EngineEvent>) {
        let mut pending: Vec<(ClientOrderId, OrderEvent)> = std::mem::take(&mut self.scratch);
        let mut i = 0;
        while i < pending.len() {
            // Taken, not cloned: handled entries are not read again (a placeholder stays).
            let id = pending[i].0.clone();
            let placeholder = OrderEvent::Accepted {
                time: self.state.now,
            };
            let ev = std::mem::replace(&mut pending[i].1, placeholder);
            i += 1;
            let Some(order) = self.state.open_orders.get_mut(&id) else {
                out.push(EngineEvent::Error {
                    time: self.state.now,
                    message: format!("broker reported a {} for unknown order {id}", ev.name()),
                });
                continue;
            };
            if let Err(e) = order.apply(&ev) {
                out.push(EngineEvent::Error {
                    time: self.state.now,
                    message: e.to_string(),
                });
                continue;
            }
            let status = order.status;
            let closed = status.is_closed();
            let filled = matches!(ev, OrderEvent::Filled(_));
            if !closed && !filled && !self.order_events {
                continue; // applied; nothing to book or report
            }
            let req = order.request.clone();
            if self.order_events {
                out.push(EngineEvent::OrderUpdate {
                    client_id: id.clone(),
                    strategy: Arc::clone(&req.strategy),
                    symbol: req.symbol.clone(),
                    side: req.side,
                    event: ev.clone(),
                    status,
                });
            }
            if let OrderEvent::Filled(fill) = &ev {
                self.book_fill(&req, fill, out);
                // A venue executing separate orders does not know our one-cancels-other
                // pairs (the paper broker does): the first fill of one cancels its peer,
                // unless booking the fill cancelled it already.
                if self.venue_executes(&req.strategy) {
                    if let Some(peer) = &req.contingency.one_cancels_other {
                        let asked = |q: &[(ClientOrderId, OrderEvent)]| {
                            q.iter().any(|(p, e)| {
                                p == peer && matches!(e, OrderEvent::CancelRequested { .. })
                            })
                        };
                        if self.broker_working(peer)
                            && !asked(&pending[i..])
                            && !asked(&self.scratch)
                        {
                            self.queue_cancel(peer);
                        }
                    }
                }
                // Follow-up orders (exits after an entry) are announced, then their events
                // handled in turn.
                let now = self.state.now;
                for order in self.follow_ups.drain(..) {
                    out.push(EngineEvent::OrderSubmitted { time: now, order });
                }
                pending.append(&mut self.scratch);
            }
            if closed {
                self.state.open_orders.remove(&id);
                if self.venue_executes(&req.strategy) {
                    if self.recent_closed.len() == RECENT_CLOSED {
                        self.recent_closed.pop_front();
                    }
                    self.recent_closed.push_back(id.clone());
                }
                if !req.reduce_only {
                    let k = (Arc::clone(&req.strategy), req.symbol.clone());
                    if let Some(n) = self.open_entries.get_mut(&k) {
                        *n = n.saturating_sub(1);
                        if *n == 0 {
                            self.open_entries.remove(&k);
                        }
                    }
                }
                let k = KeyRef::new(&req.strategy, req.symbol.as_str());
                if let Some(m) = self.state.positions.get_mut(k.as_str()) {
                    m.exit_orders.retain(|x| x != &id);
                }
            }
        }
        // Everything was handled: the buffer goes back for the next batch (one allocation
        // per engine, not one per batch).
        if self.scratch.is_empty() {
            pending.clear();
            self.scratch = pending;
        }
    }

    fn book_fill_dirty(&mut self, strategy: &Arc<str>) {
        if !self.dirty.contains(strategy) {
            self.dirty.push(Arc::clone(strategy));
        }
    }

    fn book_fill(
        &mut self,
        req: &OrderRequest,
        fill: &ploutos_core::order::Fill,
        out: &mut Vec<EngineEvent>,
    ) {
        let now = self.state.now;
        self.state.fills += 1;
        self.book_fill_dirty(&req.strategy);
        let Some(effect) = self.state.portfolio.apply_fill(
            &req.strategy,
            &req.symbol,
            req.side,
            fill.quantity,
            fill.price,
            fill.fee,
            fill.time,
        ) else {
            out.push(EngineEvent::Error {
                time: now,
                message: format!("fill for unknown strategy {}", req.strategy),
            });
            return;
        };
        let cash_after = self
            .state
            .portfolio
            .accounts
            .get(&req.strategy)
            .map_or(Decimal::ZERO, |a| a.cash);
        out.push(EngineEvent::Fill {
            client_id: req.client_id.clone(),
            strategy: Arc::clone(&req.strategy),
            symbol: req.symbol.clone(),
            side: req.side,
            fill: fill.clone(),
            position_after: effect.position_after,
            cash_after,
            reason: Arc::clone(&req.reason),
        });
        let k = KeyRef::new(&req.strategy, req.symbol.as_str());
        let k = k.as_str();
        if let Some(trade) = effect.closed {
            let loss = trade.is_loss();
            out.push(EngineEvent::TradeClosed {
                strategy: Arc::clone(&req.strategy),
                trade,
                exit_reason: Arc::clone(&req.reason),
            });
            put(&mut self.state.last_exit, k, fill.time.max(now));
            for scope in [Arc::clone(&req.strategy), Arc::clone(&self.global)] {
                let cfg = &self.cfg.breakers;
                if let Some(change) = self
                    .state
                    .breakers
                    .get_mut(&scope)
                    .and_then(|b| b.on_trade_closed(now, loss, cfg))
                {
                    out.push(EngineEvent::Breaker {
                        time: now,
                        scope,
                        change,
                    });
                }
            }
        }
        if effect.position_after.is_zero() {
            // Flat: whatever exit orders remain are moot.
            let rest = self
                .state
                .positions
                .remove(k)
                .map(|m| m.exit_orders)
                .unwrap_or_default();
            let saved = std::mem::take(&mut self.scratch);
            for id in rest {
                if self.broker_working(&id) {
                    self.queue_cancel(&id);
                }
            }
            let mut produced = std::mem::replace(&mut self.scratch, saved);
            self.scratch.append(&mut produced);
            return;
        }
        if effect.opened {
            update_or_default(&mut self.state.positions, k, |meta| {
                meta.entry_time = Some(fill.time);
                meta.partial_done = false;
            });
            self.place_exits(req, fill.price, effect.position_after);
        } else if req.reason.as_ref() == "partial_take_profit" {
            if let Some(m) = self.state.positions.get_mut(k) {
                m.partial_done = true;
            }
            self.replace_with_trailing(req, effect.position_after);
        }
    }

    /// After an entry fill: the stop (or trailing stop) and the take-profit, OCO, reduce-only.
    fn place_exits(&mut self, entry: &OrderRequest, price: Decimal, position: Decimal) {
        let slot_exits = self
            .slots
            .iter()
            .find(|s| s.strategy == entry.strategy && s.symbol == entry.symbol)
            .map(|s| s.exits.clone())
            .unwrap_or_default();
        if !slot_exits.has_orders() {
            return;
        }
        let k = KeyRef::new(&entry.strategy, entry.symbol.as_str());
        let atr = self
            .state
            .positions
            .get(k.as_str())
            .and_then(|m| m.entry_atr);
        let side = if position > Decimal::ZERO {
            Side::Buy
        } else {
            Side::Sell
        };
        let plan = slot_exits.plan(side, price, atr);
        let qty = position.abs();
        let exit_side = side.opposite();
        let mut ids = Vec::new();
        let mut reqs = Vec::new();
        let stop_req = if let Some(trail) = plan.trailing {
            Some((OrderKind::TrailingStop { trail }, "trailing_stop"))
        } else {
            plan.stop
                .map(|s| (OrderKind::Stop { stop: s }, "stop_loss"))
        };
        if let Some((kind, reason)) = stop_req {
            let r = self.request(
                &entry.strategy,
                &entry.symbol,
                exit_side,
                kind,
                qty,
                true,
                reason,
                Contingency::default(),
            );
            ids.push(r.client_id.clone());
            reqs.push(r);
        }
        let tp = match plan.partial {
            Some((p, fraction)) => {
                let step = self
                    .state
                    .broker
                    .instrument(&entry.symbol)
                    .map_or(Decimal::ZERO, |i| i.step_size);
                let part = ploutos_core::money::floor_to_step(qty * fraction, step);
                (part > Decimal::ZERO).then_some((p, part, "partial_take_profit"))
            }
            None => plan.take_profit.map(|p| (p, qty, "take_profit")),
        };
        if let Some((p, q, reason)) = tp {
            let r = self.request(
                &entry.strategy,
                &entry.symbol,
                exit_side,
                OrderKind::Limit { limit: p },
                q,
                true,
                reason,
                Contingency::default(),
            );
            ids.push(r.client_id.clone());
            reqs.push(r);
        }
        if reqs.len() == 2 {
            let (a, b) = (reqs[0].client_id.clone(), reqs[1].client_id.clone());
            reqs[0].contingency.one_cancels_other = Some(b);
            reqs[1].contingency.one_cancels_other = Some(a);
        }
        if let Some(m) = self.state.positions.get_mut(k.as_str()) {
            m.exit_orders.extend(ids);
        }
        self.submit_quiet(reqs);
    }

    /// After a partial take-profit: a trailing stop for what is left.
    fn replace_with_trailing(&mut self, req: &OrderRequest, position: Decimal) {
        let k = KeyRef::new(&req.strategy, req.symbol.as_str());
        let exits = self
            .state
            .positions
            .get(k.as_str())
            .map(|m| m.exit_orders.clone())
            .unwrap_or_default();
        for id in &exits {
            if self.broker_working(id) {
                self.queue_cancel(id);
            }
        }
        let slot_exits = self
            .slots
            .iter()
            .find(|s| s.strategy == req.strategy && s.symbol == req.symbol)
            .map(|s| s.exits.clone())
            .unwrap_or_default();
        let trail = slot_exits
            .trailing
            .unwrap_or(Trail::Percent(Decimal::from(2)));
        let side = if position > Decimal::ZERO {
            Side::Sell
        } else {
            Side::Buy
        };
        let r = self.request(
            &req.strategy,
            &req.symbol,
            side,
            OrderKind::TrailingStop { trail },
            position.abs(),
            true,
            "trailing_stop",
            Contingency::default(),
        );
        if let Some(m) = self.state.positions.get_mut(k.as_str()) {
            m.exit_orders.push(r.client_id.clone());
        }
        self.submit_quiet(vec![r]);
    }

    /// Submits follow-up orders from inside event handling: their events go to `scratch`
    /// and are handled by the running loop in `handle_broker_events`.
    fn submit_quiet(&mut self, reqs: Vec<OrderRequest>) {
        for req in reqs {
            if self.order_events {
                self.follow_ups.push(req.clone());
            }
            self.send_to_broker(req);
        }
    }

    fn check_equity(&mut self, out: &mut Vec<EngineEvent>) {
        if self.dirty.is_empty() {
            return;
        }
        let now = self.state.now;
        let cfg = &self.cfg.breakers;
        let p = &self.state.portfolio;
        let global = Arc::clone(&self.global);
        self.dirty.push(global);
        // One account: the total is its equity (a sum of one term is that term, bit for bit).
        let single = p.accounts.len() == 1;
        let mut single_equity = None;
        for scope in self.dirty.drain(..) {
            let Some(b) = self.state.breakers.get_mut(&scope) else {
                continue;
            };
            let equity = if &*scope == GLOBAL {
                single_equity.unwrap_or_else(|| p.total_equity())
            } else {
                let e = p.equity_of(&scope);
                if single && e.is_some() {
                    single_equity = e;
                }
                e.unwrap_or_default()
            };
            if !self.equity_can_trip && !is_negative(equity) {
                b.note_peak(equity);
                continue;
            }
            if let Some(change) = b.on_equity(now, equity, cfg) {
                out.push(EngineEvent::Breaker {
                    time: now,
                    scope,
                    change,
                });
            }
        }
    }

    /// Whether signals carry their reasons and indicator values and risk rejections their
    /// detail (the default). Backtests, which read trades and equity, turn the words off:
    /// the same decisions, less formatting.
    pub fn set_words(&mut self, on: bool) {
        self.words = on;
    }

    /// Whether signals and risk rejections are reported as [`EngineEvent::Signal`] and
    /// [`EngineEvent::RiskRejection`] (the default). Backtests, which read trades and equity,
    /// turn them off: the same decisions, and [`Engine::skim`] may then pass over signals
    /// that change nothing but which kind came last (a SELL while flat and long-only, a BUY
    /// refused again for the same reason).
    pub fn set_signal_events(&mut self, on: bool) {
        self.signal_events = on;
    }

    /// Whether orders are reported as [`EngineEvent::OrderSubmitted`] and
    /// [`EngineEvent::OrderUpdate`] (the default). Backtests, which read trades and equity,
    /// turn them off: the same orders and fills ([`EngineEvent::Fill`] and
    /// [`EngineEvent::TradeClosed`] still come), fewer events built and dropped.
    pub fn set_order_events(&mut self, on: bool) {
        self.order_events = on;
    }

    /// The panic button: cancels every open order, closes every position at market, and
    /// halts new entries until [`Engine::resume`].
    pub fn panic(&mut self, out: &mut Vec<EngineEvent>) {
        let now = self.state.now;
        if let Some(change) = self
            .state
            .breakers
            .get_mut(GLOBAL)
            .and_then(|b| b.pause(now, "panic"))
        {
            out.push(EngineEvent::Breaker {
                time: now,
                scope: Arc::from(GLOBAL),
                change,
            });
        }
        let ids: Vec<ClientOrderId> = self.state.open_orders.keys().cloned().collect();
        for id in ids {
            if self.broker_working(&id) {
                self.cancel(&id, out);
            }
        }
        let positions: Vec<(Arc<str>, Symbol)> = self
            .state
            .portfolio
            .accounts
            .values()
            .flat_map(|a| {
                a.positions
                    .keys()
                    .map(move |s| (Arc::clone(&a.strategy), s.clone()))
            })
            .collect();
        for (strategy, symbol) in positions {
            self.exit_position(&strategy, &symbol, "panic", out);
        }
    }

    /// Lifts the pause of `scope` (a strategy name, or `global`; `None` = every scope).
    pub fn resume(&mut self, scope: Option<&str>, by: &str, out: &mut Vec<EngineEvent>) {
        let now = self.state.now;
        for (name, b) in self.state.breakers.iter_mut() {
            if scope.is_none_or(|s| s == &**name) {
                if let Some(change) = b.resume(now, by) {
                    out.push(EngineEvent::Breaker {
                        time: now,
                        scope: Arc::clone(name),
                        change,
                    });
                }
            }
        }
    }

    /// Market sessions reported by the broker (Alpaca's calendar when connected) replace the
    /// built-in NYSE table on their dates; returns where the two differed, in words.
    pub fn report_sessions(
        &mut self,
        days: impl IntoIterator<Item = (chrono::NaiveDate, Option<(Timestamp, Timestamp)>)>,
    ) -> Vec<String> {
        self.calendar.report(days)
    }

    /// With [`Execution::Venue`]: the orders and cancels queued since the last call, for the
    /// venue, in the order they were decided.
    pub fn take_commands(&mut self) -> Vec<ExecCommand> {
        std::mem::take(&mut self.outbox)
    }

    /// With [`Execution::Venue`]: what the venue reported about order `id` (accepted, a fill,
    /// canceled …), applied exactly as the paper broker's reports are: fills move the
    /// portfolio, entries get their exits, breakers see the new equity. A fill already applied
    /// (same order and fill id: venues report a fill both in the order's answer and on the
    /// update stream) is expected and changes nothing.
    pub fn on_order_event(
        &mut self,
        id: ClientOrderId,
        ev: OrderEvent,
        out: &mut Vec<EngineEvent>,
    ) {
        // Venues report an order's news more than once (the answer to the request and the
        // update stream): a fill the open order already has, or any news of an order this
        // engine already closed, changes nothing.
        match self.state.open_orders.get(&id) {
            Some(o) => {
                if let OrderEvent::Filled(fill) = &ev {
                    if o.fill_ids.contains(&fill.id) {
                        return;
                    }
                }
            }
            None if self.recent_closed.contains(&id) => return,
            None => {}
        }
        self.scratch.clear();
        self.scratch.push((id, ev));
        self.handle_broker_events(out);
        self.check_equity(out);
    }

    /// Whether the global scope is halted (panic or a global breaker).
    pub fn halted(&self) -> Option<&str> {
        self.state
            .breakers
            .get(GLOBAL)
            .and_then(|b| b.pause_reason())
    }

    /// Marks positions at `to_f64` for display (equity in f64).
    pub fn total_equity_f64(&self) -> f64 {
        to_f64(self.state.portfolio.total_equity())
    }
}

/// What [`Engine::skim`] took, for its caller's bookkeeping.
#[derive(Debug, Clone, Copy)]
pub enum Skimmed<'a> {
    /// Bars of a symbol nobody holds: no value moved with them (the state is the one after
    /// the last).
    Still(&'a [Bar]),
    /// Bars of a held symbol: every value moved with them. Positions and cash are those of
    /// the state given with them; the symbol's mark in it may lag (the bars' closes are the
    /// prices).
    Held(&'a [Bar]),
}

/// Exits a kind has when the configuration gives none: `ema-trend` takes profit at +6% and
/// stops out at −3%; the others exit on their own signals.
pub fn default_exits(kind: &str) -> ExitConfig {
    use crate::exits::Level;
    use crate::strategy::ema_trend::{DEFAULT_STOP_LOSS_PCT, DEFAULT_TAKE_PROFIT_PCT};
    match kind {
        "ema-trend" => ExitConfig {
            stop_loss: Some(Level::Percent(dec(DEFAULT_STOP_LOSS_PCT))),
            take_profit: Some(Level::Percent(dec(DEFAULT_TAKE_PROFIT_PCT))),
            ..ExitConfig::default()
        },
        _ => ExitConfig::default(),
    }
}

fn instrument_for(cfg: &EngineConfig, symbol: &Symbol) -> Instrument {
    cfg.instruments
        .iter()
        .find(|i| &i.symbol == symbol)
        .cloned()
        .unwrap_or_else(|| {
            Instrument::crypto(
                symbol.clone(),
                Decimal::ZERO,
                Decimal::new(1, 8),
                Decimal::ZERO,
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// `horizon` is the count a linear scan finds, on regular bars and bars with gaps,
        /// for limits before, inside and after them.
        #[test]
        fn horizon_is_the_linear_count(
            gaps in proptest::collection::vec(1i64..5, 0..300),
            limit_min in -5i64..1500,
        ) {
            let tf = Timeframe::M1;
            let mut t = 1_000i64;
            let bars: Vec<Bar> = gaps
                .iter()
                .map(|g| {
                    t += g;
                    Bar::new(Timestamp::from_nanos(t * 60_000_000_000), 1.0, 1.0, 1.0, 1.0, 1.0)
                        .unwrap()
                })
                .collect();
            let limit = Timestamp::from_nanos((1_000 + limit_min) * 60_000_000_000);
            let linear = bars.iter().take_while(|b| b.close_time(tf) < limit).count();
            prop_assert_eq!(horizon(&bars, tf, limit), linear);
        }
    }
}
