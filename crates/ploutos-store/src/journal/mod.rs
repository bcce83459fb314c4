//! The trading engine's journal: every order, order event, fill, signal, engine event and
//! state snapshot, in one SQLite file, so that nothing is lost when the engine stops.
//!
//! The engine hands [`Journal::append`] the entries one step of its event loop produced;
//! they are written in **one transaction**: after a crash (a killed process, a panic) the
//! journal holds each batch completely or not at all, and the engine restarts from the
//! [latest snapshot](Journal::latest_snapshot) and replays [what came after it](Journal::entries_after).
//!
//! The file is opened in WAL mode with `synchronous=NORMAL` (or `FULL`, see
//! [`JournalOptions`]) and foreign keys on; its schema is versioned and migrated on open.
//! Schema, guarantees and measured speed: `docs/journal.md`.
//!
//! ```no_run
//! use ploutos_core::Timestamp;
//! use ploutos_store::journal::{Journal, JournalEntry, JournalOptions};
//!
//! let mut journal = Journal::open("ploutos.db", JournalOptions::default())?;
//! let seq = journal.append(&[JournalEntry::Event {
//!     kind: "breaker_trip".into(),
//!     time: Timestamp::parse("2024-01-02T14:30:00Z").expect("time"),
//!     json: serde_json::json!({"reason": "daily loss limit"}),
//! }])?;
//! assert_eq!(journal.last_seq()?, seq);
//! # Ok::<(), ploutos_store::journal::StoreError>(())
//! ```

mod entry;
mod error;
mod read;
mod schema;
mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ploutos_core::order::{OrderEvent, OrderRequest};
use ploutos_core::Timestamp;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

pub use entry::{JournalEntry, StoredEvent, StoredFill, StoredOrder, StoredSignal, VerifyReport};
pub use error::StoreError;
pub use schema::SCHEMA_VERSION;

use error::{invalid, sql};
use read::Ctx;
use write::{write_entry, WriteError};

/// SQLite's `synchronous` setting for the journal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Synchronous {
    /// Commits are durable against a process crash; a power loss or OS crash may lose the
    /// last transactions (never corrupt the file). The default: the fsync happens at
    /// checkpoints, not on every commit.
    #[default]
    Normal,
    /// Every commit is fsynced to the WAL before `append` returns: durable against power
    /// loss too, at the price of one fsync per batch.
    Full,
}

impl Synchronous {
    fn pragma(self) -> &'static str {
        match self {
            Synchronous::Normal => "NORMAL",
            Synchronous::Full => "FULL",
        }
    }
}

/// How [`Journal::open`] opens the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JournalOptions {
    /// `synchronous=NORMAL` (default) or `FULL`.
    pub synchronous: Synchronous,
    /// How long a statement waits for a lock another connection holds (a reader
    /// checkpointing, a second process) before failing. Default 5 s.
    pub busy_timeout: Duration,
}

