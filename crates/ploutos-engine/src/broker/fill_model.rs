//! The intrabar price path and where on it an order's price is first reached.
//!
//! A bar is walked as straight segments between its OHLC points: open → high → low → close for
//! an up bar (close >= open), open → low → high → close for a down bar. A live trade price is a
//! path of one point. A position on the path is `(segment, distance from the segment's start)`,
//! ordered lexicographically, so "earlier on the path" is a plain comparison.

use ploutos_core::order::Trail;
use ploutos_core::Side;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A position on a [`Path`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Pos {
    pub segment: usize,
    pub distance: Decimal,
}

impl Pos {
    /// The start of the path (the open).
    pub const START: Pos = Pos {
        segment: 0,
        distance: Decimal::ZERO,
    };
}

/// Which way a level is crossed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cross {
    /// Reached when the price is at or below the level (buy limit, sell stop).
    AtOrBelow,
    /// Reached when the price is at or above the level (sell limit, buy stop).
    AtOrAbove,
}

impl Cross {
    fn reached(self, price: Decimal, level: Decimal) -> bool {
        match self {
            Cross::AtOrBelow => price <= level,
            Cross::AtOrAbove => price >= level,
        }
    }

    /// How a limit order on `side` is reached.
    pub fn limit(side: Side) -> Cross {
        match side {
            Side::Buy => Cross::AtOrBelow,
            Side::Sell => Cross::AtOrAbove,
        }
    }

    /// How a stop order on `side` is triggered.
    pub fn stop(side: Side) -> Cross {
        match side {
            Side::Buy => Cross::AtOrAbove,
            Side::Sell => Cross::AtOrBelow,
        }
    }
}

/// The price path through a bar (4 points) or a single trade price (1 point).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Path {
    points: Vec<Decimal>,
}

impl Path {
    /// open → high → low → close when `close >= open`, else open → low → high → close.
    pub fn from_ohlc(open: Decimal, high: Decimal, low: Decimal, close: Decimal) -> Self {
        let points = if close >= open {
            vec![open, high, low, close]
        } else {
            vec![open, low, high, close]
        };
        Path { points }
    }

    /// A single price.
    pub fn point(price: Decimal) -> Self {
        Path {
            points: vec![price],
        }
    }

    pub fn points(&self) -> &[Decimal] {
        &self.points
    }

    fn segments(&self) -> usize {
        self.points.len().saturating_sub(1)
    }

    /// The price at `pos`.
    pub fn price_at(&self, pos: Pos) -> Decimal {
        let a = self.points.get(pos.segment).copied().unwrap_or_default();
        match self.points.get(pos.segment + 1) {
            Some(&b) if b < a => a - pos.distance,
            Some(_) => a + pos.distance,
            None => a,
        }
    }

    /// The first position at or after `from` where the price reaches `level`, with the price
    /// there: the price at `from` when it is already through the level (a gap: a better price
    /// for limits, a worse one for stops), else exactly `level`.
    pub fn first_touch(&self, from: Pos, level: Decimal, cross: Cross) -> Option<(Pos, Decimal)> {
        let here = self.price_at(from);
        if cross.reached(here, level) {
            return Some((from, here));
        }
        for seg in from.segment..self.segments() {
            let start = self.points[seg];
            let end = self.points[seg + 1];
            if cross.reached(end, level) {
                let pos = Pos {
                    segment: seg,
                    distance: (level - start).abs(),
                };
                return Some((pos, level));
            }
        }
        None
    }

    /// The most favourable price for a trailing stop on `side` from `from` to the end: the
    /// highest for a sell (protecting a long), the lowest for a buy.
    pub fn extreme_from(&self, from: Pos, side: Side) -> Decimal {
        let mut best = self.price_at(from);
        for &p in self.points.iter().skip(from.segment + 1) {
            best = match side {
                Side::Sell => best.max(p),
                Side::Buy => best.min(p),
            };
        }
        best
    }

