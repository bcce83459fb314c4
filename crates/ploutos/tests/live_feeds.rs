//! `ploutos analyze --feed alpaca|binance` against the fake servers, exactly as against the
//! real hosts (only the URLs differ): the stream is dropped and bars are skipped mid-run, and
//! every closed bar still reaches the analyzer exactly once and in order.

use std::time::Duration;

use ploutos_fakes::alpaca::{FakeAlpaca, FakeAlpacaConfig};
use ploutos_fakes::binance::{FakeBinance, FakeBinanceConfig};

mod common;
use common::{alpaca_env, binance_env, ploutos, ploutos_command, runtime, Running};

/// Runs the analyzer with `env`, calls `disturb` once `after` jsonl lines arrived, and returns
/// (symbol, timestamp) of every jsonl line and everything printed (stdout and stderr).
fn analyze(
    args: &[&str],
    env: &[(&str, String)],
    after: usize,
    disturb: impl FnOnce(),
) -> (Vec<(String, String)>, String) {
    let jsonl = |seen: &str| seen.lines().filter(|l| l.starts_with('{')).count();
    let mut running = Running::start(ploutos_command(&std::env::temp_dir(), env, args));
    running.wait_for(|seen| jsonl(seen) >= after);
    disturb();
    let (ok, seen) = running.finish();
    assert!(ok, "analyzer failed: {seen}");
    let lines = seen
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|line| {
            let v: serde_json::Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON: {line}: {e}"));
            (
                v["symbol"].as_str().unwrap().to_string(),
                v["timestamp"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    (lines, seen)
}

fn times_of(lines: &[(String, String)], symbol: &str) -> Vec<String> {
    lines
        .iter()
        .filter(|(s, _)| s == symbol)
        .map(|(_, t)| t.clone())
        .collect()
}

#[test]
fn binance_analyzer_survives_a_dropped_stream_and_skipped_klines() {
    let rt = runtime();
    let fake = rt
        .block_on(FakeBinance::start(FakeBinanceConfig {
            history_bars: 200,
            pace: Duration::from_millis(25),
            ..FakeBinanceConfig::default()
        }))
        .unwrap();
    let env = binance_env(&fake);
    let (lines, err) = analyze(
        &[
            "analyze",
            "--feed",
            "binance",
            "--tickers",
            "BTCUSDT,ETHUSDT",
            "--format",
            "jsonl",
            "--all",
            "--warmup",
            "40",
            "--max-events",
            "200",
        ],
        &env,
        30,
        || {
            // An outage: the stream goes away, and the next 4 klines are never streamed.
            fake.skip_closed_bars(4);
            fake.drop_streams();
        },
    );
    assert!(err.contains("reconnected"), "{err}");
    assert!(err.contains("bars from REST"), "{err}");
    for symbol in ["BTCUSDT", "ETHUSDT"] {
        let times = times_of(&lines, symbol);
        assert!(times.len() > 60, "{symbol}: {} lines", times.len());
        // Binance has a kline for every minute: consecutive minutes, none twice.
        for w in times.windows(2) {
            let a = chrono::DateTime::parse_from_rfc3339(&w[0]).unwrap();
            let b = chrono::DateTime::parse_from_rfc3339(&w[1]).unwrap();
            assert_eq!(
                (b - a).num_seconds(),
                60,
                "{symbol}: {} then {}",
                w[0],
                w[1]
            );
        }
    }
}

#[test]
fn alpaca_analyzer_survives_a_dropped_stream_and_gets_exactly_the_published_bars() {
    let rt = runtime();
    let fake = rt
        .block_on(FakeAlpaca::start(FakeAlpacaConfig {
            prepublished: 120,
            pace: Duration::from_millis(25),
            ..FakeAlpacaConfig::default()
        }))
        .unwrap();
    let env = alpaca_env(&fake, "fake-secret");
    let (lines, err) = analyze(
        &[
            "analyze",
            "--feed",
            "alpaca",
            "--tickers",
            "AAPL,MSFT",
            "--format",
            "jsonl",
            "--all",
            "--warmup",
            "45",
            "--max-events",
            "160",
        ],
        &env,
        30,
        || {
            fake.skip_stream_bars(3);
            fake.drop_streams();
        },
    );
    assert!(err.contains("reconnected"), "{err}");
    for symbol in ["AAPL", "MSFT"] {
        let times = times_of(&lines, symbol);
        assert!(times.len() > 40, "{symbol}: {} lines", times.len());
        // Exactly the fake's published bars (minutes without trades have none), by open time
        // (the analyzer stamps a signal with its bar's open time).
        let published: Vec<String> = fake
            .published_bars(symbol)
            .iter()
            .map(|b| b.time.format("%Y-%m-%dT%H:%M:%SZ").to_string())
            .collect();
        let first = published
            .iter()
            .position(|t| t == &times[0])
            .unwrap_or_else(|| panic!("{symbol}: {} not published", times[0]));
        assert_eq!(
            times,
            published[first..first + times.len()].to_vec(),
            "{symbol}: the analyzer's bars are not the published ones"
        );
    }
}

#[test]
fn alpaca_with_wrong_keys_stops_with_the_reason() {
    let rt = runtime();
    let fake = rt
        .block_on(FakeAlpaca::start(FakeAlpacaConfig::default()))
        .unwrap();
    let out = ploutos(
        &std::env::temp_dir(),
        &alpaca_env(&fake, "wrong"),
        &["analyze", "--feed", "alpaca", "--tickers", "AAPL"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("auth"), "{err}");
}
