//! The fake's market: a deterministic, seeded 1-minute bar series per symbol, published one
//! bar index per `pace` of wall time.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{json, Value};

/// One minute bar of the series.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeriesBar {
    /// Start time.
    pub time: DateTime<Utc>,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Volume (shares).
    pub volume: u64,
    /// Trades.
    pub trades: u64,
    /// VWAP.
    pub vwap: f64,
}

/// splitmix64: a tiny deterministic generator (no dependency, same numbers everywhere).
pub(crate) fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn unit(z: u64) -> f64 {
    (z >> 11) as f64 / (1u64 << 53) as f64
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

fn symbol_seed(seed: u64, symbol: &str) -> u64 {
    symbol.bytes().fold(mix(seed), |h, b| mix(h ^ u64::from(b)))
}

/// The series of `symbol`: `count` minutes from `start`; a minute is empty (no trades, no
/// bar) with probability `1 / gap_every` (never when `gap_every` is 0).
pub fn generate(
    seed: u64,
    symbol: &str,
    start: DateTime<Utc>,
    count: usize,
    gap_every: u32,
) -> Vec<Option<SeriesBar>> {
    let s = symbol_seed(seed, symbol);
    let mut price = 50.0 + unit(mix(s)) * 200.0;
    (0..count)
        .map(|i| {
            let r = mix(s ^ (i as u64).wrapping_mul(0xA24B_AED4_963E_E407));
            let time = start + chrono::Duration::minutes(i as i64);
            if gap_every > 0 && i > 0 && r % u64::from(gap_every) == 0 {
                return None;
            }
            let open = round4(price);
            let close = round4(open * (1.0 + (unit(mix(r)) - 0.5) * 0.004));
            let high = round4(open.max(close) * (1.0 + unit(mix(r ^ 1)) * 0.001));
            let low = round4(open.min(close) * (1.0 - unit(mix(r ^ 2)) * 0.001));
            price = close;
            let volume = 100 + mix(r ^ 3) % 10_000;
            Some(SeriesBar {
                time,
                open,
                high,
                low,
                close,
                volume,
                trades: 1 + volume / 50,
                vwap: round4((open + high + low + close) / 4.0),
            })
        })
        .collect()
}

/// RFC 3339 with `Z`, seconds precision (bars) or nanoseconds (trades, quotes).
pub fn rfc3339(t: DateTime<Utc>, nanos: bool) -> String {
    t.to_rfc3339_opts(
        if nanos {
            SecondsFormat::Nanos
        } else {
            SecondsFormat::Secs
        },
        true,
    )
}

impl SeriesBar {
    /// The REST shape (`t,o,h,l,c,v,n,vw`).
    pub fn rest_json(&self) -> Value {
        json!({"t": rfc3339(self.time, false), "o": self.open, "h": self.high, "l": self.low,
               "c": self.close, "v": self.volume, "n": self.trades, "vw": self.vwap})
    }

    /// The stream shape (`T` = `b` or `u`, plus `S`).
    pub fn stream_json(&self, kind: &str, symbol: &str) -> Value {
        let mut v = self.rest_json();
        v["T"] = json!(kind);
        v["S"] = json!(symbol);
        v
    }
}
