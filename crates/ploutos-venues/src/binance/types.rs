//! Parsers for everything Binance sends: market-stream frames, REST bodies (klines,
//! exchangeInfo, orders, account, errors) and WebSocket API frames (responses, user-data
//! events). Unknown fields are ignored; a missing or malformed required field is
//! [`VenueError::Protocol`] quoting an excerpt of the message. Nothing here panics.

use std::collections::HashMap;
use std::str::FromStr;

use ploutos_core::{Bar, Decimal, Timestamp, Trade};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

use crate::error::VenueError;
use crate::net::excerpt;

use super::VENUE;

/// How much of an offending message an error quotes.
const EXCERPT: usize = 200;

/// A protocol error quoting `raw`.
pub(crate) fn protocol(what: impl std::fmt::Display, raw: &str) -> VenueError {
    VenueError::Protocol {
        venue: VENUE,
        message: format!("{what}: {}", excerpt(raw, EXCERPT)),
    }
}

/// Parses `raw` as `T`, naming `what` and quoting `raw` on failure.
pub(crate) fn parse_json<T: DeserializeOwned>(what: &str, raw: &str) -> Result<T, VenueError> {
    serde_json::from_str(raw).map_err(|e| protocol(format_args!("bad {what} ({e})"), raw))
}

fn from_value<T: DeserializeOwned>(what: &str, v: Value, raw: &str) -> Result<T, VenueError> {
    serde_json::from_value(v).map_err(|e| protocol(format_args!("bad {what} ({e})"), raw))
}

/// A decimal string (`"0.0010"`) as a finite `f64` (bar and trade values).
fn de_f64_str<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    let s = String::deserialize(d)?;
    parse_f64(&s).ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a finite number")))
}

fn parse_f64(s: &str) -> Option<f64> {
    s.trim().parse::<f64>().ok().filter(|x| x.is_finite())
}

/// Milliseconds since the epoch as a [`Timestamp`].
pub(crate) fn millis(ms: i64, field: &str, raw: &str) -> Result<Timestamp, VenueError> {
    Timestamp::from_millis(ms)
        .ok_or_else(|| protocol(format_args!("{field} {ms} is out of range"), raw))
}

// ---------------------------------------------------------------------------------------
// Market streams
// ---------------------------------------------------------------------------------------

/// One kline (`k` of a kline event).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Kline {
    /// Open time, ms.
    #[serde(rename = "t")]
    pub open_time: i64,
    /// Close time, ms (`t + interval − 1`).
    #[serde(rename = "T")]
    pub close_time: i64,
    /// Symbol (upper case).
    #[serde(rename = "s")]
    pub symbol: String,
    /// Interval (`1m`).
    #[serde(rename = "i")]
    pub interval: String,
    /// Open.
    #[serde(rename = "o", deserialize_with = "de_f64_str")]
    pub open: f64,
    /// High.
    #[serde(rename = "h", deserialize_with = "de_f64_str")]
    pub high: f64,
    /// Low.
    #[serde(rename = "l", deserialize_with = "de_f64_str")]
    pub low: f64,
    /// Close (last price so far while forming).
    #[serde(rename = "c", deserialize_with = "de_f64_str")]
    pub close: f64,
    /// Base-asset volume.
    #[serde(rename = "v", deserialize_with = "de_f64_str")]
    pub volume: f64,
    /// Number of trades.
    #[serde(rename = "n", default)]
    pub trades: u64,
    /// Whether the kline is closed (final).
    #[serde(rename = "x")]
    pub closed: bool,
}

impl Kline {
    /// The kline as a validated [`Bar`] (time = open time).
    pub fn to_bar(&self, raw: &str) -> Result<Bar, VenueError> {
        let time = millis(self.open_time, "kline open time", raw)?;
        Bar::new(
            time,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
        )
        .map(|b| b.with_trades(self.trades))
        .map_err(|e| protocol(format_args!("invalid kline ({e})"), raw))
    }
}

