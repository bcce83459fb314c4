//! [`Frames`]: the receive side every venue session shares — text out of a WebSocket, with
//! the keep-alive rules around it.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message;

use super::{excerpt, Ws};
use crate::error::VenueError;

/// One WebSocket connection of a venue session, read as text frames:
/// - a server ping is answered with a pong carrying the same payload (Binance requires it);
/// - with `ping_every`, the client pings the server itself (Alpaca's keep-alive);
/// - nothing at all (no data, ping or pong) for `idle` → [`VenueError::Silent`];
/// - at the planned `deadline` (Binance's 24-hour cut) the connection is closed and the
///   session ends in an orderly way (`Ok(None)`), as on a close frame;
/// - binary frames are text (JSON) where the venue sends them so (Alpaca's paper host),
///   otherwise a protocol error.
pub struct Frames {
    ws: Ws,
    venue: &'static str,
    what: &'static str,
    idle: Duration,
    ping_every: Option<Duration>,
    deadline: Option<Instant>,
    binary_text: bool,
    last_frame: Instant,
    next_ping: Option<Instant>,
}

impl Frames {
    /// `what` names the connection in errors (`market-data stream`, `user-data stream`).
    pub fn new(ws: Ws, venue: &'static str, what: &'static str, idle: Duration) -> Self {
        Frames {
            ws,
            venue,
            what,
            idle,
            ping_every: None,
            deadline: None,
            binary_text: false,
            last_frame: Instant::now(),
            next_ping: None,
        }
    }

    /// The client pings the server every `every`.
    pub fn ping_every(mut self, every: Duration) -> Self {
        self.ping_every = Some(every);
        self.next_ping = Some(Instant::now() + every);
        self
    }

    /// The session ends (orderly) `after` from now.
    pub fn ends_after(mut self, after: Duration) -> Self {
        self.deadline = Some(Instant::now() + after);
        self
    }

    /// Binary frames carry JSON text too.
    pub fn binary_is_text(mut self) -> Self {
        self.binary_text = true;
        self
    }

    fn conn(&self, what: impl std::fmt::Display) -> VenueError {
        VenueError::Connection {
            venue: self.venue,
            message: format!("{}: {what}", self.what),
        }
    }

    /// Sends one text frame.
    pub async fn send_text(&mut self, text: String) -> Result<(), VenueError> {
        let sent = self.ws.send(Message::text(text)).await;
        sent.map_err(|e| self.conn(format_args!("sending: {e}")))
    }

    /// Closes the connection (best effort, bounded: the session ends either way).
    pub async fn close(&mut self) {
        let _ = tokio::time::timeout(Duration::from_millis(200), self.ws.close(None)).await;
    }

    /// The next text frame; `Ok(None)` on a close frame or at the planned end.
    pub async fn next_text(&mut self) -> Result<Option<String>, VenueError> {
        loop {
            let now = Instant::now();
            if self.deadline.is_some_and(|d| now >= d) {
                self.close().await;
                return Ok(None);
            }
            let idle_at = self.last_frame + self.idle;
            let mut wake = idle_at;
            for t in [self.deadline, self.next_ping].into_iter().flatten() {
                wake = wake.min(t);
            }
            let frame = tokio::select! {
                f = self.ws.next() => f,
                _ = tokio::time::sleep_until(wake) => {
                    let now = Instant::now();
                    if self.deadline.is_some_and(|d| now >= d) {
                        continue;
                    }
                    if now >= idle_at {
                        return Err(VenueError::Silent { venue: self.venue, after: self.idle });
                    }
                    if let (Some(at), Some(every)) = (self.next_ping, self.ping_every) {
                        if now >= at {
                            self.next_ping = Some(now + every);
                            let sent = self.ws.send(Message::Ping(Vec::new().into())).await;
                            sent.map_err(|e| self.conn(format_args!("pinging: {e}")))?;
                        }
                    }
                    continue;
                }
            };
            self.last_frame = Instant::now();
            match frame {
                None => return Err(self.conn("ended without a close frame")),
                Some(Err(e)) => return Err(self.conn(e)),
                Some(Ok(Message::Close(_))) => return Ok(None),
                Some(Ok(Message::Text(t))) => return Ok(Some(t.to_string())),
                Some(Ok(Message::Binary(b))) => {
                    let text = String::from_utf8(b.to_vec()).map_err(|e| VenueError::Protocol {
                        venue: self.venue,
                        message: format!(
                            "{}: a binary frame that is not UTF-8 text: {e}: {}",
                            self.what,
                            excerpt(&String::from_utf8_lossy(e.as_bytes()), 120)
                        ),
                    })?;
                    if !self.binary_text {
                        return Err(VenueError::Protocol {
                            venue: self.venue,
                            message: format!(
                                "{}: unexpected binary frame: {}",
                                self.what,
                                excerpt(&text, 120)
                            ),
                        });
                    }
                    return Ok(Some(text));
                }
                Some(Ok(Message::Ping(p))) => {
                    let sent = self.ws.send(Message::Pong(p)).await;
                    sent.map_err(|e| self.conn(format_args!("answering a ping: {e}")))?;
                }
                Some(Ok(Message::Pong(_) | Message::Frame(_))) => {}
            }
        }
    }
}
