//! Directional movement: +DI, -DI and ADX (TA-Lib `PLUS_DI`, `MINUS_DI`, `ADX`).
//!
//! Per bar (from the second): `diffP = high - prevHigh`, `diffM = prevLow - low`;
//! `-DM1 = diffM` if `diffM > 0 && diffP < diffM`, else `+DM1 = diffP` if
//! `diffP > 0 && diffP > diffM` (equal moves give neither); `TR1` as in `TRANGE`.
//!
//! * Bars `1..n-1` (that is `n - 1` bars): +DM, -DM and TR are plain sums from 0.0.
//! * From bar `n` on, Wilder's smoothing in TA-Lib's *DM form*:
//!   `s = s - s / n + x` (unlike ATR's `(s * (n-1) + x) / n`).
//! * `+DI = 100 * (+DM / TR)` and `-DI = 100 * (-DM / TR)`, or **0** when `TR` is "zero"
//!   (`TA_IS_ZERO`, |TR| < 1e-8). First DI on bar `n` (lookback `n`).
//! * `DX = 100 * (|-DI - +DI| / (-DI + +DI))`, only when TR and the DI sum are both
//!   non-"zero"; otherwise the bar contributes nothing (the DX sum is unchanged, and later
//!   the ADX is carried over unchanged).
//! * First ADX on bar `2n - 1` (lookback `2n - 1`) = (sum of the DX of bars `n..=2n-1`) / n;
//!   then `adx = (adx * (n - 1) + dx) / n`.
//!
//! [`Dmi`] computes all three with separate readiness; [`PlusDi`], [`MinusDi`] and [`Adx`]
//! are single-output views of it. TA-Lib accepts period 1 for ±DI (with a different,
//! un-scaled formula); this crate requires `period >= 2` throughout.

use ploutos_core::Bar;

use crate::error::{check_period, TaError};
use crate::trange::true_range;
use crate::{impl_indicator, ta_is_zero};

/// One [`Dmi`] output: both DIs, and the ADX once it is ready.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct DmiOutput {
    /// +DI (0..=100).
    pub plus_di: f64,
    /// -DI (0..=100).
    pub minus_di: f64,
    /// ADX; `None` until bar `2 * period - 1`.
    pub adx: Option<f64>,
}

/// +DI, -DI and ADX over `period` bars (2..=100000).
#[derive(Clone, Debug)]
pub struct Dmi {
    period: usize,
    lookback: usize,
    n: f64,
    n1: f64,
    prev_high: f64,
    prev_low: f64,
    prev_close: f64,
    pdm: f64,
    mdm: f64,
    tr: f64,
    sum_dx: f64,
    adx: f64,
    seen: usize,
    out: Option<DmiOutput>,
}

impl Dmi {
    /// DMI over `period` bars; rejects `period` outside 2..=100000.
    pub fn new(period: usize) -> Result<Self, TaError> {
        let period = check_period("DMI", "period", period, 2)?;
        Ok(Dmi {
            period,
            lookback: period,
            n: period as f64,
            n1: (period - 1) as f64,
            prev_high: 0.0,
            prev_low: 0.0,
            prev_close: 0.0,
            pdm: 0.0,
            mdm: 0.0,
            tr: 0.0,
            sum_dx: 0.0,
            adx: 0.0,
            seen: 0,
            out: None,
        })
    }

    /// The period.
    pub fn period(&self) -> usize {
        self.period
    }

    /// Lookback of the ADX line (`2 * period - 1`); [`Dmi::lookback`] is the DI lookback.
    pub fn adx_lookback(&self) -> usize {
        2 * self.period - 1
    }

    /// Feeds one bar; `Some` from bar `period` on, with `adx` from bar `2 * period - 1`.
    #[inline]
    pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<DmiOutput> {
        let i = self.seen;
        if i == 0 {
            self.prev_high = high;
            self.prev_low = low;
            self.prev_close = close;
            self.seen = 1;
            return None;
        }
        self.seen += 1;
        let diff_p = high - self.prev_high;
        self.prev_high = high;
        let diff_m = self.prev_low - low;
        self.prev_low = low;
        let tr1 = true_range(high, low, self.prev_close);
        self.prev_close = close;
        if i < self.period {
            if diff_m > 0.0 && diff_p < diff_m {
                self.mdm += diff_m;
            } else if diff_p > 0.0 && diff_p > diff_m {
                self.pdm += diff_p;
            }
            self.tr += tr1;
            return None;
        }
        self.mdm -= self.mdm / self.n;
        self.pdm -= self.pdm / self.n;
        if diff_m > 0.0 && diff_p < diff_m {
            self.mdm += diff_m;
        } else if diff_p > 0.0 && diff_p > diff_m {
            self.pdm += diff_p;
        }
        self.tr = self.tr - self.tr / self.n + tr1;
        let (plus_di, minus_di, dx) = if !ta_is_zero(self.tr) {
            let minus_di = 100.0 * (self.mdm / self.tr);
            let plus_di = 100.0 * (self.pdm / self.tr);
            let sum = minus_di + plus_di;
            let dx = if !ta_is_zero(sum) {
                Some(100.0 * ((minus_di - plus_di).abs() / sum))
            } else {
                None
            };
            (plus_di, minus_di, dx)
        } else {
            (0.0, 0.0, None)
        };
        let adx_lb = 2 * self.period - 1;
        let adx = if i < adx_lb {
            if let Some(dx) = dx {
                self.sum_dx += dx;
            }
            None
        } else if i == adx_lb {
            if let Some(dx) = dx {
                self.sum_dx += dx;
            }
            self.adx = self.sum_dx / self.n;
            Some(self.adx)
        } else {
            if let Some(dx) = dx {
                self.adx = (self.adx * self.n1 + dx) / self.n;
            }
            Some(self.adx)
        };
        self.out = Some(DmiOutput {
            plus_di,
            minus_di,
            adx,
        });
        self.out
    }

