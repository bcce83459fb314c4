//! The `ploutos` binary, run as a user runs it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn ploutos(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ploutos"))
        .args(args)
        .current_dir(root())
        .env("NO_COLOR", "1")
        .output()
        .expect("run ploutos")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("utf-8")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("utf-8")
}

const BAR_FILES: [&str; 9] = [
    "btcusdt_binance_1m",
    "btcusdt_binance_5m",
    "btcusdt_binance_1h",
    "btcperp_ftx_1m",
    "spy_1m",
    "xrpeth_binance_1m",
    "eurusd_1h",
    "goog_daily",
    "btcusd_monthly",
];

/// The TA-Lib fixture of `stem` as (header, rows), comment line skipped.
fn talib_fixture(stem: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let dir = root().join("crates/ploutos-ta/tests/fixtures");
    let plain = dir.join(format!("{stem}.ref.csv"));
    let mut text = String::new();
    if plain.exists() {
        text = std::fs::read_to_string(plain).unwrap();
    } else {
        let f = std::fs::File::open(dir.join(format!("{stem}.ref.csv.gz"))).unwrap();
        flate2::read::GzDecoder::new(f)
            .read_to_string(&mut text)
            .unwrap();
    }
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header = lines.next().unwrap().split(',').map(String::from).collect();
    let rows = lines
        .map(|l| l.split(',').map(String::from).collect())
        .collect();
    (header, rows)
}

fn close_enough(ours: &str, theirs: &str) -> bool {
    if ours.is_empty() || theirs.is_empty() {
        return ours.is_empty() && theirs.is_empty();
    }
    let (a, b): (f64, f64) = (ours.parse().unwrap(), theirs.parse().unwrap());
    a == b || (a - b).abs() <= 1e-9 * b.abs()
}

