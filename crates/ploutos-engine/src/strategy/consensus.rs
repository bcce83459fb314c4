//! Kind `consensus`: the five-indicator [`ConsensusDetector`] as a strategy.
//!
//! **Rule**: every closed bar goes to the detector (see [`crate::consensus`] for its five
//! rules, votes and confidence). A BUY or SELL verdict is returned as a [`Signal`] exactly
//! as [`Verdict::to_signal`](crate::consensus::Verdict::to_signal) builds it (its confidence,
//! votes, reasons and the twelve indicator values); a HOLD verdict, including the warm-up
//! bars, is `None`. `min_confidence` is not applied here: it is the alerting threshold, and
//! the signal carries its confidence for whoever filters.
//!
//! **Parameters**: the fields of [`ConsensusConfig`] with its defaults (`rsi_period = 14`,
//! `ema_fast = 9`, `ema_slow = 21`, `min_votes = 3`, …, and a `[weights]` sub-table).
//!
//! **Warm-up**: [`ConsensusDetector::warmup_bars`] (34 bars with the defaults).

use ploutos_core::{Bar, Signal, SignalKind};
use toml::{Table, Value};

use super::registry::{show_value, Constructor, StrategyError};
use super::skim::{Pending, Quiet};
use super::{SignalSink, Strategy, StrategyCtx};
use crate::consensus::{ConsensusConfig, ConsensusDetector, Verdict};

/// The kind name.
pub const KIND: &str = "consensus";

/// Registry entry.
pub const CONSTRUCTOR: Constructor = Constructor {
    build: from_params,
    description: "five-indicator vote (RSI 14 30/70, EMA 9/21, MACD 12/26/9, BB 20/2, \
                  volume 1.5x SMA20): BUY/SELL on >= min_votes (3) agreeing votes; params = \
                  consensus config fields",
};

/// The consensus detector on one symbol.
#[derive(Debug, Clone)]
pub struct ConsensusStrategy {
    detector: ConsensusDetector,
    /// The verdict on the bar a skim stopped on.
    pending: Option<Pending<Verdict>>,
}

impl ConsensusStrategy {
    /// A strategy with `cfg` (validated; errors name the field).
    pub fn new(cfg: ConsensusConfig) -> Result<Self, StrategyError> {
        let detector = ConsensusDetector::new(cfg).map_err(|e| StrategyError::InvalidParam {
            kind: KIND,
            param: e.field.to_owned(),
            value: e.value,
            reason: e.reason.to_owned(),
        })?;
        Ok(ConsensusStrategy {
            detector,
            pending: None,
        })
    }

    /// The detector (configuration, bars seen).
    pub fn detector(&self) -> &ConsensusDetector {
        &self.detector
    }
}

/// Registry constructor: [`config_from_params`] then [`ConsensusStrategy::new`].
pub fn from_params(params: &Table) -> Result<Box<dyn Strategy>, StrategyError> {
    Ok(Box::new(ConsensusStrategy::new(config_from_params(
        params,
    )?)?))
}

fn invalid(param: String, value: &Value, reason: impl ToString) -> StrategyError {
    StrategyError::InvalidParam {
        kind: KIND,
        param,
        value: show_value(value),
        reason: reason.to_string().trim().to_owned(),
    }
}