/// A kline event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct KlineEvent {
    /// Event time, ms.
    #[serde(rename = "E", default)]
    pub event_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// The kline.
    #[serde(rename = "k")]
    pub kline: Kline,
}

/// A trade event (`<symbol>@trade`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TradeEvent {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Trade id.
    #[serde(rename = "t")]
    pub id: u64,
    /// Price.
    #[serde(rename = "p", deserialize_with = "de_f64_str")]
    pub price: f64,
    /// Quantity.
    #[serde(rename = "q", deserialize_with = "de_f64_str")]
    pub quantity: f64,
    /// Trade time, ms.
    #[serde(rename = "T")]
    pub time: i64,
    /// Buyer is the maker (so the seller was the aggressor).
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

impl TradeEvent {
    /// As a validated [`Trade`] with id and aggressor side.
    pub fn to_trade(&self, raw: &str) -> Result<Trade, VenueError> {
        let time = millis(self.time, "trade time", raw)?;
        let aggressor = if self.buyer_is_maker {
            ploutos_core::Side::Sell
        } else {
            ploutos_core::Side::Buy
        };
        Trade::new(time, self.price, self.quantity)
            .map(|t| t.with_id(self.id).with_aggressor(aggressor))
            .map_err(|e| protocol(format_args!("invalid trade ({e})"), raw))
    }
}

/// An aggregate trade event (`<symbol>@aggTrade`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AggTradeEvent {
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Aggregate trade id.
    #[serde(rename = "a")]
    pub id: u64,
    /// Price.
    #[serde(rename = "p", deserialize_with = "de_f64_str")]
    pub price: f64,
    /// Quantity.
    #[serde(rename = "q", deserialize_with = "de_f64_str")]
    pub quantity: f64,
    /// Trade time, ms.
    #[serde(rename = "T")]
    pub time: i64,
    /// Buyer is the maker.
    #[serde(rename = "m")]
    pub buyer_is_maker: bool,
}

/// Best bid/ask (`<symbol>@bookTicker`, no `e`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct BookTicker {
    /// Update id.
    #[serde(rename = "u")]
    pub update_id: u64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Best bid.
    #[serde(rename = "b", deserialize_with = "de_f64_str")]
    pub bid: f64,
    /// Best bid quantity.
    #[serde(rename = "B", deserialize_with = "de_f64_str")]
    pub bid_qty: f64,
    /// Best ask.
    #[serde(rename = "a", deserialize_with = "de_f64_str")]
    pub ask: f64,
    /// Best ask quantity.
    #[serde(rename = "A", deserialize_with = "de_f64_str")]
    pub ask_qty: f64,
}

/// One frame of a market-stream connection.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamFrame {
    /// A kline update.
    Kline(KlineEvent),
    /// A trade.
    Trade(TradeEvent),
    /// An aggregate trade.
    AggTrade(AggTradeEvent),
    /// Best bid/ask.
    BookTicker(BookTicker),
    /// An answer to SUBSCRIBE / UNSUBSCRIBE (`result` null) or LIST_SUBSCRIPTIONS.
    Response {
        /// The request id (as JSON: number, string or null).
        id: Value,
        /// The result.
        result: Value,
    },
    /// An error answer (`{"code":2,"msg":"..."}`).
    Error {
        /// The code.
        code: i64,
        /// The message.
        msg: String,
        /// The request id, when given.
        id: Value,
    },
    /// `serverShutdown`: a planned disconnect follows; reconnect.
    ServerShutdown,
    /// Any other event type (depth, ticker …), by its `e`.
    Other(String),
}

