//! `ploutos data download`: closed bars of one instrument from a live venue's REST history
//! into a bar file (CSV or Parquet, by the extension), chunk by chunk, resumable.
//!
//! The bars go first into `OUT.part` (canonical CSV, appended and flushed chunk by chunk)
//! with a sidecar `OUT.part.json` saying what is being downloaded and how far it got. A crash
//! or Ctrl-C loses at most the chunk in flight; the same command continues after the last
//! chunk written. Only a complete download without holes (or with `--allow-holes`) becomes
//! `OUT`: CSV by renaming the part file, Parquet by writing `OUT.tmp` and renaming it, so a
//! half-written `OUT` never exists. Rate limits are the venue clients' business (they wait
//! them out); a chunk that still fails on a rate limit or a connection is tried again a few
//! times, any other venue error stops the download with its message.

use std::fs::{self, File, OpenOptions};
use std::io::{self, IsTerminal, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use ploutos_core::{Bar, Symbol, Timeframe, Timestamp};
use ploutos_engine::calendar::NyseCalendar;
use ploutos_store::history::{is_parquet, read_bars, write_bars_csv_to, write_bars_parquet};
use ploutos_venues::live::BarVenue;
use ploutos_venues::VenueError;
use serde::{Deserialize, Serialize};

use crate::cli::{DownloadArgs, DownloadVenue};

/// Nanoseconds in a day.
const DAY_NANOS: i64 = 86_400 * 1_000_000_000;
/// Times one chunk is tried after a rate-limit or connection error the client gave up on.
const CHUNK_ATTEMPTS: u32 = 3;
/// Holes listed in an error or a summary; the rest are counted.
const HOLES_SHOWN: usize = 20;

/// Runs the command.
pub fn run(args: DownloadArgs) -> Result<()> {
    let plan = Plan::from_args(&args)?;
    crate::venues::load_dotenv()?;
    let venues = match &args.config {
        Some(path) => crate::config::Config::load(path)?.venues,
        None => crate::venues::VenuesConfig::default(),
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let summary = match args.venue {
        DownloadVenue::Binance => {
            let client = crate::venues::binance(&venues.binance)?;
            runtime.block_on(download(&client, &plan))?
        }
        DownloadVenue::Alpaca => {
            // Market data is the same for the paper and the live account.
            let client = crate::venues::alpaca(&venues.alpaca, true)?;
            runtime.block_on(download(&client, &plan))?
        }
    };
    finish(&plan, summary)
}

// ---------------------------------------------------------------------------------------
// Arguments
// ---------------------------------------------------------------------------------------

/// Which bars go where.
#[derive(Debug, Clone)]
struct Plan {
    venue: DownloadVenue,
    symbol: Symbol,
    timeframe: Timeframe,
    from: Timestamp,
    to: Timestamp,
    out: PathBuf,
    part: PathBuf,
    sidecar: PathBuf,
    allow_holes: bool,
    /// Span of one `history` call.
    chunk_nanos: i64,
}

impl Plan {
    fn from_args(args: &DownloadArgs) -> Result<Plan> {
        let from = parse_date("--from", &args.from)?;
        let to = parse_date("--to", &args.to)?;
        if from >= to {
            bail!(
                "--from {} is not before --to {} (--to is exclusive)",
                args.from,
                args.to
            );
        }
        let symbol =
            Symbol::new(&args.symbol).with_context(|| format!("--symbol {}", args.symbol))?;
        let out = args.out.clone();
        if out.as_os_str().is_empty() || out.file_name().is_none() {
            bail!("--out {:?}: not a file name", out.display().to_string());
        }
        let part = with_suffix(&out, ".part");
        let sidecar = with_suffix(&out, ".part.json");
        // One day per call, or about 1000 bars for long timeframes (one Binance page).
        let chunk_nanos = DAY_NANOS.max(args.timeframe.as_nanos().saturating_mul(1000));
        Ok(Plan {
            venue: args.venue,
            symbol,
            timeframe: args.timeframe,
            from,
            to,
            out,
            part,
            sidecar,
            allow_holes: args.allow_holes,
            chunk_nanos,
        })
    }

    fn venue_name(&self) -> &'static str {
        venue_name(self.venue)
    }

    /// `binance BTCUSDT 1m`, for messages.
    fn what(&self) -> String {
        format!("{} {} {}", self.venue_name(), self.symbol, self.timeframe)
    }
}

fn venue_name(v: DownloadVenue) -> &'static str {
    match v {
        DownloadVenue::Binance => "binance",
        DownloadVenue::Alpaca => "alpaca",
    }
}

