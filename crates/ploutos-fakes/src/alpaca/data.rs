//! The market-data side of the fake: the stream (`/v2/{feed}`) and REST bars.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::series::rfc3339;
use super::trading::{gate, reply};
use super::Shared;

pub(crate) async fn stream(
    State(shared): State<Arc<Shared>>,
    Path(feed): Path<String>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let header_keys = match (
        headers.get("APCA-API-KEY-ID").and_then(|v| v.to_str().ok()),
        headers
            .get("APCA-API-SECRET-KEY")
            .and_then(|v| v.to_str().ok()),
    ) {
        (Some(k), Some(s)) => Some((k.to_string(), s.to_string())),
        _ => None,
    };
    ws.on_upgrade(move |socket| async move {
        let mut conn = DataConn::new(shared, feed, socket);
        conn.run(header_keys).await;
        conn.release();
    })
}

/// The channels of one connection.
#[derive(Default, Clone)]
struct Subs {
    trades: BTreeSet<String>,
    quotes: BTreeSet<String>,
    bars: BTreeSet<String>,
    updated_bars: BTreeSet<String>,
    daily_bars: BTreeSet<String>,
}

const CHANNELS: [&str; 5] = ["trades", "quotes", "bars", "updatedBars", "dailyBars"];

impl Subs {
    fn channel(&mut self, name: &str) -> Option<&mut BTreeSet<String>> {
        match name {
            "trades" => Some(&mut self.trades),
            "quotes" => Some(&mut self.quotes),
            "bars" => Some(&mut self.bars),
            "updatedBars" => Some(&mut self.updated_bars),
            "dailyBars" => Some(&mut self.daily_bars),
            _ => None,
        }
    }

    fn symbol_count(&self) -> usize {
        let all: BTreeSet<&String> = self
            .trades
            .iter()
            .chain(&self.quotes)
            .chain(&self.bars)
            .chain(&self.updated_bars)
            .chain(&self.daily_bars)
            .collect();
        all.len()
    }

    fn to_json(&self) -> Value {
        let l = |s: &BTreeSet<String>| s.iter().cloned().collect::<Vec<_>>();
        json!([{"T": "subscription", "trades": l(&self.trades), "quotes": l(&self.quotes),
                "bars": l(&self.bars), "updatedBars": l(&self.updated_bars),
                "dailyBars": l(&self.daily_bars), "statuses": [], "lulds": [],
                "corrections": l(&self.trades), "cancelErrors": l(&self.trades)}])
    }

    fn wants(set: &BTreeSet<String>, symbol: &str) -> bool {
        set.contains("*") || set.contains(symbol)
    }
}

struct DataConn {
    shared: Arc<Shared>,
    feed: String,
    ws: WebSocket,
    authed: bool,
    subs: Subs,
    next_index: usize,
    connected_at: Instant,
}

enum Step {
    Continue,
    Close,
}

/// Continue when the answer went out, close when the socket is gone.
fn keep(sent: bool) -> Step {
    if sent {
        Step::Continue
    } else {
        Step::Close
    }
}

impl DataConn {
    fn new(shared: Arc<Shared>, feed: String, ws: WebSocket) -> Self {
        DataConn {
            shared,
            feed,
            ws,
            authed: false,
            subs: Subs::default(),
            next_index: 0,
            connected_at: Instant::now(),
        }
    }

    fn release(&self) {
        if self.authed {
            let mut k = self.shared.knobs();
            k.active_sessions = k.active_sessions.saturating_sub(1);
        }
    }

    async fn send(&mut self, v: Value) -> bool {
        self.ws
            .send(Message::Text(v.to_string().into()))
            .await
            .is_ok()
    }

    async fn error(&mut self, code: i64, msg: &str) -> bool {
        self.shared.knobs().stream_errors.push(code);
        self.send(json!([{"T": "error", "code": code, "msg": msg}]))
            .await
    }

