//! [`ConsensusDetector`]: the indicators, the five rules and the decision, per symbol.
//!
//! The hot path ([`ConsensusDetector::on_bar`]) updates the indicators in O(1) and returns a
//! [`Verdict`] by value: no allocation. Reasons are rendered to text only when a caller asks
//! ([`Verdict::reasons`], [`Verdict::to_signal`]).

use std::sync::Arc;

use ploutos_core::{Bar, IndicatorValues, Side, Signal, SignalKind, Symbol, Timestamp};
use ploutos_ta::{Atr, BollingerBands, Ema, Macd, Rsi, Sma, TaError};

use super::config::{ConfigError, ConsensusConfig};

/// The five rules, in vote order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    Rsi,
    Ema,
    Macd,
    Bollinger,
    Volume,
}

impl Rule {
    pub const ALL: [Rule; 5] = [
        Rule::Rsi,
        Rule::Ema,
        Rule::Macd,
        Rule::Bollinger,
        Rule::Volume,
    ];
}

/// What a rule saw when it voted (the numbers its reason quotes).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum VoteDetail {
    Rsi {
        rsi: f64,
    },
    Ema {
        fast: f64,
        slow: f64,
        crossed: bool,
    },
    Macd {
        macd: f64,
        signal: f64,
        crossed: bool,
    },
    Bollinger {
        close: f64,
        band: f64,
    },
    Volume {
        ratio: f64,
    },
}

/// One rule's vote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vote {
    pub rule: Rule,
    pub side: Side,
    /// 0..=1, see the module docs.
    pub strength: f64,
    /// Points this vote scores: `weight × (floor + (1 - floor) × strength)`.
    pub points: f64,
    pub detail: VoteDetail,
}

/// Every indicator value the detector computed on a bar (NaN where not ready yet).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Snapshot {
    pub rsi: f64,
    pub ema_fast: f64,
    pub ema_slow: f64,
    pub macd: f64,
    pub macd_signal: f64,
    pub macd_hist: f64,
    pub bb_upper: f64,
    pub bb_middle: f64,
    pub bb_lower: f64,
    pub atr: f64,
    pub volume: f64,
    pub volume_avg: f64,
}

/// The detector's decision on one bar.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// Open time of the bar.
    pub time: Timestamp,
    pub close: f64,
    pub kind: SignalKind,
    /// 0..=100.
    pub confidence: u8,
    pub buy_votes: u8,
    pub sell_votes: u8,
    /// Before every indicator was ready.
    pub warming_up: bool,
    /// The vote of each rule, in [`Rule::ALL`] order; `None` where the rule abstained.
    pub votes: [Option<Vote>; 5],
    pub values: Snapshot,
    /// Votes needed for a decision (from the config), for the HOLD reason.
    pub min_votes: u8,
}

/// Indicators and rules of the consensus detector, for one symbol.
#[derive(Debug, Clone)]
pub struct ConsensusDetector {
    cfg: ConsensusConfig,
    weights: [f64; 5],
    rsi: Rsi,
    ema_fast: Ema,
    ema_slow: Ema,
    macd: Macd,
    bands: BollingerBands,
    volume: Sma,
    atr: Atr,
    /// Previous bar's (fast - slow) EMA gap and (macd - signal), for cross detection.
    prev_ema_gap: f64,
    prev_macd_gap: f64,
    bars: u64,
}

fn ta(field: &'static str, e: TaError) -> ConfigError {
    ConfigError {
        field,
        value: e.to_string(),
        reason: "rejected by the indicator",
    }
}

#[inline]
fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

#[inline]
fn or_nan<T>(v: Option<T>, f: impl Fn(T) -> f64) -> f64 {
    v.map_or(f64::NAN, f)
}