/// Reads a [`ConsensusConfig`] from a parameter table (missing fields take their defaults);
/// an unknown or mistyped field is reported by name (`weights.rsi` inside `[weights]`).
/// The values are not range-checked here (see [`ConsensusConfig::validate`]).
pub fn config_from_params(params: &Table) -> Result<ConsensusConfig, StrategyError> {
    // The known names: the fields of the default configuration, serialized.
    if let Ok(Value::Table(defaults)) = Value::try_from(ConsensusConfig::default()) {
        let known = |t: &Table, prefix: &str| {
            t.keys()
                .map(|k| format!("{prefix}{k}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        for (k, v) in params {
            match (defaults.get(k), v) {
                (None, _) => {
                    return Err(StrategyError::UnknownParam {
                        kind: KIND,
                        param: k.clone(),
                        value: show_value(v),
                        known: known(&defaults, ""),
                    })
                }
                (Some(Value::Table(sub)), Value::Table(given)) => {
                    if let Some((sk, sv)) = given.iter().find(|(sk, _)| !sub.contains_key(*sk)) {
                        return Err(StrategyError::UnknownParam {
                            kind: KIND,
                            param: format!("{k}.{sk}"),
                            value: show_value(sv),
                            known: known(sub, &format!("{k}.")),
                        });
                    }
                }
                _ => {}
            }
        }
    }
    match Value::Table(params.clone()).try_into::<ConsensusConfig>() {
        Ok(cfg) => Ok(cfg),
        Err(whole) => {
            // Find the culprit: each field alone over the defaults.
            let alone = |k: &str, v: &Value| {
                let mut t = Table::new();
                t.insert(k.to_owned(), v.clone());
                Value::Table(t).try_into::<ConsensusConfig>().err()
            };
            for (k, v) in params {
                if let Value::Table(given) = v {
                    for (sk, sv) in given {
                        let mut sub = Table::new();
                        sub.insert(sk.clone(), sv.clone());
                        if let Some(e) = alone(k, &Value::Table(sub)) {
                            return Err(invalid(format!("{k}.{sk}"), sv, e));
                        }
                    }
                }
                if let Some(e) = alone(k, v) {
                    return Err(invalid(k.clone(), v, e));
                }
            }
            Err(invalid(
                "(table)".to_owned(),
                &Value::Table(params.clone()),
                whole,
            ))
        }
    }
}

impl Strategy for ConsensusStrategy {
    fn kind(&self) -> &'static str {
        KIND
    }

    fn warmup(&self) -> usize {
        self.detector.warmup_bars()
    }

    fn skim(&mut self, bars: &[Bar], quiet: &mut Quiet) -> usize {
        for (n, bar) in bars.iter().enumerate() {
            let verdict = self.detector.on_bar(bar);
            let kind = (verdict.kind != SignalKind::Hold).then_some(verdict.kind);
            if !quiet.pass(kind, bar.close()) {
                self.pending = Some(Pending::new(bar, verdict));
                return n;
            }
        }
        bars.len()
    }

    fn on_bar(&mut self, bar: &Bar, _ctx: &StrategyCtx, out: &SignalSink<'_>) -> Option<Signal> {
        let verdict =
            Pending::take(&mut self.pending, bar).unwrap_or_else(|| self.detector.on_bar(bar));
        if verdict.kind == SignalKind::Hold {
            None
        } else if !out.words {
            let mut bare = out.repeat(bar, verdict.kind, verdict.confidence);
            bare.buy_votes = verdict.buy_votes;
            bare.sell_votes = verdict.sell_votes;
            Some(bare)
        } else {
            Some(verdict.to_signal(out.symbol, out.strategy))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use ploutos_core::{Symbol, Timestamp};

    use super::*;

    #[test]
    fn signals_are_the_detectors_buy_and_sell_verdicts() {
        let symbol = Symbol::new("TEST").unwrap();
        let name: Arc<str> = Arc::from("c1");
        let sink = SignalSink {
            symbol: &symbol,
            strategy: &name,
            repeat_of: None,
            words: true,
        };
        let mut s = ConsensusStrategy::new(ConsensusConfig::default()).unwrap();
        let mut d = ConsensusDetector::new(ConsensusConfig::default()).unwrap();
        assert_eq!(s.warmup(), 34);
        // A slow sine with growing swings and volume spikes on the turns: both sides vote.
        let (mut buys, mut sells) = (0, 0);
        let mut prev = 100.0;
        for i in 0..2_000_i64 {
            let t = i as f64;
            let close = 100.0 + (t / 15.0).sin() * (2.0 + t / 200.0);
            let volume = if i % 47 < 3 { 5_000.0 } else { 1_000.0 };
            let bar = Bar::new(
                Timestamp::from_secs(i * 60).unwrap(),
                prev,
                prev.max(close) + 0.1,
                prev.min(close) - 0.1,
                close,
                volume,
            )
            .unwrap();
            prev = close;
            let v = d.on_bar(&bar);
            let got = s.on_bar(&bar, &StrategyCtx::default(), &sink);
            match v.kind {
                SignalKind::Hold => assert!(got.is_none(), "bar {i}"),
                _ => {
                    assert_eq!(got, Some(v.to_signal(&symbol, &name)), "bar {i}");
                    assert!(i as usize >= s.warmup() - 1);
                    buys += (v.kind == SignalKind::Buy) as usize;
                    sells += (v.kind == SignalKind::Sell) as usize;
                }
            }
        }
        assert!(buys > 0 && sells > 0, "{buys} buys, {sells} sells");
    }
}
