//! [`ReplayFeed`]: a [`Replay`] behind the async [`Feed`] trait, optionally paced.

use std::time::Duration;

use ploutos_core::{MarketEvent, Symbol, Timestamp};
use tokio::time::Instant;

use crate::feed::{EventFuture, Feed};
use crate::replay::merge::Replay;

/// Replays merged history as a [`Feed`]. At speed 0 events come as fast as they are asked
/// for; at speed k each event is due `(its time − the previous event's time) / k` of wall
/// time after the previous one, each such wait capped at `max_gap`. The schedule is kept
/// from the first event on (tokio's clock), so a consumer that falls behind gets the
/// overdue events without further waiting rather than drifting.
#[derive(Debug)]
pub struct ReplayFeed {
    replay: Replay,
    speed: f64,
    max_gap: Duration,
    last: Option<(Timestamp, Instant)>,
}

impl ReplayFeed {
    /// Wraps `replay`; `speed` 0 means unpaced (a negative or non-finite speed is treated
    /// as 0; [`ReplayConfig::build`](crate::replay::ReplayConfig::build) rejects them).
    pub fn new(replay: Replay, speed: f64, max_gap: Duration) -> Self {
        let speed = if speed.is_finite() && speed > 0.0 {
            speed
        } else {
            0.0
        };
        ReplayFeed {
            replay,
            speed,
            max_gap,
            last: None,
        }
    }

    /// Events not yet delivered.
    pub fn remaining(&self) -> usize {
        self.replay.len()
    }

    /// The wall-clock wait owed for a gap of `nanos` market time.
    fn wall_gap(&self, nanos: i64) -> Duration {
        let scaled = nanos.max(0) as f64 / self.speed;
        let cap = self.max_gap.as_nanos() as f64;
        Duration::from_nanos(scaled.min(cap) as u64)
    }

    async fn next_paced(&mut self) -> Option<MarketEvent> {
        let event = self.replay.next()?;
        if self.speed > 0.0 {
            let due = match self.last {
                Some((prev_time, prev_due)) => {
                    let gap = event.time().as_nanos().saturating_sub(prev_time.as_nanos());
                    prev_due + self.wall_gap(gap)
                }
                None => Instant::now(),
            };
            tokio::time::sleep_until(due).await;
            self.last = Some((event.time(), due));
        }
        Some(event)
    }
}

impl Feed for ReplayFeed {
    fn name(&self) -> &str {
        "replay"
    }

    fn symbols(&self) -> &[Symbol] {
        self.replay.symbols()
    }

    fn next_event(&mut self) -> EventFuture<'_> {
        Box::pin(async move { Ok(self.next_paced().await) })
    }
}