/// `path` with `suffix` appended to its file name (`a.csv` → `a.csv.part`).
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}

/// A `--from` / `--to` value: `YYYY-MM-DD` (midnight UTC) or RFC 3339 (a date-time without
/// an offset is taken as UTC). Epoch numbers are refused: too easy to get the unit wrong.
pub(crate) fn parse_date(flag: &str, s: &str) -> Result<Timestamp> {
    let t = s.trim();
    let b = t.as_bytes();
    let date_like = b.len() >= 10
        && b[..10].iter().enumerate().all(|(i, c)| {
            if i == 4 || i == 7 {
                *c == b'-'
            } else {
                c.is_ascii_digit()
            }
        });
    let time_follows = b.len() == 10 || matches!(b.get(10), Some(b'T' | b't' | b' '));
    if !(date_like && time_follows) {
        bail!(
            "{flag} {s:?}: expected a date (2024-01-02, midnight UTC) or RFC 3339 (2024-01-02T14:30:00Z)"
        );
    }
    Timestamp::parse(t).with_context(|| format!("{flag} {s:?}"))
}

// ---------------------------------------------------------------------------------------
// The part file and its sidecar
// ---------------------------------------------------------------------------------------

/// `OUT.part.json`: what the part file holds and how far the download got.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Sidecar {
    venue: String,
    symbol: Symbol,
    timeframe: Timeframe,
    from: Timestamp,
    to: Timestamp,
    /// Every bar opening before this instant has been asked for and written.
    done_until: Timestamp,
}

/// The part file being appended to.
struct PartFile {
    path: PathBuf,
    sidecar_path: PathBuf,
    sidecar: Sidecar,
    /// The CSV header line of the part file (`None` until the first bars are written).
    header: Option<Vec<u8>>,
}

impl PartFile {
    /// Opens the part file of `plan`, resuming when its sidecar says it is the same download;
    /// returns it with the bars it already holds.
    fn open(plan: &Plan) -> Result<(PartFile, Vec<Bar>)> {
        let fresh = Sidecar {
            venue: plan.venue_name().to_string(),
            symbol: plan.symbol.clone(),
            timeframe: plan.timeframe,
            from: plan.from,
            to: plan.to,
            done_until: plan.from,
        };
        let mut part = PartFile {
            path: plan.part.clone(),
            sidecar_path: plan.sidecar.clone(),
            sidecar: fresh.clone(),
            header: None,
        };
        let Some(old) = read_sidecar(&plan.sidecar)? else {
            if plan.part.exists() {
                bail!(
                    "{} exists without {}: it is not a download this command can resume; remove it or choose another --out",
                    plan.part.display(),
                    plan.sidecar.display()
                );
            }
            part.save_sidecar()?;
            return Ok((part, Vec::new()));
        };
        check_same_download(plan, &old)?;
        part.sidecar = Sidecar { to: plan.to, ..old };
        let bars = part.read_existing()?;
        if let Some(last) = bars.last() {
            if last.time() >= plan.to {
                bail!(
                    "{} already holds bars up to {}, at or after --to {}: remove it or use a later --to",
                    plan.part.display(),
                    last.time(),
                    plan.to
                );
            }
        }
        part.save_sidecar()?;
        Ok((part, bars))
    }

