//! [`ResilientFeed`]: any [`BarVenue`] as a [`Feed`] that survives the network.
//!
//! A tokio task owns the connection. It connects, and whenever the session ends (the server
//! closed it, it failed, it went silent) it waits a back-off delay with jitter and connects
//! again, which resubscribes. Closed bars go through a per-symbol gate that remembers the
//! open time of the last bar delivered:
//!
//! - a bar at or before it is a duplicate (the venue re-sent it after a reconnect) and is
//!   dropped, counted in [`FeedStats::duplicates`];
//! - after a reconnect, the first bar received (of any symbol, open time `T`) triggers a
//!   backfill over REST of every symbol's missed bars, `[last + timeframe, T)`, delivered in
//!   time order before `T`;
//! - with [`ResilientConfig::gap_backfill`] (venues that publish a bar for every interval,
//!   like Binance klines) a hole inside a session is backfilled too.
//!
//! So every closed bar reaches the consumer exactly once and in order per symbol. A backfill
//! that fails is retried with back-off; if it keeps failing the connection is dropped and
//! the next one tries again: the gate only moves forward over bars it delivered, so nothing
//! is skipped. Fatal errors (bad keys, a ban, a plan that lacks the feed) end the feed with
//! the error.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ploutos_core::{Bar, MarketEvent, Symbol, Timeframe, Timestamp};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{BarSession, BarVenue, StreamEvent, Subscription};
use crate::error::{FeedError, VenueError};
use crate::feed::{EventFuture, Feed};
use crate::net::Backoff;

/// Reconnect and backfill settings.
#[derive(Debug, Clone)]
pub struct ResilientConfig {
    /// First reconnect delay (doubles per failed attempt, with jitter).
    pub backoff_base: Duration,
    /// Longest reconnect delay.
    pub backoff_max: Duration,
    /// Also backfill holes inside a session (for venues with a bar for every interval).
    pub gap_backfill: bool,
    /// Attempts at one backfill before the connection is dropped and retried.
    pub backfill_attempts: u32,
    /// Events buffered between the connection task and the consumer.
    pub buffer: usize,
    /// Bars of history delivered per symbol before the first live one (indicator warm-up),
    /// fetched over REST up to the first streamed bar, so history and stream meet exactly.
    pub warmup_bars: u32,
}

impl Default for ResilientConfig {
    fn default() -> Self {
        ResilientConfig {
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            gap_backfill: false,
            backfill_attempts: 5,
            buffer: 4096,
            warmup_bars: 0,
        }
    }
}

/// Something the feed wants the user to know; not market data for strategies.
#[derive(Debug, Clone, PartialEq)]
pub enum FeedNotice {
    /// Connected and subscribed (`attempt` 1 is the first connection).
    Connected {
        /// Connections made so far, this one included.
        attempt: u32,
    },
    /// The connection ended; a reconnect follows after `retry_in`.
    Disconnected {
        /// Why, in words.
        reason: String,
        /// The back-off delay before the next attempt.
        retry_in: Duration,
    },
    /// Missed bars fetched over REST and delivered.
    Backfilled {
        /// The instrument.
        symbol: Symbol,
        /// How many bars.
        bars: usize,
        /// First open time asked for.
        from: Timestamp,
        /// End (exclusive) of the range asked for.
        to: Timestamp,
    },
    /// A bar still forming, or a correction of a sent one (live view only).
    Forming {
        /// The instrument.
        symbol: Symbol,
        /// The bar so far.
        bar: Bar,
    },
    /// Best bid and ask.
    Quote {
        /// The instrument.
        symbol: Symbol,
        /// Bid.
        bid: f64,
        /// Ask.
        ask: f64,
    },
}

/// Counters of a [`ResilientFeed`], readable while it runs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedStats {
    /// Successful connections.
    pub connects: u32,
    /// Sessions that ended (each followed by a reconnect unless fatal).
    pub disconnects: u32,
    /// Closed bars delivered from the stream.
    pub streamed: u64,
    /// Closed bars delivered from REST backfills.
    pub backfilled: u64,
    /// Bars dropped because they were already delivered.
    pub duplicates: u64,
    /// Trades delivered.
    pub trades: u64,
}