impl ConsensusDetector {
    /// A detector with `cfg` (validated).
    pub fn new(cfg: ConsensusConfig) -> Result<Self, ConfigError> {
        cfg.validate()?;
        Ok(ConsensusDetector {
            weights: cfg.weights.as_array(),
            rsi: Rsi::new(cfg.rsi_period).map_err(|e| ta("rsi_period", e))?,
            ema_fast: Ema::new(cfg.ema_fast).map_err(|e| ta("ema_fast", e))?,
            ema_slow: Ema::new(cfg.ema_slow).map_err(|e| ta("ema_slow", e))?,
            macd: Macd::new(cfg.macd_fast, cfg.macd_slow, cfg.macd_signal)
                .map_err(|e| ta("macd", e))?,
            bands: BollingerBands::new(cfg.bb_period, cfg.bb_stddev, cfg.bb_stddev)
                .map_err(|e| ta("bb_period", e))?,
            volume: Sma::new(cfg.volume_period).map_err(|e| ta("volume_period", e))?,
            atr: Atr::new(cfg.atr_period).map_err(|e| ta("atr_period", e))?,
            prev_ema_gap: f64::NAN,
            prev_macd_gap: f64::NAN,
            bars: 0,
            cfg,
        })
    }

    /// The configuration.
    pub fn config(&self) -> &ConsensusConfig {
        &self.cfg
    }

    /// Bars seen so far.
    pub fn bars_seen(&self) -> u64 {
        self.bars
    }

    /// Bars needed before the first real verdict (34 with the defaults).
    pub fn warmup_bars(&self) -> usize {
        [
            self.rsi.lookback(),
            self.ema_fast.lookback(),
            self.ema_slow.lookback(),
            self.macd.lookback(),
            self.bands.lookback(),
            self.volume.lookback(),
            self.atr.lookback(),
        ]
        .into_iter()
        .max()
        .unwrap_or(0)
            + 1
    }

    fn points(&self, rule: Rule, strength: f64) -> f64 {
        let floor = self.cfg.vote_floor;
        self.weights[rule as usize] * (floor + (1.0 - floor) * strength)
    }

    fn vote(&self, rule: Rule, side: Side, strength: f64, detail: VoteDetail) -> Option<Vote> {
        let strength = clamp01(strength);
        Some(Vote {
            rule,
            side,
            strength,
            points: self.points(rule, strength),
            detail,
        })
    }

