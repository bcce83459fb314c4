//! Writing one entry inside the append transaction.

use ploutos_core::order::{OrderEvent, OrderKind, OrderSize, OrderStatus};
use ploutos_core::Decimal;
use rusqlite::{params, OptionalExtension, Transaction};

use super::entry::JournalEntry;

/// Why one entry could not be written.
pub(crate) enum WriteError {
    Sql(rusqlite::Error),
    Json(serde_json::Error),
}

impl From<rusqlite::Error> for WriteError {
    fn from(e: rusqlite::Error) -> Self {
        WriteError::Sql(e)
    }
}

impl From<serde_json::Error> for WriteError {
    fn from(e: serde_json::Error) -> Self {
        WriteError::Json(e)
    }
}

/// The serde tag of an order event (`order_events.event`).
pub(crate) fn event_tag(e: &OrderEvent) -> &'static str {
    match e {
        OrderEvent::Accepted { .. } => "accepted",
        OrderEvent::Rejected { .. } => "rejected",
        OrderEvent::Filled(_) => "filled",
        OrderEvent::CancelRequested { .. } => "cancel_requested",
        OrderEvent::CancelRejected { .. } => "cancel_rejected",
        OrderEvent::Canceled { .. } => "canceled",
        OrderEvent::Expired { .. } => "expired",
    }
}

/// `OrderStatus::as_str` read back.
pub(crate) fn status_from_str(s: &str) -> Option<OrderStatus> {
    Some(match s {
        "new" => OrderStatus::New,
        "accepted" => OrderStatus::Accepted,
        "partially_filled" => OrderStatus::PartiallyFilled,
        "filled" => OrderStatus::Filled,
        "pending_cancel" => OrderStatus::PendingCancel,
        "canceled" => OrderStatus::Canceled,
        "rejected" => OrderStatus::Rejected,
        "expired" => OrderStatus::Expired,
        _ => return None,
    })
}

/// The `orders.status` after `event`: a plain reading of the events, lenient where the
/// core state machine is strict (the engine applies the events; the journal only records
/// them and must never refuse one).
fn next_status(current: OrderStatus, event: &OrderEvent, has_fills: bool) -> OrderStatus {
    use OrderStatus as S;
    match event {
        OrderEvent::Accepted { .. } if current == S::New => S::Accepted,
        OrderEvent::Accepted { .. } => current,
        OrderEvent::Rejected { .. } => S::Rejected,
        OrderEvent::Filled(f) if f.leaves <= Decimal::ZERO => S::Filled,
        OrderEvent::Filled(_) => match current {
            S::PendingCancel | S::Canceled | S::Expired | S::Filled => current,
            _ => S::PartiallyFilled,
        },
        OrderEvent::CancelRequested { .. } if !current.is_closed() => S::PendingCancel,
        OrderEvent::CancelRequested { .. } => current,
        OrderEvent::CancelRejected { .. } if current == S::PendingCancel => {
            if has_fills {
                S::PartiallyFilled
            } else {
                S::Accepted
            }
        }
        OrderEvent::CancelRejected { .. } => current,
        OrderEvent::Canceled { .. } if current != S::Filled => S::Canceled,
        OrderEvent::Expired { .. } if current != S::Filled => S::Expired,
        OrderEvent::Canceled { .. } | OrderEvent::Expired { .. } => current,
    }
}

fn flag(b: bool) -> i64 {
    i64::from(b)
}