/// A live venue as a [`Feed`]: reconnects, resubscribes, backfills, deduplicates.
pub struct ResilientFeed {
    name: String,
    symbols: Vec<Symbol>,
    rx: mpsc::Receiver<Result<(MarketEvent, Origin), FeedError>>,
    last_origin: Origin,
    stats: Arc<Mutex<FeedStats>>,
    task: JoinHandle<()>,
    ended: bool,
}

impl ResilientFeed {
    /// Starts the connection task for `sub` on `venue` (needs a tokio runtime). Notices go to
    /// `notices` when given (dropped, not awaited, when its buffer is full).
    pub fn start<V: BarVenue>(
        venue: V,
        sub: Subscription,
        cfg: ResilientConfig,
        notices: Option<mpsc::Sender<FeedNotice>>,
    ) -> ResilientFeed {
        let (tx, rx) = mpsc::channel(cfg.buffer.max(1));
        let stats = Arc::new(Mutex::new(FeedStats::default()));
        let name = venue.name().to_string();
        let symbols = sub.symbols.clone();
        let worker = Worker {
            venue,
            gate: Gate::new(sub.timeframe),
            sub,
            backoff: Backoff::new(cfg.backoff_base, cfg.backoff_max),
            cfg,
            tx,
            notices,
            stats: Arc::clone(&stats),
        };
        let task = tokio::spawn(worker.run());
        ResilientFeed {
            name,
            symbols,
            rx,
            stats,
            task,
            ended: false,
            last_origin: Origin::Stream,
        }
    }

    /// Where the event last returned by [`Feed::next_event`] came from. A live trader lets
    /// strategies learn from [`Origin::Warmup`] and [`Origin::Backfill`] bars but trades only
    /// once [`Origin::Stream`] bars flow again (and, live, after reconciling).
    pub fn last_origin(&self) -> Origin {
        self.last_origin
    }

    /// The counters so far.
    pub fn stats(&self) -> FeedStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

impl Drop for ResilientFeed {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Feed for ResilientFeed {
    fn name(&self) -> &str {
        &self.name
    }

    fn symbols(&self) -> &[Symbol] {
        &self.symbols
    }

    fn next_event(&mut self) -> EventFuture<'_> {
        Box::pin(async move {
            if self.ended {
                return Ok(None);
            }
            // `recv` is cancel-safe: an event not yet received stays in the channel.
            match self.rx.recv().await {
                Some(Ok((ev, origin))) => {
                    self.last_origin = origin;
                    Ok(Some(ev))
                }
                Some(Err(e)) => {
                    self.ended = true;
                    Err(e)
                }
                None => {
                    self.ended = true;
                    Ok(None)
                }
            }
        })
    }
}

/// Where a delivered event came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// History before the first live bar ([`ResilientConfig::warmup_bars`]).
    Warmup,
    /// Bars missed while disconnected (or a hole), fetched over REST.
    Backfill,
    /// The live stream.
    Stream,
}

/// Remembers, per symbol, the open time of the last bar delivered.
#[derive(Debug)]
struct Gate {
    timeframe: Timeframe,
    last: HashMap<Symbol, Timestamp>,
}

/// What the gate says about a streamed bar.
#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    /// Already delivered.
    Duplicate,
    /// The next one (or the first): deliver.
    Next,
    /// Bars `[from, bar)` are missing.
    Gap { from: Timestamp },
}

impl Gate {
    fn new(timeframe: Timeframe) -> Self {
        Gate {
            timeframe,
            last: HashMap::new(),
        }
    }

    fn judge(&self, symbol: &Symbol, open: Timestamp) -> Verdict {
        match self.last.get(symbol) {
            None => Verdict::Next,
            Some(&last) if open <= last => Verdict::Duplicate,
            Some(&last) => {
                let next = self.after(last);
                if open > next {
                    Verdict::Gap { from: next }
                } else {
                    Verdict::Next
                }
            }
        }
    }

    /// The open time after `t`.
    fn after(&self, t: Timestamp) -> Timestamp {
        Timestamp::from_nanos(t.as_nanos().saturating_add(self.timeframe.as_nanos()))
    }

    fn pass(&mut self, symbol: &Symbol, open: Timestamp) {
        self.last.insert(symbol.clone(), open);
    }
}

/// How a session ended.
enum End {
    /// Reconnect after a delay.
    Retry(String),
    /// Stop the feed (the consumer is gone, or a fatal error was sent).
    Stop,
}

