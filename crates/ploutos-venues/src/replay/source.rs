//! [`ReplaySource`]: one file to replay and how to read it.

use std::path::{Path, PathBuf};

use ploutos_core::{Symbol, Timeframe};
use ploutos_store::history::{self, BarReadOptions, FileKind};

use crate::error::FeedError;
use crate::replay::stream::ReplayStream;

/// Whether a source holds bars or trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SourceKind {
    /// Decide from the file's header ([`history::detect_kind`]).
    #[default]
    Auto,
    /// A bar file.
    Bars,
    /// A trade file.
    Trades,
}

/// One file of one symbol to replay.
#[derive(Debug, Clone, PartialEq)]
pub struct ReplaySource {
    path: PathBuf,
    kind: SourceKind,
    symbol: Option<Symbol>,
    timeframe: Option<Timeframe>,
    options: BarReadOptions,
}

impl ReplaySource {
    /// A file whose kind is detected from its header.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        ReplaySource {
            path: path.into(),
            kind: SourceKind::Auto,
            symbol: None,
            timeframe: None,
            options: BarReadOptions::default(),
        }
    }

    /// A bar file.
    pub fn bars(path: impl Into<PathBuf>) -> Self {
        Self::new(path).kind(SourceKind::Bars)
    }

    /// A trade file.
    pub fn trades(path: impl Into<PathBuf>) -> Self {
        Self::new(path).kind(SourceKind::Trades)
    }

    /// From a command-line spec `SYMBOL=path` or just `path`
    /// ([`history::split_symbol_spec`]); kind detected.
    pub fn parse(spec: &str) -> Self {
        let (symbol, path) = history::split_symbol_spec(spec);
        let s = Self::new(path);
        match symbol {
            Some(sym) => s.symbol(sym),
            None => s,
        }
    }

    /// Sets the kind.
    pub fn kind(mut self, kind: SourceKind) -> Self {
        self.kind = kind;
        self
    }

    /// Sets the symbol (otherwise guessed from the file name).
    pub fn symbol(mut self, symbol: Symbol) -> Self {
        self.symbol = Some(symbol);
        self
    }

    /// Sets the bar timeframe (otherwise inferred from the bars).
    pub fn timeframe(mut self, timeframe: Timeframe) -> Self {
        self.timeframe = Some(timeframe);
        self
    }

    /// Sets the bar reading options.
    pub fn bar_options(mut self, options: BarReadOptions) -> Self {
        self.options = options;
        self
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads the file into a stream.
    pub fn load(&self) -> Result<ReplayStream, FeedError> {
        let kind = match self.kind {
            SourceKind::Auto => match history::detect_kind(&self.path)? {
                FileKind::Bars => SourceKind::Bars,
                FileKind::Trades => SourceKind::Trades,
            },
            k => k,
        };
        let no_symbol = || FeedError::NoSymbol {
            path: self.path.clone(),
        };
        if kind == SourceKind::Trades {
            let file = history::read_trades(&self.path)?;
            let symbol = self.symbol.clone().or(file.symbol).ok_or_else(no_symbol)?;
            return ReplayStream::trades(symbol, file.trades);
        }
        let file = history::read_bars_with(&self.path, &self.options)?;
        let symbol = self.symbol.clone().or(file.symbol).ok_or_else(no_symbol)?;
        let timeframe =
            self.timeframe
                .or(file.timeframe)
                .ok_or_else(|| FeedError::NoTimeframe {
                    path: self.path.clone(),
                })?;
        ReplayStream::bars(symbol, timeframe, file.bars)
    }
}
