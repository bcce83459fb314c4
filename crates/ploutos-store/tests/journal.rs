//! Journal and state files: round trips with real core types, atomic batches, reopening,
//! migrations, rotation.

use std::sync::Arc;

use ploutos_core::order::{
    ClientOrderId, Contingency, Fill, Liquidity, OrderEvent, OrderKind, OrderRequest, OrderSize,
    OrderStatus, TimeInForce, Trail,
};
use ploutos_core::Decimal;
use ploutos_core::{IndicatorValues, Side, Signal, SignalKind, Symbol, Timestamp};
use ploutos_store::journal::{Journal, JournalEntry, JournalOptions, StoreError, SCHEMA_VERSION};
use ploutos_store::state_files::StateFiles;
use serde_json::json;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn t(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn request(id: &str, kind: OrderKind, size: OrderSize, tif: TimeInForce) -> OrderRequest {
    OrderRequest {
        client_id: ClientOrderId::new(id).unwrap(),
        strategy: Arc::from("ema_cross"),
        symbol: Symbol::new("BTCUSDT").unwrap(),
        side: Side::Buy,
        kind,
        size,
        tif,
        contingency: Contingency::default(),
        reduce_only: false,
        reason: Arc::from("entry"),
    }
}

fn order_event(id: &str, event: OrderEvent) -> JournalEntry {
    JournalEntry::OrderEvent {
        client_id: ClientOrderId::new(id).unwrap(),
        event,
        symbol: Symbol::new("BTCUSDT").unwrap(),
        side: Side::Buy,
        strategy: Arc::from("ema_cross"),
        demo: true,
    }
}

fn fill(id: &str, price: Decimal, qty: Decimal, leaves: Decimal, time: &str) -> Fill {
    Fill {
        id: id.into(),
        time: t(time),
        price,
        quantity: qty,
        fee: d("0.0375"),
        liquidity: Liquidity::Taker,
        leaves,
    }
}

fn signal(kind: SignalKind, time: &str, price: f64) -> Signal {
    let mut indicators = IndicatorValues::with_capacity(3);
    indicators.push("rsi", 28.5);
    indicators.push("ema_fast", 42_010.25);
    indicators.push("adx", 0.1 + 0.2); // not a short decimal: must come back bit for bit
    Signal {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        time: t(time),
        kind,
        confidence: 72,
        buy_votes: 4,
        sell_votes: 1,
        current_price: price,
        reasons: vec![
            "RSI oversold (28.5)".into(),
            "EMA 9 crossed above EMA 21".into(),
        ],
        indicators,
        strategy: Arc::from("consensus"),
    }
}

/// One of every entry kind, with every order kind and size.
fn every_kind() -> Vec<JournalEntry> {
    vec![
        JournalEntry::NewOrder {
            request: request(
                "ema-1",
                OrderKind::Market,
                OrderSize::Quantity(d("0.50")),
                TimeInForce::Gtc,
            ),
            created: t("2024-01-02T14:30:00Z"),
        },
        JournalEntry::NewOrder {
            request: OrderRequest {
                contingency: Contingency {
                    triggered_by: Some(ClientOrderId::new("ema-1").unwrap()),
                    one_cancels_other: Some(ClientOrderId::new("ema-3").unwrap()),
                },
                reduce_only: true,
                side: Side::Sell,
                reason: Arc::from("take_profit"),
                ..request(
                    "ema-2",
                    OrderKind::Limit {
                        limit: d("43100.10"),
                    },
                    OrderSize::Quantity(d("0.5")),
                    TimeInForce::Gtc,
                )
            },
            created: t("2024-01-02T14:30:00.000000001Z"),
        },
        JournalEntry::NewOrder {
            request: request(
                "ema-3",
                OrderKind::StopLimit {
                    stop: d("41000"),
                    limit: d("40990.5"),
                },
                OrderSize::Quantity(d("0.5")),
                TimeInForce::Day,
            ),
            created: t("2024-01-02T14:30:00Z"),
        },
        JournalEntry::NewOrder {
            request: request(
                "ema-4",
                OrderKind::TrailingStop {
                    trail: Trail::Percent(d("2.5")),
                },
                OrderSize::Quantity(d("1")),
                TimeInForce::Gtc,
            ),
            created: t("2024-01-02T14:30:00Z"),
        },
        JournalEntry::NewOrder {
            request: request(
                "ema-5",
                OrderKind::Market,
                OrderSize::Notional(d("1000.00")),
                TimeInForce::Day,
            ),
            created: t("2024-01-02T14:30:00Z"),
        },
        JournalEntry::NewOrder {
            request: request(
                "ema-6",
                OrderKind::Stop { stop: d("39000") },
                OrderSize::Quantity(d("2")),
                TimeInForce::Gtc,
            ),
            created: t("2024-01-02T14:30:00Z"),
        },
        order_event(
            "ema-1",
            OrderEvent::Accepted {
                time: t("2024-01-02T14:30:00.5Z"),
            },
        ),
        order_event(
            "ema-1",
            OrderEvent::Filled(fill(
                "T1",
                d("42000.10"),
                d("0.20"),
                d("0.30"),
                "2024-01-02T14:30:01Z",
            )),
        ),
        order_event(
            "ema-1",
            OrderEvent::Filled(fill(
                "T2",
                d("42000.20"),
                d("0.30"),
                d("0"),
                "2024-01-02T14:30:02Z",
            )),
        ),
        order_event(
            "ema-3",
            OrderEvent::Rejected {
                time: t("2024-01-02T14:30:03Z"),
                reason: "insufficient balance".into(),
            },
        ),
        order_event(
            "ema-4",
            OrderEvent::Accepted {
                time: t("2024-01-02T14:30:03Z"),
            },
        ),
        order_event(
            "ema-4",
            OrderEvent::CancelRequested {
                time: t("2024-01-02T14:30:04Z"),
            },
        ),
        order_event(
            "ema-4",
            OrderEvent::CancelRejected {
                time: t("2024-01-02T14:30:05Z"),
                reason: "too late".into(),
            },
        ),
        order_event(
            "ema-4",
            OrderEvent::Canceled {
                time: t("2024-01-02T14:30:06Z"),
            },
        ),
        order_event(
            "ema-6",
            OrderEvent::Expired {
                time: t("2024-01-02T21:00:00Z"),
            },
        ),
        JournalEntry::Signal(signal(SignalKind::Buy, "2024-01-02T14:29:00Z", 42_000.1)),
        JournalEntry::Signal(signal(SignalKind::Hold, "2024-01-02T14:30:00Z", 1e-7)),
        JournalEntry::Event {
            kind: "risk_rejection".into(),
            time: t("2024-01-02T14:31:00Z"),
            json: json!({"client_id": "ema-7", "rule": "max_position", "limit": "1.5", "nested": {"a": [1, 2.5, null]}}),
        },
        JournalEntry::Event {
            kind: "breaker_trip".into(),
            time: t("2024-01-02T14:32:00Z"),
            json: json!({"reason": "daily loss limit", "loss": "-523.10"}),
        },
        JournalEntry::Snapshot {
            time: t("2024-01-02T14:33:00Z"),
            cursor: "BTCUSDT@2024-01-02T14:33:00Z".into(),
            state: json!({"cash": "10000.00", "positions": {"BTCUSDT": "0.5"}, "seq": 17}),
        },
    ]
}

fn open(path: &std::path::Path) -> Journal {
    Journal::open(path, JournalOptions::default()).unwrap()
}

#[test]
fn every_entry_kind_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut j = open(&path);
    assert_eq!(j.last_seq().unwrap(), 0);
    assert_eq!(j.latest_snapshot().unwrap(), None);
    let entries = every_kind();
    let n = entries.len() as u64;
    assert_eq!(j.append(&entries[..6]).unwrap(), 6);
    assert_eq!(j.append(&entries[6..]).unwrap(), n);
    assert_eq!(j.append(&[]).unwrap(), n);

    // entries_after gives back exactly what was appended, in order.
    let back = j.entries_after(0).unwrap();
    assert_eq!(back.len(), entries.len());
    for (i, ((seq, got), want)) in back.iter().zip(&entries).enumerate() {
        assert_eq!(*seq, i as u64 + 1);
        assert_eq!(got, want, "entry {seq}");
    }
    assert_eq!(j.entries_after(n - 2).unwrap().len(), 2);
    assert!(j.entries_after(n).unwrap().is_empty());

    // Typed readers.
    let orders = j.orders().unwrap();
    let status: Vec<(&str, OrderStatus)> = orders
        .iter()
        .map(|o| (o.request.client_id.as_str(), o.status))
        .collect();
    assert_eq!(
        status,
        [
            ("ema-1", OrderStatus::Filled),
            ("ema-2", OrderStatus::New),
            ("ema-3", OrderStatus::Rejected),
            ("ema-4", OrderStatus::Canceled),
            ("ema-5", OrderStatus::New),
            ("ema-6", OrderStatus::Expired),
        ]
    );
    assert_eq!(orders[0].updated, t("2024-01-02T14:30:02Z"));
    let JournalEntry::NewOrder { request, .. } = &entries[1] else {
        unreachable!()
    };
    assert_eq!(&orders[1].request, request);

    let fills = j.fills(None).unwrap();
    assert_eq!(fills.len(), 2);
    assert_eq!(
        fills[0].fill,
        fill(
            "T1",
            d("42000.10"),
            d("0.20"),
            d("0.30"),
            "2024-01-02T14:30:01Z"
        )
    );
    assert_eq!(fills[0].status, OrderStatus::PartiallyFilled);
    assert_eq!(fills[1].status, OrderStatus::Filled);
    assert!(fills[0].demo);
    assert_eq!(fills[0].fill.price.to_string(), "42000.10"); // scale kept
    assert_eq!(j.fills(Some("ema_cross")).unwrap().len(), 2);
    assert!(j.fills(Some("other")).unwrap().is_empty());

    let signals = j.signals(10).unwrap();
    assert_eq!(signals.len(), 2);
    assert_eq!(signals[0].signal.kind, SignalKind::Hold, "newest first");
    assert_eq!(
        signals[1].signal,
        signal(SignalKind::Buy, "2024-01-02T14:29:00Z", 42_000.1)
    );
    let names: Vec<&str> = signals[1]
        .signal
        .indicators
        .iter()
        .map(|(n, _)| n)
        .collect();
    assert_eq!(names, ["rsi", "ema_fast", "adx"]);
    assert_eq!(j.signals(1).unwrap().len(), 1);

    assert_eq!(j.events(None).unwrap().len(), 2);
    let trips = j.events(Some("breaker_trip")).unwrap();
    assert_eq!(trips.len(), 1);
    assert_eq!(trips[0].json["loss"], "-523.10");
    assert_eq!(trips[0].time, t("2024-01-02T14:32:00Z"));

    let (seq, time, cursor, state) = j.latest_snapshot().unwrap().unwrap();
    assert_eq!((seq, time), (n, t("2024-01-02T14:33:00Z")));
    assert_eq!(cursor, "BTCUSDT@2024-01-02T14:33:00Z");
    assert_eq!(state["cash"], "10000.00");

    assert_eq!(j.count_entries().unwrap(), n);
    assert_eq!(j.count_orders().unwrap(), 6);
    assert_eq!(j.count_order_events().unwrap(), 9);
    assert_eq!(j.count_fills().unwrap(), 2);
    assert_eq!(j.count_signals().unwrap(), 2);
    assert_eq!(j.count_events().unwrap(), 2);
    assert_eq!(j.count_snapshots().unwrap(), 1);
    assert_eq!(j.count_batches().unwrap(), 2);
    let report = j.verify().unwrap();
    assert_eq!(
        (report.entries, report.batches, report.latest_snapshot),
        (n, 2, Some(n))
    );
}

