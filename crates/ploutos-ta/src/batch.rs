//! Batch helpers over slices, shaped like TA-Lib's Python wrapper: one output per input,
//! `NaN` before the first valid index (and everywhere when the input is shorter than the
//! lookback).
//!
//! The numbers are bit-identical to the streaming indicators (property-tested in
//! `tests/properties.rs`). RSI, EMA, MACD, BBANDS and ATR are separate tight loops over the
//! slices (no per-element `Option`), the others drive the streaming type.

use ploutos_core::Timestamp;

use crate::bbands::bands;
use crate::error::{check_len, check_multiplier, check_period, TaError};
use crate::rsi::{rsi_value, split};
use crate::trange::true_range;
use crate::var::shifted_var_slice;
use crate::{Adx, Dmi, Macd, MinusDi, Obv, PlusDi, Roc, Sma, StdDev, Stoch, TrueRange, Vwap, Wma};
use crate::{Atr, Ema};

/// MACD lines (each as long as the input).
#[derive(Clone, Debug, PartialEq)]
pub struct MacdSeries {
    /// Fast EMA minus slow EMA.
    pub macd: Vec<f64>,
    /// Signal EMA of `macd`.
    pub signal: Vec<f64>,
    /// `macd - signal`.
    pub hist: Vec<f64>,
}

/// Bollinger Bands lines.
#[derive(Clone, Debug, PartialEq)]
pub struct BandsSeries {
    /// Upper band.
    pub upper: Vec<f64>,
    /// Middle band (SMA).
    pub middle: Vec<f64>,
    /// Lower band.
    pub lower: Vec<f64>,
}

/// Slow stochastic lines.
#[derive(Clone, Debug, PartialEq)]
pub struct StochSeries {
    /// Slow %K.
    pub k: Vec<f64>,
    /// Slow %D.
    pub d: Vec<f64>,
}

/// +DI, -DI and ADX lines.
#[derive(Clone, Debug, PartialEq)]
pub struct DmiSeries {
    /// +DI.
    pub plus_di: Vec<f64>,
    /// -DI.
    pub minus_di: Vec<f64>,
    /// ADX.
    pub adx: Vec<f64>,
}

fn nan_vec(n: usize) -> Vec<f64> {
    vec![f64::NAN; n]
}

fn check_hlc(name: &'static str, high: &[f64], low: &[f64], close: &[f64]) -> Result<(), TaError> {
    check_len(name, "low", low.len(), high.len())?;
    check_len(name, "close", close.len(), high.len())
}

/// Drives a single-output streaming indicator over `n` inputs.
fn drive(n: usize, mut step: impl FnMut(usize) -> Option<f64>) -> Vec<f64> {
    let mut out = nan_vec(n);
    for (i, o) in out.iter_mut().enumerate() {
        if let Some(v) = step(i) {
            *o = v;
        }
    }
    out
}

/// Simple moving average (`talib.SMA`).
pub fn sma(x: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let mut s = Sma::new(period)?;
    Ok(drive(x.len(), |i| s.update(x[i])))
}

/// Weighted moving average (`talib.WMA`).
pub fn wma(x: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let mut s = Wma::new(period)?;
    Ok(drive(x.len(), |i| s.update(x[i])))
}

/// Exponential moving average (`talib.EMA`), tight loop.
pub fn ema(x: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let k = Ema::new(period)?.k();
    let mut out = nan_vec(x.len());
    if x.len() < period {
        return Ok(out);
    }
    let mut sum = 0.0;
    for &v in &x[..period] {
        sum += v;
    }
    let mut prev = sum / period as f64;
    out[period - 1] = prev;
    for (o, &v) in out[period..].iter_mut().zip(&x[period..]) {
        prev = (v - prev).mul_add(k, prev);
        *o = prev;
    }
    Ok(out)
}

/// Wilder RSI (`talib.RSI`), tight loop (TA-Lib 0.8 arithmetic, see [`crate::Rsi`]).
pub fn rsi(x: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let period = check_period("RSI", "period", period, 2)?;
    let mut out = nan_vec(x.len());
    if x.len() <= period {
        return Ok(out);
    }
    let inv = 1.0 / period as f64;
    let n1 = (period - 1) as f64;
    let mut gain = 0.0;
    let mut loss = 0.0;
    for w in x[..=period].windows(2) {
        let (g, l) = split(w[1] - w[0]);
        gain += g;
        loss += l;
    }
    loss *= inv;
    gain *= inv;
    out[period] = rsi_value(gain, loss);
    let mut prev = x[period];
    for (o, &v) in out[period + 1..].iter_mut().zip(&x[period + 1..]) {
        let (g, l) = split(v - prev);
        prev = v;
        loss *= n1;
        gain *= n1;
        gain += g;
        loss += l;
        loss *= inv;
        gain *= inv;
        *o = rsi_value(gain, loss);
    }
    Ok(out)
}

