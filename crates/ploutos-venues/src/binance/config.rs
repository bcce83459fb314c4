//! [`BinanceConfig`]: hosts, keys and timeouts.

use std::fmt;
use std::time::Duration;

/// Where and how to reach Binance. Start from [`BinanceConfig::production`],
/// [`BinanceConfig::testnet`] or [`BinanceConfig::demo`], then [`BinanceConfig::apply_env`].
#[derive(Clone)]
pub struct BinanceConfig {
    /// REST base URL (`https://api.binance.com`; `http://` accepted for loopback tests).
    pub rest_url: String,
    /// Market-stream base URL without path (`wss://stream.binance.com:9443`); the client
    /// appends `/ws` or `/stream?streams=`.
    pub ws_url: String,
    /// WebSocket API URL, full path (`wss://ws-api.binance.com:443/ws-api/v3`).
    pub ws_api_url: String,
    /// API key (header `X-MBX-APIKEY`); needed for orders, account and user data.
    pub api_key: Option<String>,
    /// HMAC secret key; needed to sign.
    pub secret_key: Option<String>,
    /// `recvWindow` sent with signed requests, in ms (Binance default 5000, max 60000).
    pub recv_window_ms: u64,
    /// Timeout of one REST request and of a WebSocket connect.
    pub request_timeout: Duration,
    /// A stream connection with no frame at all for this long is presumed dead
    /// ([`VenueError::Silent`](crate::VenueError::Silent)). Binance pings every 20 s.
    pub idle_timeout: Duration,
    /// A stream session ends itself (`Ok(None)`) after this long, before Binance cuts the
    /// connection at 24 h.
    pub reconnect_before: Duration,
}

impl fmt::Debug for BinanceConfig {
    /// Keys are never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BinanceConfig")
            .field("rest_url", &self.rest_url)
            .field("ws_url", &self.ws_url)
            .field("ws_api_url", &self.ws_api_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("secret_key", &self.secret_key.as_ref().map(|_| "<set>"))
            .field("recv_window_ms", &self.recv_window_ms)
            .field("request_timeout", &self.request_timeout)
            .field("idle_timeout", &self.idle_timeout)
            .field("reconnect_before", &self.reconnect_before)
            .finish()
    }
}

impl BinanceConfig {
    fn with_hosts(rest: &str, ws: &str, ws_api: &str) -> Self {
        BinanceConfig {
            rest_url: rest.to_string(),
            ws_url: ws.to_string(),
            ws_api_url: ws_api.to_string(),
            api_key: None,
            secret_key: None,
            recv_window_ms: 5_000,
            request_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            reconnect_before: Duration::from_secs(23 * 3_600 + 50 * 60),
        }
    }

    /// The production hosts.
    pub fn production() -> Self {
        Self::with_hosts(
            "https://api.binance.com",
            "wss://stream.binance.com:9443",
            "wss://ws-api.binance.com:443/ws-api/v3",
        )
    }

    /// The spot testnet.
    pub fn testnet() -> Self {
        Self::with_hosts(
            "https://testnet.binance.vision",
            "wss://stream.testnet.binance.vision",
            "wss://ws-api.testnet.binance.vision/ws-api/v3",
        )
    }

    /// Demo mode.
    pub fn demo() -> Self {
        Self::with_hosts(
            "https://demo-api.binance.com",
            "wss://demo-stream.binance.com:9443",
            "wss://demo-ws-api.binance.com/ws-api/v3",
        )
    }

    /// Overrides from the environment (`get` is `std::env::var(..).ok()` in production, a
    /// map in tests): `PLOUTOS_BINANCE_REST_URL`, `PLOUTOS_BINANCE_WS_URL`,
    /// `PLOUTOS_BINANCE_WS_API_URL`, `BINANCE_API_KEY`, `BINANCE_SECRET_KEY`. Empty values
    /// are ignored.
    pub fn apply_env(&mut self, get: impl Fn(&str) -> Option<String>) {
        let get = |k: &str| {
            get(k)
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        if let Some(v) = get("PLOUTOS_BINANCE_REST_URL") {
            self.rest_url = v;
        }
        if let Some(v) = get("PLOUTOS_BINANCE_WS_URL") {
            self.ws_url = v;
        }
        if let Some(v) = get("PLOUTOS_BINANCE_WS_API_URL") {
            self.ws_api_url = v;
        }
        if let Some(v) = get("BINANCE_API_KEY") {
            self.api_key = Some(v);
        }
        if let Some(v) = get("BINANCE_SECRET_KEY") {
            self.secret_key = Some(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_overrides_hosts_and_keys() {
        let mut cfg = BinanceConfig::production();
        cfg.apply_env(|k| match k {
            "PLOUTOS_BINANCE_REST_URL" => Some("http://127.0.0.1:1".into()),
            "PLOUTOS_BINANCE_WS_URL" => Some("ws://127.0.0.1:2".into()),
            "PLOUTOS_BINANCE_WS_API_URL" => Some(" ".into()),
            "BINANCE_API_KEY" => Some("key".into()),
            "BINANCE_SECRET_KEY" => Some("secret".into()),
            _ => None,
        });
        assert_eq!(cfg.rest_url, "http://127.0.0.1:1");
        assert_eq!(cfg.ws_url, "ws://127.0.0.1:2");
        assert_eq!(cfg.ws_api_url, BinanceConfig::production().ws_api_url);
        assert_eq!(cfg.api_key.as_deref(), Some("key"));
        assert!(!format!("{cfg:?}").contains("secret\""));
        assert_eq!(
            BinanceConfig::testnet().rest_url,
            "https://testnet.binance.vision"
        );
    }
}
