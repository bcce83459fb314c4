//! The fake's order engine: a synthetic book around the last price (levels of
//! `level_qty`, one tick apart × 10), balances that move free → locked, execution reports.

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde_json::{json, Value};

use super::{FakeBinanceConfig, FakeSymbol};

/// An order the engine knows.
#[derive(Debug, Clone)]
pub struct FakeOrder {
    /// Symbol.
    pub symbol: String,
    /// Binance order id.
    pub order_id: i64,
    /// Client order id.
    pub client_id: String,
    /// `BUY` / `SELL`.
    pub side: String,
    /// `LIMIT`, `MARKET`, …
    pub kind: String,
    /// `GTC`, `IOC`, `FOK`.
    pub tif: String,
    /// Limit price (0 for market).
    pub price: Decimal,
    /// Stop price (0 if none).
    pub stop: Decimal,
    /// Ordered quantity.
    pub orig_qty: Decimal,
    /// Filled quantity.
    pub executed: Decimal,
    /// Filled quote amount.
    pub cum_quote: Decimal,
    /// Status.
    pub status: String,
    /// Creation time.
    pub time: i64,
    /// Last update.
    pub update_time: i64,
    /// Order list id (−1 if none).
    pub list_id: i64,
    /// The balance still locked for it.
    pub locked: Decimal,
}

impl FakeOrder {
    fn is_open(&self) -> bool {
        matches!(self.status.as_str(), "NEW" | "PARTIALLY_FILLED")
    }

    /// The RESULT / GET representation.
    pub fn json(&self) -> Value {
        json!({"symbol": self.symbol, "orderId": self.order_id, "orderListId": self.list_id,
            "clientOrderId": self.client_id, "transactTime": self.update_time,
            "price": self.price.to_string(), "origQty": self.orig_qty.to_string(),
            "executedQty": self.executed.to_string(), "origQuoteOrderQty": "0.00000000",
            "cummulativeQuoteQty": self.cum_quote.to_string(), "status": self.status,
            "timeInForce": self.tif, "type": self.kind, "side": self.side,
            "stopPrice": self.stop.to_string(), "time": self.time, "updateTime": self.update_time,
            "workingTime": self.time, "isWorking": true, "selfTradePreventionMode": "NONE"})
    }
}

/// One execution against the book.
#[derive(Debug, Clone)]
pub struct Execution {
    /// Price.
    pub price: Decimal,
    /// Quantity.
    pub qty: Decimal,
    /// Commission (quote asset).
    pub commission: Decimal,
    /// Trade id.
    pub trade_id: i64,
}

/// Orders and balances.
#[derive(Debug)]
pub struct Engine {
    orders: Vec<FakeOrder>,
    balances: HashMap<String, (Decimal, Decimal)>,
    next_order_id: i64,
    next_trade_id: i64,
    next_list_id: i64,
    commission_rate: Decimal,
    symbols: Vec<FakeSymbol>,
}

/// A new order as the REST layer validated it.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// The symbol's rules.
    pub symbol: FakeSymbol,
    /// Client id.
    pub client_id: String,
    /// `BUY`/`SELL`.
    pub side: String,
    /// Type.
    pub kind: String,
    /// Time in force (`GTC` when not given).
    pub tif: String,
    /// Quantity (0 when quoteOrderQty is used).
    pub qty: Decimal,
    /// quoteOrderQty (0 when not used).
    pub quote_qty: Decimal,
    /// Limit price (0 if none).
    pub price: Decimal,
    /// Stop price (0 if none).
    pub stop: Decimal,
    /// Order list id (−1 if none).
    pub list_id: i64,
}

/// What placing an order produced.
#[derive(Debug, Clone)]
pub struct Placed {
    /// The order after matching.
    pub order: FakeOrder,
    /// Its executions.
    pub fills: Vec<Execution>,
    /// User-data events (execution reports, account positions) to publish.
    pub events: Vec<Value>,
}

