//! Trading API v2: orders (simple and bracket/oco/oto), cancel, replace, positions, account,
//! clock, calendar, and the [`Execution`] implementation.
//!
//! An order is POSTed once. After a timeout, a transport error, a 5xx or a 422 "client_order_id
//! must be unique" it is looked up by its client order id and what is found is returned;
//! it is never sent again.

use chrono::NaiveDate;
use ploutos_core::order::{
    ClientOrderId, OrderEvent, OrderKind, OrderRequest, OrderSize, OrderStatus, TimeInForce, Trail,
};
use ploutos_core::{Decimal, Side, Symbol, Timestamp};
use reqwest::Method;
use serde_json::{json, Value};

use crate::error::VenueError;
use crate::live::{AccountSnapshot, Execution, SubmitOutcome, VenueOrder};

use super::rest::{map_status, Api, Req};
use super::updates::AlpacaUpdates;
use super::wire::{
    parse_calendar, parse_clock, parse_error_body, parse_json, parse_multi_status, parse_time,
    Account, AlpacaOrder, AlpacaPosition, CalendarDay, MarketClock, MultiStatusEntry, VENUE,
};
use super::Alpaca;

/// How much of a position [`Alpaca::close_position`] closes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosePosition {
    /// All of it.
    All,
    /// This many shares.
    Qty(Decimal),
    /// This percentage (0–100).
    Percentage(Decimal),
}

/// The advanced order classes of [`Alpaca::submit_bracket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderClass {
    /// Entry + take-profit + stop-loss (both exits required).
    Bracket,
    /// Exit-only pair (limit take-profit + stop-loss) for an existing position.
    Oco,
    /// Entry + exactly one exit.
    Oto,
}

impl OrderClass {
    fn as_str(self) -> &'static str {
        match self {
            OrderClass::Bracket => "bracket",
            OrderClass::Oco => "oco",
            OrderClass::Oto => "oto",
        }
    }
}

/// The stop-loss leg of an advanced order (`limit_price` makes it a stop-limit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StopLoss {
    /// Stop price.
    pub stop_price: Decimal,
    /// Optional limit price.
    pub limit_price: Option<Decimal>,
}

/// What `PATCH /v2/orders/{id}` changes (unset fields stay as they are).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplaceRequest {
    /// New quantity.
    pub qty: Option<Decimal>,
    /// New time in force.
    pub time_in_force: Option<TimeInForce>,
    /// New limit price.
    pub limit_price: Option<Decimal>,
    /// New stop price.
    pub stop_price: Option<Decimal>,
    /// New trail (price or percent, as the order has).
    pub trail: Option<Decimal>,
    /// The replacement's client order id.
    pub client_order_id: Option<ClientOrderId>,
}

fn invalid(id: &ClientOrderId, message: String) -> VenueError {
    VenueError::Invalid {
        venue: VENUE,
        client_id: id.to_string(),
        message,
    }
}

/// Alpaca's price increments for equities: at most 2 decimals at $1 and above, 4 below.
pub(crate) fn check_price(
    id: &ClientOrderId,
    field: &str,
    price: Decimal,
) -> Result<(), VenueError> {
    let max_scale = if price >= Decimal::ONE { 2 } else { 4 };
    if price.normalize().scale() > max_scale {
        return Err(invalid(
            id,
            format!(
                "{field} {price} has more than {max_scale} decimals (sub-penny increments are rejected by Alpaca)"
            ),
        ));
    }
    Ok(())
}

fn num(d: Decimal) -> String {
    d.normalize().to_string()
}

fn tif_str(t: TimeInForce) -> &'static str {
    match t {
        TimeInForce::Day => "day",
        TimeInForce::Gtc => "gtc",
        TimeInForce::Ioc => "ioc",
        TimeInForce::Fok => "fok",
    }
}