/// Parses one text frame of a market stream, raw or combined (`{"stream","data"}`).
pub fn parse_stream_frame(raw: &str) -> Result<StreamFrame, VenueError> {
    let v: Value = parse_json("stream frame", raw)?;
    let Value::Object(mut obj) = v else {
        return Err(protocol("stream frame is not a JSON object", raw));
    };
    // Combined stream: unwrap the payload.
    if obj.contains_key("stream") {
        let data = obj
            .remove("data")
            .ok_or_else(|| protocol("combined stream frame without data", raw))?;
        let Value::Object(inner) = data else {
            return Err(protocol("combined stream data is not an object", raw));
        };
        obj = inner;
    }
    if let Some(e) = obj.get("e") {
        let kind = e
            .as_str()
            .ok_or_else(|| protocol("event type e is not a string", raw))?
            .to_string();
        let v = Value::Object(obj);
        return match kind.as_str() {
            "kline" => from_value("kline event", v, raw).map(StreamFrame::Kline),
            "trade" => from_value("trade event", v, raw).map(StreamFrame::Trade),
            "aggTrade" => from_value("aggTrade event", v, raw).map(StreamFrame::AggTrade),
            "serverShutdown" => Ok(StreamFrame::ServerShutdown),
            _ => Ok(StreamFrame::Other(kind)),
        };
    }
    if obj.contains_key("code") {
        let code = obj
            .get("code")
            .and_then(Value::as_i64)
            .ok_or_else(|| protocol("error code is not an integer", raw))?;
        let msg = obj
            .get("msg")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let id = obj.get("id").cloned().unwrap_or(Value::Null);
        return Ok(StreamFrame::Error { code, msg, id });
    }
    if obj.contains_key("result") || obj.contains_key("id") {
        let id = obj.get("id").cloned().unwrap_or(Value::Null);
        let result = obj.get("result").cloned().unwrap_or(Value::Null);
        return Ok(StreamFrame::Response { id, result });
    }
    if obj.contains_key("u") && obj.contains_key("b") && obj.contains_key("a") {
        return from_value("bookTicker", Value::Object(obj), raw).map(StreamFrame::BookTicker);
    }
    Err(protocol("unrecognised stream frame", raw))
}

// ---------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------

/// An error body `{"code":-1121,"msg":"Invalid symbol."}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ApiError {
    /// Binance error code (negative).
    pub code: i64,
    /// The message.
    #[serde(default)]
    pub msg: String,
}

/// Parses an error body; `None` when it is not one.
pub fn parse_api_error(raw: &str) -> Option<ApiError> {
    serde_json::from_str(raw).ok()
}

/// A REST kline row, values kept as the exact decimals (for the bar, use [`KlineRow::to_bar`]).
#[derive(Debug, Clone, PartialEq)]
pub struct KlineRow {
    /// Open time, ms.
    pub open_time: i64,
    /// Close time, ms.
    pub close_time: i64,
    /// Open, high, low, close, base volume.
    pub ohlcv: [f64; 5],
    /// Number of trades.
    pub trades: u64,
}

impl KlineRow {
    /// As a validated [`Bar`] (time = open time).
    pub fn to_bar(&self, raw: &str) -> Result<Bar, VenueError> {
        let time = millis(self.open_time, "kline open time", raw)?;
        let [o, h, l, c, v] = self.ohlcv;
        Bar::new(time, o, h, l, c, v)
            .map(|b| b.with_trades(self.trades))
            .map_err(|e| protocol(format_args!("invalid kline row ({e})"), raw))
    }
}

/// Parses the body of `GET /api/v3/klines`: an array of 12-element arrays.
pub fn parse_klines(raw: &str) -> Result<Vec<KlineRow>, VenueError> {
    let rows: Vec<Vec<Value>> = parse_json("klines", raw)?;
    rows.iter().map(|row| kline_row(row, raw)).collect()
}

