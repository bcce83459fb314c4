//! [`ConsensusConfig`]: every period, threshold and weight of the consensus detector.

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// A configuration value out of range; names the field and the value.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("consensus.{field} = {value}: {reason}")]
pub struct ConfigError {
    pub field: &'static str,
    pub value: String,
    pub reason: &'static str,
}

/// Points of each rule at full strength (see the module docs for the formula).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RuleWeights {
    pub rsi: f64,
    pub ema: f64,
    pub macd: f64,
    pub bollinger: f64,
    pub volume: f64,
}

impl Default for RuleWeights {
    fn default() -> Self {
        RuleWeights {
            rsi: 20.0,
            ema: 20.0,
            macd: 20.0,
            bollinger: 20.0,
            volume: 20.0,
        }
    }
}

impl RuleWeights {
    pub(crate) fn as_array(&self) -> [f64; 5] {
        [self.rsi, self.ema, self.macd, self.bollinger, self.volume]
    }
}

/// Configuration of the consensus detector; every field has the documented default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConsensusConfig {
    pub rsi_period: usize,
    pub rsi_oversold: f64,
    pub rsi_overbought: f64,
    pub ema_fast: usize,
    pub ema_slow: usize,
    pub macd_fast: usize,
    pub macd_slow: usize,
    pub macd_signal: usize,
    pub bb_period: usize,
    pub bb_stddev: f64,
    pub volume_period: usize,
    pub volume_factor: f64,
    /// ATR period used to scale the EMA and MACD vote strengths.
    pub atr_period: usize,
    /// Votes needed for BUY or SELL.
    pub min_votes: u8,
    /// Alerts go out at or above this confidence.
    pub min_confidence: u8,
    pub weights: RuleWeights,
    /// Share of a rule's weight it scores at zero strength (0..=1).
    pub vote_floor: f64,
}

impl Default for ConsensusConfig {
    fn default() -> Self {
        ConsensusConfig {
            rsi_period: 14,
            rsi_oversold: 30.0,
            rsi_overbought: 70.0,
            ema_fast: 9,
            ema_slow: 21,
            macd_fast: 12,
            macd_slow: 26,
            macd_signal: 9,
            bb_period: 20,
            bb_stddev: 2.0,
            volume_period: 20,
            volume_factor: 1.5,
            atr_period: 14,
            min_votes: 3,
            min_confidence: 60,
            weights: RuleWeights::default(),
            vote_floor: 0.6,
        }
    }
}

fn err(field: &'static str, value: impl ToString, reason: &'static str) -> ConfigError {
    ConfigError {
        field,
        value: value.to_string(),
        reason,
    }
}

impl ConsensusConfig {
    /// Checks every field; the first problem is returned with its field name.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (field, v) in [
            ("rsi_period", self.rsi_period),
            ("ema_fast", self.ema_fast),
            ("ema_slow", self.ema_slow),
            ("macd_fast", self.macd_fast),
            ("macd_slow", self.macd_slow),
            ("macd_signal", self.macd_signal),
            ("bb_period", self.bb_period),
            ("volume_period", self.volume_period),
            ("atr_period", self.atr_period),
        ] {
            if !(1..=10_000).contains(&v) {
                return Err(err(field, v, "must be between 1 and 10000"));
            }
        }
        if self.rsi_period < 2 {
            return Err(err("rsi_period", self.rsi_period, "must be at least 2"));
        }
        if self.ema_fast >= self.ema_slow {
            return Err(err("ema_fast", self.ema_fast, "must be below ema_slow"));
        }
        if self.macd_fast >= self.macd_slow {
            return Err(err("macd_fast", self.macd_fast, "must be below macd_slow"));
        }
        if self.bb_period < 2 {
            return Err(err("bb_period", self.bb_period, "must be at least 2"));
        }
        if !(self.rsi_oversold > 0.0
            && self.rsi_oversold < self.rsi_overbought
            && self.rsi_overbought < 100.0)
        {
            return Err(err(
                "rsi_oversold",
                self.rsi_oversold,
                "needs 0 < rsi_oversold < rsi_overbought < 100",
            ));
        }
        if !(self.bb_stddev.is_finite() && self.bb_stddev > 0.0) {
            return Err(err(
                "bb_stddev",
                self.bb_stddev,
                "must be a positive number",
            ));
        }
        if !(self.volume_factor.is_finite() && self.volume_factor > 0.0) {
            return Err(err(
                "volume_factor",
                self.volume_factor,
                "must be a positive number",
            ));
        }
        if !(1..=5).contains(&self.min_votes) {
            return Err(err("min_votes", self.min_votes, "must be between 1 and 5"));
        }
        if self.min_confidence > 100 {
            return Err(err(
                "min_confidence",
                self.min_confidence,
                "must be between 0 and 100",
            ));
        }
        if !(0.0..=1.0).contains(&self.vote_floor) {
            return Err(err(
                "vote_floor",
                self.vote_floor,
                "must be between 0 and 1",
            ));
        }
        let w = self.weights;
        for (field, v) in [
            ("weights.rsi", w.rsi),
            ("weights.ema", w.ema),
            ("weights.macd", w.macd),
            ("weights.bollinger", w.bollinger),
            ("weights.volume", w.volume),
        ] {
            if !(v.is_finite() && (0.0..=100.0).contains(&v)) {
                return Err(err(field, v, "must be between 0 and 100"));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_named_errors_say_which_field() {
        ConsensusConfig::default().validate().unwrap();
        let c = ConsensusConfig {
            ema_fast: 30,
            ..ConsensusConfig::default()
        };
        assert_eq!(
            c.validate().unwrap_err().to_string(),
            "consensus.ema_fast = 30: must be below ema_slow"
        );
        let c = ConsensusConfig {
            min_votes: 0,
            ..ConsensusConfig::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("min_votes"));
    }

    #[test]
    fn reads_partial_toml_with_defaults() {
        let c: ConsensusConfig =
            toml::from_str("rsi_oversold = 25.0\n[weights]\nvolume = 10.0\n").unwrap();
        assert_eq!(c.rsi_oversold, 25.0);
        assert_eq!(c.weights.volume, 10.0);
        assert_eq!(c.weights.rsi, 20.0);
        assert_eq!(c.ema_slow, 21);
        assert!(toml::from_str::<ConsensusConfig>("rsi_oversoled = 1.0").is_err());
    }
}
