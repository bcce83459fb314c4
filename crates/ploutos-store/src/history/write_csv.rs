//! Writing bars as canonical CSV.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use ploutos_core::{Bar, Timestamp};

use crate::history::error::HistoryError;
use crate::history::num::civil_from_days;

/// Writes `bars` to `path` as canonical CSV ([`write_bars_csv_to`]), replacing the file.
pub fn write_bars_csv(path: impl AsRef<Path>, bars: &[Bar]) -> Result<(), HistoryError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = File::create(path).map_err(|e| HistoryError::io(&name, e))?;
    let mut out = BufWriter::with_capacity(256 * 1024, file);
    write_bars_csv_to(&mut out, bars).map_err(|e| HistoryError::io(&name, e))?;
    out.flush().map_err(|e| HistoryError::io(&name, e))
}

/// Writes `bars` as canonical CSV: the header `timestamp,open,high,low,close,volume`, plus
/// `trades` and `vwap` columns when any bar carries them (empty cells where a bar does not);
/// timestamps in RFC 3339 UTC as [`Timestamp`]'s `Display` writes them, numbers in Rust's
/// shortest round-trip form, so reading the output gives back the same bars bit for bit.
/// Wrap an unbuffered writer in a `BufWriter`.
pub fn write_bars_csv_to<W: Write>(mut out: W, bars: &[Bar]) -> std::io::Result<()> {
    let with_trades = bars.iter().any(|b| b.trades().is_some());
    let with_vwap = bars.iter().any(|b| b.vwap().is_some());
    out.write_all(b"timestamp,open,high,low,close,volume")?;
    if with_trades {
        out.write_all(b",trades")?;
    }
    if with_vwap {
        out.write_all(b",vwap")?;
    }
    out.write_all(b"\n")?;
    let mut line = Vec::with_capacity(128);
    for bar in bars {
        line.clear();
        write_timestamp(&mut line, bar.time())?;
        write!(
            line,
            ",{},{},{},{},{}",
            bar.open(),
            bar.high(),
            bar.low(),
            bar.close(),
            bar.volume()
        )?;
        if with_trades {
            line.push(b',');
            if let Some(n) = bar.trades() {
                write!(line, "{n}")?;
            }
        }
        if with_vwap {
            line.push(b',');
            if let Some(v) = bar.vwap() {
                write!(line, "{v}")?;
            }
        }
        line.push(b'\n');
        out.write_all(&line)?;
    }
    Ok(())
}

/// RFC 3339 UTC with 0, 3, 6 or 9 fractional digits, exactly as `Timestamp`'s `Display`,
/// without allocating.
pub(crate) fn write_timestamp(out: &mut Vec<u8>, t: Timestamp) -> std::io::Result<()> {
    let nanos = t.as_nanos();
    let secs = nanos.div_euclid(1_000_000_000);
    let frac = nanos.rem_euclid(1_000_000_000);
    let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
    let sod = secs.rem_euclid(86_400);
    write!(
        out,
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3_600,
        sod / 60 % 60,
        sod % 60
    )?;
    if frac != 0 {
        if frac % 1_000_000 == 0 {
            write!(out, ".{:03}", frac / 1_000_000)?;
        } else if frac % 1_000 == 0 {
            write!(out, ".{:06}", frac / 1_000)?;
        } else {
            write!(out, ".{frac:09}")?;
        }
    }
    out.push(b'Z');
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn timestamps_match_display(n in any::<i64>()) {
            let t = Timestamp::from_nanos(n);
            let mut out = Vec::new();
            write_timestamp(&mut out, t).unwrap();
            prop_assert_eq!(String::from_utf8(out).unwrap(), t.to_string());
        }
    }
}
