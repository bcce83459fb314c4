//! [`PaperBroker`]: deterministic simulated execution (no wall clock, no randomness, fill ids
//! `paper-1`, `paper-2`, … in order).
//!
//! Conventions (see `docs/paper-broker.md` for the full list):
//! - An order works from the first bar whose **open time** is at or after its submission time
//!   (submitted on a bar's close → the next bar). Market orders fill at that bar's open.
//! - The intrabar path is open → high → low → close for an up bar (close >= open), else
//!   open → low → high → close; orders of a symbol fill in the order the path reaches their
//!   prices (ties: submission order).
//! - Limit fills are maker, at the limit or at a better price the path was at when the order
//!   became active (a gap). Market, stop and trailing-stop fills are taker, at the touched price
//!   moved against the trader by the slippage, rounded to the tick and clamped to `[low, high]`.
//! - A fill at the open is stamped with the bar's open time, any other with its close time.
//! - Contingent orders (`triggered_by`) start working when the parent is completely filled,
//!   from the parent's fill position on the same bar's path; they are canceled when the parent
//!   closes without filling completely. OCO peers are canceled on the first fill of either.

use std::collections::{BTreeMap, HashMap, VecDeque};

use ploutos_core::money::{floor_to_step, is_positive, price_from_f64};
use ploutos_core::order::{
    ClientOrderId, Fill, Liquidity, Order, OrderEvent, OrderKind, OrderRequest, OrderRequestError,
    OrderSize, OrderStatus, TimeInForce,
};
use ploutos_core::{AssetClass, Bar, Instrument, Side, Symbol, Timestamp};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use smallvec::SmallVec;
use thiserror::Error;

use super::fees::Fees;
use super::fill_model::{trail_stop, Cross, Path, Pos};
use super::slippage::Slippage;
use crate::calendar::NyseCalendar;

/// How many closed orders the broker remembers (for duplicate ids and for contingent orders
/// submitted after their parent filled).
pub const CLOSED_MEMORY: usize = 4096;

/// Where prices come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FillMode {
    /// Backtest / replay: orders fill on later bars ([`PaperBroker::on_bar`]).
    #[default]
    Backtest,
    /// Live paper trading: marketable orders fill at once at the last trade price, working
    /// orders on [`PaperBroker::on_trade_price`] (and on bars).
    LivePaper,
}

/// What happens to a stock order submitted while the NYSE regular session is closed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutsideHours {
    /// Rejected.
    Reject,
    /// Accepted and held until the next session opens.
    #[default]
    Queue,
}

/// Paper broker settings (every field optional in a configuration file).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PaperConfig {
    pub mode: FillMode,
    pub fees: Fees,
    pub slippage: Slippage,
    /// Partial fills: at most this fraction of a bar's volume fills per bar (all orders of the
    /// symbol together); `None` = no cap.
    #[serde(default)]
    pub max_volume_share: Option<Decimal>,
    #[serde(default)]
    pub outside_hours: OutsideHours,
}

/// What the engine knows at submission time.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SubmitCtx {
    /// Cash available for new exposure (quote currency).
    pub buying_power: Decimal,
    /// The strategy's signed position in the symbol (+ long, − short).
    pub position: Decimal,
    /// The last trade price, for estimates and live fills.
    pub last_price: Option<Decimal>,
}

/// Why an order was rejected; its `Display` is the `reason` of [`OrderEvent::Rejected`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RejectReason {
    #[error("unknown symbol {symbol}: no instrument added to the paper broker")]
    UnknownSymbol { symbol: Symbol },
    #[error("invalid request: {0}")]
    Invalid(#[from] OrderRequestError),
    #[error("duplicate client order id {id}")]
    DuplicateId { id: ClientOrderId },
    #[error(
        "fractional quantity {quantity} of stock {symbol}: the instrument allows whole shares only"
    )]
    FractionalStock { symbol: Symbol, quantity: Decimal },
    #[error("quantity {quantity} (rounded down to step {step}: {rounded}) is below the minimum quantity {minimum}")]
    BelowMinQuantity {
        quantity: Decimal,
        step: Decimal,
        rounded: Decimal,
        minimum: Decimal,
    },
    #[error("notional {notional} is below the minimum notional {minimum}")]
    BelowMinNotional { notional: Decimal, minimum: Decimal },
    #[error("insufficient buying power: {side} {quantity} {symbol} at ~{price} (incl. slippage) + fee {fee} = {cost} > buying power {buying_power}")]
    InsufficientBuyingPower {
        side: Side,
        quantity: Decimal,
        symbol: Symbol,
        price: Decimal,
        fee: Decimal,
        cost: Decimal,
        buying_power: Decimal,
    },
    #[error("reduce_only: {side} {quantity} would increase or flip the position {position}")]
    ReduceOnly {
        side: Side,
        quantity: Decimal,
        position: Decimal,
    },
    #[error("market closed: {symbol} trades in NYSE regular hours, closed at {time} (next open {next_open})")]
    MarketClosed {
        symbol: Symbol,
        time: Timestamp,
        next_open: String,
    },
    #[error("parent order {parent} is {status}")]
    Parent {
        parent: ClientOrderId,
        status: String,
    },
}

