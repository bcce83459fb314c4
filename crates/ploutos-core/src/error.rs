//! Errors for parsing the small value types of this crate.

use thiserror::Error;

/// A value that could not be turned into one of the core types.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    /// A timestamp that is not RFC 3339, a date, or epoch seconds/milliseconds.
    #[error("invalid timestamp {value:?}: {reason}")]
    Timestamp { value: String, reason: String },
    /// A timestamp outside what nanoseconds in an i64 can hold (1677-09-21 .. 2262-04-11).
    #[error("timestamp {value:?} is out of range (1677-09-21 .. 2262-04-11 UTC)")]
    TimestampRange { value: String },
    /// A timeframe that is not `N` (minutes) or `N` followed by s, m, h or d.
    #[error("invalid timeframe {value:?}: expected minutes (5) or a number with a unit s, m, h, d (15m, 1h, 1d)")]
    Timeframe { value: String },
    /// A symbol that is empty, too long or has characters other than A-Z a-z 0-9 / - _ . :
    #[error("invalid symbol {value:?}: {reason}")]
    Symbol { value: String, reason: &'static str },
    /// A side that is neither buy nor sell.
    #[error("invalid side {value:?}: expected buy or sell")]
    Side { value: String },
}
