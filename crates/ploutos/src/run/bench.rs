//! `ploutos bench-engine` (hidden): the whole trading path — bar → indicators → signal → risk
//! → paper order → fill → portfolio, journaled in batches like `ploutos run` — on synthetic
//! bars, timed; and the memory each strategy × symbol costs. `scripts/bench.sh` runs it.

use std::time::Instant;

use anyhow::{Context, Result};
use ploutos_core::synth::{SynthBars, SynthConfig};
use ploutos_core::{MarketEvent, Symbol, Timeframe};
use ploutos_engine::engine::{Engine, EngineConfig};
use ploutos_engine::events::EngineEvent;
use ploutos_store::journal::JournalEntry;

use super::journal;

/// Resident memory of this process, in bytes (Linux; 0 elsewhere).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

const KINDS: [&str; 5] = ["ema-cross", "ma-cross", "rsi", "bollinger", "consensus"];

/// Runs the benchmark and prints one line of figures.
pub fn bench(
    strategies: usize,
    symbols: usize,
    bars: usize,
    kind: Option<&str>,
    journal_dir: Option<&std::path::Path>,
) -> Result<()> {
    // Market data first, so it is not counted as engine memory.
    let names: Vec<Symbol> = (0..symbols)
        .map(|i| Symbol::new(&format!("S{i:03}")))
        .collect::<Result<_, _>>()?;
    let mut events = Vec::with_capacity(symbols * bars);
    let series: Vec<Vec<ploutos_core::Bar>> = (0..symbols)
        .map(|i| {
            SynthBars::new(SynthConfig {
                seed: 1000 + i as u64,
                sigma: 0.002,
                ..SynthConfig::default()
            })
            .take(bars)
            .collect()
        })
        .collect();
    for t in 0..bars {
        for (bars_of, name) in series.iter().zip(&names) {
            events.push(MarketEvent::Bar {
                symbol: name.clone(),
                timeframe: Timeframe::M1,
                bar: bars_of[t],
            });
        }
    }
    drop(series);
    let min_conf = if kind == Some("consensus") { 60 } else { 0 };
    let mut text = format!("[risk]\nmin_confidence = {min_conf}\nmax_open_positions = 1000\nmax_trades_per_day = 100000\ncooldown_minutes = 0\n[breakers]\nlosing_streak = {{ threshold = 1000000, resume = {{ when = \"manual\" }} }}\nmax_trades_per_day = {{ threshold = 1000000, resume = {{ when = \"manual\" }} }}\nmax_drawdown_pct = {{ threshold = 100, resume = {{ when = \"manual\" }} }}\ndaily_loss_pct = {{ threshold = 100, resume = {{ when = \"manual\" }} }}\n[broker]\nfees = {{ type = \"rate\", taker = 0.001 }}\n");
    let list = names
        .iter()
        .map(|s| format!("\"{s}\""))
        .collect::<Vec<_>>()
        .join(", ");
    for i in 0..strategies {
        text.push_str(&format!(
            "[[strategies]]\nname = \"st{i}\"\nkind = \"{}\"\nsymbols = [{list}]\ncapital = 1000000\n[strategies.exits]\nstop_loss = {{ percent = 1 }}\ntake_profit = {{ percent = 2 }}\n",
            kind.unwrap_or(KINDS[i % KINDS.len()])
        ));
    }
    let cfg: EngineConfig = toml::from_str(&text).context("benchmark configuration")?;
    let before = rss();
    let mut engine = Engine::new(cfg, events[0].time())?;
    let mut writer = match journal_dir {
        Some(d) => Some(super::JournalWriter::spawn(super::open_journal(d, false)?)),
        None => None,
    };
    let mut last_commit = Instant::now();
    let mut out: Vec<EngineEvent> = Vec::with_capacity(256);
    let mut pending: Vec<JournalEntry> = Vec::with_capacity(1024);
    let mut journaled = 0usize;
    let started = Instant::now();
    for ev in &events {
        out.clear();
        engine.on_market_event(ev, &mut out);
        if let Some(w) = writer.as_mut() {
            let now = engine.state().now;
            pending.extend(out.iter().filter_map(|e| journal::entry(e, now)));
            // Batches as `ploutos run` makes them (defaults): every 200 ms or 10,000 entries,
            // each with a snapshot, committed by the writer thread.
            if !pending.is_empty()
                && (pending.len() >= 10_000 || last_commit.elapsed().as_millis() >= 200)
            {
                let state = engine.state();
                pending.push(JournalEntry::Snapshot {
                    time: state.now,
                    cursor: state.cursor.to_string(),
                    state: serde_json::to_value(state)?,
                });
                journaled += pending.len();
                w.send(std::mem::take(&mut pending))?;
                last_commit = Instant::now();
            }
        }
    }
    if let Some(w) = writer.as_mut() {
        if !pending.is_empty() {
            journaled += pending.len();
            w.send(std::mem::take(&mut pending))?;
        }
        w.finish()?;
    }
    let elapsed = started.elapsed();
    let after = rss();
    let slots = strategies * symbols;
    let per = elapsed.as_nanos() as f64 / (events.len() as f64 * strategies as f64);
    let s = engine.state();
    println!(
        "{strategies} strategies × {symbols} symbols × {bars} bars: {:.3} s, {:.0} ns per bar per strategy, {} orders, {} fills, {journaled} journal entries{}; memory {:.1} KB per strategy × symbol ({:.1} MB for {slots})",
        elapsed.as_secs_f64(),
        per,
        s.orders_submitted,
        s.fills,
        if journal_dir.is_some() { " (journal on)" } else { " (journal off)" },
        after.saturating_sub(before) as f64 / 1024.0 / slots as f64,
        after.saturating_sub(before) as f64 / 1048576.0,
    );
    Ok(())
}
