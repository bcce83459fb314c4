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

/// By text (`symbol::cmp_shared`: the engine's book and the broker's events share their ids).
impl Ord for ClientOrderId {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        crate::symbol::cmp_shared(&self.0, &other.0)
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
        // Built on the stack, then shared: one allocation (an id is made for every order and
        // fill of a backtest). `-` and the digits take at most 21 of the 36 bytes.
        let mut digits = itoa::Buffer::new();
        let tail = digits.format(seq);
        let room = 36 - 1 - tail.len();
        let allowed =
            |c: char| c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '/' | '_' | '-');
        let mut id = arrayvec::ArrayString::<36>::new();
        if prefix.is_empty() {
            id.push('o');
        } else if prefix.len() <= room && prefix.chars().all(allowed) {
            id.push_str(prefix); // fits: at most `room` bytes
        } else {
            // Cut to `room` characters, each kept or replaced by one ASCII byte.
            for c in prefix.chars().take(room) {
                id.push(if allowed(c) { c } else { '_' });
            }
        }
        id.push('-');
        id.push_str(tail); // fits: `room` was left for it
        ClientOrderId(Arc::from(id.as_str()))
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
