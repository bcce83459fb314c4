//! [`StoreError`]: everything that can go wrong in the journal or the state files.

use std::path::{Path, PathBuf};

use thiserror::Error;

/// A journal or state-file operation that failed. Every variant names the file and the
/// operation (`open`, `migrate to schema 1`, `append batch 7: entry 3 (new order ema-12)`, …).
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum StoreError {
    /// SQLite refused: a constraint (a duplicate order id), a full disk, a locked or
    /// damaged file.
    #[error("{}: {op}: {source}", path.display())]
    Sqlite {
        /// The journal file.
        path: PathBuf,
        /// What was being done.
        op: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// A file could not be created, written, renamed or read.
    #[error("{}: {op}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What was being done.
        op: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// A value could not be turned into JSON or read back from it.
    #[error("{}: {op}: {source}", path.display())]
    Json {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: String,
        /// serde_json's error.
        #[source]
        source: serde_json::Error,
    },
    /// The file holds something this code does not accept: a value that does not parse, a
    /// broken invariant found by [`crate::journal::Journal::verify`], a database that
    /// cannot be put in WAL mode.
    #[error("{}: {op}: {detail}", path.display())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was being done.
        op: String,
        /// What is wrong, with the value.
        detail: String,
    },
    /// The journal was written by a newer Ploutos: its schema version is higher than the
    /// newest migration this build has. Nothing was changed.
    #[error("{}: open: the journal's schema is version {found}, newer than version {supported} that this build of Ploutos knows; open it with a newer Ploutos", path.display())]
    SchemaTooNew {
        /// The journal file.
        path: PathBuf,
        /// The version recorded in the file.
        found: i64,
        /// The newest version this build knows.
        supported: i64,
    },
}

impl StoreError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            StoreError::Sqlite { path, .. }
            | StoreError::Io { path, .. }
            | StoreError::Json { path, .. }
            | StoreError::Invalid { path, .. }
            | StoreError::SchemaTooNew { path, .. } => path,
        }
    }
}

/// `map_err` adaptor: a SQLite error on `path` while doing `op`.
pub(crate) fn sql<'a>(
    path: &'a Path,
    op: impl FnOnce() -> String + 'a,
) -> impl FnOnce(rusqlite::Error) -> StoreError + 'a {
    move |source| StoreError::Sqlite {
        path: path.to_path_buf(),
        op: op(),
        source,
    }
}

/// An [`StoreError::Invalid`].
pub(crate) fn invalid(path: &Path, op: impl Into<String>, detail: impl Into<String>) -> StoreError {
    StoreError::Invalid {
        path: path.to_path_buf(),
        op: op.into(),
        detail: detail.into(),
    }
}
