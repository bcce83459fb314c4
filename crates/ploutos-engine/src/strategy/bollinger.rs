//! Kind `bollinger`: Bollinger Band re-entry (mean reversion).
//!
//! **Rule**: with the bands of the closes (TA-Lib `BBANDS`, SMA middle, population standard
//! deviation, `middle ± stddev × σ`): BUY when the close crosses back above the lower band —
//! previous close `<` previous lower band and this close `>=` this lower band; SELL when it
//! crosses back below the upper band — previous close `>` previous upper band and this close
//! `<=` this upper band. Being outside a band, or going outside, is no signal; only the bar of
//! the return is. A flat window (zero-width bands) can never be "outside", so gives none.
//!
//! **Confidence**: 100 (the rule is binary).
//!
//! **Parameters**: `period` (20, 2..=100000), `stddev` (2.0, a positive number).
//!
//! **Warm-up**: `period + 1` bars (the first bands are on bar index `period − 1`; a re-entry
//! needs that bar and the next).
//!
//! Indicator values: `bb_upper`, `bb_middle`, `bb_lower`.

use ploutos_core::{Bar, IndicatorValues, Signal, SignalKind};
use ploutos_ta::{BollingerBands, BollingerOutput};
use toml::Table;

use super::registry::{show_f64, ta_error, Constructor, Params, StrategyError};
use super::skim::{Pending, Quiet};
use super::{fmt_num, SignalSink, Strategy, StrategyCtx};

/// The kind name.
pub const KIND: &str = "bollinger";
pub const DEFAULT_PERIOD: usize = 20;
pub const DEFAULT_STDDEV: f64 = 2.0;

/// Registry entry.
pub const CONSTRUCTOR: Constructor = Constructor {
    build: from_params,
    description: "Bollinger re-entry: BUY when the close crosses back above the lower band \
                  of BB(period=20, stddev=2.0), SELL when it crosses back below the upper band",
};

/// Bollinger Band re-entry on one symbol.
#[derive(Debug, Clone)]
pub struct BollingerReversion {
    bands: BollingerBands,
    /// Previous close and bands (NaN until the first bands).
    prev_close: f64,
    prev: BollingerOutput,
    /// The bands of the bar a skim stopped on.
    pending: Option<Pending<BollingerOutput>>,
}

impl BollingerReversion {
    /// Bands over `period` closes at `stddev` standard deviations.
    pub fn new(period: usize, stddev: f64) -> Result<Self, StrategyError> {
        if !(stddev.is_finite() && stddev > 0.0) {
            return Err(StrategyError::InvalidParam {
                kind: KIND,
                param: "stddev".to_owned(),
                value: show_f64(stddev),
                reason: "must be a positive number".to_owned(),
            });
        }
        let bands = BollingerBands::new(period, stddev, stddev)
            .map_err(ta_error(KIND, "period", period))?;
        Ok(BollingerReversion {
            bands,
            prev_close: f64::NAN,
            pending: None,
            prev: BollingerOutput {
                upper: f64::NAN,
                middle: f64::NAN,
                lower: f64::NAN,
            },
        })
    }
}

/// Registry constructor.
pub fn from_params(params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
    let mut p = Params::new(KIND, params);
    let period = p.usize("period", DEFAULT_PERIOD)?;
    let stddev = p.f64("stddev", DEFAULT_STDDEV)?;
    p.finish()?;
    Ok(Box::new(BollingerReversion::new(period, stddev)?))
}

/// BUY when the previous close was below the previous lower band and this one is back at or
/// above the lower band, SELL likewise at the upper band, else none.
fn crossed(
    prev_close: f64,
    prev: &BollingerOutput,
    close: f64,
    b: &BollingerOutput,
) -> Option<SignalKind> {
    if prev_close < prev.lower && close >= b.lower {
        Some(SignalKind::Buy)
    } else if prev_close > prev.upper && close <= b.upper {
        Some(SignalKind::Sell)
    } else {
        None
    }
}

impl Strategy for BollingerReversion {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn warmup(&self) -> usize {
        self.bands.lookback() + 2
    }

