//! `ploutos optimize`: a parameter search over backtests, in parallel on every core (rayon),
//! with optional random sampling, constraints, and walk-forward validation.

use std::cell::Cell;
use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use anyhow::{bail, Context, Result};

use ploutos_core::synth::SplitMix64;
use ploutos_core::{Decimal, Symbol, Timestamp};
use ploutos_engine::backtest::{EquityPoint, History};
use ploutos_engine::engine::StrategyConfig;
use ploutos_engine::strategy::ma_cross;
use ploutos_engine::strategy::shared::SharedIndicators;
use ploutos_ta::Sma;
use rayon::prelude::*;

use crate::backtest::{
    checked_costs, compute_scalar_metrics, load_history, parse_range, plain_config,
};
use crate::cli::OptimizeArgs;

/// One parameter's values.
#[derive(Debug, Clone)]
struct Axis {
    name: String,
    values: Vec<toml::Value>,
}

fn num(v: &toml::Value) -> Option<f64> {
    match v {
        toml::Value::Integer(i) => Some(*i as f64),
        toml::Value::Float(f) => Some(*f),
        _ => None,
    }
}

/// `fast=5..20:1`, `x=0.5..2:0.25`, or a list `kind=a,b,c`.
fn parse_axis(s: &str) -> Result<Axis> {
    let Some((name, spec)) = s.split_once('=') else {
        bail!("--grid {s:?}: expected NAME=FROM..TO:STEP or NAME=A,B,C");
    };
    let name = name.trim().to_string();
    let values: Vec<toml::Value> =
        if let Some((range, step)) = spec.split_once(':').filter(|_| spec.contains("..")) {
            let (a, b) = range.split_once("..").context("range")?;
            let ints = [a, b, step].iter().all(|x| x.trim().parse::<i64>().is_ok());
            if ints {
                let (a, b, st): (i64, i64, i64) =
                    (a.trim().parse()?, b.trim().parse()?, step.trim().parse()?);
                if st <= 0 || b < a {
                    bail!("--grid {s:?}: needs FROM <= TO and STEP > 0");
                }
                (0..)
                    .map(|k| a + k * st)
                    .take_while(|v| *v <= b)
                    .map(toml::Value::Integer)
                    .collect()
            } else {
                let (a, b, st): (f64, f64, f64) =
                    (a.trim().parse()?, b.trim().parse()?, step.trim().parse()?);
                if !(st > 0.0 && b >= a) {
                    bail!("--grid {s:?}: needs FROM <= TO and STEP > 0");
                }
                let n = ((b - a) / st + 1e-9).floor() as usize;
                (0..=n)
                    .map(|k| toml::Value::Float(a + k as f64 * st))
                    .collect()
            }
        } else {
            spec.split(',')
                .map(|v| {
                    let v = v.trim();
                    toml::from_str::<toml::Table>(&format!("v = {v}"))
                        .ok()
                        .and_then(|mut t| t.remove("v"))
                        .unwrap_or_else(|| toml::Value::String(v.to_string()))
                })
                .collect()
        };
    if values.is_empty() || values.len() > 100_000 {
        bail!("--grid {s:?}: {} values", values.len());
    }
    Ok(Axis { name, values })
}

/// `fast < slow`, `a <= 3`, …: a constraint between two parameters or a parameter and a number.
#[derive(Debug, Clone)]
struct Constraint {
    left: String,
    op: String,
    right: String,
}

fn parse_constraint(s: &str) -> Result<Constraint> {
    for op in ["<=", ">=", "!=", "==", "<", ">"] {
        if let Some((l, r)) = s.split_once(op) {
            return Ok(Constraint {
                left: l.trim().to_string(),
                op: op.to_string(),
                right: r.trim().to_string(),
            });
        }
    }
    bail!("--where {s:?}: expected NAME OP NAME|NUMBER with OP one of < <= > >= == !=")
}

