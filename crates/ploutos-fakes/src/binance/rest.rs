//! The REST side: one handler for every `/api/v3/...` path with weight accounting,
//! 429/418, signature and timestamp checks, filters and the order engine.

use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::engine::NewOrder;
use super::market::{forming_open, interval_ms, kline, kline_row, last_price};
use super::{FakeSymbol, PostFailure, Shared};

type Reply = (u16, Value);

fn err(status: u16, code: i64, msg: impl Into<String>) -> Reply {
    (status, json!({"code": code, "msg": msg.into()}))
}

/// Percent-decodes a query/form component (`+` is a space).
pub(crate) fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16)
                {
                    Ok(v) => {
                        out.push(v);
                        i += 2;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn parse_pairs(s: &str) -> Vec<(String, String)> {
    s.split('&')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').unwrap_or((p, ""));
            (decode(k), decode(v))
        })
        .collect()
}

/// The request's parameters (query wins over body) plus the signed payload.
struct Params {
    list: Vec<(String, String)>,
    /// query‖body with the `signature` parameter removed.
    payload: String,
    signature: Option<String>,
}

impl Params {
    fn new(query: &str, body: &str) -> Self {
        let strip = |s: &str| -> (String, Option<String>) {
            match s.rfind("signature=") {
                Some(i) if i == 0 || s.as_bytes()[i - 1] == b'&' => {
                    let sig = s[i + "signature=".len()..]
                        .split('&')
                        .next()
                        .unwrap_or("")
                        .to_string();
                    let rest = s[..i].trim_end_matches('&').to_string();
                    (rest, Some(sig))
                }
                _ => (s.to_string(), None),
            }
        };
        let (q, sq) = strip(query);
        let (b, sb) = strip(body);
        let mut list = parse_pairs(query);
        for (k, v) in parse_pairs(body) {
            if !list.iter().any(|(lk, _)| *lk == k) {
                list.push((k, v));
            }
        }
        Params {
            list,
            payload: format!("{q}{b}"),
            signature: sq.or(sb),
        }
    }

    fn get(&self, k: &str) -> Option<&str> {
        self.list
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.as_str())
    }

    fn need(&self, k: &str) -> Result<&str, Reply> {
        self.get(k).ok_or_else(|| {
            err(
                400,
                -1102,
                format!("Mandatory parameter '{k}' was not sent, was empty/null, or malformed."),
            )
        })
    }

    fn decimal(&self, k: &str) -> Result<Option<Decimal>, Reply> {
        let Some(v) = self.get(k) else {
            return Ok(None);
        };
        let d = Decimal::from_str(v).map_err(|_| err(400, -1100, format!("Illegal characters found in parameter '{k}'; legal range is '^([0-9]{{1,20}})(\\.[0-9]{{1,20}})?$'.")))?;
        if d.scale() > 8 {
            return Err(err(
                400,
                -1111,
                format!("Parameter '{k}' has too much precision."),
            ));
        }
        Ok(Some(d))
    }
}

fn weight_of(method: &Method, path: &str, p: &Params) -> u64 {
    match (method.as_str(), path) {
        ("GET", "/api/v3/klines") => 2,
        ("GET", "/api/v3/exchangeInfo") => 20,
        ("GET", "/api/v3/account") => 20,
        ("GET", "/api/v3/order") => 4,
        ("GET", "/api/v3/openOrders") => {
            if p.get("symbol").is_some() {
                6
            } else {
                80
            }
        }
        _ => 1,
    }
}

