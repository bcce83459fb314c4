//! `ploutos run`, `ploutos demo` (paper trading), `ploutos state`, `ploutos panic|resume`.
//!
//! The engine ([`ploutos_engine::engine::Engine`]) runs on this thread and owns all trading
//! state; the feed is awaited through the [`ploutos_venues::Feed`] trait. Every engine event
//! goes to the journal (SQLite, WAL) in batches, each batch committed in one transaction
//! together with a snapshot of the engine state and the feed cursor. With the paper broker
//! nothing leaves the process before its batch commits except console output, so after a
//! crash `--restore` rebuilds the exact state: the latest snapshot, plus the replay from its
//! cursor, which regenerates bit for bit whatever the lost batch held.

pub mod bench;
pub mod commands;
mod console;
mod journal;
mod live;

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use ploutos_core::{MarketEvent, Symbol, Timeframe, Timestamp};
use ploutos_engine::engine::{Engine, EngineState};
use ploutos_engine::events::EngineEvent;
use ploutos_store::journal::{Journal, JournalEntry, JournalOptions, Synchronous};
use ploutos_store::state_files::StateFiles;
use ploutos_venues::Feed;

use crate::analyze::source::{self, SessionPlan};
use crate::config::Config;
pub use console::Console;

/// File names inside the data directory.
pub const JOURNAL_FILE: &str = "journal.sqlite";
pub const COMMANDS_DIR: &str = "commands";

/// What `run` and `demo` need.
pub struct RunPlan {
    pub config: Config,
    /// Where relative replay paths are resolved.
    pub base_dir: PathBuf,
    pub data_dir: PathBuf,
    pub restore: bool,
    pub verbose: bool,
    /// Print every closed bar and consensus alerts (the demo).
    pub bars: bool,
    /// Shift replay files to start together (the demo).
    pub align: Option<i64>,
    /// Stop after this many market events (tests; `None` = the whole feed).
    pub max_events: Option<u64>,
    /// `--live`: the command-line switch for live trading.
    pub live: bool,
}

/// Opens (or creates) the journal of `data_dir`.
pub fn open_journal(data_dir: &Path, full_sync: bool) -> Result<Journal> {
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create data directory {}", data_dir.display()))?;
    let mut opts = JournalOptions::default();
    if full_sync {
        opts.synchronous = Synchronous::Full;
    }
    Ok(Journal::open(data_dir.join(JOURNAL_FILE), opts)?)
}

/// The commands `ploutos panic|resume` left for the engine, oldest first (and removes them).
fn take_commands(dir: &Path) -> Vec<String> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        if let Ok(text) = std::fs::read_to_string(&f) {
            out.push(text.trim().to_string());
        }
        let _ = std::fs::remove_file(&f);
    }
    out
}

/// Leaves a command (`panic`, `resume`, `resume <scope>`) for the running engine (or the next
/// `run --restore`).
pub fn queue_command(data_dir: &Path, command: &str) -> Result<PathBuf> {
    let dir = data_dir.join(COMMANDS_DIR);
    std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = dir.join(format!("{nanos:024}-{}", std::process::id()));
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, command).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// The journal on its own thread: the engine hands it whole batches (each ending with a
/// snapshot) through a bounded channel and goes on; the writer commits each batch in one
/// transaction. With the paper broker nothing leaves the process that a lost batch could
/// contradict: after a crash the engine restores the last committed snapshot and replays the
/// feed from its cursor, regenerating the lost batch bit for bit. With a live venue the loop
/// waits for the commit ([`JournalWriter::send_and_wait`]) before an order leaves.
pub struct JournalWriter {
    tx: Option<std::sync::mpsc::SyncSender<Queued>>,
    handle: Option<std::thread::JoinHandle<Result<u64>>>,
}

/// A batch for the writer, with who waits for its commit.
type Queued = (Vec<JournalEntry>, Option<std::sync::mpsc::Sender<()>>);

