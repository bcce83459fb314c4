//! Ploutos storage: market-data history files.
//!
//! [`history`] reads bars and trades from CSV (the canonical Ploutos layout, Yahoo Finance
//! downloads, Binance kline and trade dumps) and Parquet, and writes bars back as canonical
//! CSV or Parquet. Readers validate every row and report bad input with the file, the line,
//! the column and the value; they never panic. The accepted formats are described in
//! `docs/data-formats.md`.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod history;
pub mod journal;
pub mod state_files;
