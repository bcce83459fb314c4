//! Inferring a bar file's timeframe from the gaps between its bars.

use std::collections::HashMap;

use ploutos_core::{Bar, Timeframe};

/// The most common positive gap between consecutive bars (the smallest such gap on a tie),
/// as a [`Timeframe`]. Session breaks, weekends and missing bars are outvoted by the regular
/// spacing. `None` with fewer than two bars, or when that gap is not a whole number of
/// seconds between 1 s and 366 days. Monthly bars come out as `31d` (the most common month
/// length); calendar months are not a fixed timeframe.
pub fn infer_timeframe(bars: &[Bar]) -> Option<Timeframe> {
    let mut counts: HashMap<i64, usize> = HashMap::new();
    let mut last = (0i64, 0usize);
    for w in bars.windows(2) {
        let gap = w[1].time().as_nanos().checked_sub(w[0].time().as_nanos())?;
        if gap <= 0 {
            continue;
        }
        // Fast path: runs of the same gap (the usual case) skip the map.
        if gap == last.0 {
            last.1 += 1;
            continue;
        }
        if last.1 > 0 {
            *counts.entry(last.0).or_default() += last.1;
        }
        last = (gap, 1);
    }
    if last.1 > 0 {
        *counts.entry(last.0).or_default() += last.1;
    }
    let (gap, _) = counts
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)))?;
    if gap % 1_000_000_000 != 0 {
        return None;
    }
    u32::try_from(gap / 1_000_000_000)
        .ok()
        .and_then(Timeframe::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ploutos_core::Timestamp;

    fn bars(secs: &[i64]) -> Vec<Bar> {
        secs.iter()
            .map(|&s| Bar::new(Timestamp::from_secs(s).unwrap(), 1.0, 1.0, 1.0, 1.0, 0.0).unwrap())
            .collect()
    }

    #[test]
    fn most_common_gap_wins() {
        assert_eq!(
            infer_timeframe(&bars(&[0, 60, 120, 1000, 1060, 1120])),
            Some(Timeframe::M1)
        );
        assert_eq!(
            infer_timeframe(&bars(&[0, 60, 360])),
            Some(Timeframe::M1),
            "tie → smaller"
        );
        assert_eq!(infer_timeframe(&bars(&[0])), None);
        assert_eq!(infer_timeframe(&[]), None);
    }
}
