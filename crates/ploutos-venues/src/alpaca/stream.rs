//! [`AlpacaStream`]: one market-data stream connection (connected → auth → subscribe →
//! bars), with client-driven keep-alive and de-duplication of bars.

use std::collections::{HashMap, VecDeque};

use ploutos_core::{Symbol, Timeframe, Timestamp};
use serde_json::json;

use crate::error::VenueError;
use crate::live::{BarSession, StreamEvent, Subscription};
use crate::net::{ws_connect, Frames};

use super::config::AlpacaConfig;
use super::wire::{parse_data_frame, BarKind, DataMessage, VENUE};

/// One live market-data connection (see [`crate::live::BarSession`]).
pub struct AlpacaStream {
    frames: Frames,
    pending: VecDeque<StreamEvent>,
    /// The feed (for error messages).
    feed: String,
    /// Symbols subscribed (for error messages).
    symbols: usize,
    /// Start time of the last minute bar delivered per symbol: a bar at or before it is a
    /// duplicate (bars of one symbol arrive in time order).
    last_bar: HashMap<Symbol, Timestamp>,
}

fn conn(message: String) -> VenueError {
    VenueError::Connection {
        venue: VENUE,
        message,
    }
}

/// What a stream `error` message means for this client.
pub(crate) fn stream_error(code: i64, msg: &str, feed: &str, symbols: usize) -> VenueError {
    let fatal = |message: String| VenueError::Fatal {
        venue: VENUE,
        message,
    };
    let said = format!("stream error {code} {msg:?}");
    match code {
        402 => VenueError::Auth {
            venue: VENUE,
            message: format!("{said}: the market-data stream refused the key and secret"),
        },
        406 => fatal(format!(
            "{said}: another client holds this account's market-data stream (most plans allow one connection); stop it and retry"
        )),
        408 => fatal(format!("{said}: the account has no market data v2 access")),
        409 => fatal(format!(
            "{said}: feed {feed} not included in your plan: use feed iex"
        )),
        410 => fatal(format!(
            "{said}: a channel asked for is not available on feed {feed}"
        )),
        411 => fatal(format!("{said}: the key lacks the stream scope")),
        405 => fatal(format!(
            "{said}: subscribing {symbols} symbols exceeds the plan's symbol limit; subscribe fewer"
        )),
        400 | 401 => VenueError::Protocol {
            venue: VENUE,
            message: format!("{said}: the server did not accept a message of this client"),
        },
        404 => conn(format!("{said}: not authenticated in time after connecting")),
        407 => conn(format!("{said}: this client read too slowly")),
        _ => conn(said),
    }
}

impl AlpacaStream {
    /// Connects, authenticates and subscribes to `sub` (1-minute bars, plus trades and, when
    /// configured, quotes), returning once the server confirmed the subscription.
    pub async fn open(cfg: &AlpacaConfig, sub: &Subscription) -> Result<Self, VenueError> {
        let (key, secret) = cfg.keys()?;
        let headers: Vec<(&str, &str)> = if cfg.header_auth {
            vec![("APCA-API-KEY-ID", key), ("APCA-API-SECRET-KEY", secret)]
        } else {
            Vec::new()
        };
        let ws = ws_connect(VENUE, &cfg.data_ws_url, &headers, cfg.request_timeout).await?;
        let mut s = AlpacaStream {
            frames: Frames::new(ws, VENUE, "market-data stream", cfg.idle_timeout)
                .ping_every(cfg.ping_interval)
                .binary_is_text(),
            pending: VecDeque::new(),
            feed: cfg.stream_feed().to_string(),
            symbols: sub.symbols.len(),
            last_bar: HashMap::new(),
        };
        s.expect_success("connected", cfg, sub.symbols.len())
            .await?;
        s.authenticate(cfg, sub.symbols.len()).await?;
        s.subscribe(cfg, sub).await?;
        Ok(s)
    }

    async fn send(&mut self, v: serde_json::Value) -> Result<(), VenueError> {
        self.frames.send_text(v.to_string()).await
    }

    /// The next control message during the handshake (data messages are kept for later).
    async fn control(&mut self) -> Result<DataMessage, VenueError> {
        loop {
            let Some(msgs) = self.next_messages().await? else {
                return Err(conn(
                    "the server closed the stream during the handshake".into(),
                ));
            };
            let mut found = None;
            for m in msgs {
                match m {
                    DataMessage::Success(_)
                    | DataMessage::Error { .. }
                    | DataMessage::Subscription(_)
                        if found.is_none() =>
                    {
                        found = Some(m)
                    }
                    other => self.queue(other),
                }
            }
            if let Some(m) = found {
                return Ok(m);
            }
        }
    }

    async fn expect_success(
        &mut self,
        what: &str,
        cfg: &AlpacaConfig,
        symbols: usize,
    ) -> Result<(), VenueError> {
        match self.control().await? {
            DataMessage::Success(m) if m == what => Ok(()),
            DataMessage::Error { code, msg } => {
                Err(stream_error(code, &msg, cfg.stream_feed(), symbols))
            }
            other => Err(VenueError::Protocol {
                venue: VENUE,
                message: format!("expected success {what:?}, got {other:?}"),
            }),
        }
    }

