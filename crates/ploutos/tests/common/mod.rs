//! What the binary's tests against the fake venues share: a runtime for the fakes, the
//! environment that points the binary at them, and running the binary cleanly.

#![allow(dead_code)] // each test file uses its part

use std::path::Path;
use std::process::{Command, Output};

use ploutos_fakes::alpaca::FakeAlpaca;
use ploutos_fakes::binance::FakeBinance;

/// A runtime whose worker threads keep serving the fakes while the test thread waits for the
/// binary.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Every variable that points the binary at a venue or gives it keys.
const VENUE_VARS: &[&str] = &[
    "PLOUTOS_BINANCE_REST_URL",
    "PLOUTOS_BINANCE_WS_URL",
    "PLOUTOS_BINANCE_WS_API_URL",
    "PLOUTOS_ALPACA_DATA_WS_URL",
    "PLOUTOS_ALPACA_DATA_URL",
    "PLOUTOS_ALPACA_TRADING_URL",
    "PLOUTOS_ALPACA_TRADING_WS_URL",
    "ALPACA_API_KEY",
    "ALPACA_SECRET_KEY",
    "BINANCE_API_KEY",
    "BINANCE_SECRET_KEY",
];

/// The binary with `args`, in `dir` (so no `.env` of the repository is read), with exactly
/// the venue variables of `env` (those of the developer's shell removed) and no colors.
pub fn ploutos_command(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_ploutos"));
    cmd.args(args).current_dir(dir).env("NO_COLOR", "1");
    for k in VENUE_VARS {
        cmd.env_remove(k);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// [`ploutos_command`], run to the end.
pub fn ploutos(dir: &Path, env: &[(&str, String)], args: &[&str]) -> Output {
    ploutos_command(dir, env, args)
        .output()
        .expect("run ploutos")
}

/// stdout and stderr together.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Everything that points the binary at the Binance fake, keys included.
pub fn binance_env(fake: &FakeBinance) -> Vec<(&'static str, String)> {
    vec![
        ("PLOUTOS_BINANCE_REST_URL", fake.rest_url()),
        ("PLOUTOS_BINANCE_WS_URL", fake.ws_url()),
        ("PLOUTOS_BINANCE_WS_API_URL", fake.ws_api_url()),
        ("BINANCE_API_KEY", fake.config().api_key.clone()),
        ("BINANCE_SECRET_KEY", fake.config().secret_key.clone()),
    ]
}

/// Everything that points the binary at the Alpaca fake, with `secret` as the secret key.
pub fn alpaca_env(fake: &FakeAlpaca, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PLOUTOS_ALPACA_DATA_WS_URL", fake.data_ws_url("iex")),
        ("PLOUTOS_ALPACA_DATA_URL", fake.data_url()),
        ("PLOUTOS_ALPACA_TRADING_URL", fake.trading_url()),
        ("PLOUTOS_ALPACA_TRADING_WS_URL", fake.trading_ws_url()),
        ("ALPACA_API_KEY", fake.config().key_id.clone()),
        ("ALPACA_SECRET_KEY", secret.to_string()),
    ]
}

/// A running binary whose stdout and stderr lines arrive on one channel.
pub struct Running {
    pub child: std::process::Child,
    pub lines: std::sync::mpsc::Receiver<String>,
    /// Every line received so far.
    pub seen: String,
}

impl Running {
    /// Starts `cmd` with both outputs captured line by line.
    pub fn start(mut cmd: Command) -> Running {
        use std::io::{BufRead, BufReader};
        let mut child = cmd
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start ploutos");
        let (tx, lines) = std::sync::mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        let err = child.stderr.take().expect("stderr");
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for l in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(l).is_err() {
                    break;
                }
            }
        });
        std::thread::spawn(move || {
            for l in BufReader::new(err).lines().map_while(Result::ok) {
                if tx2.send(l).is_err() {
                    break;
                }
            }
        });
        Running {
            child,
            lines,
            seen: String::new(),
        }
    }

    /// Reads lines until `done` holds for what was seen (panics after a minute of silence).
    pub fn wait_for(&mut self, done: impl Fn(&str) -> bool) {
        while !done(&self.seen) {
            let line = self
                .lines
                .recv_timeout(std::time::Duration::from_secs(60))
                .unwrap_or_else(|_| panic!("waited a minute; so far:\n{}", self.seen));
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
    }

    /// Waits for the process to end; returns its success and everything it printed.
    pub fn finish(mut self) -> (bool, String) {
        let status = self.child.wait().expect("wait");
        while let Ok(line) = self
            .lines
            .recv_timeout(std::time::Duration::from_millis(500))
        {
            self.seen.push_str(&line);
            self.seen.push('\n');
        }
        (status.success(), self.seen)
    }

    /// Kills the process (SIGKILL) and returns everything it printed.
    pub fn kill(mut self) -> String {
        let _ = self.child.kill();
        self.finish().1
    }
}