    /// The bars of an existing part file, cutting off a line half-written by a crash.
    fn read_existing(&mut self) -> Result<Vec<Bar>> {
        if !self.path.exists() {
            return Ok(Vec::new());
        }
        truncate_to_last_line(&self.path)?;
        let mut text = Vec::new();
        File::open(&self.path)
            .and_then(|mut f| f.read_to_end(&mut text))
            .with_context(|| format!("reading {}", self.path.display()))?;
        let header_end = text.iter().position(|&c| c == b'\n');
        let Some(end) = header_end.filter(|&e| e + 1 < text.len()) else {
            // Nothing but (part of) a header: start the file again.
            fs::remove_file(&self.path)
                .with_context(|| format!("removing {}", self.path.display()))?;
            return Ok(Vec::new());
        };
        self.header = Some(text[..=end].to_vec());
        let file = read_bars(&self.path).with_context(|| {
            format!(
                "{}: the part file of an earlier download is damaged; remove it and {} to start over",
                self.path.display(),
                self.sidecar_path.display()
            )
        })?;
        Ok(file.bars)
    }

    /// Appends `new` (all later than the bars already written) and records `done_until`;
    /// `all` is every bar of the download so far, `new` included (needed when the columns
    /// change and the file is rewritten).
    fn append(&mut self, all: &[Bar], new: &[Bar], done_until: Timestamp) -> Result<()> {
        if !new.is_empty() {
            let mut buf = Vec::with_capacity(new.len() * 64);
            write_bars_csv_to(&mut buf, new).context("formatting bars as CSV")?;
            let split = buf
                .iter()
                .position(|&c| c == b'\n')
                .map_or(buf.len(), |i| i + 1);
            let (header, rows) = buf.split_at(split);
            match &self.header {
                Some(h) if h.as_slice() == header => self.append_rows(rows)?,
                // First bars, or a chunk with other columns (trades / vwap present or not):
                // write the whole file again, atomically.
                _ => self.rewrite(all)?,
            }
        }
        self.sidecar.done_until = done_until;
        self.save_sidecar()
    }

    fn append_rows(&self, rows: &[u8]) -> Result<()> {
        let name = self.path.display();
        let mut f = OpenOptions::new()
            .append(true)
            .open(&self.path)
            .with_context(|| format!("opening {name} to append"))?;
        f.write_all(rows)
            .and_then(|()| f.sync_data())
            .with_context(|| format!("appending to {name}"))
    }

    fn rewrite(&mut self, all: &[Bar]) -> Result<()> {
        let mut buf = Vec::with_capacity(all.len() * 64);
        write_bars_csv_to(&mut buf, all).context("formatting bars as CSV")?;
        let split = buf
            .iter()
            .position(|&c| c == b'\n')
            .map_or(buf.len(), |i| i + 1);
        write_atomically(&self.path, &buf)?;
        self.header = Some(buf[..split].to_vec());
        Ok(())
    }

    fn save_sidecar(&self) -> Result<()> {
        let json = serde_json::to_vec_pretty(&self.sidecar).context("formatting the sidecar")?;
        write_atomically(&self.sidecar_path, &json)
    }

    /// Removes the part file and its sidecar (after OUT was written).
    fn remove(&self) -> Result<()> {
        for p in [&self.path, &self.sidecar_path] {
            match fs::remove_file(p) {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(e).with_context(|| format!("removing {}", p.display())),
            }
        }
        Ok(())
    }
}

fn read_sidecar(path: &Path) -> Result<Option<Sidecar>> {
    match fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map(Some).with_context(|| {
            format!(
                "{}: not a download sidecar ({}); remove it and the part file to start over",
                path.display(),
                ploutos_venues::net::excerpt(&String::from_utf8_lossy(&bytes), 120)
            )
        }),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
    }
}

/// The part file may only be continued by the same download.
fn check_same_download(plan: &Plan, old: &Sidecar) -> Result<()> {
    let same = old.venue == plan.venue_name()
        && old.symbol == plan.symbol
        && old.timeframe == plan.timeframe
        && old.from == plan.from;
    if !same {
        bail!(
            "{} holds a download of {} {} {} from {}, not {} from {}: remove it and {} (or run the same command as before), or choose another --out",
            plan.part.display(),
            old.venue,
            old.symbol,
            old.timeframe,
            old.from,
            plan.what(),
            plan.from,
            plan.sidecar.display()
        );
    }
    Ok(())
}