/// An order the broker is working on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Working {
    seq: u64,
    order: Order,
    /// Waiting for its `triggered_by` parent to fill.
    held: bool,
    /// Works on bars opening at or after this instant.
    active_from: Timestamp,
    /// Day orders: the end of the trading day.
    expires_at: Option<Timestamp>,
    /// Stop-limit: the stop was reached, it is a plain limit now.
    triggered: bool,
    /// Trailing stop: the most favourable price since it became active.
    trail_best: Option<Decimal>,
    /// The quantity to fill (rounded); for notional orders fixed at the first fill.
    quantity: Option<Decimal>,
}

impl Working {
    fn id(&self) -> &ClientOrderId {
        &self.order.request.client_id
    }

    fn req(&self) -> &OrderRequest {
        &self.order.request
    }

    fn is_open(&self) -> bool {
        !self.order.status.is_closed()
    }

    fn immediate(&self) -> bool {
        matches!(self.req().tif, TimeInForce::Ioc | TimeInForce::Fok)
    }
}

/// One walk over a path.
struct PathEnv {
    clamp: Option<(Decimal, Decimal)>,
    range: Decimal,
    volume: Option<Decimal>,
    t_start: Timestamp,
    t_end: Timestamp,
    /// Only this order starts eligible (a live submission); children it triggers join.
    scope: Option<u64>,
}

type Events = Vec<(ClientOrderId, OrderEvent)>;

/// The closed orders of [`PaperBroker`]'s `closed` by id: derived from it, so neither saved nor
/// compared, and rebuilt when it does not match it (after a restore). Hashed with foldhash's
/// fixed-seed hasher: the ids are the engine's own, and SipHash cost ~1,000 instructions per
/// order closed (an insert and a remove of a ~20-byte id each).
#[derive(Clone, Debug, Default)]
struct ClosedIndex(HashMap<ClientOrderId, OrderStatus, foldhash::fast::FixedState>);

impl PartialEq for ClosedIndex {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

/// The simulated broker. See the module docs and `docs/paper-broker.md`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PaperBroker {
    config: PaperConfig,
    calendar: NyseCalendar,
    instruments: BTreeMap<Symbol, Instrument>,
    orders: Vec<Working>,
    closed: VecDeque<(ClientOrderId, OrderStatus)>,
    /// The same closed orders by id, for duplicate and parent look-ups.
    #[serde(skip)]
    closed_index: ClosedIndex,
    last_price: BTreeMap<Symbol, Decimal>,
    last_range: BTreeMap<Symbol, Decimal>,
    /// The last bar's close, high and low per symbol, as the data gave them; converted to
    /// decimals only when an estimate needs them (most bars have no order to fill). Newer
    /// than `last_price` / `last_range` where both are set (a trade price removes it).
    #[serde(default)]
    last_bar: BTreeMap<Symbol, [f64; 3]>,
    next_seq: u64,
    next_fill: u64,
}

impl PaperBroker {
    pub fn new(config: PaperConfig) -> Self {
        PaperBroker {
            config,
            ..Default::default()
        }
    }

    pub fn config(&self) -> &PaperConfig {
        &self.config
    }

    /// Adds (or replaces) the trading rules of a symbol.
    pub fn add_instrument(&mut self, instrument: Instrument) {
        self.instruments
            .insert(instrument.symbol.clone(), instrument);
    }

    pub fn instrument(&self, symbol: &Symbol) -> Option<&Instrument> {
        self.instruments.get(symbol)
    }

    /// Orders not yet closed (working, held for a parent, or queued for the open), in
    /// submission order.
    pub fn open_orders(&self) -> Vec<&Order> {
        self.orders
            .iter()
            .filter(|w| w.is_open())
            .map(|w| &w.order)
            .collect()
    }

    /// An open order by id.
    pub fn order(&self, id: &ClientOrderId) -> Option<&Order> {
        self.orders.iter().find(|w| w.id() == id).map(|w| &w.order)
    }