impl Default for JournalOptions {
    fn default() -> Self {
        JournalOptions {
            synchronous: Synchronous::Normal,
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl JournalOptions {
    /// The defaults with `synchronous=FULL`.
    pub fn full() -> Self {
        JournalOptions {
            synchronous: Synchronous::Full,
            ..Self::default()
        }
    }
}

/// The journal: one SQLite connection, one writer. Not for sharing between threads of a
/// loop (it is `Send`, not `Sync`); other processes may read the file concurrently (WAL).
pub struct Journal {
    conn: Connection,
    path: PathBuf,
    options: JournalOptions,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal")
            .field("path", &self.path)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

fn count_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or_default()
}

fn seq_i64(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

impl Journal {
    /// Opens (creating it if needed) the journal at `path`: WAL mode, the `synchronous`
    /// setting of `options`, foreign keys on, schema migrated to [`SCHEMA_VERSION`].
    /// Opening an existing journal changes nothing in it. A journal with a newer schema is
    /// [`StoreError::SchemaTooNew`].
    pub fn open(path: impl AsRef<Path>, options: JournalOptions) -> Result<Journal, StoreError> {
        let path = path.as_ref().to_path_buf();
        let p = path.as_path();
        let mut conn = Connection::open_with_flags(
            p,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sql(p, || "open".into()))?;
        conn.busy_timeout(options.busy_timeout)
            .map_err(sql(p, || "open: set busy_timeout".into()))?;
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sql(p, || "open: PRAGMA journal_mode = WAL".into()))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(invalid(
                p,
                "open: PRAGMA journal_mode = WAL",
                format!("SQLite kept journal mode {mode:?} (an in-memory or read-only database?)"),
            ));
        }
        conn.execute_batch(&format!(
            "PRAGMA synchronous = {}; PRAGMA foreign_keys = ON;",
            options.synchronous.pragma()
        ))
        .map_err(sql(p, || "open: PRAGMA synchronous, foreign_keys".into()))?;
        conn.set_prepared_statement_cache_capacity(64);
        schema::migrate(&mut conn, p)?;
        Ok(Journal {
            conn,
            path,
            options,
        })
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options it was opened with.
    pub fn options(&self) -> JournalOptions {
        self.options
    }

    /// The schema version recorded in the file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.conn
            .query_row("SELECT MAX(version) FROM schema_version", [], |r| r.get(0))
            .map_err(sql(&self.path, || "read schema_version".into()))
    }

    /// Writes `entries` in one transaction and returns the seq of the last one (seqs are
    /// global, contiguous, from 1; an empty slice writes nothing and returns
    /// [`Journal::last_seq`]). All or nothing: if any entry fails (a duplicate order id, a
    /// full disk) none of the batch is kept and the error names the entry.
    ///
    /// A fill whose id the order already has is kept in `order_events` but not counted a
    /// second time in `fills`.
    pub fn append(&mut self, entries: &[JournalEntry]) -> Result<u64, StoreError> {
        let p = self.path.as_path();
        if entries.is_empty() {
            return self.last_seq();
        }
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql(p, || "append: begin".into()))?;
        let (last, batch): (i64, i64) = tx
            .prepare_cached(
                "SELECT (SELECT COALESCE(MAX(seq), 0) FROM entries),
                        (SELECT COALESCE(MAX(batch), 0) + 1 FROM batches)",
            )
            .and_then(|mut s| s.query_row([], |r| Ok((r.get(0)?, r.get(1)?))))
            .map_err(sql(p, || "append: read last seq".into()))?;
        let n = i64::try_from(entries.len()).unwrap_or(i64::MAX);
        let last_seq = last + n;
        tx.prepare_cached("INSERT INTO batches (batch, first_seq, last_seq) VALUES (?1, ?2, ?3)")
            .and_then(|mut s| s.execute(params![batch, last + 1, last_seq]))
            .map_err(sql(p, || format!("append batch {batch}: record batch")))?;
        for (i, e) in entries.iter().enumerate() {
            let seq = last + 1 + i as i64;
            write_entry(&tx, batch, seq, e).map_err(|err| {
                let op = format!(
                    "append batch {batch}: entry {} of {} ({})",
                    i + 1,
                    entries.len(),
                    e.describe()
                );
                match err {
                    WriteError::Sql(source) => StoreError::Sqlite {
                        path: p.to_path_buf(),
                        op,
                        source,
                    },
                    WriteError::Json(source) => StoreError::Json {
                        path: p.to_path_buf(),
                        op,
                        source,
                    },
                }
            })?;
        }
        tx.commit()
            .map_err(sql(p, || format!("append batch {batch}: commit")))?;
        Ok(count_u64(last_seq))
    }

    /// The seq of the last entry (0 when empty).
    pub fn last_seq(&self) -> Result<u64, StoreError> {
        self.count("SELECT COALESCE(MAX(seq), 0) FROM entries", "read last seq")
    }

    /// The latest snapshot: `(seq, time, cursor, state)`.
    pub fn latest_snapshot(
        &self,
    ) -> Result<Option<(u64, Timestamp, String, serde_json::Value)>, StoreError> {
        let p = self.path.as_path();
        let row: Option<(i64, i64, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT seq, time_ns, cursor, state FROM snapshots ORDER BY seq DESC LIMIT 1",
            )
            .and_then(|mut s| {
                s.query_row([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                    .optional()
            })
            .map_err(sql(p, || "read latest snapshot".into()))?;
        let Some((seq, time_ns, cursor, state)) = row else {
            return Ok(None);
        };
        let cx = Ctx {
            path: p,
            table: "snapshots",
            seq,
        };
        let state = cx.json("state", &state)?;
        Ok(Some((
            cx.seq(),
            Timestamp::from_nanos(time_ns),
            cursor,
            state,
        )))
    }

    /// Every order, in creation (seq) order.
    pub fn orders(&self) -> Result<Vec<StoredOrder>, StoreError> {
        let p = self.path.as_path();
        let op = || "read orders".to_string();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, request_json, status, created_ns, updated_ns FROM orders ORDER BY seq",
            )
            .map_err(sql(p, op))?;
        let mut rows = stmt.query([]).map_err(sql(p, op))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql(p, op))? {
            let seq: i64 = r.get(0).map_err(sql(p, op))?;
            let json: String = r.get(1).map_err(sql(p, op))?;
            let status: String = r.get(2).map_err(sql(p, op))?;
            let cx = Ctx {
                path: p,
                table: "orders",
                seq,
            };
            out.push(StoredOrder {
                seq: cx.seq(),
                request: cx.json::<OrderRequest>("request_json", &json)?,
                status: write::status_from_str(&status)
                    .ok_or_else(|| cx.bad("status", &status, "unknown order status"))?,
                created: Timestamp::from_nanos(r.get(3).map_err(sql(p, op))?),
                updated: Timestamp::from_nanos(r.get(4).map_err(sql(p, op))?),
            });
        }
        Ok(out)
    }

    /// The fills (each fill id once per order), in seq order; of one strategy if given.
    pub fn fills(&self, strategy: Option<&str>) -> Result<Vec<StoredFill>, StoreError> {
        let p = self.path.as_path();
        let op = || "read fills".to_string();
        let q = format!(
            "SELECT {} FROM fills WHERE ?1 IS NULL OR strategy = ?1 ORDER BY seq",
            read::FILL_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&q).map_err(sql(p, op))?;
        let mut rows = stmt.query([strategy]).map_err(sql(p, op))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql(p, op))? {
            out.push(read::fill_row(p, r)?);
        }
        Ok(out)
    }