#[test]
fn non_finite_signal_values_come_back_as_nan() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = open(&dir.path().join("j.db"));
    let mut s = signal(SignalKind::Sell, "2024-01-02T00:00:00Z", f64::NAN);
    s.indicators.push("macd", f64::INFINITY);
    j.append(&[JournalEntry::Signal(s)]).unwrap();
    let back = &j.signals(1).unwrap()[0].signal;
    assert!(back.current_price.is_nan());
    assert!(back.indicators.get("macd").unwrap().is_nan());
    assert_eq!(back.indicators.get("rsi"), Some(28.5));
}

#[test]
fn a_failing_entry_leaves_nothing_of_its_batch() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let mut j = open(&path);
    let entries = every_kind();
    j.append(&entries[..1]).unwrap();
    let before = j.entries_after(0).unwrap();

    // ema-1 again, after a few good entries of every kind: a duplicate primary key.
    let mut batch = entries[6..].to_vec();
    batch.push(entries[0].clone());
    batch.push(JournalEntry::Event {
        kind: "error".into(),
        time: t("2024-01-02T15:00:00Z"),
        json: json!({"never": "written"}),
    });
    let err = j.append(&batch).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, StoreError::Sqlite { .. }), "{msg}");
    assert!(msg.contains("journal.db"), "{msg}");
    assert!(msg.contains("new order ema-1"), "{msg}");
    assert!(
        msg.contains(&format!("entry {} of {}", batch.len() - 1, batch.len())),
        "{msg}"
    );

    assert_eq!(j.entries_after(0).unwrap(), before);
    assert_eq!(j.count_order_events().unwrap(), 0);
    assert_eq!(j.count_fills().unwrap(), 0);
    assert_eq!(j.count_signals().unwrap(), 0);
    assert_eq!(j.count_events().unwrap(), 0);
    assert_eq!(j.count_snapshots().unwrap(), 0);
    assert_eq!(j.count_batches().unwrap(), 1);
    assert_eq!(
        j.orders().unwrap()[0].status,
        OrderStatus::New,
        "status update rolled back"
    );

    // The journal goes on: seqs stay contiguous after the failed batch.
    assert_eq!(j.append(&entries[6..8]).unwrap(), 3);
    j.verify().unwrap();
    drop(j);
    let j = open(&path);
    assert_eq!(j.last_seq().unwrap(), 3);
    j.verify().unwrap();
}

