//! [`Signal`]: a strategy's verdict on one closed bar.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::symbol::Symbol;
use crate::time::Timestamp;

/// BUY, SELL or HOLD.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SignalKind {
    Buy,
    Sell,
    Hold,
}

impl fmt::Display for SignalKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SignalKind::Buy => "BUY",
            SignalKind::Sell => "SELL",
            SignalKind::Hold => "HOLD",
        })
    }
}

/// Named indicator values in a fixed order, serialized as a JSON object.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct IndicatorValues(Vec<(Cow<'static, str>, f64)>);

impl IndicatorValues {
    /// Empty, with room for `n` values.
    pub fn with_capacity(n: usize) -> Self {
        IndicatorValues(Vec::with_capacity(n))
    }

    /// Appends a value (kept in insertion order).
    pub fn push(&mut self, name: impl Into<Cow<'static, str>>, value: f64) {
        self.0.push((name.into(), value));
    }

    /// The value named `name`.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// All values in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, f64)> {
        self.0.iter().map(|(n, v)| (n.as_ref(), *v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Serialize for IndicatorValues {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            if v.is_finite() {
                m.serialize_entry(k.as_ref(), v)?;
            } else {
                m.serialize_entry(k.as_ref(), &None::<f64>)?;
            }
        }
        m.end()
    }
}

/// A strategy's decision on one closed bar: the kind, a 0–100 confidence, the votes behind
/// it, the reasons in plain words and the indicator values it saw.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Signal {
    pub symbol: Symbol,
    /// Open time of the bar the signal was computed on.
    #[serde(rename = "timestamp")]
    pub time: Timestamp,
    #[serde(rename = "signal")]
    pub kind: SignalKind,
    /// 0–100.
    pub confidence: u8,
    pub buy_votes: u8,
    pub sell_votes: u8,
    /// The bar's close.
    pub current_price: f64,
    pub reasons: Vec<String>,
    pub indicators: IndicatorValues,
    pub strategy: Arc<str>,
}

impl Signal {
    /// BUY or SELL (not HOLD).
    pub fn is_actionable(&self) -> bool {
        self.kind != SignalKind::Hold
    }
}