    /// The current stop level of an open trailing-stop order (once it has a best price).
    pub fn trailing_stop_level(&self, id: &ClientOrderId) -> Option<Decimal> {
        let w = self.orders.iter().find(|w| w.id() == id)?;
        let OrderKind::TrailingStop { trail } = w.req().kind else {
            return None;
        };
        let tick = self.instruments.get(&w.req().symbol)?.tick_size;
        Some(trail_stop(w.trail_best?, trail, w.req().side, tick))
    }

    /// Submits an order: `Accepted` or `Rejected`, and in live paper mode possibly fills (or
    /// the expiry of an IOC/FOK remainder) at once.
    pub fn submit(&mut self, req: OrderRequest, now: Timestamp, ctx: SubmitCtx) -> Events {
        let mut out = Vec::new();
        self.submit_into(req, now, ctx, &mut out);
        out
    }

    /// [`PaperBroker::submit`] appending its events to `out` (an engine reuses one buffer).
    pub fn submit_into(
        &mut self,
        req: OrderRequest,
        now: Timestamp,
        ctx: SubmitCtx,
        out: &mut Events,
    ) {
        let id = req.client_id.clone();
        let accepted = match self.check(req, now, &ctx) {
            Ok(w) => w,
            Err(reason) => {
                out.push((
                    id,
                    OrderEvent::Rejected {
                        time: now,
                        reason: reason.to_string(),
                    },
                ));
                return;
            }
        };
        let seq = accepted.seq;
        let live_now = !accepted.held && accepted.active_from <= now;
        self.orders.push(accepted);
        self.emit_seq(seq, OrderEvent::Accepted { time: now }, out);
        if self.config.mode == FillMode::LivePaper && live_now {
            let symbol = self.orders[self.orders.len() - 1].req().symbol.clone();
            match ctx.last_price.or_else(|| self.last_known(&symbol)) {
                Some(price) => {
                    let env = PathEnv {
                        clamp: None,
                        range: Decimal::ZERO,
                        volume: None,
                        t_start: now,
                        t_end: now,
                        scope: Some(seq),
                    };
                    self.run_path(&symbol, &Path::point(price), &env, out);
                }
                None => {
                    if let Some(idx) = self.index_of_seq(seq) {
                        if self.orders[idx].immediate() {
                            self.emit(idx, OrderEvent::Expired { time: now }, out);
                        }
                    }
                }
            }
        }
        self.finish(now, out);
    }

    /// Cancels an open order: `Canceled` (and `Canceled` for its held children), or
    /// `CancelRejected` when it is not open here. The engine is expected to have applied
    /// `CancelRequested` to its own copy when it asked.
    pub fn cancel(&mut self, id: &ClientOrderId, now: Timestamp) -> Events {
        let mut out = Vec::new();
        self.cancel_into(id, now, &mut out);
        out
    }

    /// [`PaperBroker::cancel`] appending its events to `out`.
    pub fn cancel_into(&mut self, id: &ClientOrderId, now: Timestamp, out: &mut Events) {
        match self.orders.iter().position(|w| w.id() == id && w.is_open()) {
            Some(idx) => self.emit(idx, OrderEvent::Canceled { time: now }, out),
            None => out.push((
                id.clone(),
                OrderEvent::CancelRejected {
                    time: now,
                    reason: format!("order {id} is not open at the paper broker"),
                },
            )),
        }
        self.finish(now, out);
    }

    /// A finished bar of `symbol` (`bar.time()` is its open time, `close_time` its end):
    /// expiries due at its open, fills along its path, expiries due by its close.
    pub fn on_bar(&mut self, symbol: &Symbol, bar: &Bar, close_time: Timestamp) -> Events {
        let mut out = Vec::new();
        self.on_bar_into(symbol, bar, close_time, &mut out);
        out
    }

    /// [`PaperBroker::on_bar`] appending its events to `out`.
    pub fn on_bar_into(
        &mut self,
        symbol: &Symbol,
        bar: &Bar,
        close_time: Timestamp,
        out: &mut Events,
    ) {
        if !decimal_prices(bar) {
            return;
        }
        self.note_bar(symbol, bar);
        if !self.works_on(symbol) {
            return; // nothing works on this symbol: no path to walk
        }
        let prices = [bar.open(), bar.high(), bar.low(), bar.close()].map(price_from_f64);
        let [Some(open), Some(high), Some(low), Some(close)] = prices else {
            return;
        };
        self.expire_due(Some(symbol), bar.time(), out);
        let volume = match (self.config.max_volume_share, price_from_f64(bar.volume())) {
            (Some(share), Some(v)) => Some(v * share),
            (Some(_), None) => Some(Decimal::ZERO),
            (None, _) => None,
        };
        let env = PathEnv {
            clamp: Some((low, high)),
            range: if self.config.slippage.uses_range() {
                high - low
            } else {
                Decimal::ZERO
            },
            volume,
            t_start: bar.time(),
            t_end: close_time,
            scope: None,
        };
        self.run_path(symbol, &Path::from_ohlc(open, high, low, close), &env, out);
        self.expire_due(Some(symbol), close_time, out);
        self.finish(close_time, out);
    }