fn kline_row(row: &[Value], raw: &str) -> Result<KlineRow, VenueError> {
    if row.len() < 9 {
        return Err(protocol(
            format_args!("kline row has {} elements, expected 12", row.len()),
            raw,
        ));
    }
    let int = |i: usize, name: &str| {
        row[i].as_i64().ok_or_else(|| {
            protocol(
                format_args!("kline {name} {} is not an integer", row[i]),
                raw,
            )
        })
    };
    let num = |i: usize, name: &str| {
        row[i].as_str().and_then(parse_f64).ok_or_else(|| {
            protocol(
                format_args!("kline {name} {} is not a decimal string", row[i]),
                raw,
            )
        })
    };
    let trades = int(8, "trade count")?;
    Ok(KlineRow {
        open_time: int(0, "open time")?,
        ohlcv: [
            num(1, "open")?,
            num(2, "high")?,
            num(3, "low")?,
            num(4, "close")?,
            num(5, "volume")?,
        ],
        close_time: int(6, "close time")?,
        trades: u64::try_from(trades)
            .map_err(|_| protocol(format_args!("kline trade count {trades} is negative"), raw))?,
    })
}

/// `GET /api/v3/time`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub struct ServerTime {
    /// Server time, ms.
    #[serde(rename = "serverTime")]
    pub server_time: i64,
}

/// One `rateLimits` entry of exchangeInfo.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RateLimit {
    /// `REQUEST_WEIGHT`, `ORDERS`, `RAW_REQUESTS`.
    #[serde(rename = "rateLimitType")]
    pub kind: String,
    /// `SECOND`, `MINUTE`, `DAY`.
    pub interval: String,
    /// Multiplier of the interval.
    #[serde(rename = "intervalNum")]
    pub interval_num: u32,
    /// The limit.
    pub limit: u64,
}

/// One symbol's trading rules from exchangeInfo (the filters the client applies locally).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SymbolRules {
    /// Symbol (`BTCUSDT`).
    pub symbol: String,
    /// `TRADING`, `HALT`, …
    pub status: String,
    /// Base asset (`BTC`).
    pub base_asset: String,
    /// Quote asset (`USDT`).
    pub quote_asset: String,
    /// Decimals the quote asset allows (for `quoteOrderQty`).
    pub quote_precision: u32,
    /// PRICE_FILTER minPrice (0 = no minimum).
    pub min_price: Decimal,
    /// PRICE_FILTER maxPrice (0 = no maximum).
    pub max_price: Decimal,
    /// PRICE_FILTER tickSize (0 = any).
    pub tick_size: Decimal,
    /// LOT_SIZE minQty.
    pub min_qty: Decimal,
    /// LOT_SIZE maxQty (0 = no maximum).
    pub max_qty: Decimal,
    /// LOT_SIZE stepSize (0 = any).
    pub step_size: Decimal,
    /// MARKET_LOT_SIZE (minQty, maxQty, stepSize), when listed.
    pub market_lot: Option<(Decimal, Decimal, Decimal)>,
    /// NOTIONAL / MIN_NOTIONAL minimum (0 = none).
    pub min_notional: Decimal,
    /// Whether the minimum applies to MARKET orders.
    pub min_notional_market: bool,
    /// NOTIONAL maximum (0 = none).
    pub max_notional: Decimal,
    /// Whether the maximum applies to MARKET orders.
    pub max_notional_market: bool,
}

/// exchangeInfo reduced to what the client uses: the rules per symbol and the rate limits.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SymbolFilters {
    /// Rules by symbol (upper case).
    pub symbols: HashMap<String, SymbolRules>,
    /// The listed rate limits.
    pub rate_limits: Vec<RateLimit>,
}

impl SymbolFilters {
    /// The rules of `symbol`.
    pub fn get(&self, symbol: &str) -> Option<&SymbolRules> {
        self.symbols.get(symbol)
    }

    /// The REQUEST_WEIGHT limit per minute, when listed.
    pub fn weight_per_minute(&self) -> Option<u64> {
        self.rate_limits
            .iter()
            .find(|r| r.kind == "REQUEST_WEIGHT" && r.interval == "MINUTE" && r.interval_num > 0)
            .map(|r| r.limit / u64::from(r.interval_num))
    }
}

#[derive(Deserialize)]
struct ExchangeInfoRaw {
    #[serde(rename = "rateLimits", default)]
    rate_limits: Vec<RateLimit>,
    symbols: Vec<SymbolRaw>,
}

