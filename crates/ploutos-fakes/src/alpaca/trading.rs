//! The Trading API side of the fake: auth and rate-limit gate, account, clock, calendar,
//! orders (state machine, fills, cancel, replace, 207s) and positions.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{Datelike, Duration as ChronoDuration, NaiveDate, Offset, Utc, Weekday};
use rust_decimal::prelude::FromPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use tokio::time::Instant;

use super::series::rfc3339;
use super::{lock, Shared};

/// The `X-RateLimit-*` values of one answer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Rate {
    limit: u32,
    remaining: u32,
    reset: u64,
}

/// A JSON answer with the rate headers.
pub(crate) fn reply(status: StatusCode, body: Value, rate: Option<Rate>) -> Response {
    let mut resp = (status, Json(body)).into_response();
    if let Some(r) = rate {
        let h = resp.headers_mut();
        for (k, v) in [
            ("x-ratelimit-limit", r.limit.to_string()),
            ("x-ratelimit-remaining", r.remaining.to_string()),
            ("x-ratelimit-reset", r.reset.to_string()),
        ] {
            if let Ok(v) = HeaderValue::from_str(&v) {
                h.insert(k, v);
            }
        }
    }
    resp
}

fn unix_secs_after(d: std::time::Duration) -> u64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (now + d).as_secs() + 1
}

/// Both `APCA-API-*` headers (401 otherwise), then the rate limit (429 with headers).
#[allow(clippy::result_large_err)] // the error is the answer itself, returned at once
pub(crate) fn gate(shared: &Shared, headers: &HeaderMap) -> Result<Rate, Response> {
    let cfg = &shared.cfg;
    let key = headers.get("APCA-API-KEY-ID").and_then(|v| v.to_str().ok());
    let secret = headers
        .get("APCA-API-SECRET-KEY")
        .and_then(|v| v.to_str().ok());
    let mut k = shared.knobs();
    k.requests += 1;
    if key != Some(cfg.key_id.as_str()) || secret != Some(cfg.secret_key.as_str()) {
        return Err(reply(
            StatusCode::UNAUTHORIZED,
            json!({"message": "unauthorized"}),
            None,
        ));
    }
    let now = Instant::now();
    if now.duration_since(k.rate_window_start) >= cfg.rate_window {
        k.rate_window_start = now;
        k.rate_count = 0;
    }
    let left = cfg
        .rate_window
        .saturating_sub(now.duration_since(k.rate_window_start));
    let limit = k.rate_limit.unwrap_or(200);
    let reset = unix_secs_after(left);
    if k.rate_limit.is_some_and(|l| k.rate_count >= l) {
        return Err(reply(
            StatusCode::TOO_MANY_REQUESTS,
            json!({"message": "rate limit exceeded"}),
            Some(Rate {
                limit,
                remaining: 0,
                reset,
            }),
        ));
    }
    k.rate_count += 1;
    Ok(Rate {
        limit,
        remaining: limit.saturating_sub(k.rate_count),
        reset,
    })
}

macro_rules! gated {
    ($shared:expr, $headers:expr) => {
        match gate(&$shared, &$headers) {
            Ok(r) => r,
            Err(resp) => return resp,
        }
    };
}

fn err(status: StatusCode, code: i64, message: &str, rate: Rate) -> Response {
    reply(
        status,
        json!({"code": code, "message": message}),
        Some(rate),
    )
}

/// The fake market's clock (the open of the next bar to be published): order events happen
/// in the same (accelerated) time as the bars, as they would at the real venue.
fn now_str(shared: &Shared) -> String {
    let minutes = i64::try_from(shared.published()).unwrap_or(i64::MAX);
    rfc3339(shared.cfg.start + chrono::Duration::minutes(minutes), true)
}

/// An order in the fake's book.
#[derive(Debug, Clone)]
pub struct FakeOrder {
    pub id: String,
    pub client_order_id: String,
    pub symbol: String,
    pub side: String,
    pub kind: String,
    pub tif: String,
    pub qty: Option<Decimal>,
    pub notional: Option<Decimal>,
    pub filled_qty: Decimal,
    pub filled_notional: Decimal,
    pub limit_price: Option<Decimal>,
    pub stop_price: Option<Decimal>,
    pub status: String,
    pub order_class: String,
    pub created_at: String,
    pub updated_at: String,
    pub replaces: Option<String>,
    pub replaced_by: Option<String>,
}