/// Every REST request.
pub(crate) async fn handle(
    State(sh): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: String,
) -> Response {
    let params = Params::new(uri.query().unwrap_or(""), &body);
    let path = uri.path().to_string();
    let weight = weight_of(&method, &path, &params);
    let mut retry_after: Option<u64> = None;
    let gate = admit(&sh, weight, &mut retry_after);
    let (status, value) = match gate {
        Err(r) => r,
        Ok(()) => route(&sh, &method, &path, &headers, &params).unwrap_or_else(|e| e),
    };
    let used = sh.ctl().weight_used;
    let mut resp = (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        value.to_string(),
    )
        .into_response();
    let h = resp.headers_mut();
    h.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(v) = HeaderValue::from_str(&used.to_string()) {
        h.insert("x-mbx-used-weight-1m", v.clone());
        h.insert("x-mbx-used-weight", v);
    }
    if let Some(s) = retry_after.and_then(|s| HeaderValue::from_str(&s.to_string()).ok()) {
        h.insert("retry-after", s);
    }
    resp
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// Bans, 429s and the weight budget.
fn admit(sh: &Shared, weight: u64, retry_after: &mut Option<u64>) -> Result<(), Reply> {
    // Read the clock before taking the control lock (server_ms takes it too).
    let server_now = sh.server_ms();
    let server_minute = server_now.div_euclid(60_000);
    let ban_len = sh.cfg.ban;
    let mut c = sh.ctl();
    c.requests += 1;
    let now = Instant::now();
    let ban = |c: &mut super::Control, len: Duration, retry_after: &mut Option<u64>| {
        c.banned_until = Some(now + len);
        *retry_after = Some(ceil_secs(len).max(1));
        err(418, -1003, format!("Way too much request weight used; IP banned until {}. Please use WebSocket Streams for live updates to avoid bans.", server_now + i64::try_from(len.as_millis()).unwrap_or(0)))
    };
    if let Some(until) = c.banned_until.filter(|u| *u > now) {
        *retry_after = Some(ceil_secs(until - now).max(1));
        return Err(err(418, -1003, "Way too much request weight used; IP banned. Please use WebSocket Streams for live updates to avoid bans."));
    }
    if let Some(len) = c.ban_next.take() {
        return Err(ban(&mut c, len, retry_after));
    }
    if c.pause_until.is_some_and(|u| u > now) {
        // Kept going after a 429.
        return Err(ban(&mut c, ban_len, retry_after));
    }
    if c.weight_minute != server_minute {
        c.weight_minute = server_minute;
        c.weight_used = 0;
    }
    c.weight_used += weight;
    let limit = c.weight_limit;
    if c.fail_429 > 0 || c.weight_used > limit {
        c.fail_429 = c.fail_429.saturating_sub(1);
        let secs = if c.weight_used > limit {
            60 - u64::try_from(sh_minute_secs(sh)).unwrap_or(0)
        } else {
            c.retry_after_s
        };
        c.pause_until = Some(now + Duration::from_secs(secs));
        *retry_after = Some(secs);
        return Err(err(429, -1003, format!("Too much request weight used; current limit is {limit} request weight per 1 MINUTE. Please use WebSocket Streams for live updates to avoid polling the API.")));
    }
    Ok(())
}

fn sh_minute_secs(sh: &Shared) -> i64 {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let _ = sh;
    i64::try_from(now % 60).unwrap_or(0)
}

/// API key, signature, timestamp.
fn check_signed(sh: &Shared, headers: &HeaderMap, p: &Params) -> Result<(), Reply> {
    let key = headers.get("x-mbx-apikey").and_then(|v| v.to_str().ok());
    if key != Some(sh.cfg.api_key.as_str()) {
        return Err(err(
            401,
            -2015,
            "Invalid API-key, IP, or permissions for action.",
        ));
    }
    let Some(sig) = &p.signature else {
        return Err(err(
            400,
            -1102,
            "Mandatory parameter 'signature' was not sent, was empty/null, or malformed.",
        ));
    };
    let expected = super::wsapi::hmac_hex(&sh.cfg.secret_key, &p.payload);
    if !sig.eq_ignore_ascii_case(&expected) {
        return Err(err(400, -1022, "Signature for this request is not valid."));
    }
    check_timestamp(sh, p.get("timestamp"), p.get("recvWindow"))
}

/// The recvWindow rule: `timestamp < server + 1000` and `server − timestamp <= recvWindow`.
pub(crate) fn check_timestamp(
    sh: &Shared,
    ts: Option<&str>,
    window: Option<&str>,
) -> Result<(), Reply> {
    let ts: i64 = ts.and_then(|t| t.parse().ok()).ok_or_else(|| {
        err(
            400,
            -1102,
            "Mandatory parameter 'timestamp' was not sent, was empty/null, or malformed.",
        )
    })?;
    let window: f64 = window.and_then(|w| w.parse().ok()).unwrap_or(5000.0);
    if window > 60_000.0 {
        return Err(err(400, -1131, "recvWindow must be less than 60000"));
    }
    let server = sh.server_ms();
    if ts >= server + 1000 {
        return Err(err(
            400,
            -1021,
            "Timestamp for this request was 1000ms ahead of the server's time.",
        ));
    }
    if (server - ts) as f64 > window {
        return Err(err(
            400,
            -1021,
            "Timestamp for this request is outside of the recvWindow.",
        ));
    }
    Ok(())
}

fn symbol_of<'a>(sh: &'a Shared, p: &Params) -> Result<&'a FakeSymbol, Reply> {
    let s = p.need("symbol")?;
    sh.symbol(s)
        .ok_or_else(|| err(400, -1121, "Invalid symbol."))
}

