//! Circuit breakers: conditions that pause new entries (exits keep running) until what
//! resumes them happens.
//!
//! | breaker | trips when (defaults) | resumes (default) |
//! |---|---|---|
//! | drawdown | equity falls more than 20% below its peak | explicit resume |
//! | daily loss | equity falls more than 5% below the day's starting equity | next trading day |
//! | losing streak | 5 losing round trips in a row | next trading day |
//! | trades per day | more than 50 new trades in a day | next trading day |
//!
//! Each scope (every strategy, and the whole engine) has its own [`BreakerSet`]. The panic
//! command is a manual pause of the global scope that only an explicit resume lifts. A day is
//! the UTC calendar day (the engine passes the NYSE trading day for stock-only setups).

use ploutos_core::money::is_positive;
use ploutos_core::{Decimal, Timestamp};
use serde::{Deserialize, Serialize};

/// Which breaker.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Breaker {
    Drawdown,
    DailyLoss,
    LosingStreak,
    TradesPerDay,
    /// The panic command, or a pause asked for by hand.
    Manual,
}

/// What lifts a pause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "when", rename_all = "snake_case", deny_unknown_fields)]
pub enum Resume {
    /// The next trading day.
    NextDay,
    /// After this many minutes.
    After { minutes: u32 },
    /// Only an explicit `ploutos resume`.
    Manual,
}

/// One breaker's threshold and resume rule.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit<T> {
    pub threshold: T,
    pub resume: Resume,
}

/// `[breakers]` configuration (applied per strategy and globally).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BreakerConfig {
    /// Percent below peak equity.
    pub max_drawdown_pct: Limit<Decimal>,
    /// Percent below the day's starting equity.
    pub daily_loss_pct: Limit<Decimal>,
    pub losing_streak: Limit<u32>,
    pub max_trades_per_day: Limit<u32>,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        BreakerConfig {
            max_drawdown_pct: Limit {
                threshold: Decimal::from(20),
                resume: Resume::Manual,
            },
            daily_loss_pct: Limit {
                threshold: Decimal::from(5),
                resume: Resume::NextDay,
            },
            losing_streak: Limit {
                threshold: 5,
                resume: Resume::NextDay,
            },
            max_trades_per_day: Limit {
                threshold: 50,
                resume: Resume::NextDay,
            },
        }
    }
}

/// An active pause.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pause {
    pub breaker: Breaker,
    pub since: Timestamp,
    pub resume: Resume,
    pub reason: String,
}

/// A trip or a resume, for the event stream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum BreakerChange {
    Tripped(Pause),
    Resumed {
        breaker: Breaker,
        at: Timestamp,
        by: String,
    },
}

/// The breakers of one scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BreakerSet {
    pub peak_equity: Decimal,
    pub day: i64,
    pub day_start_equity: Decimal,
    pub losing_streak: u32,
    pub trades_today: u32,
    pub paused: Option<Pause>,
}

impl BreakerSet {
    /// Breakers for a scope starting with `equity` on `day` (days since the epoch).
    pub fn new(equity: Decimal, day: i64) -> Self {
        BreakerSet {
            peak_equity: equity,
            day,
            day_start_equity: equity,
            losing_streak: 0,
            trades_today: 0,
            paused: None,
        }
    }

    /// Whether new entries are blocked, and why.
    pub fn pause_reason(&self) -> Option<&str> {
        self.paused.as_ref().map(|p| p.reason.as_str())
    }

    fn trip(
        &mut self,
        breaker: Breaker,
        resume: Resume,
        now: Timestamp,
        reason: String,
    ) -> Option<BreakerChange> {
        if self.paused.is_some() {
            return None;
        }
        let p = Pause {
            breaker,
            since: now,
            resume,
            reason,
        };
        self.paused = Some(p.clone());
        Some(BreakerChange::Tripped(p))
    }

