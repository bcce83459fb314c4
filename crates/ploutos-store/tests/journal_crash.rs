//! Crash safety: a writer process killed with SIGKILL in the middle of appending leaves a
//! journal in which every batch is complete or absent.
//!
//! The test re-runs its own binary with `PLOUTOS_JOURNAL_CRASH_CHILD=<journal path>`; in
//! that child the same test function appends batches in a loop until it is killed.

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ploutos_core::order::{
    ClientOrderId, Fill, Liquidity, OrderEvent, OrderKind, OrderRequest, OrderSize, TimeInForce,
};
use ploutos_core::{Decimal, IndicatorValues, Side, Signal, SignalKind, Symbol, Timestamp};
use ploutos_store::journal::{Journal, JournalEntry, JournalOptions};
use serde_json::json;

const CHILD_ENV: &str = "PLOUTOS_JOURNAL_CRASH_CHILD";
const TEST_NAME: &str = "killed_writers_leave_only_complete_batches";

/// Batch `b`: a `batch_start` event saying how many entries follow, orders, an order event
/// and a fill, a signal, and a snapshot (with a blob, so that a commit spans many pages and
/// the kill often lands inside one) closing it.
fn batch(b: u64) -> Vec<JournalEntry> {
    let n_orders = (b % 4) as usize;
    let total = 1 + n_orders * 3 + 1 + 1;
    let time = Timestamp::from_nanos(1_704_200_000_000_000_000 + b as i64 * 1_000_000_000);
    let mut out = vec![JournalEntry::Event {
        kind: "batch_start".into(),
        time,
        json: json!({"batch": b, "entries": total}),
    }];
    for i in 0..n_orders {
        let id = ClientOrderId::new(&format!("c{b}-{i}")).unwrap();
        let symbol = Symbol::new("ETHUSDT").unwrap();
        out.push(JournalEntry::NewOrder {
            request: OrderRequest {
                client_id: id.clone(),
                strategy: Arc::from("crash"),
                symbol: symbol.clone(),
                side: Side::Sell,
                kind: OrderKind::Limit {
                    limit: Decimal::new(230_015, 2),
                },
                size: OrderSize::Quantity(Decimal::new(15, 1)),
                tif: TimeInForce::Gtc,
                contingency: Default::default(),
                reduce_only: false,
                reason: Arc::from("entry"),
            },
            created: time,
        });
        let ev = |event| JournalEntry::OrderEvent {
            client_id: id.clone(),
            event,
            symbol: symbol.clone(),
            side: Side::Sell,
            strategy: Arc::from("crash"),
            demo: false,
        };
        out.push(ev(OrderEvent::Accepted { time }));
        out.push(ev(OrderEvent::Filled(Fill {
            id: format!("f{b}-{i}").into(),
            time,
            price: Decimal::new(230_015, 2),
            quantity: Decimal::new(15, 1),
            fee: Decimal::new(3, 2),
            liquidity: Liquidity::Maker,
            leaves: Decimal::ZERO,
        })));
    }
    let mut indicators = IndicatorValues::with_capacity(1);
    indicators.push("rsi", b as f64 / 7.0);
    out.push(JournalEntry::Signal(Signal {
        symbol: Symbol::new("ETHUSDT").unwrap(),
        time,
        kind: SignalKind::Hold,
        confidence: (b % 101) as u8,
        buy_votes: 0,
        sell_votes: 0,
        current_price: 2300.15,
        reasons: vec![format!("batch {b}")],
        indicators,
        strategy: Arc::from("crash"),
    }));
    out.push(JournalEntry::Snapshot {
        time,
        cursor: format!("batch-{b}"),
        state: json!({"batch": b, "entries": total, "blob": "x".repeat(16 * 1024 + (b as usize % 7) * 4096)}),
    });
    assert_eq!(out.len(), total);
    out
}

/// The child: append batches, numbered on from the last complete one, until killed.
fn child(path: &str) -> ! {
    let mut j = Journal::open(path, JournalOptions::default()).unwrap();
    let mut b = match j.latest_snapshot().unwrap() {
        Some((_, _, _, state)) => state["batch"].as_u64().unwrap() + 1,
        None => 0,
    };
    loop {
        j.append(&batch(b)).unwrap();
        b += 1;
    }
}

/// Checks the journal batch by batch against what [`batch`] writes.
fn check(j: &Journal) -> u64 {
    let report = j.verify().unwrap();
    let entries = j.entries_after(0).unwrap();
    assert_eq!(entries.len() as u64, report.entries);
    let mut i = 0;
    let mut next = 0u64;
    while i < entries.len() {
        let want = batch(next);
        let got: Vec<JournalEntry> = entries[i..]
            .iter()
            .take(want.len())
            .map(|(_, e)| e.clone())
            .collect();
        // (Not assert_eq: the snapshots hold a large blob.)
        let describe = |v: &[JournalEntry]| v.iter().map(|e| e.describe()).collect::<Vec<_>>();
        assert!(
            got == want,
            "batch {next} at seq {} is not complete and intact: got {:?}, want {:?}",
            i + 1,
            describe(&got),
            describe(&want)
        );
        for (k, (seq, _)) in entries[i..i + want.len()].iter().enumerate() {
            assert_eq!(*seq, (i + k) as u64 + 1, "seq not contiguous");
        }
        i += want.len();
        next += 1;
    }
    assert_eq!(report.batches, next);
    if next > 0 {
        let (seq, _, cursor, state) = j.latest_snapshot().unwrap().unwrap();
        assert_eq!(seq, entries.len() as u64);
        assert_eq!(cursor, format!("batch-{}", next - 1));
        assert_eq!(state["batch"], next - 1);
    }
    next
}

/// A small xorshift seeded from the clock (the delays only need to vary).
fn delays(n: usize) -> Vec<Duration> {
    let mut x = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0x9E37_79B9_7F4A_7C15)
        | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            Duration::from_millis(20 + x % 230)
        })
        .collect()
}

#[test]
fn killed_writers_leave_only_complete_batches() {
    if let Ok(path) = std::env::var(CHILD_ENV) {
        child(&path);
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let exe = std::env::current_exe().unwrap();
    let mut batches = 0;
    let mut grew = 0;
    for (round, delay) in delays(8).into_iter().enumerate() {
        let mut child = Command::new(&exe)
            .args([TEST_NAME, "--exact", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Start the clock once the child has the journal open and is writing.
        let start = Instant::now();
        while !path.exists() && start.elapsed() < Duration::from_secs(30) {
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(delay);
        let still_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap(); // SIGKILL on unix
        let status = child.wait().unwrap();
        assert!(
            still_running,
            "round {round}: the writer stopped by itself: {status}"
        );

        let j = Journal::open(&path, JournalOptions::default()).unwrap();
        let now = check(&j);
        eprintln!(
            "round {round}: killed after {delay:?}, {now} complete batches, {} entries",
            j.last_seq().unwrap()
        );
        assert!(
            now >= batches,
            "round {round}: batches were lost ({batches} -> {now})"
        );
        if now > batches {
            grew += 1;
        }
        batches = now;
    }
    assert!(
        grew >= 4,
        "the writers hardly wrote anything ({grew} rounds of 8 added batches)"
    );
}
