//! The user-data session over the WebSocket API: `userDataStream.subscribe.signature`, then
//! `executionReport` events mapped to [`OrderEvent`]s (listenKeys are retired).

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use ploutos_core::order::{ClientOrderId, Fill, Liquidity, OrderEvent};
use ploutos_core::Decimal;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

use crate::error::VenueError;
use crate::live::UpdateSession;
use crate::net::{ws_connect, Frames, Ws};

use super::sign::sign_ws_api;
use super::types::{millis, parse_api_frame, protocol, ApiFrame, ExecutionReport};
use super::{Binance, VENUE};

/// The request id of the subscription.
const SUBSCRIBE_ID: &str = "ploutos-user-data";

/// One user-data connection (see [`UpdateSession`]).
pub struct BinanceUpdates {
    frames: Frames,
}

impl std::fmt::Debug for BinanceUpdates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BinanceUpdates").finish_non_exhaustive()
    }
}

fn conn_err(e: impl std::fmt::Display) -> VenueError {
    VenueError::Connection {
        venue: VENUE,
        message: format!("user-data stream: {e}"),
    }
}

impl Binance {
    /// Connects to the WebSocket API and subscribes to the account's user data with a
    /// signed `userDataStream.subscribe.signature`.
    pub async fn connect_updates(&self) -> Result<BinanceUpdates, VenueError> {
        let cfg = &self.inner.cfg;
        let missing = |what: &str| VenueError::Config {
            venue: VENUE,
            message: format!("the user-data stream needs {what}"),
        };
        let key = cfg
            .api_key
            .clone()
            .ok_or_else(|| missing("BINANCE_API_KEY"))?;
        let secret = cfg
            .secret_key
            .clone()
            .ok_or_else(|| missing("BINANCE_SECRET_KEY"))?;
        if !self.inner.state().synced {
            self.inner.sync_time().await?;
        }
        let mut ws = ws_connect(VENUE, &cfg.ws_api_url, &[], cfg.request_timeout).await?;
        let timestamp = self.inner.server_ms();
        let params = [
            ("apiKey", key.clone()),
            ("recvWindow", cfg.recv_window_ms.to_string()),
            ("timestamp", timestamp.to_string()),
        ];
        let signature = sign_ws_api(&secret, &params)?;
        let req = json!({
            "id": SUBSCRIBE_ID,
            "method": "userDataStream.subscribe.signature",
            "params": {"apiKey": key, "recvWindow": cfg.recv_window_ms, "timestamp": timestamp, "signature": signature},
        });
        ws.send(Message::text(req.to_string()))
            .await
            .map_err(conn_err)?;
        await_subscribed(&mut ws, cfg.request_timeout).await?;
        Ok(BinanceUpdates {
            frames: Frames::new(ws, VENUE, "user-data stream", cfg.idle_timeout)
                .ends_after(cfg.reconnect_before),
        })
    }
}

async fn await_subscribed(ws: &mut Ws, timeout: Duration) -> Result<(), VenueError> {
    let deadline = Instant::now() + timeout;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = match tokio::time::timeout(left, ws.next()).await {
            Err(_) => {
                return Err(conn_err(format_args!(
                    "no answer to the subscription within {timeout:?}"
                )))
            }
            Ok(None) => return Err(conn_err("closed before answering the subscription")),
            Ok(Some(Err(e))) => return Err(conn_err(e)),
            Ok(Some(Ok(m))) => m,
        };
        match msg {
            Message::Ping(p) => ws.send(Message::Pong(p)).await.map_err(conn_err)?,
            Message::Text(t) => {
                if let ApiFrame::Response {
                    id, status, error, ..
                } = parse_api_frame(&t)?
                {
                    if id != SUBSCRIBE_ID {
                        continue;
                    }
                    return match error {
                        None if status == 200 => Ok(()),
                        None => Err(protocol(
                            format_args!("subscription answered status {status}"),
                            &t,
                        )),
                        Some(e) if matches!(e.code, -1022 | -2014 | -2015) || status == 401 => {
                            Err(VenueError::Auth {
                                venue: VENUE,
                                message: format!(
                                    "userDataStream.subscribe.signature: {} (code {})",
                                    e.msg, e.code
                                ),
                            })
                        }
                        Some(e) => Err(VenueError::Rejected {
                            venue: VENUE,
                            status,
                            code: Some(e.code),
                            message: format!("userDataStream.subscribe.signature: {}", e.msg),
                        }),
                    };
                }
            }
            Message::Close(f) => {
                return Err(conn_err(format_args!(
                    "closed before answering the subscription: {f:?}"
                )))
            }
            _ => {}
        }
    }
}