/// Cuts the file after its last newline (a line half-written when the process died).
fn truncate_to_last_line(path: &Path) -> Result<()> {
    let name = path.display();
    let mut f = OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .with_context(|| format!("opening {name}"))?;
    let len = f
        .metadata()
        .with_context(|| format!("reading {name}"))?
        .len();
    // Look back in blocks for the last '\n'.
    let mut end = len;
    let mut keep = 0u64;
    let mut block = vec![0u8; 64 * 1024];
    while end > 0 {
        let start = end.saturating_sub(block.len() as u64);
        let n = usize::try_from(end - start).unwrap_or(block.len());
        f.seek(SeekFrom::Start(start))
            .and_then(|_| f.read_exact(&mut block[..n]))
            .with_context(|| format!("reading {name}"))?;
        if let Some(i) = block[..n].iter().rposition(|&c| c == b'\n') {
            keep = start + i as u64 + 1;
            break;
        }
        end = start;
    }
    if keep < len {
        f.set_len(keep)
            .with_context(|| format!("truncating {name} after its last full line"))?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through `path.tmp` and a rename, so `path` is either the old
/// file or the complete new one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = with_suffix(path, ".tmp");
    let mut f = File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_data())
        .with_context(|| format!("writing {}", tmp.display()))?;
    fs::rename(&tmp, path)
        .with_context(|| format!("renaming {} to {}", tmp.display(), path.display()))
}

// ---------------------------------------------------------------------------------------
// Downloading
// ---------------------------------------------------------------------------------------

/// What the download loop hands to [`finish`].
struct Downloaded {
    part: PartFile,
    bars: Vec<Bar>,
    requests: u64,
    resumed_from: Option<Timestamp>,
}

async fn download<V: BarVenue>(venue: &V, plan: &Plan) -> Result<Downloaded> {
    let (mut part, mut bars) = PartFile::open(plan)?;
    let mut start = part.sidecar.done_until.max(plan.from);
    if let Some(last) = bars.last() {
        start = start.max(Timestamp::from_nanos(
            last.time().as_nanos() + plan.timeframe.as_nanos(),
        ));
    }
    let resumed_from = (start > plan.from).then_some(start);
    if let Some(t) = resumed_from {
        eprintln!(
            "resuming {} from {} ({} bars already in {})",
            plan.what(),
            t,
            bars.len(),
            plan.part.display()
        );
    }
    let mut progress = Progress::new("download", plan.from, plan.to);
    let mut requests = 0u64;
    while start < plan.to {
        let end =
            Timestamp::from_nanos(start.as_nanos().saturating_add(plan.chunk_nanos)).min(plan.to);
        let chunk = match fetch_chunk(venue, plan, start, end, &mut requests).await {
            Ok(chunk) => chunk,
            Err(e) if bars.is_empty() && part.sidecar.done_until <= plan.from => {
                // Nothing downloaded (a typo in the symbol, bad keys): leave nothing behind
                // that would block the corrected command.
                part.remove()?;
                return Err(e);
            }
            Err(e) => return Err(e.context(kept_message(plan, bars.len()))),
        };
        let last = bars.last().map(Bar::time);
        let new: Vec<Bar> = chunk
            .into_iter()
            .filter(|b| b.time() >= start && b.time() < end && last.is_none_or(|l| b.time() > l))
            .collect();
        let first_new = bars.len();
        bars.extend(new);
        part.append(&bars, &bars[first_new..], end)?;
        progress.show(end, bars.len());
        start = end;
    }
    progress.done();
    Ok(Downloaded {
        part,
        bars,
        requests,
        resumed_from,
    })
}