    async fn run(&mut self, header_keys: Option<(String, String)>) {
        let mut signals = self.shared.signals.subscribe();
        let start = *signals.borrow();
        if !self
            .send(json!([{"T": "success", "msg": "connected"}]))
            .await
        {
            return;
        }
        if let Some((k, s)) = header_keys {
            if let Step::Close = self.auth(&k, &s).await {
                return;
            }
        }
        let mut tick = tokio::time::interval(self.shared.cfg.pace);
        loop {
            let now = *signals.borrow();
            if now.drop_gen != start.drop_gen {
                return;
            }
            if now.close_gen != start.close_gen {
                let _ = self.ws.send(Message::Close(None)).await;
                return;
            }
            if now.silent {
                // Nothing read, nothing sent: pings go unanswered.
                if signals.changed().await.is_err() {
                    return;
                }
                continue;
            }
            let auth_deadline = self.connected_at + self.shared.cfg.auth_timeout;
            tokio::select! {
                changed = signals.changed() => if changed.is_err() { return },
                msg = self.ws.recv() => {
                    let text = match msg {
                        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return,
                        Some(Ok(Message::Text(t))) => t.to_string(),
                        Some(Ok(Message::Binary(b))) => String::from_utf8_lossy(&b).into_owned(),
                        Some(Ok(_)) => continue,
                    };
                    if let Step::Close = self.handle(&text).await {
                        return;
                    }
                }
                _ = tokio::time::sleep_until(auth_deadline), if !self.authed => {
                    let _ = self.error(404, "auth timeout").await;
                    let _ = self.ws.send(Message::Close(None)).await;
                    return;
                }
                _ = tick.tick() => {
                    if self.authed && !self.publish().await {
                        return;
                    }
                }
            }
        }
    }

    async fn handle(&mut self, text: &str) -> Step {
        let Ok(v) = serde_json::from_str::<Value>(text) else {
            return keep(self.error(400, "invalid syntax").await);
        };
        match v.get("action").and_then(Value::as_str) {
            Some("auth") => {
                let k = v
                    .get("key")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let s = v
                    .get("secret")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                self.auth(&k, &s).await
            }
            Some(a @ ("subscribe" | "unsubscribe")) => {
                let add = a == "subscribe";
                self.subscribe(&v, add).await
            }
            _ => keep(self.error(400, "invalid syntax").await),
        }
    }

    async fn auth(&mut self, key: &str, secret: &str) -> Step {
        if self.authed {
            return keep(self.error(403, "already authenticated").await);
        }
        let cfg = &self.shared.cfg;
        if key != cfg.key_id || secret != cfg.secret_key {
            return keep(self.error(402, "auth failed").await);
        }
        if !cfg.entitled_feeds.iter().any(|f| f == &self.feed) {
            let _ = self.error(409, "insufficient subscription").await;
            let _ = self.ws.send(Message::Close(None)).await;
            return Step::Close;
        }
        let (busy, close) = {
            let k = self.shared.knobs();
            (k.foreign_session || k.active_sessions >= 1, k.close_on_406)
        };
        if busy {
            let sent = self.error(406, "connection limit exceeded").await;
            if close {
                let _ = self.ws.send(Message::Close(None)).await;
                return Step::Close;
            }
            return keep(sent);
        }
        self.shared.knobs().active_sessions += 1;
        self.authed = true;
        // Alpaca does not replay the past: streaming starts at the next bar.
        self.next_index = self.shared.published();
        keep(
            self.send(json!([{"T": "success", "msg": "authenticated"}]))
                .await,
        )
    }

    async fn subscribe(&mut self, v: &Value, add: bool) -> Step {
        if !self.authed {
            return keep(self.error(401, "not authenticated").await);
        }
        let mut next = self.subs.clone();
        for ch in CHANNELS {
            let Some(list) = v.get(ch) else { continue };
            let Some(items) = list.as_array() else {
                return keep(self.error(400, "invalid syntax").await);
            };
            let mut names = Vec::new();
            for s in items {
                match s.as_str() {
                    Some(n) if !n.is_empty() && n.len() <= 32 => names.push(n.to_string()),
                    _ => return keep(self.error(400, "invalid syntax").await),
                }
            }
            if let Some(set) = next.channel(ch) {
                for n in names {
                    if add {
                        set.insert(n);
                    } else {
                        set.remove(&n);
                    }
                }
            }
        }
        if next.symbol_count() > self.shared.cfg.symbol_limit {
            // The previous set stays as it was.
            return keep(self.error(405, "symbol limit exceeded").await);
        }
        self.subs = next;
        let ack = self.subs.to_json();
        keep(self.send(ack).await)
    }

