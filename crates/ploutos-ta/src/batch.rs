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

/// An output buffer for the `*_into` kernels, which write every element (NaN before the
/// lookback). Zeroed memory comes straight from the allocator (fresh pages), so this skips
/// the extra pass of a NaN fill that the kernel would overwrite anyway. Large buffers are
/// advised to use transparent huge pages (as numpy does), which cuts the first-touch page
/// faults of a 40 MB output from ~10,000 to ~20 — about half the cost of a 5M-bar batch call.
fn out_vec(n: usize) -> Vec<f64> {
    let v = vec![0.0; n];
    ploutos_core::mem::advise_huge_pages(&v);
    v
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

/// Generates a kernel twice: once for the build's baseline target, and once compiled with
/// the FMA instruction set, picked at run time when the CPU has it. The kernels use
/// `f64::mul_add` (TA-Lib 0.8 fuses its EMA/ATR steps); on a baseline x86-64 build that is a
/// call into libm on the loop-carried dependency chain, with FMA one instruction. Both give
/// the same bits (a fused multiply-add is correctly rounded either way).
///
/// Exported for kernels elsewhere (a strategy's skim loop); the body may refer to items of the
/// module it is written in, not to local variables.
#[macro_export]
macro_rules! fma_kernel {
    ($(#[$m:meta])* fn $name:ident($($arg:ident: $ty:ty),* $(,)?) $(-> $ret:ty)? $body:block) => {
        $(#[$m])*
        fn $name($($arg: $ty),*) $(-> $ret)? {
            #[inline(always)]
            fn generic($($arg: $ty),*) $(-> $ret)? $body
            #[cfg(target_arch = "x86_64")]
            #[target_feature(enable = "fma")]
            fn with_fma($($arg: $ty),*) $(-> $ret)? {
                generic($($arg),*)
            }
            #[cfg(target_arch = "x86_64")]
            if std::is_x86_feature_detected!("fma") {
                // SAFETY: `with_fma` is `generic` compiled with the `fma` target feature; the
                // only requirement for calling it is that the CPU supports FMA, which
                // `is_x86_feature_detected!` has just confirmed.
                return unsafe { with_fma($($arg),*) };
            }
            generic($($arg),*)
        }
    };
}

fn check_out(
    name: &'static str,
    param: &'static str,
    out: &[f64],
    len: usize,
) -> Result<(), TaError> {
    check_len(name, param, out.len(), len)
}

/// Exponential moving average (`talib.EMA`), tight loop.
pub fn ema(x: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let mut out = out_vec(x.len());
    ema_into(x, period, &mut out)?;
    Ok(out)
}

fma_kernel! {
    fn ema_kernel(x: &[f64], out: &mut [f64], k: f64, prev: f64) {
        let mut prev = prev;
        for (o, &v) in out.iter_mut().zip(x) {
            prev = (v - prev).mul_add(k, prev);
            *o = prev;
        }
    }
}

/// [`ema`] into a caller-owned buffer of the input's length (no allocation): what a
/// parameter search reuses run after run.
pub fn ema_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<(), TaError> {
    let k = Ema::new(period)?.k();
    check_out("EMA", "out", out, x.len())?;
    let lb = (period - 1).min(x.len());
    out[..lb].fill(f64::NAN);
    if x.len() < period {
        out.fill(f64::NAN);
        return Ok(());
    }
    let mut sum = 0.0;
    for &v in &x[..period] {
        sum += v;
    }
    let prev = sum / period as f64;
    out[period - 1] = prev;
    ema_kernel(&x[period..], &mut out[period..], k, prev);
    Ok(())
}

/// Wilder RSI (`talib.RSI`), tight loop (TA-Lib 0.8 arithmetic, see [`crate::Rsi`]).
pub fn rsi(x: &[f64], period: usize) -> Result<Vec<f64>, TaError> {
    let mut out = out_vec(x.len());
    rsi_into(x, period, &mut out)?;
    Ok(out)
}

/// [`rsi`] into a caller-owned buffer of the input's length.
pub fn rsi_into(x: &[f64], period: usize, out: &mut [f64]) -> Result<(), TaError> {
    let period = check_period("RSI", "period", period, 2)?;
    check_out("RSI", "out", out, x.len())?;
    if x.len() <= period {
        out.fill(f64::NAN);
        return Ok(());
    }
    out[..period].fill(f64::NAN);
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
    Ok(())
}

/// MACD (`talib.MACD`), tight loop. See [`crate::Macd`] for the seeding quirks.
pub fn macd(x: &[f64], fast: usize, slow: usize, signal: usize) -> Result<MacdSeries, TaError> {
    let len = x.len();
    let mut m = MacdSeries {
        macd: out_vec(len),
        signal: out_vec(len),
        hist: out_vec(len),
    };
    macd_into(
        x,
        fast,
        slow,
        signal,
        &mut m.macd,
        &mut m.signal,
        &mut m.hist,
    )?;
    Ok(m)
}

fma_kernel! {
    #[allow(clippy::too_many_arguments)]
    fn macd_kernel(
        x: &[f64],
        m: &mut [f64],
        s: &mut [f64],
        h: &mut [f64],
        k: [f64; 3],
        state: &mut [f64; 3],
    ) {
        let [fk, sk, gk] = k;
        let [mut pf, mut ps, mut sig] = *state;
        for (((&v, mo), so), ho) in x.iter().zip(m.iter_mut()).zip(s.iter_mut()).zip(h.iter_mut()) {
            pf = (v - pf).mul_add(fk, pf);
            ps = (v - ps).mul_add(sk, ps);
            let mv = pf - ps;
            sig = (mv - sig).mul_add(gk, sig);
            *mo = mv;
            *so = sig;
            *ho = mv - sig;
        }
        *state = [pf, ps, sig];
    }
}

fma_kernel! {
    fn macd_seed_kernel(x: &[f64], k: [f64; 2], state: &mut [f64; 3]) {
        let [fk, sk] = k;
        let [mut pf, mut ps, mut sig] = *state;
        for &v in x {
            pf = (v - pf).mul_add(fk, pf);
            ps = (v - ps).mul_add(sk, ps);
            sig += pf - ps;
        }
        *state = [pf, ps, sig];
    }
}

/// [`macd`] into caller-owned buffers, each of the input's length.
pub fn macd_into(
    x: &[f64],
    fast: usize,
    slow: usize,
    signal: usize,
    macd_out: &mut [f64],
    signal_out: &mut [f64],
    hist_out: &mut [f64],
) -> Result<(), TaError> {
    let (fast, slow, signal) = Macd::new(fast, slow, signal)?.periods();
    let len = x.len();
    check_out("MACD", "macd_out", macd_out, len)?;
    check_out("MACD", "signal_out", signal_out, len)?;
    check_out("MACD", "hist_out", hist_out, len)?;
    let lookback = (slow - 1) + (signal - 1);
    if len <= lookback {
        for o in [macd_out, signal_out, hist_out] {
            o.fill(f64::NAN);
        }
        return Ok(());
    }
    for o in [&mut *macd_out, &mut *signal_out, &mut *hist_out] {
        o[..lookback].fill(f64::NAN);
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
    let pf = fast_sum / fast as f64;
    let ps = slow_sum / slow as f64;
    let mut sig = 0.0;
    sig += pf - ps;
    let mut state = [pf, ps, sig];
    macd_seed_kernel(&x[slow..=lookback], [fk, sk], &mut state);
    let [pf, ps, sig] = state;
    let macd_v = pf - ps;
    let sig = sig / signal as f64;
    macd_out[lookback] = macd_v;
    signal_out[lookback] = sig;
    hist_out[lookback] = macd_v - sig;
    let tail = lookback + 1;
    let mut state = [pf, ps, sig];
    macd_kernel(
        &x[tail..],
        &mut macd_out[tail..],
        &mut signal_out[tail..],
        &mut hist_out[tail..],
        [fk, sk, gk],
        &mut state,
    );
    Ok(())
}

/// Bollinger Bands with an SMA middle (`talib.BBANDS(matype=0)`), fused loop over the
/// slice (SMA running sum + TA-Lib 0.8 shifted-data variance).
pub fn bbands(
    x: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
) -> Result<BandsSeries, TaError> {
    let len = x.len();
    let mut b = BandsSeries {
        upper: out_vec(len),
        middle: out_vec(len),
        lower: out_vec(len),
    };
    bbands_into(
        x,
        period,
        nbdev_up,
        nbdev_dn,
        &mut b.upper,
        &mut b.middle,
        &mut b.lower,
    )?;
    Ok(b)
}

/// [`bbands`] into caller-owned buffers, each of the input's length.
pub fn bbands_into(
    x: &[f64],
    period: usize,
    nbdev_up: f64,
    nbdev_dn: f64,
    upper: &mut [f64],
    middle: &mut [f64],
    lower: &mut [f64],
) -> Result<(), TaError> {
    let period = check_period("BBANDS", "period", period, 2)?;
    let up_k = check_multiplier("BBANDS", "nbdev_up", nbdev_up)?;
    let dn_k = check_multiplier("BBANDS", "nbdev_dn", nbdev_dn)?;
    let len = x.len();
    check_out("BBANDS", "upper", upper, len)?;
    check_out("BBANDS", "middle", middle, len)?;
    check_out("BBANDS", "lower", lower, len)?;
    let lb = (period - 1).min(len);
    for o in [&mut *upper, &mut *middle, &mut *lower] {
        o[..lb].fill(f64::NAN);
    }
    if len < period {
        return Ok(());
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
    Ok(())
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
    let mut out = out_vec(high.len());
    atr_into(high, low, close, period, &mut out)?;
    Ok(out)
}

fma_kernel! {
    fn atr_kernel(
        high: &[f64],
        low: &[f64],
        prev_close: &[f64],
        out: &mut [f64],
        w: [f64; 2],
        a: &mut f64,
    ) {
        let [w_alpha, w_beta] = w;
        let mut av = *a;
        for (((o, &h), &l), &pc) in out.iter_mut().zip(high).zip(low).zip(prev_close) {
            let tr = true_range(h, l, pc);
            av = w_beta.mul_add(av, w_alpha * tr);
            *o = av;
        }
        *a = av;
    }
}

/// [`atr`] into a caller-owned buffer of the input's length.
pub fn atr_into(
    high: &[f64],
    low: &[f64],
    close: &[f64],
    period: usize,
    out: &mut [f64],
) -> Result<(), TaError> {
    Atr::new(period)?;
    check_hlc("ATR", high, low, close)?;
    let len = high.len();
    check_out("ATR", "out", out, len)?;
    if len <= period {
        out.fill(f64::NAN);
        return Ok(());
    }
    out[..period].fill(f64::NAN);
    if period == 1 {
        for i in 1..len {
            out[i] = true_range(high[i], low[i], close[i - 1]);
        }
        return Ok(());
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
    atr_kernel(
        &high[start..],
        &low[start..],
        &close[start - 1..len - 1],
        &mut out[start..],
        [w_alpha, w_beta],
        &mut a,
    );
    Ok(())
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