fn report(
    o: &FakeOrder,
    x: &str,
    fill: Option<(&Execution, bool)>,
    quote: &str,
    now: i64,
    orig: &str,
) -> Value {
    let maker = fill.is_some_and(|(_, m)| m);
    let fill = fill.map(|(f, _)| f);
    let (l, lp, n, t) = match fill {
        Some(f) => (f.qty, f.price, f.commission, f.trade_id),
        None => (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO, -1),
    };
    json!({"e": "executionReport", "E": now, "s": o.symbol, "c": if orig.is_empty() { o.client_id.clone() } else { format!("cancel-{}", o.order_id) },
        "S": o.side, "o": o.kind, "f": o.tif, "q": o.orig_qty.to_string(), "p": o.price.to_string(),
        "P": o.stop.to_string(), "F": "0.00000000", "g": o.list_id, "C": orig, "x": x, "X": o.status,
        "r": "NONE", "i": o.order_id, "l": l.to_string(), "z": o.executed.to_string(), "L": lp.to_string(),
        "n": n.to_string(), "N": if fill.is_some() { Value::from(quote) } else { Value::Null },
        "T": now, "t": t, "I": now, "w": o.is_open(), "m": maker,
        "M": false, "O": o.time, "Z": o.cum_quote.to_string(), "Y": (l * lp).to_string(), "Q": "0.00000000", "W": o.time, "V": "NONE"})
}

impl Engine {
    /// Balances from the configuration.
    pub fn new(cfg: &FakeBinanceConfig) -> Self {
        Engine {
            orders: Vec::new(),
            balances: cfg
                .balances
                .iter()
                .map(|(a, q)| (a.clone(), (*q, Decimal::ZERO)))
                .collect(),
            next_order_id: 1,
            next_trade_id: 1,
            next_list_id: 1,
            commission_rate: cfg.commission_rate,
            symbols: cfg.symbols.clone(),
        }
    }

    /// (free, locked).
    pub fn balance(&self, asset: &str) -> (Decimal, Decimal) {
        self.balances.get(asset).copied().unwrap_or_default()
    }

    /// All balances as account JSON.
    pub fn balances_json(&self) -> Vec<Value> {
        let mut v: Vec<_> = self.balances.iter().collect();
        v.sort_by(|a, b| a.0.cmp(b.0));
        v.into_iter()
            .map(|(a, (f, l))| json!({"asset": a, "free": f.to_string(), "locked": l.to_string()}))
            .collect()
    }

    fn position_event(&self, s: &FakeSymbol, now: i64) -> Value {
        let b = |a: &str| {
            let (f, l) = self.balance(a);
            json!({"a": a, "f": f.to_string(), "l": l.to_string()})
        };
        json!({"e": "outboundAccountPosition", "E": now, "u": now, "B": [b(&s.base), b(&s.quote)]})
    }

    fn add(&mut self, asset: &str, free: Decimal, locked: Decimal) {
        let e = self.balances.entry(asset.to_string()).or_default();
        e.0 += free;
        e.1 += locked;
    }

    /// An open order with this client id.
    pub fn open_with_client_id(&self, id: &str) -> bool {
        self.orders.iter().any(|o| o.client_id == id && o.is_open())
    }

    /// The most recent order with this client id, or with this order id.
    pub fn find(
        &self,
        symbol: &str,
        client_id: Option<&str>,
        order_id: Option<i64>,
    ) -> Option<&FakeOrder> {
        self.orders.iter().rev().find(|o| {
            o.symbol == symbol
                && (client_id.is_some_and(|c| c == o.client_id)
                    || order_id.is_some_and(|i| i == o.order_id))
        })
    }

    /// Open orders (of `symbol`).
    pub fn open_orders(&self, symbol: Option<&str>) -> Vec<Value> {
        self.orders
            .iter()
            .filter(|o| o.is_open() && symbol.is_none_or(|s| s == o.symbol))
            .map(FakeOrder::json)
            .collect()
    }

    /// The book's levels on the taker's side: (price, qty), best first.
    fn levels(s: &FakeSymbol, last: Decimal, buy: bool) -> Vec<(Decimal, Decimal)> {
        (1..=50)
            .map(|k| {
                let off = s.tick_size * Decimal::from(k * 10);
                (
                    if buy {
                        last + off
                    } else {
                        (last - off).max(s.tick_size)
                    },
                    s.level_qty,
                )
            })
            .collect()
    }