impl JournalWriter {
    pub fn spawn(mut journal: Journal) -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Queued>(4);
        let handle = std::thread::Builder::new()
            .name("journal".into())
            .spawn(move || {
                let mut entries = 0u64;
                for (batch, committed) in rx {
                    journal.append(&batch)?;
                    entries += batch.len() as u64;
                    if let Some(ack) = committed {
                        // The waiter may be gone (interrupted); the batch is committed anyway.
                        let _ = ack.send(());
                    }
                }
                Ok(entries)
            });
        match handle {
            Ok(h) => JournalWriter {
                tx: Some(tx),
                handle: Some(h),
            },
            Err(_) => JournalWriter {
                tx: None,
                handle: None,
            },
        }
    }

    /// Queues a batch; fails when the writer stopped (its error is reported by `finish`).
    pub fn send(&mut self, batch: Vec<JournalEntry>) -> Result<()> {
        self.queue(batch, None)
    }

    /// Queues a batch and waits until it (and every batch before it) is committed.
    pub fn send_and_wait(&mut self, batch: Vec<JournalEntry>) -> Result<()> {
        let (ack, committed) = std::sync::mpsc::channel();
        self.queue(batch, Some(ack))?;
        if committed.recv().is_err() {
            self.tx = None;
            return match self.finish() {
                Err(e) => Err(e),
                Ok(_) => bail!("the journal writer stopped"),
            };
        }
        Ok(())
    }

    fn queue(
        &mut self,
        batch: Vec<JournalEntry>,
        ack: Option<std::sync::mpsc::Sender<()>>,
    ) -> Result<()> {
        match &self.tx {
            Some(tx) if tx.send((batch, ack)).is_ok() => Ok(()),
            _ => {
                self.tx = None;
                match self.finish() {
                    Err(e) => Err(e),
                    Ok(_) => bail!("the journal writer stopped"),
                }
            }
        }
    }

    /// Waits until every queued batch is committed; returns how many entries were written.
    pub fn finish(&mut self) -> Result<u64> {
        self.tx = None;
        match self.handle.take() {
            Some(h) => h
                .join()
                .map_err(|_| anyhow::anyhow!("the journal writer panicked"))?,
            None => bail!("the journal writer could not be started"),
        }
    }
}

struct Batcher {
    writer: JournalWriter,
    pending: Vec<JournalEntry>,
    last_commit: Instant,
    commit_after: Duration,
    max_events: usize,
    state_files: StateFiles,
    last_state: Instant,
    state_every: Duration,
}

impl Batcher {
    /// The batcher of `cfg`'s `[journal]` settings, writing `journal` and the state files of
    /// `data_dir`.
    fn new(cfg: &Config, data_dir: &Path, journal: Journal) -> Self {
        Batcher {
            writer: JournalWriter::spawn(journal),
            pending: Vec::new(),
            last_commit: Instant::now(),
            commit_after: Duration::from_millis(cfg.journal.commit_ms),
            max_events: cfg.journal.batch_events,
            state_files: StateFiles::new(data_dir.to_path_buf()).with_keep(cfg.journal.keep_states),
            last_state: Instant::now(),
            state_every: Duration::from_secs_f64((cfg.journal.state_every_minutes * 60.0).max(0.0)),
        }
    }

    fn due(&self) -> bool {
        self.pending.len() >= self.max_events
            || (!self.pending.is_empty() && self.last_commit.elapsed() >= self.commit_after)
    }

    /// Hands what is pending, with a snapshot of `engine`, to the writer (also when nothing is
    /// pending and `force` is set, to move the restore point).
    fn commit(&mut self, engine: &Engine, force: bool) -> Result<()> {
        self.commit_batch(engine, force, false)
    }

    /// [`Batcher::commit`] (forced), returning once the batch is committed to disk: before an
    /// order leaves for a venue.
    fn commit_durable(&mut self, engine: &Engine) -> Result<()> {
        self.commit_batch(engine, true, true)
    }

