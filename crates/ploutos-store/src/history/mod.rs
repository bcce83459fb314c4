//! History files: bars and trades on disk.
//!
//! - [`read_bars`] / [`read_bars_from`]: CSV in the canonical, Yahoo, Binance kline or
//!   headerless layouts, or Parquet; gives a [`BarFile`] with the bars, a guessed symbol and
//!   an inferred timeframe.
//! - [`read_trades`] / [`read_trades_from`]: canonical or Binance trade CSV; gives a
//!   [`TradeFile`].
//! - [`write_bars_csv`] / [`write_bars_parquet`]: the canonical layouts, lossless.
//! - [`symbol_from_path`], [`split_symbol_spec`], [`resolve_symbol_spec`]: which instrument
//!   a file holds; [`detect_kind`]: bars or trades.
//!
//! Every reader validates each row (core's `Bar::new` / `Trade::new`), requires time order,
//! and fails with a [`HistoryError`] naming the file, line, column and value. Column names
//! are matched case-insensitively, ignoring spaces, `_` and `-`; the delimiter may be `,`,
//! `;` or a tab. Readers reuse one CSV record buffer and parse numbers straight from bytes,
//! so no row allocates. CSV files of 16 MB or more are parsed in parallel (line-aligned
//! chunks on rayon's threads), with the same rows and errors as the streaming reader.

mod bar_file;
mod bars_csv;
mod columns;
mod error;
mod inspect;
mod kind;
mod num;
mod parallel;
mod parquet_file;
mod rows;
mod sniff;
mod symbol;
mod timeframe;
mod trade_file;
mod trades_csv;
mod write_csv;

pub use bar_file::{
    is_parquet, read_bars, read_bars_from, read_bars_from_with, read_bars_with, BarFile, BarFormat,
    BarReadOptions,
};
pub use error::{HistoryError, Position};
pub use inspect::{inspect_bars, Gap, Inspection};
pub use kind::{detect_kind, detect_kind_from, FileKind};
pub use parquet_file::{write_bars_parquet, write_bars_parquet_to};
pub use symbol::{resolve_symbol_spec, split_symbol_spec, symbol_from_path};
pub use timeframe::infer_timeframe;
pub use trade_file::{read_trades, read_trades_from, TradeFile, TradeFormat};
pub use write_csv::{write_bars_csv, write_bars_csv_to};
