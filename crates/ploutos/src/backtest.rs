//! `ploutos backtest`: the trading engine on a simulated clock over history files.

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use ploutos_core::money::{price_from_f64, to_f64};
use ploutos_core::{Decimal, Instrument, MarketEvent, Symbol, Timestamp};
use ploutos_engine::backtest::{self, BacktestResult, History};
use ploutos_engine::breakers::{BreakerConfig, Limit, Resume};
use ploutos_engine::broker::{Fees, PaperConfig, Slippage};
use ploutos_engine::engine::{EngineConfig, StrategyConfig};
use ploutos_engine::risk::{RiskConfig, Sizing};
use ploutos_venues::replay::{Replay, ReplaySource, ReplayStream};
use serde_json::json;

use crate::analyze::source::parse_replay_spec;
use crate::cli::{BacktestArgs, SimArgs};
use crate::config::Config;

/// `k=v` with `v` read as a TOML value (`12`, `1.5`, `true`), else as a string.
pub(crate) fn parse_param(s: &str) -> Result<(String, toml::Value)> {
    let Some((k, v)) = s.split_once('=') else {
        bail!("--param {s:?}: expected NAME=VALUE (e.g. fast=12)");
    };
    let k = k.trim();
    if k.is_empty() {
        bail!("--param {s:?}: the name is empty");
    }
    let v = v.trim();
    let value = toml::from_str::<toml::Table>(&format!("v = {v}"))
        .ok()
        .and_then(|mut t| t.remove("v"))
        .unwrap_or_else(|| toml::Value::String(v.to_string()));
    Ok((k.to_string(), value))
}

pub(crate) fn no_breakers() -> BreakerConfig {
    let off = |_| Limit {
        threshold: u32::MAX,
        resume: Resume::Manual,
    };
    BreakerConfig {
        max_drawdown_pct: Limit {
            threshold: Decimal::ONE_HUNDRED,
            resume: Resume::Manual,
        },
        daily_loss_pct: Limit {
            threshold: Decimal::ONE_HUNDRED,
            resume: Resume::Manual,
        },
        losing_streak: off(()),
        max_trades_per_day: off(()),
    }
}

/// The risk settings of a plain backtest: all cash in one position, no caps but cash.
pub(crate) fn backtest_risk() -> RiskConfig {
    let all = Decimal::ONE_HUNDRED;
    RiskConfig {
        max_position_pct: all,
        risk_per_trade_pct: all,
        max_asset_exposure_pct: all,
        max_open_positions: usize::MAX,
        max_trades_per_day: u32::MAX,
        min_confidence: 0,
        cooldown_minutes: 0,
        sizing: Sizing::AllCash,
        allow_short: false,
    }
}

/// Reads every bar file (`SYMBOL=FILE` or `FILE`).
fn load_streams(data: &[String]) -> Result<Vec<ReplayStream>> {
    if data.is_empty() {
        bail!("--data is required: one or more bar files (SYMBOL=FILE or FILE)");
    }
    let mut streams = Vec::new();
    for spec in data {
        let (sym, path) = parse_replay_spec(spec)?;
        let mut src = ReplaySource::bars(path);
        if let Some(s) = sym {
            src = src.symbol(s);
        }
        streams.push(src.load()?);
    }
    Ok(streams)
}

/// Whether an event at `t` is in the `--from` / `--to` range (closing after `from`, up to
/// `to`).
fn in_range(from: Option<Timestamp>, to: Option<Timestamp>) -> impl Fn(Timestamp) -> bool {
    move |t| from.is_none_or(|f| t > f) && to.is_none_or(|u| t <= u)
}

