//! `ploutos state show|list|restore`, `ploutos panic|resume`, `ploutos config check`.

use std::path::Path;

use anyhow::{bail, Context, Result};
use ploutos_core::money::to_f64;
use ploutos_core::Decimal;
use ploutos_engine::engine::{Engine, EngineState};
use ploutos_store::journal::JournalEntry;
use ploutos_store::state_files::StateFiles;
use serde_json::json;

use super::{open_journal, queue_command, JOURNAL_FILE};
use crate::config::Config;

fn load_state(data_dir: &Path) -> Result<(EngineState, String)> {
    if data_dir.join(JOURNAL_FILE).is_file() {
        let journal = open_journal(data_dir, false)?;
        if let Some((seq, _, _, state)) = journal.latest_snapshot()? {
            let s: EngineState = serde_json::from_value(state)
                .context("the latest snapshot does not fit this version")?;
            return Ok((s, format!("journal snapshot #{seq}")));
        }
    }
    let files = StateFiles::new(data_dir);
    if let Some(v) = files.read_latest()? {
        let s: EngineState =
            serde_json::from_value(v).context("latest_state.json does not fit this version")?;
        return Ok((s, "latest_state.json".into()));
    }
    bail!(
        "no saved state in {} (run `ploutos run --data-dir {}` first)",
        data_dir.display(),
        data_dir.display()
    )
}

/// The `state show --json` document.
pub fn state_json(s: &EngineState) -> serde_json::Value {
    let p = &s.portfolio;
    let mut strategies = serde_json::Map::new();
    for a in p.accounts.values() {
        let positions: Vec<_> = a
            .positions
            .iter()
            .map(|(sym, pos)| {
                json!({
                    "symbol": sym, "quantity": pos.quantity, "average_price": pos.average_price,
                    "mark": p.marks.get(sym), "opened": pos.opened,
                })
            })
            .collect();
        let open: Vec<_> = s
            .open_orders
            .values()
            .filter(|o| o.request.strategy == a.strategy)
            .map(|o| json!({"client_id": o.request.client_id, "symbol": o.request.symbol, "side": o.request.side,
                "type": o.request.kind.name(), "size": o.request.size, "status": o.status, "reason": o.request.reason}))
            .collect();
        strategies.insert(
            a.strategy.to_string(),
            json!({
                "capital": a.initial_capital, "cash": a.cash, "equity": a.equity(&p.marks),
                "realized_pnl": a.realized_pnl, "realized_by_symbol": a.realized_by_symbol, "fees": a.fees, "trades": a.trades,
                "positions": positions, "open_orders": open,
            }),
        );
    }
    json!({
        "time": s.now, "market_events": s.cursor,
        "total": {
            "cash": p.total_cash(), "equity": p.total_equity(),
            "trades": p.accounts.values().map(|a| a.trades).sum::<u64>(),
            "positions": p.accounts.values().map(|a| a.positions.len()).sum::<usize>(),
            "open_orders": s.open_orders.len(), "orders_submitted": s.orders_submitted, "fills": s.fills,
        },
        "strategies": strategies,
        "paused": s.breakers.iter().filter_map(|(k, b)| b.paused.as_ref().map(|p| json!({"scope": k, "reason": p.reason}))).collect::<Vec<_>>(),
    })
}