#[derive(Deserialize)]
struct SymbolRaw {
    symbol: String,
    #[serde(default)]
    status: String,
    #[serde(rename = "baseAsset")]
    base_asset: String,
    #[serde(rename = "quoteAsset")]
    quote_asset: String,
    #[serde(rename = "quoteAssetPrecision", default = "eight")]
    quote_precision: u32,
    #[serde(default)]
    filters: Vec<Value>,
}

fn eight() -> u32 {
    8
}

/// Parses `GET /api/v3/exchangeInfo`.
pub fn parse_exchange_info(raw: &str) -> Result<SymbolFilters, VenueError> {
    let info: ExchangeInfoRaw = parse_json("exchangeInfo", raw)?;
    let mut out = SymbolFilters {
        rate_limits: info.rate_limits,
        ..Default::default()
    };
    for s in info.symbols {
        let mut rules = SymbolRules {
            symbol: s.symbol,
            status: s.status,
            base_asset: s.base_asset,
            quote_asset: s.quote_asset,
            quote_precision: s.quote_precision.min(28),
            ..Default::default()
        };
        for f in &s.filters {
            apply_filter(&mut rules, f, raw)?;
        }
        out.symbols.insert(rules.symbol.clone(), rules);
    }
    Ok(out)
}

fn apply_filter(rules: &mut SymbolRules, f: &Value, raw: &str) -> Result<(), VenueError> {
    let kind = f
        .get("filterType")
        .and_then(Value::as_str)
        .ok_or_else(|| protocol("filter without filterType", raw))?;
    let dec = |name: &str| -> Result<Decimal, VenueError> {
        let v = f.get(name).ok_or_else(|| {
            protocol(
                format_args!("{} filter of {} lacks {name}", kind, rules.symbol),
                raw,
            )
        })?;
        v.as_str()
            .and_then(|s| Decimal::from_str(s.trim()).ok())
            .ok_or_else(|| {
                protocol(
                    format_args!("{kind} {name} {v} is not a decimal string"),
                    raw,
                )
            })
    };
    let flag = |name: &str| f.get(name).and_then(Value::as_bool);
    match kind {
        "PRICE_FILTER" => {
            rules.min_price = dec("minPrice")?;
            rules.max_price = dec("maxPrice")?;
            rules.tick_size = dec("tickSize")?;
        }
        "LOT_SIZE" => {
            rules.min_qty = dec("minQty")?;
            rules.max_qty = dec("maxQty")?;
            rules.step_size = dec("stepSize")?;
        }
        "MARKET_LOT_SIZE" => {
            rules.market_lot = Some((dec("minQty")?, dec("maxQty")?, dec("stepSize")?));
        }
        "NOTIONAL" => {
            rules.min_notional = dec("minNotional")?;
            rules.min_notional_market = flag("applyMinToMarket").unwrap_or(false);
            rules.max_notional = f
                .get("maxNotional")
                .map(|_| dec("maxNotional"))
                .transpose()?
                .unwrap_or_default();
            rules.max_notional_market = flag("applyMaxToMarket").unwrap_or(false);
        }
        "MIN_NOTIONAL" => {
            rules.min_notional = dec("minNotional")?;
            rules.min_notional_market = flag("applyToMarket").unwrap_or(false);
        }
        _ => {}
    }
    Ok(())
}

/// One fill of a FULL order response.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderFill {
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Commission.
    pub commission: Decimal,
    /// Commission asset.
    #[serde(rename = "commissionAsset", default)]
    pub commission_asset: String,
    /// Trade id.
    #[serde(rename = "tradeId")]
    pub trade_id: i64,
}