#[test]
fn a_duplicate_fill_is_recorded_but_counted_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = open(&dir.path().join("j.db"));
    let entries = every_kind();
    j.append(&entries[..1]).unwrap();
    let partial = entries[7].clone();
    j.append(std::slice::from_ref(&partial)).unwrap();
    j.append(&[partial]).unwrap();
    assert_eq!(j.count_order_events().unwrap(), 2);
    assert_eq!(j.count_fills().unwrap(), 1);
    assert_eq!(j.orders().unwrap()[0].status, OrderStatus::PartiallyFilled);
    j.verify().unwrap();
}

#[test]
fn reopening_keeps_everything_and_migrations_are_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    let entries = every_kind();
    {
        let mut j = open(&path);
        assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION);
        j.append(&entries[..10]).unwrap();
    }
    for round in 0..3 {
        let mut j = Journal::open(&path, JournalOptions::full()).unwrap();
        assert_eq!(j.schema_version().unwrap(), SCHEMA_VERSION, "round {round}");
        if round == 0 {
            j.append(&entries[10..]).unwrap();
        }
        let back: Vec<JournalEntry> = j
            .entries_after(0)
            .unwrap()
            .into_iter()
            .map(|(_, e)| e)
            .collect();
        assert_eq!(back, entries);
        j.verify().unwrap();
    }
    // Exactly one schema_version row per migration, however often it was opened.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let versions: i64 = conn
        .query_row("SELECT COUNT(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(versions, SCHEMA_VERSION);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
}

