//! The live venues as the binary builds them: hosts from the defaults, then the config file's
//! `[venues.*]` tables, then the environment (`PLOUTOS_*_URL`); keys only from the
//! environment or a `.env` file in the working directory.

use anyhow::{bail, Context, Result};
use ploutos_core::{Symbol, Timeframe};
use ploutos_venues::alpaca::{Alpaca, AlpacaConfig};
use ploutos_venues::binance::{Binance, BinanceConfig};
use ploutos_venues::live::{BarVenue, FeedNotice, ResilientConfig, ResilientFeed, Subscription};
use serde::Deserialize;
use tokio::sync::mpsc;

/// `[venues]`: where the live venues are (the defaults are the real hosts).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct VenuesConfig {
    /// `[venues.alpaca]`.
    pub alpaca: AlpacaSection,
    /// `[venues.binance]`.
    pub binance: BinanceSection,
}

/// `[venues.alpaca]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlpacaSection {
    /// `iex` (free plan, the default) or `sip`.
    pub feed: Option<String>,
    /// Bar adjustment of REST history: `raw` (default), `split`, `dividend`, `all`.
    pub adjustment: Option<String>,
    /// The full market-data stream URL (e.g. `wss://stream.data.alpaca.markets/v2/iex`).
    pub data_ws_url: Option<String>,
    /// Market-data REST base.
    pub data_url: Option<String>,
    /// Trading REST base (paper or live host).
    pub trading_url: Option<String>,
    /// Trade-updates stream URL.
    pub trading_ws_url: Option<String>,
}

/// `[venues.binance]`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BinanceSection {
    /// `production` (default), `testnet` or `demo`: picks the default hosts.
    pub network: Option<String>,
    /// REST base.
    pub rest_url: Option<String>,
    /// Market-stream base (without `/ws`).
    pub ws_url: Option<String>,
    /// WebSocket API URL (user data).
    pub ws_api_url: Option<String>,
}

/// Reads `.env` from the working directory into the environment (variables already set
/// win). A missing file is fine; an unreadable or malformed one is an error naming it.
pub fn load_dotenv() -> Result<()> {
    match dotenvy::dotenv() {
        Ok(_) => Ok(()),
        Err(e) if e.not_found() => Ok(()),
        Err(e) => Err(e).context(".env: cannot load it"),
    }
}

fn env(k: &str) -> Option<String> {
    std::env::var(k).ok()
}

/// A setting of the config file, where given, over the default.
fn set(dst: &mut String, v: &Option<String>) {
    if let Some(v) = v {
        *dst = v.clone();
    }
}

/// The Alpaca configuration: `paper` picks the paper trading hosts (market data is the same).
pub fn alpaca_config(section: &AlpacaSection, paper: bool) -> AlpacaConfig {
    let mut cfg = if paper {
        AlpacaConfig::paper()
    } else {
        AlpacaConfig::live()
    };
    match section.feed.as_deref() {
        // The 24/7 test stream (symbol FAKEPACA); REST history stays on the IEX feed.
        Some("test") => cfg = cfg.test_stream(),
        Some(feed) => {
            cfg.feed = feed.to_string();
            if section.data_ws_url.is_none() {
                if let Some(i) = cfg.data_ws_url.rfind('/') {
                    cfg.data_ws_url = format!("{}/{feed}", &cfg.data_ws_url[..i]);
                }
            }
        }
        None => {}
    }
    set(&mut cfg.adjustment, &section.adjustment);
    set(&mut cfg.data_ws_url, &section.data_ws_url);
    set(&mut cfg.data_url, &section.data_url);
    set(&mut cfg.trading_url, &section.trading_url);
    set(&mut cfg.trading_ws_url, &section.trading_ws_url);
    cfg.apply_env(env);
    cfg
}