    fn commit_batch(&mut self, engine: &Engine, force: bool, durable: bool) -> Result<()> {
        if self.pending.is_empty() && !force {
            return Ok(());
        }
        let state = engine.state();
        self.pending.push(JournalEntry::Snapshot {
            time: state.now,
            cursor: state.cursor.to_string(),
            state: serde_json::to_value(state)?,
        });
        let batch = std::mem::replace(&mut self.pending, Vec::with_capacity(256));
        if durable {
            self.writer.send_and_wait(batch)?;
        } else {
            self.writer.send(batch)?;
        }
        self.last_commit = Instant::now();
        if self.last_state.elapsed() >= self.state_every {
            self.write_state(engine)?;
        }
        Ok(())
    }

    fn write_state(&mut self, engine: &Engine) -> Result<()> {
        self.state_files
            .write_latest(&serde_json::to_value(engine.state())?)?;
        self.last_state = Instant::now();
        Ok(())
    }
}

fn replay_plan(cfg: &Config, base: &Path, align: Option<i64>) -> Result<SessionPlan> {
    if cfg.feed.files.is_empty() {
        bail!("[feed] files is empty: list the replay files (SYMBOL=path or path)");
    }
    let mut sources = Vec::new();
    for spec in &cfg.feed.files {
        let (sym, path) = source::parse_replay_spec(spec)?;
        let path = if path.is_relative() {
            base.join(path)
        } else {
            path
        };
        sources.push((sym, path));
    }
    Ok(SessionPlan {
        sources,
        only: Vec::new(),
        speed: cfg.feed.speed,
        align,
    })
}

/// The console of a run: colors on a terminal unless NO_COLOR is set.
fn console_for(plan: &RunPlan) -> Console {
    let color = io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    Console::new(
        plan.verbose,
        plan.bars,
        color,
        plan.config.consensus.min_confidence,
    )
}

/// `ploutos demo`: paper trading on the bundled samples with the analyzer's console.
pub fn demo(args: &crate::cli::DemoArgs) -> Result<()> {
    let samples = crate::samples::dir()?;
    let text = include_str!("demo.toml").replace("{samples}", &samples.display().to_string());
    let mut config = Config::parse(&text).context("the built-in demo configuration")?;
    if !(args.speed.is_finite() && args.speed >= 0.0) {
        bail!(
            "--speed {}: must be 0 (as fast as possible) or a positive factor",
            args.speed
        );
    }
    config.feed.speed = args.speed;
    if !args.tickers.is_empty() {
        let wanted: Vec<String> = args
            .tickers
            .iter()
            .map(|t| t.trim().to_ascii_uppercase())
            .collect();
        config
            .feed
            .files
            .retain(|f| wanted.iter().any(|w| f.starts_with(&format!("{w}="))));
        if config.feed.files.is_empty() {
            bail!(
                "the demo plays SPY, BTCUSDT, BTCPERP and XRPETH; none of {} is among them",
                wanted.join(", ")
            );
        }
        for s in &mut config.strategies {
            s.symbols.retain(|x| wanted.iter().any(|w| w == x.as_str()));
        }
        config.strategies.retain(|s| !s.symbols.is_empty());
    }
    if let Some(m) = args.opts.min_confidence {
        config.consensus.min_confidence = m;
    }
    if let Some(tf) = args.opts.timeframe {
        for s in &mut config.strategies {
            s.timeframe = Some(tf);
        }
    }
    let data_dir = args.data_dir.clone().unwrap_or_else(|| {
        std::env::temp_dir().join(format!("ploutos-demo-{}", std::process::id()))
    });
    println!("Ploutos demo — paper trading {} strategies on bundled real data (each file's clock shifted by whole quarter hours so all start together; times UTC).", config.strategies.len());
    println!(
        "  Journal: {}   ·   `ploutos state show --data-dir {}` afterwards   ·   Ctrl-C ends it.",
        data_dir.display(),
        data_dir.display()
    );
    println!();
    run(RunPlan {
        config,
        base_dir: PathBuf::new(),
        data_dir,
        restore: false,
        verbose: args.verbose,
        bars: true,
        // Whole quarter hours: 5m and 15m buckets stay on the clock, and every ticker plays
        // from the first second.
        align: Some(Timeframe::M15.as_nanos()),
        max_events: None,
        live: false,
    })
}