    /// Matches a taker order against the book up to `limit` (0 = none); returns fills.
    fn take(
        &mut self,
        n: &NewOrder,
        last: Decimal,
        qty: Decimal,
        quote: Decimal,
    ) -> Vec<Execution> {
        let buy = n.side == "BUY";
        let mut fills = Vec::new();
        let mut left_qty = qty;
        let mut left_quote = quote;
        for (price, avail) in Self::levels(&n.symbol, last, buy) {
            if n.price > Decimal::ZERO && ((buy && price > n.price) || (!buy && price < n.price)) {
                break;
            }
            let q = if quote > Decimal::ZERO {
                let by_quote = left_quote / price;
                let stepped = (by_quote / n.symbol.step_size).floor() * n.symbol.step_size;
                stepped.min(avail)
            } else {
                left_qty.min(avail)
            };
            if q <= Decimal::ZERO {
                break;
            }
            let commission = (q * price * self.commission_rate).round_dp(8);
            fills.push(Execution {
                price,
                qty: q,
                commission,
                trade_id: self.next_trade_id,
            });
            self.next_trade_id += 1;
            left_qty -= q;
            left_quote -= q * price;
            if (quote.is_zero() && left_qty <= Decimal::ZERO)
                || (quote > Decimal::ZERO && left_quote < price * n.symbol.step_size)
            {
                break;
            }
        }
        fills
    }

    fn settle(&mut self, s: &FakeSymbol, buy: bool, f: &Execution, from_locked: bool) {
        let value = f.qty * f.price;
        if buy {
            if from_locked {
                self.add(&s.quote, Decimal::ZERO, -value);
            } else {
                self.add(&s.quote, -value, Decimal::ZERO);
            }
            self.add(&s.base, f.qty, Decimal::ZERO);
            self.add(&s.quote, -f.commission, Decimal::ZERO);
        } else {
            if from_locked {
                self.add(&s.base, Decimal::ZERO, -f.qty);
            } else {
                self.add(&s.base, -f.qty, Decimal::ZERO);
            }
            self.add(&s.quote, value - f.commission, Decimal::ZERO);
        }
    }

    /// Places `n` at market price `last`: `Err((code, msg))` for a -2010 rejection.
    pub fn place(&mut self, n: NewOrder, last: Decimal, now: i64) -> Result<Placed, (i64, String)> {
        let s = n.symbol.clone();
        let buy = n.side == "BUY";
        if self.open_with_client_id(&n.client_id) {
            return Err((-2010, "Duplicate order sent.".into()));
        }
        let marketable = match n.kind.as_str() {
            "MARKET" => true,
            "LIMIT" | "LIMIT_MAKER" => {
                let best = Self::levels(&s, last, buy)[0].0;
                (buy && n.price >= best) || (!buy && n.price <= best)
            }
            _ => false,
        };
        if n.kind == "LIMIT_MAKER" && marketable {
            return Err((-2010, "Order would immediately match and take.".into()));
        }
        // Balance check: what the order may cost.
        let (need_asset, need) = if buy {
            let px = if n.price > Decimal::ZERO {
                n.price
            } else {
                Self::levels(&s, last, true)[10].0
            };
            let cost = if n.quote_qty > Decimal::ZERO {
                n.quote_qty
            } else {
                n.qty * px
            };
            (
                s.quote.clone(),
                cost * (Decimal::ONE + self.commission_rate),
            )
        } else {
            (s.base.clone(), n.qty)
        };
        if self.balance(&need_asset).0 < need {
            return Err((
                -2010,
                "Account has insufficient balance for requested action.".into(),
            ));
        }
        let mut order = FakeOrder {
            symbol: s.symbol.clone(),
            order_id: self.next_order_id,
            client_id: n.client_id.clone(),
            side: n.side.clone(),
            kind: n.kind.clone(),
            tif: n.tif.clone(),
            price: n.price,
            stop: n.stop,
            orig_qty: n.qty,
            executed: Decimal::ZERO,
            cum_quote: Decimal::ZERO,
            status: "NEW".into(),
            time: now,
            update_time: now,
            list_id: n.list_id,
            locked: Decimal::ZERO,
        };
        self.next_order_id += 1;
        let mut events = Vec::new();
        let mut fills = Vec::new();
        events.push(report(&order, "NEW", None, &s.quote, now, ""));
        if marketable {
            fills = self.take(&n, last, n.qty, n.quote_qty);
            let total: Decimal = fills.iter().map(|f| f.qty).sum();
            if n.tif == "FOK" && total < n.qty {
                fills.clear();
            }
            if n.quote_qty > Decimal::ZERO {
                order.orig_qty = total;
            }
            for f in &fills {
                self.settle(&s, buy, f, false);
                order.executed += f.qty;
                order.cum_quote += f.qty * f.price;
                order.status = if order.executed >= order.orig_qty {
                    "FILLED".into()
                } else {
                    "PARTIALLY_FILLED".into()
                };
                events.push(report(&order, "TRADE", Some((f, false)), &s.quote, now, ""));
            }
        }
        let rests = order.executed < order.orig_qty && n.kind != "MARKET" && n.tif == "GTC";
        if order.status != "FILLED" && !rests {
            order.status = "EXPIRED".into();
            events.push(report(&order, "EXPIRED", None, &s.quote, now, ""));
        } else if rests {
            let left = order.orig_qty - order.executed;
            let lock = if buy {
                left * n.price.max(n.stop)
            } else {
                left
            };
            let asset = if buy { &s.quote } else { &s.base };
            self.add(asset, -lock, lock);
            order.locked = lock;
        }
        events.push(self.position_event(&s, now));
        self.orders.push(order.clone());
        Ok(Placed {
            order,
            fills,
            events,
        })
    }

