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

/// Why a request to a live venue (Alpaca, Binance) failed. Every variant names the venue and
/// says what happened in words a user can act on.
#[derive(Debug, Error)]
pub enum VenueError {
    /// The venue refused our keys or permissions (Alpaca 401/402, Binance -2014/-2015/-1022).
    /// Fatal: retrying cannot help.
    #[error("{venue}: authentication failed: {message}")]
    Auth {
        /// `alpaca` or `binance`.
        venue: &'static str,
        /// What the venue said.
        message: String,
    },
    /// Rate limit hit (HTTP 429): wait `retry_after` before the next request.
    #[error("{venue}: rate limit hit, retrying after {retry_after:?}: {message}")]
    RateLimited {
        /// The venue.
        venue: &'static str,
        /// How long to wait.
        retry_after: std::time::Duration,
        /// What the venue said.
        message: String,
    },
    /// The venue banned this IP (Binance HTTP 418): stop, and say until when. Fatal.
    #[error("{venue}: IP banned for {retry_after:?} (HTTP 418) — stopped; keep requests under the limits: {message}")]
    Banned {
        /// The venue.
        venue: &'static str,
        /// How long the ban lasts, from the `Retry-After` header.
        retry_after: std::time::Duration,
        /// What the venue said.
        message: String,
    },
    /// The venue rejected the request (bad parameter, insufficient balance, filter failure,
    /// duplicate client order id …). Not retried.
    #[error("{venue}: rejected (HTTP {status}, code {code:?}): {message}")]
    Rejected {
        /// The venue.
        venue: &'static str,
        /// HTTP status (0 for a WebSocket answer).
        status: u16,
        /// The venue's error code where it gives one.
        code: Option<i64>,
        /// What the venue said.
        message: String,
    },
    /// An order rejected locally before it was sent (exchange filters, precision, minimum
    /// notional): names the rule and the value.
    #[error("{venue}: order {client_id} not sent: {message}")]
    Invalid {
        /// The venue.
        venue: &'static str,
        /// The order.
        client_id: String,
        /// The rule broken and the value.
        message: String,
    },
    /// The thing asked for does not exist at the venue (unknown order, no position).
    #[error("{venue}: not found: {what}")]
    NotFound {
        /// The venue.
        venue: &'static str,
        /// What was looked up.
        what: String,
    },
    /// An order's outcome is unknown (timeout, 5xx) and looking it up by client order id did
    /// not settle it either. It is NOT resent; reconciliation will find out.
    #[error("{venue}: outcome of order {client_id} unknown: {message}")]
    UnknownOutcome {
        /// The venue.
        venue: &'static str,
        /// The order.
        client_id: String,
        /// What happened.
        message: String,
    },
    /// Nothing (no data, no pong) arrived for `after`: the connection is presumed dead.
    #[error("{venue}: connection silent for {after:?}; replacing it")]
    Silent {
        /// The venue.
        venue: &'static str,
        /// The idle time.
        after: std::time::Duration,
    },
    /// The connection failed or closed unexpectedly (I/O, TLS, HTTP 5xx on a read, reset).
    #[error("{venue}: connection: {message}")]
    Connection {
        /// The venue.
        venue: &'static str,
        /// What happened.
        message: String,
    },
    /// The venue sent something that does not follow its protocol (malformed JSON, a
    /// missing field, a price that is not a number): quotes the offending part.
    #[error("{venue}: protocol: {message}")]
    Protocol {
        /// The venue.
        venue: &'static str,
        /// What was wrong, with the offending text (shortened).
        message: String,
    },
    /// An irrecoverable answer (Alpaca 409 insufficient subscription, 410, a refused
    /// WebSocket upgrade, 406 after all retries …). Fatal.
    #[error("{venue}: {message}")]
    Fatal {
        /// The venue.
        venue: &'static str,
        /// What happened and what to do.
        message: String,
    },
    /// A client configured wrongly (bad URL, missing key).
    #[error("{venue}: configuration: {message}")]
    Config {
        /// The venue.
        venue: &'static str,
        /// What is wrong.
        message: String,
    },
}

impl VenueError {
    /// Whether retrying or reconnecting cannot help: stop and report.
    pub fn is_fatal(&self) -> bool {
        matches!(
            self,
            VenueError::Auth { .. }
                | VenueError::Banned { .. }
                | VenueError::Fatal { .. }
                | VenueError::Config { .. }
        )
    }

    /// How long to wait before retrying, where the venue said so.
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        match self {
            VenueError::RateLimited { retry_after, .. } => Some(*retry_after),
            _ => None,
        }
    }
}
