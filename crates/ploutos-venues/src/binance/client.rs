//! [`Binance`]: the client handle, its REST calls (time, exchangeInfo, klines, orders,
//! account) and the [`Execution`](crate::live::Execution) implementation.

use std::sync::Arc;

use ploutos_core::order::{ClientOrderId, Fill, Liquidity, OrderEvent, OrderRequest, OrderStatus};
use ploutos_core::{Bar, Decimal, Side, Symbol, Timeframe, Timestamp};
use reqwest::Method;

use crate::error::VenueError;
use crate::live::{AccountSnapshot, SubmitOutcome, VenueOrder, VenuePosition};

use super::filters::{order_params, round_price, round_quantity, side_str};
use super::rest::{outcome_unknown, Inner, Request, Security};
use super::types::{
    millis, parse_account, parse_exchange_info, parse_klines, parse_order, parse_order_list,
    parse_orders, protocol, OrderResponse, SymbolFilters, SymbolRules,
};
use super::{BinanceConfig, VENUE};

/// Most rows one klines request returns.
pub const KLINES_PAGE: u16 = 1000;

/// The Binance spot client. Cheap to clone; all clones share the clock offset, the
/// request-weight budget, an IP ban and the cached exchange filters.
#[derive(Debug, Clone)]
pub struct Binance {
    pub(crate) inner: Arc<Inner>,
}

/// An OCO order (`POST /api/v3/orderList/oco`): a take-profit limit leg and a stop leg on
/// the same quantity; when one executes the other is canceled.
#[derive(Debug, Clone, PartialEq)]
pub struct OcoRequest {
    /// The list's client id.
    pub list_client_id: ClientOrderId,
    /// Client id of the limit (take-profit) leg.
    pub limit_client_id: ClientOrderId,
    /// Client id of the stop leg.
    pub stop_client_id: ClientOrderId,
    /// The instrument.
    pub symbol: Symbol,
    /// SELL: take profit above and stop below the market; BUY: the reverse.
    pub side: Side,
    /// Quantity of both legs.
    pub quantity: Decimal,
    /// Price of the LIMIT_MAKER leg.
    pub limit_price: Decimal,
    /// Trigger of the stop leg.
    pub stop_price: Decimal,
    /// Limit price of the stop leg (STOP_LOSS_LIMIT); `None` = STOP_LOSS (market).
    pub stop_limit_price: Option<Decimal>,
}

/// Binance's interval name for `tf` (`1m`, `4h`, `1d` …), if Binance has one.
pub fn interval(tf: Timeframe) -> Option<&'static str> {
    Some(match tf.as_secs() {
        1 => "1s",
        60 => "1m",
        180 => "3m",
        300 => "5m",
        900 => "15m",
        1_800 => "30m",
        3_600 => "1h",
        7_200 => "2h",
        14_400 => "4h",
        21_600 => "6h",
        28_800 => "8h",
        43_200 => "12h",
        86_400 => "1d",
        259_200 => "3d",
        604_800 => "1w",
        _ => return None,
    })
}

pub(crate) fn interval_or_err(tf: Timeframe) -> Result<&'static str, VenueError> {
    interval(tf).ok_or_else(|| VenueError::Config {
        venue: VENUE,
        message: format!("timeframe {tf} has no Binance kline interval (1s 1m 3m 5m 15m 30m 1h 2h 4h 6h 8h 12h 1d 3d 1w)"),
    })
}

fn status_of(s: &str, raw: &str) -> Result<OrderStatus, VenueError> {
    Ok(match s {
        "NEW" => OrderStatus::Accepted,
        "PENDING_NEW" => OrderStatus::New,
        "PARTIALLY_FILLED" => OrderStatus::PartiallyFilled,
        "FILLED" => OrderStatus::Filled,
        "CANCELED" => OrderStatus::Canceled,
        "PENDING_CANCEL" => OrderStatus::PendingCancel,
        "REJECTED" => OrderStatus::Rejected,
        "EXPIRED" | "EXPIRED_IN_MATCH" => OrderStatus::Expired,
        other => {
            return Err(protocol(
                format_args!("unknown order status {other:?}"),
                raw,
            ))
        }
    })
}

