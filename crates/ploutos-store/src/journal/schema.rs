//! The journal's schema: embedded SQL migrations and the `schema_version` table.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::error::{sql, StoreError};

/// One schema step: its version, what it does, and the SQL.
struct Migration {
    version: i64,
    description: &'static str,
    sql: &'static str,
}

/// Every migration, oldest first. Append new ones; never edit a released one.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    description: "batches, entries, orders, order_events, fills, signals, events, snapshots",
    sql: include_str!("schema_v1.sql"),
}];

/// The newest schema version this build knows.
pub const SCHEMA_VERSION: i64 = 1;

/// Brings the database at `path` to [`SCHEMA_VERSION`], in one immediate transaction
/// (so two processes opening a new journal at once do not both migrate). Idempotent: a
/// journal already at the current version is left untouched. Returns the version.
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<i64, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql(path, || "migrate: begin".into()))?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version     INTEGER PRIMARY KEY,
             description TEXT NOT NULL
         );",
    )
    .map_err(sql(path, || "migrate: create schema_version".into()))?;
    let current: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version",
            [],
            |r| r.get(0),
        )
        .map_err(sql(path, || "migrate: read schema_version".into()))?;
    if current > SCHEMA_VERSION {
        return Err(StoreError::SchemaTooNew {
            path: path.to_path_buf(),
            found: current,
            supported: SCHEMA_VERSION,
        });
    }
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(m.sql)
            .map_err(sql(path, || format!("migrate to schema {}", m.version)))?;
        tx.execute(
            "INSERT INTO schema_version (version, description) VALUES (?1, ?2)",
            rusqlite::params![m.version, m.description],
        )
        .map_err(sql(path, || {
            format!("migrate to schema {}: record", m.version)
        }))?;
    }
    tx.commit()
        .map_err(sql(path, || "migrate: commit".into()))?;
    Ok(SCHEMA_VERSION)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_ordered_and_end_at_the_current_version() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version, i as i64 + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(SCHEMA_VERSION));
    }
}
