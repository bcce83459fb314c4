//! The REST transport: clock offset, signing, request-weight accounting, 429/418 handling,
//! and the retry rules (GET/DELETE retried on 5xx with back-off; POST never resent).

use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::{Method, StatusCode};

use crate::error::VenueError;
use crate::net::{excerpt, Backoff};

use super::sign::{encode_params, sign_rest};
use super::types::{parse_api_error, parse_json, ServerTime, SymbolRules};
use super::{BinanceConfig, VENUE};

/// Default REQUEST_WEIGHT per minute until exchangeInfo says otherwise.
pub(crate) const DEFAULT_WEIGHT_LIMIT: u64 = 6_000;
/// How many times a GET/DELETE is retried after a 5xx or a 429.
const MAX_RETRIES: u32 = 3;
/// Back-off of those retries.
const RETRY_BASE: Duration = Duration::from_millis(100);
const RETRY_MAX: Duration = Duration::from_secs(2);
/// Weight kept in reserve: when the minute's used weight plus the request's weight would
/// come this close to the limit, the request waits for the next minute.
const WEIGHT_RESERVE_PERCENT: u64 = 5;

/// Whether a request needs the API key and a signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Security {
    /// Public market data.
    None,
    /// `TRADE` / `USER_DATA`: `X-MBX-APIKEY`, `timestamp`, `recvWindow`, `signature`.
    Signed,
}

/// State shared by every clone of the client.
#[derive(Debug)]
pub(crate) struct State {
    /// Server time minus local time, ms.
    pub offset_ms: i64,
    /// Whether `offset_ms` came from the server.
    pub synced: bool,
    /// `X-MBX-USED-WEIGHT-1M` of the last answer.
    pub used_weight: u64,
    /// The server minute (ms / 60000) that `used_weight` belongs to.
    pub weight_minute: i64,
    /// The REQUEST_WEIGHT limit per minute.
    pub weight_limit: u64,
    /// No request before this instant (after a 429's Retry-After).
    pub pause_until: Option<Instant>,
    /// Banned (HTTP 418) until this instant, with the venue's message.
    pub banned: Option<(Instant, String)>,
    /// exchangeInfo rules by symbol.
    pub rules: std::collections::HashMap<String, SymbolRules>,
}

/// The shared inside of [`Binance`](super::Binance).
#[derive(Debug)]
pub(crate) struct Inner {
    pub cfg: BinanceConfig,
    pub http: reqwest::Client,
    pub state: Mutex<State>,
}

/// One REST request.
pub(crate) struct Request<'a> {
    pub method: Method,
    pub path: &'a str,
    pub params: Vec<(&'static str, String)>,
    pub security: Security,
    pub weight: u64,
}

impl<'a> Request<'a> {
    /// A request without parameters yet.
    pub fn new(method: Method, path: &'a str, security: Security, weight: u64) -> Self {
        Request {
            method,
            path,
            params: Vec::new(),
            security,
            weight,
        }
    }

    /// Adds a parameter.
    pub fn param(mut self, k: &'static str, v: impl Into<String>) -> Self {
        self.params.push((k, v.into()));
        self
    }
}

/// Local wall time, ms since the epoch.
pub(crate) fn local_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