    /// Sends every bar index published since the last call: one batched frame per minute
    /// with the bars of all subscribed symbols, a trade and a quote, sometimes a `u` for the
    /// previous minute and a message of an unknown type.
    async fn publish(&mut self) -> bool {
        let upto = self.shared.published();
        while self.next_index < upto {
            let i = self.next_index;
            self.next_index += 1;
            let skip = i < self.shared.knobs().skip_until;
            let frame = self.minute_frame(i, skip);
            if !frame.is_empty() && !self.send(Value::Array(frame)).await {
                return false;
            }
        }
        true
    }

    fn minute_frame(&self, i: usize, skip_bars: bool) -> Vec<Value> {
        let cfg = &self.shared.cfg;
        let mut out = Vec::new();
        for (symbol, series) in &self.shared.series {
            let Some(Some(bar)) = series.get(i) else {
                continue;
            };
            if !skip_bars && Subs::wants(&self.subs.bars, symbol) {
                out.push(bar.stream_json("b", symbol));
            }
            let inside = bar.time + chrono::Duration::seconds(30);
            if Subs::wants(&self.subs.trades, symbol) {
                out.push(
                    json!({"T": "t", "i": i, "S": symbol, "x": "V", "p": bar.close,
                                "s": 100, "t": rfc3339(inside, true), "c": ["@"], "z": "C"}),
                );
            }
            if Subs::wants(&self.subs.quotes, symbol) {
                out.push(
                    json!({"T": "q", "S": symbol, "bx": "V", "bp": bar.low, "bs": 1,
                                "ax": "V", "ap": bar.high, "as": 1, "t": rfc3339(inside, true),
                                "c": ["R"], "z": "C"}),
                );
            }
            let update = cfg.update_every > 0 && i > 0 && i % cfg.update_every as usize == 0;
            if update && Subs::wants(&self.subs.updated_bars, symbol) {
                if let Some(Some(prev)) = series.get(i - 1) {
                    let mut corrected = *prev;
                    corrected.volume += 1;
                    out.push(corrected.stream_json("u", symbol));
                }
            }
        }
        if !out.is_empty() && i % 3 == 0 {
            out.push(json!({"T": "s", "S": "AAPL", "sc": "T", "sm": "Trading", "t": "x"}));
            out.push(json!({"T": "zz_future_type", "x": 1}));
        }
        out
    }
}

// ---------------------------------------------------------------------------------------
// REST bars
// ---------------------------------------------------------------------------------------

type Q = HashMap<String, String>;

/// One page: (symbol, bar) pairs and the next token.
type Page = (Vec<(String, Value)>, Option<String>);

fn bad(status: StatusCode, message: &str) -> Response {
    reply(status, json!({"code": 40010000, "message": message}), None)
}

fn parse_bound(q: &Q, key: &str) -> Result<Option<chrono::DateTime<chrono::Utc>>, String> {
    match q.get(key) {
        None => Ok(None),
        Some(s) => chrono::DateTime::parse_from_rfc3339(s)
            .map(|d| Some(d.to_utc()))
            .or_else(|_| {
                chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(|d| d.and_hms_opt(0, 0, 0).map(|t| t.and_utc()))
            })
            .map_err(|_| format!("invalid {key}: {s}")),
    }
}

/// 403 for recent SIP data without a SIP entitlement (the free plan: SIP only 15 minutes
/// late). The fake's "now" is the end of the last published minute.
fn forbidden(shared: &Shared, q: &Q) -> Option<Response> {
    let sip = q.get("feed").map(String::as_str) == Some("sip");
    if !sip || shared.cfg.entitled_feeds.iter().any(|f| f == "sip") {
        return None;
    }
    let minutes = i64::try_from(shared.published()).unwrap_or(i64::MAX);
    let now = shared.cfg.start + chrono::Duration::minutes(minutes);
    let end = parse_bound(q, "end").ok().flatten().unwrap_or(now);
    (end > now - chrono::Duration::minutes(15)).then(|| {
        reply(
            StatusCode::FORBIDDEN,
            json!({"message": "subscription does not permit querying recent SIP data"}),
            None,
        )
    })
}

