//! `ploutos analyze` and `ploutos demo`: the console analyzer.
//!
//! Market events come from a [`ploutos_venues::Feed`] (the replay feed here; the live venues
//! implement the same trait). Per ticker, bars go through a [`BarAggregator`] (or trades through
//! a [`TradeBarBuilder`]) to the requested timeframe, then through the
//! [`ConsensusDetector`]; each closed bar prints a line, each BUY/SELL at or above the minimum
//! confidence a framed alert (text), or a JSON object (jsonl).

pub(crate) mod live;
pub(crate) mod output;
pub(crate) mod source;
mod stats;

use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{bail, Context, Result};
use ploutos_core::{Bar, MarketEvent, Symbol, Timeframe};
use ploutos_engine::bars::{BarAggregator, TradeBarBuilder};
use ploutos_engine::consensus::{ConsensusConfig, ConsensusDetector};

use crate::cli::{AnalyzeArgs, AnalyzerOptions, DemoArgs, FeedKind, Format};
use crate::config::Config;
use crate::samples;
use output::Style;
use stats::SessionStats;

/// `ploutos analyze`.
pub fn run_analyze(args: AnalyzeArgs) -> Result<()> {
    if args.feed != FeedKind::Replay {
        if !args.replay.is_empty() {
            bail!("--replay and --feed {:?} exclude each other", args.feed);
        }
        let warmup = args
            .warmup
            .unwrap_or_else(|| live::default_warmup(args.opts.timeframe));
        return run(
            Source::Live {
                kind: args.feed,
                tickers: args.tickers.clone(),
                warmup,
            },
            &args.opts,
            args.max_events,
        );
    }
    let sources = if args.replay.is_empty() {
        if args.tickers.is_empty() {
            bail!("nothing to analyze: give --replay FILE[,FILE…] or --tickers (bundled samples); see `ploutos analyze --help`");
        }
        args.tickers
            .iter()
            .map(|t| Ok((Some(Symbol::new(t)?), samples::file_for(t)?)))
            .collect::<Result<Vec<_>>>()?
    } else {
        args.replay
            .iter()
            .map(|spec| source::parse_replay_spec(spec))
            .collect::<Result<Vec<_>>>()?
    };
    let plan = source::SessionPlan {
        sources,
        only: args.tickers.clone(),
        speed: args.speed,
        align: None,
    };
    run(Source::Replay(plan), &args.opts, args.max_events)
}

/// `ploutos demo`: the paper-trading demo, or with `--analyze-only` (or `--format jsonl`) the
/// analyzer alone.
pub fn run_demo(args: DemoArgs) -> Result<()> {
    if !args.analyze_only && args.opts.format == Format::Text {
        return crate::run::demo(&args);
    }
    let dir = samples::dir()?;
    let wanted: Vec<String> = args
        .tickers
        .iter()
        .map(|t| t.trim().to_ascii_uppercase())
        .collect();
    let mut sources = Vec::new();
    for (ticker, file) in samples::DEMO {
        if wanted.is_empty() || wanted.iter().any(|w| w == ticker) {
            sources.push((Some(Symbol::new(ticker)?), dir.join(file)));
        }
    }
    if let Some(w) = wanted
        .iter()
        .find(|w| !samples::DEMO.iter().any(|(t, _)| t == w))
    {
        let names: Vec<&str> = samples::DEMO.iter().map(|(t, _)| *t).collect();
        bail!(
            "the demo has no ticker {w:?}; it plays {}",
            names.join(", ")
        );
    }
    let plan = source::SessionPlan {
        sources,
        only: Vec::new(),
        speed: args.speed,
        // Whole quarter hours (or bars, if longer): 5m and 15m buckets stay on the clock.
        align: Some(
            args.opts
                .timeframe
                .map_or(0, |t| t.as_nanos())
                .max(Timeframe::M15.as_nanos()),
        ),
    };
    run(Source::Replay(plan), &args.opts, None)
}

/// Where the analyzer's market data comes from.
enum Source {
    /// History files.
    Replay(source::SessionPlan),
    /// A live venue.
    Live {
        kind: FeedKind,
        tickers: Vec<String>,
        warmup: u32,
    },
}

