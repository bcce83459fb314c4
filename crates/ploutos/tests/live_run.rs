//! `ploutos run` trading through the fake Binance and Alpaca servers, in paper and live mode,
//! exactly as against the real hosts (only the URLs differ): a planted difference between the
//! broker and the journal is found and corrected before trading, no order is ever sent twice,
//! and the journal's final position is the broker's.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use ploutos_fakes::alpaca::{FakeAlpaca, FakeAlpacaConfig};
use ploutos_fakes::binance::{FakeBinance, FakeBinanceConfig};
use rust_decimal::Decimal;

mod common;
use common::{alpaca_env, binance_env, ploutos, runtime, text};

const ALPACA_STRATEGY: &str = r#"
[feed]
venue = "alpaca"
warmup_bars = 60
[trading]
mode = "live"
live = true

[risk]
min_confidence = 0
cooldown_minutes = 0

[[instruments]]
symbol = "AAPL"
class = "stock"
tick_size = 0.01
step_size = 1
min_quantity = 1
min_notional = 0
fractional = false

[[strategies]]
name = "swing"
kind = "ema-cross"
symbols = ["AAPL"]
capital = 10000
[strategies.params]
fast = 3
slow = 8
"#;

const BINANCE_STRATEGY: &str = r#"
[risk]
min_confidence = 0
cooldown_minutes = 0

[[instruments]]
symbol = "BTCUSDT"
class = "crypto"
tick_size = 0.01
step_size = 0.00001
min_quantity = 0.00001
min_notional = 5
fractional = true

[[strategies]]
name = "trend"
kind = "ema-cross"
symbols = ["BTCUSDT"]
capital = 10000
[strategies.params]
fast = 3
slow = 8
"#;

fn run(dir: &Path, config: &str, env: &[(&str, String)], args: &[&str]) -> Output {
    let cfg = dir.join("ploutos.toml");
    std::fs::write(&cfg, config).unwrap();
    let data = dir.join("data");
    let mut all = vec![
        "run",
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ];
    all.extend_from_slice(args);
    ploutos(dir, env, &all)
}

/// The Binance fake: 400 bars of history, a 1-minute bar every 20 ms, `balances` or its own.
fn binance_fake(
    rt: &tokio::runtime::Runtime,
    balances: Option<Vec<(String, Decimal)>>,
) -> FakeBinance {
    let mut cfg = FakeBinanceConfig {
        history_bars: 400,
        pace: Duration::from_millis(20),
        ..FakeBinanceConfig::default()
    };
    if let Some(b) = balances {
        cfg.balances = b;
    }
    rt.block_on(FakeBinance::start(cfg)).unwrap()
}

/// The Alpaca fake: 120 bars published, one more every 25 ms; with `fills`, market orders
/// fill at once.
fn alpaca_fake(rt: &tokio::runtime::Runtime, fills: bool) -> FakeAlpaca {
    rt.block_on(FakeAlpaca::start(FakeAlpacaConfig {
        prepublished: 120,
        pace: Duration::from_millis(25),
        auto_fill_market: fills,
        ..FakeAlpacaConfig::default()
    }))
    .unwrap()
}

/// Every order of `ids` reached the venue exactly `times` times.
fn assert_posted(ids: &[String], times: u64, post_count: impl Fn(&str) -> u64) {
    for id in ids {
        let n = post_count(id);
        assert_eq!(
            n, times,
            "order {id} reached the venue {n} times, not {times}"
        );
    }
}

/// The client order ids the run printed (`order <id> buy|sell …`, with --verbose).
fn order_ids(all: &str) -> Vec<String> {
    let mut ids: Vec<String> = all
        .lines()
        .filter_map(|l| {
            let rest = l.split("] order ").nth(1)?;
            let mut w = rest.split_whitespace();
            let id = w.next()?;
            matches!(w.next(), Some("buy" | "sell")).then(|| id.to_string())
        })
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// The strategy's position in `symbol` in the saved state.
fn journal_position(dir: &Path, strategy: &str, symbol: &str) -> Decimal {
    let state: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("data").join("latest_state.json")).unwrap(),
    )
    .unwrap();
    state["portfolio"]["accounts"][strategy]["positions"][symbol]["quantity"]
        .as_str()
        .map_or(Decimal::ZERO, |q| q.parse().unwrap())
}

