//! [`Timestamp`]: a UTC instant as nanoseconds since the Unix epoch.
//!
//! An `i64` of nanoseconds covers 1677-09-21 .. 2262-04-11, which is every market-data
//! timestamp Ploutos will meet; conversions from wider types are checked and return
//! [`CoreError::TimestampRange`] instead of wrapping.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::CoreError;

/// A UTC instant, nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

pub(crate) const NANOS_PER_SEC: i64 = 1_000_000_000;
const NANOS_PER_MILLI: i64 = 1_000_000;

impl Timestamp {
    /// The epoch itself.
    pub const EPOCH: Timestamp = Timestamp(0);

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(nanos: i64) -> Self {
        Timestamp(nanos)
    }

    /// From milliseconds since the epoch; `None` when out of range.
    pub const fn from_millis(millis: i64) -> Option<Self> {
        match millis.checked_mul(NANOS_PER_MILLI) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// From whole seconds since the epoch; `None` when out of range.
    pub const fn from_secs(secs: i64) -> Option<Self> {
        match secs.checked_mul(NANOS_PER_SEC) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// From a chrono date-time; `None` when out of range.
    pub fn from_datetime(dt: DateTime<Utc>) -> Option<Self> {
        dt.timestamp_nanos_opt().map(Timestamp)
    }

    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// Milliseconds since the epoch (floored).
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(NANOS_PER_MILLI)
    }

    /// Seconds since the epoch (floored).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SEC)
    }

    /// As a chrono date-time.
    pub fn to_datetime(self) -> DateTime<Utc> {
        DateTime::from_timestamp_nanos(self.0)
    }

    /// The instant `nanos` later; `None` on overflow.
    pub const fn checked_add_nanos(self, nanos: i64) -> Option<Self> {
        match self.0.checked_add(nanos) {
            Some(n) => Some(Timestamp(n)),
            None => None,
        }
    }

    /// The UTC calendar day this instant falls on, as days since the epoch.
    pub const fn utc_day(self) -> i64 {
        self.0.div_euclid(86_400 * NANOS_PER_SEC)
    }

    /// Parses RFC 3339 (`2024-01-02T14:30:00Z`, offsets allowed), a space instead of `T`,
    /// a naive date-time taken as UTC, a bare date (`2024-01-02`, midnight UTC), or an
    /// integer of epoch seconds (up to 11 digits), milliseconds (12–14 digits), microseconds
    /// (15–17 digits) or nanoseconds (18 or more digits).
    pub fn parse(s: &str) -> Result<Self, CoreError> {
        let t = s.trim();
        let bad = |reason: &str| CoreError::Timestamp {
            value: s.to_string(),
            reason: reason.to_string(),
        };
        if t.is_empty() {
            return Err(bad("empty"));
        }
        let digits = t.strip_prefix('-').unwrap_or(t);
        if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            let n: i64 = t.parse().map_err(|_| bad("integer too large"))?;
            let ts = match digits.len() {
                0..=11 => Timestamp::from_secs(n),
                12..=14 => Timestamp::from_millis(n),
                15..=17 => n.checked_mul(1_000).map(Timestamp::from_nanos),
                _ => Some(Timestamp::from_nanos(n)),
            };
            return ts.ok_or_else(|| CoreError::TimestampRange {
                value: s.to_string(),
            });
        }
        if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
            return Self::from_datetime(dt.with_timezone(&Utc)).ok_or_else(|| {
                CoreError::TimestampRange {
                    value: s.to_string(),
                }
            });
        }
        for fmt in [
            "%Y-%m-%d %H:%M:%S%.f%:z",
            "%Y-%m-%d %H:%M:%S%.f%#z",
            "%Y-%m-%dT%H:%M:%S%.f%#z",
        ] {
            if let Ok(dt) = DateTime::parse_from_str(t, fmt) {
                return Self::from_datetime(dt.with_timezone(&Utc)).ok_or_else(|| {
                    CoreError::TimestampRange {
                        value: s.to_string(),
                    }
                });
            }
        }
        for fmt in [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%d %H:%M",
        ] {
            if let Ok(dt) = chrono::NaiveDateTime::parse_from_str(t, fmt) {
                return Self::from_datetime(dt.and_utc()).ok_or_else(|| {
                    CoreError::TimestampRange {
                        value: s.to_string(),
                    }
                });
            }
        }
        if let Ok(d) = NaiveDate::parse_from_str(t, "%Y-%m-%d") {
            let dt = d.and_hms_opt(0, 0, 0).map(|dt| dt.and_utc());
            return dt
                .and_then(Self::from_datetime)
                .ok_or_else(|| CoreError::TimestampRange {
                    value: s.to_string(),
                });
        }
        Err(bad(
            "expected RFC 3339 (2024-01-02T14:30:00Z), a date (2024-01-02) or epoch seconds/milliseconds",
        ))
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339 in UTC with a `Z`, with as many fractional digits as needed (0, 3, 6 or 9).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            &self
                .to_datetime()
                .to_rfc3339_opts(SecondsFormat::AutoSi, true),
        )
    }
}

impl FromStr for Timestamp {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn parses_every_documented_form() {
        let want = Timestamp::from_secs(1_704_206_400).unwrap(); // 2024-01-02T14:40:00Z
        for s in [
            "2024-01-02T14:40:00Z",
            "2024-01-02T14:40:00.000Z",
            "2024-01-02T09:40:00-05:00",
            "2024-01-02 14:40:00",
            "2024-01-02 14:40:00+00:00",
            "2024-01-02T14:40:00",
            "1704206400",
            "1704206400000",
            "1704206400000000",
            "1704206400000000000",
        ] {
            assert_eq!(Timestamp::parse(s).unwrap(), want, "{s}");
        }
        assert_eq!(
            Timestamp::parse("2024-01-02").unwrap(),
            Timestamp::from_secs(1_704_153_600).unwrap()
        );
    }

    #[test]
    fn rejects_garbage_with_the_value() {
        let e = Timestamp::parse("yesterday").unwrap_err();
        assert!(e.to_string().contains("\"yesterday\""), "{e}");
        assert!(Timestamp::parse("").is_err());
        assert!(matches!(
            Timestamp::parse("99999999999999"),
            Err(CoreError::TimestampRange { .. })
        ));
    }

    #[test]
    fn displays_rfc3339_utc() {
        let t = Timestamp::parse("2021-01-08T00:00:00.278Z").unwrap();
        assert_eq!(t.to_string(), "2021-01-08T00:00:00.278Z");
        assert_eq!(Timestamp::EPOCH.to_string(), "1970-01-01T00:00:00Z");
    }

    proptest! {
        #[test]
        fn display_parse_round_trip(n in -9_000_000_000_000_000_000i64..9_000_000_000_000_000_000i64) {
            let t = Timestamp::from_nanos(n);
            prop_assert_eq!(Timestamp::parse(&t.to_string()).unwrap(), t);
        }

        #[test]
        fn parse_never_panics(s in ".{0,40}") {
            let _ = Timestamp::parse(&s);
        }
    }
}