    /// The clock moved: a new day resets the daily counters (and lifts next-day pauses),
    /// timed pauses expire.
    pub fn on_time(&mut self, now: Timestamp, day: i64, equity: Decimal) -> Option<BreakerChange> {
        let mut change = None;
        if day != self.day {
            self.day = day;
            self.day_start_equity = equity;
            self.trades_today = 0;
            if matches!(
                self.paused.as_ref().map(|p| p.resume),
                Some(Resume::NextDay)
            ) {
                change = self.lift(now, "next trading day");
            }
        }
        if let Some(Pause {
            since,
            resume: Resume::After { minutes },
            ..
        }) = self.paused
        {
            if now.as_nanos()
                >= since
                    .as_nanos()
                    .saturating_add(i64::from(minutes) * 60_000_000_000)
            {
                change = self.lift(now, "cool-down elapsed");
            }
        }
        change
    }

    fn lift(&mut self, now: Timestamp, by: &str) -> Option<BreakerChange> {
        let p = self.paused.take()?;
        if p.breaker == Breaker::LosingStreak {
            self.losing_streak = 0;
        }
        Some(BreakerChange::Resumed {
            breaker: p.breaker,
            at: now,
            by: by.to_string(),
        })
    }

    /// Explicit resume (API, CLI): lifts any pause.
    pub fn resume(&mut self, now: Timestamp, by: &str) -> Option<BreakerChange> {
        if self
            .paused
            .as_ref()
            .is_some_and(|p| p.breaker == Breaker::Drawdown)
        {
            // Measure the next drawdown from here, or it would trip again at once.
            self.peak_equity = Decimal::ZERO;
        }
        self.lift(now, by)
    }

    /// A manual pause (the panic command).
    pub fn pause(&mut self, now: Timestamp, reason: &str) -> Option<BreakerChange> {
        self.paused = None;
        self.trip(Breaker::Manual, Resume::Manual, now, reason.to_string())
    }

    /// An equity that cannot trip anything (see `Engine::skim`): only the peak follows it,
    /// as [`BreakerSet::on_equity`] would.
    pub fn note_peak(&mut self, equity: Decimal) {
        if equity > self.peak_equity {
            self.peak_equity = equity;
        }
    }

    /// New equity reading (after every bar and fill).
    pub fn on_equity(
        &mut self,
        now: Timestamp,
        equity: Decimal,
        cfg: &BreakerConfig,
    ) -> Option<BreakerChange> {
        if equity > self.peak_equity {
            self.peak_equity = equity;
        }
        // `equity < peak × (1 − t/100)`, multiplied through by 100: exact decimal products
        // instead of a division per event.
        // A threshold of 100% or more cannot trip on an equity of zero or more (the right side
        // is then at most zero): the products are skipped.
        let hundred = Decimal::ONE_HUNDRED;
        let negative = equity.is_sign_negative() && !equity.is_zero();
        let scaled = || equity * hundred;
        let dd = &cfg.max_drawdown_pct;
        if (dd.threshold < hundred || negative)
            && is_positive(self.peak_equity)
            && scaled() < self.peak_equity * (hundred - dd.threshold)
        {
            let reason = format!(
                "drawdown: equity {} is more than {}% below its peak {}",
                equity.round_dp(2),
                dd.threshold,
                self.peak_equity.round_dp(2)
            );
            return self.trip(Breaker::Drawdown, dd.resume, now, reason);
        }
        let dl = &cfg.daily_loss_pct;
        if (dl.threshold < hundred || negative)
            && is_positive(self.day_start_equity)
            && scaled() < self.day_start_equity * (hundred - dl.threshold)
        {
            let reason = format!(
                "daily loss: equity {} is more than {}% below the day's start {}",
                equity.round_dp(2),
                dl.threshold,
                self.day_start_equity.round_dp(2)
            );
            return self.trip(Breaker::DailyLoss, dl.resume, now, reason);
        }
        None
    }

    /// A round trip closed.
    pub fn on_trade_closed(
        &mut self,
        now: Timestamp,
        loss: bool,
        cfg: &BreakerConfig,
    ) -> Option<BreakerChange> {
        self.losing_streak = if loss { self.losing_streak + 1 } else { 0 };
        let ls = &cfg.losing_streak;
        if self.losing_streak >= ls.threshold {
            let reason = format!(
                "losing streak: {} losing trades in a row",
                self.losing_streak
            );
            return self.trip(Breaker::LosingStreak, ls.resume, now, reason);
        }
        None
    }

