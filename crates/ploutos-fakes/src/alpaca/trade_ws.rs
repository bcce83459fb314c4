//! The fake's trade-updates stream (`/stream`): both auth forms, `listen`, events from the
//! order book, binary frames like the paper host.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};
use tokio::sync::broadcast::error::RecvError;

use super::Shared;

pub(crate) async fn stream(State(shared): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| run(shared, socket))
}

async fn send(shared: &Shared, ws: &mut WebSocket, v: Value) -> bool {
    let text = v.to_string();
    let msg = if shared.cfg.binary_trade_frames {
        Message::Binary(text.into_bytes().into())
    } else {
        Message::Text(text.into())
    };
    ws.send(msg).await.is_ok()
}

fn credentials(v: &Value) -> Option<(String, String)> {
    let s = |x: Option<&Value>| x.and_then(Value::as_str).map(str::to_string);
    match v.get("action").and_then(Value::as_str)? {
        "auth" => Some((s(v.get("key"))?, s(v.get("secret"))?)),
        "authenticate" => {
            let d = v.get("data")?;
            Some((s(d.get("key_id"))?, s(d.get("secret_key"))?))
        }
        _ => None,
    }
}

async fn run(shared: Arc<Shared>, mut ws: WebSocket) {
    let mut signals = shared.signals.subscribe();
    let start = *signals.borrow();
    let mut updates = shared.updates.subscribe();
    let mut authed = false;
    let mut listening = false;
    loop {
        let now = *signals.borrow();
        if now.drop_gen != start.drop_gen {
            return;
        }
        if now.close_gen != start.close_gen {
            let _ = ws.send(Message::Close(None)).await;
            return;
        }
        if now.silent {
            if signals.changed().await.is_err() {
                return;
            }
            continue;
        }
        tokio::select! {
            changed = signals.changed() => if changed.is_err() { return },
            msg = ws.recv() => {
                let text = match msg {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                    Some(Ok(Message::Text(t))) => t.to_string(),
                    Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                    Some(Ok(_)) => continue,
                };
                let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let action = v.get("action").and_then(Value::as_str).unwrap_or("");
                let answer = match action {
                    "auth" | "authenticate" => {
                        let ok = credentials(&v).is_some_and(|(k, s)| k == shared.cfg.key_id && s == shared.cfg.secret_key);
                        authed = ok;
                        json!({"stream": "authorization", "data": {"status": if ok { "authorized" } else { "unauthorized" }, "action": "authenticate"}})
                    }
                    "listen" if !authed => json!({"stream": "authorization", "data": {"status": "unauthorized", "action": "listen"}}),
                    "listen" => {
                        let streams: Vec<String> = v.pointer("/data/streams").and_then(Value::as_array)
                            .map(|a| a.iter().filter_map(Value::as_str).map(str::to_string).collect())
                            .unwrap_or_default();
                        listening = streams.iter().any(|s| s == "trade_updates");
                        json!({"stream": "listening", "data": {"streams": streams}})
                    }
                    _ => json!({"stream": "error", "data": {"error_message": "invalid action"}}),
                };
                if !send(&shared, &mut ws, answer).await {
                    return;
                }
            }
            event = updates.recv() => match event {
                Ok(v) => if listening && !send(&shared, &mut ws, v).await { return },
                Err(RecvError::Lagged(_)) => {}
                Err(RecvError::Closed) => return,
            },
        }
    }
}
