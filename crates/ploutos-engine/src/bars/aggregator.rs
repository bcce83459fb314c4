//! [`BarAggregator`]: closed bars of one timeframe into clock-aligned bars of a longer one.
//!
//! A target bar of timeframe `T` opening at `t` (a multiple of `T` since the epoch, so a 5m bar
//! covers :00–:05) collects every source bar whose open time lies in `[t, t + T)`:
//! open = first open, high = max, low = min, close = last close, volume (and trade counts)
//! summed, VWAP volume-weighted. It is emitted
//! - as soon as the source bar that ends exactly at `t + T` arrives (no waiting for the next
//!   bar: live latency stays one source bar), or
//! - when a source bar of a later bucket arrives (the bucket had a gap at its end), or
//! - on an explicit [`BarAggregator::flush`] at the end of the data.
//!
//! Gaps stay gaps: a bucket with no source bar produces no bar. A source bar whose open time is
//! not after the previous one is rejected with [`AggregateError::Duplicate`] or
//! [`AggregateError::OutOfOrder`] and not counted. The last partial bar is either emitted by
//! [`BarAggregator::flush`] or dropped by [`BarAggregator::discard`] — never silently.

use ploutos_core::{Bar, Timeframe, Timestamp};
use thiserror::Error;

/// A source bar the aggregator refused; the bar was not counted.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AggregateError {
    #[error("bar at {time} arrived twice (ignored)")]
    Duplicate { time: Timestamp },
    #[error("bar at {time} arrived after a later bar at {last} (ignored)")]
    OutOfOrder { time: Timestamp, last: Timestamp },
    #[error(
        "cannot build {target} bars from {from} bars: {target} is not a whole multiple of {from}"
    )]
    Incompatible { from: Timeframe, target: Timeframe },
    #[error("bar at {time} is not aligned to its {timeframe} timeframe")]
    Misaligned {
        time: Timestamp,
        timeframe: Timeframe,
    },
}

/// Aggregates closed bars of `source` timeframe into bars of `target` timeframe.
#[derive(Debug, Clone)]
pub struct BarAggregator {
    source: Timeframe,
    target: Timeframe,
    current: Option<Bar>,
    last_time: Option<Timestamp>,
}

impl BarAggregator {
    /// An aggregator from `source` bars to `target` bars; `target` must be a whole multiple of
    /// `source` (equal is allowed: bars then pass through, still checked for order).
    pub fn new(source: Timeframe, target: Timeframe) -> Result<Self, AggregateError> {
        if target.as_secs() % source.as_secs() != 0 {
            return Err(AggregateError::Incompatible {
                from: source,
                target,
            });
        }
        Ok(BarAggregator {
            source,
            target,
            current: None,
            last_time: None,
        })
    }

    /// The timeframe of the bars this aggregator emits.
    pub fn target(&self) -> Timeframe {
        self.target
    }

    /// Takes one closed source bar. Returns the target bars completed by it, in time order:
    /// at most two (the previous bucket, closed by a gap, and this bar's bucket, when this
    /// bar completes it).
    pub fn push(&mut self, bar: &Bar) -> Result<Completed, AggregateError> {
        let time = bar.time();
        if !self.source.is_aligned(time) {
            return Err(AggregateError::Misaligned {
                time,
                timeframe: self.source,
            });
        }
        if let Some(last) = self.last_time {
            if time == last {
                return Err(AggregateError::Duplicate { time });
            }
            if time < last {
                return Err(AggregateError::OutOfOrder { time, last });
            }
        }
        self.last_time = Some(time);
        let bucket = self.target.floor(time);
        let mut done = Completed::default();
        match &mut self.current {
            Some(cur) if cur.time() == bucket => cur.merge(bar),
            _ => {
                if let Some(prev) = self.current.take() {
                    done.push(prev);
                }
                self.current = Some(bar.at(bucket));
            }
        }
        let bar_end = time.as_nanos() + self.source.as_nanos();
        if bar_end == bucket.as_nanos() + self.target.as_nanos() {
            if let Some(cur) = self.current.take() {
                done.push(cur);
            }
        }
        Ok(done)
    }

    /// The bar being built, if any (not complete).
    pub fn partial(&self) -> Option<&Bar> {
        self.current.as_ref()
    }

    /// Ends the data: emits the partial bar being built, if any, as if complete.
    pub fn flush(&mut self) -> Option<Bar> {
        self.current.take()
    }

    /// Ends the data: drops the partial bar being built and returns it so the caller can
    /// report what was dropped.
    pub fn discard(&mut self) -> Option<Bar> {
        self.current.take()
    }
}

/// Up to two bars completed by one push, in time order. Iterate it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Completed {
    bars: [Option<Bar>; 2],
}

impl Completed {
    fn push(&mut self, bar: Bar) {
        if self.bars[0].is_none() {
            self.bars[0] = Some(bar);
        } else {
            self.bars[1] = Some(bar);
        }
    }

    /// Whether no bar was completed.
    pub fn is_empty(&self) -> bool {
        self.bars[0].is_none()
    }
}

