//! [`FeedError`]: why a feed could not start or stopped.

use std::path::PathBuf;

use ploutos_store::history::HistoryError;
use thiserror::Error;

/// A feed that could not be set up or that failed while running.
#[derive(Debug, Error)]
pub enum FeedError {
    /// A history file could not be read (the message names file, line and value).
    #[error(transparent)]
    History(#[from] HistoryError),
    /// A replay source gives no symbol: none was set and the file name suggests none.
    #[error("{path}: no symbol: name it explicitly (SYMBOL=path) or use a file name that starts with it")]
    NoSymbol {
        /// The file.
        path: PathBuf,
    },
    /// A bar file whose timeframe cannot be inferred (fewer than two bars, irregular
    /// stamps) and was not set.
    #[error("{path}: cannot infer the bar timeframe; set it explicitly")]
    NoTimeframe {
        /// The file.
        path: PathBuf,
    },
    /// The configuration is unusable (no sources, a negative speed, …).
    #[error("invalid feed configuration: {0}")]
    Config(String),
    /// A live venue failed (connection, protocol, authentication).
    #[error("{venue}: {message}")]
    Venue {
        /// The venue or feed name.
        venue: String,
        /// What went wrong.
        message: String,
    },
}
