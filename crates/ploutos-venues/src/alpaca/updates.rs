//! [`AlpacaUpdates`]: the trade-updates stream (order events), text or binary frames.

use std::collections::VecDeque;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use ploutos_core::order::{ClientOrderId, OrderEvent};
use serde_json::json;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use crate::error::VenueError;
use crate::live::UpdateSession;
use crate::net::{ws_connect, Ws};

use super::config::AlpacaConfig;
use super::wire::{parse_trade_message, TradeStreamMessage, VENUE};

/// One live trade-updates connection (see [`crate::live::UpdateSession`]).
pub struct AlpacaUpdates {
    ws: Ws,
    idle_timeout: Duration,
    ping_interval: Duration,
    last_frame: Instant,
    next_ping: Instant,
    pending: VecDeque<(ClientOrderId, OrderEvent)>,
}

fn conn(message: String) -> VenueError {
    VenueError::Connection {
        venue: VENUE,
        message,
    }
}

impl AlpacaUpdates {
    /// Connects, authenticates (`{"action":"auth",…}`) and listens to `trade_updates`.
    pub async fn open(cfg: &AlpacaConfig) -> Result<Self, VenueError> {
        let (key, secret) = cfg.keys()?;
        let ws = ws_connect(VENUE, &cfg.trading_ws_url, &[], cfg.request_timeout).await?;
        let now = Instant::now();
        let mut s = AlpacaUpdates {
            ws,
            idle_timeout: cfg.idle_timeout,
            ping_interval: cfg.ping_interval,
            last_frame: now,
            next_ping: now + cfg.ping_interval,
            pending: VecDeque::new(),
        };
        s.send(json!({"action": "auth", "key": key, "secret": secret}))
            .await?;
        match s.handshake_message().await? {
            TradeStreamMessage::Authorization { status, .. } if status == "authorized" => {}
            TradeStreamMessage::Authorization { status, action } => {
                return Err(VenueError::Auth {
                    venue: VENUE,
                    message: format!(
                        "trade-updates stream answered {status} to {action}: check the key and secret (paper keys go with the paper host)"
                    ),
                })
            }
            other => return Err(unexpected("authorization", &other)),
        }
        s.send(json!({"action": "listen", "data": {"streams": ["trade_updates"]}}))
            .await?;
        match s.handshake_message().await? {
            TradeStreamMessage::Listening(streams)
                if streams.iter().any(|x| x == "trade_updates") =>
            {
                Ok(s)
            }
            TradeStreamMessage::Authorization { status, action } => Err(VenueError::Auth {
                venue: VENUE,
                message: format!("trade-updates stream answered {status} to {action}"),
            }),
            other => Err(unexpected("listening [trade_updates]", &other)),
        }
    }

    async fn send(&mut self, v: serde_json::Value) -> Result<(), VenueError> {
        self.ws
            .send(Message::text(v.to_string()))
            .await
            .map_err(|e| conn(format!("sending on the trade-updates stream: {e}")))
    }

    async fn handshake_message(&mut self) -> Result<TradeStreamMessage, VenueError> {
        loop {
            match self.next_message().await? {
                None => {
                    return Err(conn(
                        "the trade-updates stream closed during the handshake".into(),
                    ))
                }
                Some(TradeStreamMessage::Update(u)) => {
                    if let Some(e) = u.to_order_event()? {
                        self.pending.push_back(e);
                    }
                }
                Some(m) => return Ok(m),
            }
        }
    }

    /// The next message; `Ok(None)` on a close frame. Pings every `ping_interval`; silence
    /// for `idle_timeout` → [`VenueError::Silent`].
    async fn next_message(&mut self) -> Result<Option<TradeStreamMessage>, VenueError> {
        loop {
            let idle_at = self.last_frame + self.idle_timeout;
            let wake = idle_at.min(self.next_ping);
            let frame = tokio::select! {
                f = self.ws.next() => f,
                _ = tokio::time::sleep_until(wake) => {
                    let now = Instant::now();
                    if now >= idle_at {
                        return Err(VenueError::Silent { venue: VENUE, after: self.idle_timeout });
                    }
                    if now >= self.next_ping {
                        self.next_ping = now + self.ping_interval;
                        self.ws
                            .send(Message::Ping(Vec::new().into()))
                            .await
                            .map_err(|e| conn(format!("pinging the trade-updates stream: {e}")))?;
                    }
                    continue;
                }
            };
            self.last_frame = Instant::now();
            // The paper host sends JSON in binary frames: both are the same text.
            let text = match frame {
                None => {
                    return Err(conn(
                        "the trade-updates stream ended without a close frame".into(),
                    ))
                }
                Some(Err(e)) => return Err(conn(format!("trade-updates stream: {e}"))),
                Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Ok(Message::Text(t))) => t.to_string(),
                Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                Some(Ok(_)) => continue,
            };
            return parse_trade_message(&text).map(Some);
        }
    }
}

fn unexpected(wanted: &str, got: &TradeStreamMessage) -> VenueError {
    VenueError::Protocol {
        venue: VENUE,
        message: format!("trade-updates handshake: expected {wanted}, got {got:?}"),
    }
}

impl UpdateSession for AlpacaUpdates {
    async fn next_update(&mut self) -> Result<Option<(ClientOrderId, OrderEvent)>, VenueError> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Ok(Some(e));
            }
            match self.next_message().await? {
                None => return Ok(None),
                Some(TradeStreamMessage::Update(u)) => {
                    if let Some(e) = u.to_order_event()? {
                        return Ok(Some(e));
                    }
                }
                Some(TradeStreamMessage::Authorization { status, action })
                    if status != "authorized" =>
                {
                    return Err(VenueError::Auth {
                        venue: VENUE,
                        message: format!("trade-updates stream answered {status} to {action}"),
                    })
                }
                Some(_) => {}
            }
        }
    }
}