    /// What [`PaperBroker::on_bar`] remembers of `bars` (the last price and range) when no
    /// order of `symbol` works: for bars an engine skims.
    pub fn note_bars(&mut self, symbol: &Symbol, bars: &[Bar]) {
        if let Some(bar) = bars.iter().rev().find(|b| decimal_prices(b)) {
            self.note_bar(symbol, bar);
        }
    }

    /// Remembers `bar` as `symbol`'s last (as the data gave it).
    fn note_bar(&mut self, symbol: &Symbol, bar: &Bar) {
        let prices = [bar.close(), bar.high(), bar.low()];
        match self.last_bar.get_mut(symbol) {
            Some(p) => *p = prices,
            None => {
                self.last_bar.insert(symbol.clone(), prices);
            }
        }
    }

    /// Whether an order of `symbol` is working.
    pub fn works_on(&self, symbol: &Symbol) -> bool {
        self.orders
            .iter()
            .any(|w| w.is_open() && &w.req().symbol == symbol)
    }

    /// The latest price known for `symbol`: the last bar's close, else the last trade price.
    fn last_known(&self, symbol: &Symbol) -> Option<Decimal> {
        self.last_bar
            .get(symbol)
            .and_then(|b| price_from_f64(b[0]))
            .or_else(|| self.last_price.get(symbol).copied())
    }

    /// The last bar's high − low for `symbol` (in decimals), else the last one recorded.
    fn last_range_known(&self, symbol: &Symbol) -> Option<Decimal> {
        self.last_bar
            .get(symbol)
            .and_then(|b| Some(price_from_f64(b[1])? - price_from_f64(b[2])?))
            .or_else(|| self.last_range.get(symbol).copied())
    }

    /// A trade price (live paper mode): records it and, in [`FillMode::LivePaper`], fills
    /// working orders of the symbol it reaches. Also expires day orders due by `now`.
    pub fn on_trade_price(&mut self, symbol: &Symbol, price: Decimal, now: Timestamp) -> Events {
        let mut out = Vec::new();
        self.last_price.insert(symbol.clone(), price);
        self.last_bar.remove(symbol); // the trade is newer than the last bar
        self.expire_due(Some(symbol), now, &mut out);
        if self.config.mode == FillMode::LivePaper {
            let env = PathEnv {
                clamp: None,
                range: Decimal::ZERO,
                volume: None,
                t_start: now,
                t_end: now,
                scope: None,
            };
            self.run_path(symbol, &Path::point(price), &env, &mut out);
        }
        self.finish(now, &mut out);
        out
    }

    /// Expires day orders of every symbol whose trading day ended by `now`.
    pub fn on_time(&mut self, now: Timestamp) -> Events {
        let mut out = Vec::new();
        self.expire_due(None, now, &mut out);
        self.finish(now, &mut out);
        out
    }

    // ---- submission checks -------------------------------------------------------------