fn route(
    sh: &Shared,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    p: &Params,
) -> Result<Reply, Reply> {
    let signed = matches!(
        path,
        "/api/v3/order"
            | "/api/v3/order/test"
            | "/api/v3/openOrders"
            | "/api/v3/account"
            | "/api/v3/orderList/oco"
    );
    if signed {
        check_signed(sh, headers, p)?;
    }
    match (method.as_str(), path) {
        ("GET", "/api/v3/ping") => Ok((200, json!({}))),
        ("GET", "/api/v3/time") => Ok((200, json!({"serverTime": sh.server_ms()}))),
        ("GET", "/api/v3/exchangeInfo") => exchange_info(sh, p),
        ("GET", "/api/v3/klines") => klines(sh, p),
        ("POST", "/api/v3/order") => new_order(sh, p, false),
        ("POST", "/api/v3/order/test") => new_order(sh, p, true),
        ("GET", "/api/v3/order") => {
            let s = symbol_of(sh, p)?;
            let oid = p.get("orderId").and_then(|v| v.parse().ok());
            let e = sh.engine();
            match e.find(&s.symbol, p.get("origClientOrderId"), oid) {
                Some(o) => Ok((200, o.json())),
                None => Err(err(400, -2013, "Order does not exist.")),
            }
        }
        ("DELETE", "/api/v3/order") => {
            let s = symbol_of(sh, p)?;
            let oid = p.get("orderId").and_then(|v| v.parse().ok());
            // Order events happen on the fake market's clock, like its klines.
            let now = sh.market_now_ms();
            let done = sh.engine().cancel(s, p.get("origClientOrderId"), oid, now);
            match done {
                Some((o, events)) => {
                    publish(sh, events);
                    let mut v = o.json();
                    v["origClientOrderId"] = Value::from(o.client_id.clone());
                    v["clientOrderId"] = Value::from(format!("cancel-{}", o.order_id));
                    Ok((200, v))
                }
                None => Err(err(400, -2011, "Unknown order sent.")),
            }
        }
        ("GET", "/api/v3/openOrders") => {
            if let Some(s) = p.get("symbol") {
                if sh.symbol(s).is_none() {
                    return Err(err(400, -1121, "Invalid symbol."));
                }
            }
            Ok((200, Value::from(sh.engine().open_orders(p.get("symbol")))))
        }
        ("GET", "/api/v3/account") => Ok((
            200,
            json!({"makerCommission": 10, "takerCommission": 10, "canTrade": true,
            "canWithdraw": true, "canDeposit": true, "accountType": "SPOT", "updateTime": sh.server_ms(),
            "balances": sh.engine().balances_json(), "permissions": ["SPOT"], "uid": 1}),
        )),
        ("POST", "/api/v3/orderList/oco") => oco(sh, p),
        _ => Err(err(404, -1000, format!("Unknown endpoint {method} {path}"))),
    }
}

fn publish(sh: &Shared, events: Vec<Value>) {
    for e in events {
        let _ = sh.user_tx.send(e);
    }
}