/// Reads the bar files and returns their bars merged in time order as a stream (the bars of
/// each file are in memory once; the merged events are not materialized), with an upper
/// bound of their count.
pub(crate) fn stream_history(
    data: &[String],
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<(Vec<Symbol>, impl Iterator<Item = MarketEvent>, usize)> {
    let streams = load_streams(data)?;
    let symbols: Vec<Symbol> = streams.iter().map(|s| s.symbol().clone()).collect();
    let replay = Replay::new(streams);
    let total = replay.len();
    let keep = in_range(from, to);
    let events = replay.filter(move |e| keep(e.time()));
    Ok((symbols, events, total))
}

/// Reads the bar files, keeping bars closing after `from` and up to `to`: one file's bars as
/// they are (the engine can fast-forward through them), several files' merged in time order.
pub(crate) fn load_history(
    data: &[String],
    from: Option<Timestamp>,
    to: Option<Timestamp>,
) -> Result<(Vec<Symbol>, History)> {
    let mut streams = load_streams(data)?;
    let symbols: Vec<Symbol> = streams.iter().map(|s| s.symbol().clone()).collect();
    let keep = in_range(from, to);
    let history = match streams.pop() {
        Some(ReplayStream::Bars {
            symbol,
            timeframe,
            mut bars,
        }) if streams.is_empty() => {
            bars.retain(|b| keep(b.close_time(timeframe)));
            History::Bars {
                symbol,
                timeframe,
                bars,
            }
        }
        last => {
            streams.extend(last);
            History::Events(Replay::new(streams).filter(|e| keep(e.time())).collect())
        }
    };
    if history.is_empty() {
        bail!("no bars in the selected range");
    }
    Ok((symbols, history))
}

/// The engine configuration of a plain backtest of one strategy on `symbols`: all cash, no
/// caps, no breakers, fee and slippage as given, 24/7 instruments with fractional (or whole)
/// units.
pub(crate) fn plain_config(
    strategy: StrategyConfig,
    symbols: &[Symbol],
    fee: Decimal,
    slippage_bps: f64,
    whole_units: bool,
) -> EngineConfig {
    let step = if whole_units {
        Decimal::ONE
    } else {
        Decimal::new(1, 12)
    };
    let instruments = symbols
        .iter()
        .map(|s| Instrument {
            symbol: s.clone(),
            class: ploutos_core::AssetClass::Crypto,
            tick_size: Decimal::ZERO,
            step_size: step,
            min_quantity: step,
            min_notional: Decimal::ZERO,
            fractional: !whole_units,
        })
        .collect();
    EngineConfig {
        strategies: vec![strategy],
        risk: backtest_risk(),
        breakers: no_breakers(),
        broker: PaperConfig {
            fees: Fees::Rate {
                taker: fee,
                maker: Some(fee),
            },
            slippage: match price_from_f64(slippage_bps) {
                Some(b) if b > Decimal::ZERO => Slippage::Bps(b),
                _ => Slippage::Zero,
            },
            ..PaperConfig::default()
        },
        instruments,
        execution: Default::default(),
    }
}

/// `--cash`, `--fee` and `--slippage-bps` (of `backtest` and `optimize`), checked: the cash
/// and the fee as decimals.
pub fn checked_costs(sim: &SimArgs) -> Result<(Decimal, Decimal)> {
    let (cash, fee, slippage_bps) = (sim.cash, sim.fee, sim.slippage_bps);
    if !(fee.is_finite() && (0.0..0.5).contains(&fee)) {
        bail!("--fee {fee}: must be a fraction of the notional between 0 and 0.5 (0.001 = 0.1%)");
    }
    if !(slippage_bps.is_finite() && slippage_bps >= 0.0) {
        bail!("--slippage-bps {slippage_bps}: must be 0 or more");
    }
    let cash = price_from_f64(cash)
        .filter(|c| *c > Decimal::ZERO)
        .with_context(|| format!("--cash {cash}: must be positive"))?;
    Ok((cash, price_from_f64(fee).unwrap_or_default()))
}

/// `--from` and `--to` (RFC 3339 or a date).
pub fn parse_range(sim: &SimArgs) -> Result<(Option<Timestamp>, Option<Timestamp>)> {
    let parse = |t: &Option<String>| t.as_deref().map(Timestamp::parse).transpose();
    let from = parse(&sim.from).context("--from")?;
    let to = parse(&sim.to).context("--to")?;
    Ok((from, to))
}

/// Runs the command.
pub fn run(args: BacktestArgs) -> Result<()> {
    let (cash, fee) = checked_costs(&args.sim)?;
    let (from, to) = parse_range(&args.sim)?;

    // History: one file's bars as they are (fast-forward), several files merged as a stream
    // (the merged events are not kept but for the report's candles).
    let load_started = Instant::now();
    let (symbols, history, stream, upper) = if args.data.len() == 1 {
        let (symbols, history) = load_history(&args.data, from, to)?;
        let n = history.len();
        (symbols, Some(history), None, n)
    } else {
        let (symbols, stream, upper) = stream_history(&args.data, from, to)?;
        (symbols, None, Some(stream), upper)
    };
    let (kept, stream) = match (&args.report, &history) {
        (None, _) => (None, stream),
        (Some(_), Some(h)) => (Some(h.events()), None),
        (Some(_), None) => (stream.map(Iterator::collect::<Vec<MarketEvent>>), None),
    };
    let load_secs = load_started.elapsed().as_secs_f64();

    // Configuration: the config file's strategies, or one from --strategy.
    let (engine_cfg, source) = match &args.config {
        Some(path) => {
            let cfg = Config::load(path)?;
            if cfg.strategies.is_empty() {
                bail!("{}: no [[strategies]] to backtest", path.display());
            }
            (cfg.engine(), format!("config {}", path.display()))
        }
        None => {
            let mut params = toml::Table::new();
            for p in &args.param {
                let (k, v) = parse_param(p)?;
                params.insert(k, v);
            }
            let strategy = StrategyConfig {
                name: args.strategy.clone(),
                kind: args.strategy.clone(),
                symbols: symbols.clone(),
                timeframe: args.sim.timeframe,
                capital: cash,
                params,
                exits: None,
                risk: None,
                enabled: true,
                venue: None,
                mode: None,
            };
            let cfg = plain_config(
                strategy,
                &symbols,
                fee,
                args.sim.slippage_bps,
                args.sim.whole_units,
            );
            (cfg, format!("strategy {}", args.strategy))
        }
    };

    let quiet = args.json.as_deref() == Some("-") || !io::stderr().is_terminal();
    let total = upper as u64;
    let run_started = Instant::now();
    let progress = |n: u64| {
        if !quiet && total > 200_000 {
            eprint!(
                "\rbacktest: {:>5.1}% ({n} of {total} bars)",
                n as f64 * 100.0 / total as f64
            );
        }
    };
    let fast = !args.sim.no_fast_forward;
    let result = match (&history, &kept, stream) {
        (Some(h), _, _) => h.run(engine_cfg.clone(), progress, None, fast)?,
        (None, Some(events), _) => backtest::run(engine_cfg.clone(), events, progress)?,
        (None, None, Some(stream)) => backtest::run(engine_cfg.clone(), stream, progress)?,
        (None, None, None) => bail!("no bars to backtest"),
    };
    drop(history); // the bars are not needed any more: free them before the metrics
    if result.events == 0 {
        bail!("no bars in the selected range");
    }
    let (total, skimmed) = (result.events, result.skimmed);
    let run_secs = run_started.elapsed().as_secs_f64();
    if !quiet && total > 200_000 {
        eprintln!();
    }
    let metrics = compute_metrics(&result);
    let conventions = conventions(&args, &engine_cfg, args.config.is_some());
    let report = BacktestResult {
        config: json!({
            "source": source,
            "data": args.data,
            "symbols": symbols,
            "from": result.equity.first().map(|p| p.time),
            "to": result.equity.last().map(|p| p.time),
            "bars": total,
            "engine": engine_cfg,
        }),
        conventions,
        metrics,
        trades: result.trades,
        equity: result.equity,
    };

    if let Some(path) = &args.trades {
        write_trades_csv(path, &report)?;
    }
    if let (Some(path), Some(events)) = (&args.report, &kept) {
        crate::report::write(path, &report, events)?;
    }
    match args.json.as_deref() {
        Some("-") => {
            let out = io::stdout();
            let mut w = BufWriter::new(out.lock());
            serde_json::to_writer(&mut w, &report)?;
            writeln!(w)?;
            return Ok(());
        }
        Some(path) => {
            let f = File::create(path).with_context(|| format!("cannot create {path}"))?;
            serde_json::to_writer(BufWriter::new(f), &report)?;
        }
        None => {}
    }
    print_summary(&report, total, skimmed, load_secs, run_secs)?;
    Ok(())
}

pub(crate) fn compute_metrics(run: &backtest::Run) -> ploutos_engine::backtest::metrics::Metrics {
    ploutos_engine::backtest::metrics::compute(&metrics_input(run))
}

/// The single-number metrics of a run (no tables: what the optimizer ranks by).
pub(crate) fn compute_scalar_metrics(
    run: &backtest::Run,
) -> ploutos_engine::backtest::metrics::Metrics {
    ploutos_engine::backtest::metrics::compute_scalars(&metrics_input(run))
}

fn metrics_input(run: &backtest::Run) -> ploutos_engine::backtest::metrics::MetricsInput<'_> {
    ploutos_engine::backtest::metrics::MetricsInput {
        trades: &run.trades,
        equity: &run.equity,
        initial_equity: run.initial_equity,
        first_close: run.first_close,
        last_close: run.last_close,
        bars_per_year: None,
    }
}