    /// Cancels an open order; `None` when unknown or no longer open.
    pub fn cancel(
        &mut self,
        symbol: &FakeSymbol,
        client_id: Option<&str>,
        order_id: Option<i64>,
        now: i64,
    ) -> Option<(FakeOrder, Vec<Value>)> {
        let idx = self.orders.iter().rposition(|o| {
            o.symbol == symbol.symbol
                && o.is_open()
                && (client_id.is_some_and(|c| c == o.client_id)
                    || order_id.is_some_and(|i| i == o.order_id))
        })?;
        let (asset, lock) = {
            let o = &self.orders[idx];
            (
                if o.side == "BUY" {
                    symbol.quote.clone()
                } else {
                    symbol.base.clone()
                },
                o.locked,
            )
        };
        self.add(&asset, lock, -lock);
        let o = &mut self.orders[idx];
        o.locked = Decimal::ZERO;
        o.status = "CANCELED".into();
        o.update_time = now;
        let o = o.clone();
        let events = vec![
            report(&o, "CANCELED", None, &symbol.quote, now, &o.client_id),
            self.position_event(symbol, now),
        ];
        Some((o, events))
    }

    /// Fills `qty` of a resting order at its limit price (as maker).
    pub fn fill_resting(
        &mut self,
        client_id: &str,
        qty: Decimal,
        now: i64,
    ) -> Result<Vec<Value>, String> {
        let idx = self
            .orders
            .iter()
            .rposition(|o| o.client_id == client_id && o.is_open())
            .ok_or_else(|| format!("no open order {client_id}"))?;
        let o = self.orders[idx].clone();
        let qty = qty.min(o.orig_qty - o.executed);
        if qty <= Decimal::ZERO || o.price <= Decimal::ZERO {
            return Err(format!("order {client_id} cannot fill {qty}"));
        }
        let f = Execution {
            price: o.price,
            qty,
            commission: (qty * o.price * self.commission_rate).round_dp(8),
            trade_id: self.next_trade_id,
        };
        self.next_trade_id += 1;
        let buy = o.side == "BUY";
        let sym = self
            .symbol_assets(&o.symbol)
            .ok_or_else(|| format!("unknown symbol {}", o.symbol))?;
        let unlock = if buy { qty * o.price } else { qty };
        self.settle(&sym, buy, &f, true);
        let order = &mut self.orders[idx];
        order.locked -= unlock;
        order.executed += qty;
        order.cum_quote += qty * o.price;
        order.update_time = now;
        order.status = if order.executed >= order.orig_qty {
            "FILLED".into()
        } else {
            "PARTIALLY_FILLED".into()
        };
        let order = order.clone();
        Ok(vec![
            report(&order, "TRADE", Some((&f, true)), &sym.quote, now, ""),
            self.position_event(&sym, now),
        ])
    }

    fn symbol_assets(&self, symbol: &str) -> Option<FakeSymbol> {
        self.symbols.iter().find(|s| s.symbol == symbol).cloned()
    }

    /// A new order list id.
    pub fn next_list_id(&mut self) -> i64 {
        self.next_list_id += 1;
        self.next_list_id - 1
    }
}
