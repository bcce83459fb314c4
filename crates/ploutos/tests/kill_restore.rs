//! Nothing lost: `ploutos run` on a replay, killed with SIGKILL at random moments and restarted
//! with `--restore` each time, ends with exactly the trades, positions and cash of an
//! uninterrupted run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ploutos_core::synth::SplitMix64;
use ploutos_store::journal::{Journal, JournalOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn config(dir: &Path, speed: f64) -> PathBuf {
    let data = root().join("data/samples/btcusdt_binance_1m.csv");
    let text = format!(
        r#"
[feed]
files = ["BTCUSDT={data}"]
speed = {speed}

[journal]
commit_ms = 30
batch_events = 64

[breakers]
losing_streak = {{ threshold = 50, resume = {{ when = "next_day" }} }}

[broker]
fees = {{ type = "rate", taker = 0.001 }}
slippage = {{ type = "bps", value = 1 }}

[[instruments]]
symbol = "BTCUSDT"
class = "crypto"
tick_size = 0.01
step_size = 0.00001
min_quantity = 0.00001
min_notional = 5
fractional = true

[[strategies]]
name = "cross"
kind = "ema-cross"
symbols = ["BTCUSDT"]
capital = 10000
[strategies.exits]
trailing = {{ percent = 0.3 }}
partial_take_profit = {{ at_pct = 0.2, fraction = 0.5 }}

[[strategies]]
name = "trend"
kind = "ema-trend"
symbols = ["BTCUSDT"]
capital = 10000
[strategies.exits]
stop_loss = {{ percent = 0.2 }}
take_profit = {{ percent = 0.3 }}

[[strategies]]
name = "revert"
kind = "rsi"
symbols = ["BTCUSDT"]
capital = 10000
[strategies.risk]
min_confidence = 0
"#,
        data = data.display()
    );
    let path = dir.join(format!("ploutos-{speed}.toml"));
    std::fs::write(&path, text).unwrap();
    path
}

fn ploutos(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ploutos"));
    c.args(args).env("NO_COLOR", "1");
    c
}

/// Every fill in the journal, as text, in order.
fn fills(data_dir: &Path) -> Vec<String> {
    let j = Journal::open(data_dir.join("journal.sqlite"), JournalOptions::default()).unwrap();
    j.fills(None)
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {} {} {:?} {} {:?}",
                f.client_order_id, f.symbol, f.side, f.status, f.strategy, f.fill
            )
        })
        .collect()
}

fn state(data_dir: &Path) -> serde_json::Value {
    let out = ploutos(&[
        "state",
        "show",
        "--json",
        "--data-dir",
        data_dir.to_str().unwrap(),
    ])
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn killed_and_restored_runs_end_exactly_like_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    // The uninterrupted reference, as fast as possible.
    let reference = tmp.path().join("reference");
    let cfg = config(tmp.path(), 0.0);
    let st = ploutos(&[
        "run",
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        reference.to_str().unwrap(),
    ])
    .stdout(Stdio::null())
    .status()
    .unwrap();
    assert!(st.success());
    let want_state = state(&reference);
    let want_fills = fills(&reference);
    assert!(
        want_fills.len() >= 10,
        "{} fills: the scenario must trade",
        want_fills.len()
    );

    // The same replay paced (≈ 4 ms a bar), killed with SIGKILL at random moments.
    let paced = config(tmp.path(), 15_000.0);
    let dir = tmp.path().join("killed");
    let mut rng = SplitMix64::new(7);
    let mut kills = 0;
    let mut restore = false;
    let started = Instant::now();
    loop {
        let mut args = vec![
            "run",
            "--config",
            paced.to_str().unwrap(),
            "--data-dir",
            dir.to_str().unwrap(),
        ];
        if restore {
            args.push("--restore");
        }
        let mut child = ploutos(&args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        restore = true;
        if kills == 6 {
            assert!(
                child.wait().unwrap().success(),
                "the last run finishes the replay"
            );
            break;
        }
        let wait = Duration::from_millis(150 + rng.next_u64() % 900);
        std::thread::sleep(wait);
        if child.try_wait().unwrap().is_some() {
            break; // finished before the kill: nothing left to interrupt
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        assert!(started.elapsed() < Duration::from_secs(120));
    }
    assert!(kills >= 3, "only {kills} kills landed");
    assert_eq!(
        fills(&dir),
        want_fills,
        "same fills, in the same order, none twice"
    );
    let got = state(&dir);
    assert_eq!(got["total"], want_state["total"]);
    assert_eq!(got["strategies"], want_state["strategies"]);
    assert_eq!(got["market_events"], 999);
    // The journal is consistent after every crash.
    let j = Journal::open(dir.join("journal.sqlite"), JournalOptions::default()).unwrap();
    let report = j.verify().unwrap();
    assert!(report.latest_snapshot.is_some());
}

#[test]
fn panic_from_another_process_closes_everything_and_resume_lifts_it() {
    let tmp = tempfile::tempdir().unwrap();
    let cfg = config(tmp.path(), 15_000.0);
    let dir = tmp.path().join("data");
    let d = dir.to_str().unwrap();
    let mut child = ploutos(&["run", "--config", cfg.to_str().unwrap(), "--data-dir", d])
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let o = ploutos(&["panic", "--data-dir", d]).output().unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(child.wait().unwrap().success());

    let j = Journal::open(dir.join("journal.sqlite"), JournalOptions::default()).unwrap();
    let trips = j.events(Some("breaker_trip")).unwrap();
    let panic = trips
        .iter()
        .find(|e| e.json.to_string().contains("\"panic\""))
        .expect("the panic is journaled");
    // After the panic: no new entry order, and every position closed.
    let later_entries = j
        .orders()
        .unwrap()
        .into_iter()
        .filter(|o| o.seq > panic.seq && !o.request.reduce_only)
        .count();
    assert_eq!(later_entries, 0);
    let s = state(&dir);
    assert_eq!(s["total"]["positions"], 0, "{s}");
    assert!(s["paused"].to_string().contains("panic"), "{s}");

    // `resume` is applied by the next start (--restore applies waiting commands first).
    let o = ploutos(&["resume", "--data-dir", d]).output().unwrap();
    assert!(o.status.success());
    let st = ploutos(&[
        "run",
        "--config",
        cfg.to_str().unwrap(),
        "--data-dir",
        d,
        "--restore",
    ])
    .stdout(Stdio::null())
    .status()
    .unwrap();
    assert!(st.success());
    let s = state(&dir);
    assert_eq!(s["paused"].as_array().map(Vec::len), Some(0), "{s}");
}
