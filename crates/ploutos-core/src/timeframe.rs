//! [`Timeframe`]: the length of a bar, aligned to the UTC clock.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::CoreError;
use crate::time::{Timestamp, NANOS_PER_SEC};

/// A bar length in whole seconds (1s .. 366d). Bars are aligned to the UTC clock: a 5-minute
/// bar opens at :00, :05, …; a 1-day bar at midnight UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timeframe {
    secs: u32,
}

const MAX_SECS: u32 = 366 * 86_400;

impl Timeframe {
    pub const M1: Timeframe = Timeframe { secs: 60 };
    pub const M5: Timeframe = Timeframe { secs: 300 };
    pub const M15: Timeframe = Timeframe { secs: 900 };
    pub const H1: Timeframe = Timeframe { secs: 3_600 };
    pub const D1: Timeframe = Timeframe { secs: 86_400 };

    /// A timeframe of `secs` seconds; `None` for 0 or more than 366 days.
    pub const fn from_secs(secs: u32) -> Option<Self> {
        if secs == 0 || secs > MAX_SECS {
            None
        } else {
            Some(Timeframe { secs })
        }
    }

    /// A timeframe of `n` minutes; `None` for 0 or too long.
    pub const fn minutes(n: u32) -> Option<Self> {
        match n.checked_mul(60) {
            Some(s) => Self::from_secs(s),
            None => None,
        }
    }

    /// Length in seconds.
    pub const fn as_secs(self) -> u32 {
        self.secs
    }

    /// Length in nanoseconds.
    pub const fn as_nanos(self) -> i64 {
        self.secs as i64 * NANOS_PER_SEC
    }

    /// The open time of the bar of this timeframe that contains `t`.
    pub const fn floor(self, t: Timestamp) -> Timestamp {
        let n = t.as_nanos();
        Timestamp::from_nanos(n - n.rem_euclid(self.as_nanos()))
    }

    /// Whether `t` is the open time of a bar of this timeframe.
    pub const fn is_aligned(self, t: Timestamp) -> bool {
        t.as_nanos().rem_euclid(self.as_nanos()) == 0
    }

    /// Parses `5` (minutes), `30s`, `1m`, `15m`, `1h`, `4h`, `1d`, also `1min`, `60min`.
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let bad = || CoreError::Timeframe {
            value: s.to_string(),
        };
        let t = s.trim();
        let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: u32 = num.parse().map_err(|_| bad())?;
        let mult = match unit {
            "" | "m" | "min" | "T" => 60,
            "s" | "sec" => 1,
            "h" | "H" => 3_600,
            "d" | "D" => 86_400,
            _ => return Err(bad()),
        };
        n.checked_mul(mult)
            .and_then(Self::from_secs)
            .ok_or_else(bad)
    }
}

impl fmt::Display for Timeframe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.secs;
        if s % 86_400 == 0 {
            write!(f, "{}d", s / 86_400)
        } else if s % 3_600 == 0 {
            write!(f, "{}h", s / 3_600)
        } else if s % 60 == 0 {
            write!(f, "{}m", s / 60)
        } else {
            write!(f, "{s}s")
        }
    }
}

impl FromStr for Timeframe {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timeframe::parse(s)
    }
}

impl Serialize for Timeframe {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timeframe {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timeframe::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        for (s, secs, shown) in [
            ("1", 60, "1m"),
            ("5", 300, "5m"),
            ("15m", 900, "15m"),
            ("1h", 3600, "1h"),
            ("60m", 3600, "1h"),
            ("1d", 86_400, "1d"),
            ("30s", 30, "30s"),
            ("90m", 5400, "90m"),
        ] {
            let tf = Timeframe::parse(s).unwrap();
            assert_eq!(tf.as_secs(), secs);
            assert_eq!(tf.to_string(), shown);
        }
        for s in ["", "0", "5x", "m", "-5", "400d"] {
            assert!(Timeframe::parse(s).is_err(), "{s}");
        }
    }

    #[test]
    fn floors_to_the_clock() {
        let t = Timestamp::parse("2024-01-02T14:37:12Z").unwrap();
        assert_eq!(
            Timeframe::M5.floor(t),
            Timestamp::parse("2024-01-02T14:35:00Z").unwrap()
        );
        assert_eq!(
            Timeframe::D1.floor(t),
            Timestamp::parse("2024-01-02T00:00:00Z").unwrap()
        );
        let before_epoch = Timestamp::parse("1969-12-31T23:59:30Z").unwrap();
        assert_eq!(
            Timeframe::M1.floor(before_epoch),
            Timestamp::parse("1969-12-31T23:59:00Z").unwrap()
        );
    }
}