/// Runs the engine on the configured feed until it ends or Ctrl-C.
pub fn run(plan: RunPlan) -> Result<()> {
    let cfg = &plan.config;
    let engine_cfg = cfg.engine();
    if engine_cfg.strategies.iter().all(|s| !s.enabled) {
        bail!("no enabled [[strategies]] in the configuration: nothing to trade");
    }
    let live_venue = |s: &ploutos_engine::engine::StrategyConfig| {
        s.venue.as_deref().unwrap_or(&cfg.feed.venue) != "replay"
    };
    if engine_cfg
        .strategies
        .iter()
        .any(|s| s.enabled && live_venue(s))
    {
        return run_live(plan);
    }
    if plan.live {
        bail!("--live given but every strategy trades on replayed files");
    }
    let loaded = source::load_replay(&replay_plan(cfg, &plan.base_dir, plan.align)?)?;
    let traded: Vec<Symbol> = engine_cfg
        .strategies
        .iter()
        .flat_map(|s| s.symbols.clone())
        .collect();
    for s in &traded {
        if !loaded.symbols.contains(s) {
            bail!(
                "a strategy trades {s}, but no [feed] file holds it (the feed has {})",
                loaded
                    .symbols
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            );
        }
    }
    let journal = open_journal(&plan.data_dir, cfg.journal.synchronous == "full")?;
    let snapshot = journal.latest_snapshot()?;
    let mut replay = loaded.replay;
    let first_time = replay.peek_time().unwrap_or(Timestamp::EPOCH);
    let engine = match (plan.restore, snapshot) {
        (true, Some((seq, _, cursor, state))) => {
            let state: EngineState = serde_json::from_value(state).context("the journal's latest snapshot does not fit this version")?;
            let n: u64 = cursor.parse().with_context(|| format!("snapshot cursor {cursor:?}"))?;
            let history: Vec<MarketEvent> = replay.by_ref().take(n as usize).collect();
            eprintln!("restoring from snapshot #{seq}: {n} market events already processed, {} orders open", state.open_orders.len());
            Engine::restore(engine_cfg, first_time, state, &history)?
        }
        (true, None) => {
            eprintln!("--restore: the journal in {} is empty; starting fresh", plan.data_dir.display());
            Engine::new(engine_cfg, first_time)?
        }
        (false, Some(_)) => bail!(
            "the data directory {} already holds a journal: continue it with --restore, or use another --data-dir",
            plan.data_dir.display()
        ),
        (false, None) => Engine::new(engine_cfg, first_time)?,
    };
    let mut batcher = Batcher::new(cfg, &plan.data_dir, journal);
    let mut console = console_for(&plan);
    let feed =
        ploutos_venues::replay::ReplayFeed::new(replay, cfg.feed.speed, Duration::from_secs(5));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let commands_dir = plan.data_dir.join(COMMANDS_DIR);
    let started = Instant::now();
    let (engine, interrupted) = runtime.block_on(event_loop(
        engine,
        Box::new(feed),
        &mut batcher,
        &mut console,
        &commands_dir,
        plan.max_events,
    ))?;
    batcher.commit(&engine, true)?;
    batcher.writer.finish()?;
    batcher.write_state(&engine)?;
    console.summary(&engine, started.elapsed(), interrupted)?;
    Ok(())
}