impl Constraint {
    fn holds(&self, combo: &toml::Table) -> Result<bool> {
        let val = |x: &str| -> Result<f64> {
            match combo.get(x) {
                Some(v) => num(v).with_context(|| format!("--where: {x} is not a number")),
                None => x.parse::<f64>().with_context(|| {
                    format!("--where: {x} is neither a --grid parameter nor a number")
                }),
            }
        };
        let (l, r) = (val(&self.left)?, val(&self.right)?);
        Ok(match self.op.as_str() {
            "<" => l < r,
            "<=" => l <= r,
            ">" => l > r,
            ">=" => l >= r,
            "==" => l == r,
            _ => l != r,
        })
    }
}

/// `6M`, `30D`, `2W`, `1Y`, `12h` as nanoseconds (a month is 30 days, a year 365).
fn parse_span(s: &str) -> Result<i64> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (n, unit) = s.split_at(split);
    let n: i64 = n.parse().with_context(|| format!("span {s:?}"))?;
    let day = 86_400_000_000_000i64;
    let mult = match unit {
        "h" | "H" => day / 24,
        "D" | "d" => day,
        "W" | "w" => 7 * day,
        "M" => 30 * day,
        "Y" | "y" => 365 * day,
        _ => bail!("span {s:?}: units h, D, W, M (30 days), Y (365 days)"),
    };
    Ok(n * mult)
}

struct Outcome {
    params: toml::Table,
    score: Option<f64>,
    metrics: serde_json::Value,
}

struct Job<'a> {
    args: &'a OptimizeArgs,
    symbols: &'a [Symbol],
    cash: Decimal,
    fee: Decimal,
}

/// At most this many bytes of shared indicator series are kept (8 bytes per bar per series).
const SHARED_BYTES: usize = 512 * 1024 * 1024;

/// The indicator series every run over `events` can share: for `ma-cross`, the simple moving
/// average of each `fast` and `slow` period the combinations use, over each symbol's closes,
/// computed once instead of once per run. The results are the same either way (see
/// `ploutos_engine::strategy::shared`).
///
/// The EMA kinds (`ema-cross`, `ema-trend`) compute their averages per run: an EMA step is
/// one fused multiply-add, cheaper than reading a shared value and checking its close —
/// counted with callgrind on 1,000,000 bars, a skimmed bar costs ~34 instructions with live
/// EMAs and ~103 with shared ones; the SMA's window sum gains a little (−3% of a run).
fn shared_indicators(
    kind: &str,
    combos: &[toml::Table],
    symbols: &[Symbol],
    history: &History,
) -> SharedIndicators {
    if kind != ma_cross::KIND {
        return SharedIndicators::new();
    }
    let defaults = (ma_cross::DEFAULT_FAST, ma_cross::DEFAULT_SLOW);
    let mut periods = std::collections::BTreeSet::new();
    for c in combos {
        for (key, default) in [("fast", defaults.0), ("slow", defaults.1)] {
            match c.get(key) {
                None => {
                    periods.insert(default);
                }
                Some(v) => {
                    if let Some(p) = v.as_integer().and_then(|p| usize::try_from(p).ok()) {
                        periods.insert(p);
                    }
                }
            }
        }
    }
    let mut shared = SharedIndicators::new();
    let mut bytes = 0usize;
    for symbol in symbols {
        let closes = history.closes(symbol);
        let n = closes.len();
        shared.set_closes(symbol.clone(), closes);
        for &p in &periods {
            bytes += n * 8;
            if bytes > SHARED_BYTES {
                return shared;
            }
            // A period the indicator refuses is refused again, with its message, by the run.
            let _ = shared.add::<Sma>(symbol, p);
        }
    }
    shared
}

thread_local! {
    /// The equity-curve buffer of this thread's backtests (see [`Job::run_shared`]).
    static CURVE: Cell<Vec<EquityPoint>> = const { Cell::new(Vec::new()) };
}

