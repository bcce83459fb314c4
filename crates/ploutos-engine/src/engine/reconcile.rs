//! Reconciliation with an outside venue ([`super::Execution::Venue`]): on start and after
//! every reconnect the engine's book is compared with the broker's truth, the differences are
//! reported, the book is corrected from the broker, and new entries wait (fail closed) until
//! the two agree.
//!
//! The order of work for the caller (the live runner):
//! 1. [`Engine::hold_for_reconcile`] — no new entries from here on;
//! 2. fetch the venue's snapshot; for every order the engine holds open that the venue does
//!    not list as open, look it up and feed its final state (fills, cancel) through
//!    [`Engine::on_order_event`];
//! 3. [`Engine::reconcile`] with the snapshot: what still differs is corrected and reported;
//!    trading resumes when nothing blocks.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use ploutos_core::order::{ClientOrderId, OrderEvent};
use ploutos_core::{Decimal, Side, Symbol};

use super::{Engine, GLOBAL};
use crate::events::EngineEvent;

/// The pause reason while reconciling.
const RECONCILE: &str = "reconcile";

/// The broker's truth, venue-neutral.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BrokerTruth {
    /// Signed quantity per traded instrument (instruments the engine does not trade are
    /// left out by the caller; an absent instrument means flat).
    pub positions: BTreeMap<Symbol, Decimal>,
    /// Average entry price per instrument where the venue knows it (used to value a
    /// position adopted from the broker when the engine has no mark yet).
    pub prices: BTreeMap<Symbol, Decimal>,
    /// The orders the venue still works, by client order id, with their instrument.
    pub open_orders: BTreeMap<ClientOrderId, Symbol>,
}

/// One difference between the engine's book and the broker's truth.
#[derive(Debug, Clone, PartialEq)]
pub enum Discrepancy {
    /// The engine holds a different quantity than the venue; corrected by booking the
    /// difference on `strategy` at `price` (the mark, else the venue's average price).
    Position {
        /// The instrument.
        symbol: Symbol,
        /// What the engine held (all strategies together).
        engine: Decimal,
        /// What the venue holds.
        venue: Decimal,
        /// The strategy the difference was booked on (`None`: no strategy trades the
        /// instrument, or no price is known: not corrected, blocks trading).
        strategy: Option<Arc<str>>,
        /// The price used.
        price: Option<Decimal>,
    },
    /// The engine held this order open but the venue does not work it (and its final state
    /// could not be learned): closed in the book as canceled.
    OrderMissing {
        /// The order.
        client_id: ClientOrderId,
    },
    /// The venue works an order the engine does not know. Not ours to cancel: it blocks
    /// trading on its instrument's strategies until it is gone (cancel it at the broker).
    UnknownOrder {
        /// The venue's client order id.
        client_id: ClientOrderId,
        /// Its instrument.
        symbol: Symbol,
    },
}

impl Discrepancy {
    /// Whether the book could not be made to agree (trading stays held).
    pub fn blocks(&self) -> bool {
        match self {
            Discrepancy::Position { strategy, .. } => strategy.is_none(),
            Discrepancy::OrderMissing { .. } => false,
            Discrepancy::UnknownOrder { .. } => true,
        }
    }
}

impl std::fmt::Display for Discrepancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Discrepancy::Position {
                symbol,
                engine,
                venue,
                strategy,
                price,
            } => {
                write!(f, "position {symbol}: journal {engine}, broker {venue}")?;
                match (strategy, price) {
                    (Some(s), Some(p)) => {
                        write!(f, " — corrected on strategy {s} at {p}")
                    }
                    _ => write!(
                        f,
                        " — cannot correct (no strategy trades it or no price known): trading held"
                    ),
                }
            }
            Discrepancy::OrderMissing { client_id } => write!(
                f,
                "order {client_id} is open in the journal but not at the broker — closed as canceled"
            ),
            Discrepancy::UnknownOrder { client_id, symbol } => write!(
                f,
                "the broker works order {client_id} on {symbol}, unknown to the journal — cancel it at the broker; trading held until then"
            ),
        }
    }
}

impl Engine {
    /// The accounts of the strategies a venue executes.
    fn venue_accounts(&self) -> impl Iterator<Item = &crate::portfolio::Account> {
        self.state
            .portfolio
            .accounts
            .values()
            .filter(|a| self.venue_executes(&a.strategy))
    }

    /// Holds new entries until the next [`Engine::reconcile`] that finds agreement (fail
    /// closed). Does nothing when the global scope is already paused for another reason
    /// (panic, a breaker): that pause stays in charge.
    pub fn hold_for_reconcile(&mut self, out: &mut Vec<EngineEvent>) {
        let now = self.state.now;
        if let Some(b) = self.state.breakers.get_mut(GLOBAL) {
            if b.pause_reason().is_none() {
                if let Some(change) = b.pause(now, RECONCILE) {
                    out.push(EngineEvent::Breaker {
                        time: now,
                        scope: Arc::clone(&self.global),
                        change,
                    });
                }
            }
        }
    }