fn dec_json(d: Option<Decimal>) -> Value {
    d.map(|d| json!(d.normalize().to_string()))
        .unwrap_or(Value::Null)
}

impl FakeOrder {
    /// The Trading API's order object.
    pub fn to_json(&self) -> Value {
        let avg = (!self.filled_qty.is_zero()).then(|| self.filled_notional / self.filled_qty);
        json!({
            "id": self.id, "client_order_id": self.client_order_id,
            "created_at": self.created_at, "updated_at": self.updated_at,
            "submitted_at": self.created_at, "filled_at": null, "expired_at": null,
            "canceled_at": null, "failed_at": null, "replaced_at": null,
            "replaced_by": self.replaced_by, "replaces": self.replaces,
            "asset_id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415", "symbol": self.symbol,
            "asset_class": "us_equity", "notional": dec_json(self.notional),
            "qty": dec_json(self.qty), "filled_qty": self.filled_qty.normalize().to_string(),
            "filled_avg_price": dec_json(avg.map(|a| a.round_dp(6))),
            "order_class": self.order_class, "order_type": self.kind, "type": self.kind,
            "side": self.side, "time_in_force": self.tif,
            "limit_price": dec_json(self.limit_price), "stop_price": dec_json(self.stop_price),
            "status": self.status, "extended_hours": false, "legs": null,
            "trail_percent": null, "trail_price": null, "hwm": null,
        })
    }

    fn is_open(&self) -> bool {
        !matches!(
            self.status.as_str(),
            "filled" | "canceled" | "expired" | "replaced" | "rejected"
        )
    }
}

/// A position: signed quantity and average entry price.
#[derive(Debug, Clone, Copy, Default)]
struct Position {
    qty: Decimal,
    avg: Decimal,
}

/// Orders, positions, cash.
#[derive(Debug)]
pub(crate) struct Book {
    orders: Vec<FakeOrder>,
    pub posts: HashMap<String, usize>,
    positions: BTreeMap<String, Position>,
    cash: Decimal,
    next_id: u64,
    next_exec: u64,
}

impl Book {
    pub fn new(cash: Decimal) -> Self {
        Book {
            orders: Vec::new(),
            posts: HashMap::new(),
            positions: BTreeMap::new(),
            cash,
            next_id: 1,
            next_exec: 1,
        }
    }

    fn new_id(&mut self) -> String {
        let n = self.next_id;
        self.next_id += 1;
        format!("{n:08x}-0000-4000-8000-{n:012x}")
    }

    pub fn by_client(&self, cid: &str) -> Option<&FakeOrder> {
        self.orders.iter().rev().find(|o| o.client_order_id == cid)
    }

    fn index(&self, id: &str) -> Option<usize> {
        self.orders.iter().position(|o| o.id == id)
    }

    fn position_json(&self, symbol: &str, p: &Position, last: Option<f64>) -> Value {
        let price = last
            .and_then(Decimal::from_f64)
            .unwrap_or(p.avg)
            .round_dp(4);
        let value = price * p.qty;
        json!({"asset_id": "904837e3-3b76-47ec-b432-046db621571b", "symbol": symbol,
               "exchange": "NASDAQ", "asset_class": "us_equity",
               "avg_entry_price": p.avg.round_dp(6).to_string(), "qty": p.qty.to_string(),
               "qty_available": p.qty.to_string(),
               "side": if p.qty < Decimal::ZERO { "short" } else { "long" },
               "market_value": value.to_string(), "cost_basis": (p.avg * p.qty).round_dp(6).to_string(),
               "unrealized_pl": (value - p.avg * p.qty).round_dp(6).to_string(),
               "current_price": price.to_string()})
    }
}

/// Sends a trade update to every listening trade stream.
fn publish(shared: &Shared, event: &str, order: &FakeOrder, extra: Value) {
    let mut data = json!({"event": event, "order": order.to_json(), "timestamp": now_str(shared)});
    if let (Some(d), Some(e)) = (data.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            d.insert(k.clone(), v.clone());
        }
    }
    // No listener is fine.
    let _ = shared
        .updates
        .send(json!({"stream": "trade_updates", "data": data}));
}

