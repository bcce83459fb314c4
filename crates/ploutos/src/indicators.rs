//! `ploutos indicators`: the standard indicator set over a bar file, as CSV.

use std::fs::File;
use std::io::{self, BufWriter, Write};

use anyhow::{Context, Result};
use ploutos_store::history::read_bars;
use ploutos_ta::{Atr, BollingerBands, Ema, Macd, Rsi, Sma};

use crate::cli::IndicatorsArgs;

/// The output columns, in order.
pub const COLUMNS: &str = "timestamp,open,high,low,close,volume,rsi14,ema9,ema21,sma20,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower,atr14,volume_sma20";

fn cell(out: &mut impl Write, v: Option<f64>) -> io::Result<()> {
    match v {
        Some(x) => write!(out, ",{x}"),
        None => out.write_all(b","),
    }
}

/// Runs the command.
pub fn run(args: IndicatorsArgs) -> Result<()> {
    let file = read_bars(&args.data)?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(BufWriter::new(
            File::create(p).with_context(|| format!("cannot create {}", p.display()))?,
        )),
        None => Box::new(BufWriter::new(io::stdout().lock())),
    };
    write_indicators(&file.bars, &mut out)?;
    out.flush()?;
    Ok(())
}

/// Writes the header and one row per bar.
pub fn write_indicators(bars: &[ploutos_core::Bar], out: &mut impl Write) -> Result<()> {
    let mut rsi = Rsi::new(14)?;
    let mut ema9 = Ema::new(9)?;
    let mut ema21 = Ema::new(21)?;
    let mut sma20 = Sma::new(20)?;
    let mut macd = Macd::new(12, 26, 9)?;
    let mut bb = BollingerBands::new(20, 2.0, 2.0)?;
    let mut atr = Atr::new(14)?;
    let mut vol = Sma::new(20)?;
    writeln!(out, "{COLUMNS}")?;
    for b in bars {
        let c = b.close();
        write!(
            out,
            "{},{},{},{},{},{}",
            b.time(),
            b.open(),
            b.high(),
            b.low(),
            c,
            b.volume()
        )?;
        cell(out, rsi.update(c))?;
        cell(out, ema9.update(c))?;
        cell(out, ema21.update(c))?;
        cell(out, sma20.update(c))?;
        let m = macd.update(c);
        cell(out, m.map(|m| m.macd))?;
        cell(out, m.map(|m| m.signal))?;
        cell(out, m.map(|m| m.hist))?;
        let bands = bb.update(c);
        cell(out, bands.map(|x| x.upper))?;
        cell(out, bands.map(|x| x.middle))?;
        cell(out, bands.map(|x| x.lower))?;
        cell(out, atr.update(b.high(), b.low(), c))?;
        cell(out, vol.update(b.volume()))?;
        out.write_all(b"\n")?;
    }
    Ok(())
}
