//! The WebSocket API (`/ws-api/v3`): `userDataStream.subscribe.signature` (signature and
//! timestamp checked), then every order change as `{"subscriptionId":N,"event":{...}}`.

use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::State;
use axum::response::Response;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use tokio::sync::broadcast::error::RecvError;

use super::market::Pinger;
use super::rest::check_timestamp;
use super::{Shared, StreamCmd};

/// Lower-case hex HMAC-SHA256.
pub(crate) fn hmac_hex(secret: &str, payload: &str) -> String {
    match <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()) {
        Ok(mut mac) => {
            mac.update(payload.as_bytes());
            hex::encode(mac.finalize().into_bytes())
        }
        // HMAC takes keys of any length; this cannot happen, and an empty signature never
        // matches.
        Err(_) => String::new(),
    }
}

/// `/ws-api/v3`.
pub(crate) async fn ws_api(State(sh): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| run(socket, sh))
}

fn error(id: &Value, status: u16, code: i64, msg: &str) -> Value {
    json!({"id": id, "status": status, "error": {"code": code, "msg": msg}})
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Answers one request; `Some(id)` when a subscription started.
fn request(sh: &Shared, raw: &str, next_sub: &mut u64) -> (Value, Option<u64>) {
    let Ok(v) = serde_json::from_str::<Value>(raw) else {
        return (
            error(
                &Value::Null,
                400,
                -1100,
                "Illegal characters found in a parameter.",
            ),
            None,
        );
    };
    let id = v.get("id").cloned().unwrap_or(Value::Null);
    let method = v.get("method").and_then(Value::as_str).unwrap_or("");
    let params = v
        .get("params")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    match method {
        "ping" => (json!({"id": id, "status": 200, "result": {}}), None),
        "time" => (
            json!({"id": id, "status": 200, "result": {"serverTime": sh.server_ms()}}),
            None,
        ),
        "userDataStream.subscribe.signature" => {
            if params.get("apiKey").and_then(Value::as_str) != Some(sh.cfg.api_key.as_str()) {
                return (
                    error(
                        &id,
                        401,
                        -2015,
                        "Invalid API-key, IP, or permissions for action.",
                    ),
                    None,
                );
            }
            let mut pairs: Vec<(String, String)> = params
                .iter()
                .filter(|(k, _)| k.as_str() != "signature")
                .map(|(k, v)| (k.clone(), text(v)))
                .collect();
            pairs.sort();
            let payload = pairs
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("&");
            let sig = params
                .get("signature")
                .and_then(Value::as_str)
                .unwrap_or("");
            if !sig.eq_ignore_ascii_case(&hmac_hex(&sh.cfg.secret_key, &payload)) {
                return (
                    error(&id, 400, -1022, "Signature for this request is not valid."),
                    None,
                );
            }
            let ts = params.get("timestamp").map(text);
            let window = params.get("recvWindow").map(text);
            if let Err((status, body)) = check_timestamp(sh, ts.as_deref(), window.as_deref()) {
                let code = body.get("code").and_then(Value::as_i64).unwrap_or(-1021);
                let msg = body.get("msg").and_then(Value::as_str).unwrap_or("");
                return (error(&id, status, code, msg), None);
            }
            let sub = *next_sub;
            *next_sub += 1;
            (
                json!({"id": id, "status": 200, "result": {"subscriptionId": sub}}),
                Some(sub),
            )
        }
        other => (
            error(&id, 400, -1100, &format!("Unknown method {other}")),
            None,
        ),
    }
}

async fn run(mut socket: WebSocket, sh: Arc<Shared>) {
    let mut cmds = sh.cmd_tx.subscribe();
    let mut events = sh.user_tx.subscribe();
    let mut pinger = Pinger::new(&sh);
    let mut ping = tokio::time::interval_at(
        tokio::time::Instant::now() + pinger.interval(),
        pinger.interval(),
    );
    let lifetime = sh.ctl().lifetime;
    let end = lifetime.map(|l| tokio::time::Instant::now() + l);
    let mut subs: Vec<u64> = Vec::new();
    let mut next_sub = 0;
    loop {
        let until_end = async {
            match end {
                Some(e) => tokio::time::sleep_until(e).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = until_end => {
                let _ = socket.send(Message::Close(None)).await;
                return;
            }
            cmd = cmds.recv() => match cmd {
                Ok(StreamCmd::Drop) => return,
                Ok(StreamCmd::Shutdown) => {
                    for s in &subs {
                        let v = json!({"subscriptionId": s, "event": {"e": "serverShutdown", "E": sh.server_ms()}});
                        let _ = socket.send(Message::Text(v.to_string().into())).await;
                    }
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                Err(_) => {}
            },
            ev = events.recv() => match ev {
                Ok(e) => {
                    if sh.ctl().silent {
                        continue;
                    }
                    for s in &subs {
                        let v = json!({"subscriptionId": s, "event": e});
                        if socket.send(Message::Text(v.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                }
                Err(RecvError::Lagged(_)) => {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                Err(RecvError::Closed) => return,
            },
            _ = ping.tick() => {
                if sh.ctl().silent {
                    continue;
                }
                match pinger.tick() {
                    Err(()) => return,
                    Ok(Some(p)) => if socket.send(p).await.is_err() { return },
                    Ok(None) => {}
                }
            }
            msg = socket.recv() => {
                let Some(Ok(msg)) = msg else { return };
                if !pinger.inbound_ok() {
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                match msg {
                    Message::Pong(p) => pinger.pong(&sh, &p),
                    Message::Text(t) => {
                        let (answer, sub) = request(&sh, t.as_str(), &mut next_sub);
                        subs.extend(sub);
                        if socket.send(Message::Text(answer.to_string().into())).await.is_err() {
                            return;
                        }
                    }
                    Message::Close(_) => return,
                    Message::Ping(_) | Message::Binary(_) => {}
                }
            }
        }
    }
}
