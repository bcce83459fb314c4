//! [`Clock`]: where the engine gets "now". Live trading reads the system clock; backtests and
//! replays run on a [`SimClock`] that the data drives, so no wall-clock time leaks in and the
//! same input gives the same output.

use std::sync::atomic::{AtomicI64, Ordering};

use crate::time::Timestamp;

/// The engine's notion of the current time.
pub trait Clock: Send + Sync {
    fn now(&self) -> Timestamp;
}

/// The system clock (UTC).
#[derive(Debug, Clone, Copy, Default)]
pub struct LiveClock;

impl Clock for LiveClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_datetime(chrono::Utc::now()).unwrap_or(Timestamp::EPOCH)
    }
}

/// A clock moved by the data: [`SimClock::advance_to`] with each event's time. It never goes
/// backwards.
#[derive(Debug, Default)]
pub struct SimClock(AtomicI64);

impl SimClock {
    /// A clock standing at `t`.
    pub fn new(t: Timestamp) -> Self {
        SimClock(AtomicI64::new(t.as_nanos()))
    }

    /// Moves the clock to `t` if that is later; returns the time it then shows.
    pub fn advance_to(&self, t: Timestamp) -> Timestamp {
        let prev = self.0.fetch_max(t.as_nanos(), Ordering::Relaxed);
        Timestamp::from_nanos(prev.max(t.as_nanos()))
    }
}

impl Clock for SimClock {
    fn now(&self) -> Timestamp {
        Timestamp::from_nanos(self.0.load(Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sim_clock_only_moves_forward() {
        let c = SimClock::new(Timestamp::from_nanos(10));
        assert_eq!(
            c.advance_to(Timestamp::from_nanos(20)),
            Timestamp::from_nanos(20)
        );
        assert_eq!(
            c.advance_to(Timestamp::from_nanos(5)),
            Timestamp::from_nanos(20)
        );
        assert_eq!(c.now(), Timestamp::from_nanos(20));
        assert!(LiveClock.now() > Timestamp::from_secs(1_700_000_000).unwrap());
    }
}