/// Writes `entry` as `seq` of `batch`.
pub(crate) fn write_entry(
    tx: &Transaction<'_>,
    batch: i64,
    seq: i64,
    entry: &JournalEntry,
) -> Result<(), WriteError> {
    let time = entry.time();
    tx.prepare_cached("INSERT INTO entries (seq, batch, kind, time_ns) VALUES (?1, ?2, ?3, ?4)")?
        .execute(params![seq, batch, entry.kind(), time.as_nanos()])?;
    match entry {
        JournalEntry::NewOrder {
            request: r,
            created,
        } => {
            let (size_unit, size) = match r.size {
                OrderSize::Quantity(q) => ("quantity", q),
                OrderSize::Notional(n) => ("notional", n),
            };
            let (limit, stop) = match r.kind {
                OrderKind::Limit { limit } => (Some(limit), None),
                OrderKind::Stop { stop } => (None, Some(stop)),
                OrderKind::StopLimit { stop, limit } => (Some(limit), Some(stop)),
                OrderKind::Market | OrderKind::TrailingStop { .. } => (None, None),
            };
            let json = serde_json::to_string(r)?;
            tx.prepare_cached(
                "INSERT INTO orders (client_id, seq, strategy, symbol, side, kind, size, size_unit,
                     limit_price, stop_price, tif, reduce_only, reason, request_json, status,
                     created_ns, created, updated_ns)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, 'new', ?15, ?16, ?15)",
            )?
            .execute(params![
                r.client_id.as_str(),
                seq,
                r.strategy.as_ref(),
                r.symbol.as_str(),
                r.side.to_string(),
                r.kind.name(),
                size.to_string(),
                size_unit,
                limit.map(|d| d.to_string()),
                stop.map(|d| d.to_string()),
                r.tif.to_string(),
                flag(r.reduce_only),
                r.reason.as_ref(),
                json,
                created.as_nanos(),
                created.to_string(),
            ])?;
        }
        JournalEntry::OrderEvent {
            client_id,
            event,
            symbol,
            side,
            strategy,
            demo,
        } => {
            let json = serde_json::to_string(event)?;
            tx.prepare_cached(
                "INSERT INTO order_events (seq, client_id, event, time_ns, time, symbol, side,
                     strategy, demo, json)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                seq,
                client_id.as_str(),
                event_tag(event),
                time.as_nanos(),
                time.to_string(),
                symbol.as_str(),
                side.to_string(),
                strategy.as_ref(),
                flag(*demo),
                json,
            ])?;
            if let OrderEvent::Filled(f) = event {
                let status = if f.leaves <= Decimal::ZERO {
                    OrderStatus::Filled
                } else {
                    OrderStatus::PartiallyFilled
                };
                let liquidity = match f.liquidity {
                    ploutos_core::order::Liquidity::Maker => "maker",
                    ploutos_core::order::Liquidity::Taker => "taker",
                };
                // A fill id already recorded for this order is a duplicate: the event stays
                // in order_events (nothing lost), the fill is counted once.
                let inserted = tx
                    .prepare_cached(
                        "INSERT INTO fills (seq, id, client_order_id, symbol, side, status, price,
                             quantity, fee, liquidity, quote_quantity, leaves, time_ns, time,
                             demo, strategy)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)
                         ON CONFLICT (client_order_id, id) DO NOTHING",
                    )?
                    .execute(params![
                        seq,
                        f.id,
                        client_id.as_str(),
                        symbol.as_str(),
                        side.to_string(),
                        status.as_str(),
                        f.price.to_string(),
                        f.quantity.to_string(),
                        f.fee.to_string(),
                        liquidity,
                        f.quote_quantity().to_string(),
                        f.leaves.to_string(),
                        time.as_nanos(),
                        time.to_string(),
                        flag(*demo),
                        strategy.as_ref(),
                    ])?;
                if inserted == 0 {
                    return Ok(());
                }
            }
            update_status(tx, client_id.as_str(), event, time.as_nanos())?;
        }
        JournalEntry::Signal(s) => {
            let reasons = serde_json::to_string(&s.reasons)?;
            let indicators = serde_json::to_string(&s.indicators)?;
            // SQLite stores NaN as NULL: the column is nullable and NULL reads back as NaN.
            let price = s.current_price.is_finite().then_some(s.current_price);
            tx.prepare_cached(
                "INSERT INTO signals (seq, strategy, ticker, signal, confidence, buy_votes,
                     sell_votes, price, reasons, indicators, time_ns, time)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            )?
            .execute(params![
                seq,
                s.strategy.as_ref(),
                s.symbol.as_str(),
                s.kind.to_string(),
                s.confidence,
                s.buy_votes,
                s.sell_votes,
                price,
                reasons,
                indicators,
                time.as_nanos(),
                time.to_string(),
            ])?;
        }
        JournalEntry::Event { kind, json, .. } => {
            let json = serde_json::to_string(json)?;
            tx.prepare_cached(
                "INSERT INTO events (seq, kind, time_ns, time, json) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![seq, kind, time.as_nanos(), time.to_string(), json])?;
        }
        JournalEntry::Snapshot { cursor, state, .. } => {
            let state = serde_json::to_string(state)?;
            tx.prepare_cached(
                "INSERT INTO snapshots (seq, time_ns, time, cursor, state) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![seq, time.as_nanos(), time.to_string(), cursor, state])?;
        }
    }
    Ok(())
}