/// Applies one execution to order `idx`; errors name the problem.
fn execute(
    shared: &Shared,
    book: &mut Book,
    idx: usize,
    qty: Decimal,
    price: Decimal,
) -> Result<(), String> {
    let o = book.orders.get(idx).ok_or("no such order")?.clone();
    if !o.is_open() {
        return Err(format!("order {} is {}, it cannot fill", o.id, o.status));
    }
    if qty <= Decimal::ZERO || price <= Decimal::ZERO {
        return Err(format!("bad fill {qty} @ {price}"));
    }
    if let Some(q) = o.qty {
        if o.filled_qty + qty > q {
            return Err(format!(
                "fill {qty} exceeds the rest {} of order {}",
                q - o.filled_qty,
                o.id
            ));
        }
    }
    let signed = if o.side == "buy" { qty } else { -qty };
    let pos = book.positions.entry(o.symbol.clone()).or_default();
    let new_qty = pos.qty + signed;
    if pos.qty.is_zero() || (pos.qty > Decimal::ZERO) == (signed > Decimal::ZERO) {
        pos.avg = (pos.avg * pos.qty.abs() + price * qty) / new_qty.abs();
    } else if new_qty.is_zero() || (new_qty > Decimal::ZERO) != (pos.qty > Decimal::ZERO) {
        pos.avg = price;
    }
    pos.qty = new_qty;
    let position_qty = pos.qty;
    if pos.qty.is_zero() {
        book.positions.remove(&o.symbol);
    }
    book.cash -= signed * price;
    let exec = book.next_exec;
    book.next_exec += 1;
    let order = &mut book.orders[idx];
    order.filled_qty += qty;
    order.filled_notional += qty * price;
    order.updated_at = now_str(shared);
    let complete = order.qty.is_none_or(|q| order.filled_qty >= q);
    order.status = if complete {
        "filled"
    } else {
        "partially_filled"
    }
    .to_string();
    let snapshot = order.clone();
    publish(
        shared,
        if complete { "fill" } else { "partial_fill" },
        &snapshot,
        json!({"execution_id": format!("exec-{exec:08}"), "price": price.to_string(),
               "qty": qty.to_string(), "position_qty": position_qty.to_string()}),
    );
    Ok(())
}

pub(crate) fn fill_by_client_id(
    shared: &Shared,
    cid: &str,
    qty: Decimal,
    price: Decimal,
) -> anyhow::Result<()> {
    let mut book = lock(&shared.book);
    let idx = book
        .orders
        .iter()
        .rposition(|o| o.client_order_id == cid)
        .ok_or_else(|| anyhow::anyhow!("no order with client_order_id {cid:?}"))?;
    execute(shared, &mut book, idx, qty, price).map_err(anyhow::Error::msg)
}

// ---------------------------------------------------------------------------------------
// Handlers
// ---------------------------------------------------------------------------------------

type S = State<Arc<Shared>>;
type Q = Query<HashMap<String, String>>;

pub(crate) async fn not_found(State(shared): S, headers: HeaderMap) -> Response {
    let rate = gated!(shared, headers);
    err(StatusCode::NOT_FOUND, 40410000, "endpoint not found", rate)
}

pub(crate) async fn account(State(shared): S, headers: HeaderMap) -> Response {
    let rate = gated!(shared, headers);
    let book = lock(&shared.book);
    let cash = book.cash.round_dp(2).to_string();
    reply(
        StatusCode::OK,
        json!({"id": "e6fe16f3-64a4-4921-8928-cadf02f92f98", "account_number": "PA0FAKE",
               "status": "ACTIVE", "currency": "USD", "cash": cash, "portfolio_value": cash,
               "equity": cash, "buying_power": cash, "daytrade_count": 0,
               "pattern_day_trader": false, "shorting_enabled": true, "trading_blocked": false,
               "transfers_blocked": false, "account_blocked": false,
               "trade_suspended_by_user": false, "created_at": "2019-06-12T22:47:07.99658Z"}),
        Some(rate),
    )
}

/// US Eastern in January (the series' month): UTC−5, no DST handling in the fake.
fn et() -> chrono::FixedOffset {
    chrono::FixedOffset::west_opt(5 * 3600).unwrap_or_else(|| Utc.fix())
}