    /// Walks a trailing stop on `side` from `from`, `best` being the most favourable price
    /// since it became active. Returns where it triggers and the price there (the stop level,
    /// or the price at `from` when already through it).
    pub fn trailing_touch(
        &self,
        from: Pos,
        side: Side,
        trail: Trail,
        best: Decimal,
        tick: Decimal,
    ) -> Option<(Pos, Decimal)> {
        let cross = Cross::stop(side);
        let here = self.price_at(from);
        let mut best = better(best, here, side);
        let stop = trail_stop(best, trail, side, tick);
        if cross.reached(here, stop) {
            return Some((from, here));
        }
        for seg in from.segment..self.segments() {
            let seg_start = self.points[seg];
            let start = if seg == from.segment { here } else { seg_start };
            let end = self.points[seg + 1];
            let favourable = match side {
                Side::Sell => end > start,
                Side::Buy => end < start,
            };
            if favourable {
                // Moving with the trader: the stop follows, the price stays clear of it.
                best = better(best, end, side);
                continue;
            }
            let stop = trail_stop(best, trail, side, tick);
            if cross.reached(end, stop) {
                let pos = Pos {
                    segment: seg,
                    distance: (stop - seg_start).abs(),
                };
                return Some((pos, stop));
            }
        }
        None
    }
}

fn better(a: Decimal, b: Decimal, side: Side) -> Decimal {
    match side {
        Side::Sell => a.max(b),
        Side::Buy => a.min(b),
    }
}

/// The stop level of a trailing stop on `side` whose best price is `best`, rounded to `tick`.
pub fn trail_stop(best: Decimal, trail: Trail, side: Side, tick: Decimal) -> Decimal {
    let gap = match trail {
        Trail::Amount(a) => a,
        Trail::Percent(p) => best * p / Decimal::ONE_HUNDRED,
    };
    let raw = match side {
        Side::Sell => best - gap,
        Side::Buy => best + gap,
    };
    ploutos_core::money::round_to_step(raw, tick).normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn up_and_down_bars() {
        let up = Path::from_ohlc(dec!(100), dec!(110), dec!(95), dec!(105));
        assert_eq!(up.points(), &[dec!(100), dec!(110), dec!(95), dec!(105)]);
        let down = Path::from_ohlc(dec!(100), dec!(110), dec!(95), dec!(97));
        assert_eq!(down.points(), &[dec!(100), dec!(95), dec!(110), dec!(97)]);
    }

    #[test]
    fn touches() {
        let up = Path::from_ohlc(dec!(100), dec!(110), dec!(95), dec!(105));
        // Sell limit 108 on the way up, buy limit 97 on the way down.
        let (p1, px1) = up
            .first_touch(Pos::START, dec!(108), Cross::AtOrAbove)
            .unwrap();
        let (p2, px2) = up
            .first_touch(Pos::START, dec!(97), Cross::AtOrBelow)
            .unwrap();
        assert_eq!((px1, px2), (dec!(108), dec!(97)));
        assert!(p1 < p2);
        assert_eq!(up.price_at(p2), dec!(97));
        // Gap: open already below a buy limit.
        assert_eq!(
            up.first_touch(Pos::START, dec!(101), Cross::AtOrBelow),
            Some((Pos::START, dec!(100)))
        );
        assert_eq!(
            up.first_touch(Pos::START, dec!(111), Cross::AtOrAbove),
            None
        );
        // From a later position only what follows counts.
        assert_eq!(up.first_touch(p2, dec!(108), Cross::AtOrAbove), None);
    }

    #[test]
    fn trailing_follows_the_high() {
        // Long protected by a 5 trail: high 110 → stop 105, hit on the way down to 95.
        let up = Path::from_ohlc(dec!(100), dec!(110), dec!(95), dec!(105));
        let (pos, px) = up
            .trailing_touch(
                Pos::START,
                Side::Sell,
                Trail::Amount(dec!(5)),
                dec!(100),
                dec!(0.01),
            )
            .unwrap();
        assert_eq!(px, dec!(105));
        assert_eq!(pos.segment, 1);
        // 10% trail: 110 → 99.
        let (_, px) = up
            .trailing_touch(
                Pos::START,
                Side::Sell,
                Trail::Percent(dec!(10)),
                dec!(100),
                dec!(0.01),
            )
            .unwrap();
        assert_eq!(px, dec!(99));
        assert_eq!(up.extreme_from(Pos::START, Side::Sell), dec!(110));
    }
}