/// Moves `orders.status` of `client_id` along `event` (no-op for an order the journal
/// never saw created).
fn update_status(
    tx: &Transaction<'_>,
    client_id: &str,
    event: &OrderEvent,
    time_ns: i64,
) -> Result<(), WriteError> {
    let current: Option<String> = tx
        .prepare_cached("SELECT status FROM orders WHERE client_id = ?1")?
        .query_row([client_id], |r| r.get(0))
        .optional()?;
    let Some(current) = current.as_deref().and_then(status_from_str) else {
        return Ok(());
    };
    let has_fills = matches!(event, OrderEvent::CancelRejected { .. })
        && tx
            .prepare_cached("SELECT EXISTS (SELECT 1 FROM fills WHERE client_order_id = ?1)")?
            .query_row([client_id], |r| r.get::<_, bool>(0))?;
    let next = next_status(current, event, has_fills);
    tx.prepare_cached(
        "UPDATE orders SET status = ?2, updated_ns = MAX(updated_ns, ?3) WHERE client_id = ?1",
    )?
    .execute(params![client_id, next.as_str(), time_ns])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ploutos_core::order::{Fill, Liquidity};
    use ploutos_core::Timestamp;

    fn fill(leaves: i64) -> OrderEvent {
        OrderEvent::Filled(Fill {
            id: "t1".into(),
            time: Timestamp::EPOCH,
            price: Decimal::ONE,
            quantity: Decimal::ONE,
            fee: Decimal::ZERO,
            liquidity: Liquidity::Taker,
            leaves: Decimal::from(leaves),
        })
    }

    #[test]
    fn status_follows_events() {
        use OrderStatus as S;
        let t = Timestamp::EPOCH;
        assert_eq!(
            next_status(S::New, &OrderEvent::Accepted { time: t }, false),
            S::Accepted
        );
        assert_eq!(
            next_status(S::Accepted, &fill(1), false),
            S::PartiallyFilled
        );
        assert_eq!(next_status(S::PartiallyFilled, &fill(0), false), S::Filled);
        assert_eq!(
            next_status(S::PendingCancel, &fill(1), true),
            S::PendingCancel
        );
        assert_eq!(next_status(S::Canceled, &fill(0), true), S::Filled);
        assert_eq!(
            next_status(
                S::PendingCancel,
                &OrderEvent::CancelRejected {
                    time: t,
                    reason: "x".into()
                },
                true
            ),
            S::PartiallyFilled
        );
        assert_eq!(
            next_status(S::Filled, &OrderEvent::Canceled { time: t }, true),
            S::Filled
        );
        for s in [
            S::New,
            S::Accepted,
            S::PartiallyFilled,
            S::Filled,
            S::PendingCancel,
            S::Canceled,
            S::Rejected,
            S::Expired,
        ] {
            assert_eq!(status_from_str(s.as_str()), Some(s));
        }
    }
}