pub(crate) async fn clock(State(shared): S, headers: HeaderMap) -> Response {
    let rate = gated!(shared, headers);
    let open = shared.knobs().clock_open;
    let now = Utc::now().with_timezone(&et());
    let day = now.date_naive();
    let at = |d: NaiveDate, h: u32, m: u32| {
        d.and_hms_opt(h, m, 0)
            .and_then(|t| t.and_local_timezone(et()).single())
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    };
    let next_day = day + ChronoDuration::days(1);
    reply(
        StatusCode::OK,
        json!({"timestamp": now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, false),
               "is_open": open,
               "next_open": at(next_day, 9, 30),
               "next_close": at(if open { day } else { next_day }, 16, 0)}),
        Some(rate),
    )
}

pub(crate) async fn calendar(State(shared): S, headers: HeaderMap, Query(q): Q) -> Response {
    let rate = gated!(shared, headers);
    let date = |k: &str| {
        q.get(k)
            .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
    };
    let (Some(start), Some(end)) = (date("start"), date("end")) else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            42210000,
            "start and end must be YYYY-MM-DD",
            rate,
        );
    };
    let mut days = Vec::new();
    let mut d = start;
    while d <= end && days.len() < 5000 {
        let weekend = matches!(d.weekday(), Weekday::Sat | Weekday::Sun);
        if !weekend && !shared.cfg.holidays.contains(&d) {
            let close = if shared.cfg.early_closes.contains(&d) {
                "13:00"
            } else {
                "16:00"
            };
            days.push(json!({"date": d.format("%Y-%m-%d").to_string(), "open": "09:30",
                             "close": close, "session_open": "0400", "session_close": "2000",
                             "settlement_date": (d + ChronoDuration::days(1)).format("%Y-%m-%d").to_string()}));
        }
        d += ChronoDuration::days(1);
    }
    reply(StatusCode::OK, Value::Array(days), Some(rate))
}

fn dec_field(v: &Value, k: &str) -> Result<Option<Decimal>, String> {
    match v.get(k) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => s
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| format!("invalid {k}: {s}")),
        Some(Value::Number(n)) => n
            .to_string()
            .parse::<Decimal>()
            .map(Some)
            .map_err(|_| format!("invalid {k}: {n}")),
        Some(other) => Err(format!("invalid {k}: {other}")),
    }
}

fn sub_penny(p: Decimal) -> bool {
    let max = if p >= Decimal::ONE { 2 } else { 4 };
    p.normalize().scale() > max
}

fn str_field<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str)
}

/// Checks a new order's parameters as Alpaca does; `Err((status, code, message))`.
fn check_order(shared: &Shared, v: &Value) -> Result<FakeOrder, (StatusCode, i64, String)> {
    let unproc = |m: String| (StatusCode::UNPROCESSABLE_ENTITY, 42210000, m);
    let symbol = str_field(v, "symbol").ok_or_else(|| unproc("symbol is required".into()))?;
    if !shared.series.contains_key(symbol) {
        return Err(unproc(format!("asset \"{symbol}\" not found")));
    }
    let side = str_field(v, "side").filter(|s| matches!(*s, "buy" | "sell"));
    let side = side.ok_or_else(|| unproc("invalid side".into()))?;
    let kind = str_field(v, "type")
        .filter(|s| {
            matches!(
                *s,
                "market" | "limit" | "stop" | "stop_limit" | "trailing_stop"
            )
        })
        .ok_or_else(|| unproc("invalid order type".into()))?;
    let tif = str_field(v, "time_in_force")
        .filter(|s| matches!(*s, "day" | "gtc" | "opg" | "cls" | "ioc" | "fok"))
        .ok_or_else(|| unproc("invalid time_in_force".into()))?;
    let qty = dec_field(v, "qty").map_err(unproc)?;
    let notional = dec_field(v, "notional").map_err(unproc)?;
    let limit_price = dec_field(v, "limit_price").map_err(unproc)?;
    let stop_price = dec_field(v, "stop_price").map_err(unproc)?;
    if qty.is_some() == notional.is_some() {
        return Err(unproc("qty or notional is required, not both".into()));
    }
    let market_day = kind == "market" && tif == "day";
    if qty.is_some_and(|q| !q.fract().is_zero()) && !market_day {
        return Err(unproc(
            "fractional orders must be market orders with time_in_force day".into(),
        ));
    }
    if notional.is_some() && !market_day {
        return Err(unproc(
            "notional orders must be market orders with time_in_force day".into(),
        ));
    }
    if matches!(kind, "limit" | "stop_limit") && limit_price.is_none() {
        return Err(unproc("limit_price is required".into()));
    }
    if matches!(kind, "stop" | "stop_limit") && stop_price.is_none() {
        return Err(unproc("stop_price is required".into()));
    }
    for p in [limit_price, stop_price].into_iter().flatten() {
        if sub_penny(p) {
            return Err(unproc(format!(
                "invalid limit_price {p}. sub-penny increment does not fulfill minimum pricing criteria"
            )));
        }
    }
    let class = str_field(v, "order_class").unwrap_or("");
    let tp = v.get("take_profit").filter(|x| !x.is_null());
    let sl = v.get("stop_loss").filter(|x| !x.is_null());
    let ok_class = match class {
        "" | "simple" => true,
        "bracket" => tp.is_some() && sl.is_some(),
        "oco" => tp.is_some() && sl.is_some() && kind == "limit",
        "oto" => tp.is_some() != sl.is_some(),
        _ => false,
    };
    if !ok_class {
        return Err(unproc(format!("invalid order_class {class:?} or legs")));
    }
    if side == "buy" {
        let price = limit_price
            .or_else(|| shared.last_close(symbol).and_then(Decimal::from_f64))
            .unwrap_or(Decimal::ONE_HUNDRED);
        let cost = notional.unwrap_or_else(|| qty.unwrap_or_default() * price);
        if cost > lock(&shared.book).cash {
            return Err((
                StatusCode::FORBIDDEN,
                40310000,
                "insufficient buying power".to_string(),
            ));
        }
    }
    let now = now_str(shared);
    Ok(FakeOrder {
        id: String::new(),
        client_order_id: String::new(),
        symbol: symbol.to_string(),
        side: side.to_string(),
        kind: kind.to_string(),
        tif: tif.to_string(),
        qty,
        notional,
        filled_qty: Decimal::ZERO,
        filled_notional: Decimal::ZERO,
        limit_price,
        stop_price,
        status: "accepted".to_string(),
        order_class: class.to_string(),
        created_at: now.clone(),
        updated_at: now,
        replaces: None,
        replaced_by: None,
    })
}