/// One ticker's pipeline.
struct Ticker {
    symbol: Symbol,
    stats_idx: usize,
    bars: Option<BarAggregator>,
    trades: Option<TradeBarBuilder>,
    detector: ConsensusDetector,
}

struct Analyzer {
    tickers: Vec<Ticker>,
    consensus: ConsensusConfig,
    timeframe: Option<Timeframe>,
    min_confidence: u8,
    format: Format,
    all: bool,
    style: Style,
    strategy: Arc<str>,
    stats: SessionStats,
    last_day: Option<i64>,
    shown_timeframe: String,
}

impl Analyzer {
    fn ticker(&mut self, symbol: &Symbol) -> Result<usize> {
        if let Some(i) = self.tickers.iter().position(|t| &t.symbol == symbol) {
            return Ok(i);
        }
        let stats_idx = self.stats.add_ticker(symbol.as_str());
        self.tickers.push(Ticker {
            symbol: symbol.clone(),
            stats_idx,
            bars: None,
            trades: None,
            detector: ConsensusDetector::new(self.consensus.clone())?,
        });
        Ok(self.tickers.len() - 1)
    }

    /// Handles one market event: aggregation, decision, output.
    fn on_event(&mut self, ev: &MarketEvent, out: &mut impl Write) -> Result<()> {
        let started = Instant::now();
        self.stats.events += 1;
        let idx = self.ticker(ev.symbol())?;
        let target = self.timeframe;
        let t = &mut self.tickers[idx];
        let mut closed: [Option<Bar>; 2] = [None, None];
        match ev {
            MarketEvent::Bar { timeframe, bar, .. } => {
                let target = target.unwrap_or(*timeframe);
                if t.bars.is_none() {
                    if target < *timeframe {
                        bail!(
                            "{}: the data has {} bars; cannot make shorter {} bars from them (use --timeframe {} or longer)",
                            t.symbol, timeframe, target, timeframe
                        );
                    }
                    t.bars = Some(
                        BarAggregator::new(*timeframe, target)
                            .with_context(|| t.symbol.to_string())?,
                    );
                }
                if let Some(agg) = t.bars.as_mut() {
                    match agg.push(bar) {
                        Ok(done) => {
                            for (slot, b) in closed.iter_mut().zip(done) {
                                *slot = Some(b);
                            }
                        }
                        Err(e) => {
                            eprintln!("warning: {}: {e}", t.symbol);
                            self.stats.tickers[t.stats_idx].1.rejected += 1;
                        }
                    }
                }
            }
            MarketEvent::Trade { trade, .. } => {
                let builder = t
                    .trades
                    .get_or_insert_with(|| TradeBarBuilder::new(target.unwrap_or(Timeframe::M1)));
                match builder.push(trade) {
                    Ok(b) => closed[0] = b,
                    Err(e) => {
                        eprintln!("warning: {}: {e}", t.symbol);
                        self.stats.tickers[t.stats_idx].1.rejected += 1;
                    }
                }
            }
        }
        for bar in closed.into_iter().flatten() {
            self.decide(idx, &bar, started, out)?;
        }
        Ok(())
    }

    fn decide(
        &mut self,
        idx: usize,
        bar: &Bar,
        started: Instant,
        out: &mut impl Write,
    ) -> Result<()> {
        let t = &mut self.tickers[idx];
        let verdict = t.detector.on_bar(bar);
        let alert = verdict.is_alert(self.min_confidence);
        self.stats
            .record(t.stats_idx, verdict.kind, alert, started.elapsed());
        match self.format {
            Format::Text => {
                let day = bar.time().utc_day();
                if self.last_day != Some(day) {
                    self.last_day = Some(day);
                    output::day_line(out, bar.time())?;
                }
                output::bar_line(
                    out,
                    self.style,
                    t.symbol.as_str(),
                    &verdict,
                    self.min_confidence,
                )?;
                if alert {
                    let signal = verdict.to_signal(&t.symbol, &self.strategy);
                    output::alert(out, self.style, &self.shown_timeframe, &signal)?;
                }
            }
            Format::Jsonl => {
                if self.all || alert {
                    let signal = verdict.to_signal(&t.symbol, &self.strategy);
                    output::json_line(out, &signal, &self.shown_timeframe)?;
                }
            }
        }
        Ok(())
    }