impl IntoIterator for Completed {
    type Item = Bar;
    type IntoIter = std::iter::Flatten<std::array::IntoIter<Option<Bar>, 2>>;
    fn into_iter(self) -> Self::IntoIter {
        self.bars.into_iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(min: i64, o: f64, h: f64, l: f64, c: f64, v: f64) -> Bar {
        Bar::new(Timestamp::from_secs(min * 60).unwrap(), o, h, l, c, v).unwrap()
    }

    fn agg() -> BarAggregator {
        BarAggregator::new(Timeframe::M1, Timeframe::M5).unwrap()
    }

    #[test]
    fn emits_on_the_last_minute_of_the_bucket() {
        let mut a = agg();
        for m in 0..4 {
            assert!(a
                .push(&bar(m, 10.0, 11.0, 9.0, 10.0, 1.0))
                .unwrap()
                .is_empty());
        }
        let out: Vec<Bar> = a
            .push(&bar(4, 10.0, 15.0, 8.0, 12.0, 2.0))
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(out.len(), 1);
        let b = out[0];
        assert_eq!(b.time(), Timestamp::EPOCH);
        assert_eq!(
            (b.open(), b.high(), b.low(), b.close(), b.volume()),
            (10.0, 15.0, 8.0, 12.0, 6.0)
        );
        assert!(a.partial().is_none());
    }

    #[test]
    fn gaps_stay_gaps() {
        let mut a = agg();
        a.push(&bar(1, 10.0, 10.0, 10.0, 10.0, 1.0)).unwrap();
        // minutes 2..=4 and the whole 5..10 bucket are missing
        let out: Vec<Bar> = a
            .push(&bar(12, 20.0, 20.0, 20.0, 20.0, 1.0))
            .unwrap()
            .into_iter()
            .collect();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].time(), Timestamp::EPOCH);
        assert_eq!(out[0].close(), 10.0);
        let rest = a.flush().unwrap();
        assert_eq!(rest.time(), Timestamp::from_secs(600).unwrap());
        assert!(a.flush().is_none());
    }

    #[test]
    fn duplicates_and_out_of_order_are_reported_not_counted() {
        let mut a = agg();
        a.push(&bar(0, 10.0, 10.0, 10.0, 10.0, 1.0)).unwrap();
        a.push(&bar(2, 10.0, 10.0, 10.0, 10.0, 1.0)).unwrap();
        assert_eq!(
            a.push(&bar(2, 10.0, 10.0, 10.0, 10.0, 1.0)).unwrap_err(),
            AggregateError::Duplicate {
                time: Timestamp::from_secs(120).unwrap()
            }
        );
        assert!(matches!(
            a.push(&bar(1, 10.0, 10.0, 10.0, 10.0, 1.0)).unwrap_err(),
            AggregateError::OutOfOrder { .. }
        ));
        assert_eq!(a.partial().unwrap().volume(), 2.0);
        assert_eq!(a.discard().unwrap().volume(), 2.0);
        assert!(a.partial().is_none());
    }

    #[test]
    fn rejects_incompatible_and_misaligned() {
        assert!(BarAggregator::new(Timeframe::M5, Timeframe::parse("7m").unwrap()).is_err());
        let mut a = BarAggregator::new(Timeframe::M5, Timeframe::M15).unwrap();
        let e = a.push(&bar(1, 1.0, 1.0, 1.0, 1.0, 1.0)).unwrap_err();
        assert!(matches!(e, AggregateError::Misaligned { .. }), "{e}");
    }

    #[test]
    fn same_timeframe_passes_through() {
        let mut a = BarAggregator::new(Timeframe::M1, Timeframe::M1).unwrap();
        let b = bar(3, 1.0, 2.0, 0.5, 1.5, 7.0);
        assert_eq!(a.push(&b).unwrap().into_iter().collect::<Vec<_>>(), vec![b]);
    }

    mod props {
        use super::*;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        proptest! {
            /// Aggregation equals a plain group-by over clock buckets, whatever the gaps.
            #[test]
            fn equals_a_group_by(
                steps in proptest::collection::vec((1i64..4, 1.0f64..100.0, 0.0f64..5.0, 0.0f64..5.0, 0.0f64..1e6), 1..200),
                target in prop_oneof![Just(5u32), Just(15), Just(60)],
            ) {
                let target = Timeframe::minutes(target).unwrap();
                let mut minute = 0;
                let mut bars = Vec::new();
                for (gap, close, up, down, vol) in steps {
                    minute += gap;
                    let open = close + (up - down) / 2.0;
                    let high = open.max(close) + up;
                    let low = open.min(close) - down;
                    bars.push(bar(minute, open, high, low, close, vol));
                }
                let mut agg = BarAggregator::new(Timeframe::M1, target).unwrap();
                let mut got: Vec<Bar> = bars.iter().flat_map(|b| agg.push(b).unwrap()).collect();
                got.extend(agg.flush());

                let mut groups: BTreeMap<Timestamp, Vec<Bar>> = BTreeMap::new();
                for b in &bars {
                    groups.entry(target.floor(b.time())).or_default().push(*b);
                }
                prop_assert_eq!(got.len(), groups.len());
                for (g, (t, members)) in got.iter().zip(&groups) {
                    prop_assert_eq!(g.time(), *t);
                    prop_assert_eq!(g.open(), members[0].open());
                    prop_assert_eq!(g.close(), members[members.len() - 1].close());
                    prop_assert_eq!(g.high(), members.iter().map(|b| b.high()).fold(f64::MIN, f64::max));
                    prop_assert_eq!(g.low(), members.iter().map(|b| b.low()).fold(f64::MAX, f64::min));
                    let vol: f64 = members.iter().map(|b| b.volume()).sum();
                    prop_assert!((g.volume() - vol).abs() <= 1e-9 * vol.max(1.0));
                }
            }
        }
    }
}
