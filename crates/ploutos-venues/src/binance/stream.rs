//! The market-stream session: one WebSocket, combined (`/stream?streams=a/b`) or
//! `/ws` + SUBSCRIBE; pings answered with the same payload; silence, `serverShutdown` and
//! the 24 h cut handled; closed klines deduplicated by open time.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use ploutos_core::{Symbol, Timeframe, Timestamp};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::error::VenueError;
use crate::live::{BarSession, StreamEvent, Subscription};
use crate::net::{excerpt, ws_connect, Frames, Ws};

use super::client::interval_or_err;
use super::types::{parse_stream_frame, protocol, StreamFrame};
use super::{Binance, VENUE};

/// How a session asks for its streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubscribeMode {
    /// All streams in the URL: `/stream?streams=a/b/c` (frames wrapped in `{"stream","data"}`).
    Combined,
    /// `/ws`, then `{"method":"SUBSCRIBE","params":[..],"id":N}` and wait for `{"result":null,"id":N}`.
    Subscribe,
}

/// One market-stream connection (see [`BarSession`]).
pub struct BinanceStream {
    frames: Frames,
    timeframe: Timeframe,
    interval: &'static str,
    symbols: HashMap<String, Symbol>,
    last_closed: HashMap<String, i64>,
}

impl std::fmt::Debug for BinanceStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinanceStream")
            .field("timeframe", &self.timeframe)
            .field("symbols", &self.symbols.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// The stream names of `sub` (`btcusdt@kline_1m`, `btcusdt@trade`).
pub fn stream_names(sub: &Subscription) -> Result<Vec<String>, VenueError> {
    let interval = interval_or_err(sub.timeframe)?;
    let mut names = Vec::new();
    for s in &sub.symbols {
        let lower = s.as_str().to_ascii_lowercase();
        names.push(format!("{lower}@kline_{interval}"));
        if sub.trades {
            names.push(format!("{lower}@trade"));
        }
    }
    if names.is_empty() {
        return Err(VenueError::Config {
            venue: VENUE,
            message: "a subscription without symbols".into(),
        });
    }
    Ok(names)
}

fn conn_err(e: impl std::fmt::Display) -> VenueError {
    VenueError::Connection {
        venue: VENUE,
        message: format!("market stream: {e}"),
    }
}

impl Binance {
    /// Opens a market-stream session for `sub` the given way.
    pub async fn connect_stream(
        &self,
        sub: &Subscription,
        mode: SubscribeMode,
    ) -> Result<BinanceStream, VenueError> {
        let cfg = &self.inner.cfg;
        let names = stream_names(sub)?;
        let base = cfg.ws_url.trim_end_matches('/');
        let url = match mode {
            SubscribeMode::Combined => format!("{base}/stream?streams={}", names.join("/")),
            SubscribeMode::Subscribe => format!("{base}/ws"),
        };
        let mut ws = ws_connect(VENUE, &url, &[], cfg.request_timeout).await?;
        if mode == SubscribeMode::Subscribe {
            subscribe(&mut ws, &names, cfg.request_timeout).await?;
        }
        Ok(BinanceStream {
            frames: Frames::new(ws, VENUE, "market stream", cfg.idle_timeout)
                .ends_after(cfg.reconnect_before),
            timeframe: sub.timeframe,
            interval: interval_or_err(sub.timeframe)?,
            symbols: sub
                .symbols
                .iter()
                .map(|s| (s.as_str().to_ascii_uppercase(), s.clone()))
                .collect(),
            last_closed: HashMap::new(),
        })
    }
}

/// Sends SUBSCRIBE and waits for its confirmation (answering pings meanwhile).
async fn subscribe(ws: &mut Ws, names: &[String], timeout: Duration) -> Result<(), VenueError> {
    let id = 1_i64;
    let req = json!({"method": "SUBSCRIBE", "params": names, "id": id});
    ws.send(Message::text(req.to_string()))
        .await
        .map_err(conn_err)?;
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = match tokio::time::timeout(left, ws.next()).await {
            Err(_) => {
                return Err(conn_err(format_args!(
                    "no answer to SUBSCRIBE within {timeout:?}"
                )))
            }
            Ok(None) => return Err(conn_err("closed before answering SUBSCRIBE")),
            Ok(Some(Err(e))) => return Err(conn_err(e)),
            Ok(Some(Ok(m))) => m,
        };
        match msg {
            Message::Ping(p) => ws.send(Message::Pong(p)).await.map_err(conn_err)?,
            Message::Text(t) => match parse_stream_frame(&t)? {
                StreamFrame::Response { id: rid, result } if rid == id => {
                    if result.is_null() {
                        return Ok(());
                    }
                    return Err(protocol("SUBSCRIBE answered with a non-null result", &t));
                }
                StreamFrame::Error { code, msg, .. } => {
                    return Err(VenueError::Fatal {
                        venue: VENUE,
                        message: format!("SUBSCRIBE {names:?} refused: {msg} (code {code})"),
                    })
                }
                _ => {}
            },
            Message::Close(_) => return Err(conn_err("closed before answering SUBSCRIBE")),
            _ => {}
        }
    }
}