pub fn state_show(data_dir: &Path, as_json: bool) -> Result<()> {
    let (s, from) = load_state(data_dir)?;
    let doc = state_json(&s);
    if as_json {
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    let p = &s.portfolio;
    println!(
        "State of {} ({from}), engine time {}, {} market events",
        data_dir.display(),
        s.now,
        s.cursor
    );
    println!(
        "{:<14} {:>12} {:>12} {:>7} {:>9} {:>6}",
        "strategy", "cash", "equity", "trades", "positions", "orders"
    );
    for a in p.accounts.values() {
        let open = s
            .open_orders
            .values()
            .filter(|o| o.request.strategy == a.strategy)
            .count();
        println!(
            "{:<14} {:>12.2} {:>12.2} {:>7} {:>9} {:>6}",
            a.strategy,
            to_f64(a.cash),
            to_f64(a.equity(&p.marks)),
            a.trades,
            a.positions.len(),
            open
        );
        for (sym, pos) in &a.positions {
            println!(
                "    {sym}: {} @ {} (mark {})",
                pos.quantity.normalize(),
                pos.average_price.round_dp(8).normalize(),
                p.marks
                    .get(sym)
                    .copied()
                    .unwrap_or(Decimal::ZERO)
                    .normalize()
            );
        }
    }
    println!(
        "{:<14} {:>12.2} {:>12.2} {:>7}",
        "total",
        to_f64(p.total_cash()),
        to_f64(p.total_equity()),
        p.accounts.values().map(|a| a.trades).sum::<u64>()
    );
    for (scope, b) in &s.breakers {
        if let Some(pause) = &b.paused {
            println!("PAUSED {scope}: {}", pause.reason);
        }
    }
    Ok(())
}

pub fn state_list(data_dir: &Path, as_json: bool) -> Result<()> {
    let mut snapshots = 0;
    if data_dir.join(JOURNAL_FILE).is_file() {
        snapshots = open_journal(data_dir, false)?.count_snapshots()?;
    }
    let files = StateFiles::new(data_dir).list()?;
    if as_json {
        let list: Vec<_> = files
            .iter()
            .map(|f| json!({"time": f.time, "path": f.path, "size": f.size}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"journal_snapshots": snapshots, "state_files": list})
            )?
        );
        return Ok(());
    }
    println!(
        "{}: {snapshots} snapshots in the journal, {} state files",
        data_dir.display(),
        files.len()
    );
    for f in files {
        println!("  {}  {:>9} bytes  {}", f.time, f.size, f.path.display());
    }
    Ok(())
}

pub fn state_restore(data_dir: &Path, file: &Path) -> Result<()> {
    let files = StateFiles::new(data_dir);
    let value = files.read(file)?;
    let state: EngineState = serde_json::from_value(value.clone())
        .with_context(|| format!("{} is not an engine state of this version", file.display()))?;
    let mut journal = open_journal(data_dir, false)?;
    journal.append(&[JournalEntry::Snapshot {
        time: state.now,
        cursor: state.cursor.to_string(),
        state: value,
    }])?;
    println!(
        "{} is now the restore point ({} market events, engine time {}); continue with `ploutos run --restore --data-dir {}`",
        file.display(),
        state.cursor,
        state.now,
        data_dir.display()
    );
    Ok(())
}

pub fn command(data_dir: &Path, cmd: &str) -> Result<()> {
    let path = queue_command(data_dir, cmd)?;
    println!("{cmd}: left for the engine as {} (a running `ploutos run` applies it within a second; otherwise the next `run --restore` does)", path.display());
    Ok(())
}

/// `ploutos config check FILE`: every error, each with its location.
pub fn config_check(file: &Path) -> Result<()> {
    let cfg = Config::load(file)?;
    let mut problems = Vec::new();
    if let Err(e) = Engine::new(cfg.engine(), ploutos_core::Timestamp::EPOCH) {
        problems.push(e.to_string());
    }
    let base = file.parent().unwrap_or(Path::new("."));
    for (i, spec) in cfg.feed.files.iter().enumerate() {
        let path = spec.split_once('=').map_or(spec.as_str(), |(_, p)| p);
        let p = base.join(path);
        if !p.is_file() {
            problems.push(format!(
                "feed.files[{i}] = {spec:?}: {} does not exist",
                p.display()
            ));
        }
    }
    if !problems.is_empty() {
        bail!(
            "{}: {} problem(s):\n  {}",
            file.display(),
            problems.len(),
            problems.join("\n  ")
        );
    }
    println!(
        "{}: OK ({} strategies on {} symbols, {} feed files)",
        file.display(),
        cfg.strategies.len(),
        cfg.strategies
            .iter()
            .flat_map(|s| s.symbols.iter())
            .collect::<std::collections::BTreeSet<_>>()
            .len(),
        cfg.feed.files.len()
    );
    Ok(())
}