fn conventions(args: &BacktestArgs, cfg: &EngineConfig, from_config: bool) -> Vec<String> {
    let mut c = vec![
        "Orders are decided on a bar's close and market orders fill at the next bar's open (plus slippage); limit and stop orders fill when a bar trades through them, along the path open→high→low→close for an up bar and open→low→high→close for a down bar.".to_string(),
        "A position still open at the end is marked to the last close and reported with exit_reason \"open\"; it is not counted among the closed trades.".to_string(),
        "Equity is cash plus open positions at the last close, after every bar; metrics use that curve.".to_string(),
        "The same engine as paper and live trading: strategies, risk manager, breakers and paper broker.".to_string(),
    ];
    if !from_config {
        c.push(format!(
            "Long only; an entry uses all available cash: quantity = cash / (open × (1 + fee)), {}; the whole position is sold on the exit signal.",
            if args.sim.whole_units { "rounded down to whole units" } else { "fractional" }
        ));
        c.push(format!("Fees: {} of the notional on every fill, both ways; slippage {} bps against the trader.", args.sim.fee, args.sim.slippage_bps));
        c.push(
            "No risk caps but cash, no circuit breakers, no cooldown (plain backtest).".to_string(),
        );
    } else {
        c.push(format!(
            "Risk limits, breakers, fees and slippage as in the configuration ({} strategies).",
            cfg.strategies.len()
        ));
    }
    c
}

