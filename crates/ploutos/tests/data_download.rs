//! `ploutos data download`, run as a user runs it, against the fake venues on loopback.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use ploutos_core::{Bar, Symbol, Timeframe, Timestamp};
use ploutos_fakes::alpaca::{FakeAlpaca, FakeAlpacaConfig};
use ploutos_fakes::binance::{FakeBinance, FakeBinanceConfig};
use ploutos_store::history::{read_bars, write_bars_csv};
use ploutos_venues::binance::{Binance, BinanceConfig};
use ploutos_venues::live::BarVenue;

mod common;
use common::{alpaca_env, binance_env, ploutos, runtime};

const FROM: &str = "2024-01-02";
const MID: &str = "2024-01-03";
const TO: &str = "2024-01-04";

fn ts(s: &str) -> Timestamp {
    Timestamp::parse(s).unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_ok(o: &Output) {
    assert!(
        o.status.success(),
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status,
        String::from_utf8_lossy(&o.stdout),
        stderr(o)
    );
}

/// A Binance fake whose series covers 2024-01-02 .. 2024-01-05 and whose clock stands still.
fn binance_fake(rt: &tokio::runtime::Runtime) -> FakeBinance {
    rt.block_on(FakeBinance::start(FakeBinanceConfig {
        history_bars: 3 * 1440 + 60,
        pace: Duration::from_secs(3600),
        ..FakeBinanceConfig::default()
    }))
    .unwrap()
}

/// The fake's series through the venue client in one call (no chunks, no files).
fn binance_series(
    rt: &tokio::runtime::Runtime,
    fake: &FakeBinance,
    from: &str,
    to: &str,
) -> Vec<Bar> {
    let mut cfg = BinanceConfig::production();
    cfg.rest_url = fake.rest_url();
    let client = Binance::new(cfg).unwrap();
    let sym = Symbol::new("BTCUSDT").unwrap();
    rt.block_on(client.history(&sym, Timeframe::M1, ts(from), ts(to)))
        .unwrap()
}

fn download_args<'a>(venue: &'a str, symbol: &'a str, out: &'a str) -> Vec<&'a str> {
    vec![
        "data",
        "download",
        "--venue",
        venue,
        "--symbol",
        symbol,
        "--timeframe",
        "1m",
        "--from",
        FROM,
        "--to",
        TO,
        "--out",
        out,
    ]
}