    /// The newest `limit` signals, newest first.
    pub fn signals(&self, limit: usize) -> Result<Vec<StoredSignal>, StoreError> {
        let p = self.path.as_path();
        let op = || "read signals".to_string();
        let q = format!(
            "SELECT {} FROM signals ORDER BY seq DESC LIMIT ?1",
            read::SIGNAL_COLUMNS
        );
        let mut stmt = self.conn.prepare_cached(&q).map_err(sql(p, op))?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let mut rows = stmt.query([limit]).map_err(sql(p, op))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql(p, op))? {
            out.push(read::signal_row(p, r)?);
        }
        Ok(out)
    }

    /// The untyped engine events, in seq order; of one kind if given.
    pub fn events(&self, kind: Option<&str>) -> Result<Vec<StoredEvent>, StoreError> {
        let p = self.path.as_path();
        let op = || "read events".to_string();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT seq, kind, time_ns, json FROM events WHERE ?1 IS NULL OR kind = ?1 ORDER BY seq",
            )
            .map_err(sql(p, op))?;
        let mut rows = stmt.query([kind]).map_err(sql(p, op))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql(p, op))? {
            let seq: i64 = r.get(0).map_err(sql(p, op))?;
            let json: String = r.get(3).map_err(sql(p, op))?;
            let cx = Ctx {
                path: p,
                table: "events",
                seq,
            };
            out.push(StoredEvent {
                seq: cx.seq(),
                kind: r.get(1).map_err(sql(p, op))?,
                time: Timestamp::from_nanos(r.get(2).map_err(sql(p, op))?),
                json: cx.json("json", &json)?,
            });
        }
        Ok(out)
    }

    fn count(&self, q: &str, op: &str) -> Result<u64, StoreError> {
        self.conn
            .prepare_cached(q)
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .map(count_u64)
            .map_err(sql(&self.path, || op.to_string()))
    }

    /// All entries.
    pub fn count_entries(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) FROM entries", "count entries")
    }

    /// Orders.
    pub fn count_orders(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) FROM orders", "count orders")
    }

    /// Order events (fills included, duplicates included).
    pub fn count_order_events(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) FROM order_events", "count order_events")
    }

    /// Fills (duplicates counted once).
    pub fn count_fills(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) FROM fills", "count fills")
    }

    /// Signals.
    pub fn count_signals(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) FROM signals", "count signals")
    }

    /// Untyped engine events.
    pub fn count_events(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) FROM events", "count events")
    }

    /// Snapshots.
    pub fn count_snapshots(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) FROM snapshots", "count snapshots")
    }

    /// Batches (successful [`Journal::append`] calls with at least one entry).
    pub fn count_batches(&self) -> Result<u64, StoreError> {
        self.count("SELECT COUNT(*) FROM batches", "count batches")
    }

    /// Every entry with a seq greater than `seq`, in order, as it was appended: what the
    /// engine replays after the latest snapshot, or a verifier compares.
    pub fn entries_after(&self, seq: u64) -> Result<Vec<(u64, JournalEntry)>, StoreError> {
        let p = self.path.as_path();
        let op = || "read entries".to_string();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT e.seq, e.kind, e.time_ns,
                        o.request_json,
                        v.client_id, v.symbol, v.side, v.strategy, v.demo, v.json,
                        x.kind, x.json,
                        n.cursor, n.state
                 FROM entries e
                 LEFT JOIN orders o ON e.kind = 'new_order' AND o.seq = e.seq
                 LEFT JOIN order_events v ON e.kind = 'order_event' AND v.seq = e.seq
                 LEFT JOIN events x ON e.kind = 'event' AND x.seq = e.seq
                 LEFT JOIN snapshots n ON e.kind = 'snapshot' AND n.seq = e.seq
                 WHERE e.seq > ?1 ORDER BY e.seq",
            )
            .map_err(sql(p, op))?;
        let mut rows = stmt.query([seq_i64(seq)]).map_err(sql(p, op))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next().map_err(sql(p, op))? {
            let s: i64 = r.get(0).map_err(sql(p, op))?;
            let kind: String = r.get(1).map_err(sql(p, op))?;
            let time = Timestamp::from_nanos(r.get(2).map_err(sql(p, op))?);
            let text = |i: usize| -> Result<String, StoreError> {
                r.get::<_, Option<String>>(i)
                    .map_err(sql(p, op))?
                    .ok_or_else(|| {
                        invalid(
                            p,
                            format!("read entries seq {s}"),
                            format!("the {kind} entry has no row in its table"),
                        )
                    })
            };
            let mut cx = Ctx {
                path: p,
                table: "entries",
                seq: s,
            };
            let entry = match kind.as_str() {
                "new_order" => {
                    cx.table = "orders";
                    JournalEntry::NewOrder {
                        request: cx.json("request_json", &text(3)?)?,
                        created: time,
                    }
                }
                "order_event" => {
                    cx.table = "order_events";
                    JournalEntry::OrderEvent {
                        client_id: cx.client_id("client_id", &text(4)?)?,
                        symbol: cx.symbol("symbol", &text(5)?)?,
                        side: cx.side("side", &text(6)?)?,
                        strategy: Arc::from(text(7)?),
                        demo: r
                            .get::<_, Option<bool>>(8)
                            .map_err(sql(p, op))?
                            .unwrap_or(false),
                        event: cx.json::<OrderEvent>("json", &text(9)?)?,
                    }
                }
                "event" => {
                    cx.table = "events";
                    JournalEntry::Event {
                        kind: text(10)?,
                        time,
                        json: cx.json("json", &text(11)?)?,
                    }
                }
                "snapshot" => {
                    cx.table = "snapshots";
                    JournalEntry::Snapshot {
                        time,
                        cursor: text(12)?,
                        state: cx.json("state", &text(13)?)?,
                    }
                }
                "signal" => JournalEntry::Signal(self.signal_at(s)?.signal),
                other => return Err(cx.bad("kind", other, "unknown entry kind")),
            };
            out.push((cx.seq(), entry));
        }
        Ok(out)
    }

    fn signal_at(&self, seq: i64) -> Result<StoredSignal, StoreError> {
        let p = self.path.as_path();
        let q = format!(
            "SELECT {} FROM signals WHERE seq = ?1",
            read::SIGNAL_COLUMNS
        );
        let mut stmt = self
            .conn
            .prepare_cached(&q)
            .map_err(sql(p, || format!("read signals seq {seq}")))?;
        let mut rows = stmt
            .query([seq])
            .map_err(sql(p, || format!("read signals seq {seq}")))?;
        match rows
            .next()
            .map_err(sql(p, || format!("read signals seq {seq}")))?
        {
            Some(r) => read::signal_row(p, r),
            None => Err(invalid(
                p,
                format!("read entries seq {seq}"),
                "the signal entry has no row in its table",
            )),
        }
    }

    /// Checks the journal's invariants: SQLite's `quick_check` and `foreign_key_check`;
    /// seqs contiguous from 1; every batch complete (exactly its `first_seq..=last_seq`
    /// entries); every entry backed by exactly one row of its kind's table and no row
    /// without its entry; the latest snapshot's state parses. Run it at start-up after an
    /// unclean stop, or in tests.
    pub fn verify(&self) -> Result<VerifyReport, StoreError> {
        let p = self.path.as_path();
        let fail = |what: &str, detail: String| invalid(p, format!("verify: {what}"), detail);
        let quick: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(sql(p, || "verify: PRAGMA quick_check".into()))?;
        if quick != "ok" {
            return Err(fail("PRAGMA quick_check", quick));
        }
        let fk: Option<String> = self
            .conn
            .query_row("PRAGMA foreign_key_check", [], |r| r.get(0))
            .optional()
            .map_err(sql(p, || "verify: PRAGMA foreign_key_check".into()))?;
        if let Some(table) = fk {
            return Err(fail(
                "foreign keys",
                format!("a row of {table} points at nothing"),
            ));
        }
        let one = |q: &str| -> Result<i64, StoreError> {
            self.conn
                .query_row(q, [], |r| r.get(0))
                .map_err(sql(p, || format!("verify: {q}")))
        };
        let entries = one("SELECT COUNT(*) FROM entries")?;
        let (min, max) = (
            one("SELECT COALESCE(MIN(seq), 1) FROM entries")?,
            one("SELECT COALESCE(MAX(seq), 0) FROM entries")?,
        );
        if min != 1 || max != entries {
            return Err(fail(
                "seq",
                format!("{entries} entries with seq {min}..={max}: not contiguous from 1"),
            ));
        }
        let broken = one("SELECT COALESCE((SELECT b.batch FROM batches b
                 WHERE (SELECT COUNT(*) FROM entries e
                        WHERE e.batch = b.batch AND e.seq BETWEEN b.first_seq AND b.last_seq)
                       != b.last_seq - b.first_seq + 1
                    OR EXISTS (SELECT 1 FROM entries e WHERE e.batch = b.batch
                               AND e.seq NOT BETWEEN b.first_seq AND b.last_seq)
                 LIMIT 1), 0)")?;
        if broken != 0 {
            return Err(fail("batches", format!("batch {broken} is incomplete")));
        }
        let covered = one("SELECT COALESCE(SUM(last_seq - first_seq + 1), 0) FROM batches")?;
        if covered != entries {
            return Err(fail(
                "batches",
                format!("batches cover {covered} entries, the journal has {entries}"),
            ));
        }
        for (kind, table) in [
            ("new_order", "orders"),
            ("order_event", "order_events"),
            ("signal", "signals"),
            ("event", "events"),
            ("snapshot", "snapshots"),
        ] {
            let missing = one(&format!(
                "SELECT COUNT(*) FROM entries e WHERE e.kind = '{kind}'
                 AND NOT EXISTS (SELECT 1 FROM {table} t WHERE t.seq = e.seq)"
            ))?;
            let stray = one(&format!(
                "SELECT COUNT(*) FROM {table} t WHERE NOT EXISTS
                 (SELECT 1 FROM entries e WHERE e.seq = t.seq AND e.kind = '{kind}')"
            ))?;
            if missing != 0 || stray != 0 {
                return Err(fail(
                    table,
                    format!(
                        "{missing} {kind} entries without a row, {stray} rows without an entry"
                    ),
                ));
            }
        }
        let latest_snapshot = self.latest_snapshot()?.map(|(seq, ..)| seq);
        Ok(VerifyReport {
            entries: count_u64(entries),
            batches: count_u64(one("SELECT COUNT(*) FROM batches")?),
            latest_snapshot,
        })
    }
}