/// Creates an order in the book (status `accepted`, then `new` with a `new` event) and,
/// when configured, fills a market order at the last close.
fn create(shared: &Shared, mut order: FakeOrder) -> FakeOrder {
    let mut book = lock(&shared.book);
    order.id = book.new_id();
    let answer = order.clone();
    order.status = "new".to_string();
    book.orders.push(order.clone());
    publish(shared, "new", &order, json!({}));
    if shared.cfg.auto_fill_market && order.kind == "market" {
        let idx = book.orders.len() - 1;
        let price = shared
            .last_close(&order.symbol)
            .and_then(Decimal::from_f64)
            .map(|p| p.round_dp(2))
            .unwrap_or(Decimal::ONE_HUNDRED);
        let qty = order
            .qty
            .unwrap_or_else(|| (order.notional.unwrap_or_default() / price).round_dp(9));
        // An auto fill that cannot apply leaves the order working.
        let _ = execute(shared, &mut book, idx, qty, price);
    }
    answer
}

pub(crate) async fn create_order(State(shared): S, headers: HeaderMap, body: String) -> Response {
    let rate = gated!(shared, headers);
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            40010000,
            "request body format is invalid",
            rate,
        );
    };
    let cid = str_field(&v, "client_order_id")
        .map(str::to_string)
        .unwrap_or_else(|| format!("auto-{}", lock(&shared.book).next_id));
    *lock(&shared.book).posts.entry(cid.clone()).or_default() += 1;
    if cid.len() > 128 {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            42210000,
            "client_order_id must be no more than 128 characters",
            rate,
        );
    }
    if lock(&shared.book).by_client(&cid).is_some() {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            40010001,
            "client_order_id must be unique",
            rate,
        );
    }
    let mut order = match check_order(&shared, &v) {
        Ok(o) => o,
        Err((status, code, msg)) => return err(status, code, &msg, rate),
    };
    order.client_order_id = cid;
    let created = create(&shared, order);
    let fail = {
        let mut k = shared.knobs();
        let fail = k.fail_next_orders > 0;
        k.fail_next_orders = k.fail_next_orders.saturating_sub(1);
        fail
    };
    if fail {
        // The order exists; the client only sees a server error.
        return reply(
            StatusCode::INTERNAL_SERVER_ERROR,
            json!({"message": "internal server error"}),
            Some(rate),
        );
    }
    reply(StatusCode::OK, created.to_json(), Some(rate))
}

