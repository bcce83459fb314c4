//! [`Bar`]: one OHLCV candle, validated on construction.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::time::Timestamp;

const NO_TRADES: u64 = u64::MAX;

fn no_trades() -> u64 {
    NO_TRADES
}

fn is_no_trades(t: &u64) -> bool {
    *t == NO_TRADES
}

fn no_vwap() -> f64 {
    f64::NAN
}

fn is_no_vwap(v: &f64) -> bool {
    v.is_nan()
}

/// `u64::MAX` ⇄ absent.
mod sentinel_u64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &u64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(*v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        Ok(
            Option::<u64>::deserialize(d)?
                .map_or(super::NO_TRADES, |t| t.min(super::NO_TRADES - 1)),
        )
    }
}

/// NaN ⇄ absent.
mod sentinel_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(*v)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?
            .filter(|v| v.is_finite())
            .unwrap_or(f64::NAN))
    }
}

/// A bar that cannot exist. Every variant names the field and the value.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum BarError {
    #[error("{field} is {value}, which is not a finite number")]
    NotFinite { field: &'static str, value: f64 },
    #[error("high {high} is below low {low}")]
    HighBelowLow { high: f64, low: f64 },
    #[error("{field} {value} is outside the bar's range low {low} .. high {high}")]
    OutsideRange {
        field: &'static str,
        value: f64,
        low: f64,
        high: f64,
    },
    #[error("volume {value} is negative")]
    NegativeVolume { value: f64 },
}

/// One OHLCV bar. `time` is the bar's **open** time (UTC). Invariants, checked by [`Bar::new`]:
/// every number is finite, `low <= open, close <= high`, `volume >= 0`, and the optional VWAP
/// is finite.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Bar {
    time: Timestamp,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    /// Trade count, `NO_TRADES` when unknown (a sentinel instead of an `Option` keeps a bar at
    /// 64 bytes: millions of bars in memory in a backtest).
    #[serde(
        default = "no_trades",
        with = "sentinel_u64",
        skip_serializing_if = "is_no_trades"
    )]
    trades: u64,
    /// VWAP, NaN when unknown (the constructor never stores a NaN VWAP otherwise).
    #[serde(
        default = "no_vwap",
        with = "sentinel_f64",
        skip_serializing_if = "is_no_vwap"
    )]
    vwap: f64,
}

fn finite(field: &'static str, value: f64) -> Result<f64, BarError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(BarError::NotFinite { field, value })
    }
}

impl PartialEq for Bar {
    /// Field by field; an absent VWAP (NaN inside) equals an absent one.
    fn eq(&self, o: &Self) -> bool {
        self.time == o.time
            && self.open == o.open
            && self.high == o.high
            && self.low == o.low
            && self.close == o.close
            && self.volume == o.volume
            && self.trades == o.trades
            && self.vwap() == o.vwap()
    }
}

impl Bar {
    /// A validated bar.
    pub fn new(
        time: Timestamp,
        open: f64,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Result<Self, BarError> {
        let open = finite("open", open)?;
        let high = finite("high", high)?;
        let low = finite("low", low)?;
        let close = finite("close", close)?;
        let volume = finite("volume", volume)?;
        if high < low {
            return Err(BarError::HighBelowLow { high, low });
        }
        for (field, value) in [("open", open), ("close", close)] {
            if value < low || value > high {
                return Err(BarError::OutsideRange {
                    field,
                    value,
                    low,
                    high,
                });
            }
        }
        if volume < 0.0 {
            return Err(BarError::NegativeVolume { value: volume });
        }
        Ok(Bar {
            time,
            open,
            high,
            low,
            close,
            volume,
            trades: NO_TRADES,
            vwap: f64::NAN,
        })
    }

    /// The same bar with a trade count.
    pub fn with_trades(mut self, trades: u64) -> Self {
        self.trades = trades.min(NO_TRADES - 1);
        self
    }

    /// The same bar with a volume-weighted average price (must be finite).
    pub fn with_vwap(mut self, vwap: f64) -> Result<Self, BarError> {
        self.vwap = finite("vwap", vwap)?;
        Ok(self)
    }

    /// Open time (UTC).
    #[inline]
    pub fn time(&self) -> Timestamp {
        self.time
    }

    /// When the bar closes if it spans `timeframe`: open time + timeframe (the open time
    /// where that overflows).
    #[inline]
    pub fn close_time(&self, timeframe: crate::Timeframe) -> Timestamp {
        self.time
            .checked_add_nanos(timeframe.as_nanos())
            .unwrap_or(self.time)
    }
    #[inline]
    pub fn open(&self) -> f64 {
        self.open
    }
    #[inline]
    pub fn high(&self) -> f64 {
        self.high
    }
    #[inline]
    pub fn low(&self) -> f64 {
        self.low
    }
    #[inline]
    pub fn close(&self) -> f64 {
        self.close
    }
    #[inline]
    pub fn volume(&self) -> f64 {
        self.volume
    }
    /// Number of trades in the bar, when the source gives it.
    #[inline]
    pub fn trades(&self) -> Option<u64> {
        (self.trades != NO_TRADES).then_some(self.trades)
    }
    /// Volume-weighted average price, when the source gives it.
    #[inline]
    pub fn vwap(&self) -> Option<f64> {
        (!self.vwap.is_nan()).then_some(self.vwap)
    }

    /// Merges a later bar into this one (for aggregation): high/low widen, close and the
    /// open time of `self` stay, volume and trade counts add, VWAPs combine by volume.
    /// The result satisfies the invariants because both inputs do.
    pub fn merge(&mut self, later: &Bar) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
        let total = self.volume + later.volume;
        self.vwap = match (self.vwap(), later.vwap()) {
            (Some(a), Some(b)) if total > 0.0 => (a * self.volume + b * later.volume) / total,
            (Some(a), Some(_)) => a,
            _ => f64::NAN,
        };
        self.volume = total;
        self.trades = match (self.trades(), later.trades()) {
            (Some(a), Some(b)) => a.saturating_add(b).min(NO_TRADES - 1),
            _ => NO_TRADES,
        };
    }

