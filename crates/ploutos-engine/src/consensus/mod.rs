//! The five-indicator consensus detector (strategy kind `consensus`).
//!
//! On every closed bar, once all of its indicators are ready, five rules each cast at most
//! one vote:
//!
//! | # | rule | buy vote | sell vote | strength `s` in [0, 1] |
//! |---|------|----------|-----------|------------------------|
//! | 1 | RSI(14) | RSI < 30 | RSI > 70 | buy `(30 - RSI) / 30`, sell `(RSI - 70) / 30` |
//! | 2 | EMA(9) vs EMA(21) | fast above slow | fast below slow | 1 on the bar they crossed, else `|fast - slow| / ATR(14)` |
//! | 3 | MACD(12,26,9) vs signal | MACD above signal | below | 1 on a fresh cross, else `|hist| / (0.25 ATR(14))` |
//! | 4 | Bollinger(20, 2σ) | close below lower band | close above upper band | distance beyond the band in σ |
//! | 5 | volume vs SMA(20) of volume (this bar included) | volume > 1.5× average on an up bar (close > open) | same on a down bar | `(ratio - 1.5) / 1.5` |
//!
//! Every strength is clamped to [0, 1]. A rule that votes scores
//! `points = weight × (floor + (1 - floor) × s)` with `weight = 20` per rule and `floor = 0.6`,
//! so one vote is worth 12 to 20 points and five unanimous votes 60 to 100.
//!
//! **Decision**: BUY when buy votes ≥ `min_votes` (3) and buy votes > sell votes; SELL likewise;
//! otherwise HOLD.
//!
//! **Confidence** (0–100, rounded half up): for BUY the points of the buy votes, for SELL the
//! points of the sell votes; for HOLD `100 - max(buy points, sell points)`: a bar with no votes
//! is a confident HOLD (100), a bar one vote short of a BUY a weak one. While warming up
//! (before every indicator is ready; from the 34th bar on with the defaults) the verdict is HOLD
//! with 0 votes, confidence 0 and the reason "warming up".
//!
//! Alerts go out only for BUY/SELL with confidence ≥ `min_confidence` (60).
//!
//! TA-Lib quirks that reach the rules: TA-Lib 0.8's RSI is 0 when the window had no movement
//! at all (average gain plus loss not above 0); the RSI rule abstains there rather than calling
//! a flat market oversold. The Bollinger rule abstains when the bands have zero width (a flat
//! window).

mod config;
mod detector;
mod reasons;

pub use config::{ConfigError, ConsensusConfig, RuleWeights};
pub use detector::{ConsensusDetector, Rule, Snapshot, Verdict, Vote, VoteDetail};
