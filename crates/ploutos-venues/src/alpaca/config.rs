//! [`AlpacaConfig`]: hosts, keys, feed and timeouts of the Alpaca client.

use std::time::Duration;

use crate::error::VenueError;
use crate::net::check_url;

use super::wire::VENUE;

/// Everything the Alpaca client needs. Start from [`AlpacaConfig::paper`] or
/// [`AlpacaConfig::live`], then [`AlpacaConfig::apply_env`]. `Debug` never shows the secret.
#[derive(Clone, PartialEq)]
pub struct AlpacaConfig {
    /// The FULL market-data stream URL, e.g. `wss://stream.data.alpaca.markets/v2/iex`.
    pub data_ws_url: String,
    /// Market-data REST base, e.g. `https://data.alpaca.markets`.
    pub data_url: String,
    /// Trading REST base, e.g. `https://paper-api.alpaca.markets`.
    pub trading_url: String,
    /// Trade-updates stream URL, e.g. `wss://paper-api.alpaca.markets/stream`.
    pub trading_ws_url: String,
    /// API key id (`ALPACA_API_KEY`).
    pub key_id: Option<String>,
    /// API secret (`ALPACA_SECRET_KEY`).
    pub secret_key: Option<String>,
    /// The REST data feed: `iex` (free plan) or `sip`.
    pub feed: String,
    /// REST bar adjustment: `raw` (default), `split`, `dividend`, `all`.
    pub adjustment: String,
    /// Timeout of one REST request and of a WebSocket connect.
    pub request_timeout: Duration,
    /// A stream that delivers no frame at all (data, pong) for this long is
    /// [`VenueError::Silent`].
    pub idle_timeout: Duration,
    /// How often the client pings its streams (keep-alive is client-driven at Alpaca).
    pub ping_interval: Duration,
    /// Authenticate the market-data stream with upgrade headers instead of an auth message.
    pub header_auth: bool,
    /// Also subscribe to quotes on the market-data stream.
    pub quotes: bool,
    /// How often auth is re-sent after `406 connection limit exceeded` before giving up.
    pub max_auth_attempts: u32,
    /// The delay step between those attempts (attempt n waits n × step, capped at
    /// `auth_retry_cap`).
    pub auth_retry_step: Duration,
    /// The cap of that delay.
    pub auth_retry_cap: Duration,
    /// Requests per minute for this account (shared by everything using this client).
    pub rate_limit_per_minute: u32,
    /// How often a 429 (any request) or a 5xx / transport error (reads only) is retried.
    pub max_retries: u32,
    /// First back-off delay of those retries (doubling, with jitter).
    pub retry_base: Duration,
    /// The longest a rate-limit wait may last.
    pub max_rate_wait: Duration,
}

impl std::fmt::Debug for AlpacaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AlpacaConfig")
            .field("data_ws_url", &self.data_ws_url)
            .field("data_url", &self.data_url)
            .field("trading_url", &self.trading_url)
            .field("trading_ws_url", &self.trading_ws_url)
            .field("key_id", &self.key_id)
            .field(
                "secret_key",
                &self.secret_key.as_ref().map(|_| "<redacted>"),
            )
            .field("feed", &self.feed)
            .field("adjustment", &self.adjustment)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("ping_interval", &self.ping_interval)
            .finish_non_exhaustive()
    }
}

impl AlpacaConfig {
    fn with_hosts(trading: &str, trading_ws: &str) -> Self {
        AlpacaConfig {
            data_ws_url: "wss://stream.data.alpaca.markets/v2/iex".to_string(),
            data_url: "https://data.alpaca.markets".to_string(),
            trading_url: trading.to_string(),
            trading_ws_url: trading_ws.to_string(),
            key_id: None,
            secret_key: None,
            feed: "iex".to_string(),
            adjustment: "raw".to_string(),
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            ping_interval: Duration::from_secs(10),
            header_auth: false,
            quotes: false,
            max_auth_attempts: 15,
            auth_retry_step: Duration::from_millis(500),
            auth_retry_cap: Duration::from_secs(5),
            rate_limit_per_minute: 200,
            max_retries: 3,
            retry_base: Duration::from_millis(500),
            max_rate_wait: Duration::from_secs(65),
        }
    }

    /// Paper trading (`paper-api.alpaca.markets`), IEX market data.
    pub fn paper() -> Self {
        Self::with_hosts(
            "https://paper-api.alpaca.markets",
            "wss://paper-api.alpaca.markets/stream",
        )
    }

    /// Live trading (`api.alpaca.markets`), IEX market data.
    pub fn live() -> Self {
        Self::with_hosts(
            "https://api.alpaca.markets",
            "wss://api.alpaca.markets/stream",
        )
    }

