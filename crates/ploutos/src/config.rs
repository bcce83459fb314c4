//! `ploutos.toml`: the configuration file (see ploutos.example.toml at the repository root).

use std::path::Path;

use anyhow::{Context, Result};
use ploutos_core::Instrument;
use ploutos_engine::breakers::BreakerConfig;
use ploutos_engine::broker::PaperConfig;
use ploutos_engine::consensus::ConsensusConfig;
use ploutos_engine::engine::{EngineConfig, StrategyConfig};
use ploutos_engine::risk::RiskConfig;
use serde::Deserialize;

/// `[analyzer]`: the console analyzer's own settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AnalyzerConfig {
    /// Most tickers one analyzer watches.
    pub max_tickers: usize,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        AnalyzerConfig { max_tickers: 10 }
    }
}

/// `[feed]`: where `ploutos run` gets market data.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FeedConfig {
    /// `replay` (files, the default), `alpaca` or `binance` (live market data).
    pub venue: String,
    /// Replay files, `SYMBOL=path` or `path` (symbol from the file name); relative paths are
    /// relative to the config file.
    pub files: Vec<String>,
    /// × real time; 0 = as fast as possible.
    pub speed: f64,
    /// Live venues: 1-minute bars of REST history per symbol that warm the strategies'
    /// indicators before the first live bar (no trading on them).
    pub warmup_bars: u32,
}

impl Default for FeedConfig {
    fn default() -> Self {
        FeedConfig {
            venue: "replay".into(),
            files: Vec::new(),
            speed: 0.0,
            warmup_bars: 300,
        }
    }
}

/// `[journal]`: how `ploutos run` keeps what it did.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct JournalConfig {
    /// SQLite `synchronous`: `normal` (survives a process crash) or `full` (also a power cut).
    pub synchronous: String,
    /// Longest wall-clock time events wait before their batch is committed.
    pub commit_ms: u64,
    /// Most events in one batch.
    pub batch_events: usize,
    /// Minutes between `latest_state.json` writes (and its rotating gzip copies).
    pub state_every_minutes: f64,
    /// Rotating gzip state copies kept.
    pub keep_states: usize,
}

impl Default for JournalConfig {
    fn default() -> Self {
        JournalConfig {
            synchronous: "normal".into(),
            commit_ms: 200,
            batch_events: 10_000,
            state_every_minutes: 5.0,
            keep_states: 100,
        }
    }
}

/// The whole file. Unknown keys are errors that name the key.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub analyzer: AnalyzerConfig,
    pub consensus: ConsensusConfig,
    pub feed: FeedConfig,
    pub journal: JournalConfig,
    pub risk: RiskConfig,
    pub breakers: BreakerConfig,
    pub broker: PaperConfig,
    pub instruments: Vec<Instrument>,
    pub strategies: Vec<StrategyConfig>,
    pub trading: TradingConfig,
    pub venues: crate::venues::VenuesConfig,
}

/// `[trading]`: paper or live, and the safety switch for live.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TradingConfig {
    /// `paper` (the default): the engine's paper broker fills orders at live prices (Binance
    /// "demo"). `live`: orders go to the venue, with real money.
    pub mode: Mode,
    /// The config switch for live mode (instead of `--live` on the command line).
    pub live: bool,
    /// Paper mode on Alpaca with Alpaca's own paper account (orders go to
    /// paper-api.alpaca.markets) instead of the engine's paper broker.
    pub alpaca_paper_account: bool,
}

/// Paper or live trading (globally here, per strategy in `[[strategies]]`).
pub use ploutos_engine::engine::TradingMode as Mode;

impl Config {
    /// Reads and validates `path`; errors name the file and the key.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("in config file {}", path.display()))
    }

    /// Parses and validates TOML text.
    pub fn parse(text: &str) -> Result<Config> {
        let cfg: Config = toml::from_str(text)?;
        cfg.consensus.validate()?;
        anyhow::ensure!(
            cfg.analyzer.max_tickers >= 1,
            "analyzer.max_tickers = 0: must be at least 1"
        );
        anyhow::ensure!(
            matches!(cfg.feed.venue.as_str(), "replay" | "alpaca" | "binance"),
            "feed.venue = {:?}: expected \"replay\", \"alpaca\" or \"binance\"",
            cfg.feed.venue
        );
        for (i, s) in cfg.strategies.iter().enumerate() {
            let venue = s.venue.as_deref().unwrap_or(&cfg.feed.venue);
            anyhow::ensure!(
                matches!(venue, "replay" | "alpaca" | "binance"),
                "strategies[{i}] ({:?}): venue = {venue:?}: expected \"replay\", \"alpaca\" or \"binance\"",
                s.name
            );
            let mode = s.mode.unwrap_or(cfg.trading.mode);
            anyhow::ensure!(
                mode == Mode::Paper || venue != "replay",
                "strategies[{i}] ({:?}): live trading needs a live venue (\"alpaca\" or \"binance\"), not \"replay\"",
                s.name
            );
        }
        anyhow::ensure!(
            cfg.feed.speed.is_finite() && cfg.feed.speed >= 0.0,
            "feed.speed = {}: must be 0 (as fast as possible) or a positive factor",
            cfg.feed.speed
        );
        anyhow::ensure!(
            matches!(cfg.journal.synchronous.as_str(), "normal" | "full"),
            "journal.synchronous = {:?}: must be \"normal\" or \"full\"",
            cfg.journal.synchronous
        );
        anyhow::ensure!(
            cfg.journal.batch_events >= 1 && cfg.journal.keep_states >= 1,
            "journal.batch_events and journal.keep_states must be at least 1"
        );
        for (i, s) in cfg.strategies.iter().enumerate() {
            anyhow::ensure!(
                !s.symbols.is_empty(),
                "strategies[{i}] ({:?}): symbols is empty",
                s.name
            );
        }
        Ok(cfg)
    }

    /// The engine's part.
    pub fn engine(&self) -> EngineConfig {
        EngineConfig {
            strategies: self.strategies.clone(),
            risk: self.risk.clone(),
            breakers: self.breakers.clone(),
            broker: self.broker.clone(),
            instruments: self.instruments.clone(),
            execution: Default::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_valid_and_documents_the_defaults() {
        let text = include_str!("../../../ploutos.example.toml");
        let cfg = Config::parse(text).unwrap();
        let d = Config::default();
        // The sections that have defaults show exactly those defaults.
        assert_eq!(cfg.analyzer, d.analyzer);
        assert_eq!(cfg.consensus, d.consensus);
        assert_eq!(cfg.journal, d.journal);
        assert_eq!(cfg.risk, d.risk);
        assert_eq!(cfg.breakers, d.breakers);
        assert_eq!(cfg.feed.speed, d.feed.speed);
        assert_eq!(cfg.feed.warmup_bars, d.feed.warmup_bars);
        assert_eq!(cfg.trading, d.trading);
        assert_eq!(cfg.strategies.len(), 3);
    }

    #[test]
    fn errors_name_the_key() {
        let e = Config::parse("[consensus]\nrsi_periodd = 3\n").unwrap_err();
        assert!(format!("{e:#}").contains("rsi_periodd"), "{e:#}");
        let e = Config::parse("[consensus]\nmin_votes = 9\n").unwrap_err();
        assert!(
            format!("{e:#}").contains("consensus.min_votes = 9"),
            "{e:#}"
        );
    }
}