#[test]
fn binance_live_reconciles_a_planted_position_then_trades_each_order_once() {
    let rt = runtime();
    // The planted difference: the broker holds 0.25 BTC the (empty) journal knows nothing of.
    let fake = binance_fake(
        &rt,
        Some(vec![
            ("USDT".into(), Decimal::new(100_000, 0)),
            ("BTC".into(), Decimal::new(25, 2)),
        ]),
    );
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "[feed]\nvenue = \"binance\"\nwarmup_bars = 60\n[trading]\nmode = \"live\"\n{BINANCE_STRATEGY}"
    );

    // Live mode without the switch is refused, and nothing is sent.
    let o = run(
        dir.path(),
        &config,
        &binance_env(&fake),
        &["--max-events", "10"],
    );
    assert!(!o.status.success());
    assert!(text(&o).contains("--live"), "{}", text(&o));

    // Mid-run, once trading, the market stream drops: the run reconnects, backfills, and
    // reconciles again before trading on.
    std::fs::write(dir.path().join("ploutos.toml"), &config).unwrap();
    let cfg = dir.path().join("ploutos.toml");
    let data = dir.path().join("data");
    let mut running = common::Running::start(common::ploutos_command(
        dir.path(),
        &binance_env(&fake),
        &[
            "run",
            "--config",
            cfg.to_str().unwrap(),
            "--data-dir",
            data.to_str().unwrap(),
            "--live",
            "--verbose",
            "--max-events",
            "250",
        ],
    ));
    running.wait_for(|seen| seen.contains("reconcile: position BTCUSDT"));
    fake.drop_streams();
    let (ok, all) = running.finish();
    assert!(ok, "{all}");
    assert!(all.contains("reconnected"), "{all}");
    assert!(
        all.matches("reconcile: the journal agrees with the broker")
            .count()
            >= 1,
        "a second reconcile after the reconnect: {all}"
    );
    assert!(all.contains("LIVE"), "the banner says live: {all}");
    assert!(
        all.contains("reconcile: position BTCUSDT: journal 0, broker 0.25"),
        "{all}"
    );
    let ids = order_ids(&all);
    assert!(ids.len() >= 2, "the strategy traded: {all}");
    assert_posted(&ids, 1, |id| fake.post_count(id) as u64);
    // The journal ends where the broker is (no order left working: market orders only).
    let (free, locked) = fake.balance("BTC");
    assert_eq!(
        journal_position(dir.path(), "trend", "BTCUSDT"),
        free + locked,
        "{all}"
    );
}

#[test]
fn binance_paper_trades_on_live_prices_without_sending_orders() {
    let rt = runtime();
    let fake = binance_fake(&rt, None);
    let dir = tempfile::tempdir().unwrap();
    let config = format!("[feed]\nvenue = \"binance\"\nwarmup_bars = 60\n{BINANCE_STRATEGY}");
    let before = fake.balance("USDT");
    let o = run(
        dir.path(),
        &config,
        &binance_env(&fake),
        &["--verbose", "--max-events", "200"],
    );
    let all = text(&o);
    assert!(o.status.success(), "{all}");
    assert!(all.contains("paper"), "{all}");
    let ids = order_ids(&all);
    assert!(ids.len() >= 2, "the strategy traded on paper: {all}");
    assert_posted(&ids, 0, |id| fake.post_count(id) as u64);
    assert_eq!(fake.balance("USDT"), before);
}

#[test]
fn alpaca_live_trades_through_the_trading_api_and_its_update_stream() {
    let rt = runtime();
    let fake = alpaca_fake(&rt, true);
    let dir = tempfile::tempdir().unwrap();
    let config = ALPACA_STRATEGY;
    let env = alpaca_env(&fake, "fake-secret");
    let o = run(
        dir.path(),
        config,
        &env,
        &["--verbose", "--max-events", "150"],
    );
    let all = text(&o);
    assert!(o.status.success(), "{all}");
    assert!(
        all.contains("reconcile: the journal agrees with the broker"),
        "{all}"
    );
    // Market hours came from Alpaca's calendar (compared with the built-in table).
    assert!(all.contains("calendar: "), "{all}");
    assert!(!all.contains("cannot read Alpaca's calendar"), "{all}");
    let ids = order_ids(&all);
    assert!(ids.len() >= 2, "the strategy traded: {all}");
    assert_posted(&ids, 1, |id| fake.post_count(id) as u64);
    assert!(all.contains("BOUGHT"), "a fill came back: {all}");
}

#[test]
fn alpaca_paper_fills_in_the_engine_and_sends_nothing() {
    let rt = runtime();
    let fake = alpaca_fake(&rt, false);
    let dir = tempfile::tempdir().unwrap();
    let config = ALPACA_STRATEGY.replace("[trading]\nmode = \"live\"\nlive = true\n", "");
    let o = run(
        dir.path(),
        &config,
        &alpaca_env(&fake, "fake-secret"),
        &["--verbose", "--max-events", "150"],
    );
    let all = text(&o);
    assert!(o.status.success(), "{all}");
    assert!(all.contains("paper (the engine's paper broker"), "{all}");
    let ids = order_ids(&all);
    assert!(ids.len() >= 2, "the strategy traded on paper: {all}");
    assert_posted(&ids, 0, |id| fake.post_count(id) as u64);
}