    /// Lifts the hold of [`Engine::hold_for_reconcile`] (paper trading on a live feed has no
    /// broker to agree with: the hold only covers the warm-up and catch-up bars).
    pub fn end_hold(&mut self, out: &mut Vec<EngineEvent>) {
        let now = self.state.now;
        if let Some(b) = self.state.breakers.get_mut(GLOBAL) {
            if b.pause_reason() == Some(RECONCILE) {
                if let Some(change) = b.resume(now, RECONCILE) {
                    out.push(EngineEvent::Breaker {
                        time: now,
                        scope: Arc::clone(&self.global),
                        change,
                    });
                }
            }
        }
    }

    /// Whether entries are held until the next reconcile.
    pub fn held_for_reconcile(&self) -> bool {
        self.state
            .breakers
            .get(GLOBAL)
            .and_then(|b| b.pause_reason())
            == Some(RECONCILE)
    }

    /// Compares the book with `truth`, corrects what it can from the broker's side, and
    /// returns every difference found (also reported as [`EngineEvent::Error`]s). Trading
    /// resumes (the hold of [`Engine::hold_for_reconcile`] is lifted) when nothing blocks.
    pub fn reconcile(
        &mut self,
        truth: &BrokerTruth,
        out: &mut Vec<EngineEvent>,
    ) -> Vec<Discrepancy> {
        let now = self.state.now;
        let mut found = Vec::new();

        // Orders the engine holds open that the venue does not work.
        let missing: Vec<ClientOrderId> = self
            .state
            .open_orders
            .iter()
            .filter(|(id, o)| {
                self.venue_executes(&o.request.strategy) && !truth.open_orders.contains_key(*id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        for id in missing {
            self.scratch.clear();
            self.scratch
                .push((id.clone(), OrderEvent::Canceled { time: now }));
            self.handle_broker_events(out);
            found.push(Discrepancy::OrderMissing { client_id: id });
        }

        // Orders the venue works that the engine does not know.
        for (id, symbol) in &truth.open_orders {
            if !self.state.open_orders.contains_key(id) {
                found.push(Discrepancy::UnknownOrder {
                    client_id: id.clone(),
                    symbol: symbol.clone(),
                });
            }
        }

        // Positions, per instrument, all strategies together.
        // Strategies the engine's paper broker fills are not at the venue: left out.
        let mut symbols: BTreeSet<Symbol> = truth.positions.keys().cloned().collect();
        for acct in self.venue_accounts() {
            symbols.extend(acct.positions.keys().cloned());
        }
        for symbol in symbols {
            let engine: Decimal = self
                .venue_accounts()
                .filter_map(|a| a.positions.get(&symbol))
                .map(|p| p.quantity)
                .sum();
            let venue = truth.positions.get(&symbol).copied().unwrap_or_default();
            if engine == venue {
                continue;
            }
            found.push(self.correct_position(&symbol, engine, venue, truth));
        }

        for d in &found {
            out.push(EngineEvent::Error {
                time: now,
                message: format!("reconcile: {d}"),
            });
        }
        self.check_equity(out);
        if !found.iter().any(Discrepancy::blocks) {
            self.end_hold(out);
        }
        found
    }

    /// Books `venue − engine` of `symbol` on the instrument's strategy: the one that holds
    /// it, else the first configured on it.
    fn correct_position(
        &mut self,
        symbol: &Symbol,
        engine: Decimal,
        venue: Decimal,
        truth: &BrokerTruth,
    ) -> Discrepancy {
        let holder = self
            .venue_accounts()
            .find(|a| a.positions.contains_key(symbol))
            .map(|a| Arc::clone(&a.strategy));
        let strategy = holder.or_else(|| {
            self.slots
                .iter()
                .find(|s| &s.symbol == symbol && self.venue_executes(&s.strategy))
                .map(|s| Arc::clone(&s.strategy))
        });
        let price = self
            .state
            .portfolio
            .marks
            .get(symbol)
            .copied()
            .or_else(|| truth.prices.get(symbol).copied());
        let (Some(strategy), Some(price)) = (strategy, price) else {
            return Discrepancy::Position {
                symbol: symbol.clone(),
                engine,
                venue,
                strategy: None,
                price,
            };
        };
        let diff = venue - engine;
        let (side, qty) = if diff > Decimal::ZERO {
            (Side::Buy, diff)
        } else {
            (Side::Sell, -diff)
        };
        let now = self.state.now;
        self.state
            .portfolio
            .apply_fill(&strategy, symbol, side, qty, price, Decimal::ZERO, now);
        self.book_fill_dirty(&strategy);
        Discrepancy::Position {
            symbol: symbol.clone(),
            engine,
            venue,
            strategy: Some(strategy),
            price: Some(price),
        }
    }
}
