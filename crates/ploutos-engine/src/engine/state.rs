//! [`EngineState`]: everything the engine must remember across a restart, serializable. What
//! is not here (aggregators' partial bars, strategies' indicators, ATRs) depends only on the
//! market data and is rebuilt by feeding the same events again (see [`super::Engine::restore`]).

use std::collections::BTreeMap;
use std::sync::Arc;

use ploutos_core::order::{ClientOrderId, Order};
use ploutos_core::{Decimal, Timestamp};
use serde::{Deserialize, Serialize};

use crate::breakers::BreakerSet;
use crate::broker::PaperBroker;
use crate::portfolio::Portfolio;
use crate::risk::RiskRule;

/// Exit bookkeeping of one open position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PositionMeta {
    pub entry_time: Option<Timestamp>,
    /// ATR at the entry bar (for ATR-based exits), as a decimal.
    pub entry_atr: Option<Decimal>,
    /// Working exit orders of this position.
    pub exit_orders: Vec<ClientOrderId>,
    pub partial_done: bool,
}

/// The serializable state of the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineState {
    /// Market events processed so far (where a restart resumes the feed).
    pub cursor: u64,
    pub now: Timestamp,
    /// UTC day (days since the epoch) of `now`.
    pub day: i64,
    pub portfolio: Portfolio,
    /// Orders not yet closed.
    pub open_orders: BTreeMap<ClientOrderId, Order>,
    pub order_seq: u64,
    /// Orders ever submitted and fills ever booked (for `state show`).
    pub orders_submitted: u64,
    pub fills: u64,
    /// Per strategy, and `global`.
    pub breakers: BTreeMap<Arc<str>, BreakerSet>,
    /// Key `strategy|symbol`.
    pub positions: BTreeMap<String, PositionMeta>,
    /// Key `strategy|symbol`: time of the last exit (cooldown).
    pub last_exit: BTreeMap<String, Timestamp>,
    /// Key `strategy|symbol`: bar time of the last signal that produced an order.
    pub last_signal: BTreeMap<String, Timestamp>,
    /// Key `strategy|symbol`: the rule of the last rejection (reported once per signal).
    pub last_rejection: BTreeMap<String, RiskRule>,
    pub trades_today: BTreeMap<Arc<str>, u32>,
    pub broker: PaperBroker,
}

/// `strategy|symbol`.
pub fn key(strategy: &str, symbol: &str) -> String {
    let mut k = String::with_capacity(strategy.len() + symbol.len() + 1);
    k.push_str(strategy);
    k.push('|');
    k.push_str(symbol);
    k
}

/// A [`key`] to look up, built on the stack when it fits (nearly always: symbols are at most
/// 32 bytes), so the order path's look-ups allocate nothing; an owned `String` only for
/// inserts ([`put`]).
pub enum KeyRef {
    Inline(arrayvec::ArrayString<96>),
    Heap(String),
}

impl KeyRef {
    pub fn new(strategy: &str, symbol: &str) -> Self {
        let mut k = arrayvec::ArrayString::new();
        let fits = k.try_push_str(strategy).is_ok()
            && k.try_push('|').is_ok()
            && k.try_push_str(symbol).is_ok();
        if fits {
            KeyRef::Inline(k)
        } else {
            KeyRef::Heap(key(strategy, symbol))
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            KeyRef::Inline(k) => k.as_str(),
            KeyRef::Heap(s) => s,
        }
    }
}

/// Applies `f` to `map[k]`, inserted as the default when missing (the key allocated only
/// then).
pub fn update_or_default<V: Default>(
    map: &mut BTreeMap<String, V>,
    k: &str,
    f: impl FnOnce(&mut V),
) {
    match map.get_mut(k) {
        Some(v) => f(v),
        None => f(map.entry(k.to_owned()).or_default()),
    }
}

/// Sets `map[k] = v`, allocating the key only when it is new.
pub fn put<V>(map: &mut BTreeMap<String, V>, k: &str, v: V) {
    match map.get_mut(k) {
        Some(slot) => *slot = v,
        None => {
            map.insert(k.to_owned(), v);
        }
    }
}