    /// Overrides from the environment (`get` is `std::env::var(..).ok()` in production):
    /// `PLOUTOS_ALPACA_DATA_WS_URL`, `PLOUTOS_ALPACA_DATA_URL`, `PLOUTOS_ALPACA_TRADING_URL`,
    /// `PLOUTOS_ALPACA_TRADING_WS_URL`, `ALPACA_API_KEY`, `ALPACA_SECRET_KEY`. Empty values
    /// are ignored.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("PLOUTOS_ALPACA_DATA_WS_URL") {
            self.data_ws_url = v;
        }
        if let Some(v) = get("PLOUTOS_ALPACA_DATA_URL") {
            self.data_url = v;
        }
        if let Some(v) = get("PLOUTOS_ALPACA_TRADING_URL") {
            self.trading_url = v;
        }
        if let Some(v) = get("PLOUTOS_ALPACA_TRADING_WS_URL") {
            self.trading_ws_url = v;
        }
        if let Some(v) = get("ALPACA_API_KEY") {
            self.key_id = Some(v);
        }
        if let Some(v) = get("ALPACA_SECRET_KEY") {
            self.secret_key = Some(v);
        }
    }

    /// The same configuration on the 24/7 test stream (`…/v2/test`, symbol `FAKEPACA`).
    pub fn test_stream(mut self) -> Self {
        let base = match self.data_ws_url.find("/v2/") {
            Some(i) => self.data_ws_url[..i].to_string(),
            None => self.data_ws_url.trim_end_matches('/').to_string(),
        };
        self.data_ws_url = format!("{base}/v2/test");
        self
    }

    /// The stream's feed name (last path segment of `data_ws_url`), for messages.
    pub(crate) fn stream_feed(&self) -> &str {
        self.data_ws_url
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
    }

    /// Checks URLs, feed and timeouts.
    pub fn validate(&self) -> Result<(), VenueError> {
        check_url(VENUE, &self.data_ws_url, true)?;
        check_url(VENUE, &self.trading_ws_url, true)?;
        check_url(VENUE, &self.data_url, false)?;
        check_url(VENUE, &self.trading_url, false)?;
        let bad = |message: String| {
            Err(VenueError::Config {
                venue: VENUE,
                message,
            })
        };
        if self.feed.trim().is_empty() {
            return bad("feed is empty: use iex or sip".to_string());
        }
        if self.idle_timeout.is_zero() || self.ping_interval.is_zero() {
            return bad(format!(
                "idle_timeout {:?} and ping_interval {:?} must be positive",
                self.idle_timeout, self.ping_interval
            ));
        }
        if self.ping_interval >= self.idle_timeout {
            // Pongs are what keeps a quiet stream from looking dead.
            return bad(format!(
                "ping_interval {:?} must be shorter than idle_timeout {:?}",
                self.ping_interval, self.idle_timeout
            ));
        }
        if self.rate_limit_per_minute == 0 {
            return bad("rate_limit_per_minute is 0".to_string());
        }
        Ok(())
    }

    /// Key and secret, or a configuration error naming the missing variable.
    pub(crate) fn keys(&self) -> Result<(&str, &str), VenueError> {
        match (self.key_id.as_deref(), self.secret_key.as_deref()) {
            (Some(k), Some(s)) => Ok((k, s)),
            (None, _) => Err(VenueError::Config {
                venue: VENUE,
                message: "no API key id: set ALPACA_API_KEY".to_string(),
            }),
            (_, None) => Err(VenueError::Config {
                venue: VENUE,
                message: "no API secret: set ALPACA_SECRET_KEY".to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_and_test_stream() {
        let mut c = AlpacaConfig::paper();
        c.apply_env(|k| match k {
            "PLOUTOS_ALPACA_DATA_WS_URL" => Some("ws://127.0.0.1:9/v2/sip".into()),
            "ALPACA_API_KEY" => Some("k".into()),
            "ALPACA_SECRET_KEY" => Some("s".into()),
            "PLOUTOS_ALPACA_DATA_URL" => Some("".into()),
            _ => None,
        });
        assert_eq!(c.data_ws_url, "ws://127.0.0.1:9/v2/sip");
        assert_eq!(c.stream_feed(), "sip");
        assert_eq!(c.data_url, "https://data.alpaca.markets");
        assert_eq!(c.keys().unwrap(), ("k", "s"));
        assert!(c.validate().is_ok());
        assert_eq!(c.test_stream().data_ws_url, "ws://127.0.0.1:9/v2/test");
        assert_eq!(
            AlpacaConfig::live().trading_url,
            "https://api.alpaca.markets"
        );
        let mut bad = AlpacaConfig::paper();
        bad.trading_url = "ftp://x".into();
        assert!(bad.validate().unwrap_err().to_string().contains("ftp://x"));
        assert!(AlpacaConfig::paper()
            .keys()
            .unwrap_err()
            .to_string()
            .contains("ALPACA_API_KEY"));
        let mut secret = AlpacaConfig::paper();
        secret.secret_key = Some("very-secret".into());
        let shown = format!("{secret:?}");
        assert!(
            shown.contains("<redacted>") && !shown.contains("very-secret"),
            "{shown}"
        );
    }
}
