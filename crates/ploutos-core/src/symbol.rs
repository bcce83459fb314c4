//! [`Symbol`]: a validated instrument name, cheap to clone.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::CoreError;

/// An instrument name as the venue spells it (`NVDA`, `BTCUSDT`, `BTC/USD`, `BRK.B`).
/// 1–32 characters from `A-Z a-z 0-9 / - _ . :`. Cloning shares the string (no allocation).
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Symbol(Arc<str>);

/// Shared strings by text, the same allocation equal without reading it: the engine's maps
/// are looked up with clones of their own keys (symbols, order ids), many times per order.
#[inline]
pub(crate) fn cmp_shared(a: &Arc<str>, b: &Arc<str>) -> std::cmp::Ordering {
    if Arc::ptr_eq(a, b) {
        std::cmp::Ordering::Equal
    } else {
        a.cmp(b)
    }
}

/// By name ([`cmp_shared`]).
impl Ord for Symbol {
    #[inline]
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        cmp_shared(&self.0, &other.0)
    }
}

impl PartialOrd for Symbol {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

const MAX_LEN: usize = 32;

impl Symbol {
    /// Validates and wraps `s` (surrounding whitespace is trimmed).
    pub fn new(s: &str) -> Result<Self, CoreError> {
        let t = s.trim();
        let bad = |reason| CoreError::Symbol {
            value: s.to_string(),
            reason,
        };
        if t.is_empty() {
            return Err(bad("empty"));
        }
        if t.len() > MAX_LEN {
            return Err(bad("longer than 32 characters"));
        }
        if !t
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"/-_.:".contains(&b))
        {
            return Err(bad("only A-Z a-z 0-9 / - _ . : are allowed"));
        }
        Ok(Symbol(Arc::from(t)))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Symbol({})", &self.0)
    }
}

impl FromStr for Symbol {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Symbol::new(s)
    }
}

impl AsRef<str> for Symbol {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Serialize for Symbol {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Symbol {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Symbol::new(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates() {
        assert_eq!(Symbol::new(" NVDA ").unwrap().as_str(), "NVDA");
        for ok in ["BTCUSDT", "BTC/USD", "BRK.B", "ES:CME", "btc-perp"] {
            assert!(Symbol::new(ok).is_ok(), "{ok}");
        }
        for bad in ["", "   ", "NV DA", "A;DROP", &"X".repeat(33)] {
            let e = Symbol::new(bad).unwrap_err();
            assert!(e.to_string().contains("invalid symbol"), "{e}");
        }
    }
}
