//! Alpaca's wire formats: market-data stream frames, REST bodies (bars, account, orders,
//! positions, clock, calendar, errors, multi-status) and trade-updates messages.
//!
//! Every parser takes the raw text and returns `Err(VenueError::Protocol)` quoting an excerpt
//! of the offending text for anything that does not follow the protocol; none panics (each
//! has a property test below).

use chrono::{DateTime, NaiveDate, NaiveTime};
use ploutos_core::order::{ClientOrderId, Fill, Liquidity, OrderEvent, OrderStatus};
use ploutos_core::{Bar, Decimal, Side, Symbol, Timestamp, Trade};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;

use crate::error::VenueError;
use crate::live::{VenueOrder, VenuePosition};
use crate::net::excerpt;

/// The venue name used in every error.
pub(crate) const VENUE: &str = "alpaca";

/// How much of an offending message an error quotes.
const EXCERPT: usize = 240;

pub(crate) fn protocol(what: &str, problem: impl std::fmt::Display, text: &str) -> VenueError {
    VenueError::Protocol {
        venue: VENUE,
        message: format!("{what}: {problem}: {}", excerpt(text, EXCERPT)),
    }
}

/// Parses `text` as JSON of type `T`; a failure quotes `what` and the text.
pub(crate) fn parse_json<T: DeserializeOwned>(what: &str, text: &str) -> Result<T, VenueError> {
    serde_json::from_str(text).map_err(|e| protocol(what, e, text))
}

fn from_value<T: DeserializeOwned>(what: &str, v: Value) -> Result<T, VenueError> {
    let shown = v.to_string();
    serde_json::from_value(v).map_err(|e| protocol(what, e, &shown))
}

/// An RFC 3339 time (any offset, up to nanoseconds) as a UTC [`Timestamp`].
pub fn parse_time(field: &str, s: &str) -> Result<Timestamp, VenueError> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .and_then(|dt| Timestamp::from_datetime(dt.to_utc()))
        .ok_or_else(|| protocol(field, "not an RFC 3339 time in range", s))
}

fn symbol(field: &str, s: &str) -> Result<Symbol, VenueError> {
    Symbol::new(s).map_err(|e| protocol(field, e, s))
}

// ---------------------------------------------------------------------------------------
// Market-data stream
// ---------------------------------------------------------------------------------------

/// Which bar channel a stream bar came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarKind {
    /// `b`: a closed minute bar.
    Minute,
    /// `u`: a correction of a minute bar already sent (same symbol and start time).
    Updated,
    /// `d`: the running daily bar.
    Daily,
}

/// The subscription set the server confirmed. Every channel key is optional (the test
/// stream sends only some).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
pub struct SubscriptionAck {
    /// Trade symbols.
    pub trades: Vec<String>,
    /// Quote symbols.
    pub quotes: Vec<String>,
    /// Minute-bar symbols.
    pub bars: Vec<String>,
    /// Updated-bar symbols.
    #[serde(rename = "updatedBars")]
    pub updated_bars: Vec<String>,
    /// Daily-bar symbols.
    #[serde(rename = "dailyBars")]
    pub daily_bars: Vec<String>,
    /// Trading-status symbols.
    pub statuses: Vec<String>,
    /// LULD symbols.
    pub lulds: Vec<String>,
    /// Trade-correction symbols (automatic with trades).
    pub corrections: Vec<String>,
    /// Cancel/error symbols (automatic with trades).
    #[serde(rename = "cancelErrors")]
    pub cancel_errors: Vec<String>,
    /// Imbalance symbols.
    pub imbalances: Vec<String>,
}

