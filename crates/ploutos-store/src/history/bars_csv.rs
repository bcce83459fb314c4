//! The CSV bar reader: one pass, one reused [`csv::ByteRecord`], no allocation per row.

use std::io::Read;

use ploutos_core::Bar;

use crate::history::bar_file::{BarFormat, BarReadOptions};
use crate::history::columns::{self, find, normalise};
use crate::history::error::{HistoryError, Position};
use crate::history::num::parse_u64;
use crate::history::rows::{self, read_rows, Cells, Order};
use crate::history::sniff::header_text;

/// Where each field of a bar is, and what the columns are called in messages.
#[derive(Clone)]
pub(crate) struct Layout {
    pub(crate) format: BarFormat,
    /// time, open, high, low, close, volume.
    core: [usize; 6],
    adj_close: Option<usize>,
    trades: Option<usize>,
    vwap: Option<usize>,
    /// Column names for messages, by index.
    names: Vec<String>,
    /// The fewest fields a row must have.
    min_fields: usize,
}

const CANONICAL: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];
const BINANCE: [&str; 12] = [
    "open_time",
    "open",
    "high",
    "low",
    "close",
    "volume",
    "close_time",
    "quote_volume",
    "trades",
    "taker_buy_base_volume",
    "taker_buy_quote_volume",
    "ignore",
];

impl rows::Layout for Layout {
    fn from_header(header: &csv::ByteRecord, file: &str) -> Result<Self, HistoryError> {
        let cells: Vec<String> = header.iter().map(normalise).collect();
        let required: [(&'static str, &[&str]); 6] = [
            ("timestamp", columns::BAR_TIME),
            ("open", columns::OPEN),
            ("high", columns::HIGH),
            ("low", columns::LOW),
            ("close", columns::CLOSE),
            ("volume", columns::VOLUME),
        ];
        let mut core = [0usize; 6];
        for (slot, (name, aliases)) in core.iter_mut().zip(required) {
            *slot = find(&cells, aliases).ok_or_else(|| HistoryError::MissingColumn {
                file: file.to_string(),
                column: name,
                header: header_text(header),
            })?;
        }
        let adj_close = find(&cells, columns::ADJ_CLOSE);
        let trades = find(&cells, columns::TRADES);
        let vwap = find(&cells, columns::VWAP);
        let format = if adj_close.is_some() {
            BarFormat::Yahoo
        } else if find(&cells, columns::CLOSE_TIME).is_some() {
            BarFormat::BinanceKlines
        } else {
            BarFormat::Canonical
        };
        let names = header
            .iter()
            .map(|c| String::from_utf8_lossy(crate::history::sniff::strip_bom(c)).into_owned())
            .collect();
        let min_fields = core.iter().chain(&adj_close).max().map_or(6, |m| m + 1);
        Ok(Layout {
            format,
            core,
            adj_close,
            trades,
            vwap,
            names,
            min_fields,
        })
    }

    fn headerless(first: &csv::ByteRecord, file: &str) -> Result<Self, HistoryError> {
        let n = first.len();
        if n < 6 {
            return Err(HistoryError::UnknownFormat {
                file: file.to_string(),
                reason: format!(
                    "line 1 is data, not a header, and has {n} columns; a file without a header \
                     needs at least 6 (timestamp, open, high, low, close, volume) or the 12 of a \
                     Binance kline file"
                ),
            });
        }
        let binance = n == 12;
        let names = if binance {
            BINANCE.iter().map(|s| s.to_string()).collect()
        } else {
            (0..n)
                .map(|i| {
                    CANONICAL
                        .get(i)
                        .map_or_else(|| format!("column {}", i + 1), |s| s.to_string())
                })
                .collect()
        };
        Ok(Layout {
            format: if binance {
                BarFormat::BinanceKlines
            } else {
                BarFormat::Headerless
            },
            core: [0, 1, 2, 3, 4, 5],
            adj_close: None,
            trades: binance.then_some(8),
            vwap: None,
            names,
            min_fields: if binance { 9 } else { 6 },
        })
    }
}

/// Reads CSV bars: detects the layout, validates each row, checks time order (strictly
/// increasing; a repeated time is a duplicate).
pub(crate) fn read<R: Read>(
    reader: R,
    file: &str,
    options: &BarReadOptions,
) -> Result<(BarFormat, Vec<Bar>), HistoryError> {
    let (layout, bars) = read_rows(
        reader,
        file,
        Order::Increasing,
        None,
        |record, layout, at| parse_row(record, layout, options, file, at),
    )?;
    Ok((layout.format, bars))
}

/// Like [`read`], but a bad, duplicate or misordered row is recorded in `problems` and
/// skipped instead of ending the read.
pub(crate) fn scan<R: Read>(
    reader: R,
    file: &str,
    options: &BarReadOptions,
    problems: &mut Vec<HistoryError>,
) -> Result<(BarFormat, Vec<Bar>), HistoryError> {
    let (layout, bars) = read_rows(
        reader,
        file,
        Order::Increasing,
        Some(problems),
        |record, layout, at| parse_row(record, layout, options, file, at),
    )?;
    Ok((layout.format, bars))
}

#[inline]
pub(crate) fn parse_row(
    record: &csv::ByteRecord,
    layout: &Layout,
    options: &BarReadOptions,
    file: &str,
    at: Position,
) -> Result<Bar, HistoryError> {
    let cells = Cells::new(record, &layout.names, layout.min_fields, file, at)?;
    let number = |i: usize| cells.number(i);
    let [t, o, h, l, c, v] = layout.core;
    let time = cells.time(t)?;
    let (mut open, mut high, mut low, mut close) = (number(o)?, number(h)?, number(l)?, number(c)?);
    let volume = number(v)?;
    if let (true, Some(a)) = (options.adjust_yahoo, layout.adj_close) {
        let adj = number(a)?;
        if close != 0.0 {
            let k = adj / close;
            open *= k;
            high *= k;
            low *= k;
            close *= k;
        }
    }
    let bar_error = |source| HistoryError::BadBar {
        file: file.to_string(),
        at,
        source,
    };
    let mut bar = Bar::new(time, open, high, low, close, volume).map_err(bar_error)?;
    if let Some(i) = layout.trades {
        let b = cells.cell(i);
        if !b.is_empty() {
            let n = parse_u64(b).ok_or_else(|| cells.bad(i, "is not a whole number of trades"))?;
            bar = bar.with_trades(n);
        }
    }
    if let Some(i) = layout.vwap {
        if !cells.cell(i).is_empty() {
            bar = bar.with_vwap(number(i)?).map_err(bar_error)?;
        }
    }
    Ok(bar)
}