/// MACD (`talib.MACD`), tight loop. See [`crate::Macd`] for the seeding quirks.
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Result<MacdSeries, TaError> {
    let (fast, slow, signal) = Macd::new(fast, slow, signal)?.periods();
    let len = x.len();
    let mut m = nan_vec(len);
    let mut s = nan_vec(len);
    let mut h = nan_vec(len);
    let lookback = (slow - 1) + (signal - 1);
    if len <= lookback {
        return Ok(MacdSeries {
            macd: m,
            signal: s,
            hist: h,
        });
    }
    let fk = 2.0 / (fast + 1) as f64;
    let sk = 2.0 / (slow + 1) as f64;
    let gk = 2.0 / (signal + 1) as f64;
    let mut slow_sum = 0.0;
    for &v in &x[..slow - fast] {
        slow_sum += v;
    }
    let mut fast_sum = 0.0;
    for &v in &x[slow - fast..slow] {
        fast_sum += v;
        slow_sum += v;
    }
    let mut pf = fast_sum / fast as f64;
    let mut ps = slow_sum / slow as f64;
    let mut macd_v = pf - ps;
    let mut sig = 0.0;
    sig += macd_v;
    for &v in &x[slow..=lookback] {
        pf = (v - pf).mul_add(fk, pf);
        ps = (v - ps).mul_add(sk, ps);
        macd_v = pf - ps;
        sig += macd_v;
    }
    sig /= signal as f64;
    m[lookback] = macd_v;
    s[lookback] = sig;
    h[lookback] = macd_v - sig;
    let tail = lookback + 1;
    for (((&v, mo), so), ho) in x[tail..]
        .iter()
        .zip(&mut m[tail..])
        .zip(&mut s[tail..])
        .zip(&mut h[tail..])
    {
        pf = (v - pf).mul_add(fk, pf);
        ps = (v - ps).mul_add(sk, ps);
        let mv = pf - ps;
        sig = (mv - sig).mul_add(gk, sig);
        *mo = mv;
        *so = sig;
        *ho = mv - sig;
    }
    Ok(MacdSeries {
        macd: m,
        signal: s,
        hist: h,
    })
}

/// Bollinger Bands with an SMA middle (`talib.BBANDS(matype=0)`), fused loop over the
/// slice (SMA running sum + TA-Lib 0.8 shifted-data variance).
pub fn bbands(
    x: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
) -> Result<BandsSeries, TaError> {
    let period = check_period("BBANDS", "period", period, 2)?;
    let up_k = check_multiplier("BBANDS", "nbdev_up", nbdev_up)?;
    let dn_k = check_multiplier("BBANDS", "nbdev_dn", nbdev_dn)?;
    let len = x.len();
    let mut upper = nan_vec(len);
    let mut middle = nan_vec(len);
    let mut lower = nan_vec(len);
    if len < period {
        return Ok(BandsSeries {
            upper,
            middle,
            lower,
        });
    }
    let n = period as f64;
    let lb = period - 1;
    let mut total = 0.0;
    for &v in &x[..lb] {
        total += v;
    }
    shifted_var_slice(x, period, |i, var| {
        total += x[i];
        let mid = total / n;
        total -= x[i - lb];
        let dev = if var != 0.0 { var.sqrt() } else { 0.0 };
        let o = bands(mid, dev, up_k, dn_k);
        upper[i] = o.upper;
        middle[i] = o.middle;
        lower[i] = o.lower;
    });
    Ok(BandsSeries {
        upper,
        middle,
        lower,
    })
}

/// Population standard deviation (`talib.STDDEV`).
pub fn stddev(x: &[f64], period: usize, nbdev: f64) -> Result<Vec<f64>, TaError> {
    let mut s = StdDev::new(period, nbdev)?;
    Ok(drive(x.len(), |i| s.update(x[i])))
}

/// Rate of change (`talib.ROC`).
pub fn roc(x: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let mut s = Roc::new(period)?;
    Ok(drive(x.len(), |i| s.update(x[i])))
}

/// True range (`talib.TRANGE`).
pub fn trange(high: &[f64], low: &[f64], close: &[f64]) -> Result<Vec<f64>, TaError> {
    check_hlc("TRANGE", high, low, close)?;
    let mut s = TrueRange::new();
    Ok(drive(high.len(), |i| s.update(high[i], low[i], close[i])))
}

/// Average true range (`talib.ATR`), tight loop.
pub fn atr(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    Atr::new(period)?;
    check_hlc("ATR", high, low, close)?;
    let len = high.len();
    let mut out = nan_vec(len);
    if len <= period {
        return Ok(out);
    }
    if period == 1 {
        for i in 1..len {
            out[i] = true_range(high[i], low[i], close[i - 1]);
        }
        return Ok(out);
    }
    let n = period as f64;
    let w_beta = (period - 1) as f64 / n;
    let w_alpha = 1.0 - w_beta;
    let mut sum = 0.0;
    for i in 1..=period {
        sum += true_range(high[i], low[i], close[i - 1]);
    }
    let mut a = sum / n;
    out[period] = a;
    let start = period + 1;
    for ((((o, &h), &l), &pc), _) in out[start..]
        .iter_mut()
        .zip(&high[start..])
        .zip(&low[start..])
        .zip(&close[start - 1..])
        .zip(start..)
    {
        let tr = true_range(h, l, pc);
        a = w_beta.mul_add(a, w_alpha * tr);
        *o = a;
    }
    Ok(out)
}

