//! [`TradeBarBuilder`]: trade ticks into clock-aligned bars.
//!
//! A bar of timeframe `T` opening at `t` collects the trades with `t <= time < t + T`:
//! open = first trade's price, high/low, close = last trade's price, volume = summed quantity,
//! trade count, VWAP = sum(price * qty) / sum(qty) (the last price when all quantities are 0).
//! A bar is emitted when a trade of a later bucket arrives, when the clock passes its end
//! ([`TradeBarBuilder::close_until`], for live feeds where the next trade may be late), or on an
//! explicit flush. Buckets without trades produce no bar (gaps stay gaps). Trades keep file
//! order within a timestamp; a trade older than the bar being built, or a trade id not above the
//! last one seen, is reported and not counted.

use ploutos_core::{Bar, Timeframe, Timestamp, Trade};

use super::AggregateError;

#[derive(Debug, Clone, Copy)]
struct Building {
    start: Timestamp,
    open: f64,
    high: f64,
    low: f64,
    close: f64,
    volume: f64,
    notional: f64,
    trades: u64,
}

impl Building {
    fn finish(self) -> Option<Bar> {
        let vwap = if self.volume > 0.0 {
            self.notional / self.volume
        } else {
            self.close
        };
        let bar = Bar::new(
            self.start,
            self.open,
            self.high,
            self.low,
            self.close,
            self.volume,
        )
        .ok()?
        .with_trades(self.trades);
        // A VWAP rounding a hair outside [low, high] is still the VWAP; only NaN/inf fail.
        bar.with_vwap(vwap).ok().or(Some(bar))
    }
}

/// Builds bars of one timeframe from the trades of one symbol.
#[derive(Debug, Clone)]
pub struct TradeBarBuilder {
    timeframe: Timeframe,
    current: Option<Building>,
    last_time: Option<Timestamp>,
    last_id: Option<u64>,
}

impl TradeBarBuilder {
    /// A builder of `timeframe` bars.
    pub fn new(timeframe: Timeframe) -> Self {
        TradeBarBuilder {
            timeframe,
            current: None,
            last_time: None,
            last_id: None,
        }
    }

    /// Takes one trade; returns the bar it closed (the previous bucket's), if any.
    pub fn push(&mut self, trade: &Trade) -> Result<Option<Bar>, AggregateError> {
        let time = trade.time();
        if let (Some(id), Some(last)) = (trade.id(), self.last_id) {
            if id == last {
                return Err(AggregateError::Duplicate { time });
            }
            if id < last {
                return Err(AggregateError::OutOfOrder {
                    time,
                    last: self.last_time.unwrap_or(time),
                });
            }
        }
        if let Some(last) = self.last_time {
            if time < last {
                return Err(AggregateError::OutOfOrder { time, last });
            }
        }
        self.last_time = Some(time);
        if let Some(id) = trade.id() {
            self.last_id = Some(id);
        }
        let start = self.timeframe.floor(time);
        let (p, q) = (trade.price(), trade.quantity());
        let mut closed = None;
        match &mut self.current {
            Some(b) if b.start == start => {
                b.high = b.high.max(p);
                b.low = b.low.min(p);
                b.close = p;
                b.volume += q;
                b.notional += p * q;
                b.trades += 1;
            }
            _ => {
                closed = self.current.take().and_then(Building::finish);
                self.current = Some(Building {
                    start,
                    open: p,
                    high: p,
                    low: p,
                    close: p,
                    volume: q,
                    notional: p * q,
                    trades: 1,
                });
            }
        }
        Ok(closed)
    }

    /// The clock says it is `now`: emits the bar being built if its period has ended.
    pub fn close_until(&mut self, now: Timestamp) -> Option<Bar> {
        match self.current {
            Some(b) if now.as_nanos() >= b.start.as_nanos() + self.timeframe.as_nanos() => {
                self.current.take().and_then(Building::finish)
            }
            _ => None,
        }
    }

    /// Ends the data: emits the partial bar, if any.
    pub fn flush(&mut self) -> Option<Bar> {
        self.current.take().and_then(Building::finish)
    }

    /// Ends the data: drops the partial bar and returns it for reporting.
    pub fn discard(&mut self) -> Option<Bar> {
        self.current.take().and_then(Building::finish)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tr(ms: i64, p: f64, q: f64, id: u64) -> Trade {
        Trade::new(Timestamp::from_millis(ms).unwrap(), p, q)
            .unwrap()
            .with_id(id)
    }

    #[test]
    fn builds_ohlcv_vwap_and_count() {
        let mut b = TradeBarBuilder::new(Timeframe::M1);
        assert!(b.push(&tr(1_000, 10.0, 1.0, 1)).unwrap().is_none());
        assert!(b.push(&tr(2_000, 12.0, 3.0, 2)).unwrap().is_none());
        assert!(b.push(&tr(59_999, 9.0, 1.0, 3)).unwrap().is_none());
        let bar = b.push(&tr(60_000, 11.0, 1.0, 4)).unwrap().unwrap();
        assert_eq!(
            (bar.open(), bar.high(), bar.low(), bar.close(), bar.volume()),
            (10.0, 12.0, 9.0, 9.0, 5.0)
        );
        assert_eq!(bar.trades(), Some(3));
        assert_eq!(bar.vwap(), Some((10.0 + 36.0 + 9.0) / 5.0));
        assert!(b
            .close_until(Timestamp::from_millis(119_999).unwrap())
            .is_none());
        let last = b
            .close_until(Timestamp::from_millis(120_000).unwrap())
            .unwrap();
        assert_eq!(last.time(), Timestamp::from_secs(60).unwrap());
    }

    #[test]
    fn duplicate_and_old_trades_are_reported() {
        let mut b = TradeBarBuilder::new(Timeframe::M1);
        b.push(&tr(1_000, 10.0, 1.0, 5)).unwrap();
        assert!(matches!(
            b.push(&tr(1_000, 10.0, 1.0, 5)),
            Err(AggregateError::Duplicate { .. })
        ));
        assert!(matches!(
            b.push(&tr(1_000, 10.0, 1.0, 4)),
            Err(AggregateError::OutOfOrder { .. })
        ));
        assert_eq!(b.flush().unwrap().volume(), 1.0);
    }
}