#[test]
fn indicators_match_talib_on_every_bundled_bar_file() {
    let out_dir = tempfile::tempdir().unwrap();
    // Our column → TA-Lib fixture column.
    let pairs = [
        ("rsi14", "rsi14"),
        ("ema9", "ema9"),
        ("ema21", "ema21"),
        ("sma20", "sma20"),
        ("macd", "macd"),
        ("macd_signal", "macd_signal"),
        ("macd_hist", "macd_hist"),
        ("bb_upper", "bb_upper"),
        ("bb_middle", "bb_middle"),
        ("bb_lower", "bb_lower"),
        ("atr14", "atr14"),
        ("volume_sma20", "vol_sma20"),
    ];
    let mut cells = 0usize;
    for stem in BAR_FILES {
        let out = out_dir.path().join(format!("{stem}.csv"));
        let data = format!("data/samples/{stem}.csv");
        let o = ploutos(&[
            "indicators",
            "--data",
            &data,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{stem}: {}", stderr(&o));
        let text = std::fs::read_to_string(&out).unwrap();
        let mut lines = text.lines();
        let header: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(
            header.join(","),
            "timestamp,open,high,low,close,volume,rsi14,ema9,ema21,sma20,macd,macd_signal,macd_hist,bb_upper,bb_middle,bb_lower,atr14,volume_sma20"
        );
        let ours: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
        let (theirs_header, theirs) = talib_fixture(stem);
        assert_eq!(ours.len(), theirs.len(), "{stem}: rows");
        for (mine, name) in pairs {
            let i = header.iter().position(|h| *h == mine).unwrap();
            let j = theirs_header.iter().position(|h| h == name).unwrap();
            for (r, (a, b)) in ours.iter().zip(&theirs).enumerate() {
                assert!(
                    close_enough(a[i], &b[j]),
                    "{stem} row {r} {mine}: ours {:?}, TA-Lib {:?}",
                    a[i],
                    b[j]
                );
                cells += 1;
            }
        }
        // The bar columns echo the input exactly.
        let input = std::fs::read_to_string(root().join(&data)).unwrap();
        for (line, row) in input.lines().skip(1).zip(&ours) {
            let want: Vec<&str> = line.split(',').collect();
            assert_eq!(row[0], want[0], "{stem}");
            for k in 1..6 {
                assert_eq!(
                    row[k].parse::<f64>().unwrap(),
                    want[k].parse::<f64>().unwrap(),
                    "{stem} {line}"
                );
            }
        }
    }
    assert_eq!(cells, 59_365 * 12);
}

#[test]
fn analyze_jsonl_all_gives_every_bar_with_the_reference_decisions() {
    let o = ploutos(&[
        "analyze",
        "--replay",
        "data/samples/spy_1m.csv",
        "--format",
        "jsonl",
        "--all",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let reference = std::fs::read_to_string(
        root().join("crates/ploutos-engine/tests/fixtures/consensus/spy_1m.csv"),
    )
    .unwrap();
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1564);
    for (v, want) in lines.iter().zip(reference.lines().skip(1)) {
        let w: Vec<&str> = want.split(',').collect();
        assert_eq!(v["symbol"], "SPY");
        assert_eq!(v["timestamp"], w[0]);
        assert_eq!(v["signal"], w[1]);
        assert_eq!(v["buy_votes"].to_string(), w[2]);
        assert_eq!(v["sell_votes"].to_string(), w[3]);
        assert_eq!(v["confidence"].to_string(), w[4]);
        assert!(v["current_price"].is_f64());
        assert!(v["reasons"].as_array().is_some_and(|r| !r.is_empty()));
        assert!(v["indicators"]["rsi"].is_f64() || v["indicators"]["rsi"].is_null());
    }
    assert_eq!(lines[0]["reasons"][0], "warming up");
    assert_eq!(lines[32]["reasons"][0], "warming up");
    assert_ne!(lines[33]["reasons"][0], "warming up");
    // Session statistics go to stderr, keeping stdout pure JSON.
    let err = stderr(&o);
    assert!(err.contains("Per-bar processing latency"), "{err}");
    assert!(err.contains("p50") && err.contains("p99"), "{err}");
}

#[test]
fn analyze_jsonl_without_all_prints_only_alerts() {
    let o = ploutos(&[
        "analyze",
        "--replay",
        "data/samples/spy_1m.csv",
        "--format",
        "jsonl",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let lines: Vec<serde_json::Value> = stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    for v in &lines {
        assert!(v["signal"] == "BUY" || v["signal"] == "SELL");
        assert!(v["confidence"].as_u64().unwrap() >= 60);
    }
    let o = ploutos(&[
        "analyze",
        "--replay",
        "data/samples/spy_1m.csv",
        "--format",
        "jsonl",
        "--min-confidence",
        "0",
    ]);
    assert_eq!(stdout(&o).lines().count(), 124, "every BUY and SELL");
}

#[test]
fn analyze_text_shows_bars_alerts_and_statistics() {
    let o = ploutos(&[
        "analyze",
        "--replay",
        "BTC=data/samples/btcusdt_binance_1m.csv",
        "--timeframe",
        "5",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("Tickers: BTC"), "{s}");
    assert!(s.contains("Timeframe: 5m"), "{s}");
    let bar_lines = s
        .lines()
        .filter(|l| l.starts_with('[') && l.contains("] BTC: $"))
        .count();
    // 999 one-minute bars from 04:48 to 21:26: five-minute buckets 04:45 .. 21:25; the first
    // (04:48 and 04:49) closes with its :49 minute, the last (21:25, two of five minutes) never
    // closes and is dropped, and said so.
    assert_eq!(bar_lines, 200, "{s}");
    assert!(s.contains("[04:45:00] BTC: $"), "{s}");
    assert!(
        s.contains("dropped the unfinished bar opened at 2018-06-18T21:25:00Z"),
        "{s}"
    );
    assert!(s.contains("| Vol: "), "{s}");
    assert!(s.contains("Session ended: 200 closed bars"), "{s}");
}

#[test]
fn demo_analyzer_plays_several_symbols_with_framed_alerts() {
    let o = ploutos(&["demo", "--analyze-only", "--speed", "0"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    for t in ["SPY", "BTCUSDT", "BTCPERP", "XRPETH"] {
        assert!(s.contains(&format!("] {t}: $")), "{t}");
    }
    assert!(s.contains("╔"), "framed alerts");
    assert!(s.contains("confidence"), "alerts say their confidence");
    assert!(
        s.contains("total         50063"),
        "{}",
        &s[s.len().saturating_sub(800)..]
    );
}

#[test]
fn demo_paper_trades_visibly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("demo");
    let o = ploutos(&["demo", "--speed", "0", "--data-dir", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    for t in ["SPY", "BTCUSDT", "BTCPERP", "XRPETH"] {
        assert!(s.contains(&format!("] {t}: $")), "bar lines for {t}");
    }
    assert!(s.contains("╔"), "the analyzer's framed alerts");
    assert!(s.contains("BOUGHT") && s.contains("SOLD"), "trade lines");
    for reason in ["(entry)", "(stop_loss)", "(signal)", "(trailing_stop)"] {
        assert!(s.contains(reason), "an exit by {reason}");
    }
    assert!(
        s.contains("Session ended after 50063 market events"),
        "{}",
        &s[s.len().saturating_sub(600)..]
    );
    // The journal holds it all: `state show` reads it back.
    let o = ploutos(&[
        "state",
        "show",
        "--json",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["market_events"], 50063);
    assert!(v["total"]["trades"].as_u64().unwrap() > 50);
}

#[test]
fn run_works_on_the_example_config_and_state_show_reads_it_back() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("d");
    let d = data.to_str().unwrap();
    let o = ploutos(&["config", "check", "ploutos.example.toml"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("OK (3 strategies on 2 symbols, 2 feed files)"),
        "{}",
        stdout(&o)
    );
    let o = ploutos(&["run", "--config", "ploutos.example.toml", "--data-dir", d]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("Session ended after 2563 market events"), "{s}");
    assert!(s.contains("BOUGHT") && s.contains("SOLD"), "{s}");
    // A second run into the same directory must say how to continue.
    let o = ploutos(&["run", "--config", "ploutos.example.toml", "--data-dir", d]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("--restore"), "{}", stderr(&o));
    for args in [
        vec!["state", "show", "--data-dir", d],
        vec!["state", "list", "--data-dir", d],
    ] {
        let o = ploutos(&args);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let o = ploutos(&["state", "show", "--json", "--data-dir", d]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    for k in ["cash", "equity", "trades", "positions", "open_orders"] {
        assert!(!v["total"][k].is_null(), "total.{k}");
    }
    assert_eq!(v["strategies"].as_object().unwrap().len(), 3);
    assert!(data.join("latest_state.json").is_file());
}

#[test]
fn config_check_names_the_problem_and_where() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("bad.toml");
    let check = |text: &str| {
        std::fs::write(&f, text).unwrap();
        let o = ploutos(&["config", "check", f.to_str().unwrap()]);
        assert!(!o.status.success());
        stderr(&o)
    };
    let e = check("[risk]\nmax_positon_pct = 10\n");
    assert!(e.contains("line 2") && e.contains("max_positon_pct"), "{e}");
    let e = check("[risk]\nmin_confidence = \"high\"\n");
    assert!(e.contains("line 2") && e.contains("min_confidence"), "{e}");
    let e = check("[[strategies]]\nname = \"a\"\nsymbols = [\"X\"]\ncapital = 1\n");
    assert!(e.contains("missing field `kind`"), "{e}");
    let e = check("[[strategies]]\nname = \"a\"\nkind = \"nope\"\nsymbols = [\"X\"]\ncapital = 1\n[feed]\nfiles = [\"X=missing.csv\"]\n");
    assert!(
        e.contains("unknown strategy kind") && e.contains("missing.csv"),
        "every problem: {e}"
    );
}

#[test]
fn backtest_works_on_every_bundled_bar_file_and_is_deterministic() {
    for stem in BAR_FILES {
        let data = format!("data/samples/{stem}.csv");
        let a = ploutos(&["backtest", "--data", &data, "--json", "-"]);
        assert!(a.status.success(), "{stem}: {}", stderr(&a));
        let b = ploutos(&["backtest", "--data", &data, "--json", "-"]);
        assert_eq!(
            a.stdout, b.stdout,
            "{stem}: same input, same output, bit for bit"
        );
        // The fast-forward over quiet bars changes nothing.
        let c = ploutos(&[
            "backtest",
            "--data",
            &data,
            "--json",
            "-",
            "--no-fast-forward",
        ]);
        assert_eq!(a.stdout, c.stdout, "{stem}: with and without fast-forward");
        let v: serde_json::Value = serde_json::from_slice(&a.stdout).unwrap();
        for k in ["config", "conventions", "metrics", "trades", "equity"] {
            assert!(!v[k].is_null(), "{stem}: {k}");
        }
        for k in [
            "symbol",
            "strategy",
            "entry_time",
            "entry_price",
            "exit_time",
            "exit_price",
            "quantity",
            "pnl",
            "return_pct",
            "exit_reason",
        ] {
            assert!(v["trades"][0].get(k).is_some(), "{stem}: trades[0].{k}");
        }
        assert!(v["metrics"]["equity_final"].is_f64(), "{stem}");
    }
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("t.csv");
    let o = ploutos(&[
        "backtest",
        "--data",
        "data/samples/goog_daily.csv",
        "--strategy",
        "ma-cross",
        "--param",
        "fast=10",
        "--param",
        "slow=30",
        "--whole-units",
        "--trades",
        csv.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&csv).unwrap();
    assert!(text.starts_with("symbol,strategy,direction,entry_time"));
    for line in text.lines().skip(1) {
        let qty: f64 = line.split(',').nth(7).unwrap().parse().unwrap();
        assert_eq!(qty, qty.trunc(), "--whole-units: {line}");
    }
    let o = ploutos(&[
        "backtest",
        "--data",
        "data/samples/goog_daily.csv",
        "--param",
        "fats=3",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("fats"), "{}", stderr(&o));
}

#[test]
fn optimize_searches_the_grid_under_constraints_and_walks_forward() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.csv");
    let o = ploutos(&[
        "optimize",
        "--data",
        "data/samples/btcusdt_binance_1h.csv",
        "--strategy",
        "ema-cross",
        "--grid",
        "fast=3..15:2",
        "--grid",
        "slow=10..40:5",
        "--where",
        "fast < slow",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = std::fs::read_to_string(&out).unwrap();
    let rows: Vec<Vec<i64>> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').take(2).map(|x| x.parse().unwrap()).collect())
        .collect();
    // fast in 3,5,...,15 (7 values), slow in 10,15,...,40 (7 values), fast < slow: 45 pairs.
    assert_eq!(rows.len(), 45);
    assert!(rows.iter().all(|r| r[0] < r[1]));
    let scores: Vec<f64> = text
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(2).unwrap().parse().unwrap())
        .collect();
    assert!(
        scores.windows(2).all(|w| w[0] >= w[1]),
        "sorted by the metric, best first"
    );
    let o = ploutos(&[
        "optimize",
        "--data",
        "data/samples/eurusd_1h.csv",
        "--grid",
        "fast=5..15:5",
        "--grid",
        "slow=20..40:10",
        "--walk-forward",
        "train=60D,test=30D",
        "--metric",
        "return_pct",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.starts_with("Walk-forward, out of sample"), "{s}");
    assert!(s.contains("over 8 windows"), "{s}");
    let o = ploutos(&[
        "optimize",
        "--data",
        "data/samples/btcusdt_binance_1h.csv",
        "--grid",
        "fast=3..15:2",
        "--grid",
        "slow=10..40:5",
        "--random",
        "10",
        "--jobs",
        "1",
    ]);
    // Without --where the strategy refuses fast >= slow: those are skipped and said so.
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("skipped"), "{}", stderr(&o));
    // Costs are checked once, before any run, as `backtest` checks them.
    for (flag, want) in [
        ("--cash=0", "--cash 0: must be positive"),
        ("--fee=-1", "--fee -1: must be a fraction"),
        ("--slippage-bps=-2", "--slippage-bps -2: must be 0 or more"),
    ] {
        let o = ploutos(&[
            "optimize",
            "--data",
            "data/samples/eurusd_1h.csv",
            "--grid",
            "fast=5",
            "--grid",
            "slow=20",
            flag,
        ]);
        assert!(!o.status.success(), "{flag}");
        assert!(stderr(&o).contains(want), "{flag}: {}", stderr(&o));
    }
}

#[test]
fn optimize_works_on_every_bundled_bar_file() {
    let dir = tempfile::tempdir().unwrap();
    for stem in BAR_FILES {
        let data = format!("data/samples/{stem}.csv");
        let out = dir.path().join(format!("{stem}.csv"));
        let o = ploutos(&[
            "optimize",
            "--data",
            &data,
            "--strategy",
            "ema-cross",
            "--grid",
            "fast=5,9",
            "--grid",
            "slow=21,30",
            "--metric",
            "return_pct",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{stem}: {}", stderr(&o));
        let text = std::fs::read_to_string(&out).unwrap();
        let rows: Vec<&str> = text.lines().skip(1).collect();
        assert_eq!(rows.len(), 4, "{stem}: {text}");
        assert!(
            stdout(&o).contains("4 combinations on"),
            "{stem}: {}",
            stdout(&o)
        );
    }
}

#[test]
fn shared_indicators_and_fast_forward_change_no_optimizer_result() {
    // ma-cross reads its averages from series computed once per period (the EMA kinds compute
    // theirs per run, so for them this checks the fast-forward alone); on the data's own bars
    // (and on 1-day bars aggregated from them, where the shared series do not apply and every
    // run computes live) the results equal runs that compute everything.
    let dir = tempfile::tempdir().unwrap();
    for (kind, data, timeframe) in [
        ("ema-cross", "data/samples/btcusdt_binance_1h.csv", None),
        ("ema-trend", "data/samples/eurusd_1h.csv", None),
        ("ma-cross", "data/samples/btcusdt_binance_1h.csv", None),
        (
            "ema-cross",
            "data/samples/btcusdt_binance_1h.csv",
            Some("1d"),
        ),
    ] {
        let mut csvs = Vec::new();
        for (share, fast) in [(true, true), (false, true), (true, false)] {
            let out = dir.path().join(format!("{kind}-{share}-{fast}.csv"));
            let mut args = vec![
                "optimize",
                "--data",
                data,
                "--strategy",
                kind,
                "--grid",
                "fast=2..12:2",
                "--grid",
                "slow=14..30:4",
                "--out",
                out.to_str().unwrap(),
            ];
            if let Some(tf) = timeframe {
                args.extend(["--timeframe", tf]);
            }
            if !share {
                args.push("--no-share");
            }
            if !fast {
                args.push("--no-fast-forward");
            }
            let o = ploutos(&args);
            assert!(o.status.success(), "{kind}: {}", stderr(&o));
            csvs.push(std::fs::read_to_string(&out).unwrap());
        }
        assert_eq!(csvs[0].lines().count(), 1 + 6 * 5, "{kind}");
        assert_eq!(
            csvs[0], csvs[1],
            "{kind} {timeframe:?}: shared vs computed per run"
        );
        assert_eq!(
            csvs[0], csvs[2],
            "{kind} {timeframe:?}: with and without fast-forward"
        );
    }
}

#[test]
fn data_convert_and_inspect() {
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("spy.parquet");
    let back = dir.path().join("spy.csv");
    assert!(ploutos(&[
        "data",
        "convert",
        "data/samples/spy_1m.csv",
        pq.to_str().unwrap()
    ])
    .status
    .success());
    assert!(ploutos(&[
        "data",
        "convert",
        pq.to_str().unwrap(),
        back.to_str().unwrap()
    ])
    .status
    .success());
    let a = ploutos(&["indicators", "--data", "data/samples/spy_1m.csv"]);
    let b = ploutos(&["indicators", "--data", back.to_str().unwrap()]);
    assert_eq!(
        stdout(&a),
        stdout(&b),
        "CSV → Parquet → CSV keeps every bar"
    );
    let o = ploutos(&["data", "inspect", "data/samples/spy_1m.csv", "--json"]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["rows"], 1564);
    assert_eq!(v["gap_count"], 3, "three overnight gaps");
}

#[test]
fn bad_files_give_errors_that_name_file_line_column_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1.5,10\n2024-01-01T00:01:00Z,1,abc,0.5,1.5,10\n",
    )
    .unwrap();
    let path = bad.to_str().unwrap();
    for args in [
        vec!["analyze", "--replay", path],
        vec!["indicators", "--data", path],
    ] {
        let o = ploutos(&args);
        assert!(!o.status.success());
        let e = stderr(&o);
        assert!(
            e.contains(path)
                && e.contains("line 3")
                && e.contains("\"high\"")
                && e.contains("\"abc\""),
            "{e}"
        );
        assert!(
            stdout(&o).is_empty(),
            "nothing half-written: {}",
            stdout(&o)
        );
    }
    let o = ploutos(&["analyze", "--replay", "/nonexistent/x.csv"]);
    assert!(stderr(&o).contains("/nonexistent/x.csv"));
}

#[test]
fn ticker_limit_and_unknown_tickers_are_clear_errors() {
    let o = ploutos(&[
        "analyze",
        "--replay",
        "data/samples/spy_1m.csv,data/samples/goog_daily.csv",
        "--max-tickers",
        "1",
    ]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("at most 1 allowed"), "{}", stderr(&o));
    let o = ploutos(&["analyze", "--tickers", "NOPE"]);
    assert!(
        stderr(&o).contains("no bundled data for ticker \"NOPE\""),
        "{}",
        stderr(&o)
    );
    let o = ploutos(&[
        "analyze",
        "--replay",
        "data/samples/goog_daily.csv",
        "--timeframe",
        "5",
    ]);
    assert!(
        stderr(&o).contains("cannot make shorter 5m bars"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn every_command_has_help_with_examples() {
    for args in [
        vec!["--help"],
        vec!["analyze", "--help"],
        vec!["demo", "--help"],
        vec!["indicators", "--help"],
        vec!["data", "synth", "--help"],
    ] {
        let o = ploutos(&args);
        assert!(o.status.success());
        assert!(stdout(&o).contains("Examples"), "{args:?}");
    }
}

#[test]
fn synth_is_seeded_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.csv");
    let b = dir.path().join("b.csv");
    let c = dir.path().join("c.parquet");
    for (out, seed) in [(&a, "7"), (&b, "7"), (&c, "7")] {
        let o = ploutos(&[
            "data",
            "synth",
            "--bars",
            "5000",
            "--seed",
            seed,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    let text = std::fs::read_to_string(&a).unwrap();
    assert_eq!(text.lines().count(), 5001);
    assert!(text.starts_with("timestamp,open,high,low,close,volume\n2024-01-01T00:00:00Z,100,"));
    // The Parquet file holds the same bars: the indicators over both are identical.
    let ia = ploutos(&["indicators", "--data", a.to_str().unwrap()]);
    let ic = ploutos(&["indicators", "--data", c.to_str().unwrap()]);
    assert!(ic.status.success(), "{}", stderr(&ic));
    assert_eq!(stdout(&ia), stdout(&ic));
    let _ = Path::new("");
}
