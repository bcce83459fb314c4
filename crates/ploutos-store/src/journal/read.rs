//! Turning rows back into core types.

use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;

use ploutos_core::order::{ClientOrderId, Fill, Liquidity};
use ploutos_core::{Decimal, IndicatorValues, Side, Signal, SignalKind, Symbol, Timestamp};
use serde::de::{Deserializer, MapAccess, Visitor};
use serde::Deserialize;

use super::error::{invalid, StoreError};

/// Row decoding context: the file, and the table and seq of the row, for error messages.
pub(crate) struct Ctx<'a> {
    pub path: &'a Path,
    pub table: &'static str,
    pub seq: i64,
}

impl Ctx<'_> {
    pub fn bad(&self, column: &str, value: &str, why: impl fmt::Display) -> StoreError {
        invalid(
            self.path,
            format!("read {} seq {}", self.table, self.seq),
            format!("column {column} = {value:?}: {why}"),
        )
    }

    pub fn decimal(&self, column: &str, s: &str) -> Result<Decimal, StoreError> {
        Decimal::from_str(s).map_err(|e| self.bad(column, s, e))
    }

    pub fn symbol(&self, column: &str, s: &str) -> Result<Symbol, StoreError> {
        Symbol::new(s).map_err(|e| self.bad(column, s, e))
    }

    pub fn client_id(&self, column: &str, s: &str) -> Result<ClientOrderId, StoreError> {
        ClientOrderId::new(s).map_err(|e| self.bad(column, s, e))
    }

    pub fn side(&self, column: &str, s: &str) -> Result<Side, StoreError> {
        Side::from_str(s).map_err(|e| self.bad(column, s, e))
    }

    pub fn json<T: for<'de> Deserialize<'de>>(
        &self,
        column: &str,
        s: &str,
    ) -> Result<T, StoreError> {
        serde_json::from_str(s).map_err(|e| self.bad(column, &truncate(s), e))
    }

    pub fn seq(&self) -> u64 {
        u64::try_from(self.seq).unwrap_or_default()
    }
}

fn truncate(s: &str) -> String {
    match s.char_indices().nth(200) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

/// The columns of a `fills` row after `seq`, in [`FILL_COLUMNS`] order.
pub(crate) const FILL_COLUMNS: &str =
    "seq, id, client_order_id, symbol, side, status, price, quantity, fee, \
     liquidity, leaves, time_ns, demo, strategy";

pub(crate) fn fill_row(
    path: &Path,
    r: &rusqlite::Row<'_>,
) -> Result<super::StoredFill, StoreError> {
    let sq = |e| super::error::sql(path, || "read fills".into())(e);
    let cx = Ctx {
        path,
        table: "fills",
        seq: r.get(0).map_err(sq)?,
    };
    let text = |i: usize| -> Result<String, StoreError> {
        r.get::<_, String>(i).map_err(super::error::sql(path, || {
            format!("read fills seq {}", cx.seq)
        }))
    };
    let status_s = text(5)?;
    let liq = text(9)?;
    let liquidity = match liq.as_str() {
        "maker" => Liquidity::Maker,
        "taker" => Liquidity::Taker,
        _ => return Err(cx.bad("liquidity", &liq, "expected maker or taker")),
    };
    let time_ns: i64 = r.get(11).map_err(sq)?;
    let demo: bool = r.get(12).map_err(sq)?;
    Ok(super::StoredFill {
        seq: cx.seq(),
        fill: Fill {
            id: text(1)?.into(),
            time: Timestamp::from_nanos(time_ns),
            price: cx.decimal("price", &text(6)?)?,
            quantity: cx.decimal("quantity", &text(7)?)?,
            fee: cx.decimal("fee", &text(8)?)?,
            liquidity,
            leaves: cx.decimal("leaves", &text(10)?)?,
        },
        client_order_id: cx.client_id("client_order_id", &text(2)?)?,
        symbol: cx.symbol("symbol", &text(3)?)?,
        side: cx.side("side", &text(4)?)?,
        status: super::write::status_from_str(&status_s)
            .ok_or_else(|| cx.bad("status", &status_s, "unknown order status"))?,
        strategy: Arc::from(text(13)?),
        demo,
    })
}

/// The columns of a `signals` row, in the order [`signal_row`] reads them.
pub(crate) const SIGNAL_COLUMNS: &str =
    "seq, strategy, ticker, signal, confidence, buy_votes, sell_votes, price, reasons, indicators, time_ns";

pub(crate) fn signal_row(
    path: &Path,
    r: &rusqlite::Row<'_>,
) -> Result<super::StoredSignal, StoreError> {
    let sq = |e| super::error::sql(path, || "read signals".into())(e);
    let cx = Ctx {
        path,
        table: "signals",
        seq: r.get(0).map_err(sq)?,
    };
    let strategy: String = r.get(1).map_err(sq)?;
    let ticker: String = r.get(2).map_err(sq)?;
    let kind_s: String = r.get(3).map_err(sq)?;
    let kind = match kind_s.as_str() {
        "BUY" => SignalKind::Buy,
        "SELL" => SignalKind::Sell,
        "HOLD" => SignalKind::Hold,
        _ => return Err(cx.bad("signal", &kind_s, "expected BUY, SELL or HOLD")),
    };
    let price: Option<f64> = r.get(7).map_err(sq)?;
    let reasons: String = r.get(8).map_err(sq)?;
    let indicators: String = r.get(9).map_err(sq)?;
    let ordered: OrderedIndicators = cx.json("indicators", &indicators)?;
    let mut values = IndicatorValues::with_capacity(ordered.0.len());
    for (name, v) in ordered.0 {
        values.push(name, v);
    }
    let time_ns: i64 = r.get(10).map_err(sq)?;
    Ok(super::StoredSignal {
        seq: cx.seq(),
        signal: Signal {
            symbol: cx.symbol("ticker", &ticker)?,
            time: Timestamp::from_nanos(time_ns),
            kind,
            confidence: r.get(4).map_err(sq)?,
            buy_votes: r.get(5).map_err(sq)?,
            sell_votes: r.get(6).map_err(sq)?,
            current_price: price.unwrap_or(f64::NAN),
            reasons: cx.json("reasons", &reasons)?,
            indicators: values,
            strategy: Arc::from(strategy),
        },
    })
}

/// Indicator values in the order the JSON object has them (`null` → NaN).
struct OrderedIndicators(Vec<(String, f64)>);

impl<'de> Deserialize<'de> for OrderedIndicators {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = OrderedIndicators;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of indicator values")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::with_capacity(m.size_hint().unwrap_or(8));
                while let Some((k, x)) = m.next_entry::<String, Option<f64>>()? {
                    v.push((k, x.unwrap_or(f64::NAN)));
                }
                Ok(OrderedIndicators(v))
            }
        }
        d.deserialize_map(V)
    }
}