fn side_of(s: &str, raw: &str) -> Result<Side, VenueError> {
    match s {
        "BUY" => Ok(Side::Buy),
        "SELL" => Ok(Side::Sell),
        other => Err(protocol(format_args!("unknown side {other:?}"), raw)),
    }
}

/// The order of a REST answer as a [`VenueOrder`]. `fallback_side` serves ACK answers.
fn venue_order(
    o: &OrderResponse,
    fallback_side: Option<Side>,
    raw: &str,
) -> Result<VenueOrder, VenueError> {
    let own_id = o
        .orig_client_order_id
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or(&o.client_order_id);
    let client_id = ClientOrderId::new(own_id).map_err(|e| protocol(e, raw))?;
    let symbol = Symbol::new(&o.symbol).map_err(|e| protocol(e, raw))?;
    let side = match (&o.side, fallback_side) {
        (Some(s), _) => side_of(s, raw)?,
        (None, Some(s)) => s,
        (None, None) => return Err(protocol("order without side", raw)),
    };
    let status = match &o.status {
        Some(s) => status_of(s, raw)?,
        None => OrderStatus::Accepted,
    };
    let filled = o.executed_qty.unwrap_or_default();
    let average_price = match o.cumulative_quote_qty {
        Some(q) if filled > Decimal::ZERO => Some(q / filled),
        _ => None,
    };
    Ok(VenueOrder {
        client_id,
        venue_id: o.order_id.to_string(),
        symbol,
        side,
        status,
        quantity: o.orig_qty.filter(|q| *q > Decimal::ZERO),
        filled_quantity: filled,
        average_price,
    })
}

/// The events an order answer already tells: accepted, its fills (FULL), and a final state.
fn events_of(
    o: &OrderResponse,
    order: &VenueOrder,
    raw: &str,
) -> Result<Vec<OrderEvent>, VenueError> {
    let time = millis(
        o.transact_time.or(o.update_time).unwrap_or(0),
        "transactTime",
        raw,
    )?;
    let mut events = Vec::new();
    if order.status == OrderStatus::Rejected {
        events.push(OrderEvent::Rejected {
            time,
            reason: "rejected by Binance".into(),
        });
        return Ok(events);
    }
    if order.status != OrderStatus::New {
        events.push(OrderEvent::Accepted { time });
    }
    let total = o.orig_qty.unwrap_or_default().max(order.filled_quantity);
    let mut cumulative = Decimal::ZERO;
    for f in &o.fills {
        cumulative += f.qty;
        events.push(OrderEvent::Filled(Fill {
            id: f.trade_id.to_string().into(),
            time,
            price: f.price,
            quantity: f.qty,
            fee: f.commission,
            liquidity: Liquidity::Taker,
            leaves: (total - cumulative).max(Decimal::ZERO),
        }));
    }
    match order.status {
        OrderStatus::Canceled => events.push(OrderEvent::Canceled { time }),
        OrderStatus::Expired => events.push(OrderEvent::Expired { time }),
        _ => {}
    }
    Ok(events)
}

