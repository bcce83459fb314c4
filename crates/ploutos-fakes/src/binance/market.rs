//! The market side: the deterministic kline series and the stream connections.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::{json, Value};

use super::{FakeSymbol, Shared, StreamCmd};

/// Interval name → length in ms.
pub(crate) fn interval_ms(i: &str) -> Option<i64> {
    Some(match i {
        "1s" => 1_000,
        "1m" => 60_000,
        "3m" => 180_000,
        "5m" => 300_000,
        "15m" => 900_000,
        "30m" => 1_800_000,
        "1h" => 3_600_000,
        "2h" => 7_200_000,
        "4h" => 14_400_000,
        "6h" => 21_600_000,
        "8h" => 28_800_000,
        "12h" => 43_200_000,
        "1d" => 86_400_000,
        "3d" => 259_200_000,
        "1w" => 604_800_000,
        _ => return None,
    })
}

/// A uniform number in [0, 1) from (seed, symbol, t, salt): splitmix64.
fn noise(seed: u64, sym: &str, t: i64, salt: u64) -> f64 {
    let mut x = seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (t as u64);
    for b in sym.bytes() {
        x = x.rotate_left(5) ^ u64::from(b);
    }
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = x;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64
}

/// The price level at time `t` (a smooth wave plus seeded noise).
fn level(sh: &Shared, s: &FakeSymbol, t: i64) -> f64 {
    let k = (t - sh.cfg.start_ms) as f64 / 60_000.0;
    let wave = 0.03 * (k / 97.0).sin() + 0.01 * (k / 13.0).sin();
    s.start_price * (1.0 + wave + 0.004 * (noise(sh.cfg.seed, &s.symbol, t, 0) - 0.5))
}

fn dec(x: f64, dp: u32, strategy: RoundingStrategy) -> Decimal {
    Decimal::try_from(x)
        .unwrap_or_default()
        .round_dp_with_strategy(dp, strategy)
}

/// One kline: open time, close time, o h l c v, trade count.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct KlineData {
    pub t: i64,
    pub close_time: i64,
    pub o: Decimal,
    pub h: Decimal,
    pub l: Decimal,
    pub c: Decimal,
    pub v: Decimal,
    pub n: i64,
}

/// The kline of `s` opening at `t` of length `iv`, `frac` of it elapsed (1 = closed).
pub(crate) fn kline(sh: &Shared, s: &FakeSymbol, t: i64, iv: i64, frac: f64) -> KlineData {
    let dp = s.tick_size.normalize().scale();
    let seed = sh.cfg.seed;
    let o = level(sh, s, t);
    let c = o + (level(sh, s, t + iv) - o) * frac;
    let h = o.max(c) * (1.0 + 0.0008 * noise(seed, &s.symbol, t, 1) * frac);
    let l = o.min(c) * (1.0 - 0.0008 * noise(seed, &s.symbol, t, 2) * frac);
    KlineData {
        t,
        close_time: t + iv - 1,
        o: dec(o, dp, RoundingStrategy::MidpointAwayFromZero),
        h: dec(h, dp, RoundingStrategy::AwayFromZero),
        l: dec(l, dp, RoundingStrategy::ToZero),
        c: dec(c, dp, RoundingStrategy::MidpointAwayFromZero),
        v: dec(
            (1.0 + 20.0 * noise(seed, &s.symbol, t, 3)) * frac,
            5,
            RoundingStrategy::ToZero,
        ),
        n: ((10.0 + 100.0 * noise(seed, &s.symbol, t, 4)) * frac) as i64,
    }
}

/// The open time of the bar of length `iv` forming at the market clock.
pub(crate) fn forming_open(sh: &Shared, iv: i64) -> (i64, f64) {
    let now = sh.market_now_ms();
    let open = now - now.rem_euclid(iv);
    (open, (now - open) as f64 / iv as f64)
}

/// The last price of `s`: the close so far of its forming 1-minute bar.
pub(crate) fn last_price(sh: &Shared, s: &FakeSymbol) -> Decimal {
    let (open, frac) = forming_open(sh, 60_000);
    kline(sh, s, open, 60_000, frac).c
}

/// A REST kline row (12 elements).
pub(crate) fn kline_row(k: &KlineData) -> Value {
    json!([
        k.t,
        k.o.to_string(),
        k.h.to_string(),
        k.l.to_string(),
        k.c.to_string(),
        k.v.to_string(),
        k.close_time,
        (k.v * k.c).round_dp(8).to_string(),
        k.n,
        "0",
        "0",
        "0"
    ])
}

fn kline_event(
    s: &FakeSymbol,
    interval: &str,
    k: &KlineData,
    closed: bool,
    event_ms: i64,
) -> Value {
    json!({"e": "kline", "E": event_ms, "s": s.symbol, "k": {
        "t": k.t, "T": k.close_time, "s": s.symbol, "i": interval, "f": 100, "L": 100 + k.n,
        "o": k.o.to_string(), "c": k.c.to_string(), "h": k.h.to_string(), "l": k.l.to_string(),
        "v": k.v.to_string(), "n": k.n, "x": closed, "q": (k.v * k.c).round_dp(8).to_string(),
        "V": "0", "Q": "0", "B": "0"}})
}