async fn event_loop(
    mut engine: Engine,
    mut feed: Box<dyn Feed>,
    batcher: &mut Batcher,
    console: &mut Console,
    commands_dir: &Path,
    max_events: Option<u64>,
) -> Result<(Engine, bool)> {
    let mut out: Vec<EngineEvent> = Vec::with_capacity(64);
    let ctrl_c = tokio::signal::ctrl_c();
    tokio::pin!(ctrl_c);
    // Commands left while no engine ran (`ploutos panic` after a crash) come first.
    for cmd in take_commands(commands_dir) {
        out.clear();
        apply_command(&mut engine, &cmd, &mut out);
        console.command(&cmd);
        record(&engine, &out, batcher, console)?;
        batcher.commit(&engine, true)?;
    }
    let mut poll = tokio::time::interval(Duration::from_millis(500));
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut seen = 0u64;
    loop {
        tokio::select! {
            biased;
            _ = &mut ctrl_c => return Ok((engine, true)),
            _ = poll.tick() => {
                for cmd in take_commands(commands_dir) {
                    out.clear();
                    apply_command(&mut engine, &cmd, &mut out);
                    console.command(&cmd);
                    record(&engine, &out, batcher, console)?;
                    batcher.commit(&engine, true)?;
                }
                if batcher.due() {
                    batcher.commit(&engine, false)?;
                }
            }
            ev = feed.next_event() => {
                let Some(ev) = ev? else {
                    return Ok((engine, false));
                };
                out.clear();
                engine.on_market_event(&ev, &mut out);
                console.market(&ev)?;
                record(&engine, &out, batcher, console)?;
                if batcher.due() {
                    batcher.commit(&engine, false)?;
                }
                seen += 1;
                if max_events.is_some_and(|m| seen >= m) {
                    return Ok((engine, false));
                }
            }
        }
    }
}

fn record(
    engine: &Engine,
    out: &[EngineEvent],
    batcher: &mut Batcher,
    console: &mut Console,
) -> Result<()> {
    let now = engine.state().now;
    for ev in out {
        if let Some(e) = journal::entry(ev, now) {
            batcher.pending.push(e);
        }
        console.event(ev)?;
    }
    Ok(())
}

/// `panic`, `resume`, `resume <scope>`.
pub fn apply_command(engine: &mut Engine, cmd: &str, out: &mut Vec<EngineEvent>) {
    let mut words = cmd.split_whitespace();
    match (words.next(), words.next()) {
        (Some("panic"), _) => engine.panic(out),
        (Some("resume"), scope) => engine.resume(scope, "ploutos resume", out),
        _ => out.push(EngineEvent::Error {
            time: engine.state().now,
            message: format!("unknown command {cmd:?} (expected panic or resume)"),
        }),
    }
}

/// One live venue of a run: its strategies' instruments and how its orders are executed.
#[derive(Default)]
struct VenuePlan {
    symbols: Vec<Symbol>,
    /// Some strategy on it trades with real money.
    live: bool,
    /// Some strategy on it uses Alpaca's own paper account.
    alpaca_paper: bool,
}