fn path_str(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn part_files(out: &Path) -> (PathBuf, PathBuf) {
    let s = path_str(out);
    (
        PathBuf::from(format!("{s}.part")),
        PathBuf::from(format!("{s}.part.json")),
    )
}

#[test]
fn binance_to_csv_equals_the_series_and_backtests() {
    let rt = runtime();
    let fake = binance_fake(&rt);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("btcusdt_1m.csv");
    let o = ploutos(
        dir.path(),
        &binance_env(&fake),
        &download_args("binance", "BTCUSDT", path_str(&out)),
    );
    assert_ok(&o);
    let expected = binance_series(&rt, &fake, FROM, TO);
    assert_eq!(expected.len(), 2 * 1440);
    let file = read_bars(&out).unwrap();
    assert_eq!(file.bars, expected);
    let (part, sidecar) = part_files(&out);
    assert!(
        !part.exists() && !sidecar.exists(),
        "part files left behind"
    );
    let err = stderr(&o);
    for want in [
        "rows       2880",
        "first bar  2024-01-02T00:00:00Z",
        "last bar   2024-01-03T23:59:00Z",
        "holes      0",
        "requests   2 history calls",
    ] {
        assert!(err.contains(want), "{want:?} not in:\n{err}");
    }

    let bt = ploutos(
        dir.path(),
        &[],
        &[
            "backtest",
            "--data",
            path_str(&out),
            "--strategy",
            "ema-cross",
        ],
    );
    assert_ok(&bt);
}

#[test]
fn binance_to_parquet() {
    let rt = runtime();
    let fake = binance_fake(&rt);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("btcusdt_1m.parquet");
    let o = ploutos(
        dir.path(),
        &binance_env(&fake),
        &download_args("binance", "BTCUSDT", path_str(&out)),
    );
    assert_ok(&o);
    assert_eq!(
        read_bars(&out).unwrap().bars,
        binance_series(&rt, &fake, FROM, TO)
    );
    let (part, sidecar) = part_files(&out);
    assert!(!part.exists() && !sidecar.exists());
    assert!(!dir.path().join("btcusdt_1m.parquet.tmp").exists());
}

#[test]
fn an_interrupted_download_resumes_with_fewer_requests() {
    let rt = runtime();
    let fake = binance_fake(&rt);
    let dir = tempfile::tempdir().unwrap();
    let env = binance_env(&fake);

    let whole = dir.path().join("whole.csv");
    let before = fake.requests();
    assert_ok(&ploutos(
        dir.path(),
        &env,
        &download_args("binance", "BTCUSDT", path_str(&whole)),
    ));
    let one_shot = fake.requests() - before;

    // What a download killed during its second chunk leaves: the first day's bars, a line
    // half written, and the sidecar saying the first day is done.
    let resumed = dir.path().join("resumed.csv");
    let (part, sidecar) = part_files(&resumed);
    write_bars_csv(&part, &binance_series(&rt, &fake, FROM, MID)).unwrap();
    let mut text = std::fs::read_to_string(&part).unwrap();
    text.push_str("2024-01-03T00:00:00Z,4300");
    std::fs::write(&part, text).unwrap();
    std::fs::write(
        &sidecar,
        format!(
            r#"{{"venue":"binance","symbol":"BTCUSDT","timeframe":"1m","from":"{}","to":"{}","done_until":"{}"}}"#,
            ts(FROM),
            ts(TO),
            ts(MID)
        ),
    )
    .unwrap();
    let before = fake.requests();
    let o = ploutos(
        dir.path(),
        &env,
        &download_args("binance", "BTCUSDT", path_str(&resumed)),
    );
    assert_ok(&o);
    let second = fake.requests() - before;
    assert!(
        stderr(&o).contains("resuming binance BTCUSDT 1m from 2024-01-03T00:00:00Z"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        std::fs::read(&resumed).unwrap(),
        std::fs::read(&whole).unwrap()
    );
    assert!(
        second < one_shot,
        "resumed: {second} requests, one shot: {one_shot}"
    );
    assert!(!part.exists() && !sidecar.exists());
}

#[test]
fn a_part_file_of_another_download_is_not_continued() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("x.csv");
    let (_, sidecar) = part_files(&out);
    std::fs::write(
        &sidecar,
        r#"{"venue":"binance","symbol":"ETHUSDT","timeframe":"1m","from":"2024-01-02T00:00:00Z","to":"2024-01-04T00:00:00Z","done_until":"2024-01-02T00:00:00Z"}"#,
    )
    .unwrap();
    // No venue is reachable: the check comes before any request.
    let env = vec![("PLOUTOS_BINANCE_REST_URL", "http://127.0.0.1:9".to_string())];
    let o = ploutos(
        dir.path(),
        &env,
        &download_args("binance", "BTCUSDT", path_str(&out)),
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("ETHUSDT") && err.contains("BTCUSDT") && err.contains("x.csv.part"),
        "{err}"
    );
}

#[test]
fn a_hole_is_refused_naming_it_then_allowed() {
    let rt = runtime();
    let fake = binance_fake(&rt);
    fake.omit_bars(
        ts("2024-01-02T10:00:00Z").as_millis(),
        ts("2024-01-02T10:30:00Z").as_millis(),
    );
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("holes.csv");
    let env = binance_env(&fake);
    let o = ploutos(
        dir.path(),
        &env,
        &download_args("binance", "BTCUSDT", path_str(&out)),
    );
    assert!(!o.status.success(), "a file with a hole was accepted");
    let err = stderr(&o);
    assert!(
        err.contains("2024-01-02T10:00:00Z .. 2024-01-02T10:30:00Z (30 bars missing)"),
        "{err}"
    );
    assert!(err.contains("--allow-holes"), "{err}");
    assert!(!out.exists(), "OUT written despite the hole");
    let (part, sidecar) = part_files(&out);
    assert!(
        part.exists() && sidecar.exists(),
        "the downloaded bars were not kept"
    );

    // The bars are all there already: --allow-holes writes the file without a request.
    let before = fake.requests();
    let mut args = download_args("binance", "BTCUSDT", path_str(&out));
    args.push("--allow-holes");
    let o = ploutos(dir.path(), &env, &args);
    assert_ok(&o);
    assert_eq!(fake.requests(), before);
    let bars = read_bars(&out).unwrap().bars;
    assert_eq!(bars.len(), 2 * 1440 - 30);
    assert!(
        stderr(&o).contains("holes      1 (30 bars missing)"),
        "{}",
        stderr(&o)
    );
    assert!(!part.exists() && !sidecar.exists());
}

#[test]
fn a_429_is_waited_out() {
    let rt = runtime();
    let fake = binance_fake(&rt);
    fake.fail_next_with_429(1, 1);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("limited.csv");
    let o = ploutos(
        dir.path(),
        &binance_env(&fake),
        &download_args("binance", "BTCUSDT", path_str(&out)),
    );
    assert_ok(&o);
    // Two days of two pages each, plus the request answered 429 and sent again.
    assert_eq!(fake.requests(), 5);
    assert_eq!(
        read_bars(&out).unwrap().bars,
        binance_series(&rt, &fake, FROM, TO)
    );
}

fn alpaca_fake(rt: &tokio::runtime::Runtime) -> FakeAlpaca {
    rt.block_on(FakeAlpaca::start(FakeAlpacaConfig {
        symbols: vec!["AAPL".to_string()],
        prepublished: 3 * 1440,
        pace: Duration::from_secs(3600),
        page_cap: 400,
        rate_window: Duration::from_secs(1),
        ..FakeAlpacaConfig::default()
    }))
    .unwrap()
}

/// A bar as (time, open, high, low, close, volume, trades, vwap).
type Row = (Timestamp, f64, f64, f64, f64, f64, Option<u64>, Option<f64>);

/// The fake's published AAPL bars in [FROM, TO) as (time, o, h, l, c, v, trades, vwap).
fn alpaca_series(fake: &FakeAlpaca) -> Vec<Row> {
    fake.published_bars("AAPL")
        .into_iter()
        .map(|b| {
            let t = Timestamp::from_datetime(b.time).unwrap();
            (
                t,
                b.open,
                b.high,
                b.low,
                b.close,
                b.volume as f64,
                Some(b.trades),
                Some(b.vwap),
            )
        })
        .filter(|b| b.0 >= ts(FROM) && b.0 < ts(TO))
        .collect()
}

fn as_rows(bars: &[Bar]) -> Vec<Row> {
    bars.iter()
        .map(|b| {
            (
                b.time(),
                b.open(),
                b.high(),
                b.low(),
                b.close(),
                b.volume(),
                b.trades(),
                b.vwap(),
            )
        })
        .collect()
}

#[test]
fn alpaca_across_pages_and_a_spent_rate_window() {
    let rt = runtime();
    let fake = alpaca_fake(&rt);
    let secret = fake.config().secret_key.clone();
    fake.exhaust_rate_window();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("aapl.csv");
    let o = ploutos(
        dir.path(),
        &alpaca_env(&fake, &secret),
        &download_args("alpaca", "AAPL", path_str(&out)),
    );
    assert_ok(&o);
    let expected = alpaca_series(&fake);
    // 2024-01-02 14:30 .. 2024-01-04 00:00 less the fake's quiet minutes: several pages a day.
    assert!(expected.len() > 1500, "{}", expected.len());
    assert_eq!(as_rows(&read_bars(&out).unwrap().bars), expected);
    assert!(
        fake.requests() > (expected.len() / 400) as u64,
        "{} requests for {} bars in pages of 400",
        fake.requests(),
        expected.len()
    );
    let err = stderr(&o);
    // Two sessions (Jan 2 and 3), both with bars: no holes, the quiet minutes only counted.
    assert!(err.contains("holes      0"), "{err}");
    assert!(err.contains("2 NYSE sessions"), "{err}");
}

#[test]
fn alpaca_bad_keys_stop_with_the_venues_message() {
    let rt = runtime();
    let fake = alpaca_fake(&rt);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("aapl.csv");
    let o = ploutos(
        dir.path(),
        &alpaca_env(&fake, "wrong-secret"),
        &download_args("alpaca", "AAPL", path_str(&out)),
    );
    assert!(!o.status.success());
    let err = stderr(&o);
    assert!(
        err.contains("alpaca AAPL 1m") && err.contains("2024-01-02T00:00:00Z"),
        "{err}"
    );
    assert!(err.contains("alpaca:"), "{err}");
    assert!(!out.exists());
    // Nothing was downloaded: nothing is left to block the corrected command.
    let (part, sidecar) = part_files(&out);
    assert!(!part.exists() && !sidecar.exists());
}

#[test]
fn bad_ranges_are_refused_before_any_request() {
    let dir = tempfile::tempdir().unwrap();
    let env = vec![("PLOUTOS_BINANCE_REST_URL", "http://127.0.0.1:9".to_string())];
    let base = [
        "data", "download", "--venue", "binance", "--symbol", "BTCUSDT", "--out", "x.csv",
    ];
    let run = |from: &str, to: &str| {
        let mut a = base.to_vec();
        a.extend(["--from", from, "--to", to]);
        let o = ploutos(dir.path(), &env, &a);
        assert!(!o.status.success());
        stderr(&o)
    };
    let e = run("2024-01-03", "2024-01-03");
    assert!(
        e.contains("--from 2024-01-03 is not before --to 2024-01-03"),
        "{e}"
    );
    let e = run("2024-01-04", "2024-01-03T12:00:00Z");
    assert!(e.contains("not before"), "{e}");
    let e = run("1704153600", "2024-01-03");
    assert!(e.contains("--from \"1704153600\""), "{e}");
    assert!(!dir.path().join("x.csv.part.json").exists());
}
