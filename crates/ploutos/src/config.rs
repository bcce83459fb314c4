//! `ploutos.toml`: the configuration file (see ploutos.example.toml at the repository root).

use std::path::Path;

use anyhow::{Context, Result};
use ploutos_engine::consensus::ConsensusConfig;
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

/// The whole file. Unknown keys are errors that name the key.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub analyzer: AnalyzerConfig,
    pub consensus: ConsensusConfig,
}

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
        Ok(cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_file_is_valid_and_equals_the_defaults() {
        let text = include_str!("../../../ploutos.example.toml");
        assert_eq!(Config::parse(text).unwrap(), Config::default());
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