pub(crate) async fn list_orders(State(shared): S, headers: HeaderMap, Query(q): Q) -> Response {
    let rate = gated!(shared, headers);
    let status = q.get("status").map(String::as_str).unwrap_or("open");
    let book = lock(&shared.book);
    let list: Vec<Value> = book
        .orders
        .iter()
        .rev()
        .filter(|o| match status {
            "open" => o.is_open(),
            "closed" => !o.is_open(),
            _ => true,
        })
        .map(FakeOrder::to_json)
        .collect();
    reply(StatusCode::OK, Value::Array(list), Some(rate))
}

pub(crate) async fn order_by_client_id(
    State(shared): S,
    headers: HeaderMap,
    Query(q): Q,
) -> Response {
    let rate = gated!(shared, headers);
    let cid = q.get("client_order_id").cloned().unwrap_or_default();
    let book = lock(&shared.book);
    match book.by_client(&cid) {
        Some(o) => reply(StatusCode::OK, o.to_json(), Some(rate)),
        None => err(StatusCode::NOT_FOUND, 40410000, "order not found", rate),
    }
}

pub(crate) async fn get_order(
    State(shared): S,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let rate = gated!(shared, headers);
    let book = lock(&shared.book);
    match book.index(&id) {
        Some(i) => reply(StatusCode::OK, book.orders[i].to_json(), Some(rate)),
        None => err(StatusCode::NOT_FOUND, 40410000, "order not found", rate),
    }
}

fn cancel_in(
    shared: &Shared,
    book: &mut Book,
    idx: usize,
) -> Result<Value, (StatusCode, i64, String)> {
    let o = &mut book.orders[idx];
    if !o.is_open() {
        return Err((
            StatusCode::UNPROCESSABLE_ENTITY,
            42210000,
            format!("order is not cancelable (status {})", o.status),
        ));
    }
    o.status = "canceled".to_string();
    o.updated_at = now_str(shared);
    let snapshot = o.clone();
    publish(shared, "canceled", &snapshot, json!({}));
    Ok(snapshot.to_json())
}

pub(crate) async fn cancel_order(
    State(shared): S,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let rate = gated!(shared, headers);
    let mut book = lock(&shared.book);
    let Some(i) = book.index(&id) else {
        return err(StatusCode::NOT_FOUND, 40410000, "order not found", rate);
    };
    match cancel_in(&shared, &mut book, i) {
        Ok(_) => {
            let mut r = reply(StatusCode::NO_CONTENT, Value::Null, Some(rate));
            *r.body_mut() = axum::body::Body::empty();
            r
        }
        Err((s, c, m)) => err(s, c, &m, rate),
    }
}

pub(crate) async fn cancel_all(State(shared): S, headers: HeaderMap) -> Response {
    let rate = gated!(shared, headers);
    let mut book = lock(&shared.book);
    let open: Vec<usize> = (0..book.orders.len())
        .filter(|&i| book.orders[i].is_open())
        .collect();
    let entries: Vec<Value> = open
        .into_iter()
        .map(|i| {
            let id = book.orders[i].id.clone();
            match cancel_in(&shared, &mut book, i) {
                Ok(body) => json!({"id": id, "status": 200, "body": body}),
                Err((s, c, m)) => {
                    json!({"id": id, "status": s.as_u16(), "body": {"code": c, "message": m}})
                }
            }
        })
        .collect();
    reply(StatusCode::MULTI_STATUS, Value::Array(entries), Some(rate))
}

