//! What the analyzer prints: the header, one line per closed bar, framed alerts (text), or one
//! JSON object per line (jsonl).

use std::io::{self, Write};

use ploutos_core::{Signal, SignalKind, Timestamp};
use ploutos_engine::consensus::{ConsensusConfig, Verdict};

/// `1234567.8` → `1,234,568`; small volumes keep up to 4 decimals (`15.0859`).
pub fn fmt_volume(v: f64) -> String {
    if v.abs() < 1_000.0 {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        return s.to_string();
    }
    let digits = format!("{:.0}", v.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if v < 0.0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Prices: 2 decimals from 1 up, else 6 significant digits (`0.00141418`).
pub fn fmt_price(p: f64) -> String {
    let a = p.abs();
    if a >= 1.0 || a == 0.0 || !p.is_finite() {
        format!("{p:.2}")
    } else {
        let decimals = (-a.log10().floor()) as usize + 5;
        format!("{p:.*}", decimals.min(12))
    }
}

fn hms(t: Timestamp) -> String {
    t.to_datetime().format("%H:%M:%S").to_string()
}

/// Colors when writing to a terminal.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub color: bool,
}

impl Style {
    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

/// The header of a text session.
pub fn header(
    out: &mut impl Write,
    tickers: &[String],
    timeframe: &str,
    source: &str,
    min_confidence: u8,
    c: &ConsensusConfig,
) -> io::Result<()> {
    writeln!(out, "Ploutos analyzer — consensus of five indicators")?;
    writeln!(
        out,
        "  RSI({}) {}/{} · EMA {}/{} · MACD({},{},{}) · Bollinger({}, {}σ) · volume > {}× SMA({}) · BUY/SELL on ≥ {} votes",
        c.rsi_period, c.rsi_oversold, c.rsi_overbought, c.ema_fast, c.ema_slow, c.macd_fast,
        c.macd_slow, c.macd_signal, c.bb_period, c.bb_stddev, c.volume_factor, c.volume_period,
        c.min_votes
    )?;
    writeln!(out, "  Tickers: {}", tickers.join(", "))?;
    writeln!(
        out,
        "  Timeframe: {timeframe} · alerts at confidence ≥ {min_confidence} · source: {source}"
    )?;
    writeln!(
        out,
        "  Times are bar open times (UTC). Ctrl-C ends the session."
    )?;
    writeln!(out)
}

/// A day separator, printed when the UTC date of the bars changes.
pub fn day_line(out: &mut impl Write, t: Timestamp) -> io::Result<()> {
    writeln!(out, "── {} ──", t.to_datetime().format("%Y-%m-%d"))
}

/// `[14:23:45] NVDA: $520.45 | Vol: 2,345,678`, plus the signal when it is not HOLD.
pub fn bar_line(
    out: &mut impl Write,
    style: Style,
    ticker: &str,
    v: &Verdict,
    min_confidence: u8,
) -> io::Result<()> {
    write!(
        out,
        "[{}] {}: ${} | Vol: {}",
        hms(v.time),
        ticker,
        fmt_price(v.close),
        fmt_volume(v.values.volume)
    )?;
    match v.kind {
        SignalKind::Hold => writeln!(out),
        kind => {
            let tag = format!("{kind} {}/100", v.confidence);
            let tag = if v.confidence >= min_confidence {
                style.paint(
                    if kind == SignalKind::Buy {
                        "1;32"
                    } else {
                        "1;31"
                    },
                    &tag,
                )
            } else {
                format!("{tag} (below {min_confidence})")
            };
            writeln!(out, " | {tag}")
        }
    }
}

const WIDTH: usize = 72;

fn boxed(out: &mut impl Write, text: &str) -> io::Result<()> {
    let n = text.chars().count();
    let pad = WIDTH.saturating_sub(n + 1);
    writeln!(out, "║ {text}{} ║", " ".repeat(pad))
}

/// Splits `items` joined by " · " into lines that fit the frame.
fn wrap(items: &[String]) -> Vec<String> {
    let mut lines = Vec::new();
    let mut cur = String::new();
    for it in items {
        let extra = if cur.is_empty() { 0 } else { 3 };
        if !cur.is_empty() && cur.chars().count() + extra + it.chars().count() > WIDTH - 1 {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push_str(" · ");
        }
        cur.push_str(it);
    }
    if !cur.is_empty() {
        lines.push(cur);
    }
    lines
}

/// The framed alert for a BUY or SELL.
pub fn alert(out: &mut impl Write, style: Style, timeframe: &str, s: &Signal) -> io::Result<()> {
    let color = if s.kind == SignalKind::Buy {
        "32"
    } else {
        "31"
    };
    let bar = "═".repeat(WIDTH + 1);
    let top = style.paint(color, &format!("╔{bar}╗"));
    writeln!(out, "{top}")?;
    boxed(
        out,
        &format!(
            "{} {} @ ${}   confidence {}/100",
            s.kind,
            s.symbol,
            fmt_price(s.current_price),
            s.confidence
        ),
    )?;
    boxed(
        out,
        &format!(
            "{} UTC · {} bar · votes {} buy / {} sell",
            s.time.to_datetime().format("%Y-%m-%d %H:%M"),
            timeframe,
            s.buy_votes,
            s.sell_votes
        ),
    )?;
    writeln!(out, "╟{}╢", "─".repeat(WIDTH + 1))?;
    for r in &s.reasons {
        boxed(out, &format!("• {r}"))?;
    }
    writeln!(out, "╟{}╢", "─".repeat(WIDTH + 1))?;
    let values: Vec<String> = s
        .indicators
        .iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(k, v)| {
            if k == "rsi" {
                format!("{k} {v:.1}")
            } else if k.starts_with("volume") {
                format!("{k} {}", fmt_volume(v))
            } else {
                format!("{k} {}", fmt_price(v))
            }
        })
        .collect();
    for line in wrap(&values) {
        boxed(out, &line)?;
    }
    let bottom = style.paint(color, &format!("╚{bar}╝"));
    writeln!(out, "{bottom}")
}

/// One jsonl object.
pub fn json_line(out: &mut impl Write, s: &Signal, timeframe: &str) -> io::Result<()> {
    #[derive(serde::Serialize)]
    struct Line<'a> {
        #[serde(flatten)]
        signal: &'a Signal,
        timeframe: &'a str,
    }
    serde_json::to_writer(
        &mut *out,
        &Line {
            signal: s,
            timeframe,
        },
    )?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers_for_humans() {
        assert_eq!(fmt_volume(2_345_678.0), "2,345,678");
        assert_eq!(fmt_volume(999.5), "999.5");
        assert_eq!(fmt_volume(15.085915), "15.0859");
        assert_eq!(fmt_volume(1_000.0), "1,000");
        assert_eq!(fmt_price(520.449), "520.45");
        assert_eq!(fmt_price(0.00141418), "0.00141418");
    }

    #[test]
    fn wraps_inside_the_frame() {
        let items: Vec<String> = (0..20).map(|i| format!("value{i} 123.45")).collect();
        for l in wrap(&items) {
            assert!(l.chars().count() < WIDTH, "{l}");
        }
    }
}
