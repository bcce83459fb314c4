//! `ploutos run` trading through the fake Binance and Alpaca servers, in paper and live mode,
//! exactly as against the real hosts (only the URLs differ): a planted difference between the
//! broker and the journal is found and corrected before trading, no order is ever sent twice,
//! and the journal's final position is the broker's.

use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use ploutos_fakes::alpaca::{FakeAlpaca, FakeAlpacaConfig};
use ploutos_fakes::binance::{FakeBinance, FakeBinanceConfig};
use rust_decimal::Decimal;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

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

fn alpaca_env(fake: &FakeAlpaca) -> Vec<(&'static str, String)> {
    vec![
        ("PLOUTOS_ALPACA_DATA_WS_URL", fake.data_ws_url("iex")),
        ("PLOUTOS_ALPACA_DATA_URL", fake.data_url()),
        ("PLOUTOS_ALPACA_TRADING_URL", fake.trading_url()),
        ("PLOUTOS_ALPACA_TRADING_WS_URL", fake.trading_ws_url()),
        ("ALPACA_API_KEY", "fake-key".to_string()),
        ("ALPACA_SECRET_KEY", "fake-secret".to_string()),
    ]
}

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

fn binance_env(fake: &FakeBinance) -> Vec<(&'static str, String)> {
    vec![
        ("PLOUTOS_BINANCE_REST_URL", fake.rest_url()),
        ("PLOUTOS_BINANCE_WS_URL", fake.ws_url()),
        ("PLOUTOS_BINANCE_WS_API_URL", fake.ws_api_url()),
        ("BINANCE_API_KEY", fake.config().api_key.clone()),
        ("BINANCE_SECRET_KEY", fake.config().secret_key.clone()),
    ]
}

fn run(dir: &Path, config: &str, env: &[(&str, String)], args: &[&str]) -> Output {
    let cfg = dir.join("ploutos.toml");
    std::fs::write(&cfg, config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ploutos"));
    cmd.current_dir(dir)
        .arg("run")
        .arg("--config")
        .arg(&cfg)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
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
    let mut cfg = FakeBinanceConfig {
        history_bars: 400,
        pace: Duration::from_millis(20),
        ..FakeBinanceConfig::default()
    };
    // The planted difference: the broker holds 0.25 BTC the (empty) journal knows nothing of.
    cfg.balances = vec![
        ("USDT".into(), Decimal::new(100_000, 0)),
        ("BTC".into(), Decimal::new(25, 2)),
    ];
    let fake = rt.block_on(FakeBinance::start(cfg)).unwrap();
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

    // Mid-run the market stream drops: the run reconnects, backfills, and reconciles again
    // before trading on.
    let o = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(2500));
            fake.drop_streams();
        });
        run(
            dir.path(),
            &config,
            &binance_env(&fake),
            &["--live", "--verbose", "--max-events", "250"],
        )
    });
    let all = text(&o);
    assert!(all.contains("reconnected"), "{all}");
    assert!(
        all.matches("reconcile: the journal agrees with the broker")
            .count()
            >= 1,
        "a second reconcile after the reconnect: {all}"
    );
    assert!(o.status.success(), "{all}");
    assert!(all.contains("LIVE"), "the banner says live: {all}");
    assert!(
        all.contains("reconcile: position BTCUSDT: journal 0, broker 0.25"),
        "{all}"
    );
    let ids = order_ids(&all);
    assert!(ids.len() >= 2, "the strategy traded: {all}");
    for id in &ids {
        assert_eq!(
            fake.post_count(id),
            1,
            "order {id} was POSTed more than once"
        );
    }
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
    let fake = rt
        .block_on(FakeBinance::start(FakeBinanceConfig {
            history_bars: 400,
            pace: Duration::from_millis(20),
            ..FakeBinanceConfig::default()
        }))
        .unwrap();
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
    for id in &ids {
        assert_eq!(fake.post_count(id), 0, "paper order {id} reached the venue");
    }
    assert_eq!(fake.balance("USDT"), before);
}

#[test]
fn alpaca_live_trades_through_the_trading_api_and_its_update_stream() {
    let rt = runtime();
    let fake = rt
        .block_on(FakeAlpaca::start(FakeAlpacaConfig {
            prepublished: 120,
            pace: Duration::from_millis(25),
            auto_fill_market: true,
            ..FakeAlpacaConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = ALPACA_STRATEGY;
    let env = alpaca_env(&fake);
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
    for id in &ids {
        assert_eq!(
            fake.post_count(id),
            1,
            "order {id} was POSTed more than once"
        );
    }
    assert!(all.contains("BOUGHT"), "a fill came back: {all}");
}

#[test]
fn alpaca_paper_fills_in_the_engine_and_sends_nothing() {
    let rt = runtime();
    let fake = rt
        .block_on(FakeAlpaca::start(FakeAlpacaConfig {
            prepublished: 120,
            pace: Duration::from_millis(25),
            ..FakeAlpacaConfig::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let config = ALPACA_STRATEGY.replace("[trading]\nmode = \"live\"\nlive = true\n", "");
    let o = run(
        dir.path(),
        &config,
        &alpaca_env(&fake),
        &["--verbose", "--max-events", "150"],
    );
    let all = text(&o);
    assert!(o.status.success(), "{all}");
    assert!(all.contains("paper (the engine's paper broker"), "{all}");
    let ids = order_ids(&all);
    assert!(ids.len() >= 2, "the strategy traded on paper: {all}");
    for id in &ids {
        assert_eq!(fake.post_count(id), 0, "paper order {id} reached Alpaca");
    }
}