/// The JSON body of `POST /v2/orders` for `req`, after Alpaca's local rules.
pub(crate) fn order_body(req: &OrderRequest) -> Result<Value, VenueError> {
    let id = &req.client_id;
    req.validate().map_err(|e| invalid(id, e.to_string()))?;
    let market_day = req.kind == OrderKind::Market && req.tif == TimeInForce::Day;
    let mut body = json!({
        "symbol": req.symbol.as_str(),
        "side": match req.side { Side::Buy => "buy", Side::Sell => "sell" },
        "type": req.kind.name(),
        "time_in_force": tif_str(req.tif),
        "client_order_id": id.as_str(),
    });
    match req.size {
        OrderSize::Quantity(q) => {
            if !q.fract().is_zero() && !market_day {
                return Err(invalid(
                    id,
                    format!("fractional quantity {q} is only possible for a market order with time in force day, not {} {}", req.kind.name(), req.tif),
                ));
            }
            body["qty"] = json!(num(q));
        }
        OrderSize::Notional(n) => {
            if !market_day {
                return Err(invalid(
                    id,
                    format!("notional {n} is only possible for a market order with time in force day, not {} {}", req.kind.name(), req.tif),
                ));
            }
            body["notional"] = json!(num(n));
        }
    }
    match req.kind {
        OrderKind::Market => {}
        OrderKind::Limit { limit } => {
            check_price(id, "limit price", limit)?;
            body["limit_price"] = json!(num(limit));
        }
        OrderKind::Stop { stop } => {
            check_price(id, "stop price", stop)?;
            body["stop_price"] = json!(num(stop));
        }
        OrderKind::StopLimit { stop, limit } => {
            check_price(id, "stop price", stop)?;
            check_price(id, "limit price", limit)?;
            body["stop_price"] = json!(num(stop));
            body["limit_price"] = json!(num(limit));
        }
        OrderKind::TrailingStop { trail } => match trail {
            Trail::Amount(a) => body["trail_price"] = json!(num(a)),
            Trail::Percent(p) => body["trail_percent"] = json!(num(p)),
        },
    }
    Ok(body)
}

fn is_duplicate_id(text: &str) -> bool {
    let body = parse_error_body(text);
    body.code == Some(40010001) || body.text().contains("client_order_id must be unique")
}

fn now() -> Timestamp {
    Timestamp::from_datetime(chrono::Utc::now()).unwrap_or(Timestamp::EPOCH)
}

fn outcome(o: &AlpacaOrder) -> Result<SubmitOutcome, VenueError> {
    let order = o.to_venue_order()?;
    let time = match &o.created_at {
        Some(t) => parse_time("order created_at", t)?,
        None => now(),
    };
    // Fills are left to the trade-updates stream: only it carries execution ids, and a fill
    // made up here would be counted twice.
    let events = match order.status {
        OrderStatus::Rejected => vec![OrderEvent::Rejected {
            time,
            reason: format!("alpaca rejected order {}", o.id),
        }],
        _ => vec![OrderEvent::Accepted { time }],
    };
    Ok(SubmitOutcome { order, events })
}