#[test]
fn a_newer_schema_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal.db");
    drop(open(&path));
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute(
        "INSERT INTO schema_version (version, description) VALUES (?1, 'from the future')",
        [SCHEMA_VERSION + 1],
    )
    .unwrap();
    drop(conn);
    let err = Journal::open(&path, JournalOptions::default()).unwrap_err();
    let msg = err.to_string();
    assert!(
        matches!(err, StoreError::SchemaTooNew { found, supported, .. } if found == SCHEMA_VERSION + 1 && supported == SCHEMA_VERSION),
        "{msg}"
    );
    assert!(msg.contains("journal.db") && msg.contains("newer"), "{msg}");
}

#[test]
fn open_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("no such dir").join("journal.db");
    let err = Journal::open(&path, JournalOptions::default()).unwrap_err();
    assert_eq!(err.path(), path);
    assert!(err.to_string().contains("no such dir"), "{err}");
    assert!(err.to_string().contains("open"), "{err}");
}

#[test]
fn state_files_rotate_and_decompress() {
    let dir = tempfile::tempdir().unwrap();
    let files = StateFiles::new(dir.path().join("state")).with_keep(5);
    assert_eq!(files.read_latest().unwrap(), None);
    assert!(files.list().unwrap().is_empty());
    let base = t("2024-01-02T14:30:00Z").as_nanos();
    let mut written = Vec::new();
    for i in 0..12i64 {
        let state =
            json!({"i": i, "cash": format!("{}.00", 1000 + i), "positions": {"BTCUSDT": "0.5"}});
        // Two writes share a time: the second gets a suffix, nothing is replaced.
        let time = Timestamp::from_nanos(base + (i / 2 * 2) * 1_000_000_000 + 7);
        let path = files.write_latest_at(&state, time).unwrap();
        written.push((path, state));
        assert_eq!(
            files.read_latest().unwrap().as_ref(),
            Some(&written.last().unwrap().1)
        );
    }
    let list = files.list().unwrap();
    assert_eq!(list.len(), 5);
    let gz = std::fs::read_dir(files.history_dir()).unwrap().count();
    assert_eq!(gz, 5, "exactly N files on disk, no temporaries left");
    for (got, (path, state)) in list.iter().zip(written.iter().rev()) {
        assert_eq!(&got.path, path);
        assert!(got.size > 0);
        assert_eq!(&files.read(&got.path).unwrap(), state);
    }
    assert!(list.windows(2).all(|w| w[0].time >= w[1].time));
    assert_eq!(
        list[0].time,
        Timestamp::from_nanos(base + 10_000_000_000 + 7)
    );
    let leftovers: Vec<_> = std::fs::read_dir(files.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    let mut leftovers = leftovers;
    leftovers.sort();
    assert_eq!(leftovers, ["history", "latest_state.json"]);

    // Wall-clock names work too, and keep the default of 100.
    let files = StateFiles::new(dir.path().join("wall"));
    assert_eq!(files.keep(), 100);
    let p = files.write_latest(&json!({"x": 1})).unwrap();
    assert_eq!(files.list().unwrap()[0].path, p);
}

#[test]
fn state_file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let files = StateFiles::new(dir.path());
    std::fs::write(files.latest_path(), b"{not json").unwrap();
    let err = files.read_latest().unwrap_err();
    assert!(err.to_string().contains("latest_state.json"), "{err}");
}