impl Binance {
    /// A client for `cfg` (checks the URLs; makes no request yet).
    pub fn new(cfg: BinanceConfig) -> Result<Binance, VenueError> {
        Ok(Binance {
            inner: Arc::new(Inner::new(cfg)?),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BinanceConfig {
        &self.inner.cfg
    }

    /// The current estimate of server time minus local time, in ms.
    pub fn server_time_offset(&self) -> i64 {
        self.inner.state().offset_ms
    }

    /// Fetches `GET /api/v3/time` and updates the clock offset; returns it (ms).
    pub async fn sync_time(&self) -> Result<i64, VenueError> {
        self.inner.sync_time().await
    }

    /// The request weight used in the current minute, as the last answer said (plus the
    /// weight of requests sent since).
    pub fn used_weight(&self) -> u64 {
        self.inner.state().used_weight
    }

    /// The REQUEST_WEIGHT limit per minute in force (6000 until exchangeInfo said otherwise).
    pub fn weight_limit(&self) -> u64 {
        self.inner.state().weight_limit
    }

    /// `GET /api/v3/exchangeInfo` for `symbols` (all when empty): the filters, cached for
    /// order checks, and the rate limits (the weight limit is adopted).
    pub async fn exchange_info(&self, symbols: &[Symbol]) -> Result<SymbolFilters, VenueError> {
        let mut req = Request::new(Method::GET, "/api/v3/exchangeInfo", Security::None, 20);
        if !symbols.is_empty() {
            let list: Vec<String> = symbols
                .iter()
                .map(|s| format!("\"{}\"", s.as_str()))
                .collect();
            req = req.param("symbols", format!("[{}]", list.join(",")));
        }
        let body = self.inner.send(&req).await?;
        let filters = parse_exchange_info(&body)?;
        let mut st = self.inner.state();
        if let Some(limit) = filters.weight_per_minute() {
            st.weight_limit = limit;
        }
        for (k, v) in &filters.symbols {
            st.rules.insert(k.clone(), v.clone());
        }
        Ok(filters)
    }

    /// The cached rules of `symbol`, loading exchangeInfo for it when needed.
    pub async fn rules(&self, symbol: &Symbol) -> Result<SymbolRules, VenueError> {
        if let Some(r) = self.inner.state().rules.get(symbol.as_str()) {
            return Ok(r.clone());
        }
        let f = self.exchange_info(std::slice::from_ref(symbol)).await?;
        f.get(symbol.as_str())
            .cloned()
            .ok_or_else(|| VenueError::NotFound {
                venue: VENUE,
                what: format!("symbol {symbol} in exchangeInfo"),
            })
    }

    /// The order parameters `req` would be sent with, after the exchange filters (rounding,
    /// minimum quantity and notional); [`VenueError::Invalid`] names a broken filter.
    pub async fn round_order(
        &self,
        req: &OrderRequest,
        reference_price: Option<Decimal>,
    ) -> Result<Vec<(&'static str, String)>, VenueError> {
        let rules = self.rules(&req.symbol).await?;
        order_params(req, &rules, reference_price)
    }

    /// One page of klines (`limit` ≤ 1000), the still-forming one included when it is in
    /// range, oldest first.
    pub async fn klines(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        start: Option<Timestamp>,
        end: Option<Timestamp>,
        limit: u16,
    ) -> Result<Vec<Bar>, VenueError> {
        let mut req = Request::new(Method::GET, "/api/v3/klines", Security::None, 2)
            .param("symbol", symbol.as_str())
            .param("interval", interval_or_err(timeframe)?)
            .param("limit", limit.clamp(1, KLINES_PAGE).to_string());
        if let Some(s) = start {
            req = req.param("startTime", s.as_millis().to_string());
        }
        if let Some(e) = end {
            req = req.param("endTime", e.as_millis().to_string());
        }
        let body = self.inner.send(&req).await?;
        parse_klines(&body)?
            .iter()
            .map(|r| r.to_bar(&body))
            .collect()
    }

    /// Closed bars with open time in `[from, to)`, paging by 1000 (next start = the last
    /// open time plus 1 ms). The bar still forming (close time not yet passed on the server clock) is
    /// left out.
    pub async fn history_bars(
        &self,
        symbol: &Symbol,
        timeframe: Timeframe,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Bar>, VenueError> {
        let mut out: Vec<Bar> = Vec::new();
        let mut start = from;
        let tf_ms = i64::from(timeframe.as_secs()) * 1_000;
        while start < to {
            let end = Timestamp::from_millis(to.as_millis() - 1);
            let page = self
                .klines(symbol, timeframe, Some(start), end, KLINES_PAGE)
                .await?;
            let full = page.len() >= usize::from(KLINES_PAGE);
            let Some(last) = page.last().map(|b| b.time()) else {
                break;
            };
            let now = self.inner.server_ms();
            out.extend(page.into_iter().filter(|b| {
                b.time() >= from && b.time() < to && b.time().as_millis() + tf_ms <= now
            }));
            if !full {
                break;
            }
            match Timestamp::from_millis(last.as_millis() + 1) {
                Some(next) if next > start => start = next,
                _ => break,
            }
        }
        out.dedup_by_key(|b| b.time());
        Ok(out)
    }

    /// `GET /api/v3/order` by client order id; `None` when Binance does not know it.
    pub async fn query_order(
        &self,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> Result<Option<VenueOrder>, VenueError> {
        let req = Request::new(Method::GET, "/api/v3/order", Security::Signed, 4)
            .param("symbol", symbol.as_str())
            .param("origClientOrderId", id.as_str());
        match self.inner.send(&req).await {
            Ok(body) => Ok(Some(venue_order(&parse_order(&body)?, None, &body)?)),
            Err(VenueError::Rejected {
                code: Some(-2013), ..
            }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Places `req` once (filters applied first); see [`Execution::submit`](crate::live::Execution::submit).
    pub async fn place(
        &self,
        req: &OrderRequest,
        reference_price: Option<Decimal>,
    ) -> Result<SubmitOutcome, VenueError> {
        let rules = self.rules(&req.symbol).await?;
        let mut r = Request::new(Method::POST, "/api/v3/order", Security::Signed, 1);
        r.params = order_params(req, &rules, reference_price)?;
        r.params.push(("newOrderRespType", "FULL".into()));
        match self.inner.send(&r).await {
            Ok(body) => {
                let o = parse_order(&body)?;
                let order = venue_order(&o, Some(req.side), &body)?;
                let events = events_of(&o, &order, &body)?;
                Ok(SubmitOutcome { order, events })
            }
            Err(e) if outcome_unknown(&e) => self.settle_unknown(req, e).await,
            Err(e) => Err(e),
        }
    }

    /// After a 5xx / -1007 / timeout: look the order up by its client id instead of
    /// sending it again.
    async fn settle_unknown(
        &self,
        req: &OrderRequest,
        cause: VenueError,
    ) -> Result<SubmitOutcome, VenueError> {
        let unknown = |message: String| VenueError::UnknownOutcome {
            venue: VENUE,
            client_id: req.client_id.to_string(),
            message,
        };
        match self.query_order(&req.symbol, &req.client_id).await {
            Ok(Some(order)) => {
                let time =
                    Timestamp::from_millis(self.inner.server_ms()).unwrap_or(Timestamp::EPOCH);
                let mut events = vec![OrderEvent::Accepted { time }];
                match order.status {
                    OrderStatus::Canceled => events.push(OrderEvent::Canceled { time }),
                    OrderStatus::Expired => events.push(OrderEvent::Expired { time }),
                    _ => {}
                }
                Ok(SubmitOutcome { order, events })
            }
            Ok(None) => Err(unknown(format!(
                "{cause}; the order is not known by its client id (yet); not resent"
            ))),
            Err(e) => Err(unknown(format!(
                "{cause}; looking it up failed too: {e}; not resent"
            ))),
        }
    }

    /// `DELETE /api/v3/order` by client order id; unknown → [`VenueError::NotFound`].
    pub async fn cancel_order(
        &self,
        symbol: &Symbol,
        id: &ClientOrderId,
    ) -> Result<VenueOrder, VenueError> {
        let req = Request::new(Method::DELETE, "/api/v3/order", Security::Signed, 1)
            .param("symbol", symbol.as_str())
            .param("origClientOrderId", id.as_str());
        match self.inner.send(&req).await {
            Ok(body) => venue_order(&parse_order(&body)?, None, &body),
            Err(VenueError::Rejected {
                code: Some(-2011 | -2013),
                message,
                ..
            }) => Err(VenueError::NotFound {
                venue: VENUE,
                what: format!("order {id} on {symbol} to cancel: {message}"),
            }),
            Err(e) => Err(e),
        }
    }

    /// `GET /api/v3/openOrders` for `symbol` (all symbols when `None`, weight 80).
    pub async fn open_orders(
        &self,
        symbol: Option<&Symbol>,
    ) -> Result<Vec<VenueOrder>, VenueError> {
        let mut req = Request::new(
            Method::GET,
            "/api/v3/openOrders",
            Security::Signed,
            if symbol.is_some() { 6 } else { 80 },
        );
        if let Some(s) = symbol {
            req = req.param("symbol", s.as_str());
        }
        let body = self.inner.send(&req).await?;
        parse_orders(&body)?
            .iter()
            .map(|o| venue_order(o, None, &body))
            .collect()
    }

    /// Cash (quote asset of the first symbol, free + locked), base-asset positions of
    /// `symbols`, and their open orders.
    pub async fn account_snapshot(
        &self,
        symbols: &[Symbol],
    ) -> Result<AccountSnapshot, VenueError> {
        let mut rules = Vec::new();
        for s in symbols {
            rules.push((s.clone(), self.rules(s).await?));
        }
        let req = Request::new(Method::GET, "/api/v3/account", Security::Signed, 20);
        let body = self.inner.send(&req).await?;
        let account = parse_account(&body)?;
        let total = |asset: &str| {
            account
                .balances
                .iter()
                .filter(|b| b.asset == asset)
                .map(|b| b.free + b.locked)
                .sum::<Decimal>()
        };
        let quote = rules
            .first()
            .map(|(_, r)| r.quote_asset.clone())
            .unwrap_or_else(|| "USDT".into());
        let mut snap = AccountSnapshot {
            cash: total(&quote),
            ..Default::default()
        };
        for (symbol, r) in &rules {
            let qty = total(&r.base_asset);
            if !qty.is_zero() {
                snap.positions.push(VenuePosition {
                    symbol: symbol.clone(),
                    quantity: qty,
                    average_price: None,
                });
            }
        }
        if symbols.is_empty() {
            snap.open_orders = self.open_orders(None).await?;
        }
        for s in symbols {
            snap.open_orders.extend(self.open_orders(Some(s)).await?);
        }
        Ok(snap)
    }

    /// Places an OCO (`POST /api/v3/orderList/oco`): for a SELL the LIMIT_MAKER leg is
    /// above and the stop leg below the market, for a BUY the reverse. Filters are applied
    /// to both legs. Returns the legs as Binance reports them.
    pub async fn submit_oco(&self, oco: &OcoRequest) -> Result<Vec<VenueOrder>, VenueError> {
        let rules = self.rules(&oco.symbol).await?;
        let id = &oco.list_client_id;
        let (qty, qty_s) = round_quantity(&rules, id, false, oco.quantity)?;
        let limit = round_price(&rules, id, oco.side, "limit price", oco.limit_price)?;
        let stop = round_price(&rules, id, oco.side, "stop price", oco.stop_price)?;
        super::filters::check_notional(
            &rules,
            id,
            false,
            limit.parse::<Decimal>().unwrap_or_default() * qty,
        )?;
        let mut limit_leg: Vec<(&'static str, String)> = vec![
            ("Type", "LIMIT_MAKER".into()),
            ("Price", limit),
            ("ClientOrderId", oco.limit_client_id.to_string()),
        ];
        let mut stop_leg: Vec<(&'static str, String)> = vec![
            ("StopPrice", stop),
            ("ClientOrderId", oco.stop_client_id.to_string()),
        ];
        match oco.stop_limit_price {
            Some(p) => {
                stop_leg.insert(0, ("Type", "STOP_LOSS_LIMIT".into()));
                stop_leg.push((
                    "Price",
                    round_price(&rules, id, oco.side, "stop limit price", p)?,
                ));
                stop_leg.push(("TimeInForce", "GTC".into()));
            }
            None => stop_leg.insert(0, ("Type", "STOP_LOSS".into())),
        }
        let (above, below) = match oco.side {
            Side::Sell => (&mut limit_leg, &mut stop_leg),
            Side::Buy => (&mut stop_leg, &mut limit_leg),
        };
        let mut req = Request::new(Method::POST, "/api/v3/orderList/oco", Security::Signed, 1)
            .param("symbol", rules.symbol.clone())
            .param("side", side_str(oco.side))
            .param("quantity", qty_s)
            .param("listClientOrderId", id.as_str())
            .param("newOrderRespType", "RESULT");
        for (k, v) in above.drain(..) {
            req.params.push((leg_name("above", k), v));
        }
        for (k, v) in below.drain(..) {
            req.params.push((leg_name("below", k), v));
        }
        let body = self.inner.send(&req).await?;
        let list = parse_order_list(&body)?;
        list.order_reports
            .iter()
            .map(|o| venue_order(o, Some(oco.side), &body))
            .collect()
    }
}

/// `above` + `Type` → `aboveType` (static names, so parameters stay `&'static str`).
fn leg_name(leg: &str, field: &str) -> &'static str {
    match (leg, field) {
        ("above", "Type") => "aboveType",
        ("above", "Price") => "abovePrice",
        ("above", "StopPrice") => "aboveStopPrice",
        ("above", "TimeInForce") => "aboveTimeInForce",
        ("above", _) => "aboveClientOrderId",
        (_, "Type") => "belowType",
        (_, "Price") => "belowPrice",
        (_, "StopPrice") => "belowStopPrice",
        (_, "TimeInForce") => "belowTimeInForce",
        _ => "belowClientOrderId",
    }
}