struct Worker<V: BarVenue> {
    venue: V,
    sub: Subscription,
    cfg: ResilientConfig,
    gate: Gate,
    backoff: Backoff,
    tx: mpsc::Sender<Result<(MarketEvent, Origin), FeedError>>,
    notices: Option<mpsc::Sender<FeedNotice>>,
    stats: Arc<Mutex<FeedStats>>,
}

impl<V: BarVenue> Worker<V> {
    async fn run(mut self) {
        let mut attempt = 0u32;
        loop {
            let end = match self.venue.connect(&self.sub).await {
                Ok(session) => {
                    attempt += 1;
                    self.bump(|s| s.connects += 1);
                    self.notice(FeedNotice::Connected { attempt });
                    // After the first connection every session starts with a catch-up; the
                    // first one with the warm-up, if asked for.
                    let catch_up = attempt > 1 || self.cfg.warmup_bars > 0;
                    let end = self.pump(session, catch_up).await;
                    self.bump(|s| s.disconnects += 1);
                    end
                }
                Err(e) => self.failed(e).await,
            };
            match end {
                End::Stop => return,
                End::Retry(reason) => {
                    let delay = self.backoff.next_delay();
                    self.notice(FeedNotice::Disconnected {
                        reason,
                        retry_in: delay,
                    });
                    tokio::time::sleep(delay).await;
                }
            }
        }
    }

    /// Reports a fatal error to the consumer and stops, or asks for a retry.
    async fn failed(&mut self, e: VenueError) -> End {
        if e.is_fatal() {
            let err = FeedError::Venue {
                venue: self.venue.name().to_string(),
                message: e.to_string(),
            };
            // The consumer may be gone already; either way the feed ends.
            let _ = self.tx.send(Err(err)).await;
            End::Stop
        } else {
            End::Retry(e.to_string())
        }
    }

    /// Runs one session until it ends.
    async fn pump(&mut self, mut session: V::Session, mut catch_up: bool) -> End {
        loop {
            let ev = match session.next_event().await {
                Ok(Some(ev)) => ev,
                Ok(None) => return End::Retry("the server closed the connection".into()),
                Err(e) => return self.failed(e).await,
            };
            match ev {
                StreamEvent::Bar {
                    symbol,
                    timeframe,
                    bar,
                } => {
                    if timeframe != self.gate.timeframe {
                        // Sessions deliver only what was subscribed: this is a venue bug.
                        return End::Retry(format!(
                            "{symbol}: a {timeframe} bar on a {} subscription",
                            self.gate.timeframe
                        ));
                    }
                    if self.gate.judge(&symbol, bar.time()) == Verdict::Duplicate {
                        self.bump(|s| s.duplicates += 1);
                        continue;
                    }
                    // The first new bar after a reconnect marks the end of what was missed.
                    if catch_up {
                        if let Err(end) = self.catch_up_all(bar.time()).await {
                            return end;
                        }
                        catch_up = false;
                    }
                    match self.gate.judge(&symbol, bar.time()) {
                        Verdict::Duplicate => continue,
                        Verdict::Gap { from } if self.cfg.gap_backfill => {
                            if let Err(end) =
                                self.backfill(&[(symbol.clone(), from)], bar.time()).await
                            {
                                return end;
                            }
                        }
                        Verdict::Gap { .. } | Verdict::Next => {}
                    }
                    // The first bar of a session proves the connection works.
                    self.backoff.reset();
                    if !self.deliver_bar(symbol, bar, Origin::Stream).await {
                        return End::Stop;
                    }
                    self.bump(|s| s.streamed += 1);
                }
                StreamEvent::Trade { symbol, trade } => {
                    if self
                        .tx
                        .send(Ok((MarketEvent::Trade { symbol, trade }, Origin::Stream)))
                        .await
                        .is_err()
                    {
                        return End::Stop;
                    }
                    self.bump(|s| s.trades += 1);
                }
                StreamEvent::Forming { symbol, bar, .. } => {
                    self.notice(FeedNotice::Forming { symbol, bar });
                }
                StreamEvent::Quote {
                    symbol, bid, ask, ..
                } => self.notice(FeedNotice::Quote { symbol, bid, ask }),
            }
        }
    }