    fn skim(&mut self, bars: &[Bar], quiet: &mut Quiet) -> usize {
        for (n, bar) in bars.iter().enumerate() {
            let close = bar.close();
            let Some(b) = self.bands.update(close) else {
                continue; // warming up: no signal, nothing remembered
            };
            if !quiet.pass(crossed(self.prev_close, &self.prev, close, &b), close) {
                self.pending = Some(Pending::new(bar, b));
                return n;
            }
            self.prev_close = close;
            self.prev = b;
        }
        bars.len()
    }

    fn on_bar(&mut self, bar: &Bar, _ctx: &StrategyCtx, out: &SignalSink<'_>) -> Option<Signal> {
        let close = bar.close();
        let b = Pending::take(&mut self.pending, bar).or_else(|| self.bands.update(close))?;
        let prev_close = std::mem::replace(&mut self.prev_close, close);
        let prev = std::mem::replace(&mut self.prev, b);
        let kind = crossed(prev_close, &prev, close, &b)?;
        if !out.words {
            return Some(out.repeat(bar, kind, 100));
        }
        let (kind, reason) = if kind == SignalKind::Buy {
            let r = format!(
                "close {} crossed back above the lower band {} (previous close {} was below {})",
                fmt_num(close),
                fmt_num(b.lower),
                fmt_num(prev_close),
                fmt_num(prev.lower)
            );
            (SignalKind::Buy, r)
        } else {
            let r = format!(
                "close {} crossed back below the upper band {} (previous close {} was above {})",
                fmt_num(close),
                fmt_num(b.upper),
                fmt_num(prev_close),
                fmt_num(prev.upper)
            );
            (SignalKind::Sell, r)
        };
        let mut values = IndicatorValues::with_capacity(3);
        values.push("bb_upper", b.upper);
        values.push("bb_middle", b.middle);
        values.push("bb_lower", b.lower);
        Some(out.signal(bar, kind, 100, vec![reason], values))
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{kinds, run};
    use super::*;
    use SignalKind::{Buy, Sell};

    #[test]
    fn a_dip_and_a_spike_each_give_one_re_entry() {
        // BB(3, 1σ). Bar 4 (window 10, 10, 7): mean 9, σ = √2, lower 7.586 > close 7.
        // Bar 5 (10, 7, 10): lower 7.586 <= close 10 -> BUY.
        // Bar 7 (10, 10, 13): mean 11, upper 12.414 < close 13. Bar 8 (10, 13, 10): upper
        // 12.414 >= close 10 -> SELL. Bars 2-3 have zero-width bands at the close: no signal.
        let closes = [10.0, 10.0, 10.0, 10.0, 7.0, 10.0, 10.0, 13.0, 10.0, 10.0];
        let mut s = BollingerReversion::new(3, 1.0).unwrap();
        assert_eq!(s.warmup(), 4);
        let sig = run(&mut s, &closes);
        assert_eq!(kinds(&sig), [(5, Buy), (8, Sell)]);
        assert_eq!(
            sig[0].1.reasons,
            [
                "close 10.00 crossed back above the lower band 7.59 (previous close 7.00 was \
              below 7.59)"
            ]
        );
        let v = &sig[1].1.indicators;
        assert_eq!(v.get("bb_middle"), Some(11.0));
        assert!((v.get("bb_upper").unwrap() - (11.0 + 2f64.sqrt())).abs() < 1e-9);
    }

    #[test]
    fn staying_outside_is_no_signal() {
        // BB(3, 1σ) on a straight fall of 3 a bar: each window is (x + 6, x + 3, x), mean
        // x + 3, σ = √6 ≈ 2.449, lower x + 0.551 > x: outside for good, never back.
        let closes: Vec<f64> = (0..40).map(|i| 200.0 - 3.0 * i as f64).collect();
        let mut s = BollingerReversion::new(3, 1.0).unwrap();
        assert!(run(&mut s, &closes).is_empty());
        let mut s = BollingerReversion::new(DEFAULT_PERIOD, DEFAULT_STDDEV).unwrap();
        assert_eq!(s.warmup(), 21);
        assert!(run(&mut s, &[5.0; 50]).is_empty());
    }

    #[test]
    fn limits() {
        assert!(BollingerReversion::new(1, 2.0).is_err());
        assert!(BollingerReversion::new(20, -1.0).is_err());
        assert!(BollingerReversion::new(20, f64::INFINITY).is_err());
    }
}