    /// The same bar stamped with another open time (for aggregation).
    pub fn at(mut self, time: Timestamp) -> Self {
        self.time = time;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn t() -> Timestamp {
        Timestamp::from_secs(1_700_000_000).unwrap()
    }

    #[test]
    fn a_bar_is_64_bytes_and_optional_fields_round_trip() {
        assert_eq!(std::mem::size_of::<Bar>(), 64);
        let b = Bar::new(t(), 10.0, 12.0, 9.0, 11.0, 100.0).unwrap();
        assert_eq!((b.trades(), b.vwap()), (None, None));
        let c = b.with_trades(7).with_vwap(10.5).unwrap();
        assert_eq!((c.trades(), c.vwap()), (Some(7), Some(10.5)));
        assert_eq!(b, b);
        assert_ne!(b, c);
        let json = serde_json::to_string(&b).unwrap();
        assert!(!json.contains("vwap") && !json.contains("trades"), "{json}");
        assert_eq!(serde_json::from_str::<Bar>(&json).unwrap(), b);
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(serde_json::from_str::<Bar>(&json).unwrap(), c);
    }

    #[test]
    fn accepts_a_valid_bar() {
        let b = Bar::new(t(), 10.0, 12.0, 9.0, 11.0, 100.0).unwrap();
        assert_eq!(
            (b.open(), b.high(), b.low(), b.close()),
            (10.0, 12.0, 9.0, 11.0)
        );
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let e = Bar::new(t(), 10.0, 8.0, 9.0, 9.5, 1.0).unwrap_err();
        assert_eq!(e.to_string(), "high 8 is below low 9");
        let e = Bar::new(t(), f64::NAN, 12.0, 9.0, 11.0, 1.0).unwrap_err();
        assert_eq!(e.to_string(), "open is NaN, which is not a finite number");
        let e = Bar::new(t(), 10.0, 12.0, 9.0, f64::INFINITY, 1.0).unwrap_err();
        assert!(e.to_string().starts_with("close is inf"), "{e}");
        let e = Bar::new(t(), 10.0, 12.0, 9.0, 11.0, -1.0).unwrap_err();
        assert_eq!(e.to_string(), "volume -1 is negative");
        let e = Bar::new(t(), 13.0, 12.0, 9.0, 11.0, 1.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "open 13 is outside the bar's range low 9 .. high 12"
        );
        let e = Bar::new(t(), 10.0, 12.0, 9.0, 11.0, 1.0)
            .unwrap()
            .with_vwap(f64::NAN)
            .unwrap_err();
        assert!(e.to_string().starts_with("vwap"), "{e}");
    }

    proptest! {
        #[test]
        fn new_never_panics(o in any::<f64>(), h in any::<f64>(), l in any::<f64>(), c in any::<f64>(), v in any::<f64>()) {
            if let Ok(b) = Bar::new(t(), o, h, l, c, v) {
                prop_assert!(b.low() <= b.open() && b.open() <= b.high());
                prop_assert!(b.low() <= b.close() && b.close() <= b.high());
                prop_assert!(b.volume() >= 0.0);
            }
        }
    }
}
