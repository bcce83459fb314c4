//! [`AlpacaUpdates`]: the trade-updates stream (order events), text or binary frames.

use std::collections::VecDeque;

use ploutos_core::order::{ClientOrderId, OrderEvent};
use serde_json::json;

use crate::error::VenueError;
use crate::live::UpdateSession;
use crate::net::{ws_connect, Frames};

use super::config::AlpacaConfig;
use super::wire::{parse_trade_message, TradeStreamMessage, VENUE};

/// One live trade-updates connection (see [`crate::live::UpdateSession`]).
pub struct AlpacaUpdates {
    frames: Frames,
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
        let mut s = AlpacaUpdates {
            // The paper host sends JSON in binary frames: both are the same text.
            frames: Frames::new(ws, VENUE, "trade-updates stream", cfg.idle_timeout)
                .ping_every(cfg.ping_interval)
                .binary_is_text(),
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
        self.frames.send_text(v.to_string()).await
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

    /// The next message; `Ok(None)` on a close frame. Keep-alive is [`Frames`]' job.
    async fn next_message(&mut self) -> Result<Option<TradeStreamMessage>, VenueError> {
        match self.frames.next_text().await? {
            None => Ok(None),
            Some(text) => parse_trade_message(&text).map(Some),
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