impl BinanceStream {
    /// What a text frame means for the caller: `Ok(Some)` an event, `Ok(None)` nothing to
    /// deliver (a subscription answer, a duplicate closed bar, another stream type),
    /// `Err(None)` the server announced its shutdown.
    fn on_text(&mut self, raw: &str) -> Result<Option<StreamEvent>, Option<VenueError>> {
        let frame = parse_stream_frame(raw).map_err(Some)?;
        match frame {
            StreamFrame::Kline(k) => {
                let symbol = self.symbol(&k.symbol, raw)?;
                if k.kline.interval != self.interval {
                    return Err(Some(protocol(
                        format_args!(
                            "kline of interval {} on a {} subscription",
                            k.kline.interval, self.interval
                        ),
                        raw,
                    )));
                }
                let bar = k.kline.to_bar(raw).map_err(Some)?;
                if !k.kline.closed {
                    return Ok(Some(StreamEvent::Forming {
                        symbol,
                        timeframe: self.timeframe,
                        bar,
                    }));
                }
                let last = self.last_closed.entry(k.symbol.clone()).or_insert(i64::MIN);
                if k.kline.open_time <= *last {
                    return Ok(None);
                }
                *last = k.kline.open_time;
                Ok(Some(StreamEvent::Bar {
                    symbol,
                    timeframe: self.timeframe,
                    bar,
                }))
            }
            StreamFrame::Trade(t) => {
                let symbol = self.symbol(&t.symbol, raw)?;
                let trade = t.to_trade(raw).map_err(Some)?;
                Ok(Some(StreamEvent::Trade { symbol, trade }))
            }
            StreamFrame::BookTicker(b) => {
                let symbol = self.symbol(&b.symbol, raw)?;
                let time =
                    Timestamp::from_millis(super::rest::local_ms()).unwrap_or(Timestamp::EPOCH);
                Ok(Some(StreamEvent::Quote {
                    symbol,
                    bid: b.bid,
                    ask: b.ask,
                    time,
                }))
            }
            StreamFrame::Error { code, msg, .. } => Err(Some(VenueError::Protocol {
                venue: VENUE,
                message: format!("market stream error {code}: {}", excerpt(&msg, 200)),
            })),
            StreamFrame::ServerShutdown => Err(None),
            StreamFrame::AggTrade(_) | StreamFrame::Response { .. } | StreamFrame::Other(_) => {
                Ok(None)
            }
        }
    }

    fn symbol(&self, s: &str, raw: &str) -> Result<Symbol, Option<VenueError>> {
        self.symbols
            .get(&s.to_ascii_uppercase())
            .cloned()
            .ok_or_else(|| {
                Some(protocol(
                    format_args!("data for symbol {s:?}, which was not subscribed"),
                    raw,
                ))
            })
    }

    async fn close_quietly(&mut self) {
        self.frames.close().await;
    }
}

impl BarSession for BinanceStream {
    async fn next_event(&mut self) -> Result<Option<StreamEvent>, VenueError> {
        // Pings, silence and the 24 h cut are [`Frames`]' job.
        while let Some(t) = self.frames.next_text().await? {
            match self.on_text(&t) {
                Ok(Some(ev)) => return Ok(Some(ev)),
                Ok(None) => {}
                Err(Some(e)) => return Err(e),
                Err(None) => {
                    self.close_quietly().await;
                    return Ok(None);
                }
            }
        }
        Ok(None)
    }
}