/// One `history` call, tried again after a rate limit or a connection failure the client
/// gave up on; any other error (bad keys, ban, unknown symbol) at once.
async fn fetch_chunk<V: BarVenue>(
    venue: &V,
    plan: &Plan,
    from: Timestamp,
    to: Timestamp,
    requests: &mut u64,
) -> Result<Vec<Bar>> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        *requests += 1;
        match venue.history(&plan.symbol, plan.timeframe, from, to).await {
            Ok(bars) => return Ok(bars),
            Err(e) if attempt < CHUNK_ATTEMPTS && retryable(&e) => {
                let wait = e
                    .retry_after()
                    .unwrap_or(Duration::from_secs(u64::from(attempt)));
                eprintln!(
                    "{}: {} .. {}: {e}; trying again in {wait:?}",
                    plan.what(),
                    from,
                    to
                );
                tokio::time::sleep(wait).await;
            }
            Err(e) => {
                return Err(e)
                    .with_context(|| format!("{}: downloading {} .. {}", plan.what(), from, to))
            }
        }
    }
}

fn retryable(e: &VenueError) -> bool {
    !e.is_fatal()
        && matches!(
            e,
            VenueError::RateLimited { .. } | VenueError::Connection { .. }
        )
}

fn kept_message(plan: &Plan, kept: usize) -> String {
    format!(
        "download stopped; {kept} bars are kept in {}: run the same command again to continue",
        plan.part.display()
    )
}

/// A one-line progress display on standard error, drawn only when it is a terminal (the
/// same `\r` line as `ploutos backtest` and `optimize`).
struct Progress {
    label: &'static str,
    from: i64,
    span: f64,
    show: bool,
    drawn: bool,
}

impl Progress {
    fn new(label: &'static str, from: Timestamp, to: Timestamp) -> Self {
        Progress {
            label,
            from: from.as_nanos(),
            span: (to.as_nanos() - from.as_nanos()).max(1) as f64,
            show: io::stderr().is_terminal(),
            drawn: false,
        }
    }

    fn show(&mut self, at: Timestamp, rows: usize) {
        if self.show {
            let pct = (at.as_nanos() - self.from) as f64 * 100.0 / self.span;
            eprint!("\r{}: {pct:>5.1}% (up to {at}, {rows} bars)   ", self.label);
            self.drawn = true;
        }
    }

    fn done(&mut self) {
        if self.drawn {
            eprintln!();
            self.drawn = false;
        }
    }
}

// ---------------------------------------------------------------------------------------
// Holes
// ---------------------------------------------------------------------------------------

/// A run of missing bars: open times in `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Hole {
    pub from: Timestamp,
    pub to: Timestamp,
    pub missing: u64,
}

impl std::fmt::Display for Hole {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} .. {} ({} bar{} missing)",
            self.from,
            self.to,
            self.missing,
            if self.missing == 1 { "" } else { "s" }
        )
    }
}

/// Binance publishes a bar for every interval: every interval missing between two bars is a
/// hole. `times` are sorted open times.
pub(crate) fn interval_holes(times: &[Timestamp], timeframe: Timeframe) -> Vec<Hole> {
    let tf = timeframe.as_nanos();
    times
        .windows(2)
        .filter_map(|w| {
            let (a, b) = (w[0].as_nanos(), w[1].as_nanos());
            let missing = (b - a) / tf - 1;
            (b - a > tf).then(|| Hole {
                from: Timestamp::from_nanos(a + tf),
                to: Timestamp::from_nanos(b),
                missing: u64::try_from(missing.max(1)).unwrap_or(u64::MAX),
            })
        })
        .collect()
}

/// What the NYSE sessions in a range say about Alpaca bars.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SessionCheck {
    /// Whole sessions (inside the range, already closed) without a single bar.
    pub holes: Vec<Hole>,
    /// Sessions looked at.
    pub sessions: u64,
    /// Intervals without a bar inside sessions that have bars (normal: no trades, no bar).
    pub quiet_intervals: u64,
    /// Bars outside the regular sessions (pre- and post-market).
    pub outside: u64,
}