    /// Auth (message or headers). `406 connection limit exceeded` is retried on the same
    /// connection with a growing delay (the official SDK's rule), then fatal.
    async fn authenticate(&mut self, cfg: &AlpacaConfig, symbols: usize) -> Result<(), VenueError> {
        let (key, secret) = cfg.keys()?;
        let auth = json!({"action": "auth", "key": key, "secret": secret});
        if !cfg.header_auth {
            self.send(auth.clone()).await?;
        }
        let mut attempt = 0u32;
        loop {
            match self.control().await? {
                DataMessage::Success(m) if m == "authenticated" => return Ok(()),
                // 403 already authenticated: we are.
                DataMessage::Error { code: 403, .. } => return Ok(()),
                DataMessage::Error { code: 406, msg } => {
                    attempt += 1;
                    if attempt >= cfg.max_auth_attempts {
                        return Err(VenueError::Fatal {
                            venue: VENUE,
                            message: format!(
                                "stream error 406 {msg:?} after {attempt} auth attempts: another client holds this account's market-data stream; stop it and retry"
                            ),
                        });
                    }
                    let delay = cfg
                        .auth_retry_step
                        .saturating_mul(attempt)
                        .min(cfg.auth_retry_cap);
                    tokio::time::sleep(delay).await;
                    // A server that closed after 406 makes this a connection error: the
                    // caller reconnects with its back-off.
                    self.send(auth.clone()).await.map_err(|e| {
                        conn(format!(
                            "stream error 406 {msg:?}, then the server closed: {e}"
                        ))
                    })?;
                }
                DataMessage::Error { code, msg } => {
                    return Err(stream_error(code, &msg, cfg.stream_feed(), symbols))
                }
                other => {
                    return Err(VenueError::Protocol {
                        venue: VENUE,
                        message: format!("expected success \"authenticated\", got {other:?}"),
                    })
                }
            }
        }
    }

    async fn subscribe(
        &mut self,
        cfg: &AlpacaConfig,
        sub: &Subscription,
    ) -> Result<(), VenueError> {
        if sub.timeframe != Timeframe::M1 {
            return Err(VenueError::Config {
                venue: VENUE,
                message: format!(
                    "the stream has 1-minute bars only, not {}: subscribe 1m and aggregate",
                    sub.timeframe
                ),
            });
        }
        let names: Vec<&str> = sub.symbols.iter().map(Symbol::as_str).collect();
        let mut msg = json!({"action": "subscribe", "bars": names, "updatedBars": names});
        if sub.trades {
            msg["trades"] = json!(names);
        }
        if cfg.quotes {
            msg["quotes"] = json!(names);
        }
        self.send(msg).await?;
        match self.control().await? {
            DataMessage::Subscription(ack) => {
                let wildcard = ack.bars.iter().any(|s| s == "*");
                if let Some(missing) = names
                    .iter()
                    .find(|n| !wildcard && !ack.bars.iter().any(|b| b == *n))
                {
                    return Err(VenueError::Protocol {
                        venue: VENUE,
                        message: format!(
                            "subscription ack lacks bars for {missing}: bars = {:?}",
                            ack.bars
                        ),
                    });
                }
                Ok(())
            }
            DataMessage::Error { code, msg } => {
                Err(stream_error(code, &msg, cfg.stream_feed(), names.len()))
            }
            other => Err(VenueError::Protocol {
                venue: VENUE,
                message: format!("expected the subscription ack, got {other:?}"),
            }),
        }
    }

    /// Turns a data message into an event (or nothing) and queues it.
    fn queue(&mut self, m: DataMessage) {
        let event = match m {
            DataMessage::Bar {
                kind: BarKind::Minute,
                symbol,
                bar,
            } => {
                let t = bar.time();
                match self.last_bar.get(&symbol) {
                    Some(last) if t <= *last => None,
                    _ => {
                        self.last_bar.insert(symbol.clone(), t);
                        Some(StreamEvent::Bar {
                            symbol,
                            timeframe: Timeframe::M1,
                            bar,
                        })
                    }
                }
            }
            DataMessage::Bar {
                kind: BarKind::Updated,
                symbol,
                bar,
            } => Some(StreamEvent::Forming {
                symbol,
                timeframe: Timeframe::M1,
                bar,
            }),
            DataMessage::Trade { symbol, trade } => Some(StreamEvent::Trade { symbol, trade }),
            DataMessage::Quote {
                symbol,
                bid,
                ask,
                time,
            } => Some(StreamEvent::Quote {
                symbol,
                bid,
                ask,
                time,
            }),
            _ => None,
        };
        if let Some(e) = event {
            self.pending.push_back(e);
        }
    }

    /// The messages of the next frame. `Ok(None)`: close frame. Keep-alive (client pings,
    /// silence → [`VenueError::Silent`]) is [`Frames`]' job.
    async fn next_messages(&mut self) -> Result<Option<Vec<DataMessage>>, VenueError> {
        match self.frames.next_text().await? {
            None => Ok(None),
            Some(text) => parse_data_frame(&text).map(Some),
        }
    }
}

impl BarSession for AlpacaStream {
    async fn next_event(&mut self) -> Result<Option<StreamEvent>, VenueError> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Ok(Some(e));
            }
            let Some(msgs) = self.next_messages().await? else {
                return Ok(None);
            };
            for m in msgs {
                if let DataMessage::Error { code, msg } = m {
                    return Err(stream_error(code, &msg, &self.feed, self.symbols));
                }
                self.queue(m);
            }
        }
    }
}