/// Slow stochastic with SMA smoothing (`talib.STOCH(slowk_matype=0, slowd_matype=0)`).
pub fn stoch(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    fastk: usize,
    slowk: usize,
    slowd: usize,
) -> Result<StochSeries, TaError> {
    let mut s = Stoch::new(fastk, slowk, slowd)?;
    check_hlc("STOCH", high, low, close)?;
    let mut k = nan_vec(high.len());
    let mut d = nan_vec(high.len());
    for i in 0..high.len() {
        if let Some(o) = s.update(high[i], low[i], close[i]) {
            k[i] = o.k;
            d[i] = o.d;
        }
    }
    Ok(StochSeries { k, d })
}

/// Average directional index (`talib.ADX`).
pub fn adx(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let mut s = Adx::new(period)?;
    check_hlc("ADX", high, low, close)?;
    Ok(drive(high.len(), |i| s.update(high[i], low[i], close[i])))
}

/// Plus directional indicator (`talib.PLUS_DI`).
pub fn plus_di(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
) -> Result<Vec<f64>, TaError> {
    let mut s = PlusDi::new(period)?;
    check_hlc("PLUS_DI", high, low, close)?;
    Ok(drive(high.len(), |i| s.update(high[i], low[i], close[i])))
}

/// Minus directional indicator (`talib.MINUS_DI`).
pub fn minus_di(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
) -> Result<Vec<f64>, TaError> {
    let mut s = MinusDi::new(period)?;
    check_hlc("MINUS_DI", high, low, close)?;
    Ok(drive(high.len(), |i| s.update(high[i], low[i], close[i])))
}

/// +DI, -DI and ADX in one pass.
pub fn dmi(high: &[f64], low: &[f64], close: &[f64], period: usize) -> Result<DmiSeries, TaError> {
    let mut s = Dmi::new(period)?;
    check_hlc("DMI", high, low, close)?;
    let n = high.len();
    let (mut p, mut m, mut a) = (nan_vec(n), nan_vec(n), nan_vec(n));
    for i in 0..n {
        if let Some(o) = s.update(high[i], low[i], close[i]) {
            p[i] = o.plus_di;
            m[i] = o.minus_di;
            if let Some(v) = o.adx {
                a[i] = v;
            }
        }
    }
    Ok(DmiSeries {
        plus_di: p,
        minus_di: m,
        adx: a,
    })
}

/// On-balance volume (`talib.OBV`).
pub fn obv(close: &[f64], volume: &[f64]) -> Result<Vec<f64>, TaError> {
    check_len("OBV", "volume", volume.len(), close.len())?;
    let mut s = Obv::new();
    Ok(drive(close.len(), |i| s.update(close[i], volume[i])))
}

/// Session VWAP on UTC days (see [`crate::Vwap`]); NaN where the session volume is 0.
pub fn vwap(
    time: &[Timestamp],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
) -> Result<Vec<f64>, TaError> {
    vwap_with_offset(time, high, low, close, volume, 0)
}

/// Session VWAP with sessions starting `offset_nanos` after UTC midnight.
pub fn vwap_with_offset(
    time: &[Timestamp],
    high: &[f64],
    low: &[f64],
    close: &[f64],
    volume: &[f64],
    offset_nanos: i64,
) -> Result<Vec<f64>, TaError> {
    let mut s = Vwap::with_session_offset(offset_nanos)?;
    check_len("VWAP", "high", high.len(), time.len())?;
    check_hlc("VWAP", high, low, close)?;
    check_len("VWAP", "volume", volume.len(), time.len())?;
    Ok(drive(time.len(), |i| {
        s.update(time[i], high[i], low[i], close[i], volume[i])
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_inputs_are_all_nan() {
        assert!(rsi(&[1.0, 2.0], 14).unwrap().iter().all(|v| v.is_nan()));
        assert!(ema(&[], 3).unwrap().is_empty());
        assert!(macd(&[1.0; 33], 12, 26, 9)
            .unwrap()
            .macd
            .iter()
            .all(|v| v.is_nan()));
        assert!(!macd(&[1.0; 34], 12, 26, 9).unwrap().macd[33].is_nan());
        assert!(atr(&[1.0; 14], &[1.0; 14], &[1.0; 14], 14)
            .unwrap()
            .iter()
            .all(|v| v.is_nan()));
    }

    #[test]
    fn length_mismatch() {
        let e = atr(&[1.0; 3], &[1.0; 2], &[1.0; 3], 2).unwrap_err();
        assert!(e.to_string().contains("`low`"), "{e}");
    }
}
