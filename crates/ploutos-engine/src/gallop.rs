//! Galloping search: the end of a run of items at the front of a slice, found by probing
//! 1, 2, 4, … items ahead of where it is known to start, then a binary search in the last
//! step. The probes stay near the answer — where a binary search over the whole slice would
//! touch far-away memory (a cache miss each) to find an answer that is usually close.

/// The first index at or after `start` whose item fails `pred`, given that every item before
/// `start` passes it and that `pred` passes a prefix of `xs` (as for
/// `slice::partition_point`); `xs.len()` when they all pass.
pub(crate) fn partition_from<T>(xs: &[T], start: usize, pred: impl Fn(&T) -> bool) -> usize {
    let n = xs.len();
    let (mut lo, mut step) = (start.min(n), 1usize);
    while lo.saturating_add(step) <= n && pred(&xs[lo + step - 1]) {
        lo += step;
        step = step.saturating_mul(2);
    }
    lo + xs[lo..lo.saturating_add(step).min(n)].partition_point(pred)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::partition_from;

    proptest! {
        #[test]
        fn it_is_the_partition_point(len in 0usize..500, cut in 0usize..500, start in 0usize..500) {
            let xs: Vec<usize> = (0..len).collect();
            let cut = cut.min(len);
            let start = start.min(cut);
            prop_assert_eq!(partition_from(&xs, start, |&x| x < cut), cut);
        }
    }
}