    /// Updates every indicator with a closed bar and decides.
    pub fn on_bar(&mut self, bar: &Bar) -> Verdict {
        self.bars += 1;
        let close = bar.close();
        let rsi = self.rsi.update(close);
        let ema_fast = self.ema_fast.update(close);
        let ema_slow = self.ema_slow.update(close);
        let macd = self.macd.update(close);
        let bands = self.bands.update(close);
        let vol_avg = self.volume.update(bar.volume());
        let atr = self.atr.update(bar.high(), bar.low(), close);

        let values = Snapshot {
            rsi: or_nan(rsi, |v| v),
            ema_fast: or_nan(ema_fast, |v| v),
            ema_slow: or_nan(ema_slow, |v| v),
            macd: or_nan(macd, |m| m.macd),
            macd_signal: or_nan(macd, |m| m.signal),
            macd_hist: or_nan(macd, |m| m.hist),
            bb_upper: or_nan(bands, |b| b.upper),
            bb_middle: or_nan(bands, |b| b.middle),
            bb_lower: or_nan(bands, |b| b.lower),
            atr: or_nan(atr, |v| v),
            volume: bar.volume(),
            volume_avg: or_nan(vol_avg, |v| v),
        };
        let ema_gap = values.ema_fast - values.ema_slow;
        let macd_gap = values.macd - values.macd_signal;
        let prev_ema_gap = std::mem::replace(&mut self.prev_ema_gap, ema_gap);
        let prev_macd_gap = std::mem::replace(&mut self.prev_macd_gap, macd_gap);

        let mut verdict = Verdict {
            time: bar.time(),
            close,
            kind: SignalKind::Hold,
            confidence: 0,
            buy_votes: 0,
            sell_votes: 0,
            warming_up: true,
            votes: [None; 5],
            values,
            min_votes: self.cfg.min_votes,
        };
        let (Some(rsi), Some(_), Some(_), Some(m), Some(bb), Some(vol_avg), Some(atr)) =
            (rsi, ema_fast, ema_slow, macd, bands, vol_avg, atr)
        else {
            return verdict;
        };
        verdict.warming_up = false;
        let c = &self.cfg;

        // 1. RSI (abstains on TA-Lib's "no movement" RSI of exactly 0 with flat averages).
        verdict.votes[0] = if rsi < c.rsi_oversold && !self.rsi_is_flat() {
            self.vote(
                Rule::Rsi,
                Side::Buy,
                (c.rsi_oversold - rsi) / c.rsi_oversold,
                VoteDetail::Rsi { rsi },
            )
        } else if rsi > c.rsi_overbought {
            self.vote(
                Rule::Rsi,
                Side::Sell,
                (rsi - c.rsi_overbought) / (100.0 - c.rsi_overbought),
                VoteDetail::Rsi { rsi },
            )
        } else {
            None
        };

        // 2. EMA fast vs slow.
        verdict.votes[1] = if ema_gap != 0.0 && !ema_gap.is_nan() {
            let side = if ema_gap > 0.0 { Side::Buy } else { Side::Sell };
            let crossed = !prev_ema_gap.is_nan()
                && (prev_ema_gap == 0.0 || (prev_ema_gap > 0.0) != (ema_gap > 0.0));
            let strength = if crossed { 1.0 } else { ema_gap.abs() / atr };
            let detail = VoteDetail::Ema {
                fast: values.ema_fast,
                slow: values.ema_slow,
                crossed,
            };
            self.vote(Rule::Ema, side, strength, detail)
        } else {
            None
        };

        // 3. MACD vs its signal line.
        verdict.votes[2] = if macd_gap != 0.0 && !macd_gap.is_nan() {
            let side = if macd_gap > 0.0 {
                Side::Buy
            } else {
                Side::Sell
            };
            let crossed = !prev_macd_gap.is_nan()
                && (prev_macd_gap == 0.0 || (prev_macd_gap > 0.0) != (macd_gap > 0.0));
            let strength = if crossed {
                1.0
            } else {
                m.hist.abs() / (0.25 * atr)
            };
            let detail = VoteDetail::Macd {
                macd: m.macd,
                signal: m.signal,
                crossed,
            };
            self.vote(Rule::Macd, side, strength, detail)
        } else {
            None
        };

        // 4. Bollinger bands (abstain when TA-Lib collapsed them to zero width).
        let sigma = (bb.upper - bb.middle) / c.bb_stddev;
        verdict.votes[3] = if sigma > 0.0 && close < bb.lower {
            self.vote(
                Rule::Bollinger,
                Side::Buy,
                (bb.lower - close) / sigma,
                VoteDetail::Bollinger {
                    close,
                    band: bb.lower,
                },
            )
        } else if sigma > 0.0 && close > bb.upper {
            self.vote(
                Rule::Bollinger,
                Side::Sell,
                (close - bb.upper) / sigma,
                VoteDetail::Bollinger {
                    close,
                    band: bb.upper,
                },
            )
        } else {
            None
        };

        // 5. Volume spike in the bar's direction.
        let ratio = if vol_avg > 0.0 {
            bar.volume() / vol_avg
        } else {
            0.0
        };
        verdict.votes[4] = if ratio > c.volume_factor && close != bar.open() {
            let side = if close > bar.open() {
                Side::Buy
            } else {
                Side::Sell
            };
            self.vote(
                Rule::Volume,
                side,
                (ratio - c.volume_factor) / c.volume_factor,
                VoteDetail::Volume { ratio },
            )
        } else {
            None
        };

        let (mut buy_pts, mut sell_pts) = (0.0, 0.0);
        for v in verdict.votes.iter().flatten() {
            match v.side {
                Side::Buy => {
                    verdict.buy_votes += 1;
                    buy_pts += v.points;
                }
                Side::Sell => {
                    verdict.sell_votes += 1;
                    sell_pts += v.points;
                }
            }
        }
        let (b, s, min) = (verdict.buy_votes, verdict.sell_votes, c.min_votes);
        let (kind, score) = if b >= min && b > s {
            (SignalKind::Buy, buy_pts)
        } else if s >= min && s > b {
            (SignalKind::Sell, sell_pts)
        } else {
            (SignalKind::Hold, 100.0 - f64::max(buy_pts, sell_pts))
        };
        verdict.kind = kind;
        verdict.confidence = (score + 0.5).floor().clamp(0.0, 100.0) as u8;
        verdict
    }

    fn rsi_is_flat(&self) -> bool {
        self.rsi.is_flat()
    }
}

impl Verdict {
    /// Whether this verdict is an alert at `min_confidence`: BUY or SELL at or above it.
    pub fn is_alert(&self, min_confidence: u8) -> bool {
        self.kind != SignalKind::Hold && self.confidence >= min_confidence
    }

