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