    /// A new trade (entry) was made.
    pub fn on_new_trade(&mut self, now: Timestamp, cfg: &BreakerConfig) -> Option<BreakerChange> {
        self.trades_today += 1;
        let tl = &cfg.max_trades_per_day;
        if self.trades_today > tl.threshold {
            let reason = format!(
                "{} trades today, more than {}",
                self.trades_today, tl.threshold
            );
            return self.trip(Breaker::TradesPerDay, tl.resume, now, reason);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    const T: Timestamp = Timestamp::from_nanos(0);

    #[test]
    fn drawdown_trips_past_20_percent_and_waits_for_a_manual_resume() {
        let cfg = BreakerConfig::default();
        let mut b = BreakerSet::new(dec!(10000), 0);
        assert!(b.on_equity(T, dec!(12000), &cfg).is_none());
        assert!(
            b.on_equity(T, dec!(9600), &cfg).is_none(),
            "exactly 20% is not more than 20%"
        );
        let c = b.on_equity(T, dec!(9599), &cfg).unwrap();
        assert!(matches!(
            c,
            BreakerChange::Tripped(Pause {
                breaker: Breaker::Drawdown,
                ..
            })
        ));
        assert!(b
            .on_time(Timestamp::from_secs(86_400 * 3).unwrap(), 3, dec!(9599))
            .is_none());
        assert!(b.pause_reason().unwrap().contains("below its peak 12000"));
        assert!(b.resume(T, "ploutos resume").is_some());
        assert!(
            b.on_equity(T, dec!(9500), &cfg).is_none(),
            "peak restarts after a resume"
        );
    }

    #[test]
    fn daily_loss_pauses_until_the_next_day() {
        let cfg = BreakerConfig::default();
        let mut b = BreakerSet::new(dec!(10000), 0);
        assert!(b.on_equity(T, dec!(9501), &cfg).is_none());
        let c = b.on_equity(T, dec!(9499), &cfg).unwrap();
        assert!(matches!(
            c,
            BreakerChange::Tripped(Pause {
                breaker: Breaker::DailyLoss,
                ..
            })
        ));
        assert!(b.on_time(T, 0, dec!(9499)).is_none());
        assert!(matches!(
            b.on_time(T, 1, dec!(9499)),
            Some(BreakerChange::Resumed {
                breaker: Breaker::DailyLoss,
                ..
            })
        ));
        assert_eq!(b.day_start_equity, dec!(9499));
    }

    #[test]
    fn five_losses_in_a_row_trip_a_win_resets() {
        let cfg = BreakerConfig::default();
        let mut b = BreakerSet::new(dec!(1), 0);
        for _ in 0..4 {
            assert!(b.on_trade_closed(T, true, &cfg).is_none());
        }
        assert!(b.on_trade_closed(T, false, &cfg).is_none());
        for _ in 0..4 {
            assert!(b.on_trade_closed(T, true, &cfg).is_none());
        }
        assert!(b.on_trade_closed(T, true, &cfg).is_some());
    }

    #[test]
    fn more_than_50_trades_a_day_trip_and_timed_resumes_expire() {
        let cfg = BreakerConfig {
            max_trades_per_day: Limit {
                threshold: 50,
                resume: Resume::After { minutes: 30 },
            },
            ..BreakerConfig::default()
        };
        let mut b = BreakerSet::new(dec!(1), 0);
        for _ in 0..50 {
            assert!(b.on_new_trade(T, &cfg).is_none());
        }
        assert!(b.on_new_trade(T, &cfg).is_some());
        assert!(b
            .on_time(Timestamp::from_secs(29 * 60).unwrap(), 0, dec!(1))
            .is_none());
        assert!(b
            .on_time(Timestamp::from_secs(30 * 60).unwrap(), 0, dec!(1))
            .is_some());
    }

    #[test]
    fn panic_is_a_manual_pause() {
        let mut b = BreakerSet::new(dec!(1), 0);
        assert!(b.pause(T, "panic").is_some());
        assert!(b
            .on_time(Timestamp::from_secs(10 * 86_400).unwrap(), 10, dec!(1))
            .is_none());
        assert!(b.resume(T, "ploutos resume").is_some());
        assert!(b.pause_reason().is_none());
    }
}