/// One message of a market-data stream frame.
#[derive(Debug, Clone, PartialEq)]
pub enum DataMessage {
    /// `success` (`connected`, `authenticated`).
    Success(String),
    /// `error` with its code and text.
    Error {
        /// The code (400 … 500, see the fact sheet §2.4).
        code: i64,
        /// The server's text.
        msg: String,
    },
    /// `subscription`: the whole current subscription set.
    Subscription(SubscriptionAck),
    /// `b`, `u` or `d`.
    Bar {
        /// Which channel.
        kind: BarKind,
        /// The instrument.
        symbol: Symbol,
        /// The bar; its time is the bar's start.
        bar: Bar,
    },
    /// `t`: a trade print.
    Trade {
        /// The instrument.
        symbol: Symbol,
        /// The trade.
        trade: Trade,
    },
    /// `q`: a quote.
    Quote {
        /// The instrument.
        symbol: Symbol,
        /// Bid price.
        bid: f64,
        /// Ask price.
        ask: f64,
        /// Quote time.
        time: Timestamp,
    },
    /// A type this client does not use (corrections, statuses, LULDs, unknown `T`): named
    /// and otherwise ignored, as the protocol requires.
    Ignored(String),
}

#[derive(Deserialize)]
struct WireSuccess {
    msg: String,
}

#[derive(Deserialize)]
struct WireError {
    code: i64,
    #[serde(default)]
    msg: String,
}

#[derive(Deserialize)]
struct WireBar {
    #[serde(rename = "S")]
    symbol: String,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
    #[serde(default)]
    n: Option<u64>,
    #[serde(default)]
    vw: Option<f64>,
    t: String,
}

#[derive(Deserialize)]
struct WireTrade {
    #[serde(rename = "S")]
    symbol: String,
    p: f64,
    s: f64,
    t: String,
    #[serde(default)]
    i: Option<u64>,
}

#[derive(Deserialize)]
struct WireQuote {
    #[serde(rename = "S")]
    symbol: String,
    bp: f64,
    ap: f64,
    t: String,
}

fn make_bar(
    what: &str,
    t: &str,
    (o, h, l, c, v): (f64, f64, f64, f64, f64),
    n: Option<u64>,
    vw: Option<f64>,
    shown: &str,
) -> Result<Bar, VenueError> {
    let time = parse_time(&format!("{what} t"), t)?;
    let mut bar = Bar::new(time, o, h, l, c, v).map_err(|e| protocol(what, e, shown))?;
    if let Some(n) = n {
        bar = bar.with_trades(n);
    }
    if let Some(vw) = vw {
        bar = bar.with_vwap(vw).map_err(|e| protocol(what, e, shown))?;
    }
    Ok(bar)
}

fn parse_data_message(v: Value) -> Result<DataMessage, VenueError> {
    let shown = v.to_string();
    let kind = match v.get("T").and_then(Value::as_str) {
        Some(t) => t.to_string(),
        None => return Err(protocol("stream message", "no string field T", &shown)),
    };
    Ok(match kind.as_str() {
        "success" => DataMessage::Success(from_value::<WireSuccess>("success message", v)?.msg),
        "error" => {
            let e: WireError = from_value("error message", v)?;
            DataMessage::Error {
                code: e.code,
                msg: e.msg,
            }
        }
        "subscription" => DataMessage::Subscription(from_value("subscription message", v)?),
        "b" | "u" | "d" => {
            let b: WireBar = from_value("bar message", v)?;
            let kind = match kind.as_str() {
                "b" => BarKind::Minute,
                "u" => BarKind::Updated,
                _ => BarKind::Daily,
            };
            DataMessage::Bar {
                kind,
                symbol: symbol("bar S", &b.symbol)?,
                bar: make_bar("bar", &b.t, (b.o, b.h, b.l, b.c, b.v), b.n, b.vw, &shown)?,
            }
        }
        "t" => {
            let t: WireTrade = from_value("trade message", v)?;
            let time = parse_time("trade t", &t.t)?;
            let mut trade = Trade::new(time, t.p, t.s).map_err(|e| protocol("trade", e, &shown))?;
            if let Some(i) = t.i {
                trade = trade.with_id(i);
            }
            DataMessage::Trade {
                symbol: symbol("trade S", &t.symbol)?,
                trade,
            }
        }
        "q" => {
            let q: WireQuote = from_value("quote message", v)?;
            if !(q.bp.is_finite() && q.ap.is_finite()) {
                return Err(protocol("quote", "price not finite", &shown));
            }
            DataMessage::Quote {
                symbol: symbol("quote S", &q.symbol)?,
                bid: q.bp,
                ask: q.ap,
                time: parse_time("quote t", &q.t)?,
            }
        }
        _ => DataMessage::Ignored(kind),
    })
}