fn exchange_info(sh: &Shared, p: &Params) -> Result<Reply, Reply> {
    let mut wanted: Option<Vec<String>> = p.get("symbol").map(|s| vec![s.to_string()]);
    if let Some(list) = p.get("symbols") {
        let v: Vec<String> = serde_json::from_str(list).map_err(|_| {
            err(
                400,
                -1100,
                "Illegal characters found in parameter 'symbols'",
            )
        })?;
        wanted = Some(v);
    }
    let mut symbols = Vec::new();
    for s in &sh.cfg.symbols {
        if wanted.as_ref().is_some_and(|w| !w.contains(&s.symbol)) {
            continue;
        }
        symbols.push(json!({"symbol": s.symbol, "status": "TRADING", "baseAsset": s.base, "baseAssetPrecision": 8,
            "quoteAsset": s.quote, "quoteAssetPrecision": 8,
            "orderTypes": ["LIMIT", "LIMIT_MAKER", "MARKET", "STOP_LOSS", "STOP_LOSS_LIMIT", "TAKE_PROFIT", "TAKE_PROFIT_LIMIT"],
            "icebergAllowed": true, "ocoAllowed": true, "quoteOrderQtyMarketAllowed": true, "allowTrailingStop": true,
            "isSpotTradingAllowed": true,
            "filters": [
                {"filterType": "PRICE_FILTER", "minPrice": s.tick_size.to_string(), "maxPrice": "1000000.00000000", "tickSize": s.tick_size.to_string()},
                {"filterType": "LOT_SIZE", "minQty": s.step_size.to_string(), "maxQty": "9000.00000000", "stepSize": s.step_size.to_string()},
                {"filterType": "MARKET_LOT_SIZE", "minQty": "0.00000000", "maxQty": "100.00000000", "stepSize": "0.00000000"},
                {"filterType": "NOTIONAL", "minNotional": s.min_notional.to_string(), "applyMinToMarket": true,
                 "maxNotional": "9000000.00000000", "applyMaxToMarket": false, "avgPriceMins": 5}]}));
    }
    if let Some(w) = &wanted {
        if symbols.len() != w.len() {
            return Err(err(400, -1121, "Invalid symbol."));
        }
    }
    let limit = sh.ctl().weight_limit;
    Ok((
        200,
        json!({"timezone": "UTC", "serverTime": sh.server_ms(),
        "rateLimits": [
            {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": limit},
            {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 100},
            {"rateLimitType": "RAW_REQUESTS", "interval": "MINUTE", "intervalNum": 5, "limit": 61000}],
        "exchangeFilters": [], "symbols": symbols}),
    ))
}

fn klines(sh: &Shared, p: &Params) -> Result<Reply, Reply> {
    let s = symbol_of(sh, p)?;
    let iv =
        interval_ms(p.need("interval")?).ok_or_else(|| err(400, -1120, "Invalid interval."))?;
    let limit: i64 = match p.get("limit") {
        Some(l) => l
            .parse()
            .ok()
            .filter(|l| (1..=1000).contains(l))
            .ok_or_else(|| err(400, -1100, "Illegal characters found in parameter 'limit'"))?,
        None => 500,
    };
    let num = |k: &str| -> Result<Option<i64>, Reply> {
        p.get(k)
            .map(|v| {
                v.parse::<i64>().map_err(|_| {
                    err(
                        400,
                        -1100,
                        format!("Illegal characters found in parameter '{k}'"),
                    )
                })
            })
            .transpose()
    };
    let (forming, frac) = forming_open(sh, iv);
    let first = sh.cfg.start_ms;
    let end = num("endTime")?.map_or(forming, |e| e.min(forming));
    let ceil = |t: i64| t + (iv - t.rem_euclid(iv)) % iv;
    let start = match num("startTime")? {
        Some(t) => ceil(t.max(first)),
        None => (end - end.rem_euclid(iv) - (limit - 1) * iv).max(ceil(first)),
    };
    let omitted = sh.ctl().omitted.clone();
    let mut rows = Vec::new();
    let mut t = start;
    while t <= end && rows.len() < usize::try_from(limit).unwrap_or(0) {
        let f = if t == forming { frac } else { 1.0 };
        if !omitted.iter().any(|&(a, b)| a <= t && t < b) {
            rows.push(kline_row(&kline(sh, s, t, iv, f)));
        }
        t += iv;
    }
    Ok((200, Value::from(rows)))
}

/// Validates an order's numbers against the symbol's filters.
fn check_filters(
    s: &FakeSymbol,
    kind: &str,
    qty: Decimal,
    price: Decimal,
    stop: Decimal,
    last: Decimal,
) -> Result<(), Reply> {
    let multiple = |v: Decimal, step: Decimal| step.is_zero() || (v % step).is_zero();
    if qty > Decimal::ZERO
        && (qty < s.step_size || !multiple(qty, s.step_size) || qty > Decimal::from(9000))
    {
        return Err(err(400, -1013, "Filter failure: LOT_SIZE"));
    }
    for v in [price, stop] {
        if v < Decimal::ZERO
            || (v > Decimal::ZERO && (!multiple(v, s.tick_size) || v < s.tick_size))
        {
            return Err(err(400, -1013, "Filter failure: PRICE_FILTER"));
        }
    }
    let reference = if kind == "MARKET" || price.is_zero() {
        last
    } else {
        price
    };
    if qty > Decimal::ZERO && qty * reference < s.min_notional {
        return Err(err(400, -1013, "Filter failure: NOTIONAL"));
    }
    Ok(())
}

fn new_order(sh: &Shared, p: &Params, test: bool) -> Result<Reply, Reply> {
    let s = symbol_of(sh, p)?.clone();
    let client_id = p
        .get("newClientOrderId")
        .map(str::to_string)
        .unwrap_or_else(|| format!("fake-{}", sh.server_ms()));
    if !test {
        *sh.ctl().post_counts.entry(client_id.clone()).or_insert(0) += 1;
    }
    let side = p.need("side")?.to_string();
    if side != "BUY" && side != "SELL" {
        return Err(err(
            400,
            -1100,
            "Illegal characters found in parameter 'side'",
        ));
    }
    let kind = p.need("type")?.to_string();
    let qty = p.decimal("quantity")?.unwrap_or_default();
    let quote_qty = p.decimal("quoteOrderQty")?.unwrap_or_default();
    let price = p.decimal("price")?.unwrap_or_default();
    let stop = p.decimal("stopPrice")?.unwrap_or_default();
    let tif = p.get("timeInForce").unwrap_or("GTC").to_string();
    let needs: &[&str] = match kind.as_str() {
        "MARKET" => &[],
        "LIMIT" => &["timeInForce", "quantity", "price"],
        "LIMIT_MAKER" => &["quantity", "price"],
        "STOP_LOSS" | "TAKE_PROFIT" => &["quantity"],
        "STOP_LOSS_LIMIT" | "TAKE_PROFIT_LIMIT" => &["timeInForce", "quantity", "price"],
        _ => return Err(err(400, -1116, "Invalid orderType.")),
    };
    for k in needs {
        p.need(k)?;
    }
    if kind == "MARKET" && qty.is_zero() == quote_qty.is_zero() {
        return Err(err(
            400,
            -1102,
            "Param 'quantity' or 'quoteOrderQty' must be sent, but both were empty/null!",
        ));
    }
    if (kind.starts_with("STOP") || kind.starts_with("TAKE"))
        && stop.is_zero()
        && p.get("trailingDelta").is_none()
    {
        return Err(err(
            400,
            -1102,
            "Param 'stopPrice' or 'trailingDelta' must be sent.",
        ));
    }
    let last = last_price(sh, &s);
    check_filters(&s, &kind, qty, price, stop, last)?;
    if quote_qty > Decimal::ZERO && quote_qty < s.min_notional {
        return Err(err(400, -1013, "Filter failure: NOTIONAL"));
    }
    if test {
        return Ok((200, json!({})));
    }
    // Order events happen on the fake market's clock, like its klines.
    let now = sh.market_now_ms();
    let order = NewOrder {
        symbol: s.clone(),
        client_id,
        side,
        kind: kind.clone(),
        tif,
        qty,
        quote_qty,
        price,
        stop,
        list_id: -1,
    };
    let placed = sh
        .engine()
        .place(order, last, now)
        .map_err(|(code, msg)| err(400, code, msg))?;
    publish(sh, placed.events.clone());
    if let Some(f) = sh.ctl().fail_next_post.take() {
        return Err(match f {
            PostFailure::Http500 => err(500, -1000, "An unknown error occurred while processing the request."),
            PostFailure::Timeout1007 => err(503, -1007, "Timeout waiting for response from backend server. Send status unknown; execution status unknown."),
        });
    }
    let default_full = kind == "MARKET" || kind == "LIMIT";
    let resp_type = p
        .get("newOrderRespType")
        .unwrap_or(if default_full { "FULL" } else { "ACK" });
    let o = &placed.order;
    let v = match resp_type {
        "ACK" => {
            json!({"symbol": o.symbol, "orderId": o.order_id, "orderListId": o.list_id, "clientOrderId": o.client_id, "transactTime": o.time})
        }
        "RESULT" => o.json(),
        _ => {
            let mut v = o.json();
            v["fills"] = placed.fills.iter().map(|f| json!({"price": f.price.to_string(), "qty": f.qty.to_string(),
                "commission": f.commission.to_string(), "commissionAsset": s.quote, "tradeId": f.trade_id})).collect();
            v
        }
    };
    Ok((200, v))
}

fn oco(sh: &Shared, p: &Params) -> Result<Reply, Reply> {
    let s = symbol_of(sh, p)?.clone();
    let side = p.need("side")?.to_string();
    let qty = p.decimal("quantity")?.ok_or_else(|| {
        err(
            400,
            -1102,
            "Mandatory parameter 'quantity' was not sent, was empty/null, or malformed.",
        )
    })?;
    let last = last_price(sh, &s);
    // Order events happen on the fake market's clock, like its klines.
    let now = sh.market_now_ms();
    let list_id = sh.engine().next_list_id();
    let list_client = p
        .get("listClientOrderId")
        .map(str::to_string)
        .unwrap_or_else(|| format!("list-{list_id}"));
    let mut legs = Vec::new();
    for leg in ["above", "below"] {
        let k = |f: &str| format!("{leg}{f}");
        let kind = p.need(&k("Type"))?.to_string();
        let price = p.decimal(&k("Price"))?.unwrap_or_default();
        let stop = p.decimal(&k("StopPrice"))?.unwrap_or_default();
        check_filters(&s, &kind, qty, price, stop, last)?;
        let trigger = if stop > Decimal::ZERO { stop } else { price };
        let ok = if leg == "above" {
            trigger > last
        } else {
            trigger < last
        };
        if !ok {
            return Err(err(
                400,
                -2010,
                "The relationship of the prices for the orders is not correct.",
            ));
        }
        let cid = p
            .get(&k("ClientOrderId"))
            .map(str::to_string)
            .unwrap_or_else(|| format!("{list_client}-{leg}"));
        let tif = p.get(&k("TimeInForce")).unwrap_or("GTC").to_string();
        legs.push(NewOrder {
            symbol: s.clone(),
            client_id: cid,
            side: side.clone(),
            kind,
            tif,
            qty,
            quote_qty: Decimal::ZERO,
            price,
            stop,
            list_id,
        });
    }
    let mut reports = Vec::new();
    let mut orders = Vec::new();
    for leg in legs {
        let placed = sh
            .engine()
            .place(leg, last, now)
            .map_err(|(code, msg)| err(400, code, msg))?;
        publish(sh, placed.events);
        orders.push(json!({"symbol": s.symbol, "orderId": placed.order.order_id, "clientOrderId": placed.order.client_id}));
        reports.push(placed.order.json());
    }
    Ok((
        200,
        json!({"orderListId": list_id, "contingencyType": "OCO", "listStatusType": "EXEC_STARTED",
        "listOrderStatus": "EXECUTING", "listClientOrderId": list_client, "transactionTime": now, "symbol": s.symbol,
        "orders": orders, "orderReports": reports}),
    ))
}