/// Alpaca publishes no bar for an interval without trades, so only a regular NYSE session
/// (within `[from, to)` and closed by `now`) without any bar is a hole. `times` are sorted.
pub(crate) fn session_check(
    times: &[Timestamp],
    timeframe: Timeframe,
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> SessionCheck {
    let cal = NyseCalendar::new();
    let tf = timeframe.as_nanos();
    let mut out = SessionCheck::default();
    let mut inside = 0u64;
    let last_day = to.min(now).utc_day();
    let mut date = from.to_datetime().date_naive();
    let mut day = from.utc_day();
    while day <= last_day {
        if let Some((open, close)) = cal.session(date) {
            // Bars whose interval overlaps the session: a daily bar (opening at midnight
            // New York time) belongs to its session too.
            let lo = times.partition_point(|t| t.as_nanos().saturating_add(tf) <= open.as_nanos());
            let hi = times.partition_point(|t| *t < close);
            let n = hi.saturating_sub(lo) as u64;
            inside += n;
            if open >= from && close <= to && close <= now {
                out.sessions += 1;
                let span = close.as_nanos() - open.as_nanos();
                let expected = u64::try_from((span + tf - 1) / tf).unwrap_or(1).max(1);
                if n == 0 {
                    out.holes.push(Hole {
                        from: open,
                        to: close,
                        missing: expected,
                    });
                } else {
                    out.quiet_intervals += expected.saturating_sub(n);
                }
            }
        }
        match date.succ_opt() {
            Some(d) => date = d,
            None => break,
        }
        day += 1;
    }
    out.outside = (times.len() as u64).saturating_sub(inside);
    out
}

/// The holes listed (at most [`HOLES_SHOWN`], then a count), one per line.
fn list_holes(holes: &[Hole]) -> String {
    let mut s = String::new();
    for h in holes.iter().take(HOLES_SHOWN) {
        s.push_str(&format!("\n  {h}"));
    }
    if holes.len() > HOLES_SHOWN {
        s.push_str(&format!("\n  … and {} more", holes.len() - HOLES_SHOWN));
    }
    s
}

fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    Timestamp::from_millis(ms).unwrap_or(Timestamp::EPOCH)
}

// ---------------------------------------------------------------------------------------
// Finishing
// ---------------------------------------------------------------------------------------

fn finish(plan: &Plan, d: Downloaded) -> Result<()> {
    let Downloaded {
        part,
        bars,
        requests,
        resumed_from,
    } = d;
    let (Some(first), Some(last)) = (bars.first(), bars.last()) else {
        part.remove()?;
        bail!(
            "{}: the venue has no bars in {} .. {} (is the symbol right, and the range in its history?)",
            plan.what(),
            plan.from,
            plan.to
        );
    };
    let times: Vec<Timestamp> = bars.iter().map(Bar::time).collect();
    let (holes, note) = match plan.venue {
        DownloadVenue::Binance => (interval_holes(&times, plan.timeframe), String::new()),
        DownloadVenue::Alpaca => {
            let c = session_check(&times, plan.timeframe, plan.from, plan.to, now());
            let note = format!(
                "\n  sessions   {} NYSE sessions, {} intervals without a bar inside them (no trades: normal), {} bars outside regular hours",
                c.sessions, c.quiet_intervals, c.outside
            );
            (c.holes, note)
        }
    };
    let missing: u64 = holes.iter().map(|h| h.missing).sum();
    if !holes.is_empty() && !plan.allow_holes {
        bail!(
            "{}: {} hole{} ({missing} bars missing) in {} .. {}; {} not written, the {} bars are kept in {} (run again with --allow-holes to write the file with the holes):{}",
            plan.what(),
            holes.len(),
            if holes.len() == 1 { "" } else { "s" },
            plan.from,
            plan.to,
            plan.out.display(),
            bars.len(),
            plan.part.display(),
            list_holes(&holes)
        );
    }
    write_out(plan, &part, &bars)?;
    part.remove()?;
    let mut msg = format!("downloaded {} to {}", plan.what(), plan.out.display());
    msg.push_str(&format!("\n  rows       {}", bars.len()));
    msg.push_str(&format!("\n  first bar  {}", first.time()));
    msg.push_str(&format!("\n  last bar   {}", last.time()));
    msg.push_str(&format!(
        "\n  holes      {} ({missing} bars missing){}",
        holes.len(),
        list_holes(&holes)
    ));
    msg.push_str(&note);
    msg.push_str(&format!(
        "\n  requests   {requests} history calls (the client pages within each){}",
        resumed_from.map_or(String::new(), |t| format!("; resumed from {t}"))
    ));
    eprintln!("{msg}");
    Ok(())
}