/// An order as REST returns it: POST (ACK / RESULT / FULL), GET, DELETE.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderResponse {
    /// Symbol.
    pub symbol: String,
    /// Binance order id.
    #[serde(rename = "orderId")]
    pub order_id: i64,
    /// Client order id (for a cancel answer: the cancel's id; see `orig_client_order_id`).
    #[serde(rename = "clientOrderId")]
    pub client_order_id: String,
    /// The order's own client id in a cancel answer.
    #[serde(rename = "origClientOrderId", default)]
    pub orig_client_order_id: Option<String>,
    /// POST: transaction time, ms.
    #[serde(rename = "transactTime", default)]
    pub transact_time: Option<i64>,
    /// GET: last update time, ms.
    #[serde(rename = "updateTime", default)]
    pub update_time: Option<i64>,
    /// Limit price (0 for market).
    #[serde(default)]
    pub price: Option<Decimal>,
    /// Ordered quantity.
    #[serde(rename = "origQty", default)]
    pub orig_qty: Option<Decimal>,
    /// Filled quantity.
    #[serde(rename = "executedQty", default)]
    pub executed_qty: Option<Decimal>,
    /// Filled quote amount (Binance's spelling).
    #[serde(rename = "cummulativeQuoteQty", default)]
    pub cumulative_quote_qty: Option<Decimal>,
    /// `NEW`, `PARTIALLY_FILLED`, `FILLED`, …
    #[serde(default)]
    pub status: Option<String>,
    /// `LIMIT`, `MARKET`, …
    #[serde(rename = "type", default)]
    pub order_type: Option<String>,
    /// `BUY` / `SELL`.
    #[serde(default)]
    pub side: Option<String>,
    /// Fills (FULL only).
    #[serde(default)]
    pub fills: Vec<OrderFill>,
}

/// Parses an order body.
pub fn parse_order(raw: &str) -> Result<OrderResponse, VenueError> {
    parse_json("order response", raw)
}

/// Parses `GET /api/v3/openOrders`.
pub fn parse_orders(raw: &str) -> Result<Vec<OrderResponse>, VenueError> {
    parse_json("order list", raw)
}

/// The answer to `POST /api/v3/orderList/oco`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderListResponse {
    /// The list id.
    #[serde(rename = "orderListId")]
    pub order_list_id: i64,
    /// `EXEC_STARTED`, …
    #[serde(rename = "listOrderStatus", default)]
    pub list_order_status: String,
    /// The list's client id.
    #[serde(rename = "listClientOrderId", default)]
    pub list_client_order_id: String,
    /// The legs.
    #[serde(rename = "orderReports", default)]
    pub order_reports: Vec<OrderResponse>,
}

/// Parses an order-list answer.
pub fn parse_order_list(raw: &str) -> Result<OrderListResponse, VenueError> {
    parse_json("order list response", raw)
}

/// One balance of the account.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Balance {
    /// Asset.
    pub asset: String,
    /// Free.
    pub free: Decimal,
    /// Held by open orders.
    pub locked: Decimal,
}

/// `GET /api/v3/account` (what the client uses).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Account {
    /// Balances.
    pub balances: Vec<Balance>,
}

/// Parses the account.
pub fn parse_account(raw: &str) -> Result<Account, VenueError> {
    parse_json("account", raw)
}

// ---------------------------------------------------------------------------------------
// WebSocket API and user data
// ---------------------------------------------------------------------------------------