fn write_trades_csv(path: &std::path::Path, r: &BacktestResult) -> Result<()> {
    let f = File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = BufWriter::new(f);
    writeln!(w, "symbol,strategy,direction,entry_time,entry_price,exit_time,exit_price,quantity,pnl,fees,return_pct,exit_reason")?;
    for t in &r.trades {
        writeln!(
            w,
            "{},{},{},{},{},{},{},{},{},{},{},{}",
            t.symbol,
            t.strategy,
            t.direction,
            t.entry_time,
            t.entry_price,
            t.exit_time.map(|x| x.to_string()).unwrap_or_default(),
            t.exit_price,
            t.quantity,
            t.pnl,
            t.fees,
            t.return_pct,
            t.exit_reason
        )?;
    }
    w.flush()?;
    Ok(())
}

fn print_summary(r: &BacktestResult, bars: u64, skimmed: u64, load: f64, run: f64) -> Result<()> {
    let mut out = BufWriter::new(io::stdout().lock());
    let closed = r.trades.iter().filter(|t| !t.is_open()).count();
    let open = r.trades.len() - closed;
    let first = r.equity.first().map_or(0.0, |p| p.equity);
    let last = r.equity.last().map_or(0.0, |p| p.equity);
    let fast = skimmed as f64 * 100.0 / bars.max(1) as f64;
    writeln!(
        out,
        "Backtest: {bars} bars · {closed} closed trades, {open} open · load {load:.2} s, run \
         {run:.3} s ({fast:.1}% of the bars fast-forwarded)"
    )?;
    writeln!(out, "Equity: {first:.2} → {last:.2}")?;
    let m = serde_json::to_value(&r.metrics)?;
    if let Some(obj) = m.as_object() {
        for (k, v) in obj {
            if v.is_number() || v.is_string() {
                writeln!(out, "  {k:<28} {v}")?;
            }
        }
    }
    let fees: Decimal = r.trades.iter().map(|t| t.fees).sum();
    writeln!(out, "  fees (trades)                {:.2}", to_f64(fees))?;
    out.flush()?;
    Ok(())
}