/// Parses one market-data frame: a JSON array of messages, each with a type `T`.
pub fn parse_data_frame(text: &str) -> Result<Vec<DataMessage>, VenueError> {
    let items: Vec<Value> = parse_json("stream frame (expected a JSON array)", text)?;
    items.into_iter().map(parse_data_message).collect()
}

// ---------------------------------------------------------------------------------------
// REST: market data
// ---------------------------------------------------------------------------------------

#[derive(Deserialize)]
struct RestBar {
    t: String,
    o: f64,
    h: f64,
    l: f64,
    c: f64,
    v: f64,
    #[serde(default)]
    n: Option<u64>,
    #[serde(default)]
    vw: Option<f64>,
}

#[derive(Deserialize)]
struct RawBarsPage {
    #[serde(default)]
    bars: Value,
    #[serde(default)]
    symbol: Option<String>,
    #[serde(default)]
    next_page_token: Option<String>,
}

/// One page of `GET /v2/stocks/bars` or `/v2/stocks/{symbol}/bars`.
#[derive(Debug, Clone, PartialEq)]
pub struct BarsPage {
    /// Bars per symbol, in the order the server sent them.
    pub bars: Vec<(Symbol, Vec<Bar>)>,
    /// The token of the next page; `None` on the last page.
    pub next_page_token: Option<String>,
}

fn rest_bars(sym: &str, v: Value, text: &str) -> Result<(Symbol, Vec<Bar>), VenueError> {
    let raw: Vec<RestBar> = from_value("bars list", v)?;
    let bars = raw
        .into_iter()
        .map(|b| make_bar("REST bar", &b.t, (b.o, b.h, b.l, b.c, b.v), b.n, b.vw, text))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((symbol("bars symbol", sym)?, bars))
}

/// Parses a bars page in either shape: multi-symbol (`bars` is an object keyed by symbol)
/// or single-symbol (`bars` is an array and `symbol` names it). `bars: null` is an empty
/// page. `single` is the symbol asked for on the single-symbol endpoint.
pub fn parse_bars_page(text: &str, single: Option<&str>) -> Result<BarsPage, VenueError> {
    let raw: RawBarsPage = parse_json("bars page", text)?;
    let next_page_token = raw.next_page_token.filter(|t| !t.is_empty());
    let bars = match raw.bars {
        Value::Null => Vec::new(),
        Value::Object(map) => map
            .into_iter()
            .map(|(sym, v)| rest_bars(&sym, v, text))
            .collect::<Result<Vec<_>, _>>()?,
        list @ Value::Array(_) => {
            let sym = raw
                .symbol
                .as_deref()
                .or(single)
                .ok_or_else(|| protocol("bars page", "a bar list without a symbol", text))?;
            vec![rest_bars(sym, list, text)?]
        }
        _ => {
            return Err(protocol(
                "bars page",
                "bars is neither an object nor a list",
                text,
            ))
        }
    };
    Ok(BarsPage {
        bars,
        next_page_token,
    })
}

// ---------------------------------------------------------------------------------------
// REST: errors, account, orders, positions, clock, calendar
// ---------------------------------------------------------------------------------------

/// An error body `{"code": …, "message": …}` (both optional: 401 has only `message`).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ErrorBody {
    /// Alpaca's 8-digit code, where given.
    #[serde(default)]
    pub code: Option<i64>,
    /// The text.
    #[serde(default)]
    pub message: Option<String>,
}

/// Reads an error body leniently: anything that is not the documented JSON becomes the
/// message (shortened), so that the error still says what the server said.
pub fn parse_error_body(text: &str) -> ErrorBody {
    match serde_json::from_str::<ErrorBody>(text) {
        Ok(b) if b.code.is_some() || b.message.is_some() => b,
        _ => ErrorBody {
            code: None,
            message: Some(excerpt(text.trim(), EXCERPT)),
        },
    }
}

