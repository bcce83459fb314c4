//! [`ClientOrderId`]: the id Ploutos gives every order; idempotency key at the venues.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// A client order id that is not acceptable to every venue.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid client order id {value:?}: 1 to 36 characters from A-Z a-z 0-9 . : / _ - (Binance's rule, stricter than Alpaca's)")]
pub struct OrderIdError {
    pub value: String,
}

/// A client order id: 1–36 characters from `A-Z a-z 0-9 . : / _ -`, which both Alpaca and
/// Binance accept. Ploutos makes them deterministic (`<strategy>-<sequence>`), so a
/// restarted engine asks the broker about the same ids it used before.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct ClientOrderId(Arc<str>);

/// By text; the same shared string compares equal without reading it (the engine's book and
/// the broker's events share their ids).
impl Ord for ClientOrderId {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        if Arc::ptr_eq(&self.0, &other.0) {
            std::cmp::Ordering::Equal
        } else {
            self.0.cmp(&other.0)
        }
    }
}

impl PartialOrd for ClientOrderId {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl ClientOrderId {
    /// Validates `s`.
    pub fn new(s: &str) -> Result<Self, OrderIdError> {
        let ok = (1..=36).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".:/_-".contains(&b));
        if ok {
            Ok(ClientOrderId(Arc::from(s)))
        } else {
            Err(OrderIdError {
                value: s.to_string(),
            })
        }
    }

    /// `<prefix>-<seq>` with the prefix cut to fit 36 characters and cleaned of characters
    /// venues refuse.
    pub fn sequential(prefix: &str, seq: u64) -> Self {
        // The digits of `seq`, from the back (one string built, no formatting machinery: an
        // id is made for every order of a backtest).
        let mut digits = [0u8; 20];
        let (mut n, mut k) = (seq, digits.len());
        loop {
            k -= 1;
            digits[k] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        let tail = &digits[k..];
        // Built in place (ASCII only: kept characters are ASCII, others become `_`), then
        // shared: one allocation.
        let mut id = [0u8; 36];
        let mut n = 0;
        for c in prefix.chars().take(36 - 1 - tail.len()) {
            let keep = c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-');
            id[n] = if keep { c as u8 } else { b'_' };
            n += 1;
        }
        if n == 0 {
            id[0] = b'o';
            n = 1;
        }
        id[n] = b'-';
        id[n + 1..n + 1 + tail.len()].copy_from_slice(tail);
        let len = n + 1 + tail.len();
        match std::str::from_utf8(&id[..len]) {
            Ok(s) => ClientOrderId(Arc::from(s)),
            // Unreachable (ASCII by construction); a valid id all the same.
            Err(_) => ClientOrderId(Arc::from("o-0")),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<ClientOrderId> for Arc<str> {
    /// The id's text, shared (no copy).
    fn from(id: ClientOrderId) -> Self {
        id.0
    }
}

impl fmt::Display for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ClientOrderId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ClientOrderId({})", &self.0)
    }
}

impl Serialize for ClientOrderId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ClientOrderId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ClientOrderId::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_builds_sequential_ids() {
        assert!(ClientOrderId::new("ema-cross-17").is_ok());
        assert!(ClientOrderId::new("").is_err());
        assert!(ClientOrderId::new(&"x".repeat(37)).is_err());
        assert!(ClientOrderId::new("a b").is_err());
        let id = ClientOrderId::sequential("my strategy with a very long name indeed", 123_456);
        assert_eq!(id.as_str().len(), 36);
        assert!(id.as_str().ends_with("-123456"));
        assert!(ClientOrderId::new(id.as_str()).is_ok());
        // Characters venues refuse (multi-byte ones too) become one `_` each.
        let id = ClientOrderId::sequential("dé jà/vu", 7);
        assert_eq!(id.as_str(), "d__j_/vu-7");
        assert_eq!(ClientOrderId::sequential("", 0).as_str(), "o-0");
        assert_eq!(
            ClientOrderId::sequential("ema-cross", u64::MAX).as_str(),
            "ema-cross-18446744073709551615"
        );
    }
}