    fn check(
        &mut self,
        req: OrderRequest,
        now: Timestamp,
        ctx: &SubmitCtx,
    ) -> Result<Working, RejectReason> {
        let inst = self.instruments.get(&req.symbol).cloned().ok_or_else(|| {
            RejectReason::UnknownSymbol {
                symbol: req.symbol.clone(),
            }
        })?;
        req.validate()?;
        if self.closed_index.0.len() != self.closed.len() {
            self.closed_index.0 = self.closed.iter().cloned().collect();
        }
        if self.orders.iter().any(|w| w.id() == &req.client_id)
            || self.closed_index.0.contains_key(&req.client_id)
        {
            return Err(RejectReason::DuplicateId {
                id: req.client_id.clone(),
            });
        }
        let mut req = req;
        // Prices to the tick (then checked again: a price may round to nothing).
        let priced = matches!(
            req.kind,
            OrderKind::Limit { .. } | OrderKind::Stop { .. } | OrderKind::StopLimit { .. }
        );
        req.kind = match req.kind {
            OrderKind::Limit { limit } => OrderKind::Limit {
                limit: inst.round_price(limit),
            },
            OrderKind::Stop { stop } => OrderKind::Stop {
                stop: inst.round_price(stop),
            },
            OrderKind::StopLimit { stop, limit } => OrderKind::StopLimit {
                stop: inst.round_price(stop),
                limit: inst.round_price(limit),
            },
            k => k,
        };
        if priced {
            req.validate()?;
        }
        let last = ctx.last_price.or_else(|| self.last_known(&req.symbol));
        let reference = match req.kind {
            OrderKind::Limit { limit } | OrderKind::StopLimit { limit, .. } => Some(limit),
            OrderKind::Stop { stop } => Some(match (last, req.side) {
                (Some(l), Side::Buy) => l.max(stop),
                (Some(l), Side::Sell) => l.min(stop),
                (None, _) => stop,
            }),
            OrderKind::Market | OrderKind::TrailingStop { .. } => last,
        };
        let taker = !matches!(
            req.kind,
            OrderKind::Limit { .. } | OrderKind::StopLimit { .. }
        );
        let liquidity = if taker {
            Liquidity::Taker
        } else {
            Liquidity::Maker
        };
        // The last bar's range, where the slippage model reads it.
        let range = if self.config.slippage.uses_range() {
            self.last_range_known(&req.symbol).unwrap_or_default()
        } else {
            Decimal::ZERO
        };
        let slipped = reference.map(|p| {
            if taker {
                self.config.slippage.apply(p, range, req.side)
            } else {
                p
            }
        });
        // Quantity: whole shares, step, minimums (a notional order's at the reference price:
        // `notional_estimate`).
        let mut notional_estimate = None;
        let quantity = match req.size {
            OrderSize::Quantity(q) => {
                if inst.class == AssetClass::Stock && !inst.fractional && !q.fract().is_zero() {
                    return Err(RejectReason::FractionalStock {
                        symbol: req.symbol.clone(),
                        quantity: q,
                    });
                }
                let rounded = inst.round_quantity(q);
                if !is_positive(rounded) || rounded < inst.min_quantity {
                    return Err(RejectReason::BelowMinQuantity {
                        quantity: q,
                        step: inst.step_size,
                        rounded,
                        minimum: inst.min_quantity,
                    });
                }
                if let Some(p) = reference {
                    if rounded * p < inst.min_notional {
                        return Err(RejectReason::BelowMinNotional {
                            notional: rounded * p,
                            minimum: inst.min_notional,
                        });
                    }
                }
                req.size = OrderSize::Quantity(rounded);
                Some(rounded)
            }
            OrderSize::Notional(n) => {
                if n < inst.min_notional {
                    return Err(RejectReason::BelowMinNotional {
                        notional: n,
                        minimum: inst.min_notional,
                    });
                }
                if let Some(p) = slipped.filter(|p| is_positive(*p)) {
                    let rounded = inst.round_quantity(n / p);
                    if !is_positive(rounded) || rounded < inst.min_quantity {
                        return Err(RejectReason::BelowMinQuantity {
                            quantity: n / p,
                            step: inst.step_size,
                            rounded,
                            minimum: inst.min_quantity,
                        });
                    }
                    notional_estimate = Some(rounded);
                }
                None
            }
        };
        // Contingency.
        let mut held = false;
        if let Some(parent) = &req.contingency.triggered_by {
            if self.orders.iter().any(|w| w.id() == parent && w.is_open()) {
                held = true;
            } else {
                match self.closed_index.0.get_key_value(parent) {
                    Some((_, OrderStatus::Filled)) => {}
                    Some((_, status)) => {
                        return Err(RejectReason::Parent {
                            parent: parent.clone(),
                            status: status.to_string(),
                        })
                    }
                    None => {
                        return Err(RejectReason::Parent {
                            parent: parent.clone(),
                            status: "unknown to the paper broker".into(),
                        })
                    }
                }
            }
        }
        // Estimated quantity for the position checks.
        let est_qty = quantity.or(notional_estimate);
        if req.reduce_only && req.contingency.triggered_by.is_none() {
            let pos = ctx.position;
            let q = est_qty.unwrap_or_default();
            let ok = match req.side {
                Side::Buy => pos < Decimal::ZERO && q <= -pos,
                Side::Sell => pos > Decimal::ZERO && q <= pos,
            };
            if !ok {
                return Err(RejectReason::ReduceOnly {
                    side: req.side,
                    quantity: q,
                    position: pos,
                });
            }
        }
        if !req.reduce_only && req.contingency.triggered_by.is_none() {
            let pos = ctx.position;
            let (q, price) = match (est_qty, slipped) {
                (Some(q), Some(p)) => (q, p),
                _ => (Decimal::ZERO, Decimal::ZERO),
            };
            let offset = match req.side {
                Side::Buy => (-pos).max(Decimal::ZERO),
                Side::Sell => pos.max(Decimal::ZERO),
            };
            let increase = (q - offset).max(Decimal::ZERO);
            if increase > Decimal::ZERO {
                let fee = self.config.fees.fee(price, increase, liquidity);
                let cost = increase * price + fee;
                if cost > ctx.buying_power {
                    return Err(RejectReason::InsufficientBuyingPower {
                        side: req.side,
                        quantity: increase,
                        symbol: req.symbol.clone(),
                        price,
                        fee,
                        cost,
                        buying_power: ctx.buying_power,
                    });
                }
            }
        }
        // Hours.
        let mut active_from = now;
        if inst.class == AssetClass::Stock && !held && !self.calendar.is_open(now) {
            let next = self.calendar.next_open(now);
            match self.config.outside_hours {
                OutsideHours::Reject => {
                    return Err(RejectReason::MarketClosed {
                        symbol: req.symbol.clone(),
                        time: now,
                        next_open: next.map_or_else(|| "unknown".into(), |t| t.to_string()),
                    })
                }
                OutsideHours::Queue => {
                    if let Some(t) = next {
                        active_from = t;
                    }
                }
            }
        }
        let expires_at = match req.tif {
            TimeInForce::Day => self.day_end(&inst, active_from),
            _ => None,
        };
        let trail_best = match req.kind {
            OrderKind::TrailingStop { .. } => last,
            _ => None,
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        Ok(Working {
            seq,
            order: Order::new(req, now),
            held,
            active_from,
            expires_at,
            triggered: false,
            trail_best,
            quantity,
        })
    }

    /// The end of the trading day an order active from `t` belongs to.
    fn day_end(&self, inst: &Instrument, t: Timestamp) -> Option<Timestamp> {
        day_end(&self.calendar, inst, t)
    }

    // ---- event plumbing ----------------------------------------------------------------

    fn index_of_seq(&self, seq: u64) -> Option<usize> {
        self.orders.iter().position(|w| w.seq == seq)
    }

    fn emit(&mut self, idx: usize, event: OrderEvent, out: &mut Events) {
        let w = &mut self.orders[idx];
        // The broker only emits events its own state machine allows; the result is the
        // engine's to check on its copy.
        let _ = w.order.apply(&event);
        out.push((w.id().clone(), event));
    }

    fn emit_seq(&mut self, seq: u64, event: OrderEvent, out: &mut Events) {
        if let Some(idx) = self.index_of_seq(seq) {
            self.emit(idx, event, out);
        }
    }

    fn expire_due(&mut self, symbol: Option<&Symbol>, now: Timestamp, out: &mut Events) {
        for idx in 0..self.orders.len() {
            let w = &self.orders[idx];
            if !w.is_open() || symbol.is_some_and(|s| s != &w.req().symbol) {
                continue;
            }
            if let Some(at) = w.expires_at.filter(|at| *at <= now) {
                self.emit(idx, OrderEvent::Expired { time: at }, out);
            }
        }
    }

    /// Cancels held children of parents that closed without filling completely, then
    /// forgets closed orders (remembering their final status).
    fn finish(&mut self, now: Timestamp, out: &mut Events) {
        loop {
            let mut changed = false;
            for idx in 0..self.orders.len() {
                let w = &self.orders[idx];
                if !(w.is_open() && w.held) {
                    continue;
                }
                let Some(parent) = w.req().contingency.triggered_by.clone() else {
                    continue;
                };
                let parent_dead = self
                    .orders
                    .iter()
                    .find(|p| p.id() == &parent)
                    .map(|p| p.order.status.is_closed() && p.order.status != OrderStatus::Filled)
                    .unwrap_or(true);
                if parent_dead {
                    self.emit(idx, OrderEvent::Canceled { time: now }, out);
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        if self.orders.iter().all(Working::is_open) {
            return; // nothing closed: no need to move the working orders
        }
        // The closed ones leave the list in order (a few orders: shifting beats two new lists).
        let mut i = 0;
        while i < self.orders.len() {
            if self.orders[i].is_open() {
                i += 1;
                continue;
            }
            let w = self.orders.remove(i);
            self.closed.push_back((w.id().clone(), w.order.status));
            self.closed_index.0.insert(w.id().clone(), w.order.status);
            while self.closed.len() > CLOSED_MEMORY {
                if let Some((id, _)) = self.closed.pop_front() {
                    self.closed_index.0.remove(&id);
                }
            }
        }
    }

    // ---- fills -------------------------------------------------------------------------

    /// Where `w` fills on `path` from `from`: position, raw price, liquidity.
    fn touch(&self, w: &Working, path: &Path, from: Pos) -> Option<(Pos, Decimal, Liquidity)> {
        let side = w.req().side;
        match w.req().kind {
            OrderKind::Market => Some((from, path.price_at(from), Liquidity::Taker)),
            OrderKind::Limit { limit } => path
                .first_touch(from, limit, Cross::limit(side))
                .map(|(p, x)| (p, x, Liquidity::Maker)),
            OrderKind::Stop { stop } => path
                .first_touch(from, stop, Cross::stop(side))
                .map(|(p, x)| (p, x, Liquidity::Taker)),
            OrderKind::StopLimit { stop, limit } => {
                let start = if w.triggered {
                    from
                } else {
                    path.first_touch(from, stop, Cross::stop(side))?.0
                };
                path.first_touch(start, limit, Cross::limit(side))
                    .map(|(p, x)| (p, x, Liquidity::Maker))
            }
            OrderKind::TrailingStop { trail } => {
                let tick = self
                    .instruments
                    .get(&w.req().symbol)
                    .map(|i| i.tick_size)
                    .unwrap_or_default();
                let best = w.trail_best.unwrap_or_else(|| path.price_at(from));
                path.trailing_touch(from, side, trail, best, tick)
                    .map(|(p, x)| (p, x, Liquidity::Taker))
            }
        }
    }

    fn run_path(&mut self, symbol: &Symbol, path: &Path, env: &PathEnv, out: &mut Events) {
        let Some(inst) = self.instruments.get(symbol).cloned() else {
            return;
        };
        if inst.class == AssetClass::Stock && !self.calendar.is_open(env.t_start) {
            return;
        }
        // By seq: where on the path each order starts working, and whether it is done (a
        // few orders: a sorted inline list, no allocation per walk).
        let mut start: SmallVec<[(u64, Pos, bool); 4]> = self
            .orders
            .iter()
            .filter(|w| {
                w.is_open()
                    && !w.held
                    && &w.req().symbol == symbol
                    && w.active_from <= env.t_start
                    && env.scope.is_none_or(|s| s == w.seq)
            })
            .map(|w| (w.seq, Pos::START, false))
            .collect();
        start.sort_unstable_by_key(|e| e.0);
        let mut volume_left = env.volume;
        loop {
            let mut best: Option<(Pos, u64, Decimal, Liquidity)> = None;
            for &(seq, from, done) in &start {
                if done {
                    continue;
                }
                let Some(idx) = self.index_of_seq(seq) else {
                    continue;
                };
                let w = &self.orders[idx];
                if !w.is_open() {
                    continue;
                }
                let Some((pos, raw, liq)) = self.touch(w, path, from) else {
                    continue;
                };
                if w.immediate() && pos != from {
                    continue;
                }
                if best.as_ref().is_none_or(|b| (pos, seq) < (b.0, b.1)) {
                    best = Some((pos, seq, raw, liq));
                }
            }
            let Some((pos, seq, raw, liquidity)) = best else {
                break;
            };
            if let Ok(k) = start.binary_search_by_key(&seq, |e| e.0) {
                start[k].2 = true;
            }
            let Some(idx) = self.index_of_seq(seq) else {
                continue;
            };
            let time = if pos == Pos::START {
                env.t_start
            } else {
                env.t_end
            };
            let side = self.orders[idx].req().side;
            let price = match liquidity {
                Liquidity::Maker => raw,
                Liquidity::Taker => {
                    let p = inst.round_price(self.config.slippage.apply(raw, env.range, side));
                    match env.clamp {
                        Some((lo, hi)) => p.clamp(lo, hi),
                        None => p,
                    }
                }
            };
            if !is_positive(price) {
                continue;
            }
            // The quantity to fill.
            let w = &self.orders[idx];
            let total = match (w.quantity, w.req().size) {
                (Some(q), _) => q,
                (None, OrderSize::Notional(n)) => {
                    let q = inst.round_quantity(n / price);
                    if !is_positive(q) || q < inst.min_quantity {
                        self.emit(idx, OrderEvent::Canceled { time }, out);
                        continue;
                    }
                    self.orders[idx].quantity = Some(q);
                    q
                }
                (None, OrderSize::Quantity(q)) => q,
            };
            let w = &self.orders[idx];
            let remaining = total - w.order.filled_quantity;
            let available = match volume_left {
                Some(v) => floor_to_step(v, inst.step_size).min(remaining),
                None => remaining,
            };
            if w.req().tif == TimeInForce::Fok && available < remaining {
                self.emit(idx, OrderEvent::Expired { time }, out);
                continue;
            }
            let qty = available.normalize();
            if !is_positive(qty) {
                continue;
            }
            let leaves = (remaining - qty).normalize();
            let fee = self.config.fees.fee(price, qty, liquidity);
            self.next_fill += 1;
            let fill = Fill {
                // `paper-<n>` (built without the formatting machinery: one per fill).
                id: ClientOrderId::sequential("paper", self.next_fill).into(),
                time,
                price,
                quantity: qty,
                fee,
                liquidity,
                leaves,
            };
            if let Some(v) = volume_left.as_mut() {
                *v -= qty;
            }
            self.emit(idx, OrderEvent::Filled(fill), out);
            let id = self.orders[idx].id().clone();
            let oco = self.orders[idx].req().contingency.one_cancels_other.clone();
            // OCO peers: canceled on the first fill of either.
            for j in 0..self.orders.len() {
                let peer = &self.orders[j];
                if j == idx || !peer.is_open() {
                    continue;
                }
                let linked = oco.as_ref() == Some(peer.id())
                    || peer.req().contingency.one_cancels_other.as_ref() == Some(&id);
                if linked {
                    self.emit(j, OrderEvent::Canceled { time }, out);
                }
            }
            // Children: work from here on when the parent is complete.
            if leaves.is_zero() {
                let calendar = self.calendar;
                for j in 0..self.orders.len() {
                    let child = &mut self.orders[j];
                    if child.held
                        && child.is_open()
                        && child.req().contingency.triggered_by.as_ref() == Some(&id)
                    {
                        child.held = false;
                        child.active_from = time;
                        if matches!(child.req().kind, OrderKind::TrailingStop { .. }) {
                            child.trail_best = Some(price);
                        }
                        if child.req().tif == TimeInForce::Day {
                            child.expires_at = day_end(&calendar, &inst, time);
                        }
                        let seq = child.seq;
                        match start.binary_search_by_key(&seq, |e| e.0) {
                            Ok(k) => start[k].1 = pos,
                            Err(k) => start.insert(k, (seq, pos, false)),
                        }
                    }
                }
            }
        }
        // After the walk: IOC/FOK remainders expire, stops and trails remember the path.
        for &(seq, from, _) in &start {
            let Some(idx) = self.index_of_seq(seq) else {
                continue;
            };
            if !self.orders[idx].is_open() {
                continue;
            }
            if self.orders[idx].immediate() {
                self.emit(idx, OrderEvent::Expired { time: env.t_start }, out);
                continue;
            }
            let side = self.orders[idx].req().side;
            match self.orders[idx].req().kind {
                OrderKind::TrailingStop { .. } => {
                    let extreme = path.extreme_from(from, side);
                    let w = &mut self.orders[idx];
                    w.trail_best = Some(match (w.trail_best, side) {
                        (None, _) => extreme,
                        (Some(b), Side::Sell) => b.max(extreme),
                        (Some(b), Side::Buy) => b.min(extreme),
                    });
                }
                OrderKind::StopLimit { stop, .. }
                    if !self.orders[idx].triggered
                        && path.first_touch(from, stop, Cross::stop(side)).is_some() =>
                {
                    self.orders[idx].triggered = true;
                }
                _ => {}
            }
        }
    }
}

/// The end of the trading day that an order working from `t` belongs to: the close of the
/// current or next NYSE session for stocks, the next 00:00 UTC for crypto.
/// Updates `map[symbol]` without cloning the key when it is already there.
/// Whether every price of `bar` has a decimal (what a bar needs to be filled against).
fn decimal_prices(bar: &Bar) -> bool {
    [bar.open(), bar.high(), bar.low(), bar.close()]
        .iter()
        .all(|p| p.is_finite() && p.abs() < 7.9e28)
}

fn day_end(calendar: &NyseCalendar, inst: &Instrument, t: Timestamp) -> Option<Timestamp> {
    match inst.class {
        AssetClass::Stock => calendar.current_or_next_session(t).map(|(_, c)| c),
        AssetClass::Crypto => Timestamp::from_secs((t.utc_day() + 1) * 86_400),
    }
}