impl ErrorBody {
    /// The message, or `(no message)`.
    pub fn text(&self) -> &str {
        self.message.as_deref().unwrap_or("(no message)")
    }
}

/// `GET /v2/account`, the fields Ploutos uses.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Account {
    /// Account id.
    pub id: String,
    /// Account number.
    #[serde(default)]
    pub account_number: Option<String>,
    /// `ACTIVE`, `ONBOARDING`, …
    pub status: String,
    /// `USD`.
    #[serde(default)]
    pub currency: Option<String>,
    /// Cash (negative when on margin).
    pub cash: Decimal,
    /// Buying power.
    #[serde(default)]
    pub buying_power: Option<Decimal>,
    /// Equity.
    #[serde(default)]
    pub equity: Option<Decimal>,
    /// Portfolio value.
    #[serde(default)]
    pub portfolio_value: Option<Decimal>,
    /// Trading blocked by Alpaca.
    #[serde(default)]
    pub trading_blocked: bool,
    /// Account blocked.
    #[serde(default)]
    pub account_blocked: bool,
    /// Trading suspended by the user.
    #[serde(default)]
    pub trade_suspended_by_user: bool,
    /// Pattern day trader flag.
    #[serde(default)]
    pub pattern_day_trader: bool,
    /// Shorting allowed.
    #[serde(default)]
    pub shorting_enabled: bool,
}

impl Account {
    /// `Ok` when the account may trade: status `ACTIVE` and nothing blocked. The error says
    /// which condition failed and its value.
    pub fn check_can_trade(&self) -> Result<(), VenueError> {
        let problem = if self.status != "ACTIVE" {
            Some(format!("account status is {:?}, not ACTIVE", self.status))
        } else if self.trading_blocked {
            Some("trading_blocked is true".to_string())
        } else if self.account_blocked {
            Some("account_blocked is true".to_string())
        } else if self.trade_suspended_by_user {
            Some("trade_suspended_by_user is true".to_string())
        } else {
            None
        };
        match problem {
            None => Ok(()),
            Some(p) => Err(VenueError::Fatal {
                venue: VENUE,
                message: format!("account {} cannot trade: {p}", self.id),
            }),
        }
    }
}

/// An order object as the Trading API and the trade-updates stream send it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlpacaOrder {
    /// Alpaca's order id.
    pub id: String,
    /// The client order id (Ploutos's id for orders Ploutos placed).
    pub client_order_id: String,
    /// The symbol.
    pub symbol: String,
    /// `buy` / `sell`.
    pub side: String,
    /// `market`, `limit`, …
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    /// `day`, `gtc`, …
    #[serde(default)]
    pub time_in_force: Option<String>,
    /// Order status (`new`, `partially_filled`, …).
    pub status: String,
    /// Ordered quantity (`None` for notional orders).
    #[serde(default)]
    pub qty: Option<Decimal>,
    /// Ordered notional.
    #[serde(default)]
    pub notional: Option<Decimal>,
    /// Filled so far.
    #[serde(default)]
    pub filled_qty: Decimal,
    /// Average fill price.
    #[serde(default)]
    pub filled_avg_price: Option<Decimal>,
    /// Limit price.
    #[serde(default)]
    pub limit_price: Option<Decimal>,
    /// Stop price.
    #[serde(default)]
    pub stop_price: Option<Decimal>,
    /// `""`/`simple`, `bracket`, `oco`, `oto`.
    #[serde(default)]
    pub order_class: Option<String>,
    /// Creation time (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
    /// Last update time.
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The order that replaced this one.
    #[serde(default)]
    pub replaced_by: Option<String>,
    /// The order this one replaces.
    #[serde(default)]
    pub replaces: Option<String>,
    /// Legs of a bracket/oco/oto (only with `nested=true`).
    #[serde(default)]
    pub legs: Option<Vec<AlpacaOrder>>,
}