/// `ploutos run` on live venues: `feed.venue` or a strategy's own `venue` is `alpaca` or
/// `binance` (one feed per venue; a strategy's `mode` overrides `[trading] mode`).
fn run_live(plan: RunPlan) -> Result<()> {
    use crate::config::Mode;
    let cfg = &plan.config;
    let mut engine_cfg = cfg.engine();
    // Each strategy's venue and mode, resolved; the engine is told which strategies the
    // venues execute (`mode = live` there means "orders go out", also for Alpaca's paper
    // account).
    let mut venues: std::collections::BTreeMap<String, VenuePlan> = Default::default();
    let mut live_strategies = Vec::new();
    for s in engine_cfg.strategies.iter_mut().filter(|s| s.enabled) {
        let venue = s.venue.clone().unwrap_or_else(|| cfg.feed.venue.clone());
        if venue == "replay" {
            bail!(
                "strategy {:?} trades on replayed files while others trade on live venues: run them in separate processes",
                s.name
            );
        }
        let live = s.mode.unwrap_or(cfg.trading.mode) == Mode::Live;
        let alpaca_paper =
            !live && venue == "alpaca" && s.mode.is_none() && cfg.trading.alpaca_paper_account;
        if live {
            live_strategies.push(s.name.clone());
        }
        s.mode = Some(if live || alpaca_paper {
            Mode::Live
        } else {
            Mode::Paper
        });
        let v = venues.entry(venue).or_default();
        v.live |= live;
        v.alpaca_paper |= alpaca_paper;
        for x in &s.symbols {
            if !v.symbols.contains(x) {
                v.symbols.push(x.clone());
            }
        }
    }
    let confirmed = plan.live || cfg.trading.live;
    if !live_strategies.is_empty() && !confirmed {
        bail!(
            "{} trade(s) live — real orders, real money: confirm with --live on the command line or live = true in [trading]",
            live_strategies.join(", ")
        );
    }
    if live_strategies.is_empty() && plan.live {
        bail!("--live given but no strategy trades live: set mode = \"live\" in [trading] (or in a strategy)");
    }
    if venues
        .get("alpaca")
        .is_some_and(|v| v.live && v.alpaca_paper)
    {
        bail!("Alpaca live and Alpaca's paper account in one run need two key pairs: run them in separate processes");
    }
    for (name, v) in &venues {
        for x in &v.symbols {
            if let Some((other, _)) = venues
                .iter()
                .find(|(n, o)| *n != name && o.symbols.contains(x))
            {
                bail!(
                    "{x} is traded on both {name} and {other}: one venue per instrument in a run"
                );
            }
        }
    }
    crate::venues::load_dotenv()?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let _rt = runtime.enter();
    let mut feeds = Vec::new();
    let mut execs = Vec::new();
    // Market hours come from the broker when it publishes them (Alpaca's calendar).
    let mut sessions = None;
    for (name, v) in &venues {
        let executes = v.live || v.alpaca_paper;
        let mode = match (v.live, v.alpaca_paper) {
            (true, _) => "LIVE — real orders, real money",
            (false, true) => "paper (Alpaca's paper account)",
            (false, false) => "paper (the engine's paper broker at live prices)",
        };
        let (exec, hosts) = match name.as_str() {
            "binance" => {
                let vc = crate::venues::binance_config(&cfg.venues.binance)?;
                let client = crate::venues::binance(&cfg.venues.binance)?;
                feeds.push(crate::venues::start_feed(
                    client.clone(),
                    v.symbols.clone(),
                    cfg.feed.warmup_bars,
                ));
                (
                    executes.then(|| live::Executor::start(client)),
                    format!("market data {}, orders {}", vc.ws_url, vc.rest_url),
                )
            }
            "alpaca" => {
                let vc = crate::venues::alpaca_config(&cfg.venues.alpaca, !v.live);
                let client = crate::venues::alpaca(&cfg.venues.alpaca, !v.live)?;
                sessions = runtime.block_on(alpaca_sessions(&client));
                feeds.push(crate::venues::start_feed(
                    client.clone(),
                    v.symbols.clone(),
                    cfg.feed.warmup_bars,
                ));
                (
                    executes.then(|| live::Executor::start(client)),
                    format!(
                        "market data {} ({}), orders {}",
                        vc.data_ws_url, vc.feed, vc.trading_url
                    ),
                )
            }
            other => bail!("venue {other:?}: not a live venue"),
        };
        // What it will trade with, before anything is sent.
        println!("Ploutos run on {name}: {mode}");
        println!("  {hosts}");
        if let Some(x) = exec {
            let snap = runtime.block_on(x.snapshot(v.symbols.clone()))?;
            println!(
                "  account: cash {}, {} position(s), {} open order(s) at the broker",
                snap.cash,
                snap.positions.len(),
                snap.open_orders.len()
            );
            execs.push(live::VenueExec {
                exec: x,
                symbols: v.symbols.clone(),
            });
        }
    }
    for s in engine_cfg.strategies.iter().filter(|s| s.enabled) {
        let names: Vec<&str> = s.symbols.iter().map(|x| x.as_str()).collect();
        println!(
            "  strategy {} ({}) on {} with capital {}{}",
            s.name,
            s.kind,
            names.join(", "),
            s.capital,
            if live_strategies.contains(&s.name) {
                ", live"
            } else {
                ""
            }
        );
    }
    println!();

    let journal = open_journal(&plan.data_dir, cfg.journal.synchronous == "full")?;
    let snapshot = journal.latest_snapshot()?;
    // The engine's clock starts at the market's: the first event of the feeds (warm-up
    // history when asked for), not the wall clock, which the venue's stamps may not match.
    let first = runtime.block_on(live::next_market(&mut None, &mut feeds))?;
    let Some(first) = first else {
        bail!("the feed ended before its first event");
    };
    let start = first.0.time();
    let engine = match (plan.restore, snapshot) {
        (true, Some((seq, _, _, state))) => {
            let state: EngineState = serde_json::from_value(state)
                .context("the journal's latest snapshot does not fit this version")?;
            eprintln!(
                "restoring from snapshot #{seq}: {} orders open; the broker is asked before trading",
                state.open_orders.len()
            );
            Engine::restore_live(engine_cfg, state)?
        }
        (true, None) => Engine::new(engine_cfg, start)?,
        (false, Some(_)) => bail!(
            "the data directory {} already holds a journal: continue it with --restore, or use another --data-dir",
            plan.data_dir.display()
        ),
        (false, None) => Engine::new(engine_cfg, start)?,
    };
    let mut engine = engine;
    if let Some(days) = sessions {
        let n = days.len();
        let differences = engine.report_sessions(days);
        if differences.is_empty() {
            eprintln!(
                "calendar: the broker's sessions for {n} days agree with the built-in NYSE table"
            );
        }
        for d in differences {
            eprintln!("calendar: {d} — the broker's is used");
        }
    }
    let mut batcher = Batcher::new(cfg, &plan.data_dir, journal);
    let mut console = console_for(&plan);
    let commands_dir = plan.data_dir.join(COMMANDS_DIR);
    let started = Instant::now();
    let (engine, interrupted) = runtime.block_on(live::event_loop(
        engine,
        live::LiveParts {
            feeds,
            execs,
            batcher: &mut batcher,
            console: &mut console,
            commands_dir: &commands_dir,
            max_events: plan.max_events,
            first: Some(first),
        },
    ))?;
    batcher.commit(&engine, true)?;
    batcher.writer.finish()?;
    batcher.write_state(&engine)?;
    console.summary(&engine, started.elapsed(), interrupted)?;
    Ok(())
}