#[test]
fn binance_live_killed_mid_run_restores_and_reconciles_without_resending() {
    let rt = runtime();
    let fake = binance_fake(&rt, None);
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("ploutos.toml");
    std::fs::write(
        &cfg,
        format!("[feed]\nvenue = \"binance\"\nwarmup_bars = 60\n[trading]\nmode = \"live\"\nlive = true\n{BINANCE_STRATEGY}"),
    )
    .unwrap();
    let data = dir.path().join("data");
    let args = [
        "run",
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
        "--verbose",
    ];
    // First run: killed (SIGKILL) right after its second order went out.
    let mut first = common::Running::start(common::ploutos_command(
        dir.path(),
        &binance_env(&fake),
        &args,
    ));
    first.wait_for(|seen| order_ids(seen).len() >= 2);
    let first = first.kill();

    // Second run: restores from the journal, reconciles with the broker, trades on.
    let mut restore = args.to_vec();
    restore.extend_from_slice(&["--restore", "--max-events", "120"]);
    let o = ploutos(dir.path(), &binance_env(&fake), &restore);
    let second = text(&o);
    assert!(o.status.success(), "{second}");
    assert!(second.contains("restoring from snapshot"), "{second}");
    assert!(second.contains("reconcile: "), "{second}");
    let ids = order_ids(&format!("{first}{second}"));
    assert!(!ids.is_empty(), "orders were sent: {first}{second}");
    // The kill can land after an order was journaled (and printed) but before it left the
    // process: the restored run finds it open in the journal and not at the broker, closes
    // it as canceled and says so — it never sends an order twice.
    let (lost, sent): (Vec<String>, Vec<String>) = ids.into_iter().partition(|id| {
        second.contains(&format!(
            "order {id} is open in the journal but not at the broker"
        ))
    });
    assert_posted(&sent, 1, |id| fake.post_count(id) as u64);
    assert!(lost.len() <= 1, "{lost:?}: {second}");
    assert_posted(&lost, 0, |id| fake.post_count(id) as u64);
    let (free, locked) = fake.balance("BTC");
    assert_eq!(
        journal_position(dir.path(), "trend", "BTCUSDT"),
        free + locked,
        "{second}"
    );
}

#[test]
fn alpaca_paper_account_mode_sends_orders_to_alpacas_paper_host() {
    let rt = runtime();
    let fake = alpaca_fake(&rt, true);
    let dir = tempfile::tempdir().unwrap();
    let config = ALPACA_STRATEGY.replace(
        "[trading]\nmode = \"live\"\nlive = true\n",
        "[trading]\nalpaca_paper_account = true\n",
    );
    let o = run(
        dir.path(),
        &config,
        &alpaca_env(&fake, "fake-secret"),
        &["--verbose", "--max-events", "150"],
    );
    let all = text(&o);
    assert!(o.status.success(), "{all}");
    assert!(all.contains("paper (Alpaca's paper account)"), "{all}");
    let ids = order_ids(&all);
    assert!(ids.len() >= 2, "the strategy traded: {all}");
    assert_posted(&ids, 1, |id| fake.post_count(id) as u64);
}

#[test]
fn two_venues_in_one_run_each_strategy_with_its_own_venue_and_mode() {
    let rt = runtime();
    let binance = binance_fake(&rt, None);
    let alpaca = alpaca_fake(&rt, false);
    let dir = tempfile::tempdir().unwrap();
    // Crypto live on Binance, stocks on paper with Alpaca's market data.
    let config = format!(
        "[feed]\nvenue = \"binance\"\nwarmup_bars = 60\n[trading]\nmode = \"live\"\n{BINANCE_STRATEGY}\n\
         [[instruments]]\nsymbol = \"AAPL\"\nclass = \"stock\"\ntick_size = 0.01\nstep_size = 1\n\
         min_quantity = 1\nmin_notional = 0\nfractional = false\n\n\
         [[strategies]]\nname = \"stocks\"\nkind = \"ema-cross\"\nsymbols = [\"AAPL\"]\n\
         capital = 10000\nvenue = \"alpaca\"\nmode = \"paper\"\n[strategies.params]\nfast = 3\nslow = 8\n"
    );
    let mut env = binance_env(&binance);
    env.extend(alpaca_env(&alpaca, "fake-secret"));
    let o = run(
        dir.path(),
        &config,
        &env,
        &["--live", "--verbose", "--max-events", "300"],
    );
    let all = text(&o);
    assert!(o.status.success(), "{all}");
    assert!(all.contains("Ploutos run on binance: LIVE"), "{all}");
    assert!(all.contains("Ploutos run on alpaca: paper"), "{all}");
    let ids = order_ids(&all);
    let (crypto, stocks): (Vec<String>, Vec<String>) =
        ids.into_iter().partition(|i| i.starts_with("trend"));
    assert!(
        !crypto.is_empty() && !stocks.is_empty(),
        "both traded: {all}"
    );
    assert_posted(&crypto, 1, |id| binance.post_count(id) as u64);
    assert_posted(&stocks, 0, |id| alpaca.post_count(id) as u64);
}
