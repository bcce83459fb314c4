//! [`Bar`]: one OHLCV candle, validated on construction.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::time::Timestamp;

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
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    time: Timestamp,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    trades: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    vwap: Option<f64>,
}

fn finite(field: &'static str, value: f64) -> Result<f64, BarError> {
    if value.is_finite() {
        Ok(value)
    } else {
        Err(BarError::NotFinite { field, value })
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
            trades: None,
            vwap: None,
        })
    }

    /// The same bar with a trade count.
    pub fn with_trades(mut self, trades: u64) -> Self {
        self.trades = Some(trades);
        self
    }

    /// The same bar with a volume-weighted average price (must be finite).
    pub fn with_vwap(mut self, vwap: f64) -> Result<Self, BarError> {
        self.vwap = Some(finite("vwap", vwap)?);
        Ok(self)
    }

    /// Open time (UTC).
    #[inline]
    pub fn time(&self) -> Timestamp {
        self.time
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
        self.trades
    }
    /// Volume-weighted average price, when the source gives it.
    #[inline]
    pub fn vwap(&self) -> Option<f64> {
        self.vwap
    }

    /// Merges a later bar into this one (for aggregation): high/low widen, close and the
    /// open time of `self` stay, volume and trade counts add, VWAPs combine by volume.
    /// The result satisfies the invariants because both inputs do.
    pub fn merge(&mut self, later: &Bar) {
        self.high = self.high.max(later.high);
        self.low = self.low.min(later.low);
        self.close = later.close;
        let total = self.volume + later.volume;
        self.vwap = match (self.vwap, later.vwap) {
            (Some(a), Some(b)) if total > 0.0 => Some((a * self.volume + b * later.volume) / total),
            (Some(a), Some(_)) => Some(a),
            _ => None,
        };
        self.volume = total;
        self.trades = match (self.trades, later.trades) {
            (Some(a), Some(b)) => Some(a + b),
            _ => None,
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
