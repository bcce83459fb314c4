//! Where the analyzer's market events come from: replay files now (bundled samples or the
//! user's own), through the same [`Feed`] trait the live venues implement.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ploutos_core::{Symbol, Timeframe, Timestamp, Trade};
use ploutos_store::history::split_symbol_spec;
use ploutos_venues::replay::{Replay, ReplayFeed, ReplaySource, ReplayStream};
use ploutos_venues::Feed;

/// Longest wall-clock pause between two replayed events (overnight gaps don't stall).
const MAX_GAP: Duration = Duration::from_secs(5);

/// What to replay.
pub struct SessionPlan {
    /// Files, each with an explicit symbol or one taken from the file name.
    pub sources: Vec<(Option<Symbol>, PathBuf)>,
    /// Keep only these tickers (empty: all).
    pub only: Vec<String>,
    /// × real time; 0 = as fast as possible.
    pub speed: f64,
    /// Shift each file by whole multiples of this (a multiple of every bar length in play)
    /// so they all start together (the demo); `None` keeps the files' own clocks.
    pub align: Option<i64>,
}

/// The loaded replay (a plain iterator of market events) and what the header says about it.
pub struct LoadedReplay {
    pub symbols: Vec<Symbol>,
    pub timeframes: Vec<Timeframe>,
    pub replay: Replay,
    pub description: String,
}

impl LoadedReplay {
    /// The paced feed over the rest of the replay.
    pub fn into_feed(self, speed: f64) -> Loaded {
        Loaded {
            symbols: self.symbols,
            timeframes: self.timeframes,
            feed: Box::new(ReplayFeed::new(self.replay, speed, MAX_GAP)),
            description: self.description,
        }
    }
}

/// The loaded feed and what the header says about it.
pub struct Loaded {
    pub symbols: Vec<Symbol>,
    pub timeframes: Vec<Timeframe>,
    pub feed: Box<dyn Feed>,
    pub description: String,
}

impl Loaded {
    /// `1m`, or `1m, 5m` when the files differ, or `ticks`.
    pub fn timeframes_shown(&self) -> String {
        let mut tf: Vec<String> = self.timeframes.iter().map(|t| t.to_string()).collect();
        tf.dedup();
        if tf.is_empty() {
            "1m (from trades)".to_string()
        } else {
            tf.join(", ")
        }
    }
}

/// `SYMBOL=FILE` or `FILE`.
pub fn parse_replay_spec(spec: &str) -> Result<(Option<Symbol>, PathBuf)> {
    let spec = spec.trim();
    if spec.is_empty() {
        bail!("--replay: empty file name");
    }
    if let Some((sym, _)) = spec.split_once('=') {
        Symbol::new(sym).with_context(|| format!("--replay {spec}"))?;
    }
    Ok(split_symbol_spec(spec))
}

fn first_time(s: &ReplayStream) -> Option<Timestamp> {
    match s {
        ReplayStream::Bars { bars, .. } => bars.first().map(|b| b.time()),
        ReplayStream::Trades { trades, .. } => trades.first().map(|t| t.time()),
    }
}

fn shift(s: ReplayStream, by: i64) -> Result<ReplayStream> {
    let moved = |t: Timestamp| t.checked_add_nanos(by).context("time shift out of range");
    Ok(match s {
        ReplayStream::Bars {
            symbol,
            timeframe,
            bars,
        } => {
            let bars = bars
                .into_iter()
                .map(|b| Ok(b.at(moved(b.time())?)))
                .collect::<Result<Vec<_>>>()?;
            ReplayStream::bars(symbol, timeframe, bars)?
        }
        ReplayStream::Trades { symbol, trades } => {
            let trades = trades
                .into_iter()
                .map(|t| {
                    let mut n = Trade::new(moved(t.time())?, t.price(), t.quantity())?;
                    if let Some(side) = t.aggressor() {
                        n = n.with_aggressor(side);
                    }
                    if let Some(id) = t.id() {
                        n = n.with_id(id);
                    }
                    Ok(n)
                })
                .collect::<Result<Vec<_>>>()?;
            ReplayStream::trades(symbol, trades)?
        }
    })
}

/// Reads every file, checks the ticker list, and builds the replay feed.
pub fn load(plan: &SessionPlan) -> Result<Loaded> {
    Ok(load_replay(plan)?.into_feed(plan.speed))
}

/// Reads every file, checks the ticker list, and merges them into one replay.
pub fn load_replay(plan: &SessionPlan) -> Result<LoadedReplay> {
    if !(plan.speed.is_finite() && plan.speed >= 0.0) {
        bail!(
            "--speed {}: must be 0 (as fast as possible) or a positive factor",
            plan.speed
        );
    }
    let mut streams = Vec::new();
    for (symbol, path) in &plan.sources {
        let mut src = ReplaySource::new(path.clone());
        if let Some(s) = symbol {
            src = src.symbol(s.clone());
        }
        let stream = src.load()?;
        if !plan.only.is_empty()
            && !plan
                .only
                .iter()
                .any(|t| t.trim().eq_ignore_ascii_case(stream.symbol().as_str()))
        {
            continue;
        }
        if streams
            .iter()
            .any(|s: &ReplayStream| s.symbol() == stream.symbol())
        {
            bail!(
                "two replay files give ticker {}; name them SYMBOL=FILE to tell them apart",
                stream.symbol()
            );
        }
        streams.push(stream);
    }
    for t in &plan.only {
        if !streams
            .iter()
            .any(|s| s.symbol().as_str().eq_ignore_ascii_case(t.trim()))
        {
            bail!(
                "ticker {} is in --tickers but no --replay file holds it",
                t.trim()
            );
        }
    }
    if streams.is_empty() {
        bail!("nothing to replay");
    }
    let mut note = String::new();
    if let Some(unit) = plan.align {
        let floor_hour = |t: Timestamp| t.as_nanos() - t.as_nanos().rem_euclid(unit);
        let target = streams
            .iter()
            .filter_map(first_time)
            .map(floor_hour)
            .max()
            .unwrap_or(0);
        let mut shifted = Vec::with_capacity(streams.len());
        for s in streams {
            let by = first_time(&s).map_or(0, |t| target - floor_hour(t));
            shifted.push(shift(s, by)?);
        }
        streams = shifted;
        note = " · each ticker's history shifted in time to start together".to_string();
    }
    let symbols: Vec<Symbol> = streams.iter().map(|s| s.symbol().clone()).collect();
    let timeframes: Vec<Timeframe> = streams
        .iter()
        .filter_map(|s| match s {
            ReplayStream::Bars { timeframe, .. } => Some(*timeframe),
            ReplayStream::Trades { .. } => None,
        })
        .collect();
    let replay = Replay::new(streams);
    let events = replay.len();
    let pace = if plan.speed > 0.0 {
        format!(
            "{}× real time, pauses capped at {} s",
            plan.speed,
            MAX_GAP.as_secs()
        )
    } else {
        "as fast as possible".to_string()
    };
    let description = format!(
        "replay of {} file(s), {events} events, {pace}{note}",
        plan.sources.len()
    );
    Ok(LoadedReplay {
        symbols,
        timeframes,
        replay,
        description,
    })
}