/// Alpaca's order status in Ploutos's vocabulary. `replaced` is `Canceled` (that id is
/// done; the replacement has its own id). Unknown statuses are a protocol error.
pub fn map_status(s: &str) -> Result<OrderStatus, VenueError> {
    Ok(match s {
        "new"
        | "accepted"
        | "pending_new"
        | "accepted_for_bidding"
        | "pending_replace"
        | "calculated"
        | "stopped"
        | "suspended"
        | "held"
        | "pending_review" => OrderStatus::Accepted,
        "partially_filled" => OrderStatus::PartiallyFilled,
        "filled" => OrderStatus::Filled,
        "pending_cancel" => OrderStatus::PendingCancel,
        "canceled" | "replaced" => OrderStatus::Canceled,
        "expired" | "done_for_day" => OrderStatus::Expired,
        "rejected" => OrderStatus::Rejected,
        other => return Err(protocol("order status", "unknown status", other)),
    })
}

fn map_side(s: &str) -> Result<Side, VenueError> {
    match s {
        "buy" => Ok(Side::Buy),
        "sell" => Ok(Side::Sell),
        other => Err(protocol("order side", "expected buy or sell", other)),
    }
}

impl AlpacaOrder {
    /// The Ploutos client id of this order.
    pub fn client_id(&self) -> Result<ClientOrderId, VenueError> {
        ClientOrderId::new(&self.client_order_id)
            .map_err(|e| protocol("client_order_id", e, &self.client_order_id))
    }

    /// The order in the venue-neutral shape.
    pub fn to_venue_order(&self) -> Result<VenueOrder, VenueError> {
        Ok(VenueOrder {
            client_id: self.client_id()?,
            venue_id: self.id.clone(),
            symbol: symbol("order symbol", &self.symbol)?,
            side: map_side(&self.side)?,
            status: map_status(&self.status)?,
            quantity: self.qty,
            filled_quantity: self.filled_qty,
            average_price: self.filled_avg_price,
        })
    }
}

/// A position object.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct AlpacaPosition {
    /// The symbol.
    pub symbol: String,
    /// Signed quantity (negative = short).
    pub qty: Decimal,
    /// Average entry price.
    #[serde(default)]
    pub avg_entry_price: Option<Decimal>,
    /// `long` / `short`.
    #[serde(default)]
    pub side: Option<String>,
    /// Quantity not held by open orders.
    #[serde(default)]
    pub qty_available: Option<Decimal>,
    /// Market value.
    #[serde(default)]
    pub market_value: Option<Decimal>,
    /// Current price.
    #[serde(default)]
    pub current_price: Option<Decimal>,
    /// Unrealised P/L.
    #[serde(default)]
    pub unrealized_pl: Option<Decimal>,
}

impl AlpacaPosition {
    /// The position in the venue-neutral shape. A short whose `qty` came unsigned is made
    /// negative from `side`.
    pub fn to_venue_position(&self) -> Result<VenuePosition, VenueError> {
        let quantity = if self.side.as_deref() == Some("short") && self.qty > Decimal::ZERO {
            -self.qty
        } else {
            self.qty
        };
        Ok(VenuePosition {
            symbol: symbol("position symbol", &self.symbol)?,
            quantity,
            average_price: self.avg_entry_price,
        })
    }
}

#[derive(Deserialize)]
struct RawClock {
    timestamp: String,
    is_open: bool,
    next_open: String,
    next_close: String,
}

/// `GET /v2/clock`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MarketClock {
    /// The server's time.
    pub time: Timestamp,
    /// Whether the regular session is open now.
    pub is_open: bool,
    /// The next open.
    pub next_open: Timestamp,
    /// The next close.
    pub next_close: Timestamp,
}

/// Parses a clock body (times with their US Eastern offsets, converted to UTC).
pub fn parse_clock(text: &str) -> Result<MarketClock, VenueError> {
    let raw: RawClock = parse_json("clock", text)?;
    Ok(MarketClock {
        time: parse_time("clock timestamp", &raw.timestamp)?,
        is_open: raw.is_open,
        next_open: parse_time("clock next_open", &raw.next_open)?,
        next_close: parse_time("clock next_close", &raw.next_close)?,
    })
}

