//! [`HistoryError`]: everything that can go wrong reading or writing a history file.

use std::fmt;

use ploutos_core::{BarError, Timestamp, TradeError};
use thiserror::Error;

/// Where in a file a row is: a CSV line (1-based, as a text editor shows it) or a Parquet
/// row (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// A line of a text file, counting from 1.
    Line(u64),
    /// A row of a Parquet file, counting from 1.
    Row(u64),
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Line(n) => write!(f, "line {n}"),
            Position::Row(n) => write!(f, "row {n}"),
        }
    }
}

/// A history file that could not be read or written. Every variant names the file (the
/// path, or the display name given to a `*_from` reader); row-level variants also name the
/// line, and cell-level ones the column and the value.
#[derive(Debug, Error)]
pub enum HistoryError {
    /// The file could not be opened, read or written.
    #[error("{file}: {source}")]
    Io {
        /// The path.
        file: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file holds no header and no rows.
    #[error("{file} is empty")]
    Empty {
        /// The file.
        file: String,
    },
    /// The file has a header but no data rows.
    #[error("{file} has a header but no rows")]
    NoRows {
        /// The file.
        file: String,
    },
    /// A required column is not in the header.
    #[error("{file}: no {column:?} column in the header {header:?}")]
    MissingColumn {
        /// The file.
        file: String,
        /// The column looked for (its canonical name).
        column: &'static str,
        /// The header as found (columns joined with commas).
        header: String,
    },
    /// The file is in none of the accepted formats.
    #[error("{file}: unrecognised format: {reason}")]
    UnknownFormat {
        /// The file.
        file: String,
        /// What was found and what was expected.
        reason: String,
    },
    /// A cell that cannot be read: not a number, not a timestamp, empty.
    #[error("{file} {at}, column {column:?}: {value:?} {reason}")]
    BadValue {
        /// The file.
        file: String,
        /// The row.
        at: Position,
        /// The column name as in the header (or its canonical name in a headerless file).
        column: String,
        /// The cell's text (cut to 64 characters).
        value: String,
        /// Why, e.g. `is not a number`.
        reason: String,
    },
    /// A row with fewer fields than the columns it needs.
    #[error("{file} {at}: {found} fields, expected at least {expected}")]
    ShortRow {
        /// The file.
        file: String,
        /// The row.
        at: Position,
        /// Fields found.
        found: usize,
        /// Fields needed.
        expected: usize,
    },
    /// A row whose numbers do not make a bar (e.g. high below low).
    #[error("{file} {at}: {source}")]
    BadBar {
        /// The file.
        file: String,
        /// The row.
        at: Position,
        /// Core's reason.
        source: BarError,
    },
    /// A row whose numbers do not make a trade (e.g. a zero price).
    #[error("{file} {at}: {source}")]
    BadTrade {
        /// The file.
        file: String,
        /// The row.
        at: Position,
        /// Core's reason.
        source: TradeError,
    },
    /// A row stamped earlier than the row before it.
    #[error("{file} {at}: timestamp {time} is earlier than {previous_at}'s {previous} (rows must be in time order)")]
    OutOfOrder {
        /// The file.
        file: String,
        /// The later row, whose time is earlier.
        at: Position,
        /// Its time.
        time: Timestamp,
        /// The row before it.
        previous_at: Position,
        /// That row's time.
        previous: Timestamp,
    },
    /// A bar stamped with the same time as the bar before it.
    #[error("{file} {at}: timestamp {time} repeats {previous_at}'s (one bar per timestamp)")]
    Duplicate {
        /// The file.
        file: String,
        /// The repeating row.
        at: Position,
        /// The shared time.
        time: Timestamp,
        /// The row it repeats.
        previous_at: Position,
    },
    /// The CSV layer failed (e.g. an unterminated quote).
    #[error("{file} {at}: {message}")]
    Csv {
        /// The file.
        file: String,
        /// Where the parser stopped.
        at: Position,
        /// The CSV parser's message.
        message: String,
    },
    /// The Parquet layer failed (corrupt file, unsupported encoding or column type).
    #[error("{file}: {message}")]
    Parquet {
        /// The file.
        file: String,
        /// What failed.
        message: String,
    },
}

impl HistoryError {
    pub(crate) fn io(file: &str, source: std::io::Error) -> Self {
        HistoryError::Io {
            file: file.to_string(),
            source,
        }
    }

    pub(crate) fn bad_value(
        file: &str,
        at: Position,
        column: &str,
        value: &[u8],
        reason: impl Into<String>,
    ) -> Self {
        HistoryError::BadValue {
            file: file.to_string(),
            at,
            column: column.to_string(),
            value: cell_text(value),
            reason: reason.into(),
        }
    }

    /// The same error placed at `position` (row-level variants only).
    pub(crate) fn at(mut self, position: Position) -> Self {
        match &mut self {
            HistoryError::BadValue { at, .. }
            | HistoryError::ShortRow { at, .. }
            | HistoryError::BadBar { at, .. }
            | HistoryError::BadTrade { at, .. } => *at = position,
            _ => {}
        }
        self
    }

    pub(crate) fn parquet(file: &str, message: impl fmt::Display) -> Self {
        HistoryError::Parquet {
            file: file.to_string(),
            message: message.to_string(),
        }
    }
}

/// A cell for an error message: lossy UTF-8, at most 64 characters.
fn cell_text(value: &[u8]) -> String {
    let s = String::from_utf8_lossy(value);
    if s.chars().count() > 64 {
        let mut t: String = s.chars().take(64).collect();
        t.push('…');
        t
    } else {
        s.into_owned()
    }
}