/// OUT from the part file: CSV by a rename, Parquet through `OUT.tmp` and a rename.
fn write_out(plan: &Plan, part: &PartFile, bars: &[Bar]) -> Result<()> {
    if is_parquet(&plan.out) {
        let tmp = with_suffix(&plan.out, ".tmp");
        write_bars_parquet(&tmp, bars).with_context(|| format!("writing {}", tmp.display()))?;
        fs::rename(&tmp, &plan.out)
            .with_context(|| format!("renaming {} to {}", tmp.display(), plan.out.display()))
    } else {
        fs::rename(&part.path, &plan.out)
            .with_context(|| format!("renaming {} to {}", part.path.display(), plan.out.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    #[test]
    fn dates_and_rfc3339_are_accepted() {
        assert_eq!(
            parse_date("--from", "2024-01-02").unwrap(),
            ts("2024-01-02T00:00:00Z")
        );
        assert_eq!(
            parse_date("--from", "2024-01-02T14:30:00Z").unwrap(),
            ts("2024-01-02T14:30:00Z")
        );
        assert_eq!(
            parse_date("--to", "2024-01-02T09:30:00-05:00").unwrap(),
            ts("2024-01-02T14:30:00Z")
        );
    }

    #[test]
    fn other_forms_are_refused_naming_the_flag_and_value() {
        for bad in [
            "",
            "1704153600",
            "yesterday",
            "2024-1-2",
            "2024-01-02X",
            "2024-13-01",
            "2024-01-02Tnope",
        ] {
            let e = parse_date("--from", bad).unwrap_err();
            let msg = format!("{e:#}");
            assert!(
                msg.contains("--from") && msg.contains(&format!("{bad:?}")),
                "{msg}"
            );
        }
    }

    proptest! {
        #[test]
        fn parse_date_never_panics(s in ".{0,40}") {
            let _ = parse_date("--to", &s);
        }

        #[test]
        fn every_valid_date_round_trips(y in 1971i32..2200, m in 1u32..=12, d in 1u32..=28) {
            let s = format!("{y:04}-{m:02}-{d:02}");
            let t = parse_date("--from", &s).unwrap();
            let want = format!("{s}T00:00:00");
            prop_assert!(t.to_string().starts_with(&want), "{} for {}", t, s);
        }

        /// Removing any set of bars from a complete series gives exactly the removed runs
        /// (between the first and last bar kept) as holes.
        #[test]
        fn interval_holes_are_the_removed_runs(keep in proptest::collection::vec(any::<bool>(), 2..300)) {
            let tf = Timeframe::M1;
            let t0 = ts("2024-01-02T00:00:00Z").as_nanos();
            let times: Vec<Timestamp> = keep
                .iter()
                .enumerate()
                .filter(|(_, k)| **k)
                .map(|(i, _)| Timestamp::from_nanos(t0 + i as i64 * tf.as_nanos()))
                .collect();
            let holes = interval_holes(&times, tf);
            let (Some(first), Some(last)) = (keep.iter().position(|k| *k), keep.iter().rposition(|k| *k)) else {
                prop_assert!(holes.is_empty());
                return Ok(());
            };
            let mut expected = Vec::new();
            let mut i = first;
            while i <= last {
                if keep[i] { i += 1; continue; }
                let j = (i..=last).find(|&j| keep[j]).unwrap_or(last + 1);
                expected.push(Hole {
                    from: Timestamp::from_nanos(t0 + i as i64 * tf.as_nanos()),
                    to: Timestamp::from_nanos(t0 + j as i64 * tf.as_nanos()),
                    missing: (j - i) as u64,
                });
                i = j;
            }
            prop_assert_eq!(holes, expected);
        }
    }

    #[test]
    fn a_session_without_bars_is_a_hole_quiet_minutes_are_not() {
        let tf = Timeframe::M1;
        // 2024-01-02 (Tue) .. 2024-01-05: sessions 14:30–21:00 UTC on the 2nd, 3rd and 4th.
        let (from, to) = (ts("2024-01-02T00:00:00Z"), ts("2024-01-05T00:00:00Z"));
        let minute = |s: &str, i: i64| Timestamp::from_nanos(ts(s).as_nanos() + i * tf.as_nanos());
        let mut times: Vec<Timestamp> = (0..390)
            .filter(|i| i % 7 != 3)
            .map(|i| minute("2024-01-02T14:30:00Z", i))
            .collect();
        times.push(minute("2024-01-02T21:00:00Z", 5)); // after hours
        times.extend((0..390).map(|i| minute("2024-01-04T14:30:00Z", i)));
        let c = session_check(&times, tf, from, to, ts("2030-01-01T00:00:00Z"));
        assert_eq!(c.sessions, 3);
        assert_eq!(
            c.holes,
            vec![Hole {
                from: ts("2024-01-03T14:30:00Z"),
                to: ts("2024-01-03T21:00:00Z"),
                missing: 390
            }]
        );
        assert_eq!(
            c.quiet_intervals,
            (0..390).filter(|i| i % 7 == 3).count() as u64
        );
        assert_eq!(c.outside, 1);
        // A session not yet closed, or cut by the range, is no hole.
        let c = session_check(&times, tf, from, to, ts("2024-01-03T20:00:00Z"));
        assert!(c.holes.is_empty(), "{:?}", c.holes);
        let c = session_check(
            &times,
            tf,
            from,
            ts("2024-01-03T18:00:00Z"),
            ts("2030-01-01T00:00:00Z"),
        );
        assert!(c.holes.is_empty(), "{:?}", c.holes);
        // Weekends and holidays are no sessions: 2024-01-01 (New Year), 06–07 (weekend).
        let c = session_check(
            &[],
            tf,
            ts("2024-01-06T00:00:00Z"),
            ts("2024-01-08T00:00:00Z"),
            ts("2030-01-01T00:00:00Z"),
        );
        assert_eq!((c.sessions, c.holes.len()), (0, 0));
        let c = session_check(
            &[],
            tf,
            ts("2024-01-01T00:00:00Z"),
            ts("2024-01-02T00:00:00Z"),
            ts("2030-01-01T00:00:00Z"),
        );
        assert_eq!((c.sessions, c.holes.len()), (0, 0));
    }

    #[test]
    fn daily_bars_belong_to_their_session() {
        let d1 = Timeframe::D1;
        // Alpaca daily bars open at midnight New York time (05:00 UTC in winter).
        let times = [ts("2024-01-02T05:00:00Z"), ts("2024-01-04T05:00:00Z")];
        let c = session_check(
            &times,
            d1,
            ts("2024-01-02T00:00:00Z"),
            ts("2024-01-05T00:00:00Z"),
            ts("2030-01-01T00:00:00Z"),
        );
        assert_eq!(c.sessions, 3);
        assert_eq!(
            c.holes,
            vec![Hole {
                from: ts("2024-01-03T14:30:00Z"),
                to: ts("2024-01-03T21:00:00Z"),
                missing: 1
            }]
        );
        assert_eq!((c.quiet_intervals, c.outside), (0, 0));
    }

    #[test]
    fn holes_are_listed_up_to_twenty_then_counted() {
        let h = Hole {
            from: ts("2024-01-02T00:01:00Z"),
            to: ts("2024-01-02T00:02:00Z"),
            missing: 1,
        };
        let s = list_holes(&vec![h; 25]);
        assert_eq!(
            s.matches("2024-01-02T00:01:00Z .. 2024-01-02T00:02:00Z (1 bar missing)")
                .count(),
            20
        );
        assert!(s.ends_with("… and 5 more"), "{s}");
    }

    #[test]
    fn a_half_written_last_line_is_cut_off() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv.part");
        fs::write(&p, "timestamp,open\n2024,1\n2024,2\n2024,").unwrap();
        truncate_to_last_line(&p).unwrap();
        assert_eq!(
            fs::read_to_string(&p).unwrap(),
            "timestamp,open\n2024,1\n2024,2\n"
        );
        fs::write(&p, "no newline").unwrap();
        truncate_to_last_line(&p).unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "");
    }
}