pub(crate) async fn replace_order(
    State(shared): S,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: String,
) -> Response {
    let rate = gated!(shared, headers);
    let Ok(v) = serde_json::from_str::<Value>(&body) else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            40010000,
            "request body format is invalid",
            rate,
        );
    };
    let mut book = lock(&shared.book);
    let Some(i) = book.index(&id) else {
        return err(StatusCode::NOT_FOUND, 40410000, "order not found", rate);
    };
    if !book.orders[i].is_open() {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            42210000,
            "order is not replaceable",
            rate,
        );
    }
    let mut next = book.orders[i].clone();
    let fields = (
        dec_field(&v, "qty"),
        dec_field(&v, "limit_price"),
        dec_field(&v, "stop_price"),
    );
    let (Ok(qty), Ok(limit), Ok(stop)) = fields else {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            42210000,
            "invalid replace parameters",
            rate,
        );
    };
    if [limit, stop].into_iter().flatten().any(sub_penny) {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            42210000,
            "sub-penny increment does not fulfill minimum pricing criteria",
            rate,
        );
    }
    let new_id = book.new_id();
    let cid = str_field(&v, "client_order_id")
        .map(str::to_string)
        .unwrap_or_else(|| format!("r-{new_id}"));
    if book.by_client(&cid).is_some() {
        return err(
            StatusCode::UNPROCESSABLE_ENTITY,
            40010001,
            "client_order_id must be unique",
            rate,
        );
    }
    next.id = new_id.clone();
    next.client_order_id = cid;
    next.qty = qty.or(next.qty);
    next.limit_price = limit.or(next.limit_price);
    next.stop_price = stop.or(next.stop_price);
    if let Some(t) = str_field(&v, "time_in_force") {
        next.tif = t.to_string();
    }
    next.filled_qty = Decimal::ZERO;
    next.filled_notional = Decimal::ZERO;
    next.replaces = Some(id);
    next.replaced_by = None;
    next.status = "new".to_string();
    next.created_at = now_str(&shared);
    let old = &mut book.orders[i];
    old.status = "replaced".to_string();
    old.replaced_by = Some(new_id);
    let old = old.clone();
    book.orders.push(next.clone());
    publish(&shared, "replaced", &old, json!({}));
    publish(&shared, "new", &next, json!({}));
    reply(StatusCode::OK, next.to_json(), Some(rate))
}

pub(crate) async fn positions(State(shared): S, headers: HeaderMap) -> Response {
    let rate = gated!(shared, headers);
    let book = lock(&shared.book);
    let list: Vec<Value> = book
        .positions
        .iter()
        .map(|(s, p)| book.position_json(s, p, shared.last_close(s)))
        .collect();
    reply(StatusCode::OK, Value::Array(list), Some(rate))
}

pub(crate) async fn position(
    State(shared): S,
    headers: HeaderMap,
    Path(symbol): Path<String>,
) -> Response {
    let rate = gated!(shared, headers);
    let book = lock(&shared.book);
    match book.positions.get(&symbol) {
        Some(p) => reply(
            StatusCode::OK,
            book.position_json(&symbol, p, shared.last_close(&symbol)),
            Some(rate),
        ),
        None => err(
            StatusCode::NOT_FOUND,
            40410000,
            "position does not exist",
            rate,
        ),
    }
}

/// Closes `qty` of `symbol`'s position with a market order (filled at the last close).
fn close_symbol(
    shared: &Shared,
    symbol: &str,
    qty: Option<Decimal>,
    pct: Option<Decimal>,
) -> Result<Value, (StatusCode, i64, String)> {
    let held = lock(&shared.book).positions.get(symbol).map(|p| p.qty);
    let Some(held) = held else {
        return Err((
            StatusCode::NOT_FOUND,
            40410000,
            "position does not exist".to_string(),
        ));
    };
    let amount = match (qty, pct) {
        (Some(q), None) => q,
        (None, Some(p)) => (held.abs() * p / Decimal::ONE_HUNDRED).round_dp(9),
        (None, None) => held.abs(),
        (Some(_), Some(_)) => {
            return Err((
                StatusCode::UNPROCESSABLE_ENTITY,
                42210000,
                "qty and percentage are mutually exclusive".to_string(),
            ))
        }
    };
    if amount <= Decimal::ZERO || amount > held.abs() {
        return Err((
            StatusCode::FORBIDDEN,
            40310000,
            format!(
                "insufficient qty available for order (requested: {amount}, available: {})",
                held.abs()
            ),
        ));
    }
    let now = now_str(shared);
    let order = FakeOrder {
        id: String::new(),
        client_order_id: String::new(),
        symbol: symbol.to_string(),
        side: if held > Decimal::ZERO { "sell" } else { "buy" }.to_string(),
        kind: "market".to_string(),
        tif: "day".to_string(),
        qty: Some(amount),
        notional: None,
        filled_qty: Decimal::ZERO,
        filled_notional: Decimal::ZERO,
        limit_price: None,
        stop_price: None,
        status: "accepted".to_string(),
        order_class: String::new(),
        created_at: now.clone(),
        updated_at: now,
        replaces: None,
        replaced_by: None,
    };
    let mut order = order;
    order.client_order_id = format!("close-{}-{}", symbol, lock(&shared.book).next_id);
    let created = create(shared, order);
    // Liquidations fill at once at the last close.
    let price = shared
        .last_close(symbol)
        .and_then(Decimal::from_f64)
        .map(|p| p.round_dp(2))
        .unwrap_or(Decimal::ONE_HUNDRED);
    let mut book = lock(&shared.book);
    if let Some(i) = book.index(&created.id) {
        if book.orders[i].filled_qty.is_zero() {
            let _ = execute(shared, &mut book, i, amount, price);
        }
    }
    Ok(created.to_json())
}