#[derive(Deserialize)]
struct RawCalendarDay {
    date: String,
    open: String,
    close: String,
}

/// One trading day of `GET /v2/calendar` (times are US Eastern local times).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CalendarDay {
    /// The date.
    pub date: NaiveDate,
    /// Regular open, local ET (09:30).
    pub open: NaiveTime,
    /// Regular close, local ET (16:00, or 13:00 on an early-close day).
    pub close: NaiveTime,
}

impl CalendarDay {
    /// Whether the regular session closes before 16:00 ET.
    pub fn is_early_close(&self) -> bool {
        self.close < NaiveTime::from_hms_opt(16, 0, 0).unwrap_or(NaiveTime::MIN)
    }
}

fn hhmm(field: &str, s: &str) -> Result<NaiveTime, VenueError> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| protocol(field, e, s))
}

/// Parses a calendar body.
pub fn parse_calendar(text: &str) -> Result<Vec<CalendarDay>, VenueError> {
    let raw: Vec<RawCalendarDay> = parse_json("calendar", text)?;
    raw.into_iter()
        .map(|d| {
            Ok(CalendarDay {
                date: NaiveDate::parse_from_str(&d.date, "%Y-%m-%d")
                    .map_err(|e| protocol("calendar date", e, &d.date))?,
                open: hhmm("calendar open", &d.open)?,
                close: hhmm("calendar close", &d.close)?,
            })
        })
        .collect()
}

/// One entry of a 207 multi-status answer (cancel all, close all).
#[derive(Debug, Clone, PartialEq)]
pub struct MultiStatusEntry {
    /// The order id (cancel all) or symbol (close all).
    pub key: String,
    /// The HTTP status of this entry.
    pub status: u16,
    /// The order, when the entry succeeded and carried one.
    pub order: Option<AlpacaOrder>,
    /// The error, when it failed.
    pub error: Option<ErrorBody>,
}

#[derive(Deserialize)]
struct RawMultiStatus {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    symbol: Option<String>,
    status: u16,
    #[serde(default)]
    body: Value,
}

