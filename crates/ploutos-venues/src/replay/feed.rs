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

    /// Cancel-safe: the event is taken only after the wait, so a caller that drops the future
    /// mid-wait (a `select!` on Ctrl-C or a timer) loses nothing and the next call waits for
    /// the rest of the same gap.
    async fn next_paced(&mut self) -> Option<MarketEvent> {
        let time = self.replay.peek_time()?;
        if self.speed > 0.0 {
            let due = match self.last {
                Some((prev_time, prev_due)) => {
                    let gap = time.as_nanos().saturating_sub(prev_time.as_nanos());
                    prev_due + self.wall_gap(gap)
                }
                None => Instant::now(),
            };
            tokio::time::sleep_until(due).await;
            self.last = Some((time, due));
        }
        self.replay.next()
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

#[cfg(test)]
mod cancel_tests {
    use super::*;
    use crate::replay::{Replay, ReplayStream};
    use ploutos_core::{Bar, Timeframe, Timestamp};

    #[tokio::test(start_paused = true)]
    async fn dropping_a_pending_next_event_loses_nothing() {
        let bars: Vec<Bar> = (0..5)
            .map(|i| {
                Bar::new(
                    Timestamp::from_secs(i * 60).unwrap(),
                    1.0,
                    1.0,
                    1.0,
                    1.0,
                    1.0,
                )
                .unwrap()
            })
            .collect();
        let sym = Symbol::new("X").unwrap();
        let stream = ReplayStream::bars(sym, Timeframe::M1, bars).unwrap();
        let mut feed = ReplayFeed::new(Replay::new(vec![stream]), 60.0, Duration::from_secs(5));
        let mut got = 0;
        loop {
            // A timer that fires before the (1 s) pacing gap: the feed's future is dropped.
            tokio::select! {
                biased;
                _ = tokio::time::sleep(Duration::from_millis(300)) => continue,
                ev = feed.next_event() => match ev.unwrap() {
                    Some(_) => got += 1,
                    None => break,
                },
            }
        }
        assert_eq!(got, 5);
    }
}