/// `/ws`: raw payloads, streams added with SUBSCRIBE.
pub(crate) async fn ws_raw(State(sh): State<Arc<Shared>>, ws: WebSocketUpgrade) -> Response {
    ws.on_upgrade(move |socket| run(socket, sh, false, Vec::new()))
}

/// `/ws/<stream>`: one raw stream.
pub(crate) async fn ws_one(
    State(sh): State<Arc<Shared>>,
    Path(stream): Path<String>,
    ws: WebSocketUpgrade,
) -> Response {
    ws.on_upgrade(move |socket| run(socket, sh, false, vec![stream]))
}

/// `/stream?streams=a/b/c`: combined, frames wrapped in `{"stream","data"}`.
pub(crate) async fn ws_combined(
    State(sh): State<Arc<Shared>>,
    Query(q): Query<HashMap<String, String>>,
    ws: WebSocketUpgrade,
) -> Response {
    let streams = q
        .get("streams")
        .map(|s| {
            s.split('/')
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default();
    ws.on_upgrade(move |socket| run(socket, sh, true, streams))
}

/// A parsed stream name.
enum StreamKind {
    Kline {
        symbol: usize,
        interval: String,
        iv: i64,
    },
    Trade {
        symbol: usize,
    },
}

fn parse_stream(sh: &Shared, name: &str) -> Option<StreamKind> {
    let (sym, rest) = name.split_once('@')?;
    let symbol = sh
        .cfg
        .symbols
        .iter()
        .position(|s| s.symbol.eq_ignore_ascii_case(sym) && sym == sym.to_ascii_lowercase())?;
    if rest == "trade" {
        return Some(StreamKind::Trade { symbol });
    }
    let interval = rest.strip_prefix("kline_")?;
    Some(StreamKind::Kline {
        symbol,
        interval: interval.to_string(),
        iv: interval_ms(interval)?,
    })
}

/// Server pings and their deadline, shared by the market and WS API connections.
pub(crate) struct Pinger {
    interval: Duration,
    deadline: Duration,
    outstanding: Option<(Vec<u8>, Instant)>,
    counter: u64,
    inbound: (Instant, u32),
}

impl Pinger {
    pub fn new(sh: &Shared) -> Self {
        let c = sh.ctl();
        Pinger {
            interval: c.ping_interval,
            deadline: c.pong_deadline,
            outstanding: None,
            counter: 0,
            inbound: (Instant::now(), 0),
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval.max(Duration::from_millis(1))
    }

    /// A ping to send, or `Err` when the previous one went unanswered past the deadline.
    pub fn tick(&mut self) -> Result<Option<Message>, ()> {
        match &self.outstanding {
            Some((_, sent)) if sent.elapsed() > self.deadline => Err(()),
            Some(_) => Ok(None),
            None => {
                self.counter += 1;
                let payload = format!("fake-ping-{}", self.counter).into_bytes();
                self.outstanding = Some((payload.clone(), Instant::now()));
                Ok(Some(Message::Ping(payload.into())))
            }
        }
    }

    /// Whether the connection missed its pong deadline.
    pub fn overdue(&self) -> bool {
        matches!(&self.outstanding, Some((_, sent)) if sent.elapsed() > self.deadline)
    }

    /// A pong arrived: counts when it echoes the outstanding payload.
    pub fn pong(&mut self, sh: &Shared, payload: &[u8]) {
        if matches!(&self.outstanding, Some((p, _)) if p.as_slice() == payload) {
            self.outstanding = None;
            sh.ctl().pongs += 1;
        }
    }

    /// Counts an incoming message; `false` past 5 per second (the connection is closed).
    pub fn inbound_ok(&mut self) -> bool {
        if self.inbound.0.elapsed() >= Duration::from_secs(1) {
            self.inbound = (Instant::now(), 0);
        }
        self.inbound.1 += 1;
        self.inbound.1 <= 5
    }
}

struct Conn {
    sh: Arc<Shared>,
    combined: bool,
    streams: Vec<String>,
    last_closed: HashMap<String, i64>,
    trade_id: u64,
}

impl Conn {
    fn frame(&self, stream: &str, data: Value) -> Message {
        frame(self.combined, stream, data)
    }
}

fn frame(combined: bool, stream: &str, data: Value) -> Message {
    {
        let v = if combined {
            json!({"stream": stream, "data": data})
        } else {
            data
        };
        Message::Text(v.to_string().into())
    }
}

impl Conn {
    /// The frames due at this tick; a closed kline's comes with its (symbol, open time) so
    /// its send time can be recorded (the latency benchmark).
    fn due(&mut self) -> Vec<(Message, Option<(String, i64)>)> {
        let sh = self.sh.clone();
        let event_ms = sh.server_ms();
        let mut out = Vec::new();
        for name in self.streams.clone() {
            match parse_stream(&sh, &name) {
                Some(StreamKind::Kline {
                    symbol,
                    interval,
                    iv,
                }) => {
                    let s = &sh.cfg.symbols[symbol];
                    let (open, frac) = forming_open(&sh, iv);
                    if open < sh.cfg.start_ms {
                        continue;
                    }
                    let combined = self.combined;
                    let last = self.last_closed.entry(name.clone()).or_insert(open - iv);
                    while *last + iv < open {
                        *last += iv;
                        let skip = {
                            let mut c = sh.ctl();
                            let skip = c.skip_closed > 0;
                            c.skip_closed = c.skip_closed.saturating_sub(1);
                            skip
                        };
                        if !skip {
                            let k = kline(&sh, s, *last, iv, 1.0);
                            out.push((
                                frame(
                                    combined,
                                    &name,
                                    kline_event(s, &interval, &k, true, event_ms),
                                ),
                                Some((s.symbol.clone(), *last)),
                            ));
                        }
                    }
                    let k = kline(&sh, s, open, iv, frac);
                    out.push((
                        self.frame(&name, kline_event(s, &interval, &k, false, event_ms)),
                        None,
                    ));
                }
                Some(StreamKind::Trade { symbol }) => {
                    let s = &sh.cfg.symbols[symbol];
                    self.trade_id += 1;
                    let price = last_price(&sh, s);
                    let data = json!({"e": "trade", "E": event_ms, "s": s.symbol, "t": self.trade_id,
                        "p": price.to_string(), "q": "0.01000", "T": event_ms, "m": self.trade_id % 2 == 0, "M": true});
                    out.push((self.frame(&name, data), None));
                }
                None => {}
            }
        }
        out
    }

    /// Answers a control message (SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS).
    fn control(&mut self, text: &str) -> Value {
        let v: Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return json!({"code": 3, "msg": format!("Invalid JSON: {e}")}),
        };
        let id = v.get("id").cloned().unwrap_or(Value::Null);
        let params: Vec<String> = v
            .get("params")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        match v.get("method").and_then(Value::as_str) {
            Some("SUBSCRIBE") => {
                if let Some(bad) = params.iter().find(|p| parse_stream(&self.sh, p).is_none()) {
                    return json!({"code": 2, "msg": format!("Invalid request: unknown stream {bad}"), "id": id});
                }
                if self.streams.len() + params.len() > 1024 {
                    return json!({"code": 2, "msg": "Invalid request: more than 1024 streams", "id": id});
                }
                let have: HashSet<String> = self.streams.iter().cloned().collect();
                self.streams
                    .extend(params.into_iter().filter(|p| !have.contains(p)));
                json!({"result": null, "id": id})
            }
            Some("UNSUBSCRIBE") => {
                self.streams.retain(|s| !params.contains(s));
                json!({"result": null, "id": id})
            }
            Some("LIST_SUBSCRIPTIONS") => json!({"result": self.streams, "id": id}),
            Some(other) => {
                json!({"code": 2, "msg": format!("Invalid request: unknown variant {other}, expected one of SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY, GET_PROPERTY"), "id": id})
            }
            None => json!({"code": 2, "msg": "Invalid request: missing field method", "id": id}),
        }
    }
}

/// One market-stream connection until it closes.
async fn run(mut socket: WebSocket, sh: Arc<Shared>, combined: bool, streams: Vec<String>) {
    let mut cmds = sh.cmd_tx.subscribe();
    let lifetime = sh.ctl().lifetime;
    let opened = tokio::time::Instant::now();
    let mut pinger = Pinger::new(&sh);
    let per_bar = sh.cfg.pace / sh.cfg.updates_per_bar.max(1);
    let mut tick = tokio::time::interval(per_bar.max(Duration::from_millis(1)));
    let mut ping = tokio::time::interval_at(opened + pinger.interval(), pinger.interval());
    let mut conn = Conn {
        sh: sh.clone(),
        combined,
        streams,
        last_closed: HashMap::new(),
        trade_id: 0,
    };
    let end = lifetime.map(|l| opened + l);
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
                    let data = json!({"e": "serverShutdown", "E": sh.server_ms()});
                    let _ = socket.send(conn.frame("!serverShutdown", data)).await;
                    let _ = socket.send(Message::Close(None)).await;
                    return;
                }
                Err(_) => {}
            },
            _ = tick.tick() => {
                if pinger.overdue() {
                    return;
                }
                if sh.ctl().silent {
                    continue;
                }
                for (m, closed) in conn.due() {
                    if socket.send(m).await.is_err() {
                        return;
                    }
                    if let Some(key) = closed {
                        if let Some(sent) = sh.ctl().sent_closed.as_mut() {
                            sent.entry(key).or_insert_with(Instant::now);
                        }
                    }
                }
            }
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
                        if sh.ctl().silent {
                            continue;
                        }
                        let answer = conn.control(t.as_str());
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
