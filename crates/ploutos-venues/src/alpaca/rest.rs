//! The HTTP layer: auth headers, one rate limiter shared by every request of the process's
//! client, 429 waits, retries of reads after 5xx / transport errors, error mapping.

use std::collections::VecDeque;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;
use reqwest::{Method, Url};
use tokio::sync::Mutex;
use tokio::time::Instant;

use crate::error::VenueError;
use crate::net::{excerpt, Backoff};

use super::config::AlpacaConfig;
use super::wire::{parse_error_body, VENUE};

/// Which API a request goes to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// Market data (`data_url`).
    Data,
    /// Trading (`trading_url`).
    Trading,
}

/// A finished HTTP exchange.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub text: String,
}

/// The account's request budget: a local sliding window of `limit` requests per minute,
/// plus what the server said in `X-RateLimit-Remaining` / `X-RateLimit-Reset`.
#[derive(Debug)]
pub(crate) struct RateLimiter {
    limit: usize,
    sent: VecDeque<Instant>,
    /// The server's remaining count and when (Unix seconds) it refills.
    server: Option<(u64, u64)>,
}

const WINDOW: Duration = Duration::from_secs(60);

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
}

/// How long until Unix second `reset` (never negative), at least 50 ms so a reset in the
/// current second still waits a little.
fn until_reset(reset: u64) -> Duration {
    Duration::from_secs(reset)
        .saturating_sub(unix_now())
        .max(Duration::from_millis(50))
}

fn header_u64(headers: &HeaderMap, name: &str) -> Option<u64> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

impl RateLimiter {
    pub(crate) fn new(per_minute: u32) -> Self {
        RateLimiter {
            limit: per_minute.max(1) as usize,
            sent: VecDeque::new(),
            server: None,
        }
    }

    /// How long to wait before the next request may go (zero: now; it is then counted).
    fn reserve(&mut self, now: Instant) -> Duration {
        while self
            .sent
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.sent.pop_front();
        }
        if let Some((0, reset)) = self.server {
            if Duration::from_secs(reset) > unix_now() {
                return until_reset(reset);
            }
            self.server = None;
        }
        if self.sent.len() >= self.limit {
            if let Some(first) = self.sent.front() {
                return WINDOW.saturating_sub(now.duration_since(*first));
            }
        }
        self.sent.push_back(now);
        Duration::ZERO
    }

    fn observe(&mut self, headers: &HeaderMap) {
        if let (Some(rem), Some(reset)) = (
            header_u64(headers, "x-ratelimit-remaining"),
            header_u64(headers, "x-ratelimit-reset"),
        ) {
            self.server = Some((rem, reset));
        }
    }
}

/// Waits for a slot of the shared budget (never longer than `max_wait` per wait).
pub(crate) async fn acquire(limiter: &Mutex<RateLimiter>, max_wait: Duration) {
    loop {
        let wait = limiter.lock().await.reserve(Instant::now());
        if wait.is_zero() {
            return;
        }
        tokio::time::sleep(wait.min(max_wait)).await;
    }
}

/// The HTTP side of the client.
#[derive(Debug)]
pub(crate) struct Rest {
    pub cfg: AlpacaConfig,
    http: reqwest::Client,
    limiter: Mutex<RateLimiter>,
}

/// A request to send.
pub(crate) struct Req<'a> {
    pub api: Api,
    pub method: Method,
    pub path: &'a str,
    pub query: Vec<(&'a str, String)>,
    pub body: Option<serde_json::Value>,
    /// Retry 5xx and transport errors (reads and idempotent deletes; never order POSTs).
    pub retry_failures: bool,
}

impl<'a> Req<'a> {
    pub fn get(api: Api, path: &'a str) -> Self {
        Req {
            api,
            method: Method::GET,
            path,
            query: Vec::new(),
            body: None,
            retry_failures: true,
        }
    }

    pub fn new(api: Api, method: Method, path: &'a str) -> Self {
        Req {
            retry_failures: false,
            method,
            ..Req::get(api, path)
        }
    }

    pub fn query(mut self, k: &'a str, v: impl Into<String>) -> Self {
        self.query.push((k, v.into()));
        self
    }

    pub fn json(mut self, body: serde_json::Value) -> Self {
        self.body = Some(body);
        self
    }
}

impl Rest {
    pub(crate) fn new(cfg: AlpacaConfig) -> Result<Self, VenueError> {
        cfg.validate()?;
        let http = crate::net::http_client(VENUE, cfg.request_timeout)?;
        let limiter = Mutex::new(RateLimiter::new(cfg.rate_limit_per_minute));
        Ok(Rest { cfg, http, limiter })
    }

    fn url(&self, req: &Req<'_>) -> Result<Url, VenueError> {
        let base = match req.api {
            Api::Data => &self.cfg.data_url,
            Api::Trading => &self.cfg.trading_url,
        };
        let text = format!("{}{}", base.trim_end_matches('/'), req.path);
        let mut url = Url::parse(&text).map_err(|e| VenueError::Config {
            venue: VENUE,
            message: format!("bad URL {text:?}: {e}"),
        })?;
        if !req.query.is_empty() {
            let mut q = url.query_pairs_mut();
            for (k, v) in &req.query {
                q.append_pair(k, v);
            }
        }
        Ok(url)
    }

