//! Session volume-weighted average price (not in TA-Lib).
//!
//! `VWAP = Σ(typical × volume) / Σ(volume)` over the bars of the current session, with
//! `typical = (high + low + close) / 3`, computed in exactly that order
//! (`pv = ((h + l + c) / 3) * v`, then sequential running sums — the same operations as
//! `np.cumsum` in `scripts/talib_reference.py`).
//!
//! A session is a UTC calendar day by default. [`Vwap::with_session_offset`] shifts the
//! session boundary: with an offset of `d` nanoseconds, a bar at time `t` belongs to session
//! `floor((t - d) / 1 day)`, so e.g. `13h30m` makes sessions start at 13:30 UTC (the US
//! cash open in winter). The running sums restart on the first bar of each new session
//! (any change of session key, including going back in time).
//!
//! While the session's cumulated volume is exactly 0 there is no VWAP: `update` returns
//! `None` and `is_ready()` is false until a bar with volume arrives. Lookback is 0.

use ploutos_core::{Bar, Timestamp};

use crate::error::TaError;
use crate::impl_indicator;

const DAY_NANOS: i64 = 86_400_000_000_000;

/// Session VWAP.
#[derive(Clone, Debug)]
pub struct Vwap {
    offset: i64,
    lookback: usize,
    session: Option<i64>,
    cum_pv: f64,
    cum_v: f64,
    out: Option<f64>,
}

impl Default for Vwap {
    fn default() -> Self {
        Vwap::new()
    }
}

impl Vwap {
    /// VWAP with sessions on UTC calendar days.
    pub fn new() -> Self {
        Vwap {
            offset: 0,
            lookback: 0,
            session: None,
            cum_pv: 0.0,
            cum_v: 0.0,
            out: None,
        }
    }

    /// VWAP whose sessions start `offset_nanos` after UTC midnight (may be negative);
    /// rejects `|offset| >= 1 day`.
    pub fn with_session_offset(offset_nanos: i64) -> Result<Self, TaError> {
        if offset_nanos <= -DAY_NANOS || offset_nanos >= DAY_NANOS {
            return Err(TaError::InvalidValue {
                indicator: "VWAP",
                param: "offset_nanos",
                value: offset_nanos.to_string(),
                reason: "must be strictly between -1 day and +1 day (in nanoseconds)",
            });
        }
        Ok(Vwap {
            offset: offset_nanos,
            ..Vwap::new()
        })
    }

    /// The session offset in nanoseconds.
    pub fn session_offset(&self) -> i64 {
        self.offset
    }

    /// The session key of `time`: days since the epoch of the shifted clock.
    #[inline]
    pub fn session_of(&self, time: Timestamp) -> i64 {
        time.as_nanos()
            .saturating_sub(self.offset)
            .div_euclid(DAY_NANOS)
    }

    /// Feeds one bar.
    #[inline]
    pub fn update(
        &mut self,
        time: Timestamp,
        high: f64,
        low: f64,
        close: f64,
        volume: f64,
    ) -> Option<f64> {
        let key = self.session_of(time);
        if self.session != Some(key) {
            self.session = Some(key);
            self.cum_pv = 0.0;
            self.cum_v = 0.0;
            self.out = None;
        }
        let tp = (high + low + close) / 3.0;
        self.cum_pv += tp * volume;
        self.cum_v += volume;
        self.out = if self.cum_v != 0.0 {
            Some(self.cum_pv / self.cum_v)
        } else {
            None
        };
        self.out
    }

    /// Feeds one [`Bar`].
    #[inline]
    pub fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
        self.update(bar.time(), bar.high(), bar.low(), bar.close(), bar.volume())
    }

    /// Forgets every bar seen.
    pub fn reset(&mut self) {
        self.session = None;
        self.cum_pv = 0.0;
        self.cum_v = 0.0;
        self.out = None;
    }
}

impl_indicator!(Vwap, (Timestamp, f64, f64, f64, f64), f64, |s,
                                                             (
    t,
    h,
    l,
    c,
    v,
)| s
    .update(t, h, l, c, v));

#[cfg(test)]
mod tests {
    use super::*;

    const H: i64 = 3_600_000_000_000;

    #[test]
    fn resets_each_utc_day_and_needs_volume() {
        let mut v = Vwap::new();
        let t0 = Timestamp::from_nanos(23 * H);
        assert_eq!(v.update(t0, 3.0, 3.0, 3.0, 0.0), None);
        assert!(!v.is_ready());
        assert_eq!(v.update(t0, 3.0, 3.0, 3.0, 1.0), Some(3.0));
        assert_eq!(v.update(t0, 6.0, 6.0, 6.0, 2.0), Some(5.0));
        let t1 = Timestamp::from_nanos(24 * H);
        assert_eq!(v.update(t1, 9.0, 9.0, 9.0, 1.0), Some(9.0));
    }

    #[test]
    fn offset_moves_the_boundary() {
        let mut v = Vwap::with_session_offset(13 * H + H / 2).unwrap();
        let a = Timestamp::from_nanos(13 * H);
        let b = Timestamp::from_nanos(14 * H);
        assert_ne!(v.session_of(a), v.session_of(b));
        v.update(a, 1.0, 1.0, 1.0, 1.0);
        assert_eq!(v.update(b, 2.0, 2.0, 2.0, 1.0), Some(2.0));
        assert!(Vwap::with_session_offset(24 * H).is_err());
    }
}
