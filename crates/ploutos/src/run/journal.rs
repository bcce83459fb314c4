//! Engine events into journal entries, batched.

use ploutos_engine::events::EngineEvent;
use ploutos_store::journal::JournalEntry;

/// The journal entry for an engine event (`Fill` is journaled through its order event).
pub fn entry(ev: &EngineEvent, now: ploutos_core::Timestamp) -> Option<JournalEntry> {
    Some(match ev {
        EngineEvent::Signal(s) => JournalEntry::Signal(s.clone()),
        EngineEvent::OrderSubmitted { time, order } => JournalEntry::NewOrder {
            request: order.clone(),
            created: *time,
        },
        EngineEvent::OrderUpdate {
            client_id,
            strategy,
            symbol,
            side,
            event,
            ..
        } => JournalEntry::OrderEvent {
            client_id: client_id.clone(),
            event: event.clone(),
            symbol: symbol.clone(),
            side: *side,
            strategy: strategy.clone(),
            demo: true,
        },
        EngineEvent::Fill { .. } => return None,
        other => {
            let kind = match other {
                EngineEvent::Breaker { change, .. } => match change {
                    ploutos_engine::breakers::BreakerChange::Tripped(_) => "breaker_trip",
                    ploutos_engine::breakers::BreakerChange::Resumed { .. } => "breaker_resume",
                },
                e => e.kind(),
            };
            let time = match other {
                EngineEvent::TradeClosed { trade, .. } => trade.closed,
                EngineEvent::RiskRejection { time, .. }
                | EngineEvent::Market { time, .. }
                | EngineEvent::Breaker { time, .. }
                | EngineEvent::Error { time, .. } => *time,
                _ => now,
            };
            JournalEntry::Event {
                kind: kind.to_string(),
                time,
                json: serde_json::to_value(other).unwrap_or(serde_json::Value::Null),
            }
        }
    })
}
