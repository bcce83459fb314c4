//! Telling a bar file from a trade file without reading it all.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use crate::history::bar_file::is_parquet;
use crate::history::columns::{self, find, normalise};
use crate::history::error::HistoryError;
use crate::history::num::parse_bool;
use crate::history::sniff::{is_data_row, next_record, open_csv};

/// What a history file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// OHLCV bars ([`crate::history::read_bars`]).
    Bars,
    /// Trade ticks ([`crate::history::read_trades`]).
    Trades,
}

/// Looks at the first line of a file: a header with a `price` column, or a headerless
/// Binance trade row (`id,price,qty,quote_qty,time,is_buyer_maker,…`), means trades;
/// anything else (and every Parquet file) is taken as bars.
pub fn detect_kind(path: impl AsRef<Path>) -> Result<FileKind, HistoryError> {
    let path = path.as_ref();
    if is_parquet(path) {
        return Ok(FileKind::Bars);
    }
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| HistoryError::io(&name, e))?;
    detect_kind_from(file, &name)
}

/// [`detect_kind`] over any reader.
pub fn detect_kind_from(reader: impl Read, name: &str) -> Result<FileKind, HistoryError> {
    let mut csv = open_csv(reader, name)?;
    let mut record = csv::ByteRecord::new();
    if !next_record(&mut csv, &mut record, name)? {
        return Err(HistoryError::Empty {
            file: name.to_string(),
        });
    }
    let trades = if is_data_row(&record) {
        record.len() >= 6
            && record.len() <= 7
            && record
                .get(5)
                .map(<[u8]>::trim_ascii)
                .and_then(parse_bool)
                .is_some()
    } else {
        let cells: Vec<String> = record.iter().map(normalise).collect();
        find(&cells, columns::PRICE).is_some() && find(&cells, columns::OPEN).is_none()
    };
    Ok(if trades {
        FileKind::Trades
    } else {
        FileKind::Bars
    })
}