/// An `executionReport` event.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ExecutionReport {
    /// Event time, ms.
    #[serde(rename = "E", default)]
    pub event_time: i64,
    /// Symbol.
    #[serde(rename = "s")]
    pub symbol: String,
    /// Client order id (of the cancel request for a cancel).
    #[serde(rename = "c")]
    pub client_order_id: String,
    /// Original client order id (cancels), else empty.
    #[serde(rename = "C", default, deserialize_with = "de_opt_string")]
    pub orig_client_order_id: String,
    /// `BUY` / `SELL`.
    #[serde(rename = "S")]
    pub side: String,
    /// Order quantity.
    #[serde(rename = "q")]
    pub quantity: Decimal,
    /// Execution type: `NEW`, `TRADE`, `CANCELED`, `REJECTED`, `EXPIRED`, …
    #[serde(rename = "x")]
    pub execution_type: String,
    /// Order status.
    #[serde(rename = "X")]
    pub status: String,
    /// Reject reason.
    #[serde(rename = "r", default)]
    pub reject_reason: String,
    /// Order id.
    #[serde(rename = "i")]
    pub order_id: i64,
    /// Last executed quantity.
    #[serde(rename = "l")]
    pub last_qty: Decimal,
    /// Cumulative filled quantity.
    #[serde(rename = "z")]
    pub cumulative_qty: Decimal,
    /// Last executed price.
    #[serde(rename = "L")]
    pub last_price: Decimal,
    /// Commission of this fill.
    #[serde(rename = "n", default, deserialize_with = "de_opt_decimal")]
    pub commission: Decimal,
    /// Transaction time, ms.
    #[serde(rename = "T")]
    pub transaction_time: i64,
    /// Trade id (−1 without a fill).
    #[serde(rename = "t")]
    pub trade_id: i64,
    /// Maker side of this fill.
    #[serde(rename = "m", default)]
    pub maker: bool,
}

fn de_opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

fn de_opt_decimal<'de, D: Deserializer<'de>>(d: D) -> Result<Decimal, D::Error> {
    Ok(Option::<Decimal>::deserialize(d)?.unwrap_or_default())
}

/// One frame of a WebSocket API connection.
#[derive(Debug, Clone, PartialEq)]
pub enum ApiFrame {
    /// A response to a request.
    Response {
        /// Request id (as sent).
        id: Value,
        /// HTTP-like status.
        status: u16,
        /// Result on success.
        result: Value,
        /// Error on failure.
        error: Option<ApiError>,
    },
    /// An execution report.
    Execution(Box<ExecutionReport>),
    /// `serverShutdown`.
    ServerShutdown,
    /// `eventStreamTerminated`: the subscription ended.
    Terminated,
    /// Another event (`outboundAccountPosition`, `balanceUpdate`, …) by its `e`.
    Other(String),
}

/// Parses one text frame of the WebSocket API (responses and `{"subscriptionId","event"}`
/// wrapped or bare events).
pub fn parse_api_frame(raw: &str) -> Result<ApiFrame, VenueError> {
    let v: Value = parse_json("WebSocket API frame", raw)?;
    let Value::Object(mut obj) = v else {
        return Err(protocol("WebSocket API frame is not a JSON object", raw));
    };
    if obj.contains_key("status") {
        let status = obj
            .get("status")
            .and_then(Value::as_u64)
            .and_then(|s| u16::try_from(s).ok())
            .ok_or_else(|| protocol("response status is not an HTTP status", raw))?;
        let error = match obj.remove("error") {
            Some(e) => Some(from_value::<ApiError>("response error", e, raw)?),
            None => None,
        };
        if status != 200 && error.is_none() {
            return Err(protocol(format_args!("status {status} without error"), raw));
        }
        return Ok(ApiFrame::Response {
            id: obj.remove("id").unwrap_or(Value::Null),
            status,
            result: obj.remove("result").unwrap_or(Value::Null),
            error,
        });
    }
    let event = match obj.remove("event") {
        Some(Value::Object(e)) => e,
        Some(_) => return Err(protocol("event is not an object", raw)),
        None => obj,
    };
    let kind = event
        .get("e")
        .and_then(Value::as_str)
        .ok_or_else(|| protocol("event without a string e", raw))?
        .to_string();
    match kind.as_str() {
        "executionReport" => from_value("executionReport", Value::Object(event), raw)
            .map(|r| ApiFrame::Execution(Box::new(r))),
        "serverShutdown" => Ok(ApiFrame::ServerShutdown),
        "eventStreamTerminated" => Ok(ApiFrame::Terminated),
        _ => Ok(ApiFrame::Other(kind)),
    }
}

#[cfg(test)]
mod tests;