/// An execution report as `(client order id, event)`; `None` for execution types that do
/// not change the order's life cycle (`REPLACED`, prevented trades that leave it working).
pub fn execution_event(
    r: &ExecutionReport,
    raw: &str,
) -> Result<Option<(ClientOrderId, OrderEvent)>, VenueError> {
    let time = millis(r.transaction_time, "transaction time T", raw)?;
    // A cancel carries the cancel request's id in `c` and the order's own id in `C`.
    let own = if r.execution_type == "CANCELED" && !r.orig_client_order_id.is_empty() {
        &r.orig_client_order_id
    } else {
        &r.client_order_id
    };
    let id = ClientOrderId::new(own).map_err(|e| protocol(e, raw))?;
    let event = match r.execution_type.as_str() {
        "NEW" => OrderEvent::Accepted { time },
        "TRADE" => {
            if r.trade_id < 0 {
                return Err(protocol(
                    format_args!("TRADE without a trade id (t {})", r.trade_id),
                    raw,
                ));
            }
            let leaves = if r.status == "FILLED" {
                Decimal::ZERO
            } else {
                (r.quantity - r.cumulative_qty).max(Decimal::ZERO)
            };
            OrderEvent::Filled(Fill {
                id: r.trade_id.to_string().into(),
                time,
                price: r.last_price,
                quantity: r.last_qty,
                fee: r.commission,
                liquidity: if r.maker {
                    Liquidity::Maker
                } else {
                    Liquidity::Taker
                },
                leaves,
            })
        }
        "CANCELED" => OrderEvent::Canceled { time },
        "REJECTED" => OrderEvent::Rejected {
            time,
            reason: r.reject_reason.clone(),
        },
        "EXPIRED" => OrderEvent::Expired { time },
        "TRADE_PREVENTION" if r.status == "EXPIRED_IN_MATCH" => OrderEvent::Expired { time },
        "REPLACED" | "TRADE_PREVENTION" => return Ok(None),
        other => {
            return Err(protocol(
                format_args!("unknown execution type {other:?}"),
                raw,
            ))
        }
    };
    Ok(Some((id, event)))
}

impl UpdateSession for BinanceUpdates {
    async fn next_update(&mut self) -> Result<Option<(ClientOrderId, OrderEvent)>, VenueError> {
        // Pings, silence and the 24 h cut are [`Frames`]' job.
        while let Some(t) = self.frames.next_text().await? {
            match parse_api_frame(&t)? {
                ApiFrame::Execution(r) => {
                    if let Some(update) = execution_event(&r, &t)? {
                        return Ok(Some(update));
                    }
                }
                ApiFrame::ServerShutdown | ApiFrame::Terminated => return Ok(None),
                ApiFrame::Response { .. } | ApiFrame::Other(_) => {}
            }
        }
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const TRADE: &str = r#"{"e":"executionReport","E":1,"s":"BTCUSDT","c":"web_1","S":"BUY","o":"LIMIT","f":"GTC","q":"1.00000000","p":"100.0","P":"0","F":"0","g":-1,"C":"","x":"TRADE","X":"PARTIALLY_FILLED","r":"NONE","i":7,"l":"0.40000000","z":"0.40000000","L":"100.0","n":"0.04","N":"USDT","T":1499405658657,"t":55,"I":9,"w":true,"m":true,"M":true,"O":1,"Z":"40","Y":"40","Q":"0","W":1,"V":"NONE"}"#;

    fn event(raw: &str) -> Result<Option<(ClientOrderId, OrderEvent)>, VenueError> {
        match parse_api_frame(raw)? {
            ApiFrame::Execution(r) => execution_event(&r, raw),
            _ => Ok(None),
        }
    }

    #[test]
    fn execution_reports_map_to_order_events() {
        let (id, ev) = event(TRADE).unwrap().unwrap();
        assert_eq!(id.as_str(), "web_1");
        let OrderEvent::Filled(f) = ev else {
            panic!("{ev:?}")
        };
        assert_eq!(&*f.id, "55");
        assert_eq!(f.leaves, Decimal::new(6, 1));
        assert_eq!(f.liquidity, Liquidity::Maker);
        let cancel = TRADE
            .replace(
                r#""x":"TRADE","X":"PARTIALLY_FILLED""#,
                r#""x":"CANCELED","X":"CANCELED""#,
            )
            .replace(r#""c":"web_1""#, r#""c":"cxl-9""#)
            .replace(r#""C":"""#, r#""C":"web_1""#);
        let (id, ev) = event(&cancel).unwrap().unwrap();
        assert_eq!((id.as_str(), ev.name()), ("web_1", "cancel"));
        let rejected = TRADE
            .replace(r#""x":"TRADE""#, r#""x":"REJECTED""#)
            .replace(r#""r":"NONE""#, r#""r":"INSUFFICIENT_BALANCES""#);
        assert!(
            matches!(event(&rejected).unwrap(), Some((_, OrderEvent::Rejected { reason, .. })) if reason == "INSUFFICIENT_BALANCES")
        );
        assert!(event(&TRADE.replace(r#""x":"TRADE""#, r#""x":"BOGUS""#)).is_err());
        assert!(event(&TRADE.replace(r#""t":55"#, r#""t":-1"#)).is_err());
        assert!(event(&TRADE.replace(r#""c":"web_1""#, r#""c":"bad id with spaces""#)).is_err());
    }

    proptest! {
        #[test]
        fn mutated_reports_never_panic(i in 0..TRADE.len(), b in any::<u8>(), cut in any::<bool>()) {
            let mut bytes = TRADE.as_bytes().to_vec();
            if cut { bytes.truncate(i) } else { bytes[i] = b }
            let _ = event(&String::from_utf8_lossy(&bytes));
        }
    }
}