fn retry_after(resp: &reqwest::Response) -> Option<Duration> {
    resp.headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

fn used_weight(resp: &reqwest::Response) -> Option<u64> {
    resp.headers()
        .get("x-mbx-used-weight-1m")
        .and_then(|v| v.to_str().ok())
        .and_then(|s| s.trim().parse::<u64>().ok())
}

/// Whether an error leaves an order's outcome open (5xx, -1007, timeout, broken connection).
pub(crate) fn outcome_unknown(e: &VenueError) -> bool {
    matches!(e, VenueError::Connection { .. })
}

impl Inner {
    /// Builds the shared state.
    pub fn new(cfg: BinanceConfig) -> Result<Self, VenueError> {
        crate::net::check_url(VENUE, &cfg.rest_url, false)?;
        crate::net::check_url(VENUE, &cfg.ws_url, true)?;
        crate::net::check_url(VENUE, &cfg.ws_api_url, true)?;
        if cfg.recv_window_ms == 0 || cfg.recv_window_ms > 60_000 {
            return Err(VenueError::Config {
                venue: VENUE,
                message: format!(
                    "recv_window_ms {} must be between 1 and 60000",
                    cfg.recv_window_ms
                ),
            });
        }
        let http = crate::net::http_client(VENUE, cfg.request_timeout)?;
        Ok(Inner {
            cfg,
            http,
            state: Mutex::new(State {
                offset_ms: 0,
                synced: false,
                used_weight: 0,
                weight_minute: 0,
                weight_limit: DEFAULT_WEIGHT_LIMIT,
                pause_until: None,
                banned: None,
                rules: Default::default(),
            }),
        })
    }

    /// The state, even if a panicking thread poisoned the lock (it holds plain numbers).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Server time estimate, ms.
    pub fn server_ms(&self) -> i64 {
        local_ms() + self.state().offset_ms
    }

    /// Fetches the server time and stores the offset (server − local, from the midpoint of
    /// the round trip).
    pub async fn sync_time(&self) -> Result<i64, VenueError> {
        let before = local_ms();
        let body = self
            .send_once(&Request::new(
                Method::GET,
                "/api/v3/time",
                Security::None,
                1,
            ))
            .await?;
        let after = local_ms();
        let t: ServerTime = parse_json("server time", &body)?;
        let offset = t.server_time - (before + after) / 2;
        let mut st = self.state();
        st.offset_ms = offset;
        st.synced = true;
        Ok(offset)
    }

    /// Sends `req` with the retry rules; returns the body of a 2xx answer.
    pub async fn send(&self, req: &Request<'_>) -> Result<String, VenueError> {
        if req.security == Security::Signed && !self.state().synced {
            self.sync_time().await?;
        }
        let idempotent = req.method != Method::POST;
        let mut backoff = Backoff::new(RETRY_BASE, RETRY_MAX);
        let mut resynced = false;
        loop {
            match self.send_once(req).await {
                Ok(body) => return Ok(body),
                // The timestamp was outside recvWindow: the request was refused before the
                // matching engine, so re-syncing and sending it again is safe for any method.
                Err(VenueError::Rejected {
                    code: Some(-1021), ..
                }) if !resynced && req.security == Security::Signed => {
                    resynced = true;
                    self.sync_time().await?;
                }
                Err(VenueError::RateLimited { retry_after, .. })
                    if idempotent && backoff.attempts() < MAX_RETRIES =>
                {
                    backoff.next_delay();
                    tokio::time::sleep(retry_after).await;
                }
                Err(e @ VenueError::Connection { .. }) if idempotent => {
                    if backoff.attempts() >= MAX_RETRIES {
                        return Err(e);
                    }
                    tokio::time::sleep(backoff.next_delay()).await;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Waits while a 429 pause lasts or the minute's weight budget is spent; fails fast
    /// while banned.
    async fn admit(&self, weight: u64) -> Result<(), VenueError> {
        loop {
            let wait = {
                let mut st = self.state();
                let now = Instant::now();
                if let Some((until, msg)) = &st.banned {
                    if *until > now {
                        return Err(VenueError::Banned {
                            venue: VENUE,
                            retry_after: *until - now,
                            message: msg.clone(),
                        });
                    }
                    st.banned = None;
                }
                let server = local_ms() + st.offset_ms;
                let minute = server.div_euclid(60_000);
                if minute != st.weight_minute {
                    st.weight_minute = minute;
                    st.used_weight = 0;
                }
                let reserve = st.weight_limit * WEIGHT_RESERVE_PERCENT / 100;
                if let Some(until) = st.pause_until.filter(|u| *u > now) {
                    Some(until - now)
                } else if st.used_weight + weight + reserve > st.weight_limit {
                    let ms = 60_000 - server.rem_euclid(60_000) + 50;
                    Some(Duration::from_millis(u64::try_from(ms).unwrap_or(60_000)))
                } else {
                    // Count it now so concurrent requests see it before the answer comes.
                    st.used_weight += weight;
                    None
                }
            };
            match wait {
                Some(d) => tokio::time::sleep(d).await,
                None => return Ok(()),
            }
        }
    }

    /// The URL with the parameters (timestamp, recvWindow and signature added when signed).
    fn url(&self, req: &Request<'_>) -> Result<String, VenueError> {
        let mut params = req.params.clone();
        if req.security == Security::Signed {
            params.push(("recvWindow", self.cfg.recv_window_ms.to_string()));
            params.push(("timestamp", self.server_ms().to_string()));
        }
        let mut query = encode_params(&params);
        if req.security == Security::Signed {
            let secret = self
                .cfg
                .secret_key
                .as_deref()
                .ok_or_else(|| VenueError::Config {
                    venue: VENUE,
                    message: format!(
                        "{} needs BINANCE_SECRET_KEY (no secret key configured)",
                        req.path
                    ),
                })?;
            let sig = sign_rest(secret, &query, "")?;
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str("signature=");
            query.push_str(&sig);
        }
        let base = self.cfg.rest_url.trim_end_matches('/');
        Ok(if query.is_empty() {
            format!("{base}{}", req.path)
        } else {
            format!("{base}{}?{query}", req.path)
        })
    }

    /// One attempt, no retries.
    async fn send_once(&self, req: &Request<'_>) -> Result<String, VenueError> {
        self.admit(req.weight).await?;
        let url = self.url(req)?;
        let mut builder = self.http.request(req.method.clone(), &url);
        if let Some(key) = &self.cfg.api_key {
            builder = builder.header("X-MBX-APIKEY", key);
        } else if req.security == Security::Signed {
            return Err(VenueError::Config {
                venue: VENUE,
                message: format!("{} needs BINANCE_API_KEY (no API key configured)", req.path),
            });
        }
        let what = format!("{} {}", req.method, req.path);
        let resp = builder.send().await.map_err(|e| VenueError::Connection {
            venue: VENUE,
            message: format!(
                "{what}: {}{e}",
                if e.is_timeout() { "timed out: " } else { "" }
            ),
        })?;
        let status = resp.status();
        let wait = retry_after(&resp);
        if let Some(w) = used_weight(&resp) {
            let mut st = self.state();
            st.used_weight = w;
            st.weight_minute = (local_ms() + st.offset_ms).div_euclid(60_000);
        }
        let body = resp.text().await.map_err(|e| VenueError::Connection {
            venue: VENUE,
            message: format!("{what}: reading the answer: {e}"),
        })?;
        if status.is_success() {
            return Ok(body);
        }
        Err(self.error_for(&what, status, wait, &body))
    }

    /// Maps a non-2xx answer to an error, recording pauses and bans.
    fn error_for(
        &self,
        what: &str,
        status: StatusCode,
        wait: Option<Duration>,
        body: &str,
    ) -> VenueError {
        let api = parse_api_error(body);
        let message = match &api {
            Some(a) => format!("{what}: {} (code {})", a.msg, a.code),
            None => format!("{what}: HTTP {status}: {}", excerpt(body, 200)),
        };
        let code = api.as_ref().map(|a| a.code);
        match status.as_u16() {
            418 => {
                let retry_after = wait.unwrap_or(Duration::from_secs(120));
                self.state().banned = Some((Instant::now() + retry_after, message.clone()));
                VenueError::Banned {
                    venue: VENUE,
                    retry_after,
                    message,
                }
            }
            429 => {
                let retry_after = wait.unwrap_or(Duration::from_secs(1));
                self.state().pause_until = Some(Instant::now() + retry_after);
                VenueError::RateLimited {
                    venue: VENUE,
                    retry_after,
                    message,
                }
            }
            s if s >= 500 => VenueError::Connection {
                venue: VENUE,
                message: format!("{message} (execution status unknown)"),
            },
            s => match code {
                // Backend timeout: the request may or may not have been executed.
                Some(-1007) => VenueError::Connection {
                    venue: VENUE,
                    message,
                },
                _ if s == 401 || matches!(code, Some(-1022 | -2014 | -2015)) => VenueError::Auth {
                    venue: VENUE,
                    message,
                },
                _ => VenueError::Rejected {
                    venue: VENUE,
                    status: s,
                    code,
                    message,
                },
            },
        }
    }
}
