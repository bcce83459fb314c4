//! [`ReplayConfig`]: what to replay and how fast.

use std::path::PathBuf;
use std::time::Duration;

use crate::error::FeedError;
use crate::replay::feed::ReplayFeed;
use crate::replay::merge::Replay;
use crate::replay::source::ReplaySource;

/// The default cap on one sleep between events, in wall time.
pub const DEFAULT_MAX_GAP: Duration = Duration::from_secs(5);

/// Sources and pacing of a replay. Built by chaining:
///
/// ```no_run
/// # use ploutos_venues::replay::{ReplayConfig, ReplaySource};
/// # use std::time::Duration;
/// let feed = ReplayConfig::new()
///     .file("data/samples/btcusdt_binance_1m.csv")
///     .source(ReplaySource::parse("XRP/ETH=data/samples/xrpeth_binance_trades.csv"))
///     .speed(60.0)
///     .max_gap(Duration::from_secs(2))
///     .build()?;
/// # Ok::<(), ploutos_venues::FeedError>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ReplayConfig {
    sources: Vec<ReplaySource>,
    speed: f64,
    max_gap: Duration,
}

impl Default for ReplayConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl ReplayConfig {
    /// No sources, speed 0 (as fast as possible), gaps capped at 5 s.
    pub fn new() -> Self {
        ReplayConfig {
            sources: Vec::new(),
            speed: 0.0,
            max_gap: DEFAULT_MAX_GAP,
        }
    }

    /// Adds a source. Sources listed earlier win ties in time.
    pub fn source(mut self, source: ReplaySource) -> Self {
        self.sources.push(source);
        self
    }

    /// Adds a file (kind detected, symbol from the name).
    pub fn file(self, path: impl Into<PathBuf>) -> Self {
        self.source(ReplaySource::new(path))
    }

    /// Pacing: 0 replays as fast as possible; `k > 0` replays at k × real time (60 plays an
    /// hour of market time in a minute).
    pub fn speed(mut self, speed: f64) -> Self {
        self.speed = speed;
        self
    }

    /// The longest wall-clock wait between two events when paced (default 5 s), so that
    /// overnight and weekend gaps do not stall a demo.
    pub fn max_gap(mut self, max_gap: Duration) -> Self {
        self.max_gap = max_gap;
        self
    }

    /// The sources.
    pub fn sources(&self) -> &[ReplaySource] {
        &self.sources
    }

    /// The speed factor.
    pub fn speed_factor(&self) -> f64 {
        self.speed
    }

    /// The gap cap.
    pub fn max_gap_duration(&self) -> Duration {
        self.max_gap
    }

    /// Reads every source and returns the merged events as a synchronous iterator (pacing
    /// does not apply).
    pub fn load(&self) -> Result<Replay, FeedError> {
        if self.sources.is_empty() {
            return Err(FeedError::Config("no sources to replay".to_string()));
        }
        let streams = self
            .sources
            .iter()
            .map(ReplaySource::load)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Replay::new(streams))
    }

    /// Reads every source and returns the paced feed.
    pub fn build(&self) -> Result<ReplayFeed, FeedError> {
        if !(self.speed.is_finite() && self.speed >= 0.0) {
            return Err(FeedError::Config(format!(
                "speed {} must be a finite number >= 0 (0 = as fast as possible)",
                self.speed
            )));
        }
        Ok(ReplayFeed::new(self.load()?, self.speed, self.max_gap))
    }
}