/// The selected bars, ordered symbol → time, as (symbol, bar json).
fn select(shared: &Shared, symbols: &[String], q: &Q) -> Result<Vec<(String, Value)>, String> {
    match q.get("timeframe").map(String::as_str) {
        Some("1Min" | "1T" | "1Min ") => {}
        Some(other) => return Err(format!("the fake serves timeframe 1Min only, not {other}")),
        None => return Err("timeframe is required".to_string()),
    }
    let start = parse_bound(q, "start")?;
    let end = parse_bound(q, "end")?;
    let n = shared.published();
    let mut sorted: Vec<&String> = symbols.iter().collect();
    sorted.sort();
    sorted.dedup();
    let mut out = Vec::new();
    for s in sorted {
        let Some(series) = shared.series.get(s.as_str()) else {
            continue;
        };
        for bar in series.iter().take(n).flatten() {
            if start.is_some_and(|t| bar.time < t) || end.is_some_and(|t| bar.time > t) {
                continue;
            }
            out.push((s.clone(), bar.rest_json()));
        }
    }
    Ok(out)
}

fn page(shared: &Shared, q: &Q, all: Vec<(String, Value)>) -> Result<Page, String> {
    let limit: usize = match q.get("limit") {
        None => 1000,
        Some(l) => l
            .parse()
            .ok()
            .filter(|n| (1..=10_000).contains(n))
            .ok_or_else(|| format!("invalid limit: {l}"))?,
    };
    let limit = limit.min(shared.cfg.page_cap.max(1));
    let offset = match q.get("page_token") {
        None => 0,
        Some(t) => base64::engine::general_purpose::STANDARD
            .decode(t)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|s| s.strip_prefix("offset:").and_then(|n| n.parse().ok()))
            .ok_or_else(|| format!("invalid page_token: {t}"))?,
    };
    let rest: Vec<_> = all.into_iter().skip(offset).collect();
    let more = rest.len() > limit;
    let items: Vec<_> = rest.into_iter().take(limit).collect();
    let token = more.then(|| {
        base64::engine::general_purpose::STANDARD.encode(format!("offset:{}", offset + limit))
    });
    Ok((items, token))
}

pub(crate) async fn bars_multi(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    Query(q): Query<Q>,
) -> Response {
    let rate = match gate(&shared, &headers) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    shared.knobs().last_bars_query = Some(q.clone());
    if let Some(refused) = forbidden(&shared, &q) {
        return refused;
    }
    let Some(symbols) = q.get("symbols").filter(|s| !s.is_empty()) else {
        return bad(StatusCode::BAD_REQUEST, "symbols is required");
    };
    let symbols: Vec<String> = symbols.split(',').map(|s| s.trim().to_string()).collect();
    let result = select(&shared, &symbols, &q).and_then(|all| page(&shared, &q, all));
    match result {
        Err(e) => bad(StatusCode::BAD_REQUEST, &e),
        Ok((items, token)) => {
            let mut map = serde_json::Map::new();
            for (s, b) in items {
                if let Some(list) = map
                    .entry(s)
                    .or_insert_with(|| Value::Array(Vec::new()))
                    .as_array_mut()
                {
                    list.push(b);
                }
            }
            reply(
                StatusCode::OK,
                json!({"bars": map, "next_page_token": token}),
                Some(rate),
            )
        }
    }
}

pub(crate) async fn bars_single(
    State(shared): State<Arc<Shared>>,
    Path(symbol): Path<String>,
    headers: HeaderMap,
    Query(q): Query<Q>,
) -> Response {
    let rate = match gate(&shared, &headers) {
        Ok(r) => r,
        Err(resp) => return resp,
    };
    shared.knobs().last_bars_query = Some(q.clone());
    if let Some(refused) = forbidden(&shared, &q) {
        return refused;
    }
    let result =
        select(&shared, std::slice::from_ref(&symbol), &q).and_then(|all| page(&shared, &q, all));
    match result {
        Err(e) => bad(StatusCode::BAD_REQUEST, &e),
        Ok((items, token)) => {
            let bars: Vec<Value> = items.into_iter().map(|(_, b)| b).collect();
            reply(
                StatusCode::OK,
                json!({"bars": bars, "symbol": symbol, "next_page_token": token}),
                Some(rate),
            )
        }
    }
}
