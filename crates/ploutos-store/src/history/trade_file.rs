//! [`TradeFile`]: a file of trade ticks as read, and the entry points that read one.

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;

use ploutos_core::{Symbol, Trade};

use crate::history::error::HistoryError;
use crate::history::symbol::symbol_from_path;
use crate::history::trades_csv;

/// The layout a trade file was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeFormat {
    /// `timestamp,trade_id,price,quantity,side` with a header (aliases allowed; `trade_id`
    /// and `side` optional).
    Canonical,
    /// Binance trades (data.binance.vision): `id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]`,
    /// with or without that header.
    Binance,
}

impl fmt::Display for TradeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TradeFormat::Canonical => "canonical trade CSV",
            TradeFormat::Binance => "Binance trade CSV",
        })
    }
}

/// A file of trades of one instrument, in time order (several trades may share a timestamp;
/// file order is kept).
#[derive(Debug, Clone, PartialEq)]
pub struct TradeFile {
    /// The symbol guessed from the file name; `None` when the name gives no valid symbol.
    pub symbol: Option<Symbol>,
    /// The layout the file was read as.
    pub format: TradeFormat,
    /// The trades.
    pub trades: Vec<Trade>,
}

/// Reads a CSV trade file ([`TradeFormat`]).
pub fn read_trades(path: impl AsRef<Path>) -> Result<TradeFile, HistoryError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let file = File::open(path).map_err(|e| HistoryError::io(&name, e))?;
    read_trades_from(file, &name)
}

/// Reads CSV trades from any reader; `name` stands for the file in error messages and gives
/// the symbol guess.
pub fn read_trades_from(reader: impl Read, name: &str) -> Result<TradeFile, HistoryError> {
    let (format, trades) = trades_csv::read(reader, name)?;
    Ok(TradeFile {
        symbol: symbol_from_path(name),
        format,
        trades,
    })
}