#[test]
fn floats_in_json_read_back_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let mut j = open(&dir.path().join("j.db"));
    let values: Vec<f64> = (0..2000)
        .map(|b| b as f64 / 7.0 + 1e-3 * b as f64)
        .collect();
    let mut s = signal(SignalKind::Buy, "2024-01-02T00:00:00Z", 632.0 / 7.0);
    for (i, v) in values.iter().enumerate() {
        s.indicators.push(format!("v{i}"), *v);
    }
    j.append(&[
        JournalEntry::Signal(s),
        JournalEntry::Event {
            kind: "daily_summary".into(),
            time: t("2024-01-02T00:00:00Z"),
            json: json!({ "values": values }),
        },
    ])
    .unwrap();
    let back = &j.signals(1).unwrap()[0].signal;
    assert_eq!(back.current_price.to_bits(), (632.0f64 / 7.0).to_bits());
    for (i, v) in values.iter().enumerate() {
        assert_eq!(
            back.indicators.get(&format!("v{i}")).map(f64::to_bits),
            Some(v.to_bits())
        );
    }
    let ev = &j.events(Some("daily_summary")).unwrap()[0];
    let got: Vec<f64> = serde_json::from_value(ev.json["values"].clone()).unwrap();
    assert!(got
        .iter()
        .zip(&values)
        .all(|(a, b)| a.to_bits() == b.to_bits()));
}