    async fn send_once(&self, req: &Req<'_>, url: &Url) -> Result<(Reply, HeaderMap), VenueError> {
        let (key, secret) = self.cfg.keys()?;
        let mut b = self
            .http
            .request(req.method.clone(), url.clone())
            .header("APCA-API-KEY-ID", key)
            .header("APCA-API-SECRET-KEY", secret);
        if let Some(body) = &req.body {
            b = b.json(body);
        }
        let what = || format!("{} {}", req.method, req.path);
        let resp = b.send().await.map_err(|e| VenueError::Connection {
            venue: VENUE,
            message: format!("{}: {e}", what()),
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        let text = resp.text().await.map_err(|e| VenueError::Connection {
            venue: VENUE,
            message: format!("{}: reading the answer: {e}", what()),
        })?;
        Ok((Reply { status, text }, headers))
    }

    /// Sends `req`, waiting for the rate limit, retrying 429 (always: the request was not
    /// processed) and, when `retry_failures`, 5xx and transport errors. Any other status is
    /// returned as a [`Reply`] for the caller to map.
    pub(crate) async fn send(&self, req: Req<'_>) -> Result<Reply, VenueError> {
        let url = self.url(&req)?;
        let mut backoff = Backoff::new(self.cfg.retry_base, self.cfg.max_rate_wait);
        let mut attempt = 0u32;
        loop {
            acquire(&self.limiter, self.cfg.max_rate_wait).await;
            let result = self.send_once(&req, &url).await;
            if let Ok((_, headers)) = &result {
                self.limiter.lock().await.observe(headers);
            }
            let retry_in = match &result {
                Ok((r, h)) if r.status == 429 => Some(
                    header_u64(h, "x-ratelimit-reset")
                        .map(until_reset)
                        .unwrap_or_else(|| backoff.next_delay())
                        .min(self.cfg.max_rate_wait),
                ),
                Ok((r, _)) if r.status >= 500 && req.retry_failures => Some(backoff.next_delay()),
                Err(_) if req.retry_failures => Some(backoff.next_delay()),
                _ => None,
            };
            match retry_in {
                Some(wait) if attempt < self.cfg.max_retries => {
                    attempt += 1;
                    tokio::time::sleep(wait).await;
                }
                _ => return result.map(|(r, _)| r),
            }
        }
    }

    /// Sends `req` and returns the body of a 2xx answer; anything else is mapped to the
    /// matching [`VenueError`] naming the request.
    pub(crate) async fn call(&self, req: Req<'_>) -> Result<String, VenueError> {
        let what = format!("{} {}", req.method, req.path);
        let api = req.api;
        let reply = self.send(req).await?;
        if (200..300).contains(&reply.status) {
            Ok(reply.text)
        } else {
            Err(map_status(api, &what, &reply))
        }
    }
}

/// The error for a non-2xx answer.
pub(crate) fn map_status(api: Api, what: &str, reply: &Reply) -> VenueError {
    let body = parse_error_body(&reply.text);
    let msg = format!(
        "{what}: HTTP {}: {}",
        reply.status,
        excerpt(body.text(), 240)
    );
    match reply.status {
        401 => VenueError::Auth {
            venue: VENUE,
            message: format!("{msg} (check ALPACA_API_KEY / ALPACA_SECRET_KEY, and paper keys go with the paper host)"),
        },
        403 if api == Api::Data => VenueError::Fatal {
            venue: VENUE,
            message: format!(
                "{msg} (the plan does not allow this feed or time range: the free plan gets recent SIP data only 15 minutes late; use feed iex)"
            ),
        },
        404 => VenueError::NotFound {
            venue: VENUE,
            what: msg,
        },
        429 => VenueError::RateLimited {
            venue: VENUE,
            retry_after: Duration::from_secs(1),
            message: msg,
        },
        s if s >= 500 => VenueError::Connection {
            venue: VENUE,
            message: msg,
        },
        s => VenueError::Rejected {
            venue: VENUE,
            status: s,
            code: body.code,
            message: msg,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limiter_counts_a_window_and_honours_the_server() {
        let mut l = RateLimiter::new(2);
        let t0 = Instant::now();
        assert!(l.reserve(t0).is_zero());
        assert!(l.reserve(t0).is_zero());
        let wait = l.reserve(t0 + Duration::from_secs(10));
        assert_eq!(wait, Duration::from_secs(50));
        assert!(l.reserve(t0 + Duration::from_secs(61)).is_zero());
        let mut h = HeaderMap::new();
        let reset = unix_now().as_secs() + 5;
        h.insert("x-ratelimit-remaining", "0".parse().unwrap());
        h.insert("x-ratelimit-reset", reset.to_string().parse().unwrap());
        let mut l = RateLimiter::new(200);
        l.observe(&h);
        let wait = l.reserve(Instant::now());
        assert!(
            wait > Duration::from_secs(3) && wait <= Duration::from_secs(5),
            "{wait:?}"
        );
    }
}