    /// Before the first new bar of a session (open time `until`): every symbol already seen
    /// gets its missed bars `[last + tf, until)`; on the first connection, with
    /// [`ResilientConfig::warmup_bars`], every symbol gets that many bars before `until`
    /// (the indicators' warm-up), all merged in time order.
    async fn catch_up_all(&mut self, until: Timestamp) -> Result<(), End> {
        let warmup = i64::from(self.cfg.warmup_bars).saturating_mul(self.gate.timeframe.as_nanos());
        let mut ranges: Vec<(Symbol, Timestamp)> = Vec::new();
        for s in &self.sub.symbols {
            let start = match self.gate.last.get(s) {
                Some(&t) => self.gate.after(t),
                None if warmup > 0 => {
                    Timestamp::from_nanos(until.as_nanos().saturating_sub(warmup))
                }
                None => continue,
            };
            ranges.push((s.clone(), start));
        }
        ranges.sort();
        self.backfill(&ranges, until).await
    }

    /// Fetches `[start, until)` of each symbol over REST (retrying), and delivers what the
    /// gate lets through, merged in time order (ties in symbol order).
    async fn backfill(
        &mut self,
        ranges: &[(Symbol, Timestamp)],
        until: Timestamp,
    ) -> Result<(), End> {
        // A symbol delivered before gets missed bars; one never delivered, its warm-up.
        let origins: Vec<Origin> = ranges
            .iter()
            .map(|(s, _)| {
                if self.gate.last.contains_key(s) {
                    Origin::Backfill
                } else {
                    Origin::Warmup
                }
            })
            .collect();
        let mut merged: Vec<(Timestamp, usize, Bar)> = Vec::new();
        for (i, (symbol, start)) in ranges.iter().enumerate() {
            let start = self
                .gate
                .last
                .get(symbol)
                .map_or(*start, |&t| self.gate.after(t).max(*start));
            if start >= until {
                continue;
            }
            let bars = self.history_with_retry(symbol, start, until).await?;
            merged.extend(bars.into_iter().map(|b| (b.time(), i, b)));
        }
        merged.sort_by_key(|(t, i, _)| (*t, *i));
        let mut counts = vec![0usize; ranges.len()];
        for (t, i, bar) in merged {
            let symbol = &ranges[i].0;
            if t >= until || self.gate.judge(symbol, t) == Verdict::Duplicate {
                continue;
            }
            if !self.deliver_bar(symbol.clone(), bar, origins[i]).await {
                return Err(End::Stop);
            }
            counts[i] += 1;
        }
        for ((symbol, from), bars) in ranges.iter().zip(counts) {
            if *from >= until {
                continue;
            }
            self.bump(|s| s.backfilled += bars as u64);
            self.notice(FeedNotice::Backfilled {
                symbol: symbol.clone(),
                bars,
                from: *from,
                to: until,
            });
        }
        Ok(())
    }

    async fn history_with_retry(
        &mut self,
        symbol: &Symbol,
        from: Timestamp,
        until: Timestamp,
    ) -> Result<Vec<Bar>, End> {
        let mut backoff = Backoff::new(self.cfg.backoff_base, self.cfg.backoff_max);
        let mut last_error = String::new();
        for _ in 0..self.cfg.backfill_attempts.max(1) {
            match self
                .venue
                .history(symbol, self.gate.timeframe, from, until)
                .await
            {
                Ok(bars) => return Ok(bars),
                Err(e) if e.is_fatal() => return Err(self.failed(e).await),
                Err(e) => {
                    let wait = e.retry_after().unwrap_or_else(|| backoff.next_delay());
                    last_error = e.to_string();
                    tokio::time::sleep(wait).await;
                }
            }
        }
        Err(End::Retry(format!(
            "backfill of {symbol} from {from} failed {} times: {last_error}",
            self.cfg.backfill_attempts.max(1)
        )))
    }

    /// Sends a bar to the consumer and moves the gate; false when the consumer is gone.
    async fn deliver_bar(&mut self, symbol: Symbol, bar: Bar, origin: Origin) -> bool {
        let open = bar.time();
        let ev = MarketEvent::Bar {
            symbol: symbol.clone(),
            timeframe: self.gate.timeframe,
            bar,
        };
        if self.tx.send(Ok((ev, origin))).await.is_err() {
            return false;
        }
        self.gate.pass(&symbol, open);
        true
    }

    fn notice(&self, n: FeedNotice) {
        if let Some(tx) = &self.notices {
            // Informational: a full buffer drops the notice rather than stalling market data.
            let _ = tx.try_send(n);
        }
    }

