//! Measures journal append speed.
//!
//! `cargo run --release -p ploutos-store --example journal_throughput -- [BATCHES]`
//! (default 20,000). Appends batches of 10 entries like one engine step produces (a new
//! order, its acknowledgement and fill, 4 signals, 2 engine events, a 1 KB snapshot) to a
//! journal in a temporary directory, with `synchronous=NORMAL` and `FULL`, then single-entry
//! batches; prints entries per second and microseconds per transaction (mean, p50, p99).

use std::sync::Arc;
use std::time::{Duration, Instant};

use ploutos_core::order::{
    ClientOrderId, Fill, Liquidity, OrderEvent, OrderKind, OrderRequest, OrderSize, TimeInForce,
};
use ploutos_core::{Decimal, IndicatorValues, Side, Signal, SignalKind, Symbol, Timestamp};
use ploutos_store::journal::{Journal, JournalEntry, JournalOptions};
use serde_json::json;

fn step(i: u64) -> Vec<JournalEntry> {
    let time = Timestamp::from_nanos(1_704_200_000_000_000_000 + i as i64 * 60_000_000_000);
    let symbol = Symbol::new("BTCUSDT").expect("symbol");
    let id = ClientOrderId::sequential("ema_cross", i);
    let price = Decimal::new(4_200_015 + (i % 1000) as i64, 2);
    let mut out = vec![JournalEntry::NewOrder {
        request: OrderRequest {
            client_id: id.clone(),
            strategy: Arc::from("ema_cross"),
            symbol: symbol.clone(),
            side: Side::Buy,
            kind: OrderKind::Limit { limit: price },
            size: OrderSize::Quantity(Decimal::new(25, 3)),
            tif: TimeInForce::Gtc,
            contingency: Default::default(),
            reduce_only: false,
            reason: Arc::from("entry"),
        },
        created: time,
    }];
    let ev = |event| JournalEntry::OrderEvent {
        client_id: id.clone(),
        event,
        symbol: symbol.clone(),
        side: Side::Buy,
        strategy: Arc::from("ema_cross"),
        demo: true,
    };
    out.push(ev(OrderEvent::Accepted { time }));
    out.push(ev(OrderEvent::Filled(Fill {
        id: format!("T{i}").into(),
        time,
        price,
        quantity: Decimal::new(25, 3),
        fee: Decimal::new(105, 2),
        liquidity: Liquidity::Maker,
        leaves: Decimal::ZERO,
    })));
    for k in 0..4 {
        let mut indicators = IndicatorValues::with_capacity(6);
        for name in ["rsi", "ema_fast", "ema_slow", "macd", "adx", "atr"] {
            indicators.push(name, (i * 7 + k) as f64 / 3.0);
        }
        out.push(JournalEntry::Signal(Signal {
            symbol: symbol.clone(),
            time,
            kind: SignalKind::Hold,
            confidence: 40,
            buy_votes: 2,
            sell_votes: 1,
            current_price: 42_000.15,
            reasons: vec!["RSI neutral".into(), "EMA 9 above EMA 21".into()],
            indicators,
            strategy: Arc::from("consensus"),
        }));
    }
    out.push(JournalEntry::Event {
        kind: "risk_rejection".into(),
        time,
        json: json!({"client_id": format!("x-{i}"), "rule": "max_open_positions", "limit": 3}),
    });
    out.push(JournalEntry::Event {
        kind: "daily_summary".into(),
        time,
        json: json!({"pnl": "12.50", "trades": i % 17}),
    });
    out.push(JournalEntry::Snapshot {
        time,
        cursor: format!("BTCUSDT@{time}"),
        state: json!({"cash": "10000.00", "positions": {"BTCUSDT": "0.025"}, "pad": "p".repeat(1000)}),
    });
    out
}

fn run(
    label: &str,
    options: JournalOptions,
    batches: u64,
    single: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut journal = Journal::open(dir.path().join("journal.db"), options)?;
    let steps: Vec<Vec<JournalEntry>> = (0..batches).map(step).collect();
    let mut times = Vec::with_capacity(batches as usize * 10);
    let mut entries = 0u64;
    let start = Instant::now();
    for s in &steps {
        if single {
            for e in s {
                let t = Instant::now();
                journal.append(std::slice::from_ref(e))?;
                times.push(t.elapsed());
            }
        } else {
            let t = Instant::now();
            journal.append(s)?;
            times.push(t.elapsed());
        }
        entries += s.len() as u64;
    }
    let total = start.elapsed();
    times.sort();
    let pct = |p: f64| times[((times.len() - 1) as f64 * p) as usize];
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let size = std::fs::metadata(dir.path().join("journal.db"))?.len()
        + std::fs::metadata(dir.path().join("journal.db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    println!(
        "{label:<34} {entries:>7} entries in {:>6} tx: {:>9.0} entries/s, {:>7.1} µs/tx mean, p50 {:>7.1}, p99 {:>7.1}; file+wal {:.1} MB",
        times.len(),
        entries as f64 / total.as_secs_f64(),
        us(total) / times.len() as f64,
        us(pct(0.5)),
        us(pct(0.99)),
        size as f64 / 1e6,
    );
    journal.verify()?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let batches: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(20_000);
    run(
        "batches of 10, synchronous=NORMAL",
        JournalOptions::default(),
        batches,
        false,
    )?;
    run(
        "batches of 10, synchronous=FULL",
        JournalOptions::full(),
        batches / 4,
        false,
    )?;
    run(
        "1 entry per tx, synchronous=NORMAL",
        JournalOptions::default(),
        batches / 4,
        true,
    )?;
    Ok(())
}