/// The Binance configuration.
pub fn binance_config(section: &BinanceSection) -> Result<BinanceConfig> {
    let mut cfg = match section.network.as_deref().unwrap_or("production") {
        "production" => BinanceConfig::production(),
        "testnet" => BinanceConfig::testnet(),
        "demo" => BinanceConfig::demo(),
        other => bail!(
            "[venues.binance] network = {other:?}: expected \"production\", \"testnet\" or \"demo\""
        ),
    };
    set(&mut cfg.rest_url, &section.rest_url);
    set(&mut cfg.ws_url, &section.ws_url);
    set(&mut cfg.ws_api_url, &section.ws_api_url);
    cfg.apply_env(env);
    Ok(cfg)
}

/// One Alpaca client for the whole process (its rate limit is shared by all users).
pub fn alpaca(section: &AlpacaSection, paper: bool) -> Result<Alpaca> {
    Alpaca::new(alpaca_config(section, paper)).context("alpaca")
}

/// One Binance client for the whole process.
pub fn binance(section: &BinanceSection) -> Result<Binance> {
    Binance::new(binance_config(section)?).context("binance")
}

/// The live 1-minute bar feed of `symbols` on `venue` (inside a tokio runtime): reconnects,
/// backfills, `warmup_bars` of REST history first; its notices (connections, backfills) on
/// stderr.
pub fn start_feed<V: BarVenue>(venue: V, symbols: Vec<Symbol>, warmup_bars: u32) -> ResilientFeed {
    let cfg = ResilientConfig {
        warmup_bars,
        // Binance publishes a kline for every minute; Alpaca none for a minute without trades.
        gap_backfill: venue.name() == "binance",
        ..ResilientConfig::default()
    };
    let sub = Subscription {
        symbols,
        timeframe: Timeframe::M1,
        trades: false,
    };
    let name = venue.name().to_string();
    let (tx, mut rx) = mpsc::channel(256);
    tokio::spawn(async move {
        while let Some(n) = rx.recv().await {
            if let Some(line) = describe(&name, &n) {
                eprintln!("{line}");
            }
        }
    });
    ResilientFeed::start(venue, sub, cfg, Some(tx))
}

/// A notice in words (`None` for the live view's forming bars and quotes).
fn describe(venue: &str, n: &FeedNotice) -> Option<String> {
    match n {
        FeedNotice::Connected { attempt: 1 } => Some(format!("{venue}: connected")),
        FeedNotice::Connected { attempt } => {
            Some(format!("{venue}: reconnected (connection #{attempt})"))
        }
        FeedNotice::Disconnected { reason, retry_in } => Some(format!(
            "{venue}: disconnected: {reason}; reconnecting in {:.1} s",
            retry_in.as_secs_f64()
        )),
        FeedNotice::Backfilled {
            symbol,
            bars,
            from,
            to,
        } => Some(format!(
            "{venue}: {symbol}: {bars} bars from REST for {from} .. {to}"
        )),
        FeedNotice::Forming { .. } | FeedNotice::Quote { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_file_sets_hosts_and_the_feed() {
        let s: VenuesConfig = toml::from_str(
            "[alpaca]\nfeed = \"sip\"\n[binance]\nnetwork = \"testnet\"\nrest_url = \"http://127.0.0.1:9\"\n",
        )
        .unwrap();
        let a = alpaca_config(&s.alpaca, true);
        assert_eq!(a.feed, "sip");
        assert!(a.data_ws_url.ends_with("/v2/sip"), "{}", a.data_ws_url);
        assert!(a.trading_url.contains("paper-api"), "{}", a.trading_url);
        let t = alpaca_config(
            &AlpacaSection {
                feed: Some("test".into()),
                ..Default::default()
            },
            true,
        );
        assert!(t.data_ws_url.ends_with("/v2/test"), "{}", t.data_ws_url);
        assert_eq!(t.feed, "iex", "REST history has no test feed");
        let b = binance_config(&s.binance).unwrap();
        assert_eq!(b.rest_url, "http://127.0.0.1:9");
        assert!(b.ws_url.contains("testnet"), "{}", b.ws_url);
        let err = binance_config(&BinanceSection {
            network: Some("moon".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert!(err.to_string().contains("moon"), "{err}");
        assert!(toml::from_str::<VenuesConfig>("[alpaca]\nfeeed = \"x\"").is_err());
    }
}
