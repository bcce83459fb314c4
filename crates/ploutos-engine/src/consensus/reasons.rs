//! Plain-words reasons for a [`Verdict`], rendered only when asked for.

use std::fmt::Write;

use ploutos_core::{Side, SignalKind};

use super::detector::{Verdict, VoteDetail};

/// A number with as many decimals as its size needs: 2 from 1 up, else 6 significant digits
/// without trailing zeros (0.00141597 → "0.00141597"), so reasons read well for SPY and for
/// XRP/ETH alike.
pub fn fmt_num(x: f64) -> String {
    let a = x.abs();
    if !x.is_finite() {
        return x.to_string();
    }
    if a >= 1.0 || a == 0.0 {
        format!("{x:.2}")
    } else {
        let decimals = (-a.log10().floor()) as usize + 5;
        let s = format!("{x:.*}", decimals.min(15));
        s.trim_end_matches('0').to_string()
    }
}

impl Verdict {
    /// The reasons, one sentence per vote, then the decision's summary for HOLD.
    pub fn reasons(&self) -> Vec<String> {
        if self.warming_up {
            return vec!["warming up".to_string()];
        }
        let mut out = Vec::with_capacity(6);
        for v in self.votes.iter().flatten() {
            let (hi, lo) = match v.side {
                Side::Buy => (">", "<"),
                Side::Sell => ("<", ">"),
            };
            let mut s = String::new();
            // Writing to a String cannot fail.
            let _ = match v.detail {
                VoteDetail::Rsi { rsi } => match v.side {
                    Side::Buy => write!(s, "RSI oversold ({rsi:.1})"),
                    Side::Sell => write!(s, "RSI overbought ({rsi:.1})"),
                },
                VoteDetail::Ema {
                    fast,
                    slow,
                    crossed,
                } => {
                    let what = match (v.side, crossed) {
                        (Side::Buy, true) => "EMA golden cross",
                        (Side::Sell, true) => "EMA death cross",
                        (Side::Buy, false) => "EMA fast above slow",
                        (Side::Sell, false) => "EMA fast below slow",
                    };
                    write!(s, "{what} ({} {hi} {})", fmt_num(fast), fmt_num(slow))
                }
                VoteDetail::Macd {
                    macd,
                    signal,
                    crossed,
                } => {
                    let what = match (v.side, crossed) {
                        (Side::Buy, true) => "MACD bullish cross",
                        (Side::Sell, true) => "MACD bearish cross",
                        (Side::Buy, false) => "MACD above signal",
                        (Side::Sell, false) => "MACD below signal",
                    };
                    write!(s, "{what} ({} {hi} {})", fmt_num(macd), fmt_num(signal))
                }
                VoteDetail::Bollinger { close, band } => match v.side {
                    Side::Buy => write!(
                        s,
                        "Close below lower Bollinger band ({} {lo} {})",
                        fmt_num(close),
                        fmt_num(band)
                    ),
                    Side::Sell => write!(
                        s,
                        "Close above upper Bollinger band ({} {lo} {})",
                        fmt_num(close),
                        fmt_num(band)
                    ),
                },
                VoteDetail::Volume { ratio } => match v.side {
                    Side::Buy => write!(s, "Volume spike {ratio:.1}x average on an up bar"),
                    Side::Sell => write!(s, "Volume spike {ratio:.1}x average on a down bar"),
                },
            };
            out.push(s);
        }
        if self.kind == SignalKind::Hold {
            out.push(format!(
                "No consensus ({} buy / {} sell, {} needed)",
                self.buy_votes, self.sell_votes, self.min_votes
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well_at_any_scale() {
        assert_eq!(fmt_num(519.5), "519.50");
        assert_eq!(fmt_num(0.00141418), "0.00141418");
        assert_eq!(fmt_num(0.001416031234), "0.00141603");
        assert_eq!(fmt_num(-0.042), "-0.042");
        assert_eq!(fmt_num(0.0), "0.00");
    }
}