/// Alpaca's sessions from a week ago to two months ahead (a date it does not list is
/// closed); `None`, with a warning, when the calendar cannot be read.
async fn alpaca_sessions(
    client: &ploutos_venues::alpaca::Alpaca,
) -> Option<Vec<(chrono::NaiveDate, Option<(Timestamp, Timestamp)>)>> {
    use ploutos_engine::calendar::eastern_instant;
    let today = ploutos_core::Clock::now(&ploutos_core::LiveClock)
        .to_datetime()
        .date_naive();
    let from = today - chrono::Duration::days(7);
    let to = today + chrono::Duration::days(60);
    let days = match client.calendar(from, to).await {
        Ok(d) => d,
        Err(e) => {
            eprintln!(
                "calendar: cannot read Alpaca's calendar ({e}); using the built-in NYSE table"
            );
            return None;
        }
    };
    let listed: std::collections::BTreeMap<chrono::NaiveDate, (Timestamp, Timestamp)> = days
        .iter()
        .filter_map(|d| {
            Some((
                d.date,
                (
                    eastern_instant(d.date, d.open)?,
                    eastern_instant(d.date, d.close)?,
                ),
            ))
        })
        .collect();
    let mut out = Vec::new();
    let mut date = from;
    while date <= to {
        out.push((date, listed.get(&date).copied()));
        date = date.succ_opt()?;
    }
    Some(out)
}