pub(crate) async fn close_position(
    State(shared): S,
    headers: HeaderMap,
    Path(symbol): Path<String>,
    Query(q): Q,
) -> Response {
    let rate = gated!(shared, headers);
    let parse = |k: &str| {
        q.get(k)
            .map(|s| {
                s.parse::<Decimal>()
                    .map_err(|_| format!("invalid {k}: {s}"))
            })
            .transpose()
    };
    let (qty, pct) = match (parse("qty"), parse("percentage")) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => {
            return err(StatusCode::UNPROCESSABLE_ENTITY, 42210000, &e, rate)
        }
    };
    match close_symbol(&shared, &symbol, qty, pct) {
        Ok(order) => reply(StatusCode::OK, order, Some(rate)),
        Err((s, c, m)) => err(s, c, &m, rate),
    }
}

pub(crate) async fn close_all(State(shared): S, headers: HeaderMap, Query(q): Q) -> Response {
    let rate = gated!(shared, headers);
    if q.get("cancel_orders").map(String::as_str) == Some("true") {
        let mut book = lock(&shared.book);
        let open: Vec<usize> = (0..book.orders.len())
            .filter(|&i| book.orders[i].is_open())
            .collect();
        for i in open {
            let _ = cancel_in(&shared, &mut book, i);
        }
    }
    let symbols: Vec<String> = lock(&shared.book).positions.keys().cloned().collect();
    let entries: Vec<Value> = symbols
        .into_iter()
        .map(|s| match close_symbol(&shared, &s, None, None) {
            Ok(order) => json!({"symbol": s, "status": 200, "body": order}),
            Err((st, c, m)) => json!({"symbol": s, "status": st.as_u16(), "body": {"code": c, "message": m, "symbol": s}}),
        })
        .collect();
    reply(StatusCode::MULTI_STATUS, Value::Array(entries), Some(rate))
}

/// The fill (quantity, price) the minute bar `bar` gives order `o`, if it trades: market
/// orders at the open; limits when the range reaches the limit (at the better of limit and
/// open); stops when the range reaches the stop (at the worse of stop and open). At most
/// 1% of the bar's volume (at least one share) fills per bar, so big orders fill in parts.
fn bar_fill(o: &FakeOrder, bar: &super::series::SeriesBar) -> Option<(Decimal, Decimal)> {
    let d = |x: f64| Decimal::from_f64(x).map(|v| v.round_dp(2));
    let (open, high, low) = (d(bar.open)?, d(bar.high)?, d(bar.low)?);
    let buy = o.side == "buy";
    let price = match (o.kind.as_str(), o.limit_price, o.stop_price) {
        ("market", _, _) => open,
        ("limit", Some(l), _) if buy && low <= l => l.min(open),
        ("limit", Some(l), _) if !buy && high >= l => l.max(open),
        ("stop", _, Some(s)) if buy && high >= s => s.max(open),
        ("stop", _, Some(s)) if !buy && low <= s => s.min(open),
        _ => return None,
    };
    let rest = o.qty? - o.filled_qty;
    let capacity = Decimal::from(bar.volume / 100).max(Decimal::ONE);
    (rest > Decimal::ZERO).then(|| (rest.min(capacity), price))
}

/// Matches every working order against bar index `i` of its symbol's series.
pub(crate) fn match_bar_index(shared: &Shared, i: usize) {
    let mut book = lock(&shared.book);
    let working: Vec<usize> = (0..book.orders.len())
        .filter(|&k| book.orders[k].is_open())
        .collect();
    for k in working {
        let bar = shared
            .series
            .get(&book.orders[k].symbol)
            .and_then(|s| s.get(i).copied().flatten());
        if let Some((qty, price)) = bar.and_then(|b| bar_fill(&book.orders[k], &b)) {
            // A fill the book refuses leaves the order working.
            let _ = execute(shared, &mut book, k, qty, price);
        }
    }
}
