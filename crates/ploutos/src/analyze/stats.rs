//! Session statistics: bars and signals per ticker, and a fixed-size latency histogram.

use std::fmt::Write;
use std::time::Duration;

use ploutos_core::SignalKind;

/// A log-linear histogram of nanosecond latencies: 16 exact buckets below 16 ns, then 16 linear
/// sub-buckets per power of two up to 2^64 ns,
/// fixed size (no allocation per sample), within 1/16 (6.25%) of the true value.
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    counts: Box<[u64; BUCKETS]>,
    total: u64,
    max: u64,
}

/// (63 - 3) * 16 + 16: the index of 2^63 .. 2^64 - 1 is the last.
const BUCKETS: usize = 61 * 16;

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            counts: Box::new([0; BUCKETS]),
            total: 0,
            max: 0,
        }
    }
}

impl LatencyHistogram {
    fn index(ns: u64) -> usize {
        if ns < 16 {
            return ns as usize;
        }
        let exp = 63 - ns.leading_zeros() as usize; // >= 4
        let sub = ((ns >> (exp - 4)) & 15) as usize;
        (exp - 3) * 16 + sub
    }

    fn lower_bound(idx: usize) -> u64 {
        if idx < 16 {
            return idx as u64;
        }
        let exp = idx / 16 + 3;
        let sub = (idx % 16) as u64;
        (16 + sub) << (exp - 4)
    }

    /// Records one sample.
    pub fn record(&mut self, d: Duration) {
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.counts[Self::index(ns).min(BUCKETS - 1)] += 1;
        self.total += 1;
        self.max = self.max.max(ns);
    }

    /// The `q` quantile (0..=1) in nanoseconds (bucket lower bound); 0 when empty.
    pub fn quantile(&self, q: f64) -> u64 {
        if self.total == 0 {
            return 0;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Self::lower_bound(i).min(self.max);
            }
        }
        self.max
    }

    /// Largest sample in nanoseconds.
    pub fn max(&self) -> u64 {
        self.max
    }
}

/// Human form of a nanosecond count: 850 ns, 12.3 µs, 4.56 ms.
pub fn fmt_ns(ns: u64) -> String {
    match ns {
        0..=9_999 => format!("{ns} ns"),
        10_000..=9_999_999 => format!("{:.1} µs", ns as f64 / 1e3),
        _ => format!("{:.2} ms", ns as f64 / 1e6),
    }
}

/// Per-ticker counts.
#[derive(Debug, Clone, Default)]
pub struct TickerStats {
    pub bars: u64,
    pub buy: u64,
    pub sell: u64,
    pub hold: u64,
    pub alerts: u64,
    pub rejected: u64,
}

/// Everything the analyzer prints on exit.
#[derive(Debug, Default)]
pub struct SessionStats {
    /// In the order tickers were first seen.
    pub tickers: Vec<(String, TickerStats)>,
    pub latency: LatencyHistogram,
    pub events: u64,
}

impl SessionStats {
    /// Adds a ticker; returns its index for [`SessionStats::record`].
    pub fn add_ticker(&mut self, name: &str) -> usize {
        self.tickers
            .push((name.to_string(), TickerStats::default()));
        self.tickers.len() - 1
    }

    /// Counts one decided bar of ticker `idx`.
    pub fn record(&mut self, idx: usize, kind: SignalKind, alert: bool, took: Duration) {
        let Some((_, t)) = self.tickers.get_mut(idx) else {
            return;
        };
        t.bars += 1;
        match kind {
            SignalKind::Buy => t.buy += 1,
            SignalKind::Sell => t.sell += 1,
            SignalKind::Hold => t.hold += 1,
        }
        t.alerts += alert as u64;
        self.latency.record(took);
    }

    /// The summary table.
    pub fn render(&self, elapsed: Duration, interrupted: bool) -> String {
        let bars: u64 = self.tickers.iter().map(|(_, t)| t.bars).sum();
        let mut s = String::new();
        let secs = elapsed.as_secs_f64();
        let _ = writeln!(
            s,
            "Session {}: {} closed bars from {} market events, {} ticker(s), in {:.2} s",
            if interrupted { "interrupted" } else { "ended" },
            bars,
            self.events,
            self.tickers.len(),
            secs
        );
        let _ = writeln!(
            s,
            "Per-bar processing latency (aggregation + indicators + decision): p50 {}, p99 {}, max {}",
            fmt_ns(self.latency.quantile(0.5)),
            fmt_ns(self.latency.quantile(0.99)),
            fmt_ns(self.latency.max())
        );
        let _ = writeln!(
            s,
            "{:<10} {:>8} {:>6} {:>6} {:>8} {:>7} {:>9}",
            "ticker", "bars", "BUY", "SELL", "HOLD", "alerts", "rejected"
        );
        let mut total = TickerStats::default();
        for (name, t) in &self.tickers {
            let _ = writeln!(
                s,
                "{:<10} {:>8} {:>6} {:>6} {:>8} {:>7} {:>9}",
                name, t.bars, t.buy, t.sell, t.hold, t.alerts, t.rejected
            );
            total.bars += t.bars;
            total.buy += t.buy;
            total.sell += t.sell;
            total.hold += t.hold;
            total.alerts += t.alerts;
            total.rejected += t.rejected;
        }
        let _ = writeln!(
            s,
            "{:<10} {:>8} {:>6} {:>6} {:>8} {:>7} {:>9}",
            "total", total.bars, total.buy, total.sell, total.hold, total.alerts, total.rejected
        );
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_are_within_a_bucket() {
        let mut h = LatencyHistogram::default();
        for ns in 1..=10_000u64 {
            h.record(Duration::from_nanos(ns));
        }
        let p50 = h.quantile(0.5) as f64;
        let p99 = h.quantile(0.99) as f64;
        assert!((p50 - 5_000.0).abs() / 5_000.0 < 0.07, "{p50}");
        assert!((p99 - 9_900.0).abs() / 9_900.0 < 0.07, "{p99}");
        assert_eq!(h.max(), 10_000);
        assert_eq!(h.total, 10_000);
        assert_eq!(LatencyHistogram::default().quantile(0.5), 0);
        h.record(Duration::from_secs(1_000_000));
        assert!(h.quantile(1.0) > 0);
    }

    #[test]
    fn bucket_bounds_are_monotonic() {
        let mut prev = 0;
        for i in 1..BUCKETS {
            let b = LatencyHistogram::lower_bound(i);
            assert!(b > prev, "{i}");
            assert_eq!(LatencyHistogram::index(b), i);
            prev = b;
        }
    }
}
