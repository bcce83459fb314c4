//! [`BarFile`]: a file of bars as read, and the entry points that read one.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use ploutos_core::{Bar, Symbol, Timeframe};

use crate::history::bars_csv;
use crate::history::error::HistoryError;
use crate::history::parallel;
use crate::history::parquet_file;
use crate::history::symbol::symbol_from_path;
use crate::history::timeframe::infer_timeframe;

/// The layout a bar file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BarFormat {
    /// `timestamp,open,high,low,close,volume[,trades][,vwap]` with a header (aliases allowed).
    Canonical,
    /// Yahoo Finance: `Date,Open,High,Low,Close,Adj Close,Volume`.
    Yahoo,
    /// Binance klines (data.binance.vision): 12 columns, usually without a header.
    BinanceKlines,
    /// No header, at least 6 columns taken as timestamp, open, high, low, close, volume.
    Headerless,
    /// Apache Parquet, columns by name as in [`BarFormat::Canonical`].
    Parquet,
}

impl fmt::Display for BarFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BarFormat::Canonical => "canonical CSV",
            BarFormat::Yahoo => "Yahoo Finance CSV",
            BarFormat::BinanceKlines => "Binance kline CSV",
            BarFormat::Headerless => "headerless OHLCV CSV",
            BarFormat::Parquet => "Parquet",
        })
    }
}

/// Options for reading bars. `Default` is what [`read_bars`] uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BarReadOptions {
    /// Yahoo files only: scale open, high, low and close by `Adj Close / Close` (split and
    /// dividend adjusted prices). Off by default: the raw `Close` is used and `Adj Close`
    /// is ignored.
    pub adjust_yahoo: bool,
}

impl BarReadOptions {
    /// With [`BarReadOptions::adjust_yahoo`] set.
    pub fn adjust_yahoo(mut self, on: bool) -> Self {
        self.adjust_yahoo = on;
        self
    }
}

/// A file of bars of one instrument, in time order, one bar per timestamp.
#[derive(Debug, Clone, PartialEq)]
pub struct BarFile {
    /// The symbol guessed from the file name ([`symbol_from_path`]); `None` when the name
    /// gives no valid symbol.
    pub symbol: Option<Symbol>,
    /// The most common positive gap between consecutive bars ([`infer_timeframe`]); `None`
    /// with fewer than two bars or a gap that is not a whole number of seconds up to 366 days.
    pub timeframe: Option<Timeframe>,
    /// The layout the file was read as.
    pub format: BarFormat,
    /// The bars; `time` is each bar's open time.
    pub bars: Vec<Bar>,
}

impl BarFile {
    fn new(name: &str, format: BarFormat, bars: Vec<Bar>) -> Self {
        BarFile {
            symbol: symbol_from_path(name),
            timeframe: infer_timeframe(&bars),
            format,
            bars,
        }
    }
}

/// Reads a bar file: Parquet when the extension is `.parquet` or `.pq`, otherwise CSV in any
/// of the layouts of [`BarFormat`], told apart by the header. A CSV file of 16 MB or more is
/// read into memory and parsed in parallel on all cores, with the same result and the same
/// errors as [`read_bars_from`].
pub fn read_bars(path: impl AsRef<Path>) -> Result<BarFile, HistoryError> {
    read_bars_with(path, &BarReadOptions::default())
}

/// [`read_bars`] with options.
pub fn read_bars_with(
    path: impl AsRef<Path>,
    options: &BarReadOptions,
) -> Result<BarFile, HistoryError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| HistoryError::io(&name, e))?;
    if is_parquet(path) {
        let bars = parquet_file::read_bars_parquet(file, &name)?;
        return Ok(BarFile::new(&name, BarFormat::Parquet, bars));
    }
    let (format, bars) = parallel::read_file(file, &name, options, parallel::THRESHOLD)?;
    Ok(BarFile::new(&name, format, bars))
}

/// Reads CSV bars from any reader; `name` stands for the file in error messages and gives
/// the symbol guess.
pub fn read_bars_from(reader: impl Read, name: &str) -> Result<BarFile, HistoryError> {
    read_bars_from_with(reader, name, &BarReadOptions::default())
}

/// [`read_bars_from`] with options.
pub fn read_bars_from_with(
    reader: impl Read,
    name: &str,
    options: &BarReadOptions,
) -> Result<BarFile, HistoryError> {
    let (format, bars) = bars_csv::read(reader, name, options)?;
    Ok(BarFile::new(name, format, bars))
}

/// Whether the path names a Parquet file (`.parquet` or `.pq`, any case).
pub fn is_parquet(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("parquet") || e.eq_ignore_ascii_case("pq"))
}