    fn bump(&self, f: impl FnOnce(&mut FeedStats)) {
        if let Ok(mut s) = self.stats.lock() {
            f(&mut s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::VecDeque;

    use proptest::prelude::*;

    type Script = VecDeque<Result<Option<StreamEvent>, VenueError>>;

    /// A venue whose connections play scripts, with a complete REST history behind them.
    #[derive(Clone)]
    struct Mock {
        sessions: Arc<Mutex<VecDeque<Result<Script, VenueError>>>>,
        history: Arc<HashMap<Symbol, Vec<Bar>>>,
        /// History calls that fail (non-fatally) before one succeeds.
        history_failures: Arc<Mutex<u32>>,
        history_calls: Arc<Mutex<u32>>,
    }

    struct MockSession(Script);

    impl BarSession for MockSession {
        async fn next_event(&mut self) -> Result<Option<StreamEvent>, VenueError> {
            match self.0.pop_front() {
                Some(step) => step,
                None => Ok(None),
            }
        }
    }

    impl BarVenue for Mock {
        type Session = MockSession;

        fn name(&self) -> &str {
            "mock"
        }

        async fn connect(&self, _sub: &Subscription) -> Result<MockSession, VenueError> {
            let next = self
                .sessions
                .lock()
                .map(|mut s| s.pop_front())
                .ok()
                .flatten();
            match next {
                Some(Ok(script)) => Ok(MockSession(script)),
                Some(Err(e)) => Err(e),
                // Out of scripts: never connect again.
                None => std::future::pending().await,
            }
        }

        async fn history(
            &self,
            symbol: &Symbol,
            _timeframe: Timeframe,
            from: Timestamp,
            to: Timestamp,
        ) -> Result<Vec<Bar>, VenueError> {
            *self.history_calls.lock().unwrap() += 1;
            {
                let mut f = self.history_failures.lock().unwrap();
                if *f > 0 {
                    *f -= 1;
                    return Err(VenueError::Connection {
                        venue: "mock",
                        message: "HTTP 503".into(),
                    });
                }
            }
            Ok(self.history[symbol]
                .iter()
                .filter(|b| b.time() >= from && b.time() < to)
                .copied()
                .collect())
        }
    }

    fn sym(s: &str) -> Symbol {
        Symbol::new(s).unwrap()
    }

    fn series(n: usize, base: f64) -> Vec<Bar> {
        (0..n)
            .map(|i| {
                let p = base + i as f64;
                Bar::new(
                    Timestamp::from_secs(1_700_000_040 + 60 * i as i64).unwrap(),
                    p,
                    p + 1.0,
                    p - 1.0,
                    p + 0.5,
                    10.0,
                )
                .unwrap()
            })
            .collect()
    }

    fn bar_ev(symbol: &Symbol, bar: Bar) -> Result<Option<StreamEvent>, VenueError> {
        Ok(Some(StreamEvent::Bar {
            symbol: symbol.clone(),
            timeframe: Timeframe::M1,
            bar,
        }))
    }

    fn drop_conn() -> Result<Option<StreamEvent>, VenueError> {
        Err(VenueError::Connection {
            venue: "mock",
            message: "reset by peer".into(),
        })
    }

    fn mock(sessions: Vec<Result<Script, VenueError>>, history: Vec<(Symbol, Vec<Bar>)>) -> Mock {
        Mock {
            sessions: Arc::new(Mutex::new(sessions.into())),
            history: Arc::new(history.into_iter().collect()),
            history_failures: Arc::new(Mutex::new(0)),
            history_calls: Arc::new(Mutex::new(0)),
        }
    }

    fn cfg(gap_backfill: bool) -> ResilientConfig {
        ResilientConfig {
            gap_backfill,
            ..ResilientConfig::default()
        }
    }

    async fn take(feed: &mut ResilientFeed, n: usize) -> Vec<(Symbol, Timestamp)> {
        take_all(feed, n).await.0
    }

    /// The first `n` bars and where each came from.
    async fn take_all(
        feed: &mut ResilientFeed,
        n: usize,
    ) -> (Vec<(Symbol, Timestamp)>, Vec<Origin>) {
        let mut out = Vec::new();
        let mut origins = Vec::new();
        while out.len() < n {
            // Time is paused: a feed that stalls fails the test instead of hanging it.
            let next = tokio::time::timeout(Duration::from_secs(3600), feed.next_event()).await;
            let Ok(next) = next else { break };
            match next {
                Ok(Some(MarketEvent::Bar { symbol, bar, .. })) => {
                    out.push((symbol, bar.time()));
                    origins.push(feed.last_origin());
                }
                Ok(Some(other)) => panic!("unexpected {other:?}"),
                Ok(None) => break,
                Err(e) => panic!("feed error {e}"),
            }
        }
        (out, origins)
    }

    fn times(bars: &[Bar]) -> Vec<Timestamp> {
        bars.iter().map(Bar::time).collect()
    }

    #[tokio::test(start_paused = true)]
    async fn reconnect_backfills_the_missed_bars_and_drops_resent_ones() {
        let s = sym("BTCUSDT");
        let all = series(12, 100.0);
        let first: Script = all[..5]
            .iter()
            .map(|b| bar_ev(&s, *b))
            .chain([drop_conn()])
            .collect();
        // The second connection resends bar 4 (duplicate), then streams from bar 8.
        let second: Script = [all[4]]
            .iter()
            .chain(&all[8..])
            .map(|b| bar_ev(&s, *b))
            .collect();
        let venue = mock(vec![Ok(first), Ok(second)], vec![(s.clone(), all.clone())]);
        let mut feed = ResilientFeed::start(
            venue.clone(),
            Subscription {
                symbols: vec![s.clone()],
                timeframe: Timeframe::M1,
                trades: false,
            },
            cfg(false),
            None,
        );
        let (got, origins) = take_all(&mut feed, 12).await;
        assert_eq!(&origins[5..8], &[Origin::Backfill; 3]);
        let got_times: Vec<Timestamp> = got.iter().map(|(_, t)| *t).collect();
        assert_eq!(got_times, times(&all));
        let st = feed.stats();
        assert_eq!(st.connects, 2);
        assert_eq!(st.duplicates, 1);
        assert_eq!(st.backfilled, 3, "bars 5, 6, 7 came from REST");
        assert_eq!(st.streamed, 9);
    }

    #[tokio::test(start_paused = true)]
    async fn a_hole_inside_a_session_is_backfilled_when_bars_are_continuous() {
        let s = sym("ETHUSDT");
        let all = series(10, 50.0);
        let script: Script = all[..3]
            .iter()
            .chain(&all[6..])
            .map(|b| bar_ev(&s, *b))
            .collect();
        let venue = mock(vec![Ok(script)], vec![(s.clone(), all.clone())]);
        let sub = Subscription {
            symbols: vec![s.clone()],
            timeframe: Timeframe::M1,
            trades: false,
        };
        let mut feed = ResilientFeed::start(venue, sub.clone(), cfg(true), None);
        let got: Vec<Timestamp> = take(&mut feed, 10).await.into_iter().map(|x| x.1).collect();
        assert_eq!(got, times(&all));

        // Without gap backfill (Alpaca: minutes without trades have no bar) the hole stays.
        let script: Script = all[..3]
            .iter()
            .chain(&all[6..])
            .map(|b| bar_ev(&s, *b))
            .collect();
        let venue = mock(vec![Ok(script)], vec![(s.clone(), all.clone())]);
        let mut feed = ResilientFeed::start(venue.clone(), sub, cfg(false), None);
        let got = take(&mut feed, 7).await;
        assert_eq!(got.len(), 7);
        assert_eq!(*venue.history_calls.lock().unwrap(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn backfill_merges_symbols_in_time_order_and_retries_rest_failures() {
        let a = sym("AAPL");
        let b = sym("MSFT");
        let ha = series(8, 10.0);
        let hb = series(8, 20.0);
        let first: Script = (0..3)
            .flat_map(|i| [bar_ev(&a, ha[i]), bar_ev(&b, hb[i])])
            .chain([drop_conn()])
            .collect();
        let second: Script = (6..8)
            .flat_map(|i| [bar_ev(&a, ha[i]), bar_ev(&b, hb[i])])
            .collect();
        let venue = mock(
            vec![
                Ok(first),
                Err(VenueError::Connection {
                    venue: "mock",
                    message: "refused".into(),
                }),
                Ok(second),
            ],
            vec![(a.clone(), ha.clone()), (b.clone(), hb.clone())],
        );
        *venue.history_failures.lock().unwrap() = 2;
        let mut feed = ResilientFeed::start(
            venue.clone(),
            Subscription {
                symbols: vec![a.clone(), b.clone()],
                timeframe: Timeframe::M1,
                trades: false,
            },
            cfg(false),
            None,
        );
        let got = take(&mut feed, 16).await;
        let want: Vec<(Symbol, Timestamp)> = (0..8)
            .flat_map(|i| [(a.clone(), ha[i].time()), (b.clone(), hb[i].time())])
            .collect();
        assert_eq!(got, want);
        assert_eq!(feed.stats().backfilled, 6);
    }

    #[tokio::test(start_paused = true)]
    async fn warm_up_history_meets_the_stream_exactly() {
        let a = sym("AAPL");
        let b = sym("MSFT");
        let ha = series(10, 10.0);
        let hb = series(10, 20.0);
        // The stream starts at bar 6 (MSFT first): 3 bars of warm-up each, time-merged.
        let script: Script = (6..10)
            .flat_map(|i| [bar_ev(&b, hb[i]), bar_ev(&a, ha[i])])
            .collect();
        let venue = mock(
            vec![Ok(script)],
            vec![(a.clone(), ha.clone()), (b.clone(), hb.clone())],
        );
        let mut feed = ResilientFeed::start(
            venue,
            Subscription {
                symbols: vec![b.clone(), a.clone()],
                timeframe: Timeframe::M1,
                trades: false,
            },
            ResilientConfig {
                warmup_bars: 3,
                ..cfg(false)
            },
            None,
        );
        let (got, origins) = take_all(&mut feed, 14).await;
        assert!(
            origins[..6].iter().all(|o| *o == Origin::Warmup),
            "{origins:?}"
        );
        assert!(
            origins[6..].iter().all(|o| *o == Origin::Stream),
            "{origins:?}"
        );
        let mut want: Vec<(Symbol, Timestamp)> = (3..6)
            .flat_map(|i| [(a.clone(), ha[i].time()), (b.clone(), hb[i].time())])
            .collect();
        want.extend((6..10).flat_map(|i| [(b.clone(), hb[i].time()), (a.clone(), ha[i].time())]));
        assert_eq!(got, want);
        assert_eq!(feed.stats().backfilled, 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_fatal_error_ends_the_feed_with_the_reason() {
        let venue = mock(
            vec![Err(VenueError::Auth {
                venue: "mock",
                message: "auth failed (402)".into(),
            })],
            vec![],
        );
        let mut feed = ResilientFeed::start(
            venue,
            Subscription {
                symbols: vec![sym("AAPL")],
                timeframe: Timeframe::M1,
                trades: false,
            },
            cfg(false),
            None,
        );
        let err = feed.next_event().await.unwrap_err();
        assert!(err.to_string().contains("auth failed (402)"), "{err}");
        assert!(feed.next_event().await.unwrap().is_none());
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Whatever the disconnect points and however much each new connection resends, the
        /// consumer sees every bar exactly once, in order.
        #[test]
        fn exactly_once_across_any_disconnects(
            n in 5usize..60,
            cuts in proptest::collection::vec((0usize..60, 0usize..6, 0usize..4), 0..6),
        ) {
            let s = sym("BTCUSDT");
            let all = series(n, 100.0);
            // Each cut: the session streams up to `end`, then drops; the next one resends
            // `resend` bars before that point and skips `skip` bars after it.
            let mut sessions = Vec::new();
            let mut pos = 0usize;
            let mut cuts = cuts;
            cuts.sort();
            for (end, resend, skip) in cuts {
                let end = end.min(n);
                if end <= pos { continue; }
                let start = pos.saturating_sub(resend);
                let script: Script = all[start..end].iter().map(|b| bar_ev(&s, *b))
                    .chain([drop_conn()]).collect();
                sessions.push(Ok(script));
                pos = (end + skip).min(n - 1);
            }
            let last: Script = all[pos..].iter().map(|b| bar_ev(&s, *b)).collect();
            sessions.push(Ok(last));
            let venue = mock(sessions, vec![(s.clone(), all.clone())]);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all().start_paused(true).build().unwrap();
            let got = rt.block_on(async {
                let mut feed = ResilientFeed::start(venue, Subscription {
                    symbols: vec![s.clone()], timeframe: Timeframe::M1, trades: false,
                }, cfg(false), None);
                take(&mut feed, n).await
            });
            let got: Vec<Timestamp> = got.into_iter().map(|x| x.1).collect();
            prop_assert_eq!(got, times(&all));
        }
    }
}
