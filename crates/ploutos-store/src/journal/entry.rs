//! What goes into the journal ([`JournalEntry`]) and what comes out of its readers.

use std::sync::Arc;

use ploutos_core::order::{ClientOrderId, Fill, OrderEvent, OrderRequest, OrderStatus};
use ploutos_core::{Side, Signal, Symbol, Timestamp};

/// One thing the engine wants kept. [`crate::journal::Journal::append`] writes a slice of
/// them in one transaction.
#[derive(Clone, Debug, PartialEq)]
pub enum JournalEntry {
    /// An order the engine created (after risk checks), before it is sent.
    NewOrder {
        /// The request as sent.
        request: OrderRequest,
        /// When the engine created it (engine clock).
        created: Timestamp,
    },
    /// Something that happened to an order at the broker. A [`OrderEvent::Filled`] also
    /// goes into the `fills` table. The symbol, side, strategy and demo flag are carried so
    /// that a fill row is complete even for an order the journal never saw created.
    OrderEvent {
        /// The order.
        client_id: ClientOrderId,
        /// What happened.
        event: OrderEvent,
        /// The order's symbol.
        symbol: Symbol,
        /// The order's side.
        side: Side,
        /// The strategy the order belongs to.
        strategy: Arc<str>,
        /// True when the order is at a demo/paper venue (or simulated).
        demo: bool,
    },
    /// A strategy's signal.
    Signal(Signal),
    /// An engine event the store does not type: `risk_rejection`, `breaker_trip`,
    /// `breaker_resume`, `daily_summary`, `error`, …
    Event {
        /// Short snake_case name, used for filtering.
        kind: String,
        /// When it happened (engine clock).
        time: Timestamp,
        /// The event itself.
        json: serde_json::Value,
    },
    /// The engine's whole state, from which it restarts: replay starts after the latest one.
    Snapshot {
        /// Engine time of the snapshot.
        time: Timestamp,
        /// Where the engine's input stood (a feed position, a bar time, …), as the engine
        /// writes it.
        cursor: String,
        /// The state.
        state: serde_json::Value,
    },
}

impl JournalEntry {
    /// The entry's kind as stored in `entries.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            JournalEntry::NewOrder { .. } => "new_order",
            JournalEntry::OrderEvent { .. } => "order_event",
            JournalEntry::Signal(_) => "signal",
            JournalEntry::Event { .. } => "event",
            JournalEntry::Snapshot { .. } => "snapshot",
        }
    }

    /// The entry's time (stored in `entries.time_ns`).
    pub fn time(&self) -> Timestamp {
        match self {
            JournalEntry::NewOrder { created, .. } => *created,
            JournalEntry::OrderEvent { event, .. } => event.time(),
            JournalEntry::Signal(s) => s.time,
            JournalEntry::Event { time, .. } | JournalEntry::Snapshot { time, .. } => *time,
        }
    }

    /// A few words for error messages: `new order ema-12`, `fill on ema-12`, …
    pub fn describe(&self) -> String {
        match self {
            JournalEntry::NewOrder { request, .. } => format!("new order {}", request.client_id),
            JournalEntry::OrderEvent {
                client_id, event, ..
            } => format!("{} on order {client_id}", event.name()),
            JournalEntry::Signal(s) => {
                format!("{} signal on {} by {}", s.kind, s.symbol, s.strategy)
            }
            JournalEntry::Event { kind, .. } => format!("event {kind}"),
            JournalEntry::Snapshot { cursor, .. } => format!("snapshot at cursor {cursor:?}"),
        }
    }
}

/// An order as the journal has it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredOrder {
    /// The journal sequence number of its [`JournalEntry::NewOrder`].
    pub seq: u64,
    /// The request.
    pub request: OrderRequest,
    /// The status derived from the order events journaled so far (see `docs/journal.md`);
    /// the engine's [`ploutos_core::order::Order`] is the authority.
    pub status: OrderStatus,
    /// When it was created.
    pub created: Timestamp,
    /// The time of the last event that changed it (`created` if none).
    pub updated: Timestamp,
}

/// A fill as the journal has it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredFill {
    /// The journal sequence number of the order event that carried it.
    pub seq: u64,
    /// The order.
    pub client_order_id: ClientOrderId,
    /// The order's symbol.
    pub symbol: Symbol,
    /// The order's side.
    pub side: Side,
    /// `Filled` when the fill completed the order (`leaves == 0`), else `PartiallyFilled`.
    pub status: OrderStatus,
    /// The strategy.
    pub strategy: Arc<str>,
    /// Demo/paper venue.
    pub demo: bool,
    /// The fill itself.
    pub fill: Fill,
}

/// A signal as the journal has it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredSignal {
    /// Its journal sequence number.
    pub seq: u64,
    /// The signal (indicator values in their original order; a non-finite value comes back
    /// as NaN).
    pub signal: Signal,
}

/// An untyped engine event as the journal has it.
#[derive(Clone, Debug, PartialEq)]
pub struct StoredEvent {
    /// Its journal sequence number.
    pub seq: u64,
    /// Its kind.
    pub kind: String,
    /// When it happened.
    pub time: Timestamp,
    /// The event.
    pub json: serde_json::Value,
}

/// What [`crate::journal::Journal::verify`] found in a sound journal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries (seq runs 1..=entries with no gap).
    pub entries: u64,
    /// Batches (each complete).
    pub batches: u64,
    /// The latest snapshot's seq, if any (its state parsed as JSON).
    pub latest_snapshot: Option<u64>,
}