    /// End of data: partial bars are dropped, and said so.
    fn finish(&mut self, log: &mut impl Write) -> io::Result<()> {
        for t in &mut self.tickers {
            let dropped = t
                .bars
                .as_mut()
                .and_then(BarAggregator::discard)
                .or_else(|| t.trades.as_mut().and_then(TradeBarBuilder::discard));
            if let Some(b) = dropped {
                writeln!(
                    log,
                    "note: {}: dropped the unfinished bar opened at {} (its period had not closed)",
                    t.symbol,
                    b.time()
                )?;
            }
        }
        Ok(())
    }
}

fn run(src: Source, opts: &AnalyzerOptions, max_events: Option<u64>) -> Result<()> {
    let cfg = match &opts.config {
        Some(p) => Config::load(p)?,
        None => Config::default(),
    };
    let max = opts.max_tickers.unwrap_or(cfg.analyzer.max_tickers);
    let min_confidence = opts.min_confidence.unwrap_or(cfg.consensus.min_confidence);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let (loaded, live) = match &src {
        Source::Replay(plan) => (source::load(plan)?, plan.speed > 0.0),
        Source::Live {
            kind,
            tickers,
            warmup,
        } => {
            let _rt = runtime.enter();
            (live::start(*kind, tickers, &cfg, *warmup)?, true)
        }
    };
    if loaded.symbols.len() > max {
        bail!(
            "{} tickers requested, at most {max} allowed (raise it with --max-tickers or [analyzer] max_tickers)",
            loaded.symbols.len()
        );
    }
    let color = opts.format == Format::Text
        && !opts.no_color
        && std::env::var_os("NO_COLOR").is_none()
        && io::stdout().is_terminal();
    let shown_timeframe = match opts.timeframe {
        Some(tf) => tf.to_string(),
        None => loaded.timeframes_shown(),
    };
    let mut analyzer = Analyzer {
        tickers: Vec::new(),
        consensus: cfg.consensus.clone(),
        timeframe: opts.timeframe,
        min_confidence,
        format: opts.format,
        all: opts.all,
        style: Style { color },
        strategy: Arc::from("consensus"),
        stats: SessionStats::default(),
        last_day: None,
        shown_timeframe,
    };
    // Validate the detector config before any output.
    ConsensusDetector::new(cfg.consensus.clone())?;
    for s in &loaded.symbols {
        analyzer.ticker(s)?;
    }

    let stdout = io::stdout();
    let mut out = BufWriter::with_capacity(1 << 16, stdout.lock());
    if opts.format == Format::Text {
        let names: Vec<String> = loaded.symbols.iter().map(|s| s.to_string()).collect();
        output::header(
            &mut out,
            &names,
            &analyzer.shown_timeframe,
            &loaded.description,
            min_confidence,
            &cfg.consensus,
        )?;
    }
    let started = Instant::now();
    let mut feed = loaded.feed;
    let mut seen = 0u64;
    let interrupted = runtime.block_on(async {
        let ctrl_c = tokio::signal::ctrl_c();
        tokio::pin!(ctrl_c);
        loop {
            tokio::select! {
                biased;
                _ = &mut ctrl_c => return Ok::<bool, anyhow::Error>(true),
                ev = feed.next_event() => match ev? {
                    Some(ev) => {
                        analyzer.on_event(&ev, &mut out)?;
                        if live {
                            out.flush()?;
                        }
                        seen += 1;
                        if max_events.is_some_and(|m| seen >= m) {
                            return Ok(false);
                        }
                    }
                    None => return Ok(false),
                },
            }
        }
    })?;
    let elapsed = started.elapsed();
    // Session statistics go to stdout in text mode, to stderr in jsonl mode (stdout stays JSON).
    match opts.format {
        Format::Text => {
            analyzer.finish(&mut out)?;
            writeln!(out)?;
            write!(out, "{}", analyzer.stats.render(elapsed, interrupted))?;
            out.flush()?;
        }
        Format::Jsonl => {
            out.flush()?;
            let mut err = io::stderr().lock();
            analyzer.finish(&mut err)?;
            write!(err, "{}", analyzer.stats.render(elapsed, interrupted))?;
        }
    }
    Ok(())
}