    /// Feeds one [`Bar`].
    #[inline]
    pub fn update_bar(&mut self, bar: &Bar) -> Option<DmiOutput> {
        self.update(bar.high(), bar.low(), bar.close())
    }

    /// Forgets every bar seen.
    pub fn reset(&mut self) {
        self.prev_high = 0.0;
        self.prev_low = 0.0;
        self.prev_close = 0.0;
        self.pdm = 0.0;
        self.mdm = 0.0;
        self.tr = 0.0;
        self.sum_dx = 0.0;
        self.adx = 0.0;
        self.seen = 0;
        self.out = None;
    }
}

impl_indicator!(Dmi, (f64, f64, f64), DmiOutput, |s, (h, l, c)| s
    .update(h, l, c));

macro_rules! dmi_view {
    ($(#[$doc:meta])* $name:ident, $ta:literal, $lookback:expr, |$o:ident| $get:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name {
            dmi: Dmi,
            lookback: usize,
            out: Option<f64>,
        }

        impl $name {
            #[doc = concat!("`", $ta, "` over `period` bars; rejects `period` outside 2..=100000.")]
            pub fn new(period: usize) -> Result<Self, TaError> {
                let period = check_period($ta, "period", period, 2)?;
                let dmi = Dmi::new(period)?;
                let lb: fn(usize) -> usize = $lookback;
                Ok($name {
                    dmi,
                    lookback: lb(period),
                    out: None,
                })
            }

            /// The period.
            pub fn period(&self) -> usize {
                self.dmi.period()
            }

            /// Feeds one bar.
            #[inline]
            pub fn update(&mut self, high: f64, low: f64, close: f64) -> Option<f64> {
                let $o = self.dmi.update(high, low, close)?;
                let v: Option<f64> = $get;
                if v.is_some() {
                    self.out = v;
                }
                v
            }

            /// Feeds one [`Bar`].
            #[inline]
            pub fn update_bar(&mut self, bar: &Bar) -> Option<f64> {
                self.update(bar.high(), bar.low(), bar.close())
            }

            /// Forgets every bar seen.
            pub fn reset(&mut self) {
                self.dmi.reset();
                self.out = None;
            }
        }

        impl_indicator!($name, (f64, f64, f64), f64, |s, (h, l, c)| s.update(h, l, c));
    };
}

dmi_view!(
    /// Plus directional indicator (+DI), lookback `period`. See the module docs.
    PlusDi, "PLUS_DI", |p| p, |o| Some(o.plus_di)
);
dmi_view!(
    /// Minus directional indicator (-DI), lookback `period`. See the module docs.
    MinusDi, "MINUS_DI", |p| p, |o| Some(o.minus_di)
);
dmi_view!(
    /// Average directional index (ADX), lookback `2 * period - 1`. See the module docs.
    Adx, "ADX", |p| 2 * p - 1, |o| o.adx
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookbacks() {
        assert_eq!(Adx::new(14).unwrap().lookback(), 27);
        assert_eq!(PlusDi::new(14).unwrap().lookback(), 14);
        assert_eq!(MinusDi::new(14).unwrap().lookback(), 14);
        assert!(Adx::new(1).is_err());
    }

    #[test]
    fn readiness_is_separate() {
        let mut d = Dmi::new(3).unwrap();
        let mut a = Adx::new(3).unwrap();
        for i in 0..10 {
            let x = i as f64;
            let o = d.update(x + 1.0, x, x + 0.5);
            let av = a.update(x + 1.0, x, x + 0.5);
            assert_eq!(o.is_some(), i >= 3);
            assert_eq!(o.and_then(|o| o.adx).is_some(), i >= 5);
            assert_eq!(av.is_some(), i >= 5);
        }
        let o = d.value().unwrap();
        assert_eq!(o.minus_di, 0.0);
        assert!(o.plus_di > 0.0);
        assert_eq!(o.adx, Some(100.0));
    }
}