impl Job<'_> {
    fn run(&self, params: &toml::Table, history: &History) -> Result<Outcome> {
        self.run_shared(params, history, None)
    }

    fn run_shared(
        &self,
        params: &toml::Table,
        history: &History,
        shared: Option<&SharedIndicators>,
    ) -> Result<Outcome> {
        let a = self.args;
        let strategy = StrategyConfig {
            name: a.strategy.clone(),
            kind: a.strategy.clone(),
            symbols: self.symbols.to_vec(),
            timeframe: a.sim.timeframe,
            capital: self.cash,
            params: params.clone(),
            exits: None,
            risk: None,
            enabled: true,
            venue: None,
            mode: None,
        };
        let cfg = plain_config(
            strategy,
            self.symbols,
            self.fee,
            a.sim.slippage_bps,
            a.sim.whole_units,
        );
        // Each thread's runs write their equity curves into one buffer, handed from run to
        // run: allocated and faulted in once, not once per run (a fresh 16 MB curve per
        // 1,000,000-bar run cost about a quarter of the search's time).
        let curve = CURVE.with(Cell::take);
        let run = history.run_into(cfg, |_| {}, shared, !a.sim.no_fast_forward, curve)?;
        let metrics = serde_json::to_value(compute_scalar_metrics(&run))?;
        CURVE.with(|c| c.set(run.equity));
        let score = metrics.get(&a.metric).and_then(serde_json::Value::as_f64);
        Ok(Outcome {
            params: params.clone(),
            score,
            metrics,
        })
    }

    /// Every combination in parallel; results sorted best first.
    fn search(
        &self,
        combos: &[toml::Table],
        history: &History,
        label: &str,
    ) -> Result<Vec<Outcome>> {
        let done = AtomicUsize::new(0);
        let started = Instant::now();
        let show = io::stderr().is_terminal();
        let total = combos.len();
        let shared = if self.args.no_share {
            SharedIndicators::new()
        } else {
            shared_indicators(&self.args.strategy, combos, self.symbols, history)
        };
        let results: Vec<Result<Outcome>> = combos
            .par_iter()
            .map(|c| {
                let r = self.run_shared(c, history, Some(&shared));
                let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                if show && (n % 8 == 0 || n == total) {
                    let el = started.elapsed().as_secs_f64();
                    let eta = el / n as f64 * (total - n) as f64;
                    eprint!("\r{label}{n}/{total} runs, {el:.1} s, ETA {eta:.0} s   ");
                }
                r
            })
            .collect();
        if show {
            eprintln!();
        }
        // Combinations the strategy refuses (e.g. fast >= slow without a --where) are skipped
        // and said so; if none runs, the first refusal is the error.
        let mut out = Vec::with_capacity(results.len());
        let mut refused: Vec<anyhow::Error> = Vec::new();
        for r in results {
            match r {
                Ok(o) => out.push(o),
                Err(e) => refused.push(e),
            }
        }
        if out.is_empty() {
            if let Some(e) = refused.into_iter().next() {
                return Err(e);
            }
        } else if let Some(e) = refused.first() {
            eprintln!("{label}{} combinations skipped, e.g.: {e:#}", refused.len());
        }
        out.sort_by(|a, b| {
            b.score
                .unwrap_or(f64::NEG_INFINITY)
                .total_cmp(&a.score.unwrap_or(f64::NEG_INFINITY))
        });
        Ok(out)
    }
}

fn show_value(v: &toml::Value) -> String {
    match v {
        toml::Value::Integer(i) => i.to_string(),
        toml::Value::Float(f) => f.to_string(),
        toml::Value::Boolean(b) => b.to_string(),
        toml::Value::String(s) => s.clone(),
        other => format!("{other:?}"),
    }
}