    /// The indicator values by name (NaN values are kept and serialize as null).
    pub fn indicator_values(&self) -> IndicatorValues {
        let v = &self.values;
        let mut out = IndicatorValues::with_capacity(13);
        for (name, x) in [
            ("rsi", v.rsi),
            ("ema_fast", v.ema_fast),
            ("ema_slow", v.ema_slow),
            ("macd", v.macd),
            ("macd_signal", v.macd_signal),
            ("macd_hist", v.macd_hist),
            ("bb_upper", v.bb_upper),
            ("bb_middle", v.bb_middle),
            ("bb_lower", v.bb_lower),
            ("atr", v.atr),
            ("volume", v.volume),
            ("volume_avg", v.volume_avg),
        ] {
            out.push(name, x);
        }
        out
    }

    /// The full signal for output, journaling or notification.
    pub fn to_signal(&self, symbol: &Symbol, strategy: &Arc<str>) -> Signal {
        Signal {
            symbol: symbol.clone(),
            time: self.time,
            kind: self.kind,
            confidence: self.confidence,
            buy_votes: self.buy_votes,
            sell_votes: self.sell_votes,
            current_price: self.close,
            reasons: self.reasons(),
            indicators: self.indicator_values(),
            strategy: Arc::clone(strategy),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ploutos_core::synth::{SynthBars, SynthConfig};

    fn bar(i: i64, o: f64, c: f64, v: f64) -> Bar {
        Bar::new(
            Timestamp::from_secs(i * 60).unwrap(),
            o,
            o.max(c),
            o.min(c),
            c,
            v,
        )
        .unwrap()
    }

    #[test]
    fn a_flat_market_is_a_confident_hold_not_oversold() {
        let mut d = ConsensusDetector::new(ConsensusConfig::default()).unwrap();
        let mut last = None;
        for i in 0..60 {
            last = Some(d.on_bar(&bar(i, 10.0, 10.0, 100.0)));
        }
        let v = last.unwrap();
        assert_eq!(
            v.values.rsi, 0.0,
            "TA-Lib 0.8 reports 0 for a window without movement"
        );
        assert_eq!(v.votes, [None; 5]);
        assert_eq!((v.kind, v.confidence), (SignalKind::Hold, 100));
        assert_eq!(
            v.reasons(),
            vec!["No consensus (0 buy / 0 sell, 3 needed)".to_string()]
        );
    }

    #[test]
    fn a_steady_fall_votes_buy_on_rsi_and_bands_and_sell_on_trend() {
        let mut d = ConsensusDetector::new(ConsensusConfig::default()).unwrap();
        let mut p = 100.0;
        let mut v = None;
        for i in 0..40 {
            let next = p * 0.99;
            v = Some(d.on_bar(&bar(i, p, next, 100.0)));
            p = next;
        }
        let v = v.unwrap();
        let side = |r: Rule| v.votes[r as usize].map(|x| x.side);
        assert_eq!(side(Rule::Rsi), Some(Side::Buy), "RSI {}", v.values.rsi);
        assert_eq!(side(Rule::Ema), Some(Side::Sell));
        assert_eq!(side(Rule::Volume), None, "flat volume casts no vote");
        assert!(
            v.reasons()[0].starts_with("RSI oversold (0.0)"),
            "{:?}",
            v.reasons()
        );
    }

    #[test]
    fn every_vote_scores_between_floor_and_weight_and_confidence_is_bounded() {
        let mut d = ConsensusDetector::new(ConsensusConfig::default()).unwrap();
        for b in SynthBars::new(SynthConfig {
            sigma: 0.01,
            ..SynthConfig::default()
        })
        .take(5_000)
        {
            let v = d.on_bar(&b);
            assert!(v.confidence <= 100);
            for vote in v.votes.iter().flatten() {
                assert!((12.0..=20.0).contains(&vote.points), "{vote:?}");
                assert!((0.0..=1.0).contains(&vote.strength));
            }
            let n = v.buy_votes + v.sell_votes;
            assert_eq!(n as usize, v.votes.iter().flatten().count());
            if v.kind == SignalKind::Buy {
                assert!(v.buy_votes >= 3 && v.buy_votes > v.sell_votes);
            }
        }
    }
}