impl Alpaca {
    async fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        what: &str,
        req: Req<'_>,
    ) -> Result<T, VenueError> {
        let text = self.rest.call(req).await?;
        parse_json(what, &text)
    }

    /// `GET /v2/account`.
    pub async fn account(&self) -> Result<Account, VenueError> {
        self.get_json("account", Req::get(Api::Trading, "/v2/account"))
            .await
    }

    /// `GET /v2/clock`.
    pub async fn clock(&self) -> Result<MarketClock, VenueError> {
        let text = self.rest.call(Req::get(Api::Trading, "/v2/clock")).await?;
        parse_clock(&text)
    }

    /// `GET /v2/calendar` for the trading days in `[from, to]` (holidays are absent).
    pub async fn calendar(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CalendarDay>, VenueError> {
        let req = Req::get(Api::Trading, "/v2/calendar")
            .query("start", from.format("%Y-%m-%d").to_string())
            .query("end", to.format("%Y-%m-%d").to_string());
        let text = self.rest.call(req).await?;
        parse_calendar(&text)
    }

    /// `GET /v2/positions`.
    pub async fn positions(&self) -> Result<Vec<AlpacaPosition>, VenueError> {
        self.get_json("positions", Req::get(Api::Trading, "/v2/positions"))
            .await
    }

    /// `GET /v2/orders?status=open` (up to 500).
    pub async fn open_orders(&self) -> Result<Vec<AlpacaOrder>, VenueError> {
        let req = Req::get(Api::Trading, "/v2/orders")
            .query("status", "open")
            .query("limit", "500");
        self.get_json("open orders", req).await
    }

    /// `GET /v2/orders:by_client_order_id`; `None` when Alpaca does not know the id.
    pub async fn order_by_client_id(
        &self,
        id: &ClientOrderId,
    ) -> Result<Option<AlpacaOrder>, VenueError> {
        let req = Req::get(Api::Trading, "/v2/orders:by_client_order_id")
            .query("client_order_id", id.as_str());
        match self.get_json("order", req).await {
            Ok(o) => Ok(Some(o)),
            Err(VenueError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// After an unknown outcome: adopt the order if Alpaca has it; never resend.
    async fn adopt(&self, id: &ClientOrderId, why: String) -> Result<SubmitOutcome, VenueError> {
        let unknown = |message: String| VenueError::UnknownOutcome {
            venue: VENUE,
            client_id: id.to_string(),
            message,
        };
        match self.order_by_client_id(id).await {
            Ok(Some(o)) => outcome(&o),
            Ok(None) => Err(unknown(format!(
                "{why}; no order with this client id was found; it is not resent"
            ))),
            Err(e) => Err(unknown(format!("{why}; looking it up failed too: {e}"))),
        }
    }

    async fn place(&self, id: &ClientOrderId, body: Value) -> Result<SubmitOutcome, VenueError> {
        let req = Req::new(Api::Trading, Method::POST, "/v2/orders").json(body);
        match self.rest.send(req).await {
            Ok(r) if (200..300).contains(&r.status) => outcome(&parse_json("order", &r.text)?),
            Ok(r) if r.status >= 500 => {
                self.adopt(id, format!("POST /v2/orders answered HTTP {}", r.status))
                    .await
            }
            Ok(r) if r.status == 422 && is_duplicate_id(&r.text) => {
                self.adopt(id, "client_order_id already used".to_string())
                    .await
            }
            Ok(r) => Err(map_status(
                Api::Trading,
                &format!("POST /v2/orders {id}"),
                &r,
            )),
            Err(e @ VenueError::Connection { .. }) => self.adopt(id, e.to_string()).await,
            Err(e) => Err(e),
        }
    }

    /// Places a bracket, OCO or OTO order: `req` is the entry (for OCO: the take-profit
    /// limit), `take_profit` the take-profit limit price, `stop_loss` the stop leg.
    pub async fn submit_bracket(
        &self,
        req: &OrderRequest,
        class: OrderClass,
        take_profit: Option<Decimal>,
        stop_loss: Option<StopLoss>,
    ) -> Result<SubmitOutcome, VenueError> {
        let id = &req.client_id;
        let mut body = order_body(req)?;
        let legs_ok = match class {
            OrderClass::Bracket => take_profit.is_some() && stop_loss.is_some(),
            OrderClass::Oco => {
                take_profit.is_some()
                    && stop_loss.is_some()
                    && matches!(req.kind, OrderKind::Limit { .. })
            }
            OrderClass::Oto => take_profit.is_some() != stop_loss.is_some(),
        };
        if !legs_ok {
            return Err(invalid(
                id,
                format!(
                    "a {} order needs {} (take_profit {:?}, stop_loss {:?}, type {})",
                    class.as_str(),
                    match class {
                        OrderClass::Bracket => "both a take-profit and a stop-loss",
                        OrderClass::Oco => "type limit, a take-profit and a stop-loss",
                        OrderClass::Oto => "exactly one of take-profit and stop-loss",
                    },
                    take_profit,
                    stop_loss,
                    req.kind.name()
                ),
            ));
        }
        if class != OrderClass::Oco && !matches!(req.tif, TimeInForce::Day | TimeInForce::Gtc) {
            return Err(invalid(
                id,
                format!(
                    "a {} order needs time in force day or gtc, not {}",
                    class.as_str(),
                    req.tif
                ),
            ));
        }
        body["order_class"] = json!(class.as_str());
        if let Some(tp) = take_profit {
            check_price(id, "take-profit limit price", tp)?;
            body["take_profit"] = json!({"limit_price": num(tp)});
        }
        if let Some(sl) = stop_loss {
            check_price(id, "stop-loss stop price", sl.stop_price)?;
            let mut leg = json!({"stop_price": num(sl.stop_price)});
            if let Some(l) = sl.limit_price {
                check_price(id, "stop-loss limit price", l)?;
                leg["limit_price"] = json!(num(l));
            }
            body["stop_loss"] = leg;
        }
        self.place(id, body).await
    }

    /// `DELETE /v2/orders/{order_id}` (204). Unknown → `NotFound`; not cancelable (filled)
    /// → `Rejected` (422).
    pub async fn cancel_by_id(&self, order_id: &str) -> Result<(), VenueError> {
        let path = format!("/v2/orders/{order_id}");
        let mut req = Req::new(Api::Trading, Method::DELETE, &path);
        req.retry_failures = true; // a repeated cancel is harmless
        self.rest.call(req).await.map(|_| ())
    }

    /// `PATCH /v2/orders/{order_id}`: returns the NEW order (new id, `replaces` = old id).
    pub async fn replace(
        &self,
        order_id: &str,
        r: &ReplaceRequest,
    ) -> Result<AlpacaOrder, VenueError> {
        let mut body = json!({});
        let id = r
            .client_order_id
            .clone()
            .unwrap_or_else(|| ClientOrderId::sequential("replace", 0));
        if let Some(q) = r.qty {
            body["qty"] = json!(num(q));
        }
        if let Some(t) = r.time_in_force {
            body["time_in_force"] = json!(tif_str(t));
        }
        if let Some(p) = r.limit_price {
            check_price(&id, "limit price", p)?;
            body["limit_price"] = json!(num(p));
        }
        if let Some(p) = r.stop_price {
            check_price(&id, "stop price", p)?;
            body["stop_price"] = json!(num(p));
        }
        if let Some(t) = r.trail {
            body["trail"] = json!(num(t));
        }
        if let Some(c) = &r.client_order_id {
            body["client_order_id"] = json!(c.as_str());
        }
        let path = format!("/v2/orders/{order_id}");
        let text = self
            .rest
            .call(Req::new(Api::Trading, Method::PATCH, &path).json(body))
            .await?;
        parse_json("replacement order", &text)
    }

    /// `DELETE /v2/orders`: cancels every open order; one entry per order (207).
    pub async fn cancel_all(&self) -> Result<Vec<MultiStatusEntry>, VenueError> {
        let text = self
            .rest
            .call(Req::new(Api::Trading, Method::DELETE, "/v2/orders"))
            .await?;
        parse_multi_status(&text)
    }

    /// `DELETE /v2/positions/{symbol}`: closes all or part of a position; returns the
    /// closing order.
    pub async fn close_position(
        &self,
        symbol: &Symbol,
        how: ClosePosition,
    ) -> Result<AlpacaOrder, VenueError> {
        let path = format!("/v2/positions/{}", symbol.as_str());
        let req = Req::new(Api::Trading, Method::DELETE, &path);
        let req = match how {
            ClosePosition::All => req,
            ClosePosition::Qty(q) => req.query("qty", num(q)),
            ClosePosition::Percentage(p) => req.query("percentage", num(p)),
        };
        let text = self.rest.call(req).await?;
        parse_json("closing order", &text)
    }

    /// `DELETE /v2/positions?cancel_orders=…`: closes every position; one entry per symbol
    /// (207), failures carry the error body.
    pub async fn close_all(
        &self,
        cancel_orders: bool,
    ) -> Result<Vec<MultiStatusEntry>, VenueError> {
        let req = Req::new(Api::Trading, Method::DELETE, "/v2/positions")
            .query("cancel_orders", cancel_orders.to_string());
        let text = self.rest.call(req).await?;
        parse_multi_status(&text)
    }
}

impl Execution for Alpaca {
    type Updates = AlpacaUpdates;

    fn name(&self) -> &str {
        VENUE
    }

    async fn submit(
        &self,
        req: &OrderRequest,
        _reference_price: Option<Decimal>,
    ) -> Result<SubmitOutcome, VenueError> {
        let body = order_body(req)?;
        self.place(&req.client_id, body).await
    }

    async fn cancel(&self, _symbol: &Symbol, id: &ClientOrderId) -> Result<(), VenueError> {
        match self.order_by_client_id(id).await? {
            Some(o) => self.cancel_by_id(&o.id).await,
            None => Err(VenueError::NotFound {
                venue: VENUE,
                what: format!("order with client id {id}"),
            }),
        }
    }

    async fn order(
        &self,
        _symbol: &Symbol,
        id: &ClientOrderId,
    ) -> Result<Option<VenueOrder>, VenueError> {
        self.order_by_client_id(id)
            .await?
            .map(|o| o.to_venue_order())
            .transpose()
    }

    async fn snapshot(&self, _symbols: &[Symbol]) -> Result<AccountSnapshot, VenueError> {
        let account = self.account().await?;
        let positions = self
            .positions()
            .await?
            .iter()
            .map(AlpacaPosition::to_venue_position)
            .filter(|p| !matches!(p, Ok(p) if p.quantity.is_zero()))
            .collect::<Result<Vec<_>, _>>()?;
        let open_orders = self
            .open_orders()
            .await?
            .iter()
            .map(AlpacaOrder::to_venue_order)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(AccountSnapshot {
            cash: account.cash,
            positions,
            open_orders,
        })
    }

    async fn updates(&self) -> Result<AlpacaUpdates, VenueError> {
        AlpacaUpdates::open(&self.rest.cfg).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;
    use std::sync::Arc;

    fn req(kind: OrderKind, size: OrderSize, tif: TimeInForce) -> OrderRequest {
        OrderRequest {
            client_id: ClientOrderId::new("t-1").unwrap(),
            strategy: Arc::from("s"),
            symbol: Symbol::new("AAPL").unwrap(),
            side: Side::Buy,
            kind,
            size,
            tif,
            contingency: Default::default(),
            reduce_only: false,
            reason: Arc::from("entry"),
        }
    }

    #[test]
    fn builds_order_bodies_and_checks_alpaca_rules() {
        let b = order_body(&req(
            OrderKind::Limit {
                limit: dec!(190.50),
            },
            OrderSize::Quantity(dec!(10)),
            TimeInForce::Gtc,
        ))
        .unwrap();
        assert_eq!(b["limit_price"], "190.5");
        assert_eq!(b["qty"], "10");
        assert_eq!(b["type"], "limit");
        assert_eq!(b["time_in_force"], "gtc");
        assert_eq!(b["client_order_id"], "t-1");
        let e = order_body(&req(
            OrderKind::Limit {
                limit: dec!(190.505),
            },
            OrderSize::Quantity(dec!(1)),
            TimeInForce::Day,
        ))
        .unwrap_err();
        assert!(e.to_string().contains("190.505"), "{e}");
        assert!(order_body(&req(
            OrderKind::Limit {
                limit: dec!(0.1234)
            },
            OrderSize::Quantity(dec!(1)),
            TimeInForce::Day
        ))
        .is_ok());
        assert!(order_body(&req(
            OrderKind::Limit {
                limit: dec!(0.12345)
            },
            OrderSize::Quantity(dec!(1)),
            TimeInForce::Day
        ))
        .is_err());
        let e = order_body(&req(
            OrderKind::Limit { limit: dec!(10) },
            OrderSize::Quantity(dec!(1.5)),
            TimeInForce::Day,
        ))
        .unwrap_err();
        assert!(
            matches!(e, VenueError::Invalid { .. }) && e.to_string().contains("1.5"),
            "{e}"
        );
        let b = order_body(&req(
            OrderKind::Market,
            OrderSize::Quantity(dec!(1.5)),
            TimeInForce::Day,
        ))
        .unwrap();
        assert_eq!(b["qty"], "1.5");
        let b = order_body(&req(
            OrderKind::Market,
            OrderSize::Notional(dec!(500)),
            TimeInForce::Day,
        ))
        .unwrap();
        assert_eq!(b["notional"], "500");
        assert!(order_body(&req(
            OrderKind::Market,
            OrderSize::Notional(dec!(500)),
            TimeInForce::Gtc
        ))
        .is_err());
        let b = order_body(&req(
            OrderKind::TrailingStop {
                trail: Trail::Percent(dec!(2.5)),
            },
            OrderSize::Quantity(dec!(3)),
            TimeInForce::Gtc,
        ))
        .unwrap();
        assert_eq!(b["trail_percent"], "2.5");
        let b = order_body(&req(
            OrderKind::StopLimit {
                stop: dec!(99),
                limit: dec!(98.5),
            },
            OrderSize::Quantity(dec!(3)),
            TimeInForce::Day,
        ))
        .unwrap();
        assert_eq!(
            (b["stop_price"].as_str(), b["limit_price"].as_str()),
            (Some("99"), Some("98.5"))
        );
    }
}
