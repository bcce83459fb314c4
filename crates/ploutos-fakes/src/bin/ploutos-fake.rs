//! `ploutos-fake`: runs the fake Binance / Alpaca servers on loopback for manual runs.

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "ploutos-fake",
    about = "Fake venue servers on 127.0.0.1 for tests and offline demos"
)]
struct Cli {
    #[command(subcommand)]
    venue: Venue,
}

#[derive(Subcommand)]
enum Venue {
    /// The Alpaca fake: market-data stream, trade updates, data REST and Trading API.
    Alpaca(AlpacaArgs),
    /// The Binance spot fake: market streams, REST (signed orders, filters, weights) and
    /// the WebSocket API user-data stream, on one port.
    Binance(BinanceArgs),
}

#[derive(Args)]
struct BinanceArgs {
    /// Port on 127.0.0.1 (0: any free port; the URLs are printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Accepted API key.
    #[arg(long, default_value = "fake-binance-key")]
    key: String,
    /// HMAC secret the signatures are checked with.
    #[arg(long, default_value = "fake-binance-secret")]
    secret: String,
    /// Milliseconds of wall time per simulated 1-minute bar.
    #[arg(long, default_value_t = 1000)]
    pace_ms: u64,
    /// 1-minute bars already closed at start (REST history).
    #[arg(long, default_value_t = 1500)]
    history_bars: u64,
    /// Seed of the price series.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Seconds between server pings.
    #[arg(long, default_value_t = 20)]
    ping_secs: u64,
}

#[derive(Args)]
struct AlpacaArgs {
    /// Port on 127.0.0.1 (0: any free port; the URLs are printed).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Accepted key id.
    #[arg(long, default_value = "fake-key")]
    key: String,
    /// Accepted secret.
    #[arg(long, default_value = "fake-secret")]
    secret: String,
    /// Symbols with a bar series (comma-separated; FAKEPACA is always there).
    #[arg(long, default_value = "AAPL,MSFT", value_delimiter = ',')]
    symbols: Vec<String>,
    /// Milliseconds of wall time per published minute bar.
    #[arg(long, default_value_t = 1000)]
    pace_ms: u64,
    /// Bars already published at start (REST history).
    #[arg(long, default_value_t = 390)]
    prepublished: usize,
    /// Seed of the bar series.
    #[arg(long, default_value_t = 7)]
    seed: u64,
    /// Fill market orders at once at the last close.
    #[arg(long)]
    auto_fill: bool,
    /// Fill working market/limit/stop orders from the bars as they are published.
    #[arg(long)]
    fill_from_bars: bool,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().venue {
        Venue::Alpaca(a) => {
            let cfg = ploutos_fakes::alpaca::FakeAlpacaConfig {
                port: a.port,
                key_id: a.key,
                secret_key: a.secret,
                symbols: a.symbols,
                pace: std::time::Duration::from_millis(a.pace_ms.max(1)),
                prepublished: a.prepublished,
                seed: a.seed,
                auto_fill_market: a.auto_fill,
                fill_from_bars: a.fill_from_bars,
                ..Default::default()
            };
            ploutos_fakes::alpaca::serve_forever(cfg).await
        }
        Venue::Binance(b) => {
            let cfg = ploutos_fakes::binance::FakeBinanceConfig {
                port: b.port,
                api_key: b.key,
                secret_key: b.secret,
                pace: std::time::Duration::from_millis(b.pace_ms.max(1)),
                history_bars: b.history_bars,
                seed: b.seed,
                ping_interval: std::time::Duration::from_secs(b.ping_secs.max(1)),
                ..Default::default()
            };
            ploutos_fakes::binance::serve_forever(cfg).await
        }
    }
}