fn show_params(t: &toml::Table) -> String {
    t.iter()
        .map(|(k, v)| format!("{k}={}", show_value(v)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn metric(m: &serde_json::Value, k: &str) -> String {
    m.get(k)
        .and_then(serde_json::Value::as_f64)
        .map_or("-".into(), |v| format!("{v:.3}"))
}

/// Runs the command.
pub fn run(args: OptimizeArgs) -> Result<()> {
    if args.grid.is_empty() {
        bail!("give at least one --grid NAME=FROM..TO:STEP");
    }
    let axes = args
        .grid
        .iter()
        .map(|g| parse_axis(g))
        .collect::<Result<Vec<_>>>()?;
    let constraints = args
        .r#where
        .iter()
        .map(|w| parse_constraint(w))
        .collect::<Result<Vec<_>>>()?;
    // The grid, filtered by the constraints.
    let mut combos: Vec<toml::Table> = vec![toml::Table::new()];
    for axis in &axes {
        let mut next = Vec::with_capacity(combos.len() * axis.values.len());
        for c in &combos {
            for v in &axis.values {
                let mut c = c.clone();
                c.insert(axis.name.clone(), v.clone());
                next.push(c);
            }
        }
        combos = next;
        if combos.len() > 10_000_000 {
            bail!("the grid has more than 10 million combinations: narrow it or use --random N");
        }
    }
    let mut kept = Vec::with_capacity(combos.len());
    for c in combos {
        let mut ok = true;
        for k in &constraints {
            ok &= k.holds(&c)?;
        }
        if ok {
            kept.push(c);
        }
    }
    let mut combos = kept;
    if let Some(n) = args.random {
        // Seeded sample without replacement (partial Fisher–Yates).
        let mut rng = SplitMix64::new(args.seed);
        let n = n.min(combos.len());
        for i in 0..n {
            let j = i + (rng.next_u64() % (combos.len() - i) as u64) as usize;
            combos.swap(i, j);
        }
        combos.truncate(n);
    }
    if combos.is_empty() {
        bail!("no parameter combination satisfies the constraints");
    }
    let (cash, fee) = checked_costs(&args.sim)?;
    let (from, to) = parse_range(&args.sim)?;
    let (symbols, history) = load_history(&args.data, from, to)?;
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let job = Job {
        args: &args,
        symbols: &symbols,
        cash,
        fee,
    };
    let started = Instant::now();
    let mut out = io::stdout().lock();

    if let Some(wf) = &args.walk_forward {
        let mut train = None;
        let mut test = None;
        for part in wf.split(',') {
            match part.split_once('=') {
                Some(("train", v)) => train = Some(parse_span(v)?),
                Some(("test", v)) => test = Some(parse_span(v)?),
                _ => bail!(
                    "--walk-forward {wf:?}: expected train=SPAN,test=SPAN (e.g. train=6M,test=1M)"
                ),
            }
        }
        let (Some(train), Some(test)) = (train, test) else {
            bail!("--walk-forward {wf:?}: needs both train= and test=");
        };
        let (first, last) = history
            .span()
            .map_or((0, 0), |(a, b)| (a.as_nanos(), b.as_nanos()));
        let mut windows = Vec::new();
        let mut t = first;
        while t + train < last {
            let slice =
                |a: i64, b: i64| history.window(Timestamp::from_nanos(a), Timestamp::from_nanos(b));
            let (tr, te) = (slice(t, t + train), slice(t + train, t + train + test));
            if te.is_empty() || tr.is_empty() {
                break;
            }
            let label = format!("window {} ", windows.len() + 1);
            let best = pool
                .install(|| job.search(&combos, &tr, &label))?
                .into_iter()
                .next()
                .context("no result")?;
            let oos = job.run(&best.params, &te)?;
            windows.push((Timestamp::from_nanos(t), best, oos));
            t += test;
        }
        if windows.is_empty() {
            bail!(
                "--walk-forward {wf:?}: the data ({} .. {}) is shorter than one train+test window",
                Timestamp::from_nanos(first),
                Timestamp::from_nanos(last)
            );
        }
        let compounded = windows.iter().fold(1.0, |acc, (_, _, o)| {
            acc * (1.0
                + o.metrics
                    .get("return_pct")
                    .and_then(serde_json::Value::as_f64)
                    .unwrap_or(0.0)
                    / 100.0)
        });
        let oos_scores: Vec<f64> = windows.iter().filter_map(|(_, _, o)| o.score).collect();
        writeln!(
            out,
            "Walk-forward, out of sample (the in-sample best of each window run on the next {}):",
            wf
        )?;
        writeln!(
            out,
            "  compounded OOS return {:.2}% over {} windows · mean OOS {} {}",
            (compounded - 1.0) * 100.0,
            windows.len(),
            args.metric,
            if oos_scores.is_empty() {
                "-".to_string()
            } else {
                format!(
                    "{:.3}",
                    oos_scores.iter().sum::<f64>() / oos_scores.len() as f64
                )
            }
        )?;
        writeln!(
            out,
            "{:<22} {:<28} {:>12} {:>12} {:>10}",
            "window start", "best params (in sample)", "IS metric", "OOS metric", "OOS ret %"
        )?;
        for (start, best, oos) in &windows {
            writeln!(
                out,
                "{:<22} {:<28} {:>12} {:>12} {:>10}",
                start.to_string(),
                show_params(&best.params),
                best.score.map_or("-".into(), |v| format!("{v:.3}")),
                oos.score.map_or("-".into(), |v| format!("{v:.3}")),
                metric(&oos.metrics, "return_pct")
            )?;
        }
        writeln!(
            out,
            "({} combinations × {} windows in {:.1} s on {jobs} threads)",
            combos.len(),
            windows.len(),
            started.elapsed().as_secs_f64()
        )?;
        return Ok(());
    }

    let results = pool.install(|| job.search(&combos, &history, ""))?;
    let secs = started.elapsed().as_secs_f64();
    writeln!(
        out,
        "{} combinations on {} bars in {secs:.1} s on {jobs} threads, sorted by {}:",
        results.len(),
        history.len(),
        args.metric
    )?;
    writeln!(
        out,
        "{:<28} {:>10} {:>10} {:>10} {:>8} {:>8}",
        "params", &args.metric, "return %", "max dd %", "trades", "win %"
    )?;
    for r in results.iter().take(args.top) {
        writeln!(
            out,
            "{:<28} {:>10} {:>10} {:>10} {:>8} {:>8}",
            show_params(&r.params),
            r.score.map_or("-".into(), |v| format!("{v:.3}")),
            metric(&r.metrics, "return_pct"),
            metric(&r.metrics, "max_drawdown_pct"),
            r.metrics
                .get("trades")
                .map_or("-".into(), |v| v.to_string()),
            metric(&r.metrics, "win_rate_pct"),
        )?;
    }
    if let Some(path) = &args.out {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot create {}", path.display()))?;
        let keys: Vec<String> = axes.iter().map(|a| a.name.clone()).collect();
        let cols = [
            "return_pct",
            "sharpe",
            "sortino",
            "max_drawdown_pct",
            "trades",
            "win_rate_pct",
            "profit_factor",
            "equity_final",
        ];
        let mut header: Vec<String> = keys.clone();
        header.push(format!("score_{}", args.metric));
        header.extend(cols.iter().map(|c| c.to_string()));
        w.write_record(&header)?;
        for r in &results {
            let mut row: Vec<String> = keys
                .iter()
                .map(|k| r.params.get(k).map_or(String::new(), show_value))
                .collect();
            row.push(r.score.map_or(String::new(), |v| v.to_string()));
            for c in cols {
                row.push(r.metrics.get(c).map_or(String::new(), |v| {
                    if v.is_null() {
                        String::new()
                    } else {
                        v.to_string()
                    }
                }));
            }
            w.write_record(&row)?;
        }
        w.flush()?;
    }
    Ok(())
}