/// Parses a 207 body `[{"id"|"symbol", "status", "body"}]`.
pub fn parse_multi_status(text: &str) -> Result<Vec<MultiStatusEntry>, VenueError> {
    let raw: Vec<RawMultiStatus> = parse_json("multi-status body", text)?;
    raw.into_iter()
        .map(|r| {
            let key = r.id.or(r.symbol).unwrap_or_default();
            let ok = (200..300).contains(&r.status);
            let (order, error) = match (&r.body, ok) {
                (Value::Null, _) => (None, None),
                (_, true) => (Some(from_value("multi-status order", r.body)?), None),
                (_, false) => (None, Some(from_value("multi-status error", r.body)?)),
            };
            Ok(MultiStatusEntry {
                key,
                status: r.status,
                order,
                error,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// Trade updates stream
// ---------------------------------------------------------------------------------------

/// A `trade_updates` event.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TradeUpdate {
    /// `new`, `fill`, `partial_fill`, `canceled`, …
    pub event: String,
    /// The order after the event.
    pub order: AlpacaOrder,
    /// The execution id (fills).
    #[serde(default)]
    pub execution_id: Option<String>,
    /// The event time.
    #[serde(default)]
    pub timestamp: Option<String>,
    /// Price of this execution.
    #[serde(default)]
    pub price: Option<Decimal>,
    /// Quantity of this execution.
    #[serde(default)]
    pub qty: Option<Decimal>,
    /// Position after the event.
    #[serde(default)]
    pub position_qty: Option<Decimal>,
}

/// One trade-updates stream message.
#[derive(Debug, Clone, PartialEq)]
pub enum TradeStreamMessage {
    /// `authorization` with `status` (`authorized` / `unauthorized`) and `action`.
    Authorization {
        /// `authorized` / `unauthorized`.
        status: String,
        /// The action answered (`authenticate`, `listen`).
        action: String,
    },
    /// `listening` with the streams now listened to.
    Listening(Vec<String>),
    /// A `trade_updates` event.
    Update(Box<TradeUpdate>),
    /// Another stream name (ignored).
    Other(String),
}

#[derive(Deserialize)]
struct RawTradeMessage {
    stream: String,
    #[serde(default)]
    data: Value,
}

#[derive(Deserialize)]
struct RawAuthorization {
    status: String,
    #[serde(default)]
    action: String,
}

#[derive(Deserialize)]
struct RawListening {
    #[serde(default)]
    streams: Vec<String>,
}

/// Parses one trade-updates message `{"stream": …, "data": {…}}` (from a text or binary
/// frame).
pub fn parse_trade_message(text: &str) -> Result<TradeStreamMessage, VenueError> {
    let raw: RawTradeMessage = parse_json("trade stream message", text)?;
    Ok(match raw.stream.as_str() {
        "authorization" => {
            let a: RawAuthorization = from_value("authorization data", raw.data)?;
            TradeStreamMessage::Authorization {
                status: a.status,
                action: a.action,
            }
        }
        "listening" => TradeStreamMessage::Listening(
            from_value::<RawListening>("listening data", raw.data)?.streams,
        ),
        "trade_updates" => {
            TradeStreamMessage::Update(Box::new(from_value("trade update", raw.data)?))
        }
        other => TradeStreamMessage::Other(other.to_string()),
    })
}

impl TradeUpdate {
    fn time(&self) -> Result<Timestamp, VenueError> {
        let t = self
            .timestamp
            .as_deref()
            .or(self.order.updated_at.as_deref())
            .ok_or_else(|| protocol("trade update", "no timestamp", &self.event))?;
        parse_time("trade update timestamp", t)
    }

    /// The fill of a `fill` / `partial_fill` event. The id is the execution id (or the order
    /// id and cumulative quantity where absent) so duplicates are recognised.
    pub fn fill(&self) -> Result<Fill, VenueError> {
        let what = || format!("{} event of order {}", self.event, self.order.id);
        let price = self
            .price
            .ok_or_else(|| protocol(&what(), "missing price", &self.event))?;
        let quantity = self
            .qty
            .ok_or_else(|| protocol(&what(), "missing qty", &self.event))?;
        let id = self
            .execution_id
            .clone()
            .unwrap_or_else(|| format!("{}-{}", self.order.id, self.order.filled_qty));
        let leaves = match (self.event.as_str(), self.order.qty) {
            ("fill", _) => Decimal::ZERO,
            (_, Some(q)) => (q - self.order.filled_qty).max(Decimal::ZERO),
            // A notional order's rest is not a quantity; any positive value keeps it open.
            (_, None) => Decimal::ONE,
        };
        Ok(Fill {
            id: id.into(),
            time: self.time()?,
            price,
            quantity,
            fee: Decimal::ZERO,
            liquidity: Liquidity::Taker,
            leaves,
        })
    }

    /// The event in Ploutos's vocabulary; `None` for events that change nothing Ploutos
    /// tracks (`pending_new`, `pending_replace`, `calculated`, …).
    pub fn to_order_event(&self) -> Result<Option<(ClientOrderId, OrderEvent)>, VenueError> {
        let id = self.order.client_id()?;
        let event = match self.event.as_str() {
            "new" | "accepted" => OrderEvent::Accepted { time: self.time()? },
            "partial_fill" | "fill" => OrderEvent::Filled(self.fill()?),
            "canceled" | "replaced" => OrderEvent::Canceled { time: self.time()? },
            "expired" | "done_for_day" => OrderEvent::Expired { time: self.time()? },
            "rejected" => OrderEvent::Rejected {
                time: self.time()?,
                reason: format!("alpaca rejected order {}", self.order.id),
            },
            "order_cancel_rejected" => OrderEvent::CancelRejected {
                time: self.time()?,
                reason: format!("alpaca refused to cancel order {}", self.order.id),
            },
            _ => return Ok(None),
        };
        Ok(Some((id, event)))
    }
}

#[cfg(test)]
mod tests;
